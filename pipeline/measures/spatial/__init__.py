"""Spatial autocorrelation: global Moran's I, local Moran (LISA) and Getis-Ord Gi*.

All statistics use a libpysal :class:`~libpysal.graph.Graph` built from the published
spatial weights table (focal, neighbor, weight) and row-standardised, as esda does by
default. Results equal esda's (esda 2.9):

* :func:`global_moran` is a vectorised :class:`esda.Moran`: many variables (columns) at
  once, one set of permutation draws shared by all of them. It reproduces esda's I
  bit for bit and, with the same seed, esda's pseudo p-value ``p_sim``.
* :func:`local_spatial` calls :class:`esda.Moran_Local` and :class:`esda.G_Local`
  (Gi*, ``star=True``) once per variable.
* :func:`moran_by_group` and :func:`local_by_group` take a long region x industry table
  (for example location quotients) and run the two above per year and industry.

Conventions shared by every function here:

* **Missing values** (NaN in ``values``) are dropped variable by variable: the statistic
  is computed on the regions where the variable is observed, on the subgraph of those
  regions re-standardised by row (``missing="drop"``), which is what esda returns for that
  subset. ``missing="raise"`` refuses NaN instead. The long-table wrappers first turn a
  region x industry cell that is *absent* from the table into 0 (no employment of that
  industry in that region, LQ 0); a row that is present with a NaN value (for example a
  suppressed count) stays missing.
* **Constant variables** (including all-zero ones) have no spatial autocorrelation to
  measure: every statistic is NaN, nothing raises.
* **Isolates** (regions without a neighbour) keep esda's statistic value (their spatial
  lag is 0) but have no local inference: their local p-value, quadrant ('ns') and Gi*
  are NaN / 'ns', because esda's conditional permutation gives an isolate a spurious
  p_sim of 1 / (permutations + 1). They still count in n for the global statistic, as in
  esda.

Where things are: :mod:`~pipeline.measures.spatial.weights` (the Graph of the published
weights), :mod:`~pipeline.measures.spatial.inputs` (missing values, alignment),
:mod:`~pipeline.measures.spatial.moran` (global Moran's I),
:mod:`~pipeline.measures.spatial.local` (local Moran and the local-statistics driver),
:mod:`~pipeline.measures.spatial.getis_ord` (Gi*), :mod:`~pipeline.measures.spatial.by_group`
(the long-table wrappers).
"""

from pipeline.measures.spatial.by_group import local_by_group, moran_by_group
from pipeline.measures.spatial.inputs import MISSING_POLICIES
from pipeline.measures.spatial.local import (
    LOCAL_COLUMNS,
    NOT_SIGNIFICANT,
    QUADRANT_LABELS,
    local_spatial,
)
from pipeline.measures.spatial.moran import GLOBAL_COLUMNS, global_moran
from pipeline.measures.spatial.weights import graph_from_weights

__all__ = [
    "GLOBAL_COLUMNS",
    "LOCAL_COLUMNS",
    "MISSING_POLICIES",
    "NOT_SIGNIFICANT",
    "QUADRANT_LABELS",
    "global_moran",
    "graph_from_weights",
    "local_by_group",
    "local_spatial",
    "moran_by_group",
]
