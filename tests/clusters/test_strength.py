"""Strong-cluster (US Cluster Mapping) and star (European Cluster Observatory) rules."""

import numpy as np
import pandas as pd

from pipeline.clusters.strength import cluster_employment, cluster_stars, strong_clusters
from pipeline.config import StarRule, StrongRule


def _strength(lq, employment, establishments, focus=None, cluster="1") -> pd.DataFrame:
    n = len(lq)
    return pd.DataFrame(
        {
            "region_id": [f"R{i}" for i in range(n)],
            "cluster_code": cluster,
            "year": np.int16(2019),
            "employment": np.asarray(employment, dtype=float),
            "establishments": np.asarray(establishments, dtype=float),
            "lq": np.asarray(lq, dtype=float),
            "focus": np.asarray(focus if focus is not None else [0.01] * n, dtype=float),
        }
    )


def test_strong_rule_hand_worked():
    # P75 of LQ [0.5, 1, 1.5, 2, 4] = 2.0; P25 of employment = 100; P25 of establishments = 5.
    # R3 (LQ 2) is too small (50 <= 100); only R4 (LQ 4, 500 jobs, 20 plants) is strong.
    table = _strength([0.5, 1.0, 1.5, 2.0, 4.0], [100, 200, 300, 50, 500], [5, 10, 15, 2, 20])
    assert strong_clusters(table, StrongRule()).tolist() == [False, False, False, False, True]


def test_strong_rule_needs_lq_at_least_one():
    # All LQs below 1: the top-quartile region is still not strong.
    table = _strength([0.1, 0.2, 0.3, 0.9], [100, 200, 300, 400], [5, 6, 7, 8])
    assert not strong_clusters(table, StrongRule()).any()


def test_regions_without_employment_do_not_set_percentiles():
    with_zeros = _strength(
        [0, 0, 0, 0.5, 1.0, 1.5, 2.0, 4.0],
        [0, 0, 0, 100, 200, 300, 50, 500],
        [0, 0, 0, 5, 10, 15, 2, 20],
    )
    assert with_zeros.index[strong_clusters(with_zeros, StrongRule())].tolist() == [7]


def test_percentiles_are_per_cluster():
    table = pd.concat(
        [
            _strength([1.0, 2.0, 3.0, 4.0], [10, 20, 30, 40], [1, 2, 3, 4], cluster="1"),
            _strength([10.0, 20.0, 30.0, 40.0], [10, 20, 30, 40], [1, 2, 3, 4], cluster="2"),
        ],
        ignore_index=True,
    )
    strong = strong_clusters(table, StrongRule())
    assert strong.tolist() == [False, False, False, True] * 2


def test_stars_hand_worked():
    # Ten pairs: the top 10 % by size and by focus is one pair each.
    lq = [0.5, 1, 1, 1, 1, 1, 1, 1, 2.5, 3]
    employment = [10, 20, 30, 40, 50, 60, 70, 80, 90, 1000]
    focus = [0.5, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09]
    stars = cluster_stars(_strength(lq, employment, [1] * 10, focus), StarRule())
    assert stars["star_size"].tolist() == [False] * 9 + [True]
    assert stars["star_focus"].tolist() == [True] + [False] * 9
    assert stars["star_specialisation"].tolist() == [False] * 8 + [True, True]
    assert stars["stars"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 1, 2]


def test_cluster_employment_sums_industries_and_computes_lq():
    industry = pd.DataFrame(
        {
            "region_id": ["A", "A", "B"],
            "industry_code": ["111111", "222222", "111111"],
            "year": np.int16(2019),
            "employment": [30.0, 20.0, 10.0],
            "establishments": [3.0, 2.0, 1.0],
        }
    )
    clusters = pd.DataFrame(
        {
            "industry_code": ["111111", "222222"],
            "cluster_code": ["1", "1"],
            "cluster_name": "One",
            "cluster_type": "traded",
        }
    )
    totals = pd.DataFrame(
        {"year": np.int16(2019), "region_id": ["A", "B"], "region_employment": [100.0, 300.0]}
    )
    strength = cluster_employment(industry, clusters, totals).set_index("region_id")
    assert strength.loc["A", "employment"] == 50
    # (50/100) / (60/400) = 10/3
    assert strength.loc["A", "lq"] == np.float64(50 / 100) / (60 / 400)
    assert strength.loc["B", "focus"] == 10 / 300


def test_unknown_establishments_do_not_block_the_strong_rule():
    # Section-level data (GB BRES, Rosstat) has no establishment counts.
    table = _strength([0.5, 1.0, 1.5, 2.0, 4.0], [100, 200, 300, 50, 500], [np.nan] * 5)
    assert strong_clusters(table, StrongRule()).tolist() == [False, False, False, False, True]


def test_cluster_employment_keeps_unknown_establishments_unknown():
    industry = pd.DataFrame(
        {
            "region_id": ["A"],
            "industry_code": ["C"],
            "year": np.int16(2019),
            "employment": [30.0],
            "establishments": [np.nan],
        }
    )
    clusters = pd.DataFrame(
        {
            "industry_code": ["C"],
            "cluster_code": ["C"],
            "cluster_name": "Mfg",
            "cluster_type": "traded",
        }
    )
    totals = pd.DataFrame(
        {"year": np.int16(2019), "region_id": ["A"], "region_employment": [100.0]}
    )
    assert cluster_employment(industry, clusters, totals)["establishments"].isna().all()
