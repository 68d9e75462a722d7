"""What every spatial statistic does to its inputs first: the missing-value policy, the values
aligned on the graph's regions, the columns grouped by their pattern of missing regions, and the
optional progress bar.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import numpy as np
import pandas as pd
from libpysal.graph import Graph

from pipeline.errors import UserError
from pipeline.progress import tracked

T = TypeVar("T")


MISSING_POLICIES = ("drop", "raise")


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
