"""Inspect a generic employment file: read it, check every rule, list every problem.

Why a module of its own: :func:`inspect_employment` is the one place that turns a user's file
into the canonical table or into a list of one-line problems (what ``regclust validate``
prints and :func:`pipeline.sources.generic.read_generic` raises). It reads the file as text
(:mod:`pipeline.sources.raw_table`), checks it with the raw schema
(:mod:`pipeline.sources.raw_schema`), reads the codes in their classification
(:mod:`pipeline.classifications.hierarchy`) and applies the shared rules of
:mod:`pipeline.sources.employment_check`. A typed Parquet file goes first through the
Arrow fast path (:mod:`pipeline.sources.typed_parquet`), which hands back to the text path
at the first sign of a problem, so every problem is worded here or in the raw schema.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classifications.codes import (
    CLASSIFICATIONS,
    FAMILY,
    LEVEL_MAX,
    TOTAL_CODE,
    classification_name,
)
from pipeline.classifications.hierarchy import (
    derived_levels,
    guess_classification,
    is_known_code,
    known_industry_codes,
    normalise_codes,
)
from pipeline.classifications.nace import NACE_MAX_DIGITS
from pipeline.errors import UserError
from pipeline.sources.employment_check import (
    EmploymentCheck,
    empty_unflagged_warning,
    hierarchy_table,
    suppressed_value_warning,
    with_derived_totals,
)
from pipeline.sources.raw_schema import (
    CODES_LISTED,
    Problem,
    column_problems,
    duplicate_problem,
    ignored_column_warnings,
    parse_numbers,
    rows_phrase,
    schema_problems,
)
from pipeline.sources.raw_table import is_parquet, read_raw_table
from pipeline.sources.schema import canonical_employment
from pipeline.sources.typed_parquet import NeedsTextPath, inspect_typed_parquet, typed_columns


def inspect_employment(
    path: str | Path,
    classification: str | None = None,
    hierarchy: str | Path | pd.DataFrame | None = None,
    *,
    classifications_dir: Path | None = None,
    source_rows: bool = True,
) -> EmploymentCheck:
    """Read a generic employment file and list every problem found in it.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet in the generic schema (module docstring).
    classification : str, optional
        The codes' classification, unless the file has a ``classification`` column.
    hierarchy : path or DataFrame, optional
        The hierarchy table of a 'custom' classification (:func:`read_hierarchy`).
    classifications_dir : Path, optional
        Folder of the classification tables (default: the one params.yaml names).
    source_rows : bool
        Keep the file row number of every row (``EmploymentCheck.source_rows``, for
        messages about totals); False saves memory on big files.

    Returns
    -------
    EmploymentCheck
        The canonical table (None when there are errors), the problems (errors and
        warnings, one line each) and notes.

    Raises
    ------
    UserError
        When the file cannot be read as a table at all (missing, empty, not UTF-8, damaged
        Parquet, missing or misspelt required columns, no classification).

    Notes
    -----
    A Parquet file whose schema columns are typed (codes as strings, years and levels as
    integers, counts as numbers) is checked one year at a time on its Arrow columns, codes
    on their dictionaries (seconds for tens of millions of rows). At the first sign of a
    problem, and for CSV, every value is read as text and checked by the pandera schema,
    which words each problem with its row numbers.
    """
    path = Path(path)
    if path.is_file() and path.stat().st_size and is_parquet(path):
        typed = typed_columns(path)
        if typed is not None:
            try:
                return inspect_typed_parquet(
                    path, typed, classification, hierarchy, classifications_dir, source_rows
                )
            except NeedsTextPath:
                pass  # the text path below finds and words the problem
    text, row_offset = read_raw_table(path)
    columns = list(text.columns)
    column_messages = column_problems(columns, path)
    if column_messages:
        raise UserError(column_messages[0])
    problems = ignored_column_warnings(columns, path)
    named = resolve_classification(text, classification, path, classifications_dir)
    custom_hierarchy = None
    if named == "custom":
        if hierarchy is None:
            raise UserError(
                f"{path}: classification 'custom' needs a hierarchy table (industry_code,"
                "parent_code,level); pass it with --hierarchy"
            )
        custom_hierarchy = hierarchy_table(hierarchy)
    check = EmploymentCheck(
        None, problems, classification=named, hierarchy=custom_hierarchy, rows_read=len(text)
    )
    problems += schema_problems(text, path, row_offset)
    if any(problem.severity == "error" for problem in problems):
        return check

    codes = normalise_codes(text["industry_code"], named)
    keys = pd.DataFrame(
        {
            "region_id": text["region_id"].astype("str"),
            "industry_code": codes,
            "year": parse_numbers(text["year"]).astype("int64"),
        }
    )
    duplicate = duplicate_problem(keys, path, row_offset)
    if duplicate is not None:
        problems.append(duplicate)
    known = known_industry_codes(named, classifications_dir, custom_hierarchy)
    known_mask = is_known_code(codes, named, known)
    if not known_mask.all():
        problems.append(
            unknown_code_problem(codes, known_mask, named, path, row_offset, classifications_dir)
        )

    employment = parse_numbers(text["employment"])
    flags = (
        text["employment_flag"].str.lower().fillna("reported")
        if "employment_flag" in text.columns
        else pd.Series("reported", index=text.index, dtype="str")
    )
    valued_suppressed = (flags == "suppressed") & employment.notna()
    if valued_suppressed.any():
        rows = (text.index[valued_suppressed] + row_offset).tolist()
        value = employment[valued_suppressed].iloc[0]
        problems.append(suppressed_value_warning(path, rows[0], value, rows_phrase(rows)))
        employment = employment.mask(valued_suppressed)
    unflagged_empty = employment.isna() & (flags != "suppressed")
    if unflagged_empty.any():
        rows = (text.index[unflagged_empty] + row_offset).tolist()
        problems.append(empty_unflagged_warning(path, rows[0], rows_phrase(rows)))
        flags = flags.mask(unflagged_empty, "suppressed")

    levels = derived_levels(codes, named, custom_hierarchy)
    if "industry_level" in text.columns:
        given = parse_numbers(text["industry_level"])
        misplaced_total = (given == 0) & (codes != TOTAL_CODE)
        if misplaced_total.any():
            rows = (text.index[misplaced_total] + row_offset).tolist()
            problems.append(
                Problem(
                    "error",
                    f"{path}: column 'industry_level', row {rows[0]}: level 0 is reserved for "
                    f"the total '00' but the code is '{codes[misplaced_total].iloc[0]}'"
                    f"{rows_phrase(rows)}; give its level (1-{LEVEL_MAX}) or leave it empty",
                )
            )
        levels = given.where(given.notna() & (codes != TOTAL_CODE), levels).astype("int64")
    if any(problem.severity == "error" for problem in problems):
        return check

    establishments = (
        parse_numbers(text["establishments"])
        if "establishments" in text.columns
        else pd.Series(np.nan, index=text.index)
    )
    table = pd.DataFrame(
        {
            "region_id": keys["region_id"],
            "industry_code": codes,
            "industry_level": levels,
            "year": keys["year"],
            "employment": employment,
            "establishments": establishments,
            "classification": named,
            "employment_flag": flags,
        }
    )
    check.source_rows = keys.assign(row=keys.index.to_numpy() + row_offset).reset_index(drop=True)
    table, derived = with_derived_totals(table, named, custom_hierarchy, classifications_dir)
    check.note_derived_totals(path, derived, table)
    check.employment = canonical_employment(table)
    return check


def resolve_classification(
    text: pd.DataFrame, argument: str | None, path: Path, directory: Path | None
) -> str:
    named = None
    if argument is not None:
        named = classification_name(argument)
        if named is None:
            raise UserError(
                f"--classification '{argument}' is not known; use one of "
                f"{', '.join(CLASSIFICATIONS)}"
            )
    if "classification" in text.columns:
        in_file = text["classification"].dropna().map(classification_name).dropna().unique()
        if len(in_file) > 1:
            raise UserError(
                f"{path}: column 'classification' mixes {', '.join(sorted(in_file))}; use one "
                "classification per file (split the file)"
            )
        if len(in_file) == 1:
            if named is not None and named != in_file[0]:
                raise UserError(
                    f"{path}: column 'classification' says {in_file[0]} but --classification "
                    f"is {named}; drop one of them or make them agree"
                )
            named = str(in_file[0])
    if named is None:
        guess = guess_classification(text["industry_code"], directory)
        hint = f" (the codes look like {guess})" if guess else ""
        raise UserError(
            f"{path}: no classification given; pass --classification "
            f"({', '.join(CLASSIFICATIONS)}) or add a classification column{hint}"
        )
    return named


def unknown_code_problem(
    codes: pd.Series,
    known_mask: pd.Series,
    classification: str,
    path: Path,
    row_offset: int,
    directory: Path | None,
) -> Problem:
    unknown = codes[~known_mask]
    rows = (unknown.index.to_numpy() + row_offset).tolist()
    distinct = list(dict.fromkeys(unknown))
    others = ", ".join(f"'{code}'" for code in distinct[1 : 1 + CODES_LISTED])
    more = f" (other unknown codes: {others}{', ...' if len(distinct) > 1 + CODES_LISTED else ''})"
    fix = "correct the codes"
    if classification in NACE_MAX_DIGITS and any(
        len(code) == 1 and code.isdigit() for code in distinct
    ):
        fix = "store codes as text with their leading zeros ('01', not '1')"
    elif classification == "custom":
        fix = "add them to the hierarchy table, or correct the codes"
    else:
        guess = guess_classification(codes, directory)
        if guess is not None and FAMILY[guess] != FAMILY[classification]:
            fix = f"the codes look like {guess}: pass --classification {guess}"
        else:
            fix += ", or pass the right --classification"
    return Problem(
        "error",
        f"{path}: column 'industry_code', row {rows[0]}: '{distinct[0]}' is not a "
        f"{classification} code{more if len(distinct) > 1 else ''}"
        f"{rows_phrase(rows) if len(distinct) == 1 else ''}; {fix}",
    )
