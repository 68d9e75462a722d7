"""Readers for the Census County Business Patterns (CBP) official files.

Two layouts are read:

* the **complete county file** ``cbpYYco.txt`` (inside ``cbpYYco.zip``), comma-separated, one
  row per county x NAICS code, NAICS written with filler characters (``------`` all sectors,
  ``31----`` a sector, ``336///`` three digits, ``3361//`` four, ``33611/`` five, ``336111``
  six). Up to 2017 a row whose employment is withheld carries an ``empflag`` letter giving
  the employment range (A 0-19 ... M 100,000 or more) and ``emp = 0``, with the noise flag
  ``emp_nf`` D (withheld) or S (below publication standards) instead of G/H (low/medium
  noise; J, high noise, in recent files). Recent files (the 2018 record layout) have no
  ``empflag``: a withheld value reads ``emp_nf`` S (or D) and ``emp = 0``, and a size-class
  count that is not published reads ``N``. The size class ``n1_4`` of the older layouts is
  ``n<5`` in recent ones (the class always included establishments with no March
  employees).
* the **CBP API** JSON (``api.census.gov/data/YYYY/cbp``): a list of lists whose first row is
  the header, e.g. ``["NAICS2017", "EMP", "ESTAB", "EMP_F", "state", "county"]``; every value
  is a string. Up to 2017 ``EMP_F`` holds the same range letters (lower case) with
  ``EMP = "0"``.

A withheld employment value becomes a null with ``employment_flag = 'suppressed'``, never a
zero. Record layouts: Census, "CBP[YR]CO.TXT County Data Dictionary" (2018) and the
1998-2016 county layouts (census.gov/programs-surveys/cbp/technical-documentation).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from pipeline.classifications.codes import TOTAL_CODE
from pipeline.classifications.naics import RANGE_OF_SECTOR, naics_level
from pipeline.classifications.size_classes import CBP_SIZE_CLASSES
from pipeline.errors import UserError
from pipeline.sources.schema import canonical_employment

# Employment-size ranges of the data suppression flag (EMPFLAG / EMP_F), Census record layout.
EMPLOYMENT_FLAG_RANGES: dict[str, tuple[float, float]] = {
    "A": (0.0, 19.0),
    "B": (20.0, 99.0),
    "C": (100.0, 249.0),
    "E": (250.0, 499.0),
    "F": (500.0, 999.0),
    "G": (1000.0, 2499.0),
    "H": (2500.0, 4999.0),
    "I": (5000.0, 9999.0),
    "J": (10000.0, 24999.0),
    "K": (25000.0, 49999.0),
    "L": (50000.0, 99999.0),
    "M": (100000.0, np.inf),
}
# 'R' (revised data) shares the API's EMP_F field but is not a withholding.
NOT_WITHHELD_FLAGS = {"", "R"}
# Noise flags: G low (< 2 %), H medium (2-5 %), J high (>= 5 %); D and S withheld.
NOISE_FLAGS_PUBLISHED = {"", "G", "H", "J"}
NOISE_FLAGS_WITHHELD = {"D", "S"}

SIZE_CLASS_COLUMNS = list(CBP_SIZE_CLASSES)  # n1_4, n<5, n5_9 ... n1000, n1000_1 ... n1000_4
COUNT_COLUMNS = {"emp", "est", *SIZE_CLASS_COLUMNS}
USED_COLUMNS = {"fipstate", "fipscty", "naics", "empflag", "emp_nf", *COUNT_COLUMNS}
SIZE_CLASS_COLUMNS_TABLE = ["region_id", "industry_code", "year", "size_class", "establishments"]
RANGE_COLUMNS = ["region_id", "industry_code", "year", "employment_lower", "employment_upper"]

_COUNTY_NAICS = re.compile(r"^(------|\d{2}----|\d{3}///|\d{4}//|\d{5}/|\d{6})$")
_FILE_YEAR = re.compile(r"cbp(\d{2})co", re.IGNORECASE)
# Two-digit years from 86 on are 1986-1999 (the first CBP county file on census.gov is 1986).
_FIRST_CENTURY_YEAR = 86


class CbpCountyFile(NamedTuple):
    """What :func:`read_cbp_county_file` returns.

    employment : canonical employment table (``pipeline.sources.schema``).
    size_classes : long table region_id, industry_code, year, size_class, establishments;
        ``size_class`` is the file's column name (``n1_4`` or ``n<5``, ``n5_9`` ...
        ``n1000``, ``n1000_1`` ... ``n1000_4``); zero counts are left out and a count the
        file does not publish (``N``) is a null.
    employment_ranges : the employment range of each withheld cell that has a range letter
        (region_id, industry_code, year, employment_lower, employment_upper).
    """

    employment: pd.DataFrame
    size_classes: pd.DataFrame
    employment_ranges: pd.DataFrame


def cbp_naics_vintage(year: int) -> str:
    """The NAICS vintage CBP publishes for ``year`` ('naics2017', 'naics2012', ...).

    CBP uses NAICS 2017 from 2017 (the API still serves ``NAICS2017`` for 2022-2023), NAICS
    2012 for 2012-2016, 2007 for 2008-2011, 2002 for 2003-2007 and 1997 for 1998-2002; earlier
    years are SIC-based.
    """
    year = int(year)
    for first_year, vintage in [
        (2017, "naics2017"),
        (2012, "naics2012"),
        (2008, "naics2007"),
        (2003, "naics2002"),
        (1998, "naics1997"),
    ]:
        if year >= first_year:
            return vintage
    raise UserError(f"CBP {year}: SIC-based (before 1998); only NAICS years 1998+ are read")


def county_file_naics(codes: pd.Series) -> pd.Series:
    """Canonical NAICS codes from the county file's filler notation.

    '------' -> '00'; '31----' -> '31-33' (also 44-45, 48-49); '42----' -> '42';
    '336///' -> '336'; '3361//' -> '3361'; '33611/' -> '33611'; '336111' unchanged.

    Examples
    --------
    >>> county_file_naics(pd.Series(["------", "31----", "3361//", "336111"])).tolist()
    ['00', '31-33', '3361', '336111']
    """
    stripped = codes.str.rstrip("-/")
    sector = stripped.map(RANGE_OF_SECTOR).where(stripped.str.len() == 2)
    canonical = sector.fillna(stripped)
    return canonical.where(stripped != "", TOTAL_CODE).astype(str)


def _file_year(path: Path, year: int | None) -> int:
    if year is not None:
        return int(year)
    match = _FILE_YEAR.search(path.name)
    if match is None:
        raise UserError(
            f"{path}: cannot tell the year from the file name (expected cbpYYco.txt); pass year=..."
        )
    two_digits = int(match.group(1))
    return (1900 if two_digits >= _FIRST_CENTURY_YEAR else 2000) + two_digits


def first_line(mask: pd.Series) -> tuple[int, int]:
    """Position and file line of the first True in ``mask`` (index = 0-based data row)."""
    position = int(np.flatnonzero(mask.to_numpy())[0])
    return position, int(mask.index[position]) + 2


def _counts(values: pd.Series, path: Path, column: str, unit: str = "line") -> pd.Series:
    """Parse a count column: '' and 'N' (not published) -> null; anything else must be a number."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    cleaned = values.astype(str).str.strip().replace({"N": "", "n": "", "nan": ""})
    numbers = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce")
    bad = numbers.isna() & (cleaned != "")
    if bad.any():
        row, line = first_line(bad)
        raise UserError(
            f"{path}: {unit} {line}, column {column}: '{values.iloc[row]}' is not a count; "
            "the file is damaged or not a CBP file"
        )
    return numbers.astype("float64")


def _read_county_csv(path: Path) -> pd.DataFrame:
    """Read the columns the reader uses: codes and flags as text, counts as numbers."""
    try:
        header = [str(name) for name in pd.read_csv(path, nrows=0).columns]
        numeric = [name for name in header if name.strip().lower() in COUNT_COLUMNS]
        used = [name for name in header if name.strip().lower() in USED_COLUMNS]
        raw = pd.read_csv(
            path,
            usecols=used,
            dtype={name: str for name in used if name not in numeric},
            keep_default_na=False,
            na_values={name: ["N", ""] for name in numeric},
        )
    except FileNotFoundError as error:
        raise UserError(f"{path}: not found") from error
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: not a readable CBP county file ({error})") from error
    except (OSError, ValueError) as error:  # e.g. a zip holding several files
        raise UserError(f"{path}: not a readable CBP county file ({error})") from error
    raw.columns = [column.strip().lower() for column in raw.columns]
    return raw


def _check_flags(flags: pd.Series, allowed: set[str], path: Path, column: str) -> None:
    unknown = ~flags.isin(allowed)
    if unknown.any():
        row, line = first_line(unknown)
        raise UserError(
            f"{path}: line {line}, column {column}: unknown flag '{flags.iloc[row]}' "
            f"(known: {', '.join(sorted(value for value in allowed if value)) or 'none'}); "
            "check the file's record layout"
        )


def withheld_employment(
    index: pd.Index,
    employment_flag: pd.Series | None,
    noise_flag: pd.Series | None,
    path: Path,
) -> tuple[pd.Series, pd.Series]:
    """Which rows have withheld employment, and their range letter ('' when none).

    Parameters
    ----------
    index : Index
        The rows.
    employment_flag : Series of str or None
        EMPFLAG / EMP_F (range letters A-M; '' or R when the value is published).
    noise_flag : Series of str or None
        EMP_NF / EMP_N_F (G, H, J published; D, S withheld).
    path : Path
        Named in error messages.
    """
    letters = pd.Series("", index=index, dtype=str)
    withheld = pd.Series(False, index=index)
    if employment_flag is not None:
        flags = employment_flag.fillna("").str.strip().str.upper()
        _check_flags(flags, set(EMPLOYMENT_FLAG_RANGES) | NOT_WITHHELD_FLAGS, path, "empflag")
        withheld |= flags.isin(EMPLOYMENT_FLAG_RANGES)
        letters = flags.where(withheld, "")
    if noise_flag is not None:
        noise = noise_flag.fillna("").str.strip().str.upper()
        _check_flags(noise, NOISE_FLAGS_PUBLISHED | NOISE_FLAGS_WITHHELD, path, "emp_nf")
        withheld |= noise.isin(NOISE_FLAGS_WITHHELD)
    return withheld, letters


def _ranges(keys: pd.DataFrame, letters: pd.Series) -> pd.DataFrame:
    has_range = letters != ""
    bounds = letters[has_range].map(EMPLOYMENT_FLAG_RANGES)
    ranges = keys.loc[has_range, ["region_id", "industry_code", "year"]].copy()
    ranges["employment_lower"] = [bound[0] for bound in bounds]
    ranges["employment_upper"] = [bound[1] for bound in bounds]
    ranges["year"] = ranges["year"].astype("int16")
    return ranges.reset_index(drop=True)[RANGE_COLUMNS]


def read_cbp_county_file(
    path: Path, year: int | None = None, keep_statewide: bool = False
) -> CbpCountyFile:
    """Read a Census CBP complete county file (``cbpYYco.txt`` or its ``.zip``).

    Parameters
    ----------
    path : Path
        The comma-separated county file (any year 1998+; either layout described in the
        module docstring), or the zip that holds it.
    year : int, optional
        Data year; by default taken from the file name (``cbp12co.txt`` -> 2012).
    keep_statewide : bool
        Keep the "statewide" pseudo-county 999 (establishments with no fixed county); it has
        no boundary, so it is dropped by default.

    Returns
    -------
    CbpCountyFile
        ``(employment, size_classes, employment_ranges)``: the canonical table (region_id =
        fipstate + fipscty, NAICS as in :func:`county_file_naics`, classification from
        :func:`cbp_naics_vintage`), the long size-class table and the ranges of the withheld
        cells.
    """
    path = Path(path)
    raw = _read_county_csv(path)
    missing = [c for c in ["fipstate", "fipscty", "naics", "emp", "est"] if c not in raw.columns]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)}; not a CBP county file "
            "(expected fipstate, fipscty, naics, emp_nf, emp, ..., est, n<5 ...)"
        )
    if not keep_statewide:
        raw = raw[raw["fipscty"].str.strip() != "999"]
    naics = raw["naics"].str.strip()
    bad = ~naics.str.match(_COUNTY_NAICS)
    if bad.any():
        row, line = first_line(bad)
        raise UserError(
            f"{path}: line {line}, column naics: '{naics.iloc[row]}' is not a NAICS code "
            "in the county-file notation (e.g. '------', '31----', '336///', '336111')"
        )
    data_year = _file_year(path, year)
    keys = pd.DataFrame(
        {
            "region_id": raw["fipstate"].str.strip().str.zfill(2)
            + raw["fipscty"].str.strip().str.zfill(3),
            "industry_code": county_file_naics(naics),
            "year": data_year,
        }
    )
    withheld, letters = withheld_employment(
        raw.index,
        raw["empflag"] if "empflag" in raw.columns else None,
        raw["emp_nf"] if "emp_nf" in raw.columns else None,
        path,
    )
    reported = _counts(raw["emp"], path, "emp")
    withheld |= reported.isna()  # a blank count is not a reported value either
    employment = canonical_employment(
        keys.assign(
            industry_level=naics_level(keys["industry_code"]),
            employment=reported.where(~withheld),
            establishments=_counts(raw["est"], path, "est"),
            classification=cbp_naics_vintage(data_year),
            employment_flag=np.where(withheld, "suppressed", "reported"),
        )
    )
    size_columns = [column for column in SIZE_CLASS_COLUMNS if column in raw.columns]
    counts = pd.DataFrame({column: _counts(raw[column], path, column) for column in size_columns})
    # One row per published nonzero or unpublished (null) count, in file order.
    values = counts.to_numpy(dtype="float64")
    rows, columns = np.nonzero(values != 0)
    size_classes = pd.DataFrame(
        {
            "region_id": keys["region_id"].to_numpy()[rows],
            "industry_code": keys["industry_code"].to_numpy()[rows],
            "year": np.full(len(rows), data_year, dtype="int16"),
            "size_class": np.asarray(size_columns, dtype=object)[columns],
            "establishments": values[rows, columns],
        }
    ).astype({"region_id": str, "industry_code": str, "size_class": str})
    return CbpCountyFile(employment, size_classes, _ranges(keys, letters))


def _api_rows(path: Path) -> pd.DataFrame:
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise UserError(f"{path}: not found") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: not valid JSON ({error}); save the API response as is") from error
    if not isinstance(rows, list) or len(rows) < 1 or not isinstance(rows[0], list):
        raise UserError(f"{path}: not a Census API response (expected a list of lists)")
    header = [str(name) for name in rows[0]]
    body = rows[1:]
    width = len(header)
    for number, row in enumerate(body, start=2):
        if not isinstance(row, list) or len(row) != width:
            raise UserError(f"{path}: row {number} has not the {width} values of the header")
    table = pd.DataFrame(body, columns=range(width), dtype=object)
    # The API echoes a column that is both requested and a predicate (NAICS2017, LFO):
    # keep the first copy, after checking that the copies agree.
    columns: dict[str, pd.Series] = {}
    for position, name in enumerate(header):
        values = table[position].astype(object).where(table[position].notna(), "").astype(str)
        if name in columns:
            if not columns[name].equals(values):
                raise UserError(f"{path}: the two '{name}' columns disagree; refetch the file")
            continue
        columns[name] = values
    return pd.DataFrame(columns)


def _api_region_id(table: pd.DataFrame, path: Path) -> pd.Series:
    cbsa = "metropolitan statistical area/micropolitan statistical area"
    if "county" in table.columns and "state" in table.columns:
        return table["state"].str.zfill(2) + table["county"].str.zfill(3)
    if cbsa in table.columns:
        return table[cbsa].str.zfill(5)
    if "state" in table.columns:
        return table["state"].str.zfill(2)
    if "us" in table.columns:
        return pd.Series("US", index=table.index)
    raise UserError(
        f"{path}: no geography column (state+county, state, us or '{cbsa}'); "
        "request the data with for=county:* (or state, us, metro area)"
    )


def read_cbp_api_json(path: Path, year: int) -> pd.DataFrame:
    """Read a saved CBP API response (JSON list of lists) into the canonical table.

    Parameters
    ----------
    path : Path
        The response of ``api.census.gov/data/{year}/cbp?get=NAICS2017,EMP,ESTAB,...``
        (see :func:`pipeline.sources.download.cbp_api_url`); needs a ``NAICS<vintage>``,
        ``EMP`` and ``ESTAB`` column and a geography (state + county, state, us, or metro
        area). ``EMP_F`` (range letter) and ``EMP_N_F``/``EMP_NF`` (noise flag) are used when
        present; with ``EMPSZES`` or ``LFO`` only the all-establishment rows ('001') are kept.
    year : int
        The data year (the response does not carry it).

    Returns
    -------
    DataFrame
        The canonical employment table; a withheld value (range letter, or noise flag D/S)
        is a null with flag 'suppressed'.
    """
    path = Path(path)
    table = _api_rows(path)
    naics_columns = [c for c in table.columns if re.fullmatch(r"NAICS\d{4}", c)]
    if len(naics_columns) != 1:
        raise UserError(
            f"{path}: expected exactly one NAICS code column (e.g. NAICS2017), found "
            f"{', '.join(naics_columns) or 'none'}"
        )
    missing = [c for c in ["EMP", "ESTAB"] if c not in table.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}; add them to get=")
    for breakdown in ["EMPSZES", "LFO"]:
        if breakdown in table.columns:
            table = table[table[breakdown] == "001"]
    noise_column = next((c for c in ["EMP_N_F", "EMP_NF"] if c in table.columns), None)
    withheld, _ = withheld_employment(
        table.index,
        table["EMP_F"] if "EMP_F" in table.columns else None,
        table[noise_column] if noise_column else None,
        path,
    )
    industry_code = table[naics_columns[0]].str.strip()
    return canonical_employment(
        pd.DataFrame(
            {
                "region_id": _api_region_id(table, path),
                "industry_code": industry_code,
                "industry_level": naics_level(industry_code),
                "year": int(year),
                "employment": _counts(table["EMP"], path, "EMP", "row").where(~withheld),
                "establishments": _counts(table["ESTAB"], path, "ESTAB", "row"),
                "classification": naics_columns[0].lower(),
                "employment_flag": np.where(withheld, "suppressed", "reported"),
            }
        )
    )
