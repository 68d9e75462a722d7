"""The industry clusterer: a scikit-learn estimator on a precomputed relatedness matrix.

:class:`IndustryClusterer` groups industries from a square relatedness matrix (higher = more
related) by agglomerative clustering on a distance, spectral clustering on an affinity, or
k-means on a spectral embedding (von Luxburg 2007, *A tutorial on spectral clustering*); the
relatedness is first turned into a non-negative affinity (:func:`standardised_affinity`,
optionally sparsified by :func:`nearest_neighbour_affinity`). It follows the scikit-learn
estimator contract (hyper-parameters in ``__init__``, ``fit`` returns ``self``, learned state
ends in ``_``); :mod:`pipeline.clusters.derived` fits it over a grid and keeps the best
partition by the DPS validation scores.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.manifold import spectral_embedding
from sklearn.utils.validation import validate_data

METHODS = ("agglomerative", "spectral", "kmeans")
LINKAGES = ("average", "complete", "single", "ward")
STANDARDISATIONS = ("rank", "minmax")


def _symmetric(matrix: np.ndarray) -> np.ndarray:
    """(R + R') / 2, ignoring a missing half of a pair."""
    stacked = np.stack([matrix, matrix.T])
    counts = (~np.isnan(stacked)).sum(axis=0)
    total = np.nansum(stacked, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def standardised_affinity(relatedness: np.ndarray, *, standardise: str) -> np.ndarray:
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
        affinity = standardised_affinity(X, standardise=self.standardise)
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
