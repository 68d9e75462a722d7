"""Cluster strength: region x cluster employment, LQ, the strong-cluster rule and stars.

Two published rules decide which region x cluster pairs are notable:

* **Strong clusters** (US Cluster Mapping Project; Delgado, Porter & Stern 2014, *Research
  Policy* 43(10); 2016, *J. Econ. Geogr.* 16(1)): among the regions where the cluster has
  employment, a pair is strong when its LQ is at or above the cluster's 75th percentile,
  its employment and establishments are above their 25th percentiles, and LQ >= 1.
* **Stars** (European Cluster Observatory; Ketels & Protsiv 2021, *European Cluster
  Panorama*; Sölvell, Ketels & Lindqvist 2009): one star each for *size* (employment in
  the top 10 % of all region x cluster pairs), *specialisation* (LQ >= 2) and *focus*
  (the cluster's share of the region's employment in the top 10 % of all pairs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import StarRule, StrongRule
from pipeline.measures.specialization import locq


def cluster_employment(
    industry_employment: pd.DataFrame,
    industry_clusters: pd.DataFrame,
    region_totals: pd.DataFrame,
) -> pd.DataFrame:
    """Sum detailed-industry employment to region x cluster x year, with its LQ and focus.

    Parameters
    ----------
    industry_employment : DataFrame
        region_id, industry_code, year, employment, establishments at the level the
        definitions use (six-digit NAICS).
    industry_clusters : DataFrame
        industry_code, cluster_code, cluster_name, cluster_type.
    region_totals : DataFrame
        year, region_id, region_employment (the LQ denominator e_r).

    Returns
    -------
    DataFrame
        region_id, cluster_code, cluster_name, cluster_type, year, employment,
        establishments, region_employment (e_r), cluster_national (e_c),
        national_employment (E), lq = (e_rc / e_r) / (e_c / E), and focus = e_rc / e_r.
        E sums e_r over all regions, so regions without the cluster count.
    """
    mapped = industry_employment.merge(
        industry_clusters[["industry_code", "cluster_code", "cluster_name", "cluster_type"]],
        on="industry_code",
        how="inner",
    )
    keys = ["year", "region_id", "cluster_code", "cluster_name", "cluster_type"]
    # min_count=1: a cluster whose establishment counts are all unknown stays unknown (not 0),
    # so the establishment percentile of the strong rule is skipped rather than failing everywhere.
    strength = mapped.groupby(keys, observed=True, as_index=False)[
        ["employment", "establishments"]
    ].sum(min_count=1)
    strength = strength.merge(
        region_totals[["year", "region_id", "region_employment"]], on=["year", "region_id"]
    )
    national = (
        region_totals.groupby("year")["region_employment"].sum().rename("national_employment")
    )
    cluster_total = (
        strength.groupby(["year", "cluster_code"])["employment"].sum().rename("cluster_national")
    )
    strength = strength.join(national, on="year").join(cluster_total, on=["year", "cluster_code"])
    strength["lq"] = locq(
        strength["employment"],
        strength["region_employment"],
        strength["cluster_national"],
        strength["national_employment"],
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        strength["focus"] = strength["employment"] / strength["region_employment"]
    columns = [
        "region_id",
        "cluster_code",
        "cluster_name",
        "cluster_type",
        "year",
        "employment",
        "establishments",
        "region_employment",
        "cluster_national",
        "national_employment",
        "lq",
        "focus",
    ]
    return strength[columns].sort_values(["year", "cluster_code", "region_id"], ignore_index=True)


def strong_clusters(strength: pd.DataFrame, rule: StrongRule) -> pd.Series:
    """US Cluster Mapping 'strong cluster' flag for each region x cluster x year row.

    Parameters
    ----------
    strength : DataFrame
        :func:`cluster_employment` output.
    rule : StrongRule
        Percentiles and the LQ floor (params.yaml ``cluster.strong``).

    Returns
    -------
    Series of bool
        True where, among the cluster's regions with employment in that year,
        LQ >= P(lq_percentile) of LQ, employment > P(size_percentile) of employment,
        establishments > P(size_percentile) of establishments, and LQ >= lq_min.
        Percentiles use linear interpolation (numpy's default).

    Examples
    --------
    Four regions with LQs 0.5, 1.0, 2.0 and 4.0: the 75th percentile is 2.5, so only the
    region with LQ 4.0 can be strong.
    """
    present = strength["employment"] > 0
    groups = strength[present].groupby(["year", "cluster_code"])
    lq_cut = groups["lq"].transform(lambda lq: np.percentile(lq, rule.lq_percentile))
    employment_cut = groups["employment"].transform(
        lambda e: np.percentile(e, rule.size_percentile)
    )
    establishments_cut = groups["establishments"].transform(
        lambda e: np.percentile(e.dropna(), rule.size_percentile) if e.notna().any() else np.nan
    )
    sub = strength[present]
    establishments_ok = (sub["establishments"] > establishments_cut) | establishments_cut.isna()
    strong = (
        (sub["lq"] >= lq_cut)
        & (sub["employment"] > employment_cut)
        & establishments_ok
        & (sub["lq"] >= rule.lq_min)
    )
    return strong.reindex(strength.index, fill_value=False).astype(bool)


def cluster_stars(strength: pd.DataFrame, rule: StarRule) -> pd.DataFrame:
    """European Cluster Observatory stars for each region x cluster x year row.

    Parameters
    ----------
    strength : DataFrame
        :func:`cluster_employment` output.
    rule : StarRule
        params.yaml ``cluster.stars``.

    Returns
    -------
    DataFrame
        star_size, star_specialisation, star_focus (bool) and stars (0-3), index aligned
        with ``strength``. Size and focus cut-offs are the (1 - top share) quantiles of all
        pairs with employment in the same year, pooled over clusters as the Observatory does.
    """
    present = strength["employment"] > 0
    by_year = strength[present].groupby("year")
    size_cut = by_year["employment"].transform(lambda e: e.quantile(1 - rule.size_top_share))
    focus_cut = by_year["focus"].transform(lambda f: f.quantile(1 - rule.focus_top_share))
    size_cut = size_cut.reindex(strength.index)
    focus_cut = focus_cut.reindex(strength.index)
    stars = pd.DataFrame(
        {
            "star_size": present & (strength["employment"] >= size_cut),
            "star_specialisation": present & (strength["lq"] >= rule.lq_min),
            "star_focus": present & (strength["focus"] >= focus_cut),
        },
        index=strength.index,
    )
    stars["stars"] = stars.sum(axis=1).astype("int8")
    return stars


def score_clusters(
    strength: pd.DataFrame, strong_rule: StrongRule, star_rule: StarRule
) -> pd.DataFrame:
    """``strength`` with the ``strong`` flag and the star columns added."""
    scored = strength.copy()
    scored["strong"] = strong_clusters(strength, strong_rule)
    return pd.concat([scored, cluster_stars(strength, star_rule)], axis=1)
