"""Industry x industry matrices as the relatedness measures share them.

Every measure of :mod:`pipeline.clusters.relatedness` is a square DataFrame indexed and
columned by the same industry code strings (``industry_code`` x ``related_code``),
symmetric, diagonal NaN; these helpers build one, correlate the columns of a dense matrix,
and pivot a long table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def square_matrix(values: np.ndarray, codes: Sequence[str]) -> pd.DataFrame:
    """A symmetric code x code frame with a NaN diagonal."""
    values = np.array(values, dtype="float64", copy=True)
    np.fill_diagonal(values, np.nan)
    index = pd.Index(list(codes), dtype=str, name="industry_code")
    return pd.DataFrame(values, index=index, columns=index.rename("related_code"))


def column_correlation(matrix: np.ndarray) -> np.ndarray:
    """Pearson correlation between the columns of ``matrix`` (rows are observations).

    Columns with zero variance give NaN rows and columns instead of numpy's warning.
    """
    centred = matrix - matrix.mean(axis=0, keepdims=True)
    norm = np.sqrt((centred * centred).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        standardised = centred / np.where(norm > 0, norm, np.nan)
    standardised = np.nan_to_num(standardised, nan=0.0)
    correlation = standardised.T @ standardised
    constant = norm <= 0
    correlation[constant, :] = np.nan
    correlation[:, constant] = np.nan
    return np.clip(correlation, -1.0, 1.0)


def pivot_sum(table: pd.DataFrame, rows: str, columns: str, value: str) -> pd.DataFrame:
    """A wide ``rows`` x ``columns`` matrix of ``value`` from a long table (sums; absent = 0)."""
    return table.pivot_table(index=rows, columns=columns, values=value, aggfunc="sum").fillna(0.0)
