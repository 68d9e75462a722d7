"""Read a user's table file as text, as the user wrote it: CSV or Parquet.

Why a module of its own: every table a user brings (the employment file, a custom hierarchy,
a technology list) and ``regclust validate`` read their file through :func:`read_raw_table`,
which knows files (existence, encoding, separators, damaged Parquet) and nothing of the
schema. A file that cannot be read at all raises :class:`~pipeline.errors.UserError` in one
line naming the file, the row and the fix; the schema checks
(:mod:`pipeline.sources.raw_schema`) then run on the text it returns.

Row numbers in messages are those a user sees: in a CSV the header is row 1 and the first
data row is row 2; in a Parquet file the first record is row 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import UserError
from pipeline.sources.raw_schema import REQUIRED_COLUMNS

PARQUET_MAGIC = b"PAR1"
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
CSV_FIRST_ROW = 2  # the header is row 1
PARQUET_FIRST_ROW = 1
LONGEST_WHOLE = 1e15  # floats below it that are whole are written without '.0'


def first_message_line(error: BaseException) -> str:
    """The first line of an exception's message (its type name when it has none)."""
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


def is_parquet(path: Path) -> bool:
    """Whether ``path`` is a Parquet file: its magic bytes or its extension."""
    with open(path, "rb") as handle:
        magic = handle.read(len(PARQUET_MAGIC)) == PARQUET_MAGIC
    return magic or path.suffix.lower() in PARQUET_SUFFIXES


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
    text = first_message_line(error)
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
            f"{path}: not a readable CSV file ({first_message_line(error)}); save it as "
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
        reason = first_message_line(error).replace(f" '{path}'", "")
        raise UserError(
            f"{path}: not a readable Parquet file ({reason}); the file is damaged or "
            "incomplete - write it again"
        ) from error
    if any(name is not None for name in table.index.names):
        table = table.reset_index()  # keys saved as the pandas index become columns again
    return table.reset_index(drop=True)


def normalised_header(name: object) -> str:
    """A header as the schema matches it: no BOM, spaces collapsed and stripped, lower case."""
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
    if is_parquet(path):
        table, row_offset = _read_parquet(path), PARQUET_FIRST_ROW
    else:
        table, row_offset = _read_csv(path), CSV_FIRST_ROW
    headers = [normalised_header(name) for name in table.columns]
    table.columns = headers
    text = pd.DataFrame(
        {position: as_text(table.iloc[:, position]) for position in range(len(headers))}
    )
    text.columns = headers
    blank = text.isna().all(axis=1)
    if blank.all():
        kind = "a header row" if row_offset == CSV_FIRST_ROW else "columns"
        only = " (only empty lines)" if len(text) else ""
        raise UserError(
            f"{path}: has {kind} but no data rows{only}; export the table with its rows, one "
            "per region x industry x year"
        )
    text = text[~blank]
    return text, row_offset


def as_text(values: pd.Series) -> pd.Series:
    """Cell values as stripped text; whole floats lose their '.0'; empty cells are null."""
    if pd.api.types.is_bool_dtype(values.dtype):
        text = values.astype("str")
    elif pd.api.types.is_integer_dtype(values.dtype):
        text = values.astype("str")
    elif pd.api.types.is_float_dtype(values.dtype):
        numbers = values.astype("float64")
        whole = (
            np.isfinite(numbers) & (numbers == np.round(numbers)) & (numbers.abs() < LONGEST_WHOLE)
        )
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
