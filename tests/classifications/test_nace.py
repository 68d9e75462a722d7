"""NACE Rev.2 / OKVED2 sections: division structure, technology intensity, section clusters."""

import pandas as pd
import pytest

from pipeline.classifications.benchmark_clusters import industry_clusters
from pipeline.classifications.nace import (
    division_aggregates,
    naics_section,
    read_division_aggregates,
    read_nace_sections,
    section_clusters,
    section_of_division,
    section_technology,
    technology_sections,
    us_traded_share_by_section,
)
from pipeline.clusters.labels import ClusterLabeller
from pipeline.errors import UserError

# Eurostat's high-tech sectors (HTC: high-tech manufacturing and knowledge-intensive services)
# and the goods-producing sections A-E, the definitions the golden shares below are worked for.
HTC = ("C_HTC", "KIS_HTC")
GOODS = ("A", "B", "C", "D", "E")


@pytest.fixture(scope="module")
def divisions() -> pd.DataFrame:
    return read_division_aggregates()


@pytest.fixture(scope="module")
def technology(divisions) -> pd.DataFrame:
    return section_technology(
        divisions, technology_aggregates=HTC, production_sections=GOODS
    ).set_index("section")


def test_structure_has_88_divisions_in_21_sections(divisions):
    assert len(divisions) == 88 and divisions["division"].is_unique
    counts = divisions.groupby("section").size()
    assert counts[["A", "B", "C", "G", "J", "M", "N", "U"]].tolist() == [3, 5, 24, 3, 6, 7, 6, 1]
    assert list(counts.index) == read_nace_sections()["section"].tolist()
    # Eurostat classifies the 72 manufacturing and service divisions; A, B, D, E, F are not.
    assert divisions["eurostat_aggregate_code"].notna().sum() == 72
    assert set(divisions.loc[divisions["eurostat_aggregate_code"].isna(), "section"]) == set(
        "ABDEF"
    )


@pytest.mark.parametrize(
    ("division", "section"),
    [
        ("01", "A"),
        ("09", "B"),
        ("10", "C"),
        ("33", "C"),
        ("35", "D"),
        ("39", "E"),
        ("62", "J"),
        ("72", "M"),
        ("77", "N"),
        ("99", "U"),
    ],
)
def test_section_of_division(division, section):
    assert section_of_division(division) == section


@pytest.mark.parametrize("division", ["04", "34", "100", "ab"])
def test_codes_that_are_not_divisions_are_refused(division):
    with pytest.raises(UserError):
        section_of_division(division)


def test_technology_share_counts_high_tech_divisions(technology):
    # C: pharmaceuticals 21 and electronics 26 of 24 divisions; J: 59-63 of 58-63;
    # M: R&D 72 of 69-75 (Eurostat HTC = C_HTC + KIS_HTC).
    assert technology.loc["C", "technology_share"] == pytest.approx(2 / 24)
    assert technology.loc["J", "technology_share"] == pytest.approx(5 / 6)
    assert technology.loc["M", "technology_share"] == pytest.approx(1 / 7)
    others = technology.drop(index=["C", "J", "M"])
    assert (others["technology_share"] == 0).all()
    assert technology["n_technology_divisions"].sum() == 8


def test_medium_high_tech_can_be_added(divisions):
    wider = section_technology(
        divisions,
        technology_aggregates=("C_HTC", "C_MHTC", "KIS_HTC"),
        production_sections=GOODS,
    ).set_index("section")
    assert wider.loc["C", "technology_share"] == pytest.approx(7 / 24)  # 20, 21, 26-30


def test_division_weights_replace_counts(divisions):
    # Russia 2019 (Rosstat, thousand employed): R&D 854.6 of M's 2,826.9.
    weights = {"72": 854.6, "69": 2826.9 - 854.6}
    shares = section_technology(
        divisions, technology_aggregates=HTC, production_sections=GOODS, division_weights=weights
    ).set_index("section")
    assert shares.loc["M", "technology_share"] == pytest.approx(854.6 / 2826.9)
    # A section whose divisions carry no weight has no defined share.
    assert pd.isna(shares.loc["J", "technology_share"])
    with pytest.raises(UserError, match="negative"):
        section_technology(
            divisions,
            technology_aggregates=HTC,
            production_sections=GOODS,
            division_weights={"72": -1.0},
        )


def test_goods_producing_sections(technology):
    assert technology.index[technology["goods_producing"]].tolist() == ["A", "B", "C", "D", "E"]
    assert not technology.loc["F", "goods_producing"]


def test_technology_sections_for_the_prefix_labeller(technology):
    assert technology_sections(technology.reset_index(), 0.5) == ["J"]
    assert technology_sections(technology.reset_index(), 0.1) == ["J", "M"]


def test_existing_labeller_runs_on_section_codes(technology):
    table = technology.reset_index()
    labeller = ClusterLabeller(
        technology_sections(table, 0.5),
        table.loc[table["goods_producing"], "section"].tolist(),
        technology_share_min=0.4,
        production_share_min=0.5,
    )
    composition = pd.DataFrame(
        {
            "regional_cluster_id": ["r1", "r1", "r2", "r2", "r3"],
            "industry_code": ["J", "C", "C", "B", "K"],
            "employment": [60.0, 40.0, 70.0, 30.0, 10.0],
        }
    )
    labels = labeller.fit(composition).labels_
    assert labels.to_dict() == {"r1": "technology", "r2": "industrial-production", "r3": "other"}


def test_section_clusters_match_the_benchmark_columns():
    crosswalk = pd.DataFrame(
        {
            "naics_vintage": ["2012"],
            "naics": ["334413"],
            "naics_title": ["Semiconductors"],
            "cluster_code": ["29"],
            "cluster_name": ["Information Technology and Analytical Instruments"],
            "cluster_type": ["traded"],
        }
    )
    concordance = pd.DataFrame({"naics2017": [], "naics2012": [], "primary": []})
    benchmark = industry_clusters(["334413"], crosswalk, concordance, classification="naics2012")
    sections = section_clusters(["00", "C", "G", "J"])
    assert list(sections.columns) == list(benchmark.columns)
    assert sections["industry_code"].tolist() == ["C", "G", "J"]  # the total is not a cluster
    assert (sections["cluster_code"] == sections["industry_code"]).all()
    assert sections["cluster_type"].tolist() == ["traded", "local", "traded"]
    assert sections.loc[0, "cluster_name"] == "Manufacturing"


def test_every_section_is_typed_and_traded_ones_are_the_documented_set():
    every = section_clusters(read_nace_sections()["section"].tolist())
    assert len(every) == 21
    traded = every.loc[every["cluster_type"] == "traded", "industry_code"].tolist()
    assert traded == ["A", "B", "C", "H", "J", "K", "M", "R"]


def test_cluster_types_can_be_overridden_but_must_be_valid():
    custom = section_clusters(["D"], {"D": "traded"})
    assert custom["cluster_type"].tolist() == ["traded"]
    with pytest.raises(UserError, match="traded"):
        section_clusters(["D"], {"D": "regional"})
    with pytest.raises(UserError, match="'C'"):
        section_clusters(["C"], {"D": "local"})


def test_naics_bridge_prefers_the_longest_prefix():
    codes = pd.Series(["541511", "541330", "221310", "221122", "562111", "532111", "999999"])
    assert naics_section(codes).tolist()[:6] == ["J", "M", "E", "D", "E", "N"]
    assert pd.isna(naics_section(codes).iloc[6])


def test_us_traded_share_by_section_golden_value():
    employment = pd.DataFrame(
        {
            "industry_code": ["541511", "517311", "511110", "541110", "541330", "999990"],
            "employment": [300.0, 100.0, 100.0, 50.0, 150.0, 10.0],
        }
    )
    clusters = pd.DataFrame(
        {
            "industry_code": ["541511", "517311", "511110", "541110", "541330", "999990"],
            "cluster_type": ["traded", "traded", "local", "local", "traded", "traded"],
        }
    )
    shares = us_traded_share_by_section(employment, clusters).set_index("section")
    # J: (300 + 100) / 500; M: 150 / 200; the unbridged code is left out.
    assert shares["traded_share"].to_dict() == {"J": 0.8, "M": 0.75}
    assert shares.loc["J", "local_employment"] == 100.0


def test_table_with_a_wrong_section_is_refused():
    table = pd.DataFrame(
        {"nace_r2_division": ["26"], "nace_r2_section": ["J"], "eurostat_aggregate_code": ["C_HTC"]}
    )
    with pytest.raises(UserError, match="division 26 is in section C"):
        division_aggregates(table)
