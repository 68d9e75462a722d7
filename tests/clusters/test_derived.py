"""Derived industry clusters: DPS validation scores, the estimator, selection and benchmark."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, pairwise_distances
from sklearn.utils.estimator_checks import parametrize_with_checks

from pipeline.clusters.derived import (
    IndustryClusterer,
    benchmark_agreement,
    classification_proximity,
    cluster_relatedness,
    derived_cluster_table,
    naive_lq_clusters,
    name_clusters,
    parent_code_labels,
    partition_scores,
    select_industry_clusters,
    standardised_affinity,
    vs_cluster,
    vs_industry,
)
from pipeline.errors import UserError

# Five industries, clusters A = {a1, a2}, B = {b1, b2, b3}; hand-worked below.
CODES = ["a1", "a2", "b1", "b2", "b3"]
TOY = pd.DataFrame(
    [
        [np.nan, 6.0, 1.0, 2.0, 7.0],
        [6.0, np.nan, 1.0, 1.0, 1.0],
        [1.0, 1.0, np.nan, 5.0, 4.0],
        [2.0, 1.0, 5.0, np.nan, 3.0],
        [7.0, 1.0, 4.0, 3.0, np.nan],
    ],
    index=CODES,
    columns=CODES,
)
TOY_LABELS = pd.Series(["A", "A", "B", "B", "B"], index=CODES)

# The selection grid of the tests (not params.yaml's): average linkage, rank affinity, all
# links, no size guard; agglomerative clustering seeded with 0.
GRID = {
    "methods": ["agglomerative"],
    "random_state": 0,
    "linkages": ("average",),
    "standardise": "rank",
    "n_neighbors": None,
    "max_cluster_share": 1.0,
}


def test_cluster_relatedness_block_means_by_hand():
    # W_A = r(a1,a2) = 6; W_B = mean(5, 4, 3) = 4;
    # B_AB = mean(1, 2, 7, 1, 1, 1) = 13 / 6.
    means = cluster_relatedness(TOY, TOY_LABELS)
    np.testing.assert_allclose(means, [[6.0, 13 / 6], [13 / 6, 4.0]])


def test_vs_scores_by_hand():
    # One cluster pair, W_A = 6 > 13/6 and W_B = 4 > 13/6: VS-cluster = 1.
    assert vs_cluster(TOY, TOY_LABELS) == 1.0
    # a1: own 6 vs B mean(1, 2, 7) = 10/3 -> yes; a2: 6 vs 1 -> yes;
    # b1: own mean(5, 4) = 4.5 vs A 1 -> yes; b2: mean(5, 3) = 4 vs mean(2, 1) = 1.5 -> yes;
    # b3: mean(4, 3) = 3.5 vs mean(7, 1) = 4 -> no. VS-industry = 4 / 5.
    assert vs_industry(TOY, TOY_LABELS) == pytest.approx(0.8)


def test_vs_cluster_fails_a_pair_when_either_cluster_is_weaker():
    # Move b3 to A: W_A = mean(6, 7, 1) = 14/3, W_B = 5, B_AB = mean(1, 2, 1, 1, 4, 3) = 2 -> 1.
    # Then with relatedness raised between the clusters, the pair is no longer separated.
    labels = pd.Series(["A", "A", "B", "B", "A"], index=CODES)
    assert vs_cluster(TOY, labels) == 1.0
    linked = TOY.copy()
    linked.loc["a2", ["b1", "b2"]] = linked.loc[["b1", "b2"], "a2"] = 9.0
    # B_AB = mean(1, 2, 9, 9, 4, 3) = 14/3 = W_A: not strictly greater -> 0.
    assert vs_cluster(linked, labels) == 0.0


def test_vs_scores_singletons_and_one_cluster():
    singleton = pd.Series(["A", "A", "B", "B", "C"], index=CODES)
    # C = {b3} has no within pair: its two pairs fail; A-B: W_A 6, W_B 5, B_AB = 5/4 -> 1 of 3.
    assert vs_cluster(TOY, singleton) == pytest.approx(1 / 3)
    # b3 alone cannot be closest to its own cluster; a1: 6 > max(3/2, 7) is false.
    # a2: 6 > 1 yes; b1: 5 > max(1, 4) yes; b2: 5 > max(3/2, 3) yes -> 3 / 5.
    assert vs_industry(TOY, singleton) == pytest.approx(0.6)
    assert np.isnan(vs_cluster(TOY, ["A"] * 5))
    assert np.isnan(vs_industry(TOY, ["A"] * 5))


def test_vs_scores_align_labels_by_industry_code_and_accept_arrays():
    shuffled = TOY_LABELS.iloc[[4, 0, 3, 1, 2]]
    assert vs_industry(TOY, shuffled) == vs_industry(TOY.to_numpy(), TOY_LABELS.to_numpy())
    with pytest.raises(UserError, match="not in the relatedness matrix"):
        vs_cluster(TOY, pd.Series(["A"], index=["zz"]))


def test_vs_scores_ignore_diagonal_of_ones():
    values = TOY.to_numpy(copy=True)
    np.fill_diagonal(values, 1.0)
    ones = pd.DataFrame(values, index=CODES, columns=CODES)
    assert vs_industry(ones, TOY_LABELS) == vs_industry(TOY, TOY_LABELS)
    assert vs_cluster(ones, TOY_LABELS) == vs_cluster(TOY, TOY_LABELS)


def test_standardised_affinity_rank_and_minmax():
    # Off-diagonal links 6,1,2,7,1,1,1,5,4,3: 7 has rank 10 -> 1; the four 1s share the average
    # rank 2.5 -> (2.5 - 1) / 9.
    rank = standardised_affinity(TOY.to_numpy(), standardise="rank")
    assert rank[0, 4] == 1.0 and rank[0, 2] == pytest.approx(1.5 / 9)
    np.testing.assert_allclose(rank, rank.T)
    np.testing.assert_allclose(np.diag(rank), 1.0)
    minmax = standardised_affinity(TOY.to_numpy(), standardise="minmax")
    assert minmax[2, 3] == pytest.approx((5 - 1) / (7 - 1))
    # Rank standardisation depends on the order of the links only.
    np.testing.assert_allclose(
        standardised_affinity(np.exp(TOY.to_numpy()), standardise="rank"), rank
    )


# --------------------------------------------------------------------------- estimator

ESTIMATORS = [
    IndustryClusterer(method="agglomerative", linkage="average", random_state=0),
    IndustryClusterer(method="agglomerative", linkage="ward", random_state=0),
    IndustryClusterer(method="spectral", random_state=0),
    IndustryClusterer(method="kmeans", random_state=0),
]
# check_clustering fits raw (n, 2) features, which a precomputed-square estimator rightly
# rejects; test_check_clustering_on_pairwise_input runs the same assertions on the square input.
SQUARE_ONLY = {
    "check_clustering": "fits (n_samples, 2) features; X must be a square relatedness matrix"
}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda estimator: SQUARE_ONLY)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: f"{e.method}-{e.linkage}")
def test_check_clustering_on_pairwise_input(estimator):
    # sklearn's check_clustering on the blobs, given as relatedness = minus the distance.
    features, truth = make_blobs(n_samples=50, random_state=1)
    relatedness = -pairwise_distances(features)
    clusterer = clone(estimator).set_params(n_clusters=3)
    labels = clusterer.fit(relatedness).labels_
    assert labels.shape == (50,) and labels.dtype == np.int64
    assert adjusted_rand_score(truth, labels) > 0.4
    np.testing.assert_array_equal(clone(clusterer).fit_predict(relatedness), labels)
    np.testing.assert_array_equal(np.unique(labels), np.arange(clusterer.n_clusters_))
    assert clusterer.fit(relatedness.tolist()).labels_.shape == (50,)


def test_estimator_rejects_bad_input():
    with pytest.raises(ValueError, match="square"):
        IndustryClusterer(n_clusters=2).fit(np.ones((4, 3)))
    with pytest.raises(ValueError, match="method"):
        IndustryClusterer(n_clusters=2, method="dbscan").fit(TOY)
    with pytest.raises(ValueError, match="n_clusters"):
        IndustryClusterer(n_clusters=9).fit(TOY)


def planted_partition(
    n_clusters: int = 6, size: int = 12, gap: float = 1.0, noise: float = 0.5, seed: int = 3
) -> tuple[pd.DataFrame, np.ndarray]:
    """Planted partition: relatedness = gap inside a block, 0 between blocks, plus N(0, noise^2)
    on every link (a continuous stochastic block model)."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(n_clusters), size)
    same = truth[:, None] == truth[None, :]
    relatedness = np.triu(np.where(same, gap, 0.0) + noise * rng.standard_normal(same.shape), 1)
    relatedness = relatedness + relatedness.T
    np.fill_diagonal(relatedness, np.nan)
    codes = [f"{i:06d}" for i in range(len(truth))]
    return pd.DataFrame(relatedness, index=codes, columns=codes), truth


@pytest.mark.parametrize("method", ["agglomerative", "spectral", "kmeans"])
def test_planted_partition_is_recovered(method):
    relatedness, truth = planted_partition()
    labels = IndustryClusterer(n_clusters=6, method=method, random_state=0).fit(relatedness).labels_
    assert adjusted_rand_score(truth, labels) > 0.9


def test_selection_finds_planted_count_by_vs_scores():
    relatedness, truth = planted_partition()
    labels, scores = select_industry_clusters(
        relatedness,
        [3, 4, 6, 8, 10],
        **{**GRID, "methods": ["agglomerative", "spectral", "kmeans"]},
    )
    chosen = scores.loc[scores["selected"]].iloc[0]
    assert chosen["n_clusters"] == 6
    assert adjusted_rand_score(truth, labels.to_numpy()) > 0.9
    assert len(scores) == 15 and scores["selected"].sum() == 1
    assert labels.index.equals(relatedness.index)
    assert set(scores.columns) >= {"method", "n_clusters", "vs_cluster", "vs_industry", "criterion"}
    # The planted partition scores at least as well as the chosen one.
    assert partition_scores(relatedness, truth)["criterion"] >= chosen["criterion"] - 0.05


def test_selection_size_guard_and_errors():
    relatedness, _ = planted_partition()
    _, scores = select_industry_clusters(relatedness, [2, 6], **{**GRID, "max_cluster_share": 0.3})
    assert not scores.loc[scores["n_clusters"] == 2, "eligible"].any()
    with pytest.raises(UserError, match="max_cluster_share"):
        select_industry_clusters(relatedness, [2], **{**GRID, "max_cluster_share": 0.1})
    with pytest.raises(UserError, match="unknown method"):
        select_industry_clusters(relatedness, [6], **{**GRID, "methods": ["dbscan"]})
    with pytest.raises(UserError, match="n_clusters"):
        select_industry_clusters(relatedness, [500], **GRID)


# --------------------------------------------------------------------------- benchmark, names, baselines


def test_benchmark_agreement_on_common_industries():
    derived = pd.Series([0, 0, 1, 1, 2], index=["1", "2", "3", "4", "9"])
    benchmark = pd.Series(["x", "x", "y", "y", "z"], index=["1", "2", "3", "4", "5"])
    agreement = benchmark_agreement(derived, benchmark)
    assert agreement["n_industries"] == 4
    assert agreement["ari"] == 1.0 and agreement["nmi"] == pytest.approx(1.0)
    split = benchmark_agreement(pd.Series([0, 1, 2, 3], index=["1", "2", "3", "4"]), benchmark)
    assert split["ari"] == 0.0


def test_name_clusters_and_table():
    labels = pd.Series([0, 0, 0, 1], index=["111", "222", "333", "444"])
    employment = pd.Series({"111": 5.0, "222": 50.0, "333": 20.0, "444": 1.0})
    titles = pd.Series({"222": "Widgets", "333": "Gadgets"})
    names = name_clusters(labels, employment, titles, top_industries=2)
    assert names.to_dict() == {0: "Widgets; Gadgets", 1: "444"}
    table = derived_cluster_table(labels, employment, titles, top_industries=1)
    assert list(table.columns) == [
        "industry_code",
        "cluster_code",
        "cluster_name",
        "cluster_type",
        "method",
    ]
    assert table.set_index("industry_code")["cluster_code"].to_dict() == {
        "111": "D01",
        "222": "D01",
        "333": "D01",
        "444": "D02",
    }
    assert set(table["method"]) == {"derived"}


def test_baselines():
    codes = ["311111", "311119", "312111", "325411"]
    assert parent_code_labels(codes, 3).tolist() == ["311", "311", "312", "325"]
    proximity = classification_proximity(codes, digits=(3, 4))
    assert proximity.loc["311111", "311119"] == 1.0
    assert proximity.loc["311111", "312111"] == 0.0
    assert np.isnan(proximity.loc["325411", "325411"])
    rng = np.random.default_rng(0)
    base = rng.random((30, 2))
    lq = pd.DataFrame(
        np.column_stack([base[:, 0], base[:, 0] * 2, base[:, 1], base[:, 1] + 1]), columns=codes
    )
    assert adjusted_rand_score([0, 0, 1, 1], naive_lq_clusters(lq, 2)) == 1.0


# --------------------------------------------------------------------------- real data: ARI guard

ROOT = Path(__file__).resolve().parents[2]
VALIDATION = ROOT / "data" / "interim" / "us_cbsa_2019" / "industry_cluster_validation.json"
DERIVED = ROOT / "data" / "interim" / "us_cbsa_2019" / "derived_clusters.parquet"
ARI_FLOOR = 0.55  # measured 0.576 with the params.yaml defaults; three-digit NAICS scores 0.498


@pytest.fixture(scope="module")
def us_validation() -> dict:
    """What the relate stage (dvc repro) measured on the default dataset."""
    if not VALIDATION.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{VALIDATION} missing: make test runs dvc repro first")
        pytest.skip("data/interim/us_cbsa_2019 is not built (run dvc repro)")
    return json.loads(VALIDATION.read_text())


@pytest.mark.slow
def test_derived_clusters_agree_with_dps_benchmark(us_validation):
    derived = us_validation["partitions"]["derived"]
    assert derived["n_industries"] > 600
    # The regression guard: clearly above the three-digit NAICS grouping, never below the floor.
    assert derived["ari"] >= ARI_FLOOR
    assert derived["ari"] > us_validation["partitions"]["parent_3_digit"]["ari"]
    assert derived["ari"] > 5 * us_validation["partitions"]["naive_lq_correlation"]["ari"]
    # The product chose by VS scores: the derived set scores at least the benchmark's VS.
    assert derived["criterion"] >= us_validation["partitions"]["benchmark"]["criterion"]
    table = pd.read_parquet(DERIVED)
    assert table["cluster_name"].notna().all() and table["cluster_code"].str.match(r"D\d+").all()
    assert (table["method"] == "derived").all()
