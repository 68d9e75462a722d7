"""Relatedness between industries: co-location, input-output links, shared occupations.

Delgado, Porter & Stern (2016, "DPS"), *Defining clusters of related industries*, J. Econ.
Geogr. 16(1) 1-38, group industries by several pairwise measures of linkage, each an
industry x industry matrix:

- **co-location** of employment and of establishments across regions (LC-emp, LC-est,
  after Porter 2003), optionally the Ellison, Glaeser & Kerr (2010) coagglomeration index;
- **input-output links** IO_ij, the largest of the four shares of one industry's inputs
  bought from, or output sold to, the other (BEA benchmark Use and Make tables);
- **shared occupations** Occ_ij, the correlation of the two industries' occupation-share
  vectors (BLS national industry x occupation matrix);

and combine the standardised measures into one relatedness score.

The measures live in their own modules, re-exported here: :mod:`pipeline.clusters.colocation`,
:mod:`pipeline.clusters.input_output` and :mod:`pipeline.clusters.shared_occupations`; this
module gathers them for a dataset (:func:`relatedness_measures`), standardises and combines
them (:func:`standardise`, :func:`combined_relatedness`), publishes the pairs
(:func:`relatedness_table`) and checks a partition against them (:func:`within_between`).

Every function returns a square DataFrame indexed and columned by the same industry code
strings: symmetric, diagonal NaN, NaN where a measure is not defined for a pair. All of them
are dense numpy algebra (a matrix product or ``np.corrcoef``-style standardised product), so
~1,000 industries over ~3,000 regions take well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.clusters.colocation import COLOCATION_TRANSFORMS, coagglomeration, colocation
from pipeline.clusters.input_output import (
    industry_flows,
    input_output,
    input_output_from_flows,
    input_output_links,
)
from pipeline.clusters.relatedness_matrix import square_matrix
from pipeline.clusters.shared_occupations import (
    occupation_shares,
    occupation_similarity,
    translate_codes,
)
from pipeline.config import RelatednessSettings
from pipeline.errors import UserError

__all__ = [
    "COLOCATION_TRANSFORMS",
    "STANDARDISATIONS",
    "coagglomeration",
    "colocation",
    "combined_relatedness",
    "industry_flows",
    "input_output",
    "input_output_from_flows",
    "input_output_links",
    "occupation_shares",
    "occupation_similarity",
    "relatedness_measures",
    "relatedness_table",
    "standardise",
    "translate_codes",
    "within_between",
]

STANDARDISATIONS = ("zscore", "percentile")


# --------------------------------------------------------------------------------------------
# every measure of a dataset


def relatedness_measures(
    employment: pd.DataFrame,
    settings: RelatednessSettings,
    *,
    use: pd.DataFrame | None = None,
    make: pd.DataFrame | None = None,
    crosswalk: pd.DataFrame | None = None,
    flows: pd.DataFrame | None = None,
    occupations: pd.DataFrame | None = None,
    prefix_map: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Every relatedness measure the inputs allow, over the industries of ``employment``.

    Parameters
    ----------
    employment : DataFrame
        Canonical employment table, one year and one level (the dataset's finest).
    settings : RelatednessSettings
        params.yaml ``relatedness``.
    use, make, crosswalk : DataFrame, optional
        BEA-style Use and Make tables and their crosswalk to the dataset's codes (US data).
    flows : DataFrame, optional
        A user's input-output table in the dataset's codes (used when ``use`` is not given).
    occupations, prefix_map : DataFrame, optional
        Industry x occupation matrix and the code recoding into its vintage.

    Returns
    -------
    dict of name -> DataFrame
        colocation_employment, colocation_establishments (when establishments are given),
        coagglomeration, and input_output and occupation when their tables are given; each
        indexed by the sorted industry codes of ``employment``.
    """
    codes = sorted(employment["industry_code"].astype(str).unique())
    transform = settings.colocation_transform
    measures = {"colocation_employment": colocation(employment, "employment", transform=transform)}
    if "establishments" in employment.columns and employment["establishments"].notna().any():
        measures["colocation_establishments"] = colocation(
            employment, "establishments", transform=transform
        )
    measures["coagglomeration"] = coagglomeration(employment, "employment")
    if use is not None and make is not None and crosswalk is not None:
        measures["input_output"] = input_output(
            use, make, crosswalk, codes, margin_prefixes=settings.margin_prefixes
        )
    elif flows is not None:
        measures["input_output"] = input_output_from_flows(flows, codes)
    if occupations is not None:
        measures["occupation"] = occupation_similarity(
            occupations, codes, prefix_map, method=settings.occupation_method
        )
    return {name: matrix.reindex(index=codes, columns=codes) for name, matrix in measures.items()}


# --------------------------------------------------------------------------------------------
# combination and publication


def standardise(matrix: pd.DataFrame, *, method: str) -> pd.DataFrame:
    """Standardise a relatedness matrix over its off-diagonal pairs.

    Parameters
    ----------
    matrix : DataFrame
        Square, symmetric relatedness matrix (its upper triangle is read: each pair once).
    method : {'zscore', 'percentile'}
        'zscore': (x - mean) / sd over the defined pairs i < j (population sd; DPS 2016
        combine measures standardised to mean 0 and sd 1); 'percentile': the pair's rank
        among them (ties averaged) divided by their number, in (0, 1] (robust to the long
        right tail of IO shares).

    Returns
    -------
    DataFrame
        Same shape; NaN stays NaN, the diagonal is NaN.

    Examples
    --------
    >>> m = pd.DataFrame([[np.nan, 1.0, 2.0], [1.0, np.nan, 3.0], [2.0, 3.0, np.nan]])
    >>> standardise(m, method="zscore").round(4).iloc[0].tolist()
    [nan, -1.2247, 0.0]
    """
    if method not in STANDARDISATIONS:
        raise UserError(
            f"params.yaml: relatedness.standardise is '{method}'; use zscore or percentile"
        )
    values = matrix.to_numpy(dtype="float64")
    upper = np.triu_indices(len(values), k=1)
    pool = values[upper]
    defined = ~np.isnan(pool)
    scores = np.full(pool.shape, np.nan)
    if defined.any():
        kept = pool[defined]
        if method == "zscore":
            sd = kept.std()
            scores[defined] = (kept - kept.mean()) / sd if sd > 0 else 0.0
        else:
            scores[defined] = pd.Series(kept).rank(method="average").to_numpy() / kept.size
    result = np.full(values.shape, np.nan)
    result[upper] = scores
    result.T[upper] = scores
    return pd.DataFrame(result, index=matrix.index, columns=matrix.columns)


def combined_relatedness(
    measures: Mapping[str, pd.DataFrame],
    weights: Mapping[str, float],
    *,
    method: str,
) -> pd.DataFrame:
    """Weighted mean of the standardised measures available for each pair.

    Parameters
    ----------
    measures : mapping of name -> DataFrame
        Square relatedness matrices (any codes; aligned on the union).
    weights : mapping of name -> float
        Weight of each measure (params.yaml ``relatedness.weights``); a weight for a measure
        not in ``measures`` is ignored, a measure without a weight is an error.
    method : {'zscore', 'percentile'}
        Standardisation of each measure (:func:`standardise`).

    Returns
    -------
    DataFrame
        Square combined relatedness, symmetric, diagonal NaN; NaN where no measure with a
        positive weight is defined.

    Notes
    -----
    R_ij = sum_m w_m z^m_ij 1[z^m_ij defined] / sum_m w_m 1[z^m_ij defined]: the weights are
    renormalised over the measures a pair has, so a pair without input-output data is
    judged on the others (DPS 2016 average their standardised measures).

    Examples
    --------
    >>> a = pd.DataFrame([[np.nan, 1.0], [1.0, np.nan]], index=["x", "y"], columns=["x", "y"])
    >>> b = pd.DataFrame([[np.nan, np.nan], [np.nan, np.nan]], index=["x", "y"], columns=["x", "y"])
    >>> float(combined_relatedness({"a": a, "b": b}, {"a": 1, "b": 1}, method="zscore").loc["x", "y"])
    0.0
    """
    unweighted = sorted(set(measures) - set(weights))
    if unweighted:
        raise UserError(
            f"params.yaml: relatedness.weights has no weight for {', '.join(unweighted)}; "
            "add one (0 leaves the measure out)"
        )
    negative = sorted(name for name, w in weights.items() if w < 0)
    if negative:
        raise UserError(
            f"params.yaml: relatedness.weights for {', '.join(negative)} is negative; use >= 0"
        )
    codes = pd.Index([])
    for matrix in measures.values():
        codes = codes.union(matrix.index.astype(str))
    codes = codes.astype(str)
    numerator = np.zeros((len(codes), len(codes)))
    denominator = np.zeros((len(codes), len(codes)))
    for name, matrix in measures.items():
        weight = float(weights[name])
        if weight == 0:
            continue
        aligned = matrix.copy()
        aligned.index = aligned.index.astype(str)
        aligned.columns = aligned.columns.astype(str)
        z = standardise(aligned, method=method).reindex(index=codes, columns=codes).to_numpy()
        defined = ~np.isnan(z)
        numerator += np.where(defined, weight * z, 0.0)
        denominator += np.where(defined, weight, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        combined = np.where(denominator > 0, numerator / denominator, np.nan)
    return square_matrix(combined, list(codes))


def relatedness_table(
    measures: Mapping[str, pd.DataFrame], combined: pd.DataFrame, *, top_k: int | None
) -> pd.DataFrame:
    """Long table of industry pairs: each measure, the combined score and its rank.

    Parameters
    ----------
    measures : mapping of name -> DataFrame
        The raw (unstandardised) measures, one column each.
    combined : DataFrame
        :func:`combined_relatedness` output.
    top_k : int, optional
        Keep each industry's ``top_k`` most related industries (by ``combined``); None keeps
        every pair with a combined score.

    Returns
    -------
    DataFrame
        industry_code, related_code, one column per measure, combined, rank (1 = most
        related to ``industry_code``; ties broken by related_code). Both directions of a
        pair appear, since the top links of each industry differ.

    Examples
    --------
    >>> c = pd.DataFrame([[np.nan, 2.0, 1.0], [2.0, np.nan, 0.0], [1.0, 0.0, np.nan]],
    ...                  index=["x", "y", "z"], columns=["x", "y", "z"])
    >>> relatedness_table({"m": c}, c, top_k=1)[["industry_code", "related_code", "rank"]].values.tolist()
    [['x', 'y', 1], ['y', 'x', 1], ['z', 'x', 1]]
    """
    if top_k is not None and top_k < 1:
        raise UserError(
            f"params.yaml: relatedness.top_k is {top_k}; use a positive integer or null"
        )
    codes = combined.index.astype(str)
    values = combined.to_numpy(dtype="float64").copy()
    np.fill_diagonal(values, np.nan)
    rows, cols = np.nonzero(~np.isnan(values))
    table = pd.DataFrame(
        {
            "industry_code": codes[rows].to_numpy(dtype=object),
            "related_code": codes[cols].to_numpy(dtype=object),
            "combined": values[rows, cols],
        }
    )
    table = table.sort_values(
        ["industry_code", "combined", "related_code"], ascending=[True, False, True]
    )
    table["rank"] = table.groupby("industry_code").cumcount() + 1
    if top_k is not None:
        table = table[table["rank"] <= top_k]
    table = table.reset_index(drop=True)
    for name, matrix in measures.items():
        aligned = matrix.copy()
        aligned.index = aligned.index.astype(str)
        aligned.columns = aligned.columns.astype(str)
        aligned = aligned.reindex(index=codes, columns=codes).to_numpy(dtype="float64")
        position = pd.Series(np.arange(len(codes)), index=codes)
        i = position.reindex(table["industry_code"]).to_numpy()
        j = position.reindex(table["related_code"]).to_numpy()
        table[name] = aligned[i, j]
    columns = ["industry_code", "related_code", *measures, "combined", "rank"]
    table["industry_code"] = table["industry_code"].astype(str)
    table["related_code"] = table["related_code"].astype(str)
    table["rank"] = table["rank"].astype("int32")
    return table[columns]


def within_between(relatedness: pd.DataFrame, clusters: pd.Series) -> dict[str, float]:
    """Mean relatedness within and between the clusters of a partition (a validity check).

    Parameters
    ----------
    relatedness : DataFrame
        Square relatedness matrix.
    clusters : Series
        Cluster label by industry code (e.g. the benchmark clusters of traded industries);
        only codes in both are used.

    Returns
    -------
    dict
        within (mean over off-diagonal pairs in the same cluster), between (pairs in
        different clusters), auc (probability that a random within-cluster pair is more
        related than a random between-cluster pair, the Mann-Whitney statistic U / (n_w n_b);
        0.5 = no signal, ties count one half; comparable across measures of any scale),
        coverage (share of the labelled codes with at least one defined pair) and n_codes.

    Examples
    --------
    >>> m = pd.DataFrame([[np.nan, 1.0, 0.0], [1.0, np.nan, 0.0], [0.0, 0.0, np.nan]],
    ...                  index=list("abc"), columns=list("abc"))
    >>> within_between(m, pd.Series({"a": 1, "b": 1, "c": 2}))["within"]
    1.0
    """
    labels = clusters.copy()
    labels.index = labels.index.astype(str)
    relatedness = relatedness.copy()
    relatedness.index = relatedness.index.astype(str)
    relatedness.columns = relatedness.columns.astype(str)
    codes = [code for code in labels.index if code in relatedness.index]
    values = relatedness.reindex(index=codes, columns=codes).to_numpy(dtype="float64").copy()
    np.fill_diagonal(values, np.nan)
    label = labels.reindex(codes).to_numpy()
    same = label[:, None] == label[None, :]
    defined = ~np.isnan(values)
    upper = np.triu(np.ones_like(same), k=1) & defined
    within, between = values[upper & same], values[upper & ~same]
    auc = np.nan
    if within.size and between.size:
        ranks = pd.Series(np.concatenate([within, between])).rank(method="average").to_numpy()
        auc = (ranks[: within.size].sum() - within.size * (within.size + 1) / 2) / (
            within.size * between.size
        )
    return {
        "within": float(within.mean()) if within.size else np.nan,
        "between": float(between.mean()) if between.size else np.nan,
        "auc": float(auc),
        "coverage": float(defined.any(axis=1).sum() / max(len(labels), 1)),
        "n_codes": len(codes),
    }
