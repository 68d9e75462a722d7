"""DPS validation scores of a partition of industries: VS-cluster and VS-industry.

Delgado, Porter & Stern (2016, *J. Econ. Geogr.* 16(1), "DPS", section 4) judge a set of
cluster definitions by how well it separates related industries, with two scores on an
industry x industry relatedness matrix:

* **VS-cluster**: the share of cluster pairs whose average within-cluster relatedness exceeds
  their average between-cluster relatedness (:func:`vs_cluster`);
* **VS-industry**: the share of industries that are more related, on average, to the other
  industries of their own cluster than to the industries of any other cluster
  (:func:`vs_industry`).

:func:`partition_scores` reports both with the partition's size profile; the derived
clusters (:mod:`pipeline.clusters.derived`) are chosen by them, and the benchmark and the
baselines (:mod:`pipeline.clusters.derived_evaluation`) are scored with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.errors import UserError


def _aligned(relatedness: pd.DataFrame | np.ndarray, labels) -> tuple[np.ndarray, np.ndarray]:
    """Relatedness as a float matrix and labels as an array, in the same industry order."""
    if isinstance(relatedness, pd.DataFrame):
        if isinstance(labels, pd.Series):
            missing = labels.index.difference(relatedness.index)
            if len(missing):
                raise UserError(
                    f"labels: {len(missing)} industry code(s) (e.g. {missing[0]}) are not in the "
                    "relatedness matrix; pass labels indexed by the matrix's industry codes"
                )
            relatedness = relatedness.loc[labels.index, labels.index]
            labels = labels.to_numpy()
        matrix = relatedness.to_numpy(dtype=float)
    else:
        matrix = np.asarray(relatedness, dtype=float)
    labels = np.asarray(labels)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] != len(labels):
        raise ValueError(
            f"relatedness must be square with one row per label; got {matrix.shape} and "
            f"{len(labels)} labels"
        )
    return matrix, labels


def _indicator(labels: np.ndarray) -> np.ndarray:
    """The n x k 0/1 matrix Z with Z[i, c] = 1 when industry i is in cluster c."""
    _, cluster_of = np.unique(labels, return_inverse=True)
    indicator = np.zeros((len(labels), cluster_of.max() + 1 if len(labels) else 0))
    indicator[np.arange(len(labels)), cluster_of] = 1.0
    return indicator


def _valid_links(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Relatedness with missing links and the diagonal set to 0, and the 0/1 mask of the rest."""
    valid = ~np.isnan(matrix)
    np.fill_diagonal(valid, False)
    return np.where(valid, matrix, 0.0), valid.astype(float)


def cluster_relatedness(relatedness: pd.DataFrame | np.ndarray, labels) -> np.ndarray:
    """Average relatedness within and between clusters (the k x k matrix of block means).

    Parameters
    ----------
    relatedness : DataFrame or array, shape (n, n)
        Square relatedness, higher = more related. The diagonal and NaN cells are ignored.
    labels : Series or array, length n
        Cluster of each industry (a Series is aligned to the matrix by industry code).

    Returns
    -------
    ndarray, shape (k, k)
        Entry (c, c') is the mean of r_ij over i in c, j in c', i != j, r_ij not missing;
        NaN where there is no such pair (the diagonal entry of a one-industry cluster).
        Clusters are in the sorted order of the label values.

    Notes
    -----
    With Z the n x k cluster indicator matrix, R the relatedness with missing links and the
    diagonal set to 0 and M the 0/1 mask of the links that count,
    ``mean = (Z' R Z) / (Z' M Z)`` (Delgado, Porter & Stern 2016, sec. 3).
    """
    matrix, labels = _aligned(relatedness, labels)
    values, valid = _valid_links(matrix)
    indicator = _indicator(labels)
    sums = indicator.T @ values @ indicator
    counts = indicator.T @ valid @ indicator
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def vs_cluster(relatedness: pd.DataFrame | np.ndarray, labels) -> float:
    """DPS validation score VS-cluster: share of cluster pairs separated by their relatedness.

    Parameters
    ----------
    relatedness : DataFrame or array, shape (n, n)
        Square relatedness, higher = more related (diagonal and NaN cells ignored).
    labels : Series or array, length n
        Cluster of each industry.

    Returns
    -------
    float
        Share in [0, 1] of the k (k - 1) / 2 cluster pairs {c, c'} with
        ``W_c > B_cc'`` and ``W_c' > B_cc'``; NaN when there are fewer than two clusters.

    Notes
    -----
    ``W_c`` is the average relatedness of the pairs of distinct industries inside cluster c and
    ``B_cc'`` the average relatedness of the pairs with one industry in c and one in c'
    (:func:`cluster_relatedness`). A one-industry cluster has no within-cluster pair, so its
    W is undefined and its pairs count as not separated: singletons lower the score.
    Delgado, Porter & Stern (2016), *Defining clusters of related industries*, J. Econ.
    Geogr. 16(1), sec. 3.

    Examples
    --------
    >>> r = np.array([[0, 6, 1, 8], [6, 0, 1, 9], [1, 1, 0, 8], [8, 9, 8, 0]], dtype=float)
    >>> vs_cluster(r, [0, 0, 1, 1])
    1.0
    """
    means = cluster_relatedness(relatedness, labels)
    n_clusters = means.shape[0]
    if n_clusters < 2:
        return float("nan")
    within = np.diag(means)
    first, second = np.triu_indices(n_clusters, k=1)
    between = means[first, second]
    separated = (within[first] > between) & (within[second] > between)
    return float(separated.mean())


def vs_industry(relatedness: pd.DataFrame | np.ndarray, labels) -> float:
    """DPS validation score VS-industry: share of industries closest to their own cluster.

    Parameters
    ----------
    relatedness : DataFrame or array, shape (n, n)
        Square relatedness, higher = more related (diagonal and NaN cells ignored).
    labels : Series or array, length n
        Cluster of each industry.

    Returns
    -------
    float
        Share in [0, 1] of industries i with ``a_i,c(i) > max_{c != c(i)} a_i,c``; NaN when
        there are fewer than two clusters.

    Notes
    -----
    ``a_ic`` is the average relatedness of industry i to the industries of cluster c other
    than i: with R, M and Z as in :func:`cluster_relatedness`, ``a = (R Z) / (M Z)``. An
    industry alone in its cluster has no own-cluster relatedness and does not count as
    closest to it. Delgado, Porter & Stern (2016), sec. 3.

    Examples
    --------
    >>> r = np.array([[0, 6, 1, 8], [6, 0, 1, 9], [1, 1, 0, 8], [8, 9, 8, 0]], dtype=float)
    >>> vs_industry(r, [0, 0, 1, 1])
    0.75
    """
    matrix, labels = _aligned(relatedness, labels)
    values, valid = _valid_links(matrix)
    indicator = _indicator(labels)
    if indicator.shape[1] < 2:
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        to_cluster = (values @ indicator) / (valid @ indicator)
    own_cluster = indicator.argmax(axis=1)
    rows = np.arange(len(labels))
    own = to_cluster[rows, own_cluster]
    others = np.where(np.isnan(to_cluster), -np.inf, to_cluster)
    others[rows, own_cluster] = -np.inf
    closest = ~np.isnan(own) & (own > others.max(axis=1))
    return float(closest.mean())


def partition_scores(relatedness: pd.DataFrame | np.ndarray, labels) -> dict[str, float]:
    """VS scores and size profile of one partition.

    Returns
    -------
    dict
        n_clusters, vs_cluster, vs_industry, criterion = (vs_cluster + vs_industry) / 2,
        largest_share (share of industries in the largest cluster) and singletons.
    """
    matrix, labels = _aligned(relatedness, labels)
    _, sizes = np.unique(labels, return_counts=True)
    cluster_score = vs_cluster(matrix, labels)
    industry_score = vs_industry(matrix, labels)
    return {
        "n_clusters": int(len(sizes)),
        "vs_cluster": cluster_score,
        "vs_industry": industry_score,
        "criterion": (cluster_score + industry_score) / 2.0,
        "largest_share": float(sizes.max() / sizes.sum()),
        "singletons": int((sizes == 1).sum()),
    }
