"""Regional clusters: notable pairs merged across adjacent regions."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from pipeline.classifications.definitions import label_weights
from pipeline.clusters.labels import ClusterLabeller, label_regional_clusters
from pipeline.clusters.regional import (
    _leading_lists,
    _selected_by,
    _sorted_lists,
    _sums,
    contiguous_groups,
    extent_km,
    extents_km,
    haversine_km,
    merge_groups,
    notable_pairs,
    regional_clusters,
    resolve_merge_rule,
    spatial_significance,
)
from pipeline.config import load_settings
from pipeline.errors import UserError
from pipeline.sources.us_geography import cbsa_csa_codes, read_delineation

ROOT = Path(__file__).resolve().parents[2]
# The contiguity rule without distance limits, as the hand-worked cases assume.
CONTIGUITY = {"merge_rule": "contiguity", "max_distance_km": np.inf, "isolate_distance_km": 0.0}


def _weights(pairs, isolates=()):
    rows = (
        [(a, b, 1.0) for a, b in pairs]
        + [(b, a, 1.0) for a, b in pairs]
        + [(i, i, 0.0) for i in isolates]
    )
    return pd.DataFrame(rows, columns=["focal", "neighbor", "weight"])


def test_contiguous_groups_chain_and_isolate():
    weights = _weights([("A", "B"), ("B", "C"), ("C", "D")], isolates=["E"])
    # D is not a candidate, so A-B-C form one group; E is alone.
    labels = contiguous_groups(["A", "C", "B", "E"], weights)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] != labels[0]


def test_contiguity_does_not_jump_over_non_candidates():
    weights = _weights([("A", "B"), ("B", "C")])
    labels = contiguous_groups(["A", "C"], weights)
    assert labels[0] != labels[1]


def _scored():
    # Cluster 1: strong in A and B (adjacent) and C (far away); D is large with 2 stars but not
    # strong; F has 2 stars (size + focus) but LQ < 1, so it is not specialised.
    columns = [
        "region_id",
        "cluster_code",
        "cluster_name",
        "cluster_type",
        "employment",
        "strong",
        "stars",
    ]
    rows = [
        ("A", "1", "Widgets", "traded", 100.0, True, 1),
        ("B", "1", "Widgets", "traded", 50.0, True, 0),
        ("C", "1", "Widgets", "traded", 70.0, True, 1),
        ("D", "1", "Widgets", "traded", 900.0, False, 2),
        ("E", "1", "Widgets", "traded", 5.0, False, 1),
        ("F", "1", "Widgets", "traded", 100.0, False, 2),
        ("A", "101", "Local stuff", "local", 500.0, True, 3),
    ]
    scored = pd.DataFrame(rows, columns=columns)
    scored["year"] = np.int16(2019)
    scored["establishments"] = 5.0
    scored["region_employment"] = np.where(scored["region_id"] == "F", 5000.0, 1000.0)
    scored["cluster_national"] = np.where(scored["cluster_code"] == "1", 1200.0, 5000.0)
    scored["national_employment"] = 10000.0
    scored["lq"] = (scored["employment"] / scored["region_employment"]) / (
        scored["cluster_national"] / scored["national_employment"]
    )
    return scored


def test_notable_pairs_take_strong_or_two_stars_of_traded_clusters():
    notable = notable_pairs(_scored(), min_stars=2, cluster_types=["traded"], stars_lq_min=1.0)
    assert sorted(notable["region_id"]) == ["A", "B", "C", "D"]  # not F: LQ 1/6
    assert notable.set_index("region_id").loc["D", "selected_by"] == "stars"


def test_regional_clusters_merge_adjacent_regions():
    scored = _scored()
    notable = notable_pairs(scored, min_stars=2, cluster_types=["traded"], stars_lq_min=1.0)
    weights = _weights([("A", "B"), ("C", "E")], isolates=["D"])
    regions = gpd.GeoDataFrame(
        {"region_id": list("ABCDE")},
        geometry=[
            box(0, 0, 1, 1),
            box(1, 0, 2, 1),
            box(5, 5, 6, 6),
            box(9, 9, 10, 10),
            box(6, 5, 7, 6),
        ],
        crs="EPSG:4326",
    )
    industry = pd.DataFrame(
        {
            "region_id": ["A", "A", "B", "C", "D"],
            "industry_code": ["111111", "111112", "111111", "111111", "111112"],
            "year": np.int16(2019),
            "employment": [60.0, 40.0, 50.0, 70.0, 900.0],
        }
    )
    mapping = pd.DataFrame({"industry_code": ["111111", "111112"], "cluster_code": ["1", "1"]})
    regional, composition = regional_clusters(
        notable, weights, industry, mapping, regions, 2, **CONTIGUITY
    )
    assert len(regional) == 3
    by_regions = {tuple(row["region_ids"]): row for _, row in regional.iterrows()}
    merged = by_regions[("A", "B")]
    assert merged["employment"] == 150
    # LQ of the merged cluster: (150 / 2000) / (1200 / 10000)
    assert merged["lq"] == (150 / 2000) / (1200 / 10000)
    assert merged["top_industries"] == ["111111", "111112"]  # 110 then 40 jobs
    assert merged.geometry.area == 2
    # Ids rank regional clusters of a cluster by employment: D (900 jobs) first.
    assert by_regions[("D",)]["regional_cluster_id"] == "2019-001-01"
    assert set(composition["regional_cluster_id"]) == set(regional["regional_cluster_id"])


# --- merge rules: CSA, distance from the anchor, isolates ------------------------------------


def _points(coordinates):
    return pd.DataFrame(
        [(region, lon, lat) for region, (lon, lat) in coordinates.items()],
        columns=["region_id", "lon", "lat"],
    )


def test_haversine_one_degree_of_longitude_at_the_equator():
    # 2 pi R / 360 with R = 6371.0088 km
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(2 * np.pi * 6371.0088 / 360)


def test_csa_rule_merges_only_within_one_combined_area():
    # A-B-C-D-E is one chain of neighbours; A, B are CSA 1, C, D CSA 2, E has no CSA.
    weights = _weights([("A", "B"), ("B", "C"), ("C", "D"), ("D", "E")])
    csa = pd.Series({"A": "1", "B": "1", "C": "2", "D": "2", "E": None})
    labels = merge_groups(
        list("ABCDE"), np.array([5.0, 4, 3, 2, 1]), weights, rule="csa", csa_codes=csa
    )
    assert labels[0] == labels[1]
    assert labels[2] == labels[3]
    assert len({labels[0], labels[2], labels[4]}) == 3
    # Plain contiguity chains all five.
    assert len(set(merge_groups(list("ABCDE"), np.ones(5), weights))) == 1


def test_distance_rule_grows_groups_from_the_largest_region():
    # Four neighbours in a row along the equator, one degree (111 km) apart; C is largest.
    weights = _weights([("A", "B"), ("B", "C"), ("C", "D")])
    points = _points({"A": (0, 0), "B": (1, 0), "C": (2, 0), "D": (3, 0)})
    labels = merge_groups(
        list("ABCD"),
        np.array([10.0, 20, 90, 30]),
        weights,
        rule="distance",
        points=points,
        max_distance_km=150,
    )
    # C anchors B and D (111 km away) but not A (222 km), which then stands alone.
    assert labels[1] == labels[2] == labels[3]
    assert labels[0] != labels[2]


def test_isolates_join_the_nearest_region_of_their_cluster_within_the_threshold():
    weights = _weights([("A", "B")], isolates=["I", "J", "K"])
    points = _points({"A": (0, 0), "B": (1, 0), "I": (0, 0.5), "J": (40, 0), "K": (1, 0.5)})
    csa = pd.Series({"A": "1", "B": "1", "I": None, "J": None, "K": "2"})
    labels = merge_groups(
        list("ABIJK"),
        np.array([5.0, 4, 3, 2, 1]),
        weights,
        rule="csa",
        csa_codes=csa,
        points=points,
        isolate_distance_km=100,
        isolates={"I", "J", "K"},
    )
    assert labels[2] == labels[0] == labels[1]  # I is 56 km from A
    assert labels[3] not in {labels[0]}  # J is 4,400 km away
    assert labels[4] != labels[0]  # K is close, but in another CSA
    without = merge_groups(list("ABIJK"), np.ones(5), weights, rule="csa", csa_codes=csa)
    assert without[2] != without[0]  # no threshold: isolates stay alone


def test_regional_clusters_apply_the_csa_rule_and_report_extent():
    scored = _scored()
    notable = notable_pairs(
        scored, min_stars=2, cluster_types=["traded"], stars_lq_min=1.0
    )  # A, B, C, D
    weights = _weights([("A", "B"), ("B", "C"), ("C", "D")])
    regions = gpd.GeoDataFrame(
        {"region_id": list("ABCD"), "csa_code": ["1", "1", "2", None]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(3, 0, 4, 1)],
        crs="EPSG:4326",
    )
    industry = pd.DataFrame(
        {
            "region_id": list("ABCD"),
            "industry_code": "111111",
            "year": np.int16(2019),
            "employment": [100.0, 50.0, 70.0, 900.0],
        }
    )
    mapping = pd.DataFrame({"industry_code": ["111111"], "cluster_code": ["1"]})
    regional, _ = regional_clusters(
        notable, weights, industry, mapping, regions, 5, **{**CONTIGUITY, "merge_rule": "auto"}
    )
    assert sorted(tuple(ids) for ids in regional["region_ids"]) == [("A", "B"), ("C",), ("D",)]
    extent = regional.set_index(regional["region_ids"].str.join(""))["extent_km"]
    assert extent["AB"] == pytest.approx(haversine_km(0.5, 0.5, 1.5, 0.5), rel=1e-3)
    assert extent["D"] == 0.0
    # Without CSA codes 'auto' falls back to the distance rule: 111 km < 120 km, all merge.
    chained, _ = regional_clusters(
        notable,
        weights,
        industry,
        mapping,
        regions.drop(columns="csa_code"),
        5,
        merge_rule="auto",
        max_distance_km=400,
        isolate_distance_km=0.0,
    )
    assert len(chained) == 1


def test_unknown_merge_rule_is_a_user_error():
    with pytest.raises(UserError, match="merge_rule"):
        resolve_merge_rule("chains", pd.DataFrame({"region_id": ["A"]}))


def test_spatial_significance_summarises_members():
    regional = pd.DataFrame(
        {
            "regional_cluster_id": ["x", "y"],
            "year": np.int16(2019),
            "cluster_code": ["1", "1"],
            "region_ids": [["A", "B"], ["C"]],
        }
    )
    local = pd.DataFrame(
        {
            "year": np.int16(2019),
            "cluster_code": ["1", "1", "2"],
            "region_id": ["A", "B", "C"],
            "quadrant": ["HH", "ns", "HH"],
            "gi_star_z": [3.0, 1.0, 5.0],
        }
    )
    summary = spatial_significance(regional, local).set_index("regional_cluster_id")
    assert summary.loc["x", "hh_share"] == 0.5
    assert summary.loc["x", "mean_gi_star_z"] == 2.0
    assert np.isnan(summary.loc["y", "hh_share"])  # C was tested for cluster 2 only


# --- real data: CBP 2019 metros -------------------------------------------------------------

PROCESSED = ROOT / "data" / "processed" / "us_cbsa_2019"
SAN_JOSE, SAN_FRANCISCO, SEATTLE, BOSTON = "41940", "41860", "42660", "14460"


@pytest.mark.slow
@pytest.mark.skipif(
    not (PROCESSED / "cluster_strength.parquet").exists(), reason="run `make run` first"
)
def test_cbsa_technology_clusters_are_tech_hubs_not_headquarters():
    settings = load_settings(ROOT / "params.yaml")
    rules = settings.cluster.regional
    regions = gpd.read_parquet(PROCESSED / "regions.parquet")
    delineation = read_delineation(
        ROOT / "data" / "raw" / "us" / "cbsa_county_delineation_2020.csv"
    )
    regions["csa_code"] = regions["region_id"].map(cbsa_csa_codes(delineation))
    weights = pd.read_parquet(PROCESSED / "spatial_weights.parquet")
    employment = pd.read_parquet(PROCESSED / "employment.parquet")
    detail = employment[employment["industry_level"] == 6]
    notable = notable_pairs(
        pd.read_parquet(PROCESSED / "cluster_strength.parquet"),
        rules.min_stars,
        rules.cluster_types,
        rules.stars_lq_min,
    )
    regional, composition = regional_clusters(
        notable,
        weights,
        detail,
        pd.read_parquet(PROCESSED / "industry_clusters.parquet"),
        regions,
        rules.top_industries,
        merge_rule=rules.merge_rule,
        max_distance_km=rules.max_distance_km,
        isolate_distance_km=rules.isolate_distance_km,
    )
    # Adjacent metros merge only within one CSA (no more Richmond-to-Bridgeport chains);
    # only a metro without any neighbour may join a group by distance.
    csa = regions.set_index("region_id")["csa_code"]
    connected = set(weights.loc[weights["weight"] > 0, "focal"])
    for ids in regional.loc[regional["n_regions"] > 1, "region_ids"]:
        linked = [region for region in ids if region in connected]
        codes = set(csa.reindex(linked))
        assert len(linked) <= 1 or (len(codes) == 1 and pd.notna(next(iter(codes)))), ids
    assert regional["extent_km"].max() < 2 * 300  # the largest CSA radius is 240 km
    technology, production = label_weights(
        "naics2017", settings.label, ROOT / settings.classifications, technology_codes=()
    )
    labeller = ClusterLabeller(
        technology,
        production,
        settings.label.technology_share_min,
        settings.label.production_share_min,
        settings.label.technology_generic,
    )
    labelled = label_regional_clusters(regional, composition, labeller)
    tech = labelled[labelled["label"] == "technology"]
    assert not (tech["top_industries"].str[0] == "551114").any()
    largest = tech.nlargest(10, "employment")
    hubs = set().union(*largest["region_ids"].map(set))
    assert {SAN_JOSE, SAN_FRANCISCO, SEATTLE, BOSTON} <= hubs


def test_extents_km_equal_extent_km_per_group():
    rng = np.random.default_rng(3)
    n = 400
    group = rng.choice([f"g{i:03d}" for i in range(120)], n)
    lon, lat = rng.uniform(-120, -70, n), rng.uniform(25, 48, n)
    lon[rng.random(n) < 0.1] = np.nan
    lat[rng.random(n) < 0.05] = np.nan
    got = extents_km(group, lon, lat)
    frame = pd.DataFrame({"group": group, "lon": lon, "lat": lat})
    expected = {g: extent_km(part) for g, part in frame.groupby("group")}
    assert list(got.index) == sorted(expected)
    for g, value in expected.items():  # bit for bit, NaN where no member is located
        assert (np.isnan(value) and np.isnan(got[g])) or got[g] == value


def test_group_lists_and_selected_by_equal_groupby_lambdas():
    rng = np.random.default_rng(5)
    n = 500
    members = pd.DataFrame(
        {
            "year": rng.choice([2019, 2020], n),
            "cluster_code": rng.choice(list("abcd"), n),
            "component": rng.integers(0, 6, n),
            "region_id": [f"r{i:04d}" for i in rng.permutation(n)],
            "selected_by": rng.choice(["strong", "stars", "strong+stars"], n, p=[0.6, 0.3, 0.1]),
            "establishments": np.where(rng.random(n) < 0.3, np.nan, rng.gamma(1.0, 77.7, n)),
        }
    )
    members.loc[members["cluster_code"] == "d", "establishments"] = np.nan
    keys = ["year", "cluster_code", "component"]
    groups = members.groupby(keys, sort=True)
    expected = groups.agg(
        region_ids=("region_id", lambda r: sorted(r)),
        selected_by=("selected_by", lambda s: "+".join(sorted(set("+".join(s).split("+"))))),
        establishments=("establishments", lambda e: e.sum(min_count=1)),
    )
    sums = _sums(members, keys, "establishments", expected.index)  # bit for bit
    pd.testing.assert_series_equal(
        sums, expected["establishments"], check_exact=True, check_names=False
    )
    lists = _sorted_lists(members, keys, "region_id", expected.index)
    assert lists.tolist() == expected["region_ids"].tolist()
    assert _selected_by(members, keys).tolist() == expected["selected_by"].tolist()
    ordered = members.sort_values(["cluster_code", "region_id"], ascending=[True, False])
    top = _leading_lists(ordered, "cluster_code", "region_id", 3)
    lambdas = ordered.groupby("cluster_code")["region_id"].agg(lambda c: list(c[:3]))
    assert top.to_dict() == lambdas.to_dict()
