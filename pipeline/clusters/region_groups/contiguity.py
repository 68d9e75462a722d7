"""Contiguity as the groupers use it: the symmetric 0/1 adjacency of a graph
(:func:`connectivity_matrix`), the binary contiguity Graph of the profile's regions
(:func:`contiguity_graph`) and the check that every group is connected (:func:`is_contiguous`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from pipeline.measures.spatial import graph_from_weights

if TYPE_CHECKING:
    from libpysal.graph import Graph


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
