"""Checks of the totals: a parent smaller than the sum of its sub-industries
(:func:`inconsistent_totals`), region-years with zero or unknown totals, and a table with
nothing to measure (every value, or every total, zero or empty).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.classifications.codes import TOTAL_CODE
from pipeline.classifications.hierarchy import (
    nearest_present_parent,
)
from pipeline.sources.generic import zero_total_region_years
from pipeline.sources.raw_schema import Problem
from pipeline.validate.wording import _more, _row_of

DEFAULT_TOTAL_TOLERANCE = 0.01


def inconsistent_totals(
    employment: pd.DataFrame,
    classification: str,
    hierarchy: pd.DataFrame | None = None,
    tolerance: float = DEFAULT_TOTAL_TOLERANCE,
    classifications_dir: Path | None = None,
) -> pd.DataFrame:
    """Parent rows smaller than the sum of their sub-industries by more than ``tolerance``.

    A parent cell (an industry, or the total '00') must hold at least the sum of its
    disjoint parts: flagged when

        sum_c e_rc > (1 + tolerance) * e_rp

    with e_rp the parent's employment and c its nearest sub-industries present in the same
    region and year (:func:`pipeline.classifications.hierarchy.nearest_present_parent`; suppressed
    parts count as missing, so the sum is a lower bound and a flag is a real inconsistency).
    A parent larger than its parts is normal (suppressed or unlisted sub-industries).

    Parameters
    ----------
    employment : DataFrame
        Canonical table.
    classification : str
        Its classification.
    hierarchy : DataFrame, optional
        The custom hierarchy, for classification 'custom'.
    tolerance : float
        Relative slack (0.01 = 1 %), for rounding and noise infusion.
    classifications_dir : Path, optional
        Folder of the classification tables.

    Returns
    -------
    DataFrame
        region_id, industry_code, year, employment, parts_employment, parts (count), sorted.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": "R", "year": 2019,
    ...     "industry_code": ["00", "31-33", "311", "312"],
    ...     "employment": [100.0, 50.0, 40.0, 20.0]})
    >>> inconsistent_totals(table, "naics2017")[["industry_code", "parts_employment"]].values.tolist()
    [['31-33', 60.0]]
    """
    parent = nearest_present_parent(employment, classification, hierarchy, classifications_dir)
    has_parent = parent.notna().to_numpy()
    parts = employment[has_parent].assign(parent_code=parent[has_parent].to_numpy())
    sums = parts.groupby(["region_id", "year", "parent_code"], as_index=False).agg(
        parts_employment=("employment", "sum"), parts=("employment", "count")
    )
    parents = employment[["region_id", "year", "industry_code", "employment"]].rename(
        columns={"industry_code": "parent_code"}
    )
    merged = sums.merge(parents, on=["region_id", "year", "parent_code"])
    short = merged["employment"].notna() & (
        merged["parts_employment"] > merged["employment"] * (1 + tolerance)
    )
    result = merged[short].rename(columns={"parent_code": "industry_code"})
    columns = ["region_id", "industry_code", "year", "employment", "parts_employment", "parts"]
    return result[columns].sort_values(["year", "region_id", "industry_code"], ignore_index=True)


def _total_problems(
    inconsistent: pd.DataFrame, source_rows: pd.DataFrame | None, path: Path, tolerance: float
) -> list[Problem]:
    if inconsistent.empty:
        return []
    rows = _row_of(source_rows, inconsistent[["region_id", "industry_code", "year"]])
    first = inconsistent.iloc[0]
    where = f"row {rows[0]}: " if rows[0] is not None else ""
    others = [str(row) for row in rows[1:] if row is not None]
    return [
        Problem(
            "warning",
            f"{path}: {where}region '{first['region_id']}', industry '{first['industry_code']}', "
            f"year {first['year']}: employment {first['employment']:g} is less than the sum of "
            f"its sub-industries ({int(first['parts'])} rows), {first['parts_employment']:g}, "
            f"by more than {tolerance:.0%}{_more(len(inconsistent) - 1, 'rows', others)}; check the "
            "parent row and its sub-industry rows (LQs of that parent will be biased)",
        )
    ]


def _zero_total_problems(
    employment: pd.DataFrame, source_rows: pd.DataFrame | None, path: Path
) -> list[Problem]:
    zero = zero_total_region_years(employment)
    if zero.empty:
        return []
    first = zero.iloc[0]
    rows = None
    if source_rows is not None:
        rows_of_region = source_rows[
            (source_rows["region_id"] == first["region_id"])
            & (source_rows["year"] == first["year"])
        ]["row"]
        rows = int(rows_of_region.min()) if len(rows_of_region) else None
    where = f"row {rows}: " if rows is not None else ""
    kind = "zero" if first["employment"] == 0 else "unknown (suppressed)"
    others = [
        f"'{region}' {year}"
        for region, year in zip(zero["region_id"][1:], zero["year"][1:], strict=True)
    ]
    return [
        Problem(
            "warning",
            f"{path}: {where}region '{first['region_id']}' has {kind} total employment in "
            f"{first['year']}{_more(len(zero) - 1, 'region-years', others)}; location quotients "
            "are undefined there, so the region-year is dropped from LQs - check its total row "
            "(industry_code '00') and its industries",
        )
    ]


def _nothing_to_measure(
    employment: pd.DataFrame, source_rows: pd.DataFrame | None, path: Path
) -> list[Problem]:
    """An error when no employment or no region total is positive: nothing to measure."""
    values = employment["employment"]
    totals = employment[employment["industry_level"] == 0]
    row = None
    if source_rows is not None:
        total_rows = source_rows[source_rows["industry_code"] == TOTAL_CODE]["row"]
        row = int(total_rows.min()) if len(total_rows) else None
    return _nothing_to_measure_problems(
        len(values),
        bool((values > 0).any()),
        len(totals),
        bool((totals["employment"] > 0).any()),
        row,
        path,
    )


def _nothing_to_measure_problems(
    rows: int,
    any_positive: bool,
    total_rows: int,
    any_total_positive: bool,
    first_total_row: int | None,
    path: Path,
) -> list[Problem]:
    """:func:`_nothing_to_measure` from its counts (``first_total_row``: file row of the
    first total row, None when unknown)."""
    if not any_positive:
        return [
            Problem(
                "error",
                f"{path}: column 'employment': every value is zero or empty "
                f"({rows:,} rows), so there is nothing to measure; check that the column "
                "holds the counts (not a flag or a share) and that the export kept them",
            )
        ]
    if total_rows and not any_total_positive:
        where = f"row {first_total_row}: " if first_total_row is not None else ""
        return [
            Problem(
                "error",
                f"{path}: {where}every total row (industry_code '00') is zero or empty, so no "
                "region has a total for location quotients; write each region's all-industry "
                "employment in its '00' row, or drop the '00' rows to derive totals from the "
                "top-level industries",
            )
        ]
    return []
