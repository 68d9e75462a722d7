"""Contiguity-constrained Ward grouping of regions (:class:`RegionGrouper`, a scikit-learn
estimator), one tree per connected component merged greedily (see :mod:`pipeline.clusters.
region_groups`).
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering
from sklearn.utils.validation import validate_data

from pipeline.clusters.region_groups.contiguity import connectivity_matrix
from pipeline.clusters.region_groups.scores import (
    SCORES,
    _best,
    _largest_share,
    _score,
    group_count_range,
)


class RegionGrouper(ClusterMixin, BaseEstimator):
    """Contiguity-constrained hierarchical grouping of regions, k chosen by a score.

    Parameters
    ----------
    n_groups : int or (int, int)
        Number of groups, or the inclusive range searched. It counts the groups of
        regions that have neighbours; each region without one is an extra group of its
        own. The range is clipped to what the graph allows (at least one group per
        connected component, at most one per region).
    linkage : {"ward", "complete", "average", "single"}
        AgglomerativeClustering linkage (Ward minimises the within-group sum of squares).
    connectivity : libpysal.graph.Graph, sparse matrix, array or None
        Contiguity among X's rows, in X's row order (``Graph.sparse`` of a Graph whose
        ``unique_ids`` are X's index). None: unconstrained (every pair may merge).
    scoring : {"silhouette", "calinski_harabasz"}
        The criterion that picks the number of groups (highest wins; ties: fewer groups).
    min_mean_size : float
        The range's upper end is capped so that groups hold at least this many regions
        on average (see :func:`group_count_range`).
    max_group_share : float
        A cut whose largest group holds more than this share of the regions with
        neighbours is not eligible (contiguity-constrained Ward tends to chain most of a
        country into one group at small k while peeling off distinctive pockets); if no
        cut qualifies, those with the smallest largest group are.

    Attributes
    ----------
    labels_ : ndarray of int
        Group of each row, numbered 0.. by first appearance.
    n_groups_ : int
        Chosen number of groups (regions without neighbours not counted).
    n_isolates_ : int
        Regions without neighbours (each its own group).
    n_components_ : int
        Connected components of the contiguity graph, isolates included.
    scores_ : DataFrame
        n_groups, silhouette, calinski_harabasz, largest_share for every cut searched,
        computed on the regions that have neighbours.
    labels_by_k_ : dict[int, ndarray]
        The labels of every cut searched.

    Notes
    -----
    Ward's criterion merges, at each step, the two adjacent groups A, B whose union least
    increases the within-group sum of squares,
    Delta(A, B) = |A| |B| / (|A| + |B|) * ||mean_A - mean_B||^2 (Ward 1963). The cuts
    are scored by the silhouette s = mean_i (b_i - a_i) / max(a_i, b_i) (Rousseeuw 1987)
    or by Calinski-Harabasz CH = [B / (k - 1)] / [W / (n - k)] (Calinski & Harabasz
    1974), both on the profiles the tree was built on. There is no randomness: the tree
    is deterministic.

    Examples
    --------
    >>> profile = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    >>> chain = np.eye(6, k=1) + np.eye(6, k=-1)  # regions in a row
    >>> RegionGrouper(n_groups=(2, 3), connectivity=chain).fit(profile).labels_.tolist()
    [0, 0, 0, 1, 1, 1]
    """

    def __init__(
        self,
        n_groups: int | tuple[int, int] = (2, 10),
        linkage: str = "ward",
        connectivity: Any = None,
        scoring: str = "silhouette",
        min_mean_size: float = 1.0,
        max_group_share: float = 1.0,
    ) -> None:
        self.n_groups = n_groups
        self.linkage = linkage
        self.connectivity = connectivity
        self.scoring = scoring
        self.min_mean_size = min_mean_size
        self.max_group_share = max_group_share

    def fit(self, X: Any, y: Any = None) -> RegionGrouper:  # noqa: N803 (sklearn's name)
        """Build the constrained tree, cut it at every k of the range, keep the best."""
        X = validate_data(self, X, dtype="float64", ensure_min_samples=2)
        if self.scoring not in SCORES:
            raise ValueError(f"scoring is '{self.scoring}'; use {' or '.join(SCORES)}")
        n_samples = X.shape[0]
        if self.connectivity is None:
            adjacency = sparse.csr_matrix(np.ones((n_samples, n_samples)) - np.eye(n_samples))
        else:
            adjacency = connectivity_matrix(self.connectivity, n_samples)
        n_components, component = connected_components(adjacency, directed=False)
        sizes = np.bincount(component)
        isolated = sizes[component] == 1
        merges = self._merge_sequence(X, adjacency, component, n_components)

        connected_components_ = int(np.sum(sizes > 1))
        n_connected = int((~isolated).sum())
        low, high = group_count_range(self.n_groups, n_connected, min_mean_size=self.min_mean_size)
        # at least one group per connected component, at most one per region
        low = min(max(low, connected_components_, 1), max(n_connected, 1))
        high = min(max(high, low), max(n_connected, 1))
        n_isolates = int(isolated.sum())
        if n_connected == 0:  # no contiguity at all: every region is its own group
            low = high = 0
        labels_by_k = _cut(n_samples, merges, range(low + n_isolates, high + n_isolates + 1))
        rows = []
        self.labels_by_k_ = {}
        for total, labels in labels_by_k.items():
            k = total - n_isolates
            self.labels_by_k_[k] = labels
            connected = labels[~isolated]
            rows.append(
                {
                    "n_groups": k,
                    **_score(X[~isolated], connected),
                    "largest_share": _largest_share(connected),
                }
            )
        self.scores_ = pd.DataFrame(rows, columns=["n_groups", *SCORES, "largest_share"])
        self.n_groups_ = _best(self.scores_, self.scoring, max_group_share=self.max_group_share)
        self.labels_ = self.labels_by_k_[self.n_groups_]
        self.n_isolates_ = n_isolates
        self.n_components_ = int(n_components)
        return self

    def _merge_sequence(
        self,
        profile: np.ndarray,
        adjacency: sparse.csr_matrix,
        component: np.ndarray,
        n_components: int,
    ) -> list[tuple[int, int]]:
        """Pairs of regions (one member of each side) in greedy global merge order."""
        sequences = []
        for part in range(n_components):
            members = np.flatnonzero(component == part)
            if len(members) < 2:
                continue
            if len(members) == 2:
                distance = float(np.linalg.norm(profile[members[0]] - profile[members[1]]))
                sequences.append([(distance, int(members[0]), int(members[1]))])
                continue
            tree = AgglomerativeClustering(
                n_clusters=1,
                linkage=self.linkage,
                connectivity=adjacency[members][:, members],
                compute_full_tree=True,
                compute_distances=True,
            ).fit(profile[members])
            representative = list(members)  # node id -> one region of the node
            steps = []
            for (left, right), distance in zip(tree.children_, tree.distances_, strict=True):
                steps.append((float(distance), representative[left], representative[right]))
                representative.append(representative[left])
            sequences.append(steps)
        # Each tree's own order is the greedy order within its component; merging by the
        # next step's cost interleaves them as one greedy run over the whole graph would.
        merged = heapq.merge(*sequences, key=lambda step: step[0])
        return [(int(a), int(b)) for _, a, b in merged]


def _cut(n_samples: int, merges: list[tuple[int, int]], totals: range) -> dict[int, np.ndarray]:
    """Labels after applying merges until each total number of groups in ``totals``."""
    parent = np.arange(n_samples)

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    wanted = set(totals)
    found: dict[int, np.ndarray] = {}
    groups = n_samples
    steps = iter(merges)
    while True:
        if groups in wanted:
            roots = np.array([root(node) for node in range(n_samples)])
            found[groups] = pd.factorize(roots)[0].astype("int64")
        if groups <= min(wanted, default=groups):
            break
        step = next(steps, None)
        if step is None:
            break
        a, b = root(step[0]), root(step[1])
        parent[max(a, b)] = min(a, b)
        groups -= 1
    return dict(sorted(found.items()))
