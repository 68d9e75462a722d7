"""Spatial weights as the statistics use them: the row-standardised contiguity Graph of the
published weights table (:func:`graph_from_weights`) and its arrays, S0, S1, S2 and isolates
(:class:`_Weights`), restricted to a subset of regions without building a Graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import sparse as sp_sparse

from pipeline.errors import UserError
from pipeline.geography import contiguity


def graph_from_weights(weights: pd.DataFrame, region_ids: Iterable[str]) -> Graph:
    """Row-standardised contiguity graph of the given regions, from the weights table.

    Parameters
    ----------
    weights : DataFrame
        The published spatial weights: focal, neighbor, weight (binary contiguity; a
        region without a neighbour is listed as libpysal's isolate, a self-pair with
        weight 0).
    region_ids : iterable of str
        The regions to keep. Regions absent from ``weights`` (for example without a
        boundary) are dropped; links to regions outside ``region_ids`` are dropped, so a
        region whose every neighbour is outside becomes an isolate.

    Returns
    -------
    libpysal.graph.Graph
        Row-standardised ('R'), with the kept regions in sorted order (so that results do
        not depend on the row order of the inputs) and isolates as zero-weight self-loops.

    Notes
    -----
    Row standardisation, w_ij / sum_j w_ij, is esda's default transformation for Moran's I
    (Anselin 1995, Eq. 7), of the binary contiguity Graph that
    :func:`pipeline.geography.contiguity.graph_from_weights` builds (any positive weight is
    a link; self-pairs are ignored: contiguity has no self-links).

    Examples
    --------
    >>> weights = pd.DataFrame({"focal": ["A", "B", "B", "C", "D"],
    ...                         "neighbor": ["B", "A", "C", "B", "D"],
    ...                         "weight": [1.0, 1.0, 1.0, 1.0, 0.0]})
    >>> graph = graph_from_weights(weights, ["A", "B", "D", "E"])
    >>> graph.unique_ids.tolist(), graph.isolates.tolist()
    (['A', 'B', 'D'], ['D'])
    """
    published = contiguity.graph_from_weights(weights)  # checks columns and weights
    wanted = {str(region) for region in region_ids}
    region_order = sorted(wanted.intersection(published.unique_ids.astype(str)))
    if not region_order:
        raise UserError(
            "spatial weights: none of the regions appear in column 'focal'; "
            "check that the weights belong to the same dataset as the regions"
        )
    return contiguity.graph_from_weights(weights, region_order).transform("r")


@dataclass(frozen=True)
class _Weights:
    """A row-standardised Graph as the arrays esda uses: CSR weights, S0, S1, S2, isolates.

    ``restricted`` is ``Graph.subgraph(ids).transform('r')`` without building a Graph
    (libpysal's costs about 40 ms with its summary, which a year of suppressed county cells,
    1,270 distinct missing patterns, paid 1,270 times): the same CSR arrays, explicit zero
    self-loops of isolates included, row sums by pandas' grouped (compensated) sum and S0
    by pandas' sum of the adjacency, as libpysal computes them, so every number is
    libpysal's bit for bit (tested).
    """

    sparse: sp_sparse.csr_array
    s0: float
    s1: float
    s2: float
    isolate: np.ndarray

    @classmethod
    def of(cls, graph: Graph) -> _Weights:
        summary = graph.summary()
        isolate = graph.cardinalities.to_numpy() == 0
        return cls(graph.sparse.tocsr(), summary.s0, summary.s1, summary.s2, isolate)

    def restricted(self, mask: np.ndarray) -> _Weights:
        full = sp_sparse.coo_array(self.sparse)
        linked = full.data != 0  # isolates' zero self-loops are rebuilt below
        rows, columns, values = full.row[linked], full.col[linked], full.data[linked]
        keep = mask[rows] & mask[columns]
        position = np.cumsum(mask) - 1
        rows, columns, values = position[rows[keep]], position[columns[keep]], values[keep]
        n = int(mask.sum())
        isolates = np.setdiff1d(np.arange(n), rows)
        rows = np.concatenate([rows, isolates])
        columns = np.concatenate([columns, isolates])
        values = np.concatenate([values, np.zeros(len(isolates))])
        order = np.lexsort((columns, rows))
        rows, columns, values = rows[order], columns[order], values[order]
        # libpysal's transform('r'): w / groupby(focal).transform('sum'), 0 / 0 -> 0
        with np.errstate(invalid="ignore", divide="ignore"):
            row_sums = pd.Series(values).groupby(rows, sort=False).transform("sum").to_numpy()
            standardised = np.nan_to_num(values / row_sums, nan=0.0)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
        sparse = sp_sparse.csr_array((standardised, columns, indptr), shape=(n, n))
        # GraphSummary's S0 (adjacency.sum()), S1 and S2, operation for operation
        s0 = pd.Series(standardised).sum()
        twice = sparse.transpose() + sparse
        s1 = (twice * twice).sum() / 2.0
        s2 = (np.array(sparse.sum(1) + sparse.sum(0).transpose()) ** 2).sum()
        isolate = np.zeros(n, dtype=bool)
        isolate[isolates] = True
        return _Weights(sparse, float(s0), float(s1), float(s2), isolate)
