"""The generic schema's columns and the checks on their raw text (pandera), worded for users.

Why a module of its own: it is the one statement of what a generic employment file must hold
(the columns, the value rules of each, one row per region x industry x year) and of how a
broken rule is told to the user: one line per column and check, naming the file, the first
row, how many more rows, and the fix. Both reading paths of
:mod:`pipeline.sources.inspection` and ``regclust validate`` report through it. The column
table itself is documented in :mod:`pipeline.sources.generic`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline.classifications.codes import CLASSIFICATIONS, LEVEL_MAX, classification_name
from pipeline.errors import UserError
from pipeline.sources.schema import EMPLOYMENT_FLAGS

REQUIRED_COLUMNS = ("region_id", "industry_code", "year", "employment")
OPTIONAL_COLUMNS = ("establishments", "employment_flag", "industry_level", "classification")
SCHEMA_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
KEY_COLUMNS = ["region_id", "industry_code", "year"]
YEAR_DIGITS = (1000, 9999)  # a calendar year written with four digits
ROWS_LISTED = 5  # row numbers listed after the first one in a message
CODES_LISTED = 5  # offending codes or ids quoted in a message
COLUMNS_LISTED = 12  # columns of the file quoted when a required one is missing
MISSPELT_CUTOFF = 0.6  # difflib similarity of a column name to a required one
IGNORED_CUTOFF = 0.75  # ... and of an ignored column to an optional one

FLAG_HINT = "leave unknown (suppressed) cells empty with employment_flag 'suppressed'"


class InputWarning(UserWarning):
    """A problem in user-supplied input that does not stop the pipeline."""


class Problem(NamedTuple):
    """One finding of a check: ``severity`` is 'error' or 'warning'; ``message`` one line."""

    severity: str
    message: str


# ---------------------------------------------------------------------------------------
# Columns


def column_problems(columns: list[str], path: Path) -> list[str]:
    """One-line messages for duplicated, missing or misspelt schema columns."""
    messages = []
    seen: dict[str, int] = {}
    for position, name in enumerate(columns, start=1):
        mangled = re.fullmatch(r"(.+)\.\d+", name)  # pandas renames a repeated 'x' to 'x.1'
        base = mangled.group(1) if mangled and mangled.group(1) in columns else name
        if base in seen:
            messages.append(
                f"{path}: column '{base}' appears twice (columns {seen[base]} and {position}); "
                "keep one of them"
            )
        else:
            seen[base] = position
    unknown = [name for name in columns if name not in SCHEMA_COLUMNS]
    for required in REQUIRED_COLUMNS:
        if required in columns:
            continue
        close = difflib.get_close_matches(required, unknown, n=1, cutoff=MISSPELT_CUTOFF)
        if close:
            messages.append(
                f"{path}: column '{close[0]}' looks like a misspelling of '{required}'; "
                f"rename the column to {required}"
            )
        else:
            shown = ", ".join(columns[:COLUMNS_LISTED]) + (
                ", ..." if len(columns) > COLUMNS_LISTED else ""
            )
            messages.append(
                f"{path}: missing column '{required}' (the file has: {shown}); add it - "
                f"the required columns are {', '.join(REQUIRED_COLUMNS)}"
            )
    return messages


def ignored_column_warnings(columns: list[str], path: Path) -> list[Problem]:
    problems = []
    for name in columns:
        if name in SCHEMA_COLUMNS or re.search(r"\.\d+$", name):
            continue
        close = difflib.get_close_matches(name, OPTIONAL_COLUMNS, n=1, cutoff=IGNORED_CUTOFF)
        if close and close[0] not in columns:
            problems.append(
                Problem(
                    "warning",
                    f"{path}: column '{name}' is ignored; if it is meant as '{close[0]}', "
                    f"rename it to {close[0]}",
                )
            )
    return problems


# ---------------------------------------------------------------------------------------
# Values: a pandera schema on the raw text, translated into one-line messages


def parse_numbers(text: pd.Series) -> pd.Series:
    """Text -> float64; null where empty, unparsable or not finite (e.g. 'inf')."""
    numbers = pd.to_numeric(text.astype("object"), errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


def _is_number(text: pd.Series) -> pd.Series:
    return parse_numbers(text).notna()


def _non_negative(text: pd.Series) -> pd.Series:
    return ~(parse_numbers(text) < 0)


def _is_whole(text: pd.Series) -> pd.Series:
    numbers = parse_numbers(text)
    return numbers.notna() & (numbers == np.floor(numbers))


def _four_digit_year(text: pd.Series) -> pd.Series:
    numbers = parse_numbers(text)
    return numbers.isna() | numbers.between(*YEAR_DIGITS)


def _level_in_range(text: pd.Series) -> pd.Series:
    numbers = parse_numbers(text)
    return numbers.isna() | numbers.between(0, LEVEL_MAX)


def _known_flag(text: pd.Series) -> pd.Series:
    return text.str.lower().isin(list(EMPLOYMENT_FLAGS))


def _known_classification(text: pd.Series) -> pd.Series:
    return text.map(classification_name).notna()


_NUMBER_CHECKS = [
    pa.Check(_is_number, name="is_number"),
    pa.Check(_non_negative, name="non_negative"),
]

RAW_COLUMNS = {
    "region_id": pa.Column(nullable=False),
    "industry_code": pa.Column(nullable=False),
    "year": pa.Column(
        nullable=False,
        checks=[pa.Check(_is_whole, name="is_whole"), pa.Check(_four_digit_year, name="year")],
    ),
    "employment": pa.Column(nullable=True, checks=_NUMBER_CHECKS),
    "establishments": pa.Column(nullable=True, checks=_NUMBER_CHECKS),
    "employment_flag": pa.Column(nullable=True, checks=pa.Check(_known_flag, name="flag")),
    "industry_level": pa.Column(
        nullable=True,
        checks=[pa.Check(_is_whole, name="is_whole"), pa.Check(_level_in_range, name="level")],
    ),
    "classification": pa.Column(
        nullable=True, checks=pa.Check(_known_classification, name="classification")
    ),
}
"""Checks on the raw text of each schema column (pandera), before any conversion."""

KEY_SCHEMA = pa.DataFrameSchema(
    {column: pa.Column() for column in KEY_COLUMNS},
    unique=KEY_COLUMNS,
)
"""One row per region x industry x year, checked after codes are normalised."""


def raw_schema(columns: Iterable[str]) -> pa.DataFrameSchema:
    """The pandera schema of the raw text table, for the schema columns present."""
    return pa.DataFrameSchema(
        {name: RAW_COLUMNS[name] for name in columns if name in RAW_COLUMNS}, strict=False
    )


def rows_phrase(rows: list[int]) -> str:
    """' (and N more rows: r2, r3, ...)' for the rows after the first ('' when none)."""
    rest = rows[1:]
    if not rest:
        return ""
    listed = ", ".join(str(row) for row in rest[:ROWS_LISTED])
    more = ", ..." if len(rest) > ROWS_LISTED else ""
    noun = "row" if len(rest) == 1 else "rows"
    return f" (and {len(rest)} more {noun}: {listed}{more})"


def _value_message(column: str, check: str, value: object) -> str:
    """What is wrong with ``value`` and how to fix it."""
    shown = f"'{value}'"
    if check == "not_nullable":
        if column == "year":
            return "the year is empty; fill in the four-digit year (e.g. 2019)"
        return f"the {column} is empty; fill in the {column} of every row"
    if column == "year":
        if check == "is_whole":
            return f"{shown} is not a whole-number year; write years as digits, e.g. 2019"
        return f"{shown} is not a four-digit year; write the calendar year, e.g. 2019"
    if column in ("employment", "establishments"):
        if check == "is_number":
            return (
                f"{shown} is not a number; write plain numbers without thousands separators, "
                f"units or footnote marks, and {FLAG_HINT}"
            )
        return f"{value} is negative; {column} cannot be below 0 - correct it, or {FLAG_HINT}"
    if column == "employment_flag":
        return f"{shown} is not a flag; use {', '.join(EMPLOYMENT_FLAGS)} (empty = reported)"
    if column == "industry_level":
        return (
            f"{shown} is not an industry level; use 0 for the total and 1-{LEVEL_MAX} for the "
            "code's level, or drop the column to derive levels from the classification"
        )
    if column == "classification":
        return f"{shown} is not a known classification; use one of {', '.join(CLASSIFICATIONS)}"
    return f"{shown} fails the check '{check}'"


def schema_problems(
    text: pd.DataFrame, path: Path, row_offset: int
) -> list[Problem]:  # pandera failure cases -> one line per column and check
    try:
        raw_schema(text.columns).validate(text, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return []
    cases = cases[cases["index"].notna()].copy()
    cases["row"] = cases["index"].astype("int64") + row_offset
    order = {name: position for position, name in enumerate(text.columns)}
    cases["column_order"] = cases["column"].map(order)
    problems = []
    for (column, check), failures in cases.sort_values(["column_order", "row"]).groupby(
        ["column", "check"], sort=False
    ):
        rows = failures["row"].drop_duplicates().tolist()
        value = failures["failure_case"].iloc[0]
        problems.append(
            Problem(
                "error",
                f"{path}: column '{column}', row {rows[0]}: "
                f"{_value_message(column, check, value)}{rows_phrase(rows)}",
            )
        )
    return problems


def duplicate_problem(keys: pd.DataFrame, path: Path, row_offset: int) -> Problem | None:
    """The error for keys (region_id, industry_code, year) that repeat, or None."""
    try:
        KEY_SCHEMA.validate(keys, lazy=True)
    except pa.errors.SchemaErrors as errors:
        failing = errors.failure_cases["index"].dropna().astype("int64").unique()
    else:
        return None
    duplicated = keys.loc[np.sort(failing)]
    groups = duplicated.groupby(KEY_COLUMNS, sort=False).groups
    (region, industry, year), first_group = next(iter(groups.items()))
    rows = " and ".join(str(int(index) + row_offset) for index in first_group[:2])
    extra = f" (and {len(groups) - 1} more repeated keys)" if len(groups) > 1 else ""
    return Problem(
        "error",
        f"{path}: rows {rows} repeat region '{region}', industry '{industry}', year {year}"
        f"{extra}; keep one row per region x industry x year (sum or drop the duplicates)",
    )


def raise_first_error(problems: list[Problem]) -> None:
    """Raise :class:`UserError` with the first error, counting the others, if any."""
    errors = [problem.message for problem in problems if problem.severity == "error"]
    if errors:
        more = (
            f" [1 of {len(errors)} errors; `regclust validate` lists them all]"
            if len(errors) > 1
            else ""
        )
        raise UserError(errors[0] + more)
