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
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
from esda.getisord import G_Local
from esda.moran import Moran_Local
from libpysal.graph import Graph
from scipy import stats

from pipeline.errors import UserError

WEIGHT_COLUMNS = ["focal", "neighbor", "weight"]
MISSING_POLICIES = ("drop", "raise")
# esda's PySAL quadrant scheme for Moran_Local.q (geoda_quads=False).
QUADRANT_LABELS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
NOT_SIGNIFICANT = "ns"
GLOBAL_COLUMNS = ["moran_i", "expected_i", "z_norm", "p_norm", "p_sim", "n", "permutations", "seed"]
LOCAL_COLUMNS = ["local_i", "local_p", "quadrant", "gi_star_z", "gi_star_p"]


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
    (Anselin 1995, Eq. 7). Self-pairs with a positive weight are ignored (contiguity has
    no self-links).

    Examples
    --------
    >>> weights = pd.DataFrame({"focal": ["A", "B", "B", "C", "D"],
    ...                         "neighbor": ["B", "A", "C", "B", "D"],
    ...                         "weight": [1.0, 1.0, 1.0, 1.0, 0.0]})
    >>> graph = graph_from_weights(weights, ["A", "B", "D", "E"])
    >>> graph.unique_ids.tolist(), graph.isolates.tolist()
    (['A', 'B', 'D'], ['D'])
    """
    absent = [column for column in WEIGHT_COLUMNS if column not in weights.columns]
    if absent:
        raise UserError(
            f"spatial weights: missing column(s) {', '.join(absent)}; "
            "expected focal, neighbor, weight"
        )
    focal = weights["focal"].astype(str)
    neighbor = weights["neighbor"].astype(str)
    weight = pd.to_numeric(weights["weight"], errors="coerce").astype("float64")
    invalid = weight.isna() | (weight < 0)
    if invalid.any():
        row = int(np.flatnonzero(invalid.to_numpy())[0])
        raise UserError(
            f"spatial weights: column 'weight' is missing or negative at row {row}; "
            "weights must be numbers >= 0"
        )
    wanted = pd.Index(pd.unique(pd.Series(list(region_ids), dtype=str)))
    region_order = sorted(wanted.intersection(pd.Index(focal.unique())))
    if not region_order:
        raise UserError(
            "spatial weights: none of the regions appear in column 'focal'; "
            "check that the weights belong to the same dataset as the regions"
        )
    keep = (
        focal.isin(region_order) & neighbor.isin(region_order) & (focal != neighbor) & (weight > 0)
    )
    edges = pd.DataFrame(
        {"focal": focal[keep], "neighbor": neighbor[keep], "weight": weight[keep]}
    ).drop_duplicates()
    duplicated = edges.duplicated(["focal", "neighbor"])
    if duplicated.any():
        pair = edges.loc[duplicated, ["focal", "neighbor"]].iloc[0]
        raise UserError(
            f"spatial weights: pair ({pair['focal']}, {pair['neighbor']}) has two different "
            "weights; keep one row per pair"
        )
    isolates = pd.Index(region_order).difference(pd.Index(edges["focal"].unique()))
    self_pairs = pd.DataFrame(
        {"focal": isolates, "neighbor": isolates, "weight": np.zeros(len(isolates))}
    )
    table = pd.concat([edges, self_pairs], ignore_index=True).sort_values(
        ["focal", "neighbor"], ignore_index=True
    )
    # libpysal rejects pandas' str arrays ("cannot contain missing values"): pass objects.
    graph = Graph.from_arrays(
        table["focal"].to_numpy(dtype=object),
        table["neighbor"].to_numpy(dtype=object),
        table["weight"].to_numpy(dtype="float64"),
    )
    return graph.transform("r")


def global_moran(
    values: pd.DataFrame,
    graph: Graph,
    permutations: int = 999,
    seed: int = 12345,
    missing: str = "drop",
    chunk_size: int = 64,
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
    chunk_size : int
        Variables processed together; changes speed and memory only, never the result.

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
    state is not touched. Variables with the same missing regions share the draws.

    Examples
    --------
    Four regions on a line with values 1, 2, 3, 4 (hand-worked in the tests): I = 0.4.

    >>> weights = pd.DataFrame({"focal": ["a", "b", "b", "c", "c", "d"],
    ...                         "neighbor": ["b", "a", "c", "b", "d", "c"],
    ...                         "weight": 1.0})
    >>> graph = graph_from_weights(weights, ["a", "b", "c", "d"])
    >>> values = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]}, index=["a", "b", "c", "d"])
    >>> round(float(global_moran(values, graph, permutations=0).loc["y", "moran_i"]), 12)
    0.4
    """
    _check_policy(missing)
    graph = graph.transform("r")
    matrix = _aligned(values, graph, missing)
    observed = matrix.notna().to_numpy()
    region_ids = np.asarray(graph.unique_ids)
    variables_by_region = matrix.to_numpy(dtype="float64")
    result = pd.DataFrame(
        np.nan, index=pd.Index(matrix.columns, name="variable"), columns=GLOBAL_COLUMNS
    )
    for mask, positions in _missing_patterns(observed):
        subgraph = graph if mask.all() else _subgraph(graph, region_ids[mask])
        block = np.ascontiguousarray(variables_by_region[mask][:, positions].T)
        statistics = _moran_block(block, subgraph, permutations, seed, chunk_size)
        for column, column_values in statistics.items():
            result.iloc[positions, result.columns.get_loc(column)] = column_values
    result["n"] = result["n"].astype("int64")
    result["permutations"] = np.int64(permutations)
    result["seed"] = np.int64(seed)
    return result


def local_spatial(
    values: pd.DataFrame,
    graph: Graph,
    permutations: int = 999,
    seed: int = 12345,
    alpha: float = 0.05,
    missing: str = "drop",
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

    Returns
    -------
    DataFrame
        One row per region x variable: region_id, variable, local_i, local_p, quadrant
        (HH, HL, LH, LL or ns), gi_star_z, gi_star_p.

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

    Examples
    --------
    >>> weights = pd.DataFrame({"focal": ["a", "b", "b", "c", "c", "d"],
    ...                         "neighbor": ["b", "a", "c", "b", "d", "c"],
    ...                         "weight": 1.0})
    >>> graph = graph_from_weights(weights, ["a", "b", "c", "d"])
    >>> values = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]}, index=["a", "b", "c", "d"])
    >>> local_spatial(values, graph, permutations=0)["local_i"].round(6).tolist()
    [0.45, 0.15, 0.15, 0.45]
    """
    _check_policy(missing)
    graph = graph.transform("r")
    matrix = _aligned(values, graph, missing)
    region_ids = np.asarray(graph.unique_ids)
    subgraphs: dict[bytes, Graph] = {}
    pieces = []
    for column in matrix.columns:
        variable = matrix[column].to_numpy(dtype="float64")
        mask = ~np.isnan(variable)
        if not mask.any():
            continue
        if (variable[mask] < 0).any():
            region = region_ids[mask][np.argmax(variable[mask] < 0)]
            raise UserError(
                f"local statistics: variable '{column}' is negative in region {region}; "
                "Getis-Ord Gi* needs values >= 0 (pass LQs or employment)"
            )
        key = mask.tobytes()
        if key not in subgraphs:
            subgraphs[key] = graph if mask.all() else _subgraph(graph, region_ids[mask])
        local = _local_one(variable[mask], subgraphs[key], permutations, seed, alpha)
        local.insert(0, "variable", column)
        local.insert(0, "region_id", region_ids[mask])
        pieces.append(local)
    if not pieces:
        return _empty_local()
    return pd.concat(pieces, ignore_index=True)


def moran_by_group(
    table: pd.DataFrame,
    weights: pd.DataFrame,
    value: str = "lq",
    group: Sequence[str] = ("year", "industry_code"),
    region: str = "region_id",
    permutations: int = 999,
    seed: int = 12345,
    missing: str = "drop",
    chunk_size: int = 64,
) -> pd.DataFrame:
    """Global Moran's I of ``value`` for every group of a long region table.

    Parameters
    ----------
    table : DataFrame
        Long table with ``region``, the ``group`` columns and ``value`` (for example the
        location quotients: region_id, year, industry_code, lq).
    weights : DataFrame
        Published spatial weights (focal, neighbor, weight), see :func:`graph_from_weights`.
    value : str
        Column to test, >= 0 where LQs are meant.
    group : sequence of str
        The last column names the variable (industry_code, cluster_code); the others
        (year) form frames that are analysed separately, each with its own graph and
        one set of permutation draws shared by all variables of the frame.
    region : str
        Region identifier column.
    permutations, seed, missing, chunk_size
        As in :func:`global_moran`.

    Returns
    -------
    DataFrame
        The ``group`` columns, then moran_i, expected_i, z_norm, p_norm, p_sim, n,
        permutations, seed; one row per group.

    Notes
    -----
    The regions of a frame are those that appear in the table in that frame (for example
    that year) and in the weights. A region x variable cell absent from the table is 0:
    CBP-style tables list only the industries a region has, so absence means no
    employment and an LQ of 0. A cell present with a missing value stays missing and is
    handled by ``missing``.
    """
    pieces = []
    for frame_key, wide, graph in _frames(table, weights, value, list(group), region):
        statistics = global_moran(wide, graph, permutations, seed, missing, chunk_size)
        statistics = statistics.rename_axis(group[-1]).reset_index()
        pieces.append(_with_frame_key(statistics, frame_key, list(group[:-1]), table))
    columns = [*group, *GLOBAL_COLUMNS]
    if not pieces:
        return pd.DataFrame(columns=columns)
    return pd.concat(pieces, ignore_index=True)[columns]


def local_by_group(
    table: pd.DataFrame,
    weights: pd.DataFrame,
    value: str = "lq",
    group: Sequence[str] = ("year", "cluster_code"),
    region: str = "region_id",
    permutations: int = 999,
    seed: int = 12345,
    alpha: float = 0.05,
    missing: str = "drop",
) -> pd.DataFrame:
    """Local Moran and Gi* of ``value`` for every region x group of a long region table.

    Parameters
    ----------
    table, weights, value, group, region
        As in :func:`moran_by_group` (default variable: cluster_code).
    permutations, seed, alpha, missing
        As in :func:`local_spatial`.

    Returns
    -------
    DataFrame
        The ``group`` columns, ``region``, then local_i, local_p, quadrant, gi_star_z,
        gi_star_p; one row per region x group.

    Notes
    -----
    Regions and absent cells as in :func:`moran_by_group`: an absent region x cluster
    cell is LQ 0, so every region of the frame gets a row for every variable.
    """
    pieces = []
    for frame_key, wide, graph in _frames(table, weights, value, list(group), region):
        local = local_spatial(wide, graph, permutations, seed, alpha, missing)
        local = local.rename(columns={"variable": group[-1], "region_id": region})
        pieces.append(_with_frame_key(local, frame_key, list(group[:-1]), table))
    columns = [*group, region, *LOCAL_COLUMNS]
    if not pieces:
        return pd.DataFrame(columns=columns)
    return pd.concat(pieces, ignore_index=True)[columns]


# --------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------


def _check_policy(missing: str) -> None:
    if missing not in MISSING_POLICIES:
        raise UserError(f"spatial: missing is '{missing}'; use 'drop' or 'raise'")


def _aligned(values: pd.DataFrame, graph: Graph, missing: str) -> pd.DataFrame:
    """``values`` as float64 on the graph's region order (absent regions NaN)."""
    if values.index.has_duplicates:
        duplicate = values.index[values.index.duplicated()][0]
        raise UserError(f"spatial: region {duplicate} appears twice in the values; keep one row")
    index = values.index.astype(str)
    matrix = values.set_axis(index).reindex(pd.Index(graph.unique_ids)).astype("float64")
    if missing == "raise" and matrix.isna().to_numpy().any():
        column = matrix.columns[matrix.isna().any()][0]
        region = matrix.index[matrix[column].isna()][0]
        raise UserError(
            f"spatial: variable '{column}' is missing in region {region}; fill it "
            "(for example LQ 0 where the industry is absent) or use missing='drop'"
        )
    return matrix


def _missing_patterns(observed: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(mask of observed regions, positions of the columns with that mask)."""
    patterns: dict[bytes, list[int]] = {}
    for position in range(observed.shape[1]):
        patterns.setdefault(observed[:, position].tobytes(), []).append(position)
    for positions in patterns.values():
        yield observed[:, positions[0]].copy(), np.asarray(positions)


def _subgraph(graph: Graph, region_ids: np.ndarray) -> Graph:
    """The graph of ``region_ids`` only, re-standardised by row (new isolates allowed)."""
    return graph.subgraph(np.asarray(region_ids, dtype=object)).transform("r")


def _cross_products(z_by_region: np.ndarray, sparse_weights) -> np.ndarray:
    """sum_i z_i (W z)_i for each column of an (n, k) array, in esda's arithmetic order.

    esda sums ``z * lag`` of one variable with numpy's pairwise summation; summing the
    rows of the transposed product reproduces it bit for bit, which keeps ties between
    permuted and observed I decided exactly as esda decides them.
    """
    products = z_by_region * (sparse_weights @ z_by_region)
    return np.ascontiguousarray(products.T).sum(axis=1)


def _moran_block(
    block: np.ndarray, graph: Graph, permutations: int, seed: int, chunk_size: int
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
    summary = graph.summary()
    s0, s1, s2 = summary.s0, summary.s1, summary.s2
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
    sparse_weights = graph.sparse
    moran_i = np.empty(len(varying))
    larger = np.zeros(len(varying), dtype=np.int64)
    draws = np.random.RandomState(seed)
    orders = np.array([draws.permutation(n) for _ in range(permutations)], dtype=np.intp)
    for start in range(0, len(varying), chunk_size):
        chunk = slice(start, start + chunk_size)
        z_by_region = np.ascontiguousarray(deviations[chunk].T)
        scale = sum_of_squares[chunk]
        observed = n / s0 * _cross_products(z_by_region, sparse_weights) / scale
        moran_i[chunk] = observed
        for order in orders:
            permuted = n / s0 * _cross_products(z_by_region[order], sparse_weights) / scale
            larger[chunk] += permuted >= observed
    z_norm = (moran_i - expected) / variance**0.5
    result["moran_i"][varying] = moran_i
    result["expected_i"][varying] = expected
    result["z_norm"][varying] = z_norm
    result["p_norm"][varying] = 2.0 * stats.norm.sf(np.abs(z_norm))
    if permutations:
        folded = np.minimum(larger, permutations - larger)
        result["p_sim"][varying] = (folded + 1.0) / (permutations + 1.0)
    return result


def _local_one(
    variable: np.ndarray, graph: Graph, permutations: int, seed: int, alpha: float
) -> pd.DataFrame:
    """esda Moran_Local and G_Local (Gi*) of one complete variable."""
    n = len(variable)
    isolate = graph.cardinalities.to_numpy() == 0
    local = pd.DataFrame(
        {
            "local_i": np.full(n, np.nan),
            "local_p": np.full(n, np.nan),
            "quadrant": np.full(n, NOT_SIGNIFICANT, dtype=object),
            "gi_star_z": np.full(n, np.nan),
            "gi_star_p": np.full(n, np.nan),
        }
    )
    if n < 2 or np.ptp(variable) == 0 or graph.summary().s0 == 0:
        local["quadrant"] = local["quadrant"].astype(str)
        return local
    # esda seeds numpy's global generator when numba is absent; restore it afterwards.
    random_state = np.random.get_state()
    try:
        # Moran_Local always warns that its 'alternative' will change, and has no keyword
        # to silence it (STACK.md). 0 / 0 is expected: Moran_Local's unused z_sim at
        # isolates, and Gi* where a region's neighbourhood is every region (variance 0).
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", DeprecationWarning)
            moran = Moran_Local(
                variable, graph, transformation="r", permutations=permutations, seed=seed
            )
            getis_ord = G_Local(variable, graph, transform="B", star=True, permutations=0)
    finally:
        np.random.set_state(random_state)
    local["local_i"] = moran.Is
    if permutations:
        p_sim = np.where(isolate, np.nan, moran.p_sim)
        significant = p_sim <= alpha
        labels = np.array([QUADRANT_LABELS[int(q)] for q in moran.q], dtype=object)
        local["local_p"] = p_sim
        local["quadrant"] = np.where(significant, labels, NOT_SIGNIFICANT)
    local["gi_star_z"] = np.where(isolate, np.nan, getis_ord.Zs)
    local["gi_star_p"] = np.where(isolate, np.nan, getis_ord.p_norm)
    local["quadrant"] = local["quadrant"].astype(str)
    return local


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


def _frames(
    table: pd.DataFrame, weights: pd.DataFrame, value: str, group: list[str], region: str
) -> Iterator[tuple[tuple, pd.DataFrame, Graph]]:
    """(frame key, region x variable matrix with absent cells 0, graph) for each frame."""
    if not group:
        raise UserError("spatial: group is empty; name at least the variable column")
    needed = [region, *group, value]
    absent = [column for column in needed if column not in table.columns]
    if absent:
        raise UserError(f"spatial: the table has no column(s) {', '.join(absent)}")
    duplicated = table.duplicated([*group, region])
    if duplicated.any():
        row = table.loc[duplicated, [*group, region]].iloc[0].to_dict()
        raise UserError(f"spatial: the table has two rows for {row}; keep one per region x group")
    frame_columns, variable = group[:-1], group[-1]
    if frame_columns:
        frames = table.groupby(frame_columns, sort=True, observed=True)
    else:
        frames = [((), table)]
    for frame_key, part in frames:
        regions = part[region].astype(str)
        graph = graph_from_weights(weights, regions.unique())
        rows = pd.Index(graph.unique_ids)
        columns = pd.Index(sorted(part[variable].unique()))
        row_position = rows.get_indexer(regions)
        column_position = columns.get_indexer(part[variable])
        kept = row_position >= 0
        # Absent region x variable cells: the industry has no employment there, LQ 0.
        matrix = np.zeros((len(rows), len(columns)))
        matrix[row_position[kept], column_position[kept]] = part[value].to_numpy(
            dtype="float64", na_value=np.nan
        )[kept]
        yield frame_key, pd.DataFrame(matrix, index=rows, columns=columns), graph


def _with_frame_key(
    result: pd.DataFrame, frame_key: tuple, frame_columns: list[str], table: pd.DataFrame
) -> pd.DataFrame:
    """Add the frame columns (for example year) with the table's dtypes."""
    for name, key in zip(frame_columns, frame_key, strict=True):
        result[name] = pd.Series([key] * len(result), index=result.index, dtype=table[name].dtype)
    return result
