"""Local statistics of every region: local Moran's I (LISA, Anselin 1995) with esda's conditional
permutation pseudo p-value and quadrants, and Getis-Ord Gi* (:func:`local_spatial`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import sparse as sp_sparse

from pipeline.errors import UserError
from pipeline.measures.spatial.getis_ord import _gi_star
from pipeline.measures.spatial.inputs import _aligned, _check_policy, _missing_patterns, _progress
from pipeline.measures.spatial.weights import _Weights

# esda's PySAL quadrant scheme for Moran_Local.q (geoda_quads=False).
QUADRANT_LABELS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


NOT_SIGNIFICANT = "ns"


LOCAL_COLUMNS = ["local_i", "local_p", "quadrant", "gi_star_z", "gi_star_p"]


# Safety factor on the rounding bound of a permuted local I (see _local_p_sim).
NEAR_TIE_SAFETY = 16.0


def local_spatial(
    values: pd.DataFrame,
    graph: Graph,
    permutations: int,
    seed: int,
    alpha: float,
    missing: str,
    progress: str | None = None,
) -> pd.DataFrame:
    """Local Moran's I (LISA) and Getis-Ord Gi* of every region for every column of ``values``.

    Parameters
    ----------
    values : DataFrame
        Index region_id, one column per variable; values must be >= 0 (Gi* is defined
        for non-negative variables only), as LQs are.
    graph : libpysal.graph.Graph
        Spatial weights, for example from :func:`graph_from_weights`.
    permutations : int
        Conditional permutations for the local Moran pseudo p-value; 0 skips them
        (local_p NaN, quadrant 'ns').
    seed : int
        Seed of esda's conditional permutations, the same for every variable.
    alpha : float
        Significance level: a region's quadrant is 'ns' when local_p > alpha.
    missing : {'drop', 'raise'}
        As in :func:`global_moran`; dropped regions have no row in the output.
    progress : str, optional
        Title of a progress bar over the permutations (stderr, terminals only).

    Returns
    -------
    DataFrame
        One row per region x variable (variables in column order, regions in the graph's
        order): region_id, variable, local_i, local_p, quadrant (HH, HL, LH, LL or ns),
        gi_star_z, gi_star_p.

    Notes
    -----
    Local Moran (Anselin 1995), esda ``Moran_Local`` with row-standardised weights:

        I_i = (n - 1) z_i sum_j w_ij z_j / sum_k z_k^2

    local_p is esda's ``p_sim`` (conditional permutation, folded to the nearer tail:
    (larger + 1) / (permutations + 1)); quadrant is esda's ``q`` (HH: high value among
    high neighbours, LH, LL, HL), reported only where local_p <= alpha. (esda's
    ``get_cluster_labels`` uses a strict ``<``, which differs only when p_sim equals
    alpha exactly.)

    Getis-Ord Gi* (Getis and Ord 1992; Ord and Getis 1995), esda ``G_Local`` with
    ``star=True, transform='B'``: binary weights that include the region itself,

        G*_i = sum_j w_ij y_j / sum_j y_j,   z = (G*_i - E[G*_i]) / sqrt(Var[G*_i])

    with E and Var under normality (esda's ``Zs``). Binary rather than row-standardised
    weights because Ord and Getis define Gi* that way, and esda's z-scores for
    row-standardised star weights assume every region has the same number of neighbours.
    gi_star_p is esda's ``p_norm``, the one-sided normal tail beyond |z| (double it for a
    two-sided test), consistent with the one-sided local_p.

    Isolates: local_i is esda's (0), local_p and Gi* are NaN and the quadrant is 'ns'
    (see the module docstring). Gi* is also NaN where a region's neighbourhood holds every
    region (its variance is 0). A constant variable gives NaN everywhere.

    The conditional draws are made once, as esda's ``crand`` makes them, and each
    permutation is evaluated for every region and variable by one sparse product
    (:func:`_local_block`); working memory is about 6 x regions x variables x 8 bytes
    (90 MB for 1,873 counties x 1,000 six-digit industries).

    Examples
    --------
    >>> from pipeline.measures.spatial import graph_from_weights
    >>> weights = pd.DataFrame({"focal": ["a", "b", "b", "c", "c", "d"],
    ...                         "neighbor": ["b", "a", "c", "b", "d", "c"],
    ...                         "weight": 1.0})
    >>> graph = graph_from_weights(weights, ["a", "b", "c", "d"])
    >>> values = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]}, index=["a", "b", "c", "d"])
    >>> local = local_spatial(values, graph, permutations=0, seed=0, alpha=0.05, missing="drop")
    >>> local["local_i"].round(6).tolist()
    [0.45, 0.15, 0.15, 0.45]
    """
    _check_policy(missing)
    graph = graph.transform("r")
    matrix = _aligned(values, graph, missing)
    region_ids = np.asarray(graph.unique_ids)
    variables_by_region = matrix.to_numpy(dtype="float64")
    negative = variables_by_region < 0  # NaN compares False
    if negative.any():
        row, column = np.argwhere(negative)[0]
        raise UserError(
            f"local statistics: variable '{matrix.columns[column]}' is negative in region "
            f"{region_ids[row]}; Getis-Ord Gi* needs values >= 0 (pass LQs or employment)"
        )
    full = _Weights.of(graph)
    pieces: dict[int, pd.DataFrame] = {}
    for mask, positions in _missing_patterns(~np.isnan(variables_by_region)):
        if not mask.any():
            continue
        weights = full if mask.all() else full.restricted(mask)
        block = np.ascontiguousarray(variables_by_region[mask][:, positions])
        statistics = _local_block(block, weights, permutations, seed, alpha, progress)
        n_regions = int(mask.sum())
        # variable-major rows: each variable's regions together, in the graph's order
        local = pd.DataFrame(
            {column: statistics[column].ravel(order="F") for column in LOCAL_COLUMNS}
        )
        local["quadrant"] = local["quadrant"].astype(str)
        local.insert(0, "variable", np.repeat(matrix.columns[positions].to_numpy(), n_regions))
        local.insert(0, "region_id", np.tile(region_ids[mask], len(positions)))
        # one piece per pattern, keyed by its first column, re-sorted below
        pieces[int(positions[0])] = local
    if not pieces:
        return _empty_local()
    local = pd.concat([pieces[position] for position in sorted(pieces)], ignore_index=True)
    order = pd.Index(matrix.columns).get_indexer(local["variable"])
    return local.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def _conditional_draws(n: int, max_card: int, permutations: int, seed: int) -> np.ndarray:
    """esda's conditional-permutation draws (esda.crand.vec_permutations), global state untouched.

    Row p holds ``max_card`` distinct positions among the n - 1 regions other than the focal
    one: ``numpy.random.choice(n - 1, max_card, replace=False)`` after
    ``numpy.random.seed(seed)``, which a RandomState seeded alike reproduces.
    """
    draws = np.random.RandomState(seed)
    ids = np.empty((permutations, max_card), dtype=np.intp)
    for permutation in range(permutations):
        ids[permutation] = draws.choice(n - 1, size=max_card, replace=False)
    return ids


def _local_block(
    block: np.ndarray,
    weights: _Weights,
    permutations: int,
    seed: int,
    alpha: float,
    progress: str | None,
) -> dict[str, np.ndarray]:
    """esda Moran_Local and G_Local (Gi*) of each column of ``block`` (n regions x k, no NaN).

    Notes
    -----
    Local Moran as esda.Moran_Local (Anselin 1995): z = (y - mean) / sd,
    I_i = (n - 1) z_i (W z)_i / sum_k z_k^2. Conditional randomisation as esda's ``crand``:
    one draw of ``max_card`` other regions per permutation, shared by every region and
    variable; region i (k_i neighbours, its weights w_i in the graph's order) takes the
    first k_i, so its permuted statistic is (n - 1) z_i (sum_t w_it z_draw(t)) / sum z^2.
    A permutation is evaluated for all regions and variables at once as a sparse matrix
    R_p (row i: the k_i drawn regions with weights w_i) times Z. Pairs (i, variable) where
    any permuted value lands within a rounding margin of the observed I_i (ties are common:
    a region with LQ 0 among neighbours with LQ 0) are recomputed in esda's own arithmetic
    (one (permutations x k_i) @ w_i product per pair), so p_sim equals esda's exactly.
    p_sim is esda's directed (folded) pseudo p-value, (larger + 1) / (permutations + 1).

    Gi* as esda.G_Local(star=True, transform='B') (Ord and Getis 1995): binary weights
    with self-weight 1, G*_i = (W y)_i / sum y, E = k_i / n,
    Var = k_i (n - k_i) / ((n - 1) n^2) * s^2 / ybar^2, z = (G* - E) / sqrt(Var).
    """
    n, n_variables = block.shape
    isolate = weights.isolate
    result = {
        "local_i": np.full((n, n_variables), np.nan),
        "local_p": np.full((n, n_variables), np.nan),
        "quadrant": np.full((n, n_variables), NOT_SIGNIFICANT, dtype=object),
        "gi_star_z": np.full((n, n_variables), np.nan),
        "gi_star_p": np.full((n, n_variables), np.nan),
    }
    varying = np.flatnonzero(np.ptp(block, axis=0) > 0) if n else np.array([], dtype=int)
    if n < 2 or len(varying) == 0 or weights.s0 == 0:
        return result
    # Each variable as a contiguous row, so means and sums are numpy's pairwise sums of esda.
    y_rows = np.ascontiguousarray(block[:, varying].T)
    sparse_weights = weights.sparse
    with np.errstate(invalid="ignore", divide="ignore"):
        z_rows = y_rows - y_rows.mean(axis=1, keepdims=True)
        z_rows /= y_rows.std(axis=1, keepdims=True)
        den = (z_rows * z_rows).sum(axis=1)
        z = np.ascontiguousarray(z_rows.T)
        lag = sparse_weights @ z
        local_i = (n - 1) * z * lag / den
        quadrant = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
        result["local_i"][:, varying] = local_i
        if permutations:
            p_sim = _local_p_sim(z, local_i, den, sparse_weights, permutations, seed, progress)
            p_sim[isolate] = np.nan
            labels = np.vectorize(QUADRANT_LABELS.get, otypes=[object])(quadrant)
            result["local_p"][:, varying] = p_sim
            result["quadrant"][:, varying] = np.where(p_sim <= alpha, labels, NOT_SIGNIFICANT)
        gi_z, gi_p = _gi_star(y_rows, sparse_weights)
        gi_z[isolate] = np.nan
        gi_p[isolate] = np.nan
        result["gi_star_z"][:, varying] = gi_z
        result["gi_star_p"][:, varying] = gi_p
    return result


def _local_p_sim(
    z: np.ndarray,
    local_i: np.ndarray,
    den: np.ndarray,
    sparse_weights,
    permutations: int,
    seed: int,
    progress: str | None,
) -> np.ndarray:
    """esda's conditional-permutation p_sim of local Moran, every region x variable at once."""
    n = z.shape[0]
    self_weights = sparse_weights.diagonal()
    others = sparse_weights.copy()
    others.setdiag(0)
    others.eliminate_zeros()
    cardinality = np.diff(others.indptr)
    other_weights = others.data
    max_card = int(max(cardinality.max(), 1))
    ids = _conditional_draws(n, max_card, permutations, seed)
    scaling = (n - 1) / den
    focal = np.repeat(np.arange(n), cardinality)
    slot = np.arange(len(focal)) - others.indptr[focal]
    # Rounding bound of either evaluation of a permuted I_i: sums of at most max_card + 1
    # products of magnitude <= |z_i| max|z| (row-standardised weights), Higham (2002, §3.1).
    eps = float(np.finfo(np.float64).eps)
    scale = np.abs(z).max(axis=0) * (1.0 + np.abs(self_weights).max())
    margin = NEAR_TIE_SAFETY * (max_card + 3) * eps * np.abs(z) * scale * scaling
    larger = np.zeros(z.shape, dtype=np.int64)
    near = np.zeros(z.shape, dtype=bool)
    self_lag = self_weights[:, None] * z
    for permutation in _progress(range(permutations), progress, permutations):
        drawn = ids[permutation, slot]
        drawn = drawn + (drawn >= focal)  # positions among the others -> region index
        permuted_weights = sp_sparse.csr_matrix((other_weights, drawn, others.indptr), shape=(n, n))
        permuted = z * (permuted_weights @ z + self_lag) * scaling
        near |= np.abs(permuted - local_i) <= margin
        larger += permuted >= local_i
    for region in np.flatnonzero(near.any(axis=1) & (cardinality > 0)):
        weights_i = other_weights[others.indptr[region] : others.indptr[region + 1]]
        drawn = ids[:, : cardinality[region]]
        drawn = drawn + (drawn >= region)
        for variable in np.flatnonzero(near[region]):
            # esda.crand._moran_local_crand, operation for operation.
            z_i = z[region, variable]
            z_rand = np.ascontiguousarray(z[drawn, variable])
            permuted = z_i * (z_rand @ weights_i + self_weights[region] * z_i) * scaling[variable]
            larger[region, variable] = (permuted >= local_i[region, variable]).sum()
    folded = np.minimum(larger, permutations - larger)
    return (folded + 1.0) / (permutations + 1.0)


def _empty_local() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region_id": pd.Series(dtype=str),
            "variable": pd.Series(dtype=object),
            "local_i": pd.Series(dtype="float64"),
            "local_p": pd.Series(dtype="float64"),
            "quadrant": pd.Series(dtype=str),
            "gi_star_z": pd.Series(dtype="float64"),
            "gi_star_p": pd.Series(dtype="float64"),
        }
    )
