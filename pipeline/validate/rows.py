"""Checks of single rows and cells: CSV rows with more or fewer fields than the header, and
fractional establishment counts.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.sources.raw_schema import Problem
from pipeline.validate.wording import _row_of


def _row_width_problems(path: Path) -> list[Problem]:
    """CSV rows with more fields than the header (a shifted row), or too few for employment.

    pandas would silently shift such a row's values into the wrong columns, so the error
    would point at the wrong cell.
    """
    if path.suffix.lower() == ".parquet":
        return []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(handle)
            header = [name.strip().lower() for name in next(rows, [])]
            needed = header.index("employment") + 1 if "employment" in header else len(header)
            for number, fields in enumerate(rows, start=2):
                if not fields or not any(field.strip() for field in fields):
                    continue
                if len(fields) > len(header) or len(fields) < needed:
                    what = "more" if len(fields) > len(header) else "fewer"
                    return [
                        Problem(
                            "error",
                            f"{path}: row {number} has {len(fields)} fields but the header "
                            f"has {len(header)} ({what} than its columns); check that row for "
                            "a stray or missing comma (quote values that contain commas)",
                        )
                    ]
    except (UnicodeDecodeError, csv.Error):
        return []  # the table reader reports undecodable or malformed files
    return []


def _fractional_establishments(
    employment: pd.DataFrame, source_rows: pd.DataFrame | None, path: Path
) -> list[Problem]:
    """Establishments are a count: 12.0 is fine, 12.5 is an error."""
    if "establishments" not in employment.columns:
        return []
    counts = employment["establishments"]
    fractional = counts.notna() & (counts != np.floor(counts))
    if not fractional.any():
        return []
    first = employment[fractional].iloc[0]
    rows = _row_of(
        source_rows, pd.DataFrame([first[["region_id", "industry_code", "year"]].to_dict()])
    )
    return _fractional_problems(first["establishments"], rows[0], int(fractional.sum()), path)


def _fractional_problems(
    first_value: float, first_row: int | None, count: int, path: Path
) -> list[Problem]:
    """:func:`_fractional_establishments` from the first fractional count, its file row
    (None when unknown) and how many there are."""
    where = f", row {first_row}" if first_row is not None else ""
    more = count - 1
    extra = f" (and {more} more rows)" if more else ""
    return [
        Problem(
            "error",
            f"{path}: column 'establishments'{where}: {first_value:g} is not a whole "
            f"number{extra}; establishments are counted - write whole numbers, or leave the "
            "cell empty when unknown",
        )
    ]
