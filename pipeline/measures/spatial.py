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

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import sparse as sp_sparse
from scipy import stats

from pipeline.errors import UserError
from pipeline.geography import contiguity
from pipeline.progress import tracked

T = TypeVar("T")

MISSING_POLICIES = ("drop", "raise")
# esda's PySAL quadrant scheme for Moran_Local.q (geoda_quads=False).
QUADRANT_LABELS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
NOT_SIGNIFICANT = "ns"
GLOBAL_COLUMNS = ["moran_i", "expected_i", "z_norm", "p_norm", "p_sim", "n", "permutations", "seed"]
LOCAL_COLUMNS = ["local_i", "local_p", "quadrant", "gi_star_z", "gi_star_p"]
# (variable, permutation) columns per sparse product of the global Moran permutations:
# about 3 x regions x 256 x 8 bytes of working memory (11 MB for 1,873 counties), which
# stays in cache; it changes speed only, never a result.
COLUMNS_PER_PRODUCT = 256
# Safety factor on the rounding bound of a permuted local I (see _local_p_sim).
NEAR_TIE_SAFETY = 16.0


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


def moran_by_group(
    table: pd.DataFrame,
    weights: pd.DataFrame,
    value: str,
    group: Sequence[str],
    permutations: int,
    seed: int,
    missing: str,
    region: str = "region_id",
    progress: str | None = None,
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
    permutations, seed, missing, progress
        As in :func:`global_moran`.
    region : str
        Region identifier column.

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
        statistics = global_moran(wide, graph, permutations, seed, missing, progress)
        statistics = statistics.rename_axis(group[-1]).reset_index()
        pieces.append(_with_frame_key(statistics, frame_key, list(group[:-1]), table))
    columns = [*group, *GLOBAL_COLUMNS]
    if not pieces:
        return pd.DataFrame(columns=columns)
    return pd.concat(pieces, ignore_index=True)[columns]


def local_by_group(
    table: pd.DataFrame,
    weights: pd.DataFrame,
    value: str,
    group: Sequence[str],
    permutations: int,
    seed: int,
    alpha: float,
    missing: str,
    region: str = "region_id",
    progress: str | None = None,
    variables: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Local Moran and Gi* of ``value`` for every region x group of a long region table.

    Parameters
    ----------
    table, weights, value, group, region
        As in :func:`moran_by_group` (the variable is, for example, cluster_code or
        industry_code).
    permutations, seed, alpha, missing, progress
        As in :func:`local_spatial`.
    variables : sequence of str, optional
        Test only these variables (values of ``group[-1]``); the regions of a frame are
        still those of the whole table, so splitting the variables into tasks gives the
        same results as one call.

    Returns
    -------
    DataFrame
        The ``group`` columns, ``region``, then local_i, local_p, quadrant, gi_star_z,
        gi_star_p; one row per region x group.

    Notes
    -----
    Regions and absent cells as in :func:`moran_by_group`: an absent region x cluster
    cell is LQ 0, so every region of the frame gets a row for every variable. The
    results of a variable do not depend on the other variables of the table (the
    conditional draws depend only on the frame's regions and the seed), so a table may
    be split by variable into tasks.
    """
    pieces = []
    for frame_key, wide, graph in _frames(table, weights, value, list(group), region):
        if variables is not None:
            wide = wide[wide.columns[wide.columns.isin(list(variables))]]
        local = local_spatial(wide, graph, permutations, seed, alpha, missing, progress)
        local = local.rename(columns={"variable": group[-1], "region_id": region})
        pieces.append(_with_frame_key(local, frame_key, list(group[:-1]), table))
    columns = [*group, region, *LOCAL_COLUMNS]
    if not pieces:
        return pd.DataFrame(columns=columns)
    return pd.concat(pieces, ignore_index=True)[columns]


# --------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------


def _progress(items: Iterable[T], title: str | None, total: int) -> Iterable[T]:
    return items if title is None else tracked(items, title, total)


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


def _missing_patterns(observed: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(mask of observed regions, positions of the columns with that mask)."""
    patterns: dict[bytes, list[int]] = {}
    columns = np.asfortranarray(observed)
    for position in range(observed.shape[1]):
        patterns.setdefault(columns[:, position].tobytes(), []).append(position)
    return [
        (observed[:, positions[0]].copy(), np.asarray(positions)) for positions in patterns.values()
    ]


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
