"""Specialisation regions: contiguous groups of regions with a similar cluster mix.

Regions are grouped by their profile over clusters (one row per region, one column per
cluster, from ``cluster_strength``) with Ward's hierarchical clustering constrained by the
published contiguity (scikit-learn :class:`~sklearn.cluster.AgglomerativeClustering` with
``connectivity``), as PySAL spopt's ``WardSpatial`` does. Only adjacent groups may merge,
so every group is a connected set of regions; an unconstrained :class:`~sklearn.cluster.KMeans`
grouping of the same profiles is kept alongside for comparison.

Steps
-----
1. :func:`cluster_profiles` builds the region x cluster matrix of one year with a
   documented transform (``log_lq`` or ``share``), optionally standardised.
2. :class:`RegionGrouper` fits the constrained Ward tree once and cuts it at every
   number of groups of a range, scoring each cut (silhouette or Calinski-Harabasz); the
   best-scoring cut gives ``labels_``.
3. :func:`kmeans_groups` does the same search with KMeans, without contiguity.
4. :func:`region_group_table` publishes one row per region with its group and the
   group's dominant clusters (most jobs above the national share, with the pooled LQ).
5. :func:`group_regions` runs 1-4 for the years params ``region_groups.years`` names
   (``last`` by default: group ids of separate years are not comparable, and a region's
   mix changes slowly) and gathers the scores.

Disconnected graphs
-------------------
scikit-learn *completes* a connectivity matrix with several connected components (it
links their nearest points and warns), so its tree may merge regions that do not touch.
:class:`RegionGrouper` instead builds one Ward tree per connected component and merges
their merge sequences greedily (always the cheapest next merge over all components,
``heapq.merge``), which is exactly the constrained Ward algorithm run on the disconnected
graph without completion. Regions without neighbours therefore stay their own group; they
are not counted in ``n_groups`` and are left out of the scores (a singleton has no
silhouette).

References
----------
Ward, J. H. (1963). Hierarchical grouping to optimize an objective function. JASA 58, 236-244.
Murtagh, F. (1985). Multidimensional clustering algorithms (contiguity-constrained HAC).
Rousseeuw, P. J. (1987). Silhouettes. J. Comput. Appl. Math. 20, 53-65.
Calinski, T. & Harabasz, J. (1974). A dendrite method for cluster analysis. Comm. Stat. 3, 1-27.
Rey, S. J. et al., PySAL spopt ``WardSpatial`` (Ward clustering with a contiguity graph).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, silhouette_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_array, validate_data
from threadpoolctl import threadpool_limits

from pipeline.errors import UserError
from pipeline.measures.spatial import graph_from_weights

if TYPE_CHECKING:
    from libpysal.graph import Graph

    from pipeline.config import RegionGroupSettings

TRANSFORMS = ("log_lq", "share")
SCORES = ("silhouette", "calinski_harabasz")
SCORERS = {"silhouette": silhouette_score, "calinski_harabasz": calinski_harabasz_score}


def cluster_profiles(
    strength: pd.DataFrame,
    year: int,
    cluster_types: Sequence[str] = ("traded",),
    transform: str = "log_lq",
    standardise: bool = True,
) -> pd.DataFrame:
    """Region x cluster profile matrix of one year.

    Parameters
    ----------
    strength : DataFrame
        ``cluster_strength`` rows: region_id, year, cluster_code, cluster_type,
        employment, lq.
    year : int
        The year to profile.
    cluster_types : sequence of str
        Cluster types kept as columns (traded clusters by default: local clusters follow
        population and say little about a region's specialisation).
    transform : {"log_lq", "share"}
        ``log_lq``: x_rc = log(1 + LQ_rc). ``share``: x_rc = E_rc / sum_c' E_rc', the
        cluster's share of the region's employment in the kept clusters (its mix).
    standardise : bool
        z-score every column across regions (x - mean) / sd, so each cluster weighs the
        same in Ward's sum of squares; constant columns become 0.

    Returns
    -------
    DataFrame
        Index region_id (sorted; every region with a row in ``strength`` that year), one
        column per cluster_code (sorted), float64.

    Notes
    -----
    A region x cluster cell absent from ``strength`` is a cluster without employment in
    that region: LQ 0 and share 0. A present cell with a missing value (suppressed) is
    set to the column's mean after the transform, which leaves Ward's criterion unmoved
    by it. log(1 + LQ) compresses the long right tail of LQs of small clusters (an LQ of
    40 is not 40 times as informative as 1) while keeping 0 at 0.

    Examples
    --------
    >>> strength = pd.DataFrame({
    ...     "region_id": ["A", "A", "B"], "year": 2019, "cluster_code": ["1", "2", "1"],
    ...     "cluster_type": "traded", "employment": [10.0, 30.0, 5.0], "lq": [1.0, 3.0, 0.5]})
    >>> cluster_profiles(strength, 2019, transform="share", standardise=False)  # doctest: +NORMALIZE_WHITESPACE
    cluster_code     1     2
    region_id
    A             0.25  0.75
    B             1.00  0.00
    """
    if transform not in TRANSFORMS:
        raise UserError(
            f"params.yaml: region_groups.transform is '{transform}'; use {' or '.join(TRANSFORMS)}"
        )
    missing = {"region_id", "year", "cluster_code", "cluster_type", "employment", "lq"} - set(
        strength.columns
    )
    if missing:
        raise UserError(
            f"cluster_strength: missing column(s) {', '.join(sorted(missing))}; rerun regclust cluster"
        )
    of_year = strength[strength["year"] == year]
    regions = pd.Index(sorted(of_year["region_id"].astype(str).unique()), name="region_id")
    kept = of_year[of_year["cluster_type"].isin(list(cluster_types))]
    if kept.empty:
        raise UserError(
            f"cluster_strength: no clusters of type {', '.join(cluster_types)} in {year}; "
            "set region_groups.cluster_types to types the dataset has"
        )
    value = "lq" if transform == "log_lq" else "employment"
    cells = kept.assign(region_id=kept["region_id"].astype(str)).set_index(
        ["region_id", "cluster_code"]
    )[value]
    suppressed = cells.isna().unstack(fill_value=False).reindex(regions, fill_value=False)
    wide = cells.unstack().reindex(regions).fillna(0.0).mask(suppressed).sort_index(axis=1)
    if transform == "log_lq":
        profile = np.log1p(wide)
    else:
        total = wide.sum(axis=1)
        profile = wide.div(total.where(total > 0), axis=0)
        # a region without employment in the kept clusters has an all-zero mix
        profile = profile.mask(wide.notna() & profile.isna(), 0.0)
    profile = profile.fillna(profile.mean())
    profile = profile.fillna(0.0)  # a column missing everywhere carries no information
    if standardise:
        profile = pd.DataFrame(
            StandardScaler().fit_transform(profile.to_numpy()),
            index=profile.index,
            columns=profile.columns,
        )
    profile.columns = profile.columns.astype(str)
    profile.columns.name = "cluster_code"
    return profile


def connectivity_matrix(graph: Any, n_samples: int) -> sparse.csr_matrix:
    """Symmetric 0/1 CSR adjacency from a libpysal Graph, a sparse matrix or an array.

    Self-pairs (libpysal's isolates, weight 0) and zero weights are no links.
    """
    matrix = graph.sparse if hasattr(graph, "sparse") else graph
    matrix = sparse.csr_matrix(matrix, dtype="float64")
    if matrix.shape != (n_samples, n_samples):
        raise ValueError(
            f"connectivity has shape {matrix.shape}; expected ({n_samples}, {n_samples}) "
            "in the order of X's rows"
        )
    matrix = ((matrix + matrix.T) != 0).astype("float64")
    matrix.setdiag(0.0)
    matrix.eliminate_zeros()
    return matrix.tocsr()


def is_contiguous(labels: Sequence[int] | np.ndarray, graph: Any) -> bool:
    """Whether every group is one connected component of the graph restricted to it.

    Parameters
    ----------
    labels : array of int
        Group of each region, in the graph's order.
    graph : libpysal.graph.Graph, sparse matrix or array
        Contiguity among the same regions.

    Returns
    -------
    bool

    Examples
    --------
    >>> path = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])  # A - B - C
    >>> is_contiguous([0, 0, 1], path), is_contiguous([0, 1, 0], path)
    (True, False)
    """
    labels = np.asarray(labels)
    adjacency = connectivity_matrix(graph, len(labels))
    for group in np.unique(labels):
        members = np.flatnonzero(labels == group)
        n_parts, _ = connected_components(adjacency[members][:, members], directed=False)
        if n_parts != 1:
            return False
    return True


def group_count_range(
    n_groups: int | Sequence[int], n_regions: int, min_mean_size: float = 1.0
) -> tuple[int, int]:
    """(lowest, highest) number of groups searched; an int searches that one value.

    The highest is capped at ``n_regions / min_mean_size`` (at least 1), so that groups
    hold ``min_mean_size`` regions on average: both scores reward ever finer partitions as
    k nears n (Calinski-Harabasz's within-group sum of squares tends to 0).

    Examples
    --------
    >>> group_count_range((5, 40), 40, 3.0), group_count_range(7, 100)
    ((5, 13), (7, 7))
    """
    if isinstance(n_groups, int | np.integer):
        low = high = int(n_groups)
    else:
        low, high = sorted(int(value) for value in n_groups)
    cap = max(int(n_regions // max(min_mean_size, 1.0)), 1)
    high = min(high, cap)
    return min(low, high), high


def _score(profile: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Silhouette and Calinski-Harabasz of one partition (NaN when undefined)."""
    n_labels = len(np.unique(labels))
    if not 2 <= n_labels <= len(labels) - 1:
        return dict.fromkeys(SCORES, float("nan"))
    return {name: float(scorer(profile, labels)) for name, scorer in SCORERS.items()}


def _largest_share(labels: np.ndarray) -> float:
    """Share of the regions in the largest group."""
    return float(np.bincount(pd.factorize(labels)[0]).max() / len(labels)) if len(labels) else 0.0


def _best(scores: pd.DataFrame, score: str, max_group_share: float = 1.0) -> int:
    """The number of groups with the highest score (the smallest on ties).

    Only cuts whose largest group holds at most ``max_group_share`` of the regions are
    eligible; when none is, the cuts with the smallest largest group are.
    """
    finite = scores[np.isfinite(scores[score])]
    if finite.empty:
        return int(scores["n_groups"].min())
    eligible = finite[finite["largest_share"] <= max_group_share]
    if eligible.empty:
        eligible = finite[finite["largest_share"] == finite["largest_share"].min()]
    ranked = eligible.sort_values([score, "n_groups"], ascending=[False, True])
    return int(ranked.iloc[0]["n_groups"])


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
        low, high = group_count_range(self.n_groups, n_connected, self.min_mean_size)
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
        self.n_groups_ = _best(self.scores_, self.scoring, self.max_group_share)
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


def kmeans_groups(
    profile: np.ndarray | pd.DataFrame,
    n_groups: int | Sequence[int],
    score: str = "silhouette",
    random_state: int | None = 0,
    n_init: int = 10,
    min_mean_size: float = 1.0,
    max_group_share: float = 1.0,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Unconstrained KMeans grouping of the profiles, k chosen by the same score.

    Parameters
    ----------
    profile : array (n_regions, n_clusters)
    n_groups : int or (int, int)
        Number of groups or the inclusive range searched (clipped to 2..n - 1).
    score : {"silhouette", "calinski_harabasz"}
    random_state : int or None
        Seed of KMeans' k-means++ initialisations.
    n_init : int
        KMeans restarts per k (the best inertia is kept).
    min_mean_size, max_group_share : float
        Cap the range and guard the choice as :class:`RegionGrouper` does.

    Returns
    -------
    labels : ndarray of int
    scores : DataFrame
        n_groups, silhouette, calinski_harabasz, largest_share, inertia for every k searched.

    Notes
    -----
    KMeans minimises the within-group sum of squares sum_g sum_{i in g} ||x_i - mean_g||^2
    (Lloyd 1982) with k-means++ seeding (Arthur & Vassilvitskii 2007): Ward's objective
    without the contiguity constraint, so the gap between the two scores is the price of
    contiguity.
    """
    values = check_array(np.asarray(profile, dtype="float64"))
    if score not in SCORES:
        raise UserError(f"params.yaml: region_groups.score is '{score}'; use {' or '.join(SCORES)}")
    low, high = group_count_range(n_groups, len(values), min_mean_size)
    n_distinct = len(np.unique(values, axis=0))
    high = min(high, len(values) - 1, n_distinct)
    low = min(max(low, 2), high)
    rows, labels_by_k = [], {}
    # A few thousand regions: OpenMP threads cost more than they save, and on a shared
    # machine they oversubscribe the cores (measured 15x slower under load).
    with threadpool_limits(limits=1):
        for k in range(low, high + 1):
            model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(values)
            labels_by_k[k] = model.labels_.astype("int64")
            rows.append(
                {
                    "n_groups": k,
                    **_score(values, model.labels_),
                    "largest_share": _largest_share(model.labels_),
                    "inertia": model.inertia_,
                }
            )
    scores = pd.DataFrame(rows, columns=["n_groups", *SCORES, "largest_share", "inertia"])
    return labels_by_k[_best(scores, score, max_group_share)], scores


def dominant_clusters(
    strength: pd.DataFrame,
    year: int,
    groups: pd.Series,
    cluster_types: Sequence[str] = ("traded",),
    top: int = 3,
) -> pd.DataFrame:
    """Each group's dominant clusters: the most jobs above the national share.

    Parameters
    ----------
    strength : DataFrame
        cluster_strength rows (region_id, year, cluster_code, cluster_name, cluster_type,
        employment, region_employment, cluster_national, national_employment).
    year : int
    groups : Series
        group_id indexed by region_id.
    cluster_types : sequence of str
    top : int
        Clusters listed per group.

    Returns
    -------
    DataFrame
        group_id, dominant_cluster_codes, dominant_cluster_names, dominant_cluster_lqs,
        dominant_cluster_excess (lists, largest excess first; empty when no cluster
        exceeds its national share), group_employment; one row per group.

    Notes
    -----
    The group is treated as one region. Its pooled LQ is
    LQ_gc = (E_gc / E_g) / (E_c / E), with E_gc = sum_{r in g} E_rc and E_g = sum_{r in g} E_r
    (the employment-weighted mean of its regions' LQs). Clusters are ranked by their
    excess (export) employment X_gc = E_gc - E_g E_c / E = E_gc (1 - 1 / LQ_gc), the jobs
    above what the national share would give (the LQ-based economic-base estimate, Tiebout
    1962; Isserman 1980), which weighs specialisation by size: ranking by LQ alone would
    put a few hundred jewellery or tobacco jobs ahead of a group's automotive belt. Only
    clusters with X_gc > 0 (LQ > 1) are listed.

    Examples
    --------
    >>> strength = pd.DataFrame({
    ...     "region_id": ["A", "A", "B", "B"], "year": 2019,
    ...     "cluster_code": ["1", "2", "1", "2"], "cluster_name": ["Cars", "Jewels"] * 2,
    ...     "cluster_type": "traded", "employment": [500.0, 20.0, 100.0, 0.0],
    ...     "region_employment": [1000.0, 1000.0, 1000.0, 1000.0],
    ...     "cluster_national": [20000.0, 100.0, 20000.0, 100.0],
    ...     "national_employment": 100000.0})
    >>> table = dominant_clusters(strength, 2019, pd.Series({"A": 0, "B": 0}))
    >>> table.loc[0, "dominant_cluster_names"], table.loc[0, "dominant_cluster_excess"]
    (['Cars', 'Jewels'], [200.0, 18.0])
    """
    of_year = strength[(strength["year"] == year)]
    totals = of_year.drop_duplicates("region_id").set_index("region_id")["region_employment"]
    national = float(of_year["national_employment"].dropna().iloc[0])
    group_total = totals.groupby(groups.reindex(totals.index)).sum()
    kept = of_year[of_year["cluster_type"].isin(list(cluster_types))]
    kept = kept.assign(group_id=kept["region_id"].map(groups)).dropna(subset=["group_id"])
    by_group = kept.groupby(["group_id", "cluster_code"], as_index=False).agg(
        employment=("employment", "sum"),
        cluster_name=("cluster_name", "first"),
        cluster_national=("cluster_national", "first"),
    )
    national_share = by_group["cluster_national"] / national
    expected = by_group["group_id"].map(group_total) * national_share
    by_group["pooled_lq"] = by_group["employment"] / expected
    by_group["excess"] = by_group["employment"] - expected
    by_group = by_group[by_group["excess"] > 0].sort_values(
        ["group_id", "excess", "cluster_code"], ascending=[True, False, True]
    )
    head = by_group.groupby("group_id").head(top)
    listed = head.groupby("group_id").agg(
        dominant_cluster_codes=("cluster_code", list),
        dominant_cluster_names=("cluster_name", list),
        dominant_cluster_lqs=("pooled_lq", lambda lqs: [round(float(v), 4) for v in lqs]),
        dominant_cluster_excess=("excess", lambda jobs: [round(float(v), 1) for v in jobs]),
    )
    listed = listed.reindex(group_total.index)
    for column in listed.columns:  # a group without any cluster above its share
        listed[column] = listed[column].map(lambda value: value if isinstance(value, list) else [])
    listed["group_employment"] = group_total
    listed.index.name = "group_id"
    return listed.reset_index()


def region_group_table(
    strength: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    year: int,
    profile: pd.DataFrame,
    labels: np.ndarray,
    kmeans_labels: np.ndarray,
    cluster_types: Sequence[str] = ("traded",),
    top: int = 3,
) -> gpd.GeoDataFrame:
    """One row per grouped region: its group, the group's dominant clusters, geometry.

    Parameters
    ----------
    strength : DataFrame
        cluster_strength rows.
    regions : GeoDataFrame
        region_id, name, geometry.
    year : int
    profile : DataFrame
        The profiles the groups were fitted on (index region_id).
    labels, kmeans_labels : array of int
        Constrained (Ward) and unconstrained (KMeans) group of each profile row.
    cluster_types : sequence of str
    top : int

    Returns
    -------
    GeoDataFrame
        region_id, name, year, group_id ("<year>-<n>", numbered by group employment,
        largest first), group_regions, group_employment, dominant_cluster_codes,
        dominant_cluster_names, dominant_cluster_lqs, dominant_cluster_excess,
        kmeans_group, geometry; CRS of
        ``regions``.
    """
    raw = pd.Series(np.asarray(labels), index=profile.index)
    first = dominant_clusters(strength, year, raw, cluster_types, top)
    rank = (
        first.sort_values(["group_employment", "group_id"], ascending=[False, True])
        .reset_index(drop=True)
        .reset_index()
        .set_index("group_id")["index"]
    )
    group_id = raw.map(rank).map(lambda n: f"{year}-{int(n) + 1}")
    first["group_id"] = first["group_id"].map(rank).map(lambda n: f"{year}-{int(n) + 1}")
    table = pd.DataFrame(
        {
            "region_id": profile.index.astype(str),
            "year": np.int16(year),
            "group_id": group_id.to_numpy(),
            "kmeans_group": np.asarray(kmeans_labels, dtype="int32"),
        }
    )
    table["group_regions"] = (
        table.groupby("group_id")["region_id"].transform("size").astype("int32")
    )
    table = table.merge(first, on="group_id", how="left")
    geometry = regions[[c for c in ("region_id", "name", "geometry") if c in regions]].copy()
    geometry["region_id"] = geometry["region_id"].astype(str)
    table = geometry.merge(table, on="region_id", how="inner")
    columns = [
        "region_id",
        "name",
        "year",
        "group_id",
        "group_regions",
        "group_employment",
        "dominant_cluster_codes",
        "dominant_cluster_names",
        "dominant_cluster_lqs",
        "dominant_cluster_excess",
        "kmeans_group",
        "geometry",
    ]
    columns = [column for column in columns if column in table]
    return gpd.GeoDataFrame(table[columns], geometry="geometry", crs=regions.crs).sort_values(
        ["group_id", "region_id"], ignore_index=True
    )


def contiguity_graph(weights: pd.DataFrame, region_ids: Sequence[str] | pd.Index) -> Graph:
    """Binary contiguity Graph of ``region_ids``, in their order; regions absent from the
    weights (no boundary, or a dataset without geometry) are isolates.

    Parameters
    ----------
    weights : DataFrame
        The published spatial_weights table: focal, neighbor, weight.
    region_ids : sequence of str
        Sorted region ids (the profile's index).

    Returns
    -------
    libpysal.graph.Graph
        Whose ``unique_ids`` equal ``region_ids`` and whose ``.sparse`` rows follow them.
    """
    ids = pd.Index([str(region) for region in region_ids])
    if not ids.is_monotonic_increasing:
        raise ValueError("region_ids must be sorted (the profile's index is)")
    known = pd.Index(weights["focal"].astype(str).unique()) if len(weights) else pd.Index([])
    absent = ids.difference(known)
    isolates = pd.DataFrame({"focal": absent, "neighbor": absent, "weight": 0.0})
    graph = graph_from_weights(pd.concat([weights, isolates], ignore_index=True), ids)
    if list(graph.unique_ids) != list(ids):
        raise ValueError("contiguity graph order differs from the profile's regions")
    return graph


def group_regions(
    strength: pd.DataFrame,
    weights: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    settings: RegionGroupSettings,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Specialisation regions of the chosen years, and their scores.

    Parameters
    ----------
    strength : DataFrame
        cluster_strength rows.
    weights : DataFrame
        spatial_weights: focal, neighbor, weight.
    regions : GeoDataFrame
        region_id, name, geometry.
    settings : RegionGroupSettings
        params.yaml ``region_groups``.

    Returns
    -------
    table : GeoDataFrame
        :func:`region_group_table` rows of every grouped year.
    metrics : dict
        Per year: regions, isolates, components, the chosen count and scores of the
        contiguous Ward grouping and of KMeans, their score curves, the adjusted Rand
        index between them, the share of KMeans groups that happen to be contiguous, the
        largest groups with their dominant clusters.
    """
    years = sorted(int(year) for year in strength["year"].unique())
    if settings.years == "last":
        years = years[-1:]
    tables, by_year = [], {}
    for year in years:
        profile = cluster_profiles(
            strength, year, settings.cluster_types, settings.transform, settings.standardise
        )
        graph = contiguity_graph(weights, profile.index)
        values = profile.to_numpy()
        n_groups = tuple(settings.n_groups) if len(settings.n_groups) > 1 else settings.n_groups[0]
        grouper = RegionGrouper(
            n_groups=n_groups,
            linkage=settings.linkage,
            connectivity=graph.sparse,
            scoring=settings.score,
            min_mean_size=settings.min_mean_size,
            max_group_share=settings.max_group_share,
        ).fit(values)
        if not is_contiguous(grouper.labels_, graph):  # the algorithm's invariant
            raise RuntimeError(f"{year}: a region group is not contiguous")
        kmeans_labels, kmeans_scores = kmeans_groups(
            values,
            n_groups,
            settings.score,
            settings.random_state,
            settings.kmeans_n_init,
            settings.min_mean_size,
            settings.max_group_share,
        )
        table = region_group_table(
            strength,
            regions,
            year,
            profile,
            grouper.labels_,
            kmeans_labels,
            settings.cluster_types,
            settings.dominant_clusters,
        )
        tables.append(table)
        by_year[str(year)] = _year_metrics(grouper, kmeans_labels, kmeans_scores, graph, table)
    combined = pd.concat(tables, ignore_index=True)
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=regions.crs), by_year


def _year_metrics(
    grouper: RegionGrouper,
    kmeans_labels: np.ndarray,
    kmeans_scores: pd.DataFrame,
    graph: Graph,
    table: gpd.GeoDataFrame,
    largest: int = 5,
) -> dict[str, Any]:
    """The scores of one year's groupings, as plain JSON types."""
    chosen = grouper.scores_.set_index("n_groups")
    k_kmeans = int(len(np.unique(kmeans_labels)))
    kmeans_chosen = kmeans_scores.set_index("n_groups")
    adjacency = connectivity_matrix(graph, len(kmeans_labels))
    contiguous = [
        connected_components(
            adjacency[np.flatnonzero(kmeans_labels == g)][:, np.flatnonzero(kmeans_labels == g)],
            directed=False,
        )[0]
        == 1
        for g in np.unique(kmeans_labels)
    ]
    groups = table.drop_duplicates("group_id").sort_values(
        ["group_employment", "group_id"], ascending=[False, True]
    )

    def number(value: Any) -> float | None:
        return None if pd.isna(value) else round(float(value), 6)

    def curve(scores: pd.DataFrame) -> list[dict[str, Any]]:
        return [
            {
                "n_groups": int(row["n_groups"]),
                **{name: number(row[name]) for name in (*SCORES, "largest_share")},
            }
            for _, row in scores.iterrows()
        ]

    return {
        "regions": int(len(grouper.labels_)),
        "isolates": grouper.n_isolates_,
        "components": grouper.n_components_,
        "score": grouper.scoring,
        "ward": {
            "n_groups": grouper.n_groups_,
            "groups_with_isolates": int(len(np.unique(grouper.labels_))),
            **{
                name: number(chosen.loc[grouper.n_groups_, name]) if len(chosen) else None
                for name in SCORES
            },
            "contiguous": True,
            "scores": curve(grouper.scores_),
        },
        "kmeans": {
            "n_groups": k_kmeans,
            **{name: number(kmeans_chosen.loc[k_kmeans, name]) for name in SCORES},
            "contiguous_share": round(float(np.mean(contiguous)), 6),
            "scores": curve(kmeans_scores),
        },
        "adjusted_rand_ward_kmeans": round(
            float(adjusted_rand_score(grouper.labels_, kmeans_labels)), 6
        ),
        "largest_groups": [
            {
                "group_id": row["group_id"],
                "regions": int(row["group_regions"]),
                "employment": float(row["group_employment"]),
                "dominant_clusters": list(row["dominant_cluster_names"]),
            }
            for _, row in groups.head(largest).iterrows()
        ],
    }
