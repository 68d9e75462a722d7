"""Derived industry clusters: related industries grouped with scikit-learn, chosen by DPS scores.

Delgado, Porter & Stern (2016, *J. Econ. Geogr.* 16(1), "DPS") build the US benchmark cluster
definitions by clustering a matrix of inter-industry relatedness (co-location, input-output
links, shared occupations) for many parameter choices, and keeping the sets of definitions
that score best on their *validation scores*:

* **VS-cluster**: the share of cluster pairs whose average within-cluster relatedness exceeds
  their average between-cluster relatedness;
* **VS-industry**: the share of industries that are more related, on average, to the other
  industries of their own cluster than to the industries of any other cluster.

This module does the same with scikit-learn: :class:`IndustryClusterer` groups industries from
a precomputed square relatedness matrix (agglomerative clustering on a distance, spectral
clustering on an affinity, or k-means on a spectral embedding), :func:`select_industry_clusters`
scores a grid of methods and cluster counts by the VS scores only, and
:func:`benchmark_agreement` is the external check against a benchmark (the DPS definitions for
the US): it is never used to choose anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.manifold import spectral_embedding
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.utils.validation import validate_data
from threadpoolctl import threadpool_limits

from pipeline.clusters.relatedness import combined_relatedness
from pipeline.config import IndustryClusterSettings
from pipeline.errors import UserError

METHODS = ("agglomerative", "spectral", "kmeans")
LINKAGES = ("average", "complete", "single", "ward")
STANDARDISATIONS = ("rank", "minmax")
PROXIMITY = "classification_proximity"  # the relatedness measure name of classification_proximity
METRIC_DECIMALS = 4  # digits kept in metrics.json


# --------------------------------------------------------------------------- validation scores


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


# --------------------------------------------------------------------------- the estimator


def _symmetric(matrix: np.ndarray) -> np.ndarray:
    """(R + R') / 2, ignoring a missing half of a pair."""
    stacked = np.stack([matrix, matrix.T])
    counts = (~np.isnan(stacked)).sum(axis=0)
    total = np.nansum(stacked, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def standardised_affinity(relatedness: np.ndarray, standardise: str = "rank") -> np.ndarray:
    """A non-negative affinity in [0, 1] from any symmetric relatedness matrix.

    Parameters
    ----------
    relatedness : ndarray, shape (n, n)
        Higher = more related; any sign; NaN = unknown link; the diagonal is ignored.
    standardise : {'rank', 'minmax'}
        ``rank``: a_ij = (rank(r_ij) - 1) / (m - 1) over the m known off-diagonal pairs
        (average ranks for ties), so only the order of the links matters; ``minmax``:
        a_ij = (r_ij - min) / (max - min), which keeps their spacing.

    Returns
    -------
    ndarray, shape (n, n)
        Symmetric affinity, diagonal 1, unknown links 0 (no evidence of relatedness).
    """
    if standardise not in STANDARDISATIONS:
        raise ValueError(f"standardise must be one of {STANDARDISATIONS}; got {standardise!r}")
    matrix = _symmetric(np.asarray(relatedness, dtype=float))
    n = matrix.shape[0]
    first, second = np.triu_indices(n, k=1)
    links = matrix[first, second]
    known = ~np.isnan(links)
    scaled = np.zeros_like(links)
    if known.sum() > 1:
        if standardise == "rank":
            ranks = rankdata(links[known], method="average")
            spread = max(known.sum() - 1, 1)
            scaled[known] = (ranks - 1.0) / spread
        else:
            low, high = links[known].min(), links[known].max()
            scaled[known] = (links[known] - low) / (high - low) if high > low else 1.0
    elif known.sum() == 1:
        scaled[known] = 1.0
    affinity = np.zeros((n, n))
    affinity[first, second] = scaled
    affinity = affinity + affinity.T
    np.fill_diagonal(affinity, 1.0)
    return affinity


def nearest_neighbour_affinity(affinity: np.ndarray, n_neighbors: int | None) -> np.ndarray:
    """Keep each industry's ``n_neighbors`` strongest links (symmetrised by the maximum).

    A dense affinity in which every pair has some weight blurs a spectral embedding; keeping
    the strongest links per industry (von Luxburg 2007, *A tutorial on spectral clustering*,
    sec. 2.2, the mutual-or k-nearest-neighbour graph) sharpens it. ``None`` keeps them all.
    """
    if n_neighbors is None or n_neighbors >= affinity.shape[0] - 1:
        return affinity
    off_diagonal = affinity.copy()
    np.fill_diagonal(off_diagonal, -np.inf)
    keep_index = np.argpartition(-off_diagonal, n_neighbors, axis=1)[:, :n_neighbors]
    keep = np.zeros_like(affinity, dtype=bool)
    keep[np.arange(affinity.shape[0])[:, None], keep_index] = True
    keep = keep | keep.T
    np.fill_diagonal(keep, True)
    return np.where(keep, affinity, 0.0)


def _first_seen_order(labels: np.ndarray) -> np.ndarray:
    """Relabel 0..k-1 in order of first appearance, so equal partitions get equal labels."""
    _, first_index, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first_index))
    return order[inverse].astype(np.int64)


class IndustryClusterer(ClusterMixin, BaseEstimator):
    """Cluster industries from a precomputed square relatedness (affinity) matrix.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    method : {'agglomerative', 'spectral', 'kmeans'}, default='agglomerative'
        ``agglomerative``: :class:`sklearn.cluster.AgglomerativeClustering` on the distance
        d_ij = 1 - a_ij (``linkage`` average, complete or single), or with ``linkage='ward'``
        on the spectral embedding; ``spectral``: :class:`sklearn.cluster.SpectralClustering`
        on the affinity a_ij; ``kmeans``: :class:`sklearn.cluster.KMeans` on the row-normalised
        spectral embedding (Ng, Jordan & Weiss 2001).
    linkage : {'average', 'complete', 'single', 'ward'}, default='average'
        Linkage of the agglomerative method.
    standardise : {'rank', 'minmax'}, default='rank'
        How relatedness becomes an affinity in [0, 1] (:func:`standardised_affinity`).
    n_neighbors : int or None, default=None
        Strongest links kept per industry for the spectral methods and the embedding
        (:func:`nearest_neighbour_affinity`); None keeps every link.
    embedding_dim : int or None, default=None
        Dimensions of the spectral embedding (``kmeans`` and ``ward``); None = n_clusters.
    n_init : int, default=10
        k-means restarts (``kmeans`` and ``spectral``).
    random_state : int, RandomState or None, default=None
        Seed of the embedding's eigensolver and of k-means.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n,)
        Cluster of each industry, 0..k-1 in order of first appearance.
    n_clusters_ : int
        Number of distinct clusters found.
    n_features_in_ : int
        Number of industries seen in ``fit``.

    Notes
    -----
    ``X`` is square: X[i, j] is the relatedness of industries i and j (higher = more
    related, any sign, NaN = unknown; the matrix is symmetrised as (X + X') / 2 and its
    diagonal ignored). Delgado, Porter & Stern (2016) cluster such a matrix with hierarchical
    and k-means algorithms; the spectral variants follow von Luxburg (2007).

    Examples
    --------
    >>> r = np.array([[1, .9, .1, .2], [.9, 1, .2, .1], [.1, .2, 1, .8], [.2, .1, .8, 1]])
    >>> IndustryClusterer(n_clusters=2).fit(r).labels_
    array([0, 0, 1, 1])
    """

    def __init__(
        self,
        n_clusters: int = 8,
        method: str = "agglomerative",
        linkage: str = "average",
        standardise: str = "rank",
        n_neighbors: int | None = None,
        embedding_dim: int | None = None,
        n_init: int = 10,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.method = method
        self.linkage = linkage
        self.standardise = standardise
        self.n_neighbors = n_neighbors
        self.embedding_dim = embedding_dim
        self.n_init = n_init
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = True
        tags.input_tags.allow_nan = True  # unknown links; the diagonal may be NaN
        return tags

    def _check_parameters(self, n_samples: int) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {self.method!r}")
        if self.linkage not in LINKAGES:
            raise ValueError(f"linkage must be one of {LINKAGES}; got {self.linkage!r}")
        if not isinstance(self.n_clusters, int | np.integer) or not (
            1 <= self.n_clusters <= n_samples
        ):
            raise ValueError(
                f"n_clusters must be an integer in [1, {n_samples}]; got {self.n_clusters!r}"
            )

    def _embedding(self, affinity: np.ndarray) -> np.ndarray:
        graph = nearest_neighbour_affinity(affinity, self.n_neighbors)
        dimensions = min(self.embedding_dim or self.n_clusters, affinity.shape[0] - 1)
        embedding = spectral_embedding(
            graph,
            n_components=max(dimensions, 1),
            random_state=self.random_state,
            drop_first=False,
        )
        norms = np.linalg.norm(embedding, axis=1, keepdims=True)
        return embedding / np.where(norms > 0, norms, 1.0)

    def fit(self, X, y=None):
        """Cluster the industries of the square relatedness matrix ``X``; returns self."""
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        if X.shape[0] != X.shape[1]:
            raise ValueError(
                f"X must be a square relatedness matrix (industries x industries); got {X.shape}"
            )
        n_samples = X.shape[0]
        self._check_parameters(n_samples)
        affinity = standardised_affinity(X, self.standardise)
        if self.n_clusters == 1 or self.n_clusters == n_samples:
            labels = np.zeros(n_samples) if self.n_clusters == 1 else np.arange(n_samples)
        elif self.method == "agglomerative" and self.linkage == "ward":
            labels = AgglomerativeClustering(
                n_clusters=self.n_clusters, linkage="ward"
            ).fit_predict(self._embedding(affinity))
        elif self.method == "agglomerative":
            distance = 1.0 - affinity
            np.fill_diagonal(distance, 0.0)
            labels = AgglomerativeClustering(
                n_clusters=self.n_clusters, metric="precomputed", linkage=self.linkage
            ).fit_predict(distance)
        elif self.method == "spectral":
            labels = SpectralClustering(
                n_clusters=self.n_clusters,
                affinity="precomputed",
                n_init=self.n_init,
                random_state=self.random_state,
            ).fit_predict(nearest_neighbour_affinity(affinity, self.n_neighbors))
        else:
            labels = KMeans(
                n_clusters=self.n_clusters, n_init=self.n_init, random_state=self.random_state
            ).fit_predict(self._embedding(affinity))
        self.labels_ = _first_seen_order(np.asarray(labels))
        self.n_clusters_ = int(len(np.unique(self.labels_)))
        return self


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
    methods: Sequence[str] = METHODS,
    random_state: int | None = 0,
    linkages: Sequence[str] = ("average",),
    standardise: str = "rank",
    n_neighbors: int | None = None,
    max_cluster_share: float = 1.0,
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


# --------------------------------------------------------------------------- benchmark, names, baselines


def benchmark_agreement(labels: pd.Series, benchmark: pd.Series) -> dict[str, float]:
    """Agreement of derived clusters with benchmark clusters on the industries both have.

    Parameters
    ----------
    labels, benchmark : Series
        Cluster of each industry, indexed by industry code.

    Returns
    -------
    dict
        n_industries (in both), n_clusters, n_benchmark_clusters, ari (adjusted Rand index,
        Hubert & Arabie 1985) and nmi (normalised mutual information, arithmetic mean
        normalisation; Vinh, Epps & Bailey 2010), from :mod:`sklearn.metrics`.
    """
    common = labels.index.intersection(benchmark.index)
    if len(common) < 2:
        raise UserError(
            "benchmark: fewer than two industries are in both the derived and the benchmark "
            "clusters; check that both use the same industry codes"
        )
    derived, reference = labels.loc[common].astype(str), benchmark.loc[common].astype(str)
    return {
        "n_industries": int(len(common)),
        "n_clusters": int(derived.nunique()),
        "n_benchmark_clusters": int(reference.nunique()),
        "ari": float(adjusted_rand_score(reference, derived)),
        "nmi": float(normalized_mutual_info_score(reference, derived)),
    }


def name_clusters(
    labels: pd.Series,
    employment_by_industry: pd.Series,
    titles: pd.Series | None = None,
    top_industries: int = 2,
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
    top_industries: int = 2,
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
    names = name_clusters(labels, employment_by_industry, titles, top_industries)
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


def parent_code_labels(industry_codes: Sequence[str] | pd.Index, digits: int = 3) -> pd.Series:
    """Baseline partition: each industry in the group of its ``digits``-character parent code.

    For NAICS, ``digits=3`` groups six-digit industries by three-digit subsector, the baseline
    DPS (2016, sec. 5) compare their definitions with.
    """
    codes = pd.Index(industry_codes).astype(str)
    return pd.Series(codes.str[:digits], index=codes, name="cluster")


def classification_proximity(
    industry_codes: Sequence[str] | pd.Index, digits: Sequence[int] = (3, 4)
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


def location_quotient_correlation(location_quotients: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlation across regions of industries' location quotients.

    Parameters
    ----------
    location_quotients : DataFrame
        Regions x industries (a region without the industry has LQ 0).

    Returns
    -------
    DataFrame
        Industries x industries correlation, diagonal NaN; an industry with the same LQ
        everywhere has NaN links.
    """
    correlation = location_quotients.corr()
    values = correlation.to_numpy(copy=True)
    np.fill_diagonal(values, np.nan)
    return pd.DataFrame(values, index=correlation.index, columns=correlation.columns)


def naive_lq_clusters(location_quotients: pd.DataFrame, n_clusters: int) -> pd.Series:
    """Baseline partition: average-linkage agglomerative clustering of LQ correlations.

    The distance is d_ij = 1 - corr(LQ_i, LQ_j) across regions (unknown correlations count as
    0); this is the "naive" co-location clustering that DPS (2016, sec. 5) show to be weak.
    """
    correlation = location_quotient_correlation(location_quotients)
    distance = 1.0 - np.nan_to_num(correlation.to_numpy(), nan=0.0)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=n_clusters, metric="precomputed", linkage="average"
    ).fit_predict(distance)
    return pd.Series(labels, index=correlation.index, name="cluster")


# --------------------------------------------------------------------------- what the stage calls


def clustering_relatedness(
    measures: Mapping[str, pd.DataFrame],
    weights: Mapping[str, float],
    industry_codes: Sequence[str],
    settings: IndustryClusterSettings,
    standardise: str = "zscore",
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
        chosen[PROXIMITY] = classification_proximity(codes, settings.proximity_digits)
        weights[PROXIMITY] = settings.proximity_weight
    combined = combined_relatedness(chosen, weights, standardise)
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
        settings.methods,
        settings.random_state,
        settings.linkages,
        settings.standardise,
        settings.n_neighbors,
        settings.max_cluster_share,
    )
    table = derived_cluster_table(
        labels, employment_by_industry, titles, settings.name_industries, cluster_type
    )
    return table, scores


def validation_metrics(
    relatedness: pd.DataFrame,
    derived: pd.Series,
    benchmark: pd.Series | None = None,
    location_quotients: pd.DataFrame | None = None,
    parent_digits: int = 3,
) -> dict[str, dict[str, float]]:
    """VS scores of the derived clusters, the benchmark and the baselines, and their ARI / NMI.

    Parameters
    ----------
    relatedness : DataFrame
        The square relatedness the clusters were derived from (industry codes).
    derived : Series
        Derived cluster of each industry (e.g. ``table.set_index('industry_code').cluster_code``).
    benchmark : Series, optional
        Benchmark cluster of each industry (DPS traded clusters for the US).
    location_quotients : DataFrame, optional
        Regions x industries LQs, for the naive LQ-correlation baseline (as many clusters as
        the derived set).
    parent_digits : int
        Parent-code length of the classification baseline (3 = three-digit NAICS).

    Returns
    -------
    dict
        One entry per partition (derived, benchmark, parent_<d>_digit, naive_lq_correlation):
        n_clusters, vs_cluster, vs_industry, criterion, largest_share, singletons, and, when
        a benchmark is given, n_industries, ari and nmi against it, all on the industries of
        ``relatedness`` that the partition covers.
    """
    codes = relatedness.index
    partitions = {"derived": derived.reindex(codes).dropna()}
    if benchmark is not None:
        partitions["benchmark"] = benchmark.reindex(codes).dropna()
    partitions[f"parent_{parent_digits}_digit"] = parent_code_labels(codes, parent_digits)
    if location_quotients is not None:
        columns = [code for code in codes if code in location_quotients.columns]
        partitions["naive_lq_correlation"] = naive_lq_clusters(
            location_quotients[columns], int(partitions["derived"].nunique())
        )
    metrics: dict[str, dict[str, float]] = {}
    for name, labels in partitions.items():
        scores = partition_scores(relatedness, labels)
        if benchmark is not None:
            agreement = benchmark_agreement(labels, benchmark)
            scores.update(
                n_industries=agreement["n_industries"], ari=agreement["ari"], nmi=agreement["nmi"]
            )
        metrics[name] = {key: _rounded(value) for key, value in scores.items()}
    return metrics


def _rounded(value: float) -> float:
    return value if isinstance(value, int) else round(float(value), METRIC_DECIMALS)
