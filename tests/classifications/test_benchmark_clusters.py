"""Benchmark cluster mapping of NAICS 2017 codes, and the technology lists."""

from pathlib import Path

import pandas as pd

from pipeline.classifications.benchmark_clusters import industry_clusters, read_crosswalk
from pipeline.classifications.naics_vintages import read_naics_concordance
from pipeline.classifications.technology import read_technology_lists, technology_prefixes

TABLES = Path(__file__).resolve().parents[2] / "data" / "raw" / "classifications"


def _mapping(codes):
    return industry_clusters(
        codes,
        read_crosswalk(TABLES / "uscmp_cluster_naics_crosswalk.csv"),
        read_naics_concordance(TABLES / "naics_2017_to_2012.csv"),
        classification="naics2017",
    ).set_index("industry_code")


def test_unchanged_and_changed_codes_map():
    mapping = _mapping(["336411", "541714", "517311", "454110", "999999"])
    assert mapping.loc["336411", "cluster_name"] == "Aerospace Vehicles and Defense"
    assert mapping.loc["336411", "mapped_via"] == "naics2012"
    # 541714 (biotech R&D, NAICS 2017) comes from 541711 via the concordance.
    assert mapping.loc["541714", "mapped_via"] == "concordance"
    assert (
        mapping.loc["541714", "cluster_code"] == _mapping(["541711"]).loc["541711", "cluster_code"]
    )
    assert (
        mapping.loc["517311", "cluster_code"] == _mapping(["517110"]).loc["517110", "cluster_code"]
    )
    assert "999999" not in mapping.index


def test_every_cbp_2019_six_digit_code_maps(cbp_subset):
    six_digit = cbp_subset.loc[cbp_subset["industry_level"] == 6, "industry_code"].unique()
    mapping = _mapping(six_digit)
    assert set(six_digit) == set(mapping.index)
    assert set(mapping["cluster_type"]) == {"traded", "local"}


def test_concordance_targets_exist_in_the_2012_definitions():
    crosswalk = read_crosswalk(TABLES / "uscmp_cluster_naics_crosswalk.csv")
    concordance = read_naics_concordance(TABLES / "naics_2017_to_2012.csv")
    known = set(crosswalk.loc[crosswalk["naics_vintage"] == "2012", "naics"])
    assert set(concordance["naics2012"]) <= known
    assert concordance.groupby("naics2017")["primary"].sum().eq(1).all()


def test_technology_level_one_without_aerospace():
    lists = read_technology_lists(TABLES / "hightech_naics_lists.csv")
    prefixes = technology_prefixes(lists, "bls_hecker2005_hightech", ["Level I"], exclude=["3364"])
    assert "3364" not in prefixes
    assert {"3254", "3344", "5112", "5415", "5417"} <= set(prefixes)
    # NAICS 2002 internet codes are translated to their 2017 successors.
    assert "519130" in prefixes and "5161" not in prefixes
    assert pd.Series(["541715"]).str.startswith(tuple(prefixes)).all()


def test_bls_construction_splits_map_through_their_parent():
    # QCEW splits 238210 electrical contractors into 238211 residential / 238212 nonresidential.
    mapping = _mapping(["238211", "238212", "238210", "814110", "999999"])
    assert mapping.loc["238211", "mapped_via"] == "prefix"
    assert mapping.loc["238212", "cluster_code"] == mapping.loc["238210", "cluster_code"]
    assert "814110" not in mapping.index and "999999" not in mapping.index
