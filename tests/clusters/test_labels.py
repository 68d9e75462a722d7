"""Technology / industrial-production / other labelling rule."""

import numpy as np
import pandas as pd
import pytest

from pipeline.clusters.labels import ClusterLabeller, label_from_scores


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
