"""Specialisation regions: contiguity-constrained Ward grouping of cluster-LQ profiles."""

import os
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from pipeline.clusters.region_groups import (
    RegionGrouper,
    cluster_profiles,
    contiguity_graph,
    dominant_clusters,
    group_count_range,
    group_regions,
    is_contiguous,
    kmeans_groups,
)
from pipeline.config import load_settings, project_settings
from pipeline.errors import UserError
from pipeline.tables import TABLES

PARAMS_GROUPS = project_settings().region_groups

ROOT = Path(__file__).resolve().parents[2]
PROCESSED = ROOT / "data" / "processed"
IN_CI = os.environ.get("CI") == "true"
RNG_SEED = 7
# The profiles of the tests (not params.yaml's): log(1 + LQ) of traded clusters, unscaled.
LOG_LQ = {"cluster_types": ("traded",), "transform": "log_lq", "standardise": False}


def grid_adjacency(rows: int, columns: int) -> sparse.csr_matrix:
    """Rook contiguity of a rows x columns grid, cells numbered row by row."""
    index = np.arange(rows * columns).reshape(rows, columns)
    pairs = [(index[r, c], index[r, c + 1]) for r in range(rows) for c in range(columns - 1)]
    pairs += [(index[r, c], index[r + 1, c]) for r in range(rows - 1) for c in range(columns)]
    a, b = np.array(pairs).T
    n = rows * columns
    matrix = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return (matrix + matrix.T).tocsr()


def planted_strips(n_strips: int, rows: int = 6, width: int = 3, noise: float = 0.05):
    """Vertical strips of a grid, each with its own profile (three clusters) plus noise."""
    rng = np.random.default_rng(RNG_SEED)
    columns = n_strips * width
    strip = np.tile(np.arange(columns) // width, rows)
    centres = rng.normal(scale=2.0, size=(n_strips, 3))
    profile = centres[strip] + rng.normal(scale=noise, size=(len(strip), 3))
    return profile, grid_adjacency(rows, columns), strip


@pytest.mark.parametrize("scoring", ["silhouette", "calinski_harabasz"])
@pytest.mark.parametrize("n_strips", [2, 3, 4])
def test_planted_blocks_are_found_and_their_number_chosen(scoring, n_strips):
    profile, adjacency, strip = planted_strips(n_strips)
    grouper = RegionGrouper(n_groups=(2, 8), connectivity=adjacency, scoring=scoring)
    grouper.fit(profile)
    assert grouper.n_groups_ == n_strips
    assert adjusted_rand_score(strip, grouper.labels_) == 1.0
    assert is_contiguous(grouper.labels_, adjacency)
    assert list(grouper.scores_["n_groups"]) == list(range(2, 9))


def test_same_profile_apart_is_two_groups():
    """Two non-adjacent blocks with one profile and a block between them with another."""
    # a 6 x 3 grid: columns 0 and 2 share a profile, column 1 differs
    adjacency = grid_adjacency(6, 3)
    column = np.tile(np.arange(3), 6)
    profile = np.where(column == 1, 5.0, 0.0)[:, None] + 0.01 * column[:, None]
    grouper = RegionGrouper(n_groups=(2, 4), connectivity=adjacency).fit(profile)
    assert grouper.n_groups_ == 3  # the outer columns cannot join across the middle
    assert adjusted_rand_score(column, grouper.labels_) == 1.0
    unconstrained = RegionGrouper(n_groups=2).fit(profile)
    assert not is_contiguous(unconstrained.labels_, adjacency)


def test_isolate_stays_alone_even_with_a_twin_profile():
    profile, adjacency, strip = planted_strips(2)
    twin = profile[:1]  # the isolate has exactly the profile of region 0
    profile = np.vstack([profile, twin])
    n = adjacency.shape[0]
    adjacency = sparse.block_diag([adjacency, sparse.csr_matrix((1, 1))]).tocsr()
    grouper = RegionGrouper(n_groups=(2, 6), connectivity=adjacency).fit(profile)
    assert grouper.n_isolates_ == 1
    assert grouper.n_groups_ == 2  # the isolate is not counted
    for labels in grouper.labels_by_k_.values():
        assert (labels == labels[n]).sum() == 1
        assert is_contiguous(labels, adjacency)
    assert adjusted_rand_score(strip, grouper.labels_[:n]) == 1.0


def test_components_are_never_merged_although_sklearn_would():
    """Two separate chains with the same profiles: sklearn completes the graph and merges them."""
    chain = sparse.diags([np.ones(4), np.ones(4)], [1, -1], shape=(5, 5))
    adjacency = sparse.block_diag([chain, chain]).tocsr()
    profile = np.array([[0.0], [0.1], [0.2], [3.0], [3.1]] * 2)
    grouper = RegionGrouper(n_groups=(1, 4), connectivity=adjacency).fit(profile)
    assert grouper.n_components_ == 2
    assert min(grouper.labels_by_k_) == 2  # at least one group per component
    for labels in grouper.labels_by_k_.values():
        assert is_contiguous(labels, adjacency)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Completing it to avoid stopping the tree early"
        completed = AgglomerativeClustering(n_clusters=2, connectivity=adjacency).fit(profile)
    assert not is_contiguous(completed.labels_, adjacency)


def test_equals_sklearn_on_a_connected_real_graph():
    """One connected component: every cut is sklearn's AgglomerativeClustering's."""
    strength, weights, _ = _published("gb_nuts2_2015_2022")
    profile = cluster_profiles(strength, 2022, **LOG_LQ)
    graph = contiguity_graph(weights, profile.index)
    grouper = RegionGrouper(n_groups=(2, 12), connectivity=graph.sparse).fit(profile.to_numpy())
    assert grouper.n_components_ == 1
    for k in (2, 5, 9, 12):
        expected = AgglomerativeClustering(n_clusters=k, connectivity=graph.sparse).fit(
            profile.to_numpy()
        )
        assert adjusted_rand_score(expected.labels_, grouper.labels_by_k_[k]) == 1.0


@parametrize_with_checks([RegionGrouper(), RegionGrouper(n_groups=3, linkage="average")])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def test_is_contiguous_hand_made():
    adjacency = grid_adjacency(2, 2)  # 0-1 / 2-3, rook
    assert is_contiguous([0, 0, 1, 1], adjacency)
    assert not is_contiguous([0, 1, 1, 0], adjacency)  # diagonal cells do not touch
    assert is_contiguous([0, 1, 2, 3], adjacency)


def test_group_count_range_caps():
    assert group_count_range((5, 40), 40, min_mean_size=3.0) == (5, 13)
    assert group_count_range((40, 5), 1000, min_mean_size=1.0) == (5, 40)
    assert group_count_range(4, 2, min_mean_size=1.0) == (2, 2)


def test_profiles_fill_absent_cells_and_transform():
    strength = pd.DataFrame(
        {
            "region_id": ["A", "A", "B", "C", "C"],
            "year": 2019,
            "cluster_code": ["1", "2", "1", "1", "3"],
            "cluster_type": ["traded", "traded", "traded", "traded", "local"],
            "employment": [10.0, 30.0, 5.0, 2.0, 50.0],
            "lq": [1.0, 3.0, np.nan, 0.5, 4.0],
        }
    )
    logged = cluster_profiles(strength, 2019, **LOG_LQ)
    assert logged.index.tolist() == ["A", "B", "C"]
    assert logged.columns.tolist() == ["1", "2"]  # local cluster 3 left out
    assert logged.loc["A", "2"] == pytest.approx(np.log(4.0))
    assert logged.loc["B", "2"] == 0.0  # absent cell: LQ 0
    # B's suppressed LQ is the column mean of log(1 + LQ) over A and C
    assert logged.loc["B", "1"] == pytest.approx((np.log(2.0) + np.log(1.5)) / 2)
    standardised = cluster_profiles(strength, 2019, **{**LOG_LQ, "standardise": True})
    assert standardised.mean().abs().max() < 1e-12
    with pytest.raises(UserError, match="transform"):
        cluster_profiles(strength, 2019, **{**LOG_LQ, "transform": "raw"})
    with pytest.raises(UserError, match="cluster_types"):
        cluster_profiles(strength, 2019, **{**LOG_LQ, "cluster_types": ("none",)})


def test_dominant_clusters_rank_by_excess_jobs():
    strength = pd.DataFrame(
        {
            "region_id": ["A", "A", "A", "B", "B", "B"],
            "year": 2019,
            "cluster_code": ["1", "2", "3"] * 2,
            "cluster_name": ["Automotive", "Jewelry", "Finance"] * 2,
            "cluster_type": "traded",
            "employment": [300.0, 10.0, 50.0, 100.0, 0.0, 50.0],
            "region_employment": 1000.0,
            "cluster_national": [10000.0, 50.0, 10000.0] * 2,
            "national_employment": 100000.0,
        }
    )
    # group of A and B: E_g = 2000; Automotive 400 jobs vs 200 expected (excess 200, LQ 2);
    # Jewelry 10 vs 1 expected (excess 9, LQ 10); Finance 100 vs 200 (LQ 0.5, not listed)
    table = dominant_clusters(
        strength, 2019, pd.Series({"A": 0, "B": 0}), cluster_types=("traded",), top=3
    )
    row = table.iloc[0]
    assert row["dominant_cluster_names"] == ["Automotive", "Jewelry"]
    assert row["dominant_cluster_lqs"] == [2.0, 10.0]
    assert row["dominant_cluster_excess"] == [200.0, 9.0]
    assert row["group_employment"] == 2000.0


def test_kmeans_finds_planted_k():
    profile, _, strip = planted_strips(4)
    labels, scores = kmeans_groups(
        profile,
        (2, 8),
        score="silhouette",
        random_state=0,
        n_init=10,
        min_mean_size=1.0,
        max_group_share=1.0,
    )
    assert adjusted_rand_score(strip, labels) == 1.0
    assert scores.loc[scores["silhouette"].idxmax(), "n_groups"] == 4


def test_settings_reject_unknown_choices():
    with pytest.raises(UserError, match="region_groups.score"):
        replace(PARAMS_GROUPS, score="aic")
    with pytest.raises(UserError, match="region_groups.n_groups"):
        replace(PARAMS_GROUPS, n_groups=(0, 5))
    assert replace(PARAMS_GROUPS, n_groups=7).n_groups == (7,)


def _published(dataset: str):
    folder = PROCESSED / dataset
    names = ["cluster_strength.parquet", "spatial_weights.parquet", "regions.parquet"]
    if not all((folder / name).exists() for name in names):
        if IN_CI:
            pytest.fail(f"{folder}: tables missing; `make test` builds them first")
        pytest.skip(f"{folder}: run `make run` first to build the tables")
    import geopandas as gpd

    return (
        pd.read_parquet(folder / names[0]),
        pd.read_parquet(folder / names[1]),
        gpd.read_parquet(folder / names[2]),
    )


_GROUPED: dict[str, tuple] = {}


def _grouped(dataset: str):
    """group_regions of every year with the project's params (KMeans with one start)."""
    if dataset not in _GROUPED:
        strength, weights, regions = _published(dataset)
        settings = replace(
            load_settings(ROOT / "params.yaml").region_groups, years="all", kmeans_n_init=1
        )
        _GROUPED[dataset] = (strength, weights, regions, settings) + group_regions(
            strength, weights, regions, settings
        )
    return _GROUPED[dataset]


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["us_cbsa_2019", "gb_nuts2_2015_2022"])
def test_every_group_is_contiguous_on_real_data(dataset):
    strength, weights, regions, settings, table, metrics = _grouped(dataset)
    assert set(metrics) == {str(year) for year in strength["year"].unique()}
    for year, rows in table.groupby("year"):
        rows = rows.sort_values("region_id")
        graph = contiguity_graph(weights, rows["region_id"])
        assert is_contiguous(pd.factorize(rows["group_id"])[0], graph)
        assert rows["region_id"].is_unique
        assert set(rows["region_id"]) == set(strength.loc[strength["year"] == year, "region_id"])
        isolated = set(graph.isolates)
        alone = rows.loc[rows["region_id"].isin(isolated), "group_regions"]
        assert (alone == 1).all()
        scores = metrics[str(year)]
        assert scores["ward"]["contiguous"]
        assert scores["ward"]["groups_with_isolates"] == rows["group_id"].nunique()
        assert scores["isolates"] == len(isolated)
        assert all(s["n_groups"] <= max(settings.n_groups) for s in scores["ward"]["scores"])
    assert table.crs == regions.crs
    assert list(table.columns) == list(TABLES["region_groups.parquet"].columns)


@pytest.mark.slow
def test_great_lakes_automotive_group_on_metros():
    """On CBP 2019 metros, Detroit and its neighbours form a group led by Automotive."""
    table = _grouped("us_cbsa_2019")[4]
    detroit = table[table["name"].str.startswith("Detroit-")].iloc[0]
    assert detroit["dominant_cluster_names"][0] == "Automotive"
    members = set(table.loc[table["group_id"] == detroit["group_id"], "name"])
    assert {"Grand Rapids-Kentwood, MI", "Toledo, OH"} <= members
