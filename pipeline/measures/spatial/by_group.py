"""The statistics over a long region table: global Moran (:func:`moran_by_group`) and the local
statistics (:func:`local_by_group`) of a value for every group (year x industry or cluster),
each frame (year) with its own graph; a region x variable cell absent from the table is 0.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from pipeline.errors import UserError
from pipeline.measures.spatial.local import LOCAL_COLUMNS, local_spatial
from pipeline.measures.spatial.moran import GLOBAL_COLUMNS, global_moran
from pipeline.measures.spatial.weights import graph_from_weights


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
