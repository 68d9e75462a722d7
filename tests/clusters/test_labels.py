"""Technology / industrial-production / other labelling rule."""

import numpy as np
import pandas as pd
import pytest

from pipeline.clusters.labels import (
    ClusterLabeller,
    label_from_scores,
    label_with_confidence,
    patent_intensity,
)


def test_rule_order_and_thresholds():
    labels = label_from_scores(
        np.array([0.40, 0.39, 0.39, 0.9]), np.array([0.0, 0.50, 0.49, 0.9]), 0.40, 0.50
    )
    assert labels.tolist() == ["technology", "industrial-production", "other", "technology"]


def test_labeller_scores_from_composition():
    composition = pd.DataFrame(
        {
            "regional_cluster_id": ["chips", "chips", "cars", "cars", "banks"],
            "industry_code": ["334413", "423690", "336111", "336390", "522110"],
            "employment": [80.0, 20.0, 60.0, 40.0, 100.0],
        }
    )
    labeller = ClusterLabeller(["3344", "5415"], ["31", "32", "33"], 0.4, 0.5).fit(composition)
    assert labeller.technology_score_["chips"] == pytest.approx(0.8)
    assert labeller.production_score_["cars"] == pytest.approx(1.0)
    assert labeller.labels_.to_dict() == {
        "banks": "other",
        "cars": "industrial-production",
        "chips": "technology",
    }


def test_labeller_accepts_weighted_prefixes_for_coarse_sections():
    # Section-level data: J is 60 % technology-intensive, C 30 %, K none.
    composition = pd.DataFrame(
        {
            "regional_cluster_id": ["info", "info", "factories"],
            "industry_code": ["J", "K", "C"],
            "employment": [90.0, 10.0, 100.0],
        }
    )
    labeller = ClusterLabeller({"J": 0.6, "C": 0.3}, ["B", "C", "D"], 0.4, 0.5).fit(composition)
    assert labeller.technology_score_["info"] == pytest.approx(0.54)
    assert labeller.labels_.to_dict() == {
        "factories": "industrial-production",
        "info": "technology",
    }


def test_a_cluster_led_by_headquarters_is_not_technology():
    # 55 % company headquarters (551114), 45 % engineering and programming (Level I): the share
    # rule alone calls it technology; led by a generic industry it is not.
    composition = pd.DataFrame(
        {
            "regional_cluster_id": ["hq", "hq", "hq", "it", "it", "it"],
            "industry_code": ["551114", "541330", "541511", "541511", "551114", "541330"],
            "employment": [55.0, 25.0, 20.0, 50.0, 30.0, 20.0],
        }
    )
    plain = ClusterLabeller(["5413", "5415"], ["31"], 0.4, 0.5).fit(composition)
    assert plain.labels_["hq"] == "technology"
    robust = ClusterLabeller(["5413", "5415"], ["31"], 0.4, 0.5, ["5511", "5614"]).fit(composition)
    assert robust.technology_score_["hq"] == pytest.approx(0.45)
    assert robust.generic_top_.to_dict() == {"hq": True, "it": False}
    assert robust.labels_.to_dict() == {"hq": "other", "it": "technology"}


def test_label_confidence_is_low_only_near_a_threshold():
    # 'edge' has a technology share of 0.45: 0.40 * 1.2 = 0.48 takes the label away.
    # 'safe' (0.90) and 'plant' (production 0.95, technology 0) keep theirs under +-20 %.
    composition = pd.DataFrame(
        {
            "regional_cluster_id": ["edge", "edge", "safe", "safe", "plant", "plant"],
            "industry_code": ["334413", "522110", "334413", "522110", "336111", "522110"],
            "employment": [45.0, 55.0, 90.0, 10.0, 95.0, 5.0],
        }
    )
    regional = pd.DataFrame({"regional_cluster_id": ["edge", "safe", "plant"]})
    labeller = ClusterLabeller(["3344"], ["31", "32", "33"], 0.4, 0.5)
    labelled, report = label_with_confidence(regional, composition, labeller, 0.2)
    confidence = labelled.set_index("regional_cluster_id")["label_confidence"].to_dict()
    assert confidence == {"edge": "low", "safe": "high", "plant": "high"}
    assert report["flips"]["technology_share_min"] == {"-20%": 0, "+20%": 1}
    assert report["flips"]["production_share_min"] == {"-20%": 0, "+20%": 0}
    assert report["low_confidence"] == 1
    # The flipped label falls to 'other' (no production), and 'edge' is technology at 0.40.
    assert labeller.relabel(technology_share_min=0.48)["edge"] == "other"
    assert labelled.set_index("regional_cluster_id").loc["edge", "label"] == "technology"


def test_patent_intensity_is_member_patents_per_thousand_jobs():
    regional = pd.DataFrame({"region_ids": [["A", "B"], ["C"]], "region_employment": [4000.0, 0.0]})
    patents = pd.DataFrame({"region_id": ["A", "B"], "patents_per_year": [6.0, 2.0]})
    intensity = patent_intensity(regional, patents, 1000.0)
    assert intensity.iloc[0] == 2.0  # 1000 * (6 + 2) / 4000
    assert np.isnan(intensity.iloc[1])  # no jobs, no intensity
