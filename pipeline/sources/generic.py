"""Bring your own data: the generic employment table and region boundaries.

Any region x industry x year table can be run through regclust when it follows this schema,
one row per region x industry x year, as CSV (UTF-8, comma-separated, header row) or Parquet:

| column | type | required | meaning |
|---|---|---|---|
| `region_id` | string | yes | Region code; must match the boundaries' id field. Leading zeros are kept (write `01001`, not `1001`). |
| `industry_code` | string | yes | Industry code in the classification. The all-industry total is `00` (`TOTAL` and `_T` are read as `00`). |
| `year` | integer | yes | Reference year, four digits. |
| `employment` | number >= 0 | yes | The measured size: employment, or another measure such as shipments (the dataset's params name the measure and its unit). Empty = unknown. |
| `establishments` | number >= 0 | no | Number of establishments (local units); empty = unknown. |
| `employment_flag` | text | no | `reported` (default), `imputed` or `suppressed`; a suppressed cell has an empty employment (never a zero). |
| `industry_level` | integer | no | 0 for the total, else 1-6; derived from the classification when absent. |
| `classification` | text | no | `naics2017`, `naics2012`, `nace_r2`, `okved2` or `custom`; or pass it per file (`--classification`). |

Other columns are ignored (with a warning when a name looks like a misspelt schema column).
Header names are matched case-insensitively and stripped of spaces.

Classifications and their levels:

* **naics2017, naics2012** (North American Industry Classification System): 2-6 digit codes;
  level = number of digits; the range sectors ``31-33``, ``44-45``, ``48-49`` are level 2.
  Known codes: the six-digit 2012 codes of the US Cluster Mapping crosswalk, the six-digit
  2017 codes that changed since 2012, all their 2-5 digit prefixes, the range sectors, and
  every code of sectors 92 (public administration) and 99 (industries not classified, used
  by County Business Patterns), which the crosswalk does not list.
* **nace_r2** (NACE Rev. 2) and **okved2** (OKVED 2, OK 029-2014, harmonised with NACE Rev. 2
  at section and division level): sections ``A``-``U`` (level 1), divisions (2 digits,
  level 2), groups and classes (3-4 digits; OKVED sub-classes up to 6). Dots are dropped
  (``10.11`` -> ``1011``) and a section letter before digits is dropped (Eurostat's ``C10``
  -> ``10``). Known codes: the 21 sections and 88 divisions of
  ``data/raw/classifications/nace_r2_sections.csv`` and any longer code whose first two
  digits are a known division.
* **custom**: a hierarchy table (CSV) with columns ``industry_code, parent_code, level``
  (``parent_code`` empty or ``00`` at the top); only its codes are known. An optional
  technology table (CSV, column ``industry_code``) lists the technology industries
  (:func:`read_technology_table`).

When a region-year has no total row, its total is the sum over its top-level industries
(those with no parent code in the table), flagged 'imputed' (a lower bound when industries
are missing); the summary says so.

Row numbers in messages are those a user sees: in a CSV the header is row 1 and the first
data row is row 2; in a Parquet file the first record is row 1.
"""

from __future__ import annotations

import difflib
import functools
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely

from pipeline.errors import UserError
from pipeline.sources.polygon_contiguity import polygon_contiguity
from pipeline.sources.schema import (
    EMPLOYMENT_COLUMNS,
    EMPLOYMENT_FLAGS,
    TOTAL_CODE,
    IngestResult,
    canonical_employment,
)

WGS84 = "EPSG:4326"
REQUIRED_COLUMNS = ("region_id", "industry_code", "year", "employment")
OPTIONAL_COLUMNS = ("establishments", "employment_flag", "industry_level", "classification")
SCHEMA_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
CLASSIFICATIONS = ("naics2017", "naics2012", "nace_r2", "okved2", "custom")
CLASSIFICATION_ALIASES = {
    "nace": "nace_r2",
    "nacer2": "nace_r2",
    "nacerev2": "nace_r2",
    "nace_rev2": "nace_r2",
    "okved": "okved2",
    "okved_2": "okved2",
    "naics": "naics2017",
}
TOTAL_ALIASES = ("TOTAL", "_T")
NAICS_RANGE_SECTORS = {"31-33": ("31", "32", "33"), "44-45": ("44", "45"), "48-49": ("48", "49")}
# Sectors outside the US Cluster Mapping crosswalk: public administration (92) and
# "industries not classified" (99, County Business Patterns); any code in them is known.
NAICS_SECTORS_OUTSIDE_CROSSWALK = ("92", "99")
FAMILY = {
    "naics2017": "naics",
    "naics2012": "naics",
    "nace_r2": "nace",
    "okved2": "nace",
    "custom": "custom",
}
NACE_MAX_DIGITS = {"nace_r2": 4, "okved2": 6}
LEVEL_MAX = 6  # deepest industry_level of the canonical table
YEAR_DIGITS = (1000, 9999)  # a calendar year written with four digits
CLASSIFICATIONS_DIR = Path(__file__).resolve().parents[2] / "data" / "raw" / "classifications"
PARQUET_MAGIC = b"PAR1"
ROWS_LISTED = 5  # row numbers listed after the first one in a message
CODES_LISTED = 5  # offending codes or ids quoted in a message

FLAG_HINT = "leave unknown (suppressed) cells empty with employment_flag 'suppressed'"


class InputWarning(UserWarning):
    """A problem in user-supplied input that does not stop the pipeline."""


class Problem(NamedTuple):
    """One finding of a check: ``severity`` is 'error' or 'warning'; ``message`` one line."""

    severity: str
    message: str


@dataclass
class EmploymentCheck:
    """What :func:`inspect_employment` found in an employment file.

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


@dataclass
class BoundaryCheck:
    """What :func:`inspect_boundaries` found: regions (or None), problems and notes."""

    regions: gpd.GeoDataFrame | None
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)
    crs: str | None = None


# ---------------------------------------------------------------------------------------
# Reading files


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _require_file(path: Path) -> None:
    if not path.exists():
        raise UserError(f"{path}: not found; check the path and the file name")
    if path.is_dir():
        raise UserError(f"{path}: is a folder; give the path of the table file itself")
    if path.stat().st_size == 0:
        raise UserError(
            f"{path}: the file is empty (0 bytes); export the table again with a header row "
            f"({','.join(REQUIRED_COLUMNS)}) and one row per region x industry x year"
        )


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(PARQUET_MAGIC)) == PARQUET_MAGIC or path.suffix.lower() in (
            ".parquet",
            ".pq",
            ".parq",
        )


def _not_utf8_message(path: Path) -> str:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = error.start
    else:  # pandas failed on something else that looked like a decoding error
        return f"{path}: could not be decoded as UTF-8 text; save the file as UTF-8"
    row = data.count(b"\n", 0, start) + 1
    line_start = data.rfind(b"\n", 0, start) + 1
    line_end = data.find(b"\n", start)
    line = data[line_start : line_end if line_end >= 0 else len(data)]
    field_start = line.rfind(b",", 0, start - line_start) + 1
    field_end = line.find(b",", start - line_start)
    value = line[field_start : field_end if field_end >= 0 else len(line)].strip()[:40]
    shown = value.decode("cp1252", errors="replace").replace('"', "")
    return (
        f'{path}: row {row} is not UTF-8 text (byte 0x{data[start]:02X} in "{shown}", '
        "read as Latin-1); save the file as UTF-8 (Excel: 'CSV UTF-8', or "
        f"`iconv -f latin1 -t utf-8 {path.name} > fixed.csv`)"
    )


def _parser_message(path: Path, error: Exception) -> str:
    text = _first_line(error)
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if found:
        expected, line, seen = found.groups()
        return (
            f"{path}: row {line} has {seen} fields but the header has {expected}; quote values "
            'that contain commas ("Washington, DC") and write numbers without thousands '
            "separators"
        )
    return f"{path}: not a readable CSV file ({text}); save it as comma-separated UTF-8 text"


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except UnicodeDecodeError as error:
        raise UserError(_not_utf8_message(path)) from error
    except pd.errors.EmptyDataError as error:
        raise UserError(
            f"{path}: holds no header row; export the table again with a header row "
            f"({','.join(REQUIRED_COLUMNS)})"
        ) from error
    except pd.errors.ParserError as error:
        raise UserError(_parser_message(path, error)) from error
    except Exception as error:  # the C parser raises several types on binary junk
        raise UserError(
            f"{path}: not a readable CSV file ({_first_line(error)}); save it as "
            "comma-separated UTF-8 text"
        ) from error
    if len(table.columns) == 1:
        header = str(table.columns[0])
        for separator, name in ((";", "semicolons"), ("\t", "tabs")):
            if separator in header:
                raise UserError(
                    f"{path}: the header row is separated by {name}, not commas; save the "
                    "file as comma-separated CSV (or as Parquet)"
                )
    return table


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises several types for corrupt files
        reason = _first_line(error).replace(f" '{path}'", "")
        raise UserError(
            f"{path}: not a readable Parquet file ({reason}); the file is damaged or "
            "incomplete - write it again"
        ) from error
    if any(name is not None for name in table.index.names):
        table = table.reset_index()  # keys saved as the pandas index become columns again
    return table.reset_index(drop=True)


def _normalised_header(name: object) -> str:
    return re.sub(r"\s+", " ", str(name).replace("\ufeff", "")).strip().lower()


def read_raw_table(path: str | Path) -> tuple[pd.DataFrame, int]:
    """Read an employment file as text columns, as the user wrote it.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8, comma-separated) or Parquet file; Parquet is recognised by its magic
        bytes or its extension.

    Returns
    -------
    table : DataFrame
        Every column as text (``str`` dtype; empty cells null; surrounding spaces stripped),
        headers lower-cased; the index is the data row position in the file.
    row_offset : int
        Add it to the index to get the row number the user sees (2 for CSV, 1 for Parquet).

    Raises
    ------
    UserError
        Missing, empty, undecodable or unparsable files, and files with no data row.
    """
    path = Path(path)
    _require_file(path)
    if _is_parquet(path):
        table, row_offset = _read_parquet(path), 1
    else:
        table, row_offset = _read_csv(path), 2
    headers = [_normalised_header(name) for name in table.columns]
    table.columns = headers
    text = pd.DataFrame(
        {position: _as_text(table.iloc[:, position]) for position in range(len(headers))}
    )
    text.columns = headers
    blank = text.isna().all(axis=1)
    if blank.all():
        kind = "a header row" if row_offset == 2 else "columns"
        only = " (only empty lines)" if len(text) else ""
        raise UserError(
            f"{path}: has {kind} but no data rows{only}; export the table with its rows, one "
            "per region x industry x year"
        )
    text = text[~blank]
    return text, row_offset


def _as_text(values: pd.Series) -> pd.Series:
    """Cell values as stripped text; whole floats lose their '.0'; empty cells are null."""
    if pd.api.types.is_bool_dtype(values.dtype):
        text = values.astype("str")
    elif pd.api.types.is_integer_dtype(values.dtype):
        text = values.astype("str")
    elif pd.api.types.is_float_dtype(values.dtype):
        numbers = values.astype("float64")
        whole = np.isfinite(numbers) & (numbers == np.round(numbers)) & (numbers.abs() < 1e15)
        text = numbers.astype("str")
        text[whole] = numbers[whole].astype("int64").astype("str")
    elif isinstance(values.dtype, pd.StringDtype):
        text = values
    else:
        text = values.map(_cell_text, na_action="ignore").astype("str")
    text = text.astype("str").where(values.notna())
    text = text.str.strip()
    return text.where(text != "").astype("str")


def _cell_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, float) and np.isfinite(value) and value == round(value):
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------------------
# Columns


def _column_problems(columns: list[str], path: Path) -> list[str]:
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
        close = difflib.get_close_matches(required, unknown, n=1, cutoff=0.6)
        if close:
            messages.append(
                f"{path}: column '{close[0]}' looks like a misspelling of '{required}'; "
                f"rename the column to {required}"
            )
        else:
            shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
            messages.append(
                f"{path}: missing column '{required}' (the file has: {shown}); add it - "
                f"the required columns are {', '.join(REQUIRED_COLUMNS)}"
            )
    return messages


def _ignored_column_warnings(columns: list[str], path: Path) -> list[Problem]:
    problems = []
    for name in columns:
        if name in SCHEMA_COLUMNS or re.search(r"\.\d+$", name):
            continue
        close = difflib.get_close_matches(name, OPTIONAL_COLUMNS, n=1, cutoff=0.75)
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


def classification_name(name: object) -> str | None:
    """The canonical classification name for ``name`` (case and aliases), or None."""
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return None
    key = re.sub(r"[\s.\-]+", "", str(name).lower()).replace("rev", "r")
    key = CLASSIFICATION_ALIASES.get(key, key)
    for known in CLASSIFICATIONS:
        if key == known.replace("_", "") or key == known:
            return known
    return CLASSIFICATION_ALIASES.get(str(name).strip().lower())


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
    {"region_id": pa.Column(), "industry_code": pa.Column(), "year": pa.Column()},
    unique=["region_id", "industry_code", "year"],
)
"""One row per region x industry x year, checked after codes are normalised."""


def raw_schema(columns: Iterable[str]) -> pa.DataFrameSchema:
    """The pandera schema of the raw text table, for the schema columns present."""
    return pa.DataFrameSchema(
        {name: RAW_COLUMNS[name] for name in columns if name in RAW_COLUMNS}, strict=False
    )


def _rows_phrase(rows: list[int]) -> str:
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


def _schema_problems(
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
                f"{_value_message(column, check, value)}{_rows_phrase(rows)}",
            )
        )
    return problems


# ---------------------------------------------------------------------------------------
# Classifications: known codes, levels, parents


def _nace_sections(directory: Path) -> pd.DataFrame:
    path = directory / "nace_r2_sections.csv"
    try:
        sections = pd.read_csv(path, dtype=str)
    except FileNotFoundError as error:
        raise UserError(f"{path}: not found; restore it from git (data/raw is tracked)") from error
    return sections


def nace_divisions(directory: Path | None = None) -> dict[str, str]:
    """NACE Rev. 2 division (two digits) -> its section letter (88 divisions, 21 sections)."""
    sections = _nace_sections(Path(directory or CLASSIFICATIONS_DIR))
    return {
        f"{division:02d}": section
        for section, first, last in zip(
            sections["section"], sections["division_from"], sections["division_to"], strict=True
        )
        for division in range(int(first), int(last) + 1)
    }


def known_industry_codes(
    classification: str,
    directory: Path | None = None,
    hierarchy: pd.DataFrame | None = None,
) -> frozenset[str]:
    """Industry codes known to a classification (besides the rules in :func:`is_known_code`).

    Parameters
    ----------
    classification : str
        naics2017, naics2012, nace_r2, okved2 or custom.
    directory : Path, optional
        Folder of the classification tables (default ``data/raw/classifications``).
    hierarchy : DataFrame, optional
        The custom hierarchy (industry_code, parent_code, level); required for 'custom'.

    Returns
    -------
    frozenset of str
        NAICS: six-digit 2012 (crosswalk) and changed 2017 codes, their 2-5 digit prefixes,
        the range sectors and '00'. NACE / OKVED: sections, divisions and '00'. Custom: the
        hierarchy's codes and '00'.
    """
    if classification in ("naics2017", "naics2012") or classification in NACE_MAX_DIGITS:
        return _builtin_codes(classification, Path(directory or CLASSIFICATIONS_DIR))
    if classification == "custom":
        if hierarchy is None:
            raise UserError(
                "classification 'custom' needs a hierarchy table (industry_code,parent_code,"
                "level); pass it with --hierarchy"
            )
        return frozenset(set(hierarchy["industry_code"]) | {TOTAL_CODE})
    raise UserError(
        f"unknown classification '{classification}'; use one of {', '.join(CLASSIFICATIONS)}"
    )


@functools.lru_cache(maxsize=8)
def _builtin_codes(classification: str, directory: Path) -> frozenset[str]:
    if classification in NACE_MAX_DIGITS:
        divisions = nace_divisions(directory)
        return frozenset(set(divisions) | set(divisions.values()) | {TOTAL_CODE})
    crosswalk = pd.read_csv(directory / "uscmp_cluster_naics_crosswalk.csv", dtype=str)
    changed = pd.read_csv(directory / "naics_2017_to_2012.csv", dtype=str)
    six_digit = set(crosswalk.loc[crosswalk["naics_vintage"] == "2012", "naics"])
    six_digit |= set(changed["naics2017"])
    codes = {code[:digits] for code in six_digit for digits in range(2, 7)}
    return frozenset(codes | set(NAICS_RANGE_SECTORS) | {TOTAL_CODE})


def is_known_code(codes: pd.Series, classification: str, known: frozenset[str]) -> pd.Series:
    """Boolean Series: is each (normalised) code a code of the classification?"""
    known_mask = codes.isin(list(known))
    if classification in ("naics2017", "naics2012"):
        outside = codes.str.fullmatch(r"\d{2,6}") & codes.str[:2].isin(
            list(NAICS_SECTORS_OUTSIDE_CROSSWALK)
        )
        return known_mask | outside.fillna(False)
    if classification in NACE_MAX_DIGITS:
        longest = NACE_MAX_DIGITS[classification]
        deeper = codes.str.fullmatch(rf"\d{{3,{longest}}}") & codes.str[:2].isin(list(known))
        return known_mask | deeper.fillna(False)
    return known_mask


def normalise_codes(codes: pd.Series, classification: str) -> pd.Series:
    """Industry codes as the classification writes them; total aliases become '00'.

    ``TOTAL`` and ``_T`` (any case) -> ``'00'``. NACE / OKVED: dots and spaces dropped,
    letters upper-cased, a section letter before digits dropped (``C10`` -> ``10``).
    """
    codes = codes.astype("str").str.strip()
    codes = codes.mask(codes.str.upper().isin(list(TOTAL_ALIASES)), TOTAL_CODE)
    if classification in NACE_MAX_DIGITS:
        codes = codes.str.replace(r"[\s.]", "", regex=True).str.upper()
        codes = codes.str.replace(r"^[A-U](\d{2,})$", r"\1", regex=True)
    return codes


def derived_levels(
    codes: pd.Series, classification: str, hierarchy: pd.DataFrame | None = None
) -> pd.Series:
    """industry_level of each code: 0 for '00'; NAICS and NACE digits = level; sections 1.

    Range sectors (``31-33``) are level 2; custom codes take the hierarchy's level.
    Unknown custom codes get level -1 (they are reported as unknown).
    """
    if classification == "custom":
        lookup = (
            hierarchy.set_index("industry_code")["level"]
            if hierarchy is not None
            else pd.Series(dtype="int64")
        )
        levels = codes.map(lookup).fillna(-1).astype("int64")
    else:
        levels = codes.str.len().astype("int64")
        levels = levels.mask(codes.isin(list(NAICS_RANGE_SECTORS)), 2)
        levels = levels.mask(codes.str.fullmatch(r"[A-Z]").fillna(False), 1)
    return levels.mask(codes == TOTAL_CODE, 0).clip(upper=LEVEL_MAX)


def ancestor_chain(
    code: str,
    classification: str,
    divisions: dict[str, str] | None = None,
    parents: dict[str, str] | None = None,
) -> list[str]:
    """The codes above ``code``, nearest first, ending with the total '00'.

    Examples
    --------
    >>> ancestor_chain("3111", "naics2017")
    ['311', '31', '31-33', '00']
    >>> ancestor_chain("1011", "nace_r2", divisions={"10": "C"})
    ['101', '10', 'C', '00']
    """
    if code == TOTAL_CODE:
        return []
    chain: list[str] = []
    if classification == "custom":
        parents = parents or {}
        current = parents.get(code)
        while current and current != TOTAL_CODE and current not in chain and current != code:
            chain.append(current)
            current = parents.get(current)
        return chain + [TOTAL_CODE]
    if code.isdigit():
        chain = [code[:digits] for digits in range(len(code) - 1, 1, -1)]
        sector = code[:2]
        if classification in ("naics2017", "naics2012"):
            chain += [
                range_code
                for range_code, members in NAICS_RANGE_SECTORS.items()
                if sector in members
            ]
        elif divisions and sector in divisions:
            chain.append(divisions[sector])
    return chain + [TOTAL_CODE]


def nearest_present_parent(
    employment: pd.DataFrame,
    classification: str,
    hierarchy: pd.DataFrame | None = None,
    directory: Path | None = None,
) -> pd.Series:
    """For each row, the nearest ancestor code present in the same region and year.

    Parameters
    ----------
    employment : DataFrame
        region_id, industry_code, year (normalised codes).
    classification : str
        The classification of the codes.
    hierarchy : DataFrame, optional
        The custom hierarchy (industry_code, parent_code, level).
    directory : Path, optional
        Folder of the classification tables.

    Returns
    -------
    Series
        Aligned with ``employment``: the parent code, or null for a top-level row (no
        ancestor present other than an absent total) and for the total itself.
        Because a missing intermediate level is skipped, the rows that share a parent are
        disjoint parts of it, so their sum can never exceed it in consistent data.
    """
    divisions = nace_divisions(directory) if classification in NACE_MAX_DIGITS else None
    parents = None
    if classification == "custom" and hierarchy is not None:
        parents = dict(zip(hierarchy["industry_code"], hierarchy["parent_code"], strict=True))
    # Integer codes throughout (no merge on strings): a row's candidate ancestor at depth d
    # is present when the key (region-year, ancestor) is among the rows' own keys.
    industry, codes = pd.factorize(employment["industry_code"].to_numpy(dtype=object))
    region, region_ids = pd.factorize(employment["region_id"].to_numpy(dtype=object))
    year, _ = pd.factorize(employment["year"].to_numpy())
    region_year = year.astype(np.int64) * max(len(region_ids), 1) + region
    chains = [ancestor_chain(code, classification, divisions, parents) for code in codes]
    depth = max((len(chain) for chain in chains), default=0)
    number_of = {code: number for number, code in enumerate(codes)}
    ancestors = np.full((len(codes), max(depth, 1)), -1, dtype=np.int64)
    for number, chain in enumerate(chains):
        ancestors[number, : len(chain)] = [number_of.get(code, -1) for code in chain]
    n_codes = max(len(codes), 1)
    present = np.sort(region_year * n_codes + industry)  # duplicates do not matter
    parent_code = np.full(len(industry), -1, dtype=np.int64)
    for level in range(depth):
        ancestor = ancestors[industry, level]
        open_rows = (parent_code < 0) & (ancestor >= 0)
        keys = region_year * n_codes + ancestor
        position = np.clip(np.searchsorted(present, keys), 0, len(present) - 1)
        found = open_rows & (present[position] == keys)
        parent_code[found] = ancestor[found]
    labels = np.asarray(codes, dtype=object)
    values = np.where(parent_code >= 0, labels[np.maximum(parent_code, 0)], None)
    return pd.Series(values, index=employment.index, dtype="str").where(parent_code >= 0)


def guess_classification(codes: pd.Series, directory: Path | None = None) -> str | None:
    """The built-in classification that knows most of ``codes`` (None if none knows half)."""
    best, best_share = None, 0.5
    unique = pd.Series(codes.dropna().unique(), dtype="str")
    if unique.empty:
        return None
    for name in ("naics2017", "nace_r2"):
        normalised = normalise_codes(unique, name)
        share = float(is_known_code(normalised, name, known_industry_codes(name, directory)).mean())
        if share > best_share:
            best, best_share = name, share
    return best


# ---------------------------------------------------------------------------------------
# Custom hierarchy and technology tables


def read_hierarchy(path: str | Path) -> pd.DataFrame:
    """Read a custom classification's hierarchy table.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet with columns ``industry_code, parent_code, level`` (parent empty or
        '00' at the top; level a whole number 1-6).

    Returns
    -------
    DataFrame
        industry_code (str), parent_code (str, '00' at the top), level (int64).

    Raises
    ------
    UserError
        Missing columns, repeated codes, levels out of range, parents not in the table.
    """
    path = Path(path)
    text, row_offset = read_raw_table(path)
    for column in ("industry_code", "parent_code", "level"):
        if column not in text.columns:
            close = difflib.get_close_matches(column, list(text.columns), n=1, cutoff=0.6)
            hint = f"rename '{close[0]}' to {column}" if close else f"add a {column} column"
            raise UserError(
                f"{path}: missing column '{column}' in the hierarchy table; {hint} "
                "(columns: industry_code, parent_code, level)"
            )
    codes = text["industry_code"]
    if codes.isna().any():
        row = int(codes.index[codes.isna()][0]) + row_offset
        raise UserError(f"{path}: column 'industry_code', row {row}: empty; fill in the code")
    repeated = codes.duplicated(keep="first")
    if repeated.any():
        row = int(codes.index[repeated][0]) + row_offset
        raise UserError(
            f"{path}: column 'industry_code', row {row}: '{codes[repeated].iloc[0]}' is listed "
            "twice; list each code once"
        )
    levels = parse_numbers(text["level"])
    bad_level = ~(levels.between(1, LEVEL_MAX) & (levels == np.floor(levels)))
    if bad_level.any():
        row = int(levels.index[bad_level][0]) + row_offset
        raise UserError(
            f"{path}: column 'level', row {row}: '{text['level'][bad_level].iloc[0]}' is not a "
            f"level; use whole numbers 1-{LEVEL_MAX} (1 = top)"
        )
    parent = text["parent_code"].fillna(TOTAL_CODE)
    orphan = ~parent.isin(list(codes) + [TOTAL_CODE])
    if orphan.any():
        row = int(parent.index[orphan][0]) + row_offset
        raise UserError(
            f"{path}: column 'parent_code', row {row}: '{parent[orphan].iloc[0]}' is not an "
            "industry_code of the table; add it, or leave parent_code empty at the top"
        )
    return pd.DataFrame(
        {
            "industry_code": codes.astype("str").to_numpy(),
            "parent_code": parent.astype("str").to_numpy(),
            "level": levels.astype("int64").to_numpy(),
        }
    )


def read_technology_table(path: str | Path, known: Iterable[str] | None = None) -> list[str]:
    """Technology industries of a custom classification, for the label stage.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet with an ``industry_code`` column (other columns, such as
        ``category`` or ``title``, are kept for the reader and ignored here).
    known : iterable of str, optional
        Codes of the hierarchy; a code outside it is an error.

    Returns
    -------
    list of str
        Sorted codes, usable as prefixes by
        :func:`pipeline.classifications.technology.matches_prefix`.
    """
    path = Path(path)
    text, row_offset = read_raw_table(path)
    if "industry_code" not in text.columns:
        raise UserError(
            f"{path}: missing column 'industry_code' in the technology table; add it (one "
            "technology industry per row)"
        )
    codes = text["industry_code"].dropna()
    if known is not None:
        unknown = ~codes.isin(list(known))
        if unknown.any():
            row = int(codes.index[unknown][0]) + row_offset
            raise UserError(
                f"{path}: column 'industry_code', row {row}: '{codes[unknown].iloc[0]}' is not "
                "in the hierarchy table; fix the code or add it to the hierarchy"
            )
    return sorted(set(codes))


# ---------------------------------------------------------------------------------------
# The employment file


def _resolve_classification(
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


def _unknown_code_problem(
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
        f"{_rows_phrase(rows) if len(distinct) == 1 else ''}; {fix}",
    )


def _duplicate_problem(keys: pd.DataFrame, path: Path, row_offset: int) -> Problem | None:
    try:
        KEY_SCHEMA.validate(keys, lazy=True)
    except pa.errors.SchemaErrors as errors:
        failing = errors.failure_cases["index"].dropna().astype("int64").unique()
    else:
        return None
    duplicated = keys.loc[np.sort(failing)]
    groups = duplicated.groupby(["region_id", "industry_code", "year"], sort=False).groups
    (region, industry, year), first_group = next(iter(groups.items()))
    rows = " and ".join(str(int(index) + row_offset) for index in first_group[:2])
    extra = f" (and {len(groups) - 1} more repeated keys)" if len(groups) > 1 else ""
    return Problem(
        "error",
        f"{path}: rows {rows} repeat region '{region}', industry '{industry}', year {year}"
        f"{extra}; keep one row per region x industry x year (sum or drop the duplicates)",
    )


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
        Folder of the classification tables (default ``data/raw/classifications``).
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
    if path.is_file() and path.stat().st_size and _is_parquet(path):
        typed = _typed_columns(path)
        if typed is not None:
            try:
                return _inspect_typed_parquet(
                    path, typed, classification, hierarchy, classifications_dir, source_rows
                )
            except _Unclean:
                pass  # the text path below finds and words the problem
    text, row_offset = read_raw_table(path)
    columns = list(text.columns)
    column_messages = _column_problems(columns, path)
    if column_messages:
        raise UserError(column_messages[0])
    problems = _ignored_column_warnings(columns, path)
    named = _resolve_classification(text, classification, path, classifications_dir)
    hierarchy_table = None
    if named == "custom":
        if hierarchy is None:
            raise UserError(
                f"{path}: classification 'custom' needs a hierarchy table (industry_code,"
                "parent_code,level); pass it with --hierarchy"
            )
        hierarchy_table = (
            hierarchy if isinstance(hierarchy, pd.DataFrame) else read_hierarchy(hierarchy)
        )
    check = EmploymentCheck(
        None, problems, classification=named, hierarchy=hierarchy_table, rows_read=len(text)
    )
    problems += _schema_problems(text, path, row_offset)
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
    duplicate = _duplicate_problem(keys, path, row_offset)
    if duplicate is not None:
        problems.append(duplicate)
    known = known_industry_codes(named, classifications_dir, hierarchy_table)
    known_mask = is_known_code(codes, named, known)
    if not known_mask.all():
        problems.append(
            _unknown_code_problem(codes, known_mask, named, path, row_offset, classifications_dir)
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
        problems.append(
            Problem(
                "warning",
                f"{path}: column 'employment', row {rows[0]}: the cell is flagged suppressed "
                f"but holds {employment[valued_suppressed].iloc[0]:g}{_rows_phrase(rows)}; the "
                "value is ignored - leave suppressed cells empty, or flag them reported",
            )
        )
        employment = employment.mask(valued_suppressed)
    unflagged_empty = employment.isna() & (flags != "suppressed")
    if unflagged_empty.any():
        rows = (text.index[unflagged_empty] + row_offset).tolist()
        problems.append(
            Problem(
                "warning",
                f"{path}: column 'employment', row {rows[0]}: empty but not flagged suppressed"
                f"{_rows_phrase(rows)}; read as suppressed (unknown, not zero) - write 0 for a "
                "true zero, or set employment_flag to suppressed",
            )
        )
        flags = flags.mask(unflagged_empty, "suppressed")

    levels = derived_levels(codes, named, hierarchy_table)
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
                    f"{_rows_phrase(rows)}; give its level (1-{LEVEL_MAX}) or leave it empty",
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
    table, derived = _with_derived_totals(table, named, hierarchy_table, classifications_dir)
    check.derived_totals = derived
    if derived:
        region_years = table[["region_id", "year"]].drop_duplicates().shape[0]
        check.notes.append(
            f"{path}: {derived} of {region_years} region-years have no total row (industry_code "
            "'00'); their total is the sum over their top-level industries, flagged 'imputed' "
            "(it misses any industry the file leaves out)"
        )
    check.employment = canonical_employment(table)
    return check


def _with_derived_totals(
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


def read_generic(
    path: str | Path,
    classification: str | None = None,
    hierarchy: str | Path | pd.DataFrame | None = None,
    *,
    classifications_dir: Path | None = None,
) -> pd.DataFrame:
    """Read a generic employment file into the canonical employment table.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8, comma) or Parquet in the generic schema (see the module docstring).
    classification : str, optional
        naics2017, naics2012, nace_r2, okved2 or custom, unless the file has a
        ``classification`` column.
    hierarchy : path or DataFrame, optional
        Hierarchy table (industry_code, parent_code, level) of a 'custom' classification.
    classifications_dir : Path, optional
        Folder of the classification tables (default ``data/raw/classifications``).

    Returns
    -------
    DataFrame
        The canonical table (:data:`pipeline.sources.schema.EMPLOYMENT_COLUMNS`), with a
        derived total row for every region-year that had none. Warnings (problems that do
        not stop the pipeline) are issued as :class:`InputWarning`.

    Raises
    ------
    UserError
        On the first error, in one line naming the file, the row or column, and the fix.
    """
    check = inspect_employment(
        path,
        classification,
        hierarchy,
        classifications_dir=classifications_dir,
        source_rows=False,
    )
    raise_first_error(check.problems)
    for problem in check.problems:
        warnings.warn(problem.message, InputWarning, stacklevel=2)
    return check.employment


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


# ---------------------------------------------------------------------------------------
# The employment file at scale: typed Parquet, checked per column and per year on Arrow


_CODE_TYPES = (pyarrow.types.is_string, pyarrow.types.is_large_string)


def _is_text_type(kind: pyarrow.DataType) -> bool:
    if pyarrow.types.is_dictionary(kind):
        kind = kind.value_type
    return any(check(kind) for check in _CODE_TYPES)


def _typed_columns(path: Path) -> dict[str, str] | None:
    """Schema column -> the file's column name, when every schema column is plainly typed.

    Codes, flags and classification as strings, year and industry_level as integers,
    employment and establishments as numbers; None otherwise (or when headers repeat after
    normalising, or the file keeps a pandas index), and the text path reads the file.
    """
    try:
        schema = pq.read_schema(path)
    except Exception:  # damaged: the text path words the error
        return None
    metadata = schema.pandas_metadata or {}
    if any(not isinstance(column, dict) for column in metadata.get("index_columns", [])):
        return None  # keys saved as the pandas index
    columns: dict[str, str] = {}
    for name in schema.names:
        normalised = _normalised_header(name)
        if normalised in columns:
            return None
        columns[normalised] = name
    if any(required not in columns for required in REQUIRED_COLUMNS):
        return None
    for column in SCHEMA_COLUMNS:
        if column not in columns:
            continue
        kind = schema.field(columns[column]).type
        if column in ("region_id", "industry_code", "employment_flag", "classification"):
            typed = _is_text_type(kind)
        elif column in ("year", "industry_level"):
            typed = pyarrow.types.is_integer(kind)
        else:
            typed = pyarrow.types.is_integer(kind) or pyarrow.types.is_floating(kind)
        if not typed:
            return None
    return {column: columns[column] for column in SCHEMA_COLUMNS if column in columns}


@dataclass
class _RowList:
    """The first row numbers (and the value at the first) of a condition, over the file."""

    rows: list[int] = field(default_factory=list)
    count: int = 0
    first_value: float = np.nan

    def add(self, rows: np.ndarray, values: np.ndarray | None = None) -> None:
        if not len(rows):
            return
        if values is not None and (not self.rows or rows[0] < self.rows[0]):
            self.first_value = float(values[0])
        self.rows = sorted([*self.rows, *rows[: ROWS_LISTED + 1].tolist()])[: ROWS_LISTED + 1]
        self.count += len(rows)

    def phrase(self) -> str:
        listed = [*self.rows, *([0] * (self.count - len(self.rows)))]
        return _rows_phrase(listed)


def _year_row_groups(parquet: pq.ParquetFile, year_column: str) -> list[list[int]] | None:
    """Row groups by year when each group holds one year (footer statistics), else None."""
    metadata = parquet.metadata
    index = parquet.schema_arrow.get_field_index(year_column)
    groups: dict[int, list[int]] = {}
    for number in range(metadata.num_row_groups):
        statistics = metadata.row_group(number).column(index).statistics
        if statistics is None or not statistics.has_min_max or statistics.min != statistics.max:
            return None
        groups.setdefault(int(statistics.min), []).append(number)
    return [groups[year] for year in sorted(groups)]


def _dictionary(column: pyarrow.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and the labels (object array) of a text column."""
    if not pyarrow.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    column = column.unify_dictionaries() if isinstance(column, pyarrow.ChunkedArray) else column
    combined = column.combine_chunks() if isinstance(column, pyarrow.ChunkedArray) else column
    codes = combined.indices.to_numpy(zero_copy_only=False)
    labels = combined.dictionary.to_numpy(zero_copy_only=False).astype(object)
    return codes.astype(np.int64), labels


def _clean_labels(labels: np.ndarray) -> bool:
    """No label the text path would change (surrounding spaces) or read as empty."""
    return all(isinstance(label, str) and label and label == label.strip() for label in labels)


def _numbers(column: pyarrow.ChunkedArray) -> np.ndarray:
    return column.cast(pyarrow.float64()).to_numpy().astype(np.float64, copy=True)


class _Unclean(Exception):
    """The fast path found something the text path must word (an error, or odd text)."""


def _inspect_typed_parquet(
    path: Path,
    columns: dict[str, str],
    classification: str | None,
    hierarchy: str | Path | pd.DataFrame | None,
    classifications_dir: Path | None,
    keep_source_rows: bool,
) -> EmploymentCheck:
    """:func:`inspect_employment` of a typed Parquet file, one year at a time on arrays.

    Every check of the text path runs vectorised on the Arrow columns (codes on their
    dictionaries). Raises :class:`_Unclean` at the first sign of an error, so that the text
    path can report it exactly as it always does.
    """
    text_columns = ("region_id", "industry_code", "employment_flag", "classification")
    parquet = pq.ParquetFile(
        path, read_dictionary=[columns[name] for name in text_columns if name in columns]
    )
    rows_read = parquet.metadata.num_rows
    if rows_read == 0:
        raise _Unclean
    named = _typed_classification(parquet, columns, classification)
    hierarchy_table = None
    if named == "custom":
        if hierarchy is None:
            raise _Unclean
        hierarchy_table = (
            hierarchy if isinstance(hierarchy, pd.DataFrame) else read_hierarchy(hierarchy)
        )
    known = known_industry_codes(named, classifications_dir, hierarchy_table)
    check = EmploymentCheck(
        None,
        _ignored_column_warnings(
            [_normalised_header(name) for name in parquet.schema_arrow.names], path
        ),
        classification=named,
        hierarchy=hierarchy_table,
        rows_read=rows_read,
    )
    by_year = _year_row_groups(parquet, columns["year"])
    batches = [list(range(parquet.metadata.num_row_groups))] if by_year is None else by_year
    starts = np.cumsum(
        [0]
        + [parquet.metadata.row_group(n).num_rows for n in range(parquet.metadata.num_row_groups)]
    )
    suppressed_valued, unflagged_empty = _RowList(), _RowList()
    years, derived = [], 0
    for groups in batches:
        table = parquet.read_row_groups(groups, columns=list(columns.values()))
        row_numbers = np.concatenate([np.arange(starts[n], starts[n + 1]) for n in groups]) + 1
        year_values = table.column(columns["year"])
        if year_values.null_count:
            raise _Unclean
        year_array = year_values.to_numpy().astype(np.int64)
        if len(year_array) and (
            year_array.min() < YEAR_DIGITS[0] or year_array.max() > YEAR_DIGITS[1]
        ):
            raise _Unclean
        if by_year is not None:
            pieces = [(int(year_array[0]), table, row_numbers)]
        else:
            pieces = []
            for year in np.unique(year_array):
                rows = np.flatnonzero(year_array == year)
                pieces.append((int(year), table.take(pyarrow.array(rows)), row_numbers[rows]))
        del table
        for year, part, numbers in pieces:
            year_table, year_derived = _typed_year(
                part, columns, year, numbers, named, known, hierarchy_table,
                classifications_dir, suppressed_valued, unflagged_empty,
            )  # fmt: skip
            derived += year_derived
            years.append(year_table)
    if suppressed_valued.count:
        check.problems.append(
            Problem(
                "warning",
                f"{path}: column 'employment', row {suppressed_valued.rows[0]}: the cell is "
                f"flagged suppressed but holds {suppressed_valued.first_value:g}"
                f"{suppressed_valued.phrase()}; the value is ignored - leave suppressed cells "
                "empty, or flag them reported",
            )
        )
    if unflagged_empty.count:
        check.problems.append(
            Problem(
                "warning",
                f"{path}: column 'employment', row {unflagged_empty.rows[0]}: empty but not "
                f"flagged suppressed{unflagged_empty.phrase()}; read as suppressed (unknown, "
                "not zero) - write 0 for a true zero, or set employment_flag to suppressed",
            )
        )
    combined = pyarrow.concat_tables(years)
    del years
    if keep_source_rows:
        rows = combined.select(["region_id", "industry_code", "year", "row"]).to_pandas()
        rows = rows[rows["row"] > 0].astype({"year": "int64"})
        check.source_rows = rows.sort_values("row", ignore_index=True)
    table = combined.drop_columns(["row"]).to_pandas()
    del combined
    check.derived_totals = derived
    if derived:
        region_years = table[["region_id", "year"]].drop_duplicates().shape[0]
        check.notes.append(
            f"{path}: {derived} of {region_years} region-years have no total row (industry_code "
            "'00'); their total is the sum over their top-level industries, flagged 'imputed' "
            "(it misses any industry the file leaves out)"
        )
    check.employment = table[EMPLOYMENT_COLUMNS]
    return check


def _typed_classification(
    parquet: pq.ParquetFile, columns: dict[str, str], argument: str | None
) -> str:
    named = classification_name(argument) if argument is not None else None
    if argument is not None and named is None:
        raise _Unclean
    if "classification" in columns:
        column = parquet.read(columns=[columns["classification"]]).column(0)
        values = pc.unique(
            column.unify_dictionaries().combine_chunks()
            if pyarrow.types.is_dictionary(column.type)
            else column
        )
        values = values.cast(pyarrow.string()).drop_null()
        in_file = {classification_name(value) for value in values.to_pylist()}
        if None in in_file or len(in_file) > 1 or (named and in_file and named not in in_file):
            raise _Unclean
        if in_file:
            named = in_file.pop()
    if named is None:
        raise _Unclean
    return named


def _typed_year(
    table: pyarrow.Table,
    columns: dict[str, str],
    year: int,
    row_numbers: np.ndarray,
    named: str,
    known: frozenset[str],
    hierarchy: pd.DataFrame | None,
    directory: Path | None,
    suppressed_valued: _RowList,
    unflagged_empty: _RowList,
) -> tuple[pyarrow.Table, int]:
    """One year's canonical rows as Arrow, sorted, with file row numbers (0: derived)."""
    region_column = table.column(columns["region_id"])
    industry_column = table.column(columns["industry_code"])
    if region_column.null_count or industry_column.null_count:
        raise _Unclean
    region, region_labels = _dictionary(region_column)
    raw_industry, raw_labels = _dictionary(industry_column)
    if not (_clean_labels(region_labels) and _clean_labels(raw_labels)):
        raise _Unclean
    normalised = normalise_codes(pd.Series(raw_labels, dtype="str"), named)
    if not is_known_code(normalised, named, known).all():
        raise _Unclean
    codes, code_labels = pd.factorize(normalised)
    code_labels = np.asarray(code_labels, dtype=object)
    industry = codes[raw_industry]
    n_cells = len(region_labels) * len(code_labels)
    if (
        len(region)
        and np.bincount(region * len(code_labels) + industry, minlength=n_cells).max() > 1
    ):
        raise _Unclean  # a repeated region x industry
    employment = _numbers(table.column(columns["employment"]))
    if np.isinf(employment).any() or (employment < 0).any():
        raise _Unclean
    if "establishments" in columns:
        establishments = _numbers(table.column(columns["establishments"]))
        if np.isinf(establishments).any() or (establishments < 0).any():
            raise _Unclean
    else:
        establishments = np.full(len(employment), np.nan)
    flag_index = {flag: number for number, flag in enumerate(EMPLOYMENT_FLAGS)}
    if "employment_flag" in columns:
        flag_codes, flag_labels = _dictionary(
            pc.fill_null(
                table.column(columns["employment_flag"]).cast(pyarrow.string()), "reported"
            )
        )
        if not _clean_labels(flag_labels):
            raise _Unclean
        lowered = [label.lower() for label in flag_labels]
        if any(label not in flag_index for label in lowered):
            raise _Unclean
        flags = np.array([flag_index[label] for label in lowered], dtype=np.int32)[flag_codes]
    else:
        flags = np.full(len(employment), flag_index["reported"], dtype=np.int32)
    suppressed = flags == flag_index["suppressed"]
    valued = suppressed & ~np.isnan(employment)
    suppressed_valued.add(row_numbers[valued], employment[valued])
    employment[valued] = np.nan
    empty = np.isnan(employment) & ~suppressed
    unflagged_empty.add(row_numbers[empty])
    flags[empty] = flag_index["suppressed"]

    levels = derived_levels(pd.Series(code_labels, dtype="str"), named, hierarchy).to_numpy()
    is_total = (code_labels == TOTAL_CODE)[industry]
    row_level = levels[industry]
    if "industry_level" in columns:
        given = _numbers(table.column(columns["industry_level"]))
        if ((given == 0) & ~is_total).any() or (given < 0).any() or (given > LEVEL_MAX).any():
            raise _Unclean
        row_level = np.where(~np.isnan(given) & ~is_total, given, row_level)
    has_total = np.zeros(len(region_labels), dtype=bool)
    has_total[region[is_total]] = True
    present = np.zeros(len(region_labels), dtype=bool)
    present[region] = True
    order = np.lexsort((_label_rank(code_labels)[industry], _label_rank(region_labels)[region]))
    arrays = {
        "region_id": _labels_taken(region_labels, region[order]),
        "industry_code": _labels_taken(code_labels, industry[order]),
        "industry_level": pyarrow.array(row_level[order].astype(np.int8)),
        "year": pyarrow.array(np.full(len(order), year, dtype=np.int16)),
        "employment": pyarrow.array(employment[order], from_pandas=True),
        "establishments": pyarrow.array(establishments[order], from_pandas=True),
        "classification": _labels_taken(
            np.array([named], dtype=object), np.zeros(len(order), np.int64)
        ),
        "employment_flag": _labels_taken(np.array(EMPLOYMENT_FLAGS, dtype=object), flags[order]),
        "row": pyarrow.array(row_numbers[order].astype(np.int64)),
    }
    year_table = pyarrow.table(arrays)
    if has_total[present].all():
        return year_table, 0
    # Some region-years lack a total row: derive it (pandas, this year only).
    frame = year_table.drop_columns(["row"]).to_pandas()
    with_totals, derived = _with_derived_totals(frame, named, hierarchy, directory)
    with_totals = with_totals.assign(
        row=np.concatenate([row_numbers[order], np.zeros(derived, dtype=np.int64)])
    )
    with_totals = with_totals.astype(
        {"industry_level": "int8", "year": "int16", "employment": "float64",
         "establishments": "float64"}
    ).sort_values(["region_id", "industry_code"], ignore_index=True)  # fmt: skip
    return pyarrow.Table.from_pandas(
        with_totals, schema=year_table.schema, preserve_index=False
    ), derived


def _labels_taken(labels: np.ndarray, codes: np.ndarray) -> pyarrow.Array:
    """``labels[codes]`` as an Arrow string array (one C gather, no Python strings)."""
    return pyarrow.array(labels, pyarrow.large_string()).take(pyarrow.array(codes))


def _label_rank(labels: np.ndarray) -> np.ndarray:
    """Rank of each label in code-point order (the order of ``sort_values``)."""
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(labels, kind="stable")] = np.arange(len(labels))
    return rank


# ---------------------------------------------------------------------------------------
# Boundaries


def _read_vector(path: Path) -> gpd.GeoDataFrame:
    try:
        if path.is_file() and _is_parquet(path):
            return gpd.read_parquet(path)
        archive = {".gz": "/vsigzip/", ".zip": "/vsizip/"}.get(path.suffix.lower(), "")
        return gpd.read_file(f"{archive}{path}")
    except Exception as error:  # pyogrio / pyarrow raise many types
        raise UserError(
            f"{path}: not a readable boundary file ({_first_line(error)}); use GeoJSON, "
            "GeoPackage, Shapefile or GeoParquet"
        ) from error


def _plainly_lon_lat(regions: gpd.GeoDataFrame) -> bool:
    present = regions.geometry[regions.geometry.notna() & ~regions.geometry.is_empty]
    if present.empty:
        return True
    west, south, east, north = present.total_bounds
    return -180 <= west <= east <= 180 and -90 <= south <= north <= 90


def inspect_boundaries(
    path: str | Path, id_field: str = "region_id", name_field: str = "name"
) -> BoundaryCheck:
    """Read region boundaries, repair what can be repaired, and list the problems.

    Parameters
    ----------
    path : str or Path
        Any vector format geopandas reads (GeoJSON, GeoPackage, Shapefile) or GeoParquet;
        ``.gz`` and ``.zip`` archives are read through GDAL's /vsigzip/ and /vsizip/.
    id_field : str
        Field holding the region id (matched case-insensitively).
    name_field : str
        Field holding the region name (optional; the id is used when absent).

    Returns
    -------
    BoundaryCheck
        regions: GeoDataFrame region_id (str), name (str), geometry (EPSG:4326, valid,
        polygonal; null when a region has none), one row per region id, sorted.

    Raises
    ------
    UserError
        Unreadable file, no id field, empty ids, non-polygon geometries, or no CRS with
        coordinates that are not longitude/latitude.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: not found; check the path of the boundary file")
    if path.is_file() and path.stat().st_size == 0:
        raise UserError(f"{path}: the boundary file is empty (0 bytes); export it again")
    regions = _read_vector(path)
    if len(regions) == 0:
        raise UserError(f"{path}: holds no features; export the boundaries with their polygons")
    problems: list[Problem] = []
    notes: list[str] = []
    fields = [str(name) for name in regions.columns if name != regions.geometry.name]
    by_lower = {name.lower(): name for name in fields}
    if id_field not in fields and id_field.lower() not in by_lower:
        close = difflib.get_close_matches(id_field, fields, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UserError(
            f"{path}: no field '{id_field}' (fields: {', '.join(fields) or 'none'}); {hint}"
            f"name the region id field with --region-id-field, or rename it to {id_field}"
        )
    id_column = id_field if id_field in fields else by_lower[id_field.lower()]
    ids = _as_text(regions[id_column].reset_index(drop=True))
    if ids.isna().any():
        feature = int(ids.index[ids.isna()][0]) + 1
        raise UserError(
            f"{path}: field '{id_column}', feature {feature}: the region id is empty; give "
            "every feature its region id"
        )
    name_column = by_lower.get(name_field.lower())
    names = (
        _as_text(regions[name_column].reset_index(drop=True)).fillna(ids) if name_column else ids
    )
    shapes = gpd.GeoDataFrame(
        {"region_id": ids, "name": names},
        geometry=regions.geometry.reset_index(drop=True),
        crs=regions.crs,
    )
    present = shapes.geometry.notna() & ~shapes.geometry.is_empty
    kinds = shapes.geometry[present].geom_type
    not_polygon = ~kinds.isin(["Polygon", "MultiPolygon"])
    if not_polygon.any():
        feature = int(kinds.index[not_polygon][0]) + 1
        raise UserError(
            f"{path}: feature {feature} (region '{ids[feature - 1]}') is a "
            f"{kinds[not_polygon].iloc[0]}; boundaries must be polygons - export the region "
            "polygons, not points or lines"
        )

    if shapes.crs is None:
        if _plainly_lon_lat(shapes):
            problems.append(
                Problem(
                    "warning",
                    f"{path}: no coordinate reference system; the coordinates look like "
                    "longitude/latitude, so EPSG:4326 is assumed - save the file with its CRS "
                    "to be sure",
                )
            )
            shapes = shapes.set_crs(WGS84)
        else:
            west, south, east, north = shapes.geometry[present].total_bounds
            raise UserError(
                f"{path}: no coordinate reference system, and the coordinates "
                f"(x {west:.0f} to {east:.0f}, y {south:.0f} to {north:.0f}) are not "
                "longitude/latitude; save the file with its CRS (a .prj file beside a "
                "Shapefile, or a GeoPackage / GeoParquet with its CRS)"
            )
    crs_name = shapes.crs.to_string()
    if not shapes.crs.equals(WGS84, ignore_axis_order=True):
        notes.append(f"{path}: boundaries reprojected from {crs_name} to EPSG:4326")
        shapes = shapes.to_crs(WGS84)

    invalid = present & ~shapes.geometry.is_valid
    if invalid.any():
        reasons = shapes.geometry[invalid].is_valid_reason().str.replace(r"\[.*", "", regex=True)
        listed = ", ".join(
            f"'{region}' ({reason})"
            for region, reason in zip(
                shapes.loc[invalid, "region_id"][:CODES_LISTED], reasons[:CODES_LISTED], strict=True
            )
        )
        more = (
            f" and {int(invalid.sum()) - CODES_LISTED} more" if invalid.sum() > CODES_LISTED else ""
        )
        problems.append(
            Problem(
                "warning",
                f"{path}: invalid geometry for region(s) {listed}{more}; repaired with "
                "make_valid - check those boundaries if their areas or neighbours look wrong",
            )
        )
        shapes.loc[invalid, "geometry"] = shapely.make_valid(
            shapes.geometry[invalid].to_numpy(), method="structure", keep_collapsed=False
        )

    missing = ~present
    if missing.any():
        listed = ", ".join(
            f"'{region}'" for region in shapes.loc[missing, "region_id"][:CODES_LISTED]
        )
        problems.append(
            Problem(
                "warning",
                f"{path}: region(s) {listed} have no geometry; they are measured but left out of "
                "maps and spatial statistics - add their polygons",
            )
        )

    repeated = shapes["region_id"].duplicated(keep=False)
    if repeated.any():
        first = shapes.loc[repeated, "region_id"].iloc[0]
        features = (shapes.index[shapes["region_id"] == first] + 1).tolist()
        others = shapes.loc[repeated, "region_id"].nunique() - 1
        also = f" ({others} more ids repeat)" if others else ""
        problems.append(
            Problem(
                "warning",
                f"{path}: field '{id_column}': region '{first}' has {len(features)} features "
                f"({', '.join(map(str, features))}){also}; their parts are merged into one "
                "(multi)polygon - give each region a unique id if they are different regions",
            )
        )
        shapes = shapes.dissolve(by="region_id", aggfunc={"name": "first"}, as_index=False)
        shapes = shapes[["region_id", "name", "geometry"]]
    shapes = shapes.sort_values("region_id", ignore_index=True)
    shapes["region_id"] = shapes["region_id"].astype("str")
    shapes["name"] = shapes["name"].astype("str")
    return BoundaryCheck(shapes, problems, notes, crs=crs_name)


def read_boundaries(
    path: str | Path, id_field: str = "region_id", name_field: str = "name"
) -> gpd.GeoDataFrame:
    """Region boundaries from any vector format geopandas reads, in EPSG:4326.

    Parameters
    ----------
    path : str or Path
        GeoJSON, GeoPackage, Shapefile or GeoParquet.
    id_field : str
        Field holding the region id, matching ``region_id`` of the employment table.
    name_field : str
        Field holding the region name (optional).

    Returns
    -------
    GeoDataFrame
        region_id (str), name (str), geometry (valid (multi)polygons, EPSG:4326), one row
        per region. Repairs (make_valid, assumed or converted CRS, merged parts) are
        reported as :class:`InputWarning`.
    """
    check = inspect_boundaries(path, id_field, name_field)
    for problem in check.problems:
        warnings.warn(problem.message, InputWarning, stacklevel=2)
    return check.regions


# ---------------------------------------------------------------------------------------
# Ingest products


def zero_total_region_years(employment: pd.DataFrame) -> pd.DataFrame:
    """Region-years whose all-industry total is zero or unknown (LQs undefined there).

    Returns
    -------
    DataFrame
        region_id, year, employment (0.0 or null), sorted.
    """
    totals = employment.loc[employment["industry_level"] == 0, ["region_id", "year", "employment"]]
    undefined = totals["employment"].isna() | (totals["employment"] == 0)
    return totals[undefined].sort_values(["region_id", "year"], ignore_index=True)


def drop_zero_total_regions(employment: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the region-years whose total employment is zero or unknown.

    The location quotient (e_ri / e_r) / (e_i / E) is undefined when e_r = 0, so such
    region-years are left out of LQs; dropping them changes no other region's LQ because
    their industries hold no employment either (e_ri <= e_r).

    Returns
    -------
    kept : DataFrame
        ``employment`` without those region-years.
    dropped : DataFrame
        region_id, year, employment of the dropped totals.
    """
    dropped = zero_total_region_years(employment)
    if dropped.empty:
        return employment.reset_index(drop=True), dropped
    marker = dropped[["region_id", "year"]].assign(_dropped=True)
    flagged = employment.merge(marker, on=["region_id", "year"], how="left")
    kept = employment[flagged["_dropped"].isna().to_numpy()].reset_index(drop=True)
    return kept, dropped


def ingest_generic(
    employment: pd.DataFrame, boundaries: gpd.GeoDataFrame | None = None
) -> IngestResult:
    """The three ingest products from a generic employment table and optional boundaries.

    Parameters
    ----------
    employment : DataFrame
        The canonical table (:func:`read_generic`).
    boundaries : GeoDataFrame, optional
        :func:`read_boundaries` output (region_id, name, geometry in EPSG:4326).

    Returns
    -------
    IngestResult
        employment without the region-years whose total is zero or unknown; regions with one
        row per region of the table (name '<id> (boundary unknown)' and a null geometry when
        the boundaries lack it); queen contiguity weights between the regions that have a
        geometry (:func:`pipeline.sources.polygon_contiguity.polygon_contiguity`).
    """
    kept, _dropped = drop_zero_total_regions(employment)
    region_ids = pd.DataFrame({"region_id": sorted(employment["region_id"].unique())}, dtype="str")
    if boundaries is None:
        boundaries = gpd.GeoDataFrame(
            {"region_id": pd.Series([], dtype="str"), "name": pd.Series([], dtype="str")},
            geometry=gpd.GeoSeries([], crs=WGS84),
        )
    regions = region_ids.merge(
        pd.DataFrame(boundaries[["region_id", "name", "geometry"]]), on="region_id", how="left"
    )
    unknown = regions["name"].isna()
    regions.loc[unknown, "name"] = regions.loc[unknown, "region_id"] + " (boundary unknown)"
    regions = gpd.GeoDataFrame(regions, geometry="geometry", crs=WGS84)
    placed = regions[regions.geometry.notna() & ~regions.geometry.is_empty]
    if placed.empty:
        weights = pd.DataFrame(
            {
                "focal": pd.Series([], dtype="str"),
                "neighbor": pd.Series([], dtype="str"),
                "weight": pd.Series([], dtype="float64"),
            }
        )
    else:
        weights = polygon_contiguity(placed)
    return IngestResult(kept, regions[["region_id", "name", "geometry"]], weights)


EMPLOYMENT_FILES = ("employment.parquet", "employment.csv")
BOUNDARY_FILES = (
    "regions.geoparquet",
    "regions.parquet",
    "regions.gpkg",
    "regions.geojson",
    "regions.geojson.gz",
    "regions.shp",
)
HIERARCHY_FILE = "hierarchy.csv"


def ingest_generic_folder(
    raw: str | Path,
    classification: str | None = None,
    *,
    id_field: str = "region_id",
    classifications_dir: Path | None = None,
) -> IngestResult:
    """Ingest a dataset folder laid out for the generic reader (a registry source).

    Parameters
    ----------
    raw : str or Path
        Folder holding ``employment.parquet`` or ``employment.csv``, optionally one of
        ``regions.{geoparquet,parquet,gpkg,geojson,geojson.gz,shp}`` and, for a custom
        classification, ``hierarchy.csv``.
    classification : str, optional
        The dataset's classification (params ``datasets.<name>.classification``), unless
        the employment file has a ``classification`` column.
    id_field : str
        Boundary field holding the region id.
    classifications_dir : Path, optional
        Folder of the classification tables.

    Returns
    -------
    IngestResult
        :func:`ingest_generic` of the folder's files; warnings are issued as
        :class:`InputWarning`.
    """
    raw = Path(raw)
    found = [raw / name for name in EMPLOYMENT_FILES if (raw / name).exists()]
    if not found:
        raise UserError(
            f"{raw}: holds no {' or '.join(EMPLOYMENT_FILES)}; add the employment table"
        )
    hierarchy = raw / HIERARCHY_FILE if (raw / HIERARCHY_FILE).exists() else None
    employment = read_generic(
        found[0], classification, hierarchy, classifications_dir=classifications_dir
    )
    boundary_paths = [raw / name for name in BOUNDARY_FILES if (raw / name).exists()]
    boundaries = read_boundaries(boundary_paths[0], id_field) if boundary_paths else None
    return ingest_generic(employment, boundaries)
