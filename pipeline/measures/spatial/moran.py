"""Global Moran's I (Moran 1950) of many variables at once, with esda's analytical moments and
permutation pseudo p-value, bit for bit (:func:`global_moran`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import stats

from pipeline.measures.spatial.inputs import _aligned, _check_policy, _missing_patterns, _progress
from pipeline.measures.spatial.weights import _Weights

GLOBAL_COLUMNS = ["moran_i", "expected_i", "z_norm", "p_norm", "p_sim", "n", "permutations", "seed"]


# (variable, permutation) columns per sparse product of the global Moran permutations:
# about 3 x regions x 256 x 8 bytes of working memory (11 MB for 1,873 counties), which
# stays in cache; it changes speed only, never a result.
COLUMNS_PER_PRODUCT = 256


def global_moran(
    values: pd.DataFrame,
    graph: Graph,
    permutations: int,
    seed: int,
    missing: str,
    progress: str | None = None,
) -> pd.DataFrame:
    """Global Moran's I of every column of ``values``, with analytical and permutation inference.

    Parameters
    ----------
    values : DataFrame
        Index region_id, one column per variable (for example the LQ of each industry).
        Regions not in ``graph`` are ignored; regions of ``graph`` missing from the index
        count as missing values.
    graph : libpysal.graph.Graph
        Spatial weights, for example from :func:`graph_from_weights`; row-standardised
        here as in esda (a no-op for an 'R' graph).
    permutations : int
        Number of random permutations for the pseudo p-value; 0 skips it (p_sim NaN).
    seed : int
        Seed of the permutation draws, shared by all variables.
    missing : {'drop', 'raise'}
        'drop': compute each variable on the regions where it is observed (the subgraph
        of those regions, re-standardised). 'raise': raise a UserError on any NaN.
    progress : str, optional
        Title of a progress bar over the permutation blocks (on stderr, only when it is a
        terminal); None draws none (as inside dask workers).

    Returns
    -------
    DataFrame
        Index ``variable`` (the columns of ``values``), columns moran_i, expected_i,
        z_norm, p_norm, p_sim, n, permutations, seed. All statistics are NaN for a
        variable that is constant over its observed regions, or whose regions have no
        links at all.

    Notes
    -----
    Moran (1950); moments under normality from Cliff and Ord (1981, ch. 2):

        I = (n / S0) * sum_ij w_ij z_i z_j / sum_i z_i^2,   z = y - mean(y)
        E[I] = -1 / (n - 1)
        Var[I] = (n^2 S1 - n S2 + 3 S0^2) / ((n^2 - 1) S0^2) - E[I]^2

    with S0 = sum_ij w_ij, S1 = 1/2 sum_ij (w_ij + w_ji)^2, S2 = sum_i (w_i. + w_.i)^2.
    z_norm = (I - E[I]) / sqrt(Var[I]); p_norm is two-sided. The pseudo p-value follows
    esda: with ``larger`` the number of permuted I >= the observed I, folded to the
    smaller tail, p_sim = (larger + 1) / (permutations + 1).

    The permutations are ``numpy.random.RandomState(seed).permutation(n)`` drawn
    ``permutations`` times, which is exactly what :class:`esda.Moran` draws (it calls
    ``np.random.permutation(z)``) right after ``np.random.seed(seed)``; the arithmetic
    follows esda's order, so I and p_sim are identical to esda's. numpy's global random
    state is not touched. The draws depend only on n, so they are made once for all the
    variables observed in the same number of regions, and the (variable, permutation)
    pairs are evaluated ``COLUMNS_PER_PRODUCT`` at a time by one sparse product: a
    variable with its own missing regions (a suppressed cell) costs a few products, not
    one per permutation.

    Examples
    --------
    Four regions on a line with values 1, 2, 3, 4 (hand-worked in the tests): I = 0.4.

    >>> from pipeline.measures.spatial import graph_from_weights
    >>> weights = pd.DataFrame({"focal": ["a", "b", "b", "c", "c", "d"],
    ...                         "neighbor": ["b", "a", "c", "b", "d", "c"],
    ...                         "weight": 1.0})
    >>> graph = graph_from_weights(weights, ["a", "b", "c", "d"])
    >>> values = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]}, index=["a", "b", "c", "d"])
    >>> moran = global_moran(values, graph, permutations=0, seed=0, missing="drop")
    >>> round(float(moran.loc["y", "moran_i"]), 12)
    0.4
    """
    _check_policy(missing)
    graph = graph.transform("r")
    matrix = _aligned(values, graph, missing)
    observed = matrix.notna().to_numpy()
    variables_by_region = matrix.to_numpy(dtype="float64")
    columns = {column: np.full(len(matrix.columns), np.nan) for column in GLOBAL_COLUMNS}
    full = _Weights.of(graph)
    patterns = sorted(_missing_patterns(observed), key=lambda pattern: int(pattern[0].sum()))
    draws = _PermutationDraws(permutations, seed)
    for mask, positions in _progress(patterns, progress, len(patterns)):
        weights = full if mask.all() else full.restricted(mask)
        block = np.ascontiguousarray(variables_by_region[mask][:, positions].T)
        for column, column_values in _moran_block(block, weights, draws).items():
            columns[column][positions] = column_values
    result = pd.DataFrame(columns, index=pd.Index(matrix.columns, name="variable"))
    result["n"] = result["n"].astype("int64")
    result["permutations"] = np.int64(permutations)
    result["seed"] = np.int64(seed)
    return result


class _PermutationDraws:
    """esda.Moran's draws, ``RandomState(seed).permutation(n)`` x permutations, by n.

    Kept for the last n only: :func:`global_moran` visits the missing patterns by their
    number of regions, so each n is drawn once (4 ms per 1,000 permutations of 1,900).
    """

    def __init__(self, permutations: int, seed: int) -> None:
        self.permutations = permutations
        self.seed = seed
        self._n = -1
        self._orders = np.empty((0, 0), dtype=np.intp)

    def __call__(self, n: int) -> np.ndarray:
        if n != self._n:
            draws = np.random.RandomState(self.seed)
            self._orders = np.array(
                [draws.permutation(n) for _ in range(self.permutations)], dtype=np.intp
            ).reshape(self.permutations, n)
            self._n = n
        return self._orders


def _cross_products(z_by_region: np.ndarray, sparse_weights) -> np.ndarray:
    """sum_i z_i (W z)_i for each column of an (n, k) array, in esda's arithmetic order.

    esda sums ``z * lag`` of one variable with numpy's pairwise summation; summing the
    rows of the transposed product reproduces it bit for bit, which keeps ties between
    permuted and observed I decided exactly as esda decides them.
    """
    products = z_by_region * (sparse_weights @ z_by_region)
    return np.ascontiguousarray(products.T).sum(axis=1)


def _permuted_cross_products(z: np.ndarray, sparse_weights, orders: np.ndarray) -> np.ndarray:
    """_cross_products of z[order] for every order (rows of ``orders``): (permutations, k).

    The (permutation, variable) pairs go ``COLUMNS_PER_PRODUCT`` at a time through one
    sparse product: chunks of variables for one permutation when there are many
    variables, blocks of permutations of a few variables otherwise. Every column is
    computed as in :func:`_cross_products`, so the result does not depend on the blocking.
    """
    n, k = z.shape
    permutations = len(orders)
    cross = np.empty((permutations, k))
    if k >= COLUMNS_PER_PRODUCT:
        # contiguous chunks first: gathering the rows of a narrow array stays in cache
        chunks = [
            slice(start, start + COLUMNS_PER_PRODUCT) for start in range(0, k, COLUMNS_PER_PRODUCT)
        ]
        z_chunks = [np.ascontiguousarray(z[:, chunk]) for chunk in chunks]
        for permutation, order in enumerate(orders):
            for chunk, z_chunk in zip(chunks, z_chunks, strict=True):
                cross[permutation, chunk] = _cross_products(z_chunk[order], sparse_weights)
        return cross
    per_block = max(1, COLUMNS_PER_PRODUCT // k)
    for start in range(0, permutations, per_block):
        block = orders[start : start + per_block]
        # column (p, v) of the product is variable v under permutation p
        permuted = z[block].transpose(1, 0, 2).reshape(n, len(block) * k)
        cross[start : start + len(block)] = _cross_products(permuted, sparse_weights).reshape(
            len(block), k
        )
    return cross


def _moran_block(
    block: np.ndarray, weights: _Weights, draws: _PermutationDraws
) -> dict[str, np.ndarray]:
    """esda.Moran for each row of ``block`` (k variables x n regions, no NaN)."""
    n_variables, n = block.shape
    nan = np.full(n_variables, np.nan)
    result = {
        "moran_i": nan.copy(),
        "expected_i": nan.copy(),
        "z_norm": nan.copy(),
        "p_norm": nan.copy(),
        "p_sim": nan.copy(),
        "n": np.full(n_variables, n),
    }
    if n < 2:
        return result
    s0, s1, s2 = weights.s0, weights.s1, weights.s2
    varying = np.flatnonzero(np.ptp(block, axis=1) > 0)
    if s0 == 0 or len(varying) == 0:
        return result
    # Moments under normality, in esda's order of operations (esda.Moran.__moments).
    expected = -1.0 / (n - 1)
    s0_squared = s0 * s0
    variance = (n * n * s1 - n * s2 + 3 * s0_squared) / ((n - 1) * (n + 1) * s0_squared) - (
        1.0 / (n - 1)
    ) ** 2
    variables = block[varying]
    deviations = variables - variables.mean(axis=1, keepdims=True)
    sum_of_squares = (deviations * deviations).sum(axis=1)
    z_by_region = np.ascontiguousarray(deviations.T)
    moran_i = np.empty(len(varying))
    for start in range(0, len(varying), COLUMNS_PER_PRODUCT):
        chunk = slice(start, start + COLUMNS_PER_PRODUCT)
        cross = _cross_products(z_by_region[:, chunk], weights.sparse)
        moran_i[chunk] = n / s0 * cross / sum_of_squares[chunk]
    z_norm = (moran_i - expected) / variance**0.5
    result["moran_i"][varying] = moran_i
    result["expected_i"][varying] = expected
    result["z_norm"][varying] = z_norm
    result["p_norm"][varying] = 2.0 * stats.norm.sf(np.abs(z_norm))
    if draws.permutations:
        cross = _permuted_cross_products(z_by_region, weights.sparse, draws(n))
        permuted = n / s0 * cross / sum_of_squares
        larger = (permuted >= moran_i).sum(axis=0)
        folded = np.minimum(larger, draws.permutations - larger)
        result["p_sim"][varying] = (folded + 1.0) / (draws.permutations + 1.0)
    return result
