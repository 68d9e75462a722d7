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

Modules
-------
:mod:`~pipeline.clusters.region_groups.profiles` (step 1),
:mod:`~pipeline.clusters.region_groups.grouper` (step 2),
:mod:`~pipeline.clusters.region_groups.scores` (the range of k and the scores),
:mod:`~pipeline.clusters.region_groups.kmeans` (step 3),
:mod:`~pipeline.clusters.region_groups.dominant` (step 4),
:mod:`~pipeline.clusters.region_groups.years` (step 5) and
:mod:`~pipeline.clusters.region_groups.contiguity` (adjacency, contiguity checks).
"""

from pipeline.clusters.region_groups.contiguity import (
    connectivity_matrix,
    contiguity_graph,
    is_contiguous,
)
from pipeline.clusters.region_groups.dominant import dominant_clusters, region_group_table
from pipeline.clusters.region_groups.grouper import RegionGrouper
from pipeline.clusters.region_groups.kmeans import kmeans_groups
from pipeline.clusters.region_groups.profiles import TRANSFORMS, cluster_profiles
from pipeline.clusters.region_groups.scores import SCORERS, SCORES, group_count_range
from pipeline.clusters.region_groups.years import group_regions

__all__ = [
    "SCORERS",
    "SCORES",
    "TRANSFORMS",
    "RegionGrouper",
    "cluster_profiles",
    "connectivity_matrix",
    "contiguity_graph",
    "dominant_clusters",
    "group_count_range",
    "group_regions",
    "is_contiguous",
    "kmeans_groups",
    "region_group_table",
]
