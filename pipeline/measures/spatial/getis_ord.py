"""Getis-Ord Gi* (Getis and Ord 1992; Ord and Getis 1995) as esda's
``G_Local(star=True, transform='B')``: z-scores and one-sided normal p-values.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse as sp_sparse
from scipy import stats


def _gi_star(y_rows: np.ndarray, sparse_weights) -> tuple[np.ndarray, np.ndarray]:
    """esda G_Local(star=True, transform='B') z-scores and p_norm, (regions x variables).

    The weights are libpysal's ``assign_self_weight(1).transform('B')``: 1 for every link
    and for the region itself.
    """
    links = sp_sparse.coo_array(sparse_weights)
    linked = (links.data != 0) & (links.row != links.col)
    n_regions = sparse_weights.shape[0]
    rows = np.concatenate([links.row[linked], np.arange(n_regions)])
    columns = np.concatenate([links.col[linked], np.arange(n_regions)])
    weights = sp_sparse.csr_array(
        (np.ones(len(rows)), (rows, columns)), shape=(n_regions, n_regions)
    )
    weights.sort_indices()
    n = y_rows.shape[1]
    y = np.ascontiguousarray(y_rows.T)
    y_sum = y_rows.sum(axis=1)
    statistic = (weights @ y) / y_sum
    mean = y_sum / n
    variance = (y_rows**2).sum(axis=1) / n - mean**2
    cardinality = np.asarray(weights.sum(axis=1)).reshape(-1, 1)
    expected = cardinality / n
    expected_variance = cardinality * (n - cardinality)
    expected_variance = expected_variance / (n - 1)
    expected_variance = expected_variance * (1 / n**2)
    expected_variance = expected_variance * (variance / (mean**2))
    z_scores = (statistic - expected) / np.sqrt(expected_variance)
    return z_scores, stats.norm.sf(np.abs(z_scores))
