"""Derived industry clusters: related industries grouped with scikit-learn, chosen by DPS scores.

Delgado, Porter & Stern (2016, *J. Econ. Geogr.* 16(1), "DPS") build the US benchmark cluster
definitions by clustering a matrix of inter-industry relatedness (co-location, input-output
links, shared occupations) for many parameter choices, and keeping the sets of definitions
that score best on their *validation scores*:

* **VS-cluster**: the share of cluster pairs whose average within-cluster relatedness exceeds
  their average between-cluster relatedness;
* **VS-industry**: the share of industries that are more related, on average, to the other
  industries of their own cluster than to the industries of any other cluster.

This module does the same with scikit-learn: :class:`IndustryClusterer`
(:mod:`pipeline.clusters.industry_clusterer`) groups industries from a precomputed square
relatedness matrix (agglomerative clustering on a distance, spectral clustering on an
affinity, or k-means on a spectral embedding), :func:`select_industry_clusters` scores a grid
of methods and cluster counts by the VS scores only (:mod:`pipeline.clusters.validation_scores`),
and :func:`derived_cluster_table` numbers and names the chosen clusters.
:func:`benchmark_agreement` (:mod:`pipeline.clusters.derived_evaluation`) is the external
check against a benchmark (the DPS definitions for the US): it is never used to choose
anything. The names of those modules are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from pipeline.clusters.derived_evaluation import (
    METRIC_DECIMALS,
    benchmark_agreement,
    location_quotient_correlation,
    naive_lq_clusters,
    parent_code_labels,
    validation_metrics,
)
from pipeline.clusters.industry_clusterer import (
    LINKAGES,
    METHODS,
    STANDARDISATIONS,
    IndustryClusterer,
    nearest_neighbour_affinity,
    standardised_affinity,
)
from pipeline.clusters.relatedness import combined_relatedness
from pipeline.clusters.validation_scores import (
    cluster_relatedness,
    partition_scores,
    vs_cluster,
    vs_industry,
)
from pipeline.config import IndustryClusterSettings
from pipeline.errors import UserError

__all__ = [
    "LINKAGES",
    "METHODS",
    "METRIC_DECIMALS",
    "PROXIMITY",
    "STANDARDISATIONS",
    "IndustryClusterer",
    "benchmark_agreement",
    "classification_proximity",
    "cluster_relatedness",
    "clustering_relatedness",
    "derive_industry_clusters",
    "derived_cluster_table",
    "location_quotient_correlation",
    "naive_lq_clusters",
    "name_clusters",
    "nearest_neighbour_affinity",
    "parent_code_labels",
    "partition_scores",
    "select_industry_clusters",
    "standardised_affinity",
    "validation_metrics",
    "vs_cluster",
    "vs_industry",
]

PROXIMITY = "classification_proximity"  # the relatedness measure name of classification_proximity


# --------------------------------------------------------------------------- choosing k and method


def _as_square_frame(relatedness: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(relatedness, pd.DataFrame) or not relatedness.index.equals(
        relatedness.columns
    ):
        raise UserError(
            "relatedness: pass a square DataFrame whose index and columns are the same industry "
            "codes (pipeline.clusters.relatedness.combined_relatedness returns one)"
        )
    return relatedness


def _score_grid(
    matrix: np.ndarray,
    methods: Sequence[str],
    linkages: Sequence[str],
    grid_n_clusters: Sequence[int],
    standardise: str,
    n_neighbors: int | None,
    random_state: int | None,
) -> list[tuple[dict, np.ndarray]]:
    """Fit and score every method x linkage x cluster count of the grid."""
    scored = []
    for method in methods:
        for linkage in linkages if method == "agglomerative" else ("",):
            for n_clusters in grid_n_clusters:
                if not 2 <= n_clusters < matrix.shape[0]:
                    continue
                clusterer = IndustryClusterer(
                    n_clusters=int(n_clusters),
                    method=method,
                    linkage=linkage or "average",
                    standardise=standardise,
                    n_neighbors=n_neighbors,
                    random_state=random_state,
                ).fit(matrix)
                scores = partition_scores(matrix, clusterer.labels_)
                scores["n_clusters_found"] = scores.pop("n_clusters")
                row = {"method": method, "linkage": linkage, "n_clusters": int(n_clusters)}
                scored.append(({**row, **scores}, clusterer.labels_))
    return scored


def select_industry_clusters(
    relatedness: pd.DataFrame,
    grid_n_clusters: Sequence[int],
    *,
    methods: Sequence[str],
    random_state: int | None,
    linkages: Sequence[str],
    standardise: str,
    n_neighbors: int | None,
    max_cluster_share: float,
) -> tuple[pd.Series, pd.DataFrame]:
    """Cluster industries for every method x cluster count and keep the best by VS scores.

    Parameters
    ----------
    relatedness : DataFrame
        Square relatedness indexed and columned by industry code (higher = more related).
    grid_n_clusters : sequence of int
        Cluster counts to try (counts above the number of industries are skipped).
    methods : sequence of {'agglomerative', 'spectral', 'kmeans'}
        Methods to try; ``agglomerative`` is tried once per entry of ``linkages``.
    random_state : int or None
        Seed of the spectral and k-means methods.
    linkages : sequence of str
        Linkages of the agglomerative method.
    standardise, n_neighbors
        Passed to :class:`IndustryClusterer`.
    max_cluster_share : float
        Size guard: a partition whose largest cluster holds more than this share of the
        industries is scored but not eligible (one giant cluster can score well on VS-cluster
        because its within-cluster average is compared with weak between-cluster links).

    Returns
    -------
    labels : Series
        Cluster (int) of each industry, named ``cluster``, of the best eligible candidate.
    scores : DataFrame
        One row per candidate: method, linkage, n_clusters (asked), n_clusters_found,
        vs_cluster, vs_industry, criterion, largest_share, singletons, eligible, selected.

    Notes
    -----
    The criterion is the mean of VS-cluster and VS-industry (both shares in [0, 1]; DPS 2016,
    sec. 4 rank candidate sets on these scores); ties keep the first candidate in grid order.
    Only the relatedness matrix is used: benchmark definitions never enter the choice.
    """
    relatedness = _as_square_frame(relatedness)
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise UserError(
            f"params.yaml: industry_clusters.methods has unknown method(s) {', '.join(unknown)}; "
            f"use {', '.join(METHODS)}"
        )
    matrix = relatedness.to_numpy(dtype=float)
    n_industries = matrix.shape[0]
    rows, candidates = [], []
    # One BLAS/OpenMP thread: for a few hundred to a few thousand industries the k-means and
    # eigen-solver threads cost more than they save (15x slower on a loaded 2-core machine).
    with threadpool_limits(limits=1):
        candidates_scored = _score_grid(
            matrix, methods, linkages, grid_n_clusters, standardise, n_neighbors, random_state
        )
    for row, candidate in candidates_scored:
        rows.append(row)
        candidates.append(candidate)
    if not rows:
        raise UserError(
            f"params.yaml: industry_clusters.n_clusters has no count between 2 and "
            f"{n_industries - 1} (the number of industries less one); add one"
        )
    table = pd.DataFrame(rows)
    table["eligible"] = (table["largest_share"] <= max_cluster_share) & table["criterion"].notna()
    if not table["eligible"].any():
        raise UserError(
            "params.yaml: every candidate partition has a cluster larger than "
            f"industry_clusters.max_cluster_share={max_cluster_share}; raise it or try more clusters"
        )
    best = table["criterion"].where(table["eligible"]).idxmax()
    table["selected"] = table.index == best
    labels = pd.Series(candidates[best], index=relatedness.index, name="cluster")
    return labels, table


# --------------------------------------------------------------------------- names


def name_clusters(
    labels: pd.Series,
    employment_by_industry: pd.Series,
    titles: pd.Series | None = None,
    *,
    top_industries: int,
) -> pd.Series:
    """Name each derived cluster after its largest industries by employment.

    Parameters
    ----------
    labels : Series
        Cluster of each industry, indexed by industry code.
    employment_by_industry : Series
        Employment of each industry (national total), indexed by industry code; industries
        missing from it count as 0.
    titles : Series, optional
        Title of each industry code; without it (or for a code it lacks) the code is used.
    top_industries : int
        How many of the largest industries make the name.

    Returns
    -------
    Series
        Name of each cluster, e.g. ``"Software Publishers; Custom Computer Programming
        Services"``, indexed by cluster.
    """
    employment = employment_by_industry.reindex(labels.index).fillna(0.0)
    table = pd.DataFrame({"cluster": labels.to_numpy(), "employment": employment.to_numpy()})
    table["industry_code"] = labels.index.astype(str)
    table["title"] = table["industry_code"]
    if titles is not None:
        known = titles.reindex(table["industry_code"]).to_numpy()
        table["title"] = np.where(pd.isna(known), table["industry_code"], known)
    table = table.sort_values(
        ["cluster", "employment", "industry_code"], ascending=[True, False, True]
    )
    largest = table.groupby("cluster", sort=True).head(top_industries)
    return largest.groupby("cluster", sort=True)["title"].agg("; ".join).rename("cluster_name")


def derived_cluster_table(
    labels: pd.Series,
    employment_by_industry: pd.Series,
    titles: pd.Series | None = None,
    *,
    top_industries: int,
    cluster_type: str = "traded",
    prefix: str = "D",
) -> pd.DataFrame:
    """Rows of ``industry_clusters.parquet`` for derived clusters.

    Clusters are numbered ``D01``, ``D02``, ... by descending employment (ties by the smallest
    industry code), so the codes are stable for the same partition.

    Returns
    -------
    DataFrame
        industry_code, cluster_code, cluster_name, cluster_type, method (= 'derived').
    """
    names = name_clusters(labels, employment_by_industry, titles, top_industries=top_industries)
    employment = employment_by_industry.reindex(labels.index).fillna(0.0)
    totals = (
        pd.DataFrame(
            {
                "cluster": labels.to_numpy(),
                "employment": employment.to_numpy(),
                "code": labels.index,
            }
        )
        .groupby("cluster")
        .agg(employment=("employment", "sum"), first_code=("code", "min"))
    )
    totals = totals.sort_values(["employment", "first_code"], ascending=[False, True])
    width = max(2, len(str(len(totals))))
    codes = pd.Series(
        [f"{prefix}{number:0{width}d}" for number in range(1, len(totals) + 1)],
        index=totals.index,
    )
    table = pd.DataFrame(
        {
            "industry_code": labels.index.astype(str),
            "cluster_code": codes.reindex(labels.to_numpy()).to_numpy(),
            "cluster_name": names.reindex(labels.to_numpy()).to_numpy(),
            "cluster_type": cluster_type,
            "method": "derived",
        }
    )
    return table.sort_values(["cluster_code", "industry_code"]).reset_index(drop=True)


# --------------------------------------------------------------------------- what the stage calls


def classification_proximity(
    industry_codes: Sequence[str] | pd.Index, *, digits: Sequence[int]
) -> pd.DataFrame:
    """Relatedness from a hierarchical classification: the share of parent levels two codes share.

    Parameters
    ----------
    industry_codes : sequence of str
        Codes of one hierarchical classification (NAICS, NACE, OKVED: a code's first d
        characters are its level-d parent).
    digits : sequence of int
        Parent levels compared.

    Returns
    -------
    DataFrame
        p_ij = (1 / L) sum_l [code_i[:d_l] == code_j[:d_l]] over the L levels, indexed and
        columned by code, diagonal NaN.

    Notes
    -----
    DPS (2016) use a shared three-digit NAICS as an external check of their clusters; here it
    can also enter the combined relatedness as one more (weak, always available) measure.
    """
    codes = pd.Index(industry_codes).astype(str)
    proximity = np.zeros((len(codes), len(codes)))
    for level in digits:
        parent = codes.str[:level].to_numpy()
        proximity += parent[:, None] == parent[None, :]
    proximity /= max(len(digits), 1)
    np.fill_diagonal(proximity, np.nan)
    return pd.DataFrame(proximity, index=codes, columns=codes)


def clustering_relatedness(
    measures: Mapping[str, pd.DataFrame],
    weights: Mapping[str, float],
    industry_codes: Sequence[str],
    settings: IndustryClusterSettings,
    *,
    standardise: str,
) -> pd.DataFrame:
    """The combined relatedness the derived clusters are grouped on.

    Parameters
    ----------
    measures : mapping of name -> DataFrame
        Square relatedness measures (:mod:`pipeline.clusters.relatedness`: co-location,
        input-output, occupations).
    weights : mapping of name -> float
        Their weights (params.yaml ``relatedness.weights``).
    industry_codes : sequence of str
        Industries to cluster (e.g. the traded six-digit industries).
    settings : IndustryClusterSettings
        ``proximity_digits`` and ``proximity_weight`` add :func:`classification_proximity`
        as one more measure (weight 0 leaves it out).
    standardise : {'zscore', 'percentile'}
        Standardisation of each measure (params.yaml ``relatedness.standardise``).

    Returns
    -------
    DataFrame
        industry_codes x industry_codes, R_ij = sum_m w_m z^m_ij / sum_m w_m over the measures
        a pair has (:func:`pipeline.clusters.relatedness.combined_relatedness`).
    """
    codes = pd.Index([str(code) for code in industry_codes])
    chosen = {name: matrix.reindex(index=codes, columns=codes) for name, matrix in measures.items()}
    weights = dict(weights)
    if settings.proximity_weight > 0:
        chosen[PROXIMITY] = classification_proximity(codes, digits=settings.proximity_digits)
        weights[PROXIMITY] = settings.proximity_weight
    combined = combined_relatedness(chosen, weights, method=standardise)
    return combined.reindex(index=codes, columns=codes)


def derive_industry_clusters(
    relatedness: pd.DataFrame,
    employment_by_industry: pd.Series,
    settings: IndustryClusterSettings,
    titles: pd.Series | None = None,
    cluster_type: str = "traded",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Derived clusters of the industries of ``relatedness``: the chosen partition, named.

    Returns
    -------
    table : DataFrame
        industry_code, cluster_code, cluster_name, cluster_type, method='derived'
        (:func:`derived_cluster_table`).
    scores : DataFrame
        The grid's VS scores (:func:`select_industry_clusters`).
    """
    labels, scores = select_industry_clusters(
        relatedness,
        settings.n_clusters,
        methods=settings.methods,
        random_state=settings.random_state,
        linkages=settings.linkages,
        standardise=settings.standardise,
        n_neighbors=settings.n_neighbors,
        max_cluster_share=settings.max_cluster_share,
    )
    table = derived_cluster_table(
        labels,
        employment_by_industry,
        titles,
        top_industries=settings.name_industries,
        cluster_type=cluster_type,
    )
    return table, scores
