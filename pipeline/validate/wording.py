"""Shared wording of a problem: the file rows a key stands in, and "(and N more ...)"."""

from __future__ import annotations

import pandas as pd

from pipeline.sources.raw_schema import CODES_LISTED


def _row_of(source_rows: pd.DataFrame | None, keys: pd.DataFrame) -> list[int | None]:
    """Row numbers (as the user sees them) of region_id, industry_code, year keys."""
    if source_rows is None or keys.empty:
        return [None] * len(keys)
    found = keys.merge(source_rows, on=["region_id", "industry_code", "year"], how="left")
    return [None if pd.isna(row) else int(row) for row in found["row"]]


def _more(count: int, noun: str, examples: list[str]) -> str:
    if count <= 0:
        return ""
    listed = ", ".join(examples[:CODES_LISTED]) + (", ..." if count > CODES_LISTED else "")
    return f" (and {count} more {noun}: {listed})"
