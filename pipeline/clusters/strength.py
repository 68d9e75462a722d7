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

The cluster LQ's base (``cluster.lq_base``, :data:`LQ_BASES`):

* ``cmp`` (default for the US benchmark clusters): the US Cluster Mapping convention. A
  traded cluster's LQ compares its share of the region's *traded* employment with its
  share of US traded employment, a local cluster's the same on *local* employment:

      LQ_rc = (e_rc / T_r) / (e_c / T),   T_r = sum of e_rc' over clusters c' of c's type

  (Delgado, Porter & Stern 2016, *J. Econ. Geogr.* 16(1) 1-38, section 4; US Cluster
  Mapping Project, "Methodology", clustermapping.us/content/cluster-mapping-methodology:
  "the location quotient of a traded cluster is computed relative to traded employment").
  The strong rule is then applied within each region type (the CMP ranks states, economic
  areas and metros separately; pass a ``region_type`` column to do the same, e.g. metro vs
  micro), and the CMP's stricter variant takes the 90th LQ percentile
  (``strong_strict``, params ``cluster.strong.strict_lq_percentile``).
* ``all``: the region's all-industry total (the industry-level LQ of
  :func:`pipeline.measures.specialization.location_quotients`); also what non-NAICS
  classifications use, whose clusters have no traded/local split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.config import StarRule, StrongRule
from pipeline.errors import UserError
from pipeline.measures.specialization import locq

LQ_BASES = ("cmp", "all")


def effective_lq_base(lq_base: str, classification: str) -> str:
    """The LQ base used for a classification: ``cmp`` applies to the NAICS benchmark clusters.

    Examples
    --------
    >>> effective_lq_base("cmp", "naics2017"), effective_lq_base("cmp", "nace_r2")
    ('cmp', 'all')
    """
    if lq_base not in LQ_BASES:
        raise UserError(f"params.yaml: cluster.lq_base is '{lq_base}'; use one of cmp, all")
    return lq_base if str(classification).startswith("naics") else "all"


def cluster_employment(
    industry_employment: pd.DataFrame,
    industry_clusters: pd.DataFrame,
    region_totals: pd.DataFrame,
    lq_base: str,
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
        year, region_id, region_employment (the all-industry total; the LQ denominator e_r
        with ``lq_base='all'``), optionally region_type.
    lq_base : {'all', 'cmp'}
        'all': e_r is the region's all-industry total. 'cmp': e_r is the region's employment
        in all clusters of the same type (traded or local), the US Cluster Mapping
        convention (see the module docstring).

    Returns
    -------
    DataFrame
        region_id, cluster_code, cluster_name, cluster_type, year, employment,
        establishments, region_employment (e_r), cluster_national (e_c),
        national_employment (E), lq = (e_rc / e_r) / (e_c / E), and focus = e_rc / e_r
        (always on the all-industry total); region_type when ``region_totals`` has it.
        E sums e_r over all regions, so regions without the cluster count.

    Examples
    --------
    Traded clusters A (30 jobs in r1, 10 in r2) and B (10, 50), local cluster L (60, 40):
    with ``lq_base='cmp'`` A's LQ in r1 is (30 / 40) / (40 / 100) = 1.875.
    """
    if lq_base not in LQ_BASES:
        raise UserError(f"params.yaml: cluster.lq_base is '{lq_base}'; use one of cmp, all")
    strength = _sum_by_cluster(
        industry_employment,
        industry_clusters[["industry_code", "cluster_code", "cluster_name", "cluster_type"]],
    )
    extra = ["region_type"] if "region_type" in region_totals.columns else []
    strength = strength.merge(
        region_totals[["year", "region_id", "region_employment", *extra]],
        on=["year", "region_id"],
    )
    all_industries = strength["region_employment"]
    if lq_base == "cmp":
        # e_r: the region's employment in every cluster of the same type; E: its US sum.
        by_type = strength.groupby(["year", "region_id", "cluster_type"], observed=True)
        strength["region_employment"] = by_type["employment"].transform("sum")
        national = (
            strength.drop_duplicates(["year", "region_id", "cluster_type"])
            .groupby(["year", "cluster_type"], observed=True)["region_employment"]
            .sum()
            .rename("national_employment")
        )
        strength = strength.join(national, on=["year", "cluster_type"])
    else:
        national = (
            region_totals.groupby("year")["region_employment"].sum().rename("national_employment")
        )
        strength = strength.join(national, on="year")
    cluster_total = (
        strength.groupby(["year", "cluster_code"])["employment"].sum().rename("cluster_national")
    )
    strength = strength.join(cluster_total, on=["year", "cluster_code"])
    strength["lq"] = locq(
        strength["employment"],
        strength["region_employment"],
        strength["cluster_national"],
        strength["national_employment"],
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        strength["focus"] = strength["employment"] / all_industries
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
        *extra,
    ]
    return strength[columns].sort_values(["year", "cluster_code", "region_id"], ignore_index=True)


CLUSTER_KEYS = ["cluster_code", "cluster_name", "cluster_type"]


def _sum_by_cluster(industry_employment: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """employment and establishments summed by year, region_id and cluster (CLUSTER_KEYS).

    The inner merge of the rows with their cluster, then a sorted groupby ``sum`` with
    ``min_count=1`` (a cluster whose establishment counts are all unknown stays unknown,
    not 0, so the establishment percentile of the strong rule is skipped rather than
    failing everywhere). When each industry has one cluster (with no null key) the rows
    get an integer cluster number instead of three string columns: numbered in sorted
    order of the keys, so the groups, their order and their row order (hence the sums,
    bit for bit) are the merge's, on a few hundred MB less for a national panel.
    """
    values = ["employment", "establishments"]
    if not clusters["industry_code"].is_unique or clusters[CLUSTER_KEYS].isna().any().any():
        mapped = industry_employment.merge(clusters, on="industry_code", how="inner")
        keys = ["year", "region_id", *CLUSTER_KEYS]
        return mapped.groupby(keys, observed=True, as_index=False)[values].sum(min_count=1)
    combos = clusters[CLUSTER_KEYS].drop_duplicates().sort_values(CLUSTER_KEYS)
    combo_of = pd.Series(np.arange(len(combos)), index=pd.MultiIndex.from_frame(combos))
    cluster_number = combo_of.reindex(pd.MultiIndex.from_frame(clusters[CLUSTER_KEYS])).to_numpy()
    codes, uniques = pd.factorize(industry_employment["industry_code"])
    lookup = pd.Index(clusters["industry_code"]).get_indexer(uniques)
    number_of_unique = np.where(lookup >= 0, cluster_number[lookup], -1)
    number = np.where(codes >= 0, number_of_unique[codes], -1)
    kept = number >= 0
    mapped = industry_employment.loc[kept, ["year", "region_id", *values]]
    mapped["cluster"] = number[kept]
    summed = mapped.groupby(["year", "region_id", "cluster"], observed=True, as_index=False)[
        values
    ].sum(min_count=1)
    named = combos.iloc[summed["cluster"].to_numpy()].reset_index(drop=True)
    summed = summed.drop(columns="cluster")
    for position, key in enumerate(CLUSTER_KEYS, start=2):
        summed.insert(position, key, named[key].to_numpy())
    return summed


def strong_clusters(
    strength: pd.DataFrame, rule: StrongRule, lq_percentile: float | None = None
) -> pd.Series:
    """US Cluster Mapping 'strong cluster' flag for each region x cluster x year row.

    Parameters
    ----------
    strength : DataFrame
        :func:`cluster_employment` output.
    rule : StrongRule
        Percentiles and the LQ floor (params.yaml ``cluster.strong``).
    lq_percentile : float, optional
        Overrides ``rule.lq_percentile`` (the CMP's strict variant uses 90).

    Returns
    -------
    Series of bool
        True where, among the cluster's regions with employment in that year (and of the
        same ``region_type`` when the table has that column),
        LQ >= P(lq_percentile) of LQ, employment > P(size_percentile) of employment,
        establishments > P(size_percentile) of establishments, and LQ >= lq_min.
        Percentiles use linear interpolation (numpy's default).

    Examples
    --------
    Four regions with LQs 0.5, 1.0, 2.0 and 4.0: the 75th percentile is 2.5, so only the
    region with LQ 4.0 can be strong.
    """
    percentile = rule.lq_percentile if lq_percentile is None else lq_percentile
    present = (strength["employment"] > 0).to_numpy()
    by = ["year", "cluster_code"] + (["region_type"] if "region_type" in strength.columns else [])
    sub = strength.loc[present, [*by, "lq", "employment", "establishments"]]
    lq = sub["lq"].to_numpy(dtype=float)
    employment = sub["employment"].to_numpy(dtype=float)
    establishments = sub["establishments"].to_numpy(dtype=float)
    lq_cut = np.full(len(sub), np.nan)
    employment_cut = np.full(len(sub), np.nan)
    establishments_cut = np.full(len(sub), np.nan)
    # np.percentile of each group's values, as groupby(by).transform would (null keys skipped)
    for rows in _group_rows(sub[by]):
        lq_cut[rows] = np.percentile(lq[rows], percentile)
        employment_cut[rows] = np.percentile(employment[rows], rule.size_percentile)
        known = establishments[rows][~np.isnan(establishments[rows])]
        if len(known):
            establishments_cut[rows] = np.percentile(known, rule.size_percentile)
    with np.errstate(invalid="ignore"):
        establishments_ok = (establishments > establishments_cut) | np.isnan(establishments_cut)
        strong = (
            (lq >= lq_cut) & (employment > employment_cut) & establishments_ok & (lq >= rule.lq_min)
        )
    flags = np.zeros(len(strength), dtype=bool)
    flags[np.flatnonzero(present)] = strong
    return pd.Series(flags, index=strength.index)


def _group_rows(keys: pd.DataFrame) -> list[np.ndarray]:
    """Row positions of each group of ``keys`` (rows with a null key belong to none)."""
    codes = np.zeros(len(keys), dtype=np.int64)
    valid = np.ones(len(keys), dtype=bool)
    for column in keys.columns:
        column_codes, uniques = pd.factorize(keys[column])
        valid &= column_codes >= 0
        codes = codes * (len(uniques) + 1) + column_codes
    positions = np.flatnonzero(valid)
    order = positions[np.argsort(codes[valid], kind="stable")]
    if not len(order):
        return []
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


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
    """``strength`` with the ``strong`` and ``strong_strict`` flags and the star columns added.

    ``strong_strict`` is the strong rule with the LQ cut at ``strong_rule.strict_lq_percentile``
    (the US Cluster Mapping's 90th-percentile variant).
    """
    scored = strength.copy()
    scored["strong"] = strong_clusters(strength, strong_rule)
    scored["strong_strict"] = strong_clusters(
        strength, strong_rule, strong_rule.strict_lq_percentile
    )
    return pd.concat([scored, cluster_stars(strength, star_rule)], axis=1)
