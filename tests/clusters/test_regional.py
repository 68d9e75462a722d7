"""Regional clusters: notable pairs merged across adjacent regions."""

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from pipeline.clusters.regional import contiguous_groups, notable_pairs, regional_clusters


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
    notable = notable_pairs(_scored(), min_stars=2, cluster_types=["traded"])
    assert sorted(notable["region_id"]) == ["A", "B", "C", "D"]  # not F: LQ 1/6
    assert notable.set_index("region_id").loc["D", "selected_by"] == "stars"


def test_regional_clusters_merge_adjacent_regions():
    scored = _scored()
    notable = notable_pairs(scored, min_stars=2, cluster_types=["traded"])
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
        notable, weights, industry, mapping, regions, top_industries=2
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
