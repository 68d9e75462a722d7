"""What an inspection of an employment file finds, and the rules both reading paths share.

Why a module of its own: :mod:`pipeline.sources.inspection` reads a file as text, and
:mod:`pipeline.sources.typed_parquet` reads a typed Parquet file on Arrow arrays; both must
return the same :class:`EmploymentCheck`, derive missing totals the same way and word the
same finding the same way. Those shared parts live here, once.

Rules:

* a cell flagged ``suppressed`` that holds a value is read as unknown (the value ignored);
* an empty employment not flagged suppressed is read as suppressed (unknown, not zero);
* a region-year without a total row gets one: the sum over its top-level industries (those
  with no ancestor present, :func:`pipeline.classifications.hierarchy.nearest_present_parent`),
  flagged 'imputed' (a lower bound when industries are missing), or 'suppressed' when none
  of them has a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classifications.codes import TOTAL_CODE
from pipeline.classifications.hierarchy import nearest_present_parent
from pipeline.sources.custom_classification import read_hierarchy
from pipeline.sources.raw_schema import Problem


@dataclass
class EmploymentCheck:
    """What :func:`pipeline.sources.inspection.inspect_employment` found in an employment file.

    employment : the canonical table, or None when there are errors.
    problems : errors and warnings, one line each, in file order.
    notes : facts worth knowing that need no action (derived totals, ...).
    source_rows : region_id, industry_code, year, row (the row number the user sees).
    classification : the classification the codes were read in.
    hierarchy : the custom hierarchy table (industry_code, parent_code, level), else None.
    rows_read : data rows in the file.
    derived_totals : number of region-years whose total row was derived.
    """

    employment: pd.DataFrame | None
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)
    source_rows: pd.DataFrame | None = None
    classification: str | None = None
    hierarchy: pd.DataFrame | None = None
    rows_read: int = 0
    derived_totals: int = 0

    def note_derived_totals(self, path: Path, derived: int, table: pd.DataFrame | int) -> None:
        """Record how many region-years of ``table`` (or of that many) got a derived total row."""
        self.derived_totals = derived
        if derived:
            region_years = (
                table
                if isinstance(table, int)
                else table[["region_id", "year"]].drop_duplicates().shape[0]
            )
            self.notes.append(
                f"{path}: {derived} of {region_years} region-years have no total row "
                "(industry_code '00'); their total is the sum over their top-level industries, "
                "flagged 'imputed' (it misses any industry the file leaves out)"
            )


def hierarchy_table(hierarchy: str | Path | pd.DataFrame) -> pd.DataFrame:
    """A custom hierarchy given as a table, or read from its file (:func:`read_hierarchy`)."""
    return hierarchy if isinstance(hierarchy, pd.DataFrame) else read_hierarchy(hierarchy)


def suppressed_value_warning(path: Path, row: int, value: float, more_rows: str) -> Problem:
    """A suppressed cell that holds a value (first at ``row``; ``more_rows`` lists the rest)."""
    return Problem(
        "warning",
        f"{path}: column 'employment', row {row}: the cell is flagged suppressed but holds "
        f"{value:g}{more_rows}; the value is ignored - leave suppressed cells empty, or flag "
        "them reported",
    )


def empty_unflagged_warning(path: Path, row: int, more_rows: str) -> Problem:
    """An empty employment not flagged suppressed (first at ``row``)."""
    return Problem(
        "warning",
        f"{path}: column 'employment', row {row}: empty but not flagged suppressed"
        f"{more_rows}; read as suppressed (unknown, not zero) - write 0 for a true zero, or "
        "set employment_flag to suppressed",
    )


def with_derived_totals(
    table: pd.DataFrame,
    classification: str,
    hierarchy: pd.DataFrame | None,
    directory: Path | None,
) -> tuple[pd.DataFrame, int]:
    """Add a total row ('00', level 0) to each region-year that lacks one."""
    has_total = table.loc[table["industry_code"] == TOTAL_CODE, ["region_id", "year"]]
    lacking = table.merge(has_total.assign(_has=True), on=["region_id", "year"], how="left")
    lacking = lacking[lacking["_has"].isna()].drop(columns="_has")
    if lacking.empty:
        return table, 0
    parent = nearest_present_parent(lacking, classification, hierarchy, directory)
    top = lacking[parent.isna().to_numpy()]
    totals = (
        top.groupby(["region_id", "year"], sort=True)[["employment", "establishments"]]
        .sum(min_count=1)
        .reset_index()
    )
    totals = totals.assign(
        industry_code=TOTAL_CODE,
        industry_level=0,
        classification=classification,
        employment_flag=np.where(totals["employment"].notna(), "imputed", "suppressed"),
    )
    return pd.concat([table, totals[table.columns]], ignore_index=True), len(totals)
