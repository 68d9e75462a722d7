"""Strong-cluster (US Cluster Mapping) and star (European Cluster Observatory) rules."""

import numpy as np
import pandas as pd
import pytest

from pipeline.clusters.strength import (
    cluster_employment,
    cluster_stars,
    effective_lq_base,
    score_clusters,
    strong_clusters,
)
from pipeline.config import project_settings
from pipeline.errors import UserError

RULES = project_settings().cluster  # the thresholds of params.yaml


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
    assert strong_clusters(table, RULES.strong).tolist() == [False, False, False, False, True]


def test_strong_rule_needs_lq_at_least_one():
    # All LQs below 1: the top-quartile region is still not strong.
    table = _strength([0.1, 0.2, 0.3, 0.9], [100, 200, 300, 400], [5, 6, 7, 8])
    assert not strong_clusters(table, RULES.strong).any()


def test_regions_without_employment_do_not_set_percentiles():
    with_zeros = _strength(
        [0, 0, 0, 0.5, 1.0, 1.5, 2.0, 4.0],
        [0, 0, 0, 100, 200, 300, 50, 500],
        [0, 0, 0, 5, 10, 15, 2, 20],
    )
    assert with_zeros.index[strong_clusters(with_zeros, RULES.strong)].tolist() == [7]


def test_percentiles_are_per_cluster():
    table = pd.concat(
        [
            _strength([1.0, 2.0, 3.0, 4.0], [10, 20, 30, 40], [1, 2, 3, 4], cluster="1"),
            _strength([10.0, 20.0, 30.0, 40.0], [10, 20, 30, 40], [1, 2, 3, 4], cluster="2"),
        ],
        ignore_index=True,
    )
    strong = strong_clusters(table, RULES.strong)
    assert strong.tolist() == [False, False, False, True] * 2


def test_stars_hand_worked():
    # Ten pairs: the top 10 % by size and by focus is one pair each.
    lq = [0.5, 1, 1, 1, 1, 1, 1, 1, 2.5, 3]
    employment = [10, 20, 30, 40, 50, 60, 70, 80, 90, 1000]
    focus = [0.5, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09]
    stars = cluster_stars(_strength(lq, employment, [1] * 10, focus), RULES.stars)
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
    strength = cluster_employment(industry, clusters, totals, "all").set_index("region_id")
    assert strength.loc["A", "employment"] == 50
    # (50/100) / (60/400) = 10/3
    assert strength.loc["A", "lq"] == np.float64(50 / 100) / (60 / 400)
    assert strength.loc["B", "focus"] == 10 / 300


def test_unknown_establishments_do_not_block_the_strong_rule():
    # Section-level data (GB BRES, Rosstat) has no establishment counts.
    table = _strength([0.5, 1.0, 1.5, 2.0, 4.0], [100, 200, 300, 50, 500], [np.nan] * 5)
    assert strong_clusters(table, RULES.strong).tolist() == [False, False, False, False, True]


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
    assert cluster_employment(industry, clusters, totals, "all")["establishments"].isna().all()


def _three_clusters():
    """Traded A (30 jobs in r1, 10 in r2), traded B (10, 50), local L (60, 40)."""
    industry = pd.DataFrame(
        {
            "region_id": ["r1", "r1", "r1", "r2", "r2", "r2"],
            "industry_code": ["a", "b", "l", "a", "b", "l"],
            "year": np.int16(2019),
            "employment": [30.0, 10.0, 60.0, 10.0, 50.0, 40.0],
            "establishments": 1.0,
        }
    )
    clusters = pd.DataFrame(
        {
            "industry_code": ["a", "b", "l"],
            "cluster_code": ["A", "B", "L"],
            "cluster_name": ["A", "B", "L"],
            "cluster_type": ["traded", "traded", "local"],
        }
    )
    totals = pd.DataFrame(
        {"year": np.int16(2019), "region_id": ["r1", "r2"], "region_employment": [200.0, 100.0]}
    )
    return industry, clusters, totals


def test_cmp_base_traded_cluster_on_traded_employment():
    """(30 / 40) / (40 / 100) = 1.875 on traded jobs; (30 / 200) / (40 / 300) = 1.125 on all."""
    industry, clusters, totals = _three_clusters()
    cmp = cluster_employment(industry, clusters, totals, lq_base="cmp")
    cmp = cmp.set_index(["region_id", "cluster_code"])
    assert cmp.loc[("r1", "A"), "lq"] == pytest.approx(1.875)
    assert cmp.loc[("r1", "A"), "region_employment"] == 40.0
    assert cmp.loc[("r1", "A"), "national_employment"] == 100.0
    # A local cluster on local employment: (60 / 60) / (100 / 100) = 1.
    assert cmp.loc[("r1", "L"), "lq"] == pytest.approx(1.0)
    # Focus stays the share of all the region's jobs.
    assert cmp.loc[("r1", "A"), "focus"] == pytest.approx(30 / 200)
    base_all = cluster_employment(industry, clusters, totals, lq_base="all")
    base_all = base_all.set_index(["region_id", "cluster_code"])
    assert base_all.loc[("r1", "A"), "lq"] == pytest.approx((30 / 200) / (40 / 300))
    # The CMP base's traded LQs average 1 over traded jobs, weighted by traded employment.
    traded = cmp[cmp["cluster_type"] == "traded"].reset_index()
    for _, cluster in traded.groupby("cluster_code"):
        weights = cluster["region_employment"] / cluster["national_employment"]
        assert (weights * cluster["lq"]).sum() == pytest.approx(1.0)


def test_lq_base_choice_and_errors():
    industry, clusters, totals = _three_clusters()
    with pytest.raises(UserError, match="lq_base"):
        cluster_employment(industry, clusters, totals, lq_base="traded")
    assert effective_lq_base("cmp", "naics2017") == "cmp"
    assert effective_lq_base("cmp", "okved2") == "all"
    assert effective_lq_base("all", "naics2017") == "all"


def test_strict_variant_and_region_types():
    """P90 of LQs 0.5, 1, 2, 4, 8 is 6.4: only LQ 8 stays strong (P75 = 4 keeps 4 and 8)."""
    table = _strength([0.5, 1.0, 2.0, 4.0, 8.0], [50, 100, 200, 300, 400], [1, 2, 3, 4, 5])
    assert strong_clusters(table, RULES.strong).tolist() == [False, False, False, True, True]
    strict = strong_clusters(table, RULES.strong, lq_percentile=90)
    assert strict.tolist() == [False, False, False, False, True]
    scored = score_clusters(table, RULES.strong, RULES.stars)
    assert scored["strong_strict"].tolist() == strict.tolist()
    # Per region type, each type ranks its own regions: the micro area with LQ 2 now leads
    # its type (P75 of 1, 2 is 1.75), while the metros' cut rises to P75 of 0.5, 4, 8 = 6.
    typed = table.assign(region_type=["metro", "micro", "micro", "metro", "metro"])
    by_type = strong_clusters(typed, RULES.strong)
    assert by_type.tolist() == [False, False, True, False, True]


def _strong_by_transform(strength: pd.DataFrame, rule, percentile: float) -> pd.Series:
    """The strong rule as pandas groupby transforms (the former implementation)."""
    present = strength["employment"] > 0
    by = ["year", "cluster_code"] + (["region_type"] if "region_type" in strength.columns else [])
    groups = strength[present].groupby(by)
    lq_cut = groups["lq"].transform(lambda lq: np.percentile(lq, percentile))
    size = rule.size_percentile
    employment_cut = groups["employment"].transform(lambda e: np.percentile(e, size))
    establishments_cut = groups["establishments"].transform(
        lambda e: np.percentile(e.dropna(), size) if e.notna().any() else np.nan
    )
    sub = strength[present]
    ok = (sub["establishments"] > establishments_cut) | establishments_cut.isna()
    strong = (sub["lq"] >= lq_cut) & (sub["employment"] > employment_cut) & ok & (sub["lq"] >= 1.0)
    return strong.reindex(strength.index, fill_value=False).astype(bool)


def test_strong_rule_equals_groupby_transforms_on_random_panel():
    rng = np.random.default_rng(7)
    n = 3000
    strength = pd.DataFrame(
        {
            "year": rng.choice([2018, 2019, 2020], n).astype("int16"),
            "cluster_code": rng.choice([f"{c}" for c in range(1, 30)], n),
            "region_type": rng.choice(["metro", "micro", None], n),
            "employment": np.where(rng.random(n) < 0.1, 0.0, rng.gamma(2.0, 500.0, n)),
            "establishments": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 90, n)),
            "lq": np.where(rng.random(n) < 0.02, np.nan, rng.lognormal(0.0, 0.8, n)),
        }
    )
    strength.loc[strength["cluster_code"] == "3", "establishments"] = np.nan
    rule = RULES.strong
    assert rule.lq_min == 1.0
    for frame in (strength, strength.drop(columns="region_type")):
        for percentile in (rule.lq_percentile, rule.strict_lq_percentile):
            expected = _strong_by_transform(frame, rule, percentile)
            pd.testing.assert_series_equal(strong_clusters(frame, rule, percentile), expected)
