"""Readers for industry linkage tables: input-output flows and occupation matrices.

Embedded US tables (``data/raw/linkages/``, see its README):

- BEA 2012 detailed Use (intermediate block) and Make tables, before redefinitions;
- the BEA detail <-> NAICS 2012/2017 crosswalk (six-digit rows);
- the BLS OEWS May 2025 national industry x occupation matrix (NAICS 2022);
- a NAICS 2017 -> 2022 prefix map for the industries the 2022 revision recoded.

User tables, for any classification (CSV or Parquet, codes read as strings):

- **input-output table**: ``supplier_code, buyer_code, value`` (one row per pair, value >= 0,
  what the buyer industry purchased from the supplier industry in the year, any currency),
  codes in the dataset's own classification and level;
- **occupation matrix**: ``industry_code, occupation_code, employment`` (employment >= 0,
  empty = suppressed), optionally ``industry_total_employment`` (the industry's employment
  over all occupations; default: the sum of its cells).

Every reader returns the long table that :mod:`pipeline.clusters.relatedness` takes and raises
:class:`~pipeline.errors.UserError` naming the file, row and column of bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import UserError

BEA_USE = "bea_use_2012_intermediate.parquet"
BEA_MAKE = "bea_make_2012.parquet"
BEA_CROSSWALK = "bea_naics_crosswalk_2012.parquet"
OEWS = "oews_2025_industry_occupation.parquet"
NAICS_PREFIX_MAP = "naics_2017_to_2022_prefixes.csv"

INPUT_OUTPUT_COLUMNS = ["supplier_code", "buyer_code", "value"]
OCCUPATION_COLUMNS = ["industry_code", "occupation_code", "employment"]
# Preference when two OEWS rows stand for the same NAICS prefix: a published industry over a
# BLS special aggregate over a sector range.
OEWS_KIND_ORDER = {"naics": 0, "special_aggregate": 1, "sector": 2}


def _read_table(path: Path | str, what: str) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: {what} not found; check the path in params.yaml")
    try:
        if path.suffix.lower() == ".parquet":
            table = pd.read_parquet(path)
            for column in table.columns:
                if table[column].dtype == object or pd.api.types.is_string_dtype(table[column]):
                    table[column] = table[column].astype(str)
            return table
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except UserError:
        raise
    except Exception as error:  # pyarrow and the CSV parser raise several types
        raise UserError(
            f"{path}: {what} is not a readable CSV or Parquet file ({error})"
        ) from error


def _require(table: pd.DataFrame, columns: list[str], path: Path | str) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )


def _codes(table: pd.DataFrame, column: str, path: Path | str) -> pd.Series:
    codes = table[column].astype(str).str.strip()
    bad = codes.eq("") | codes.str.lower().isin(["nan", "none"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise UserError(
            f"{path}: line {row + 2}, column {column}: empty code; fill it or drop the row"
        )
    return codes


def _numbers(
    table: pd.DataFrame, column: str, path: Path | str, allow_empty: bool, allow_negative: bool
) -> pd.Series:
    raw = table[column]
    text = raw.astype(str).str.strip()
    empty = raw.isna() | text.eq("") | text.str.lower().eq("nan")
    values = pd.to_numeric(text.where(~empty, None), errors="coerce").astype("float64")
    bad = values.isna() & ~empty
    if not allow_empty:
        bad |= empty
    if not allow_negative:
        bad |= values < 0
    bad |= np.isinf(values)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        rule = (
            "a number"
            + ("" if allow_negative else " >= 0")
            + ("" if allow_empty else ", not empty")
        )
        raise UserError(
            f"{path}: line {row + 2}, column {column}: '{raw.iloc[row]}' is not {rule}; fix the value"
        )
    return values


def _no_duplicates(table: pd.DataFrame, keys: list[str], path: Path | str) -> None:
    duplicated = table.duplicated(keys)
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        pair = ", ".join(f"{key}={table[key].iloc[row]}" for key in keys)
        raise UserError(f"{path}: line {row + 2}: duplicate row for {pair}; sum or drop duplicates")


# --------------------------------------------------------------------------------------------
# user tables


def read_input_output_table(path: Path | str) -> pd.DataFrame:
    """A user's industry x industry input-output table (supplier_code, buyer_code, value).

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "io.csv")
    >>> _ = open(path, "w").write("supplier_code,buyer_code,value\\nC,G,5\\nG,C,1\\n")
    >>> read_input_output_table(path).to_dict("records")[0]
    {'supplier_code': 'C', 'buyer_code': 'G', 'value': 5.0}
    """
    table = _read_table(path, "input-output table")
    _require(table, INPUT_OUTPUT_COLUMNS, path)
    flows = pd.DataFrame(
        {
            "supplier_code": _codes(table, "supplier_code", path),
            "buyer_code": _codes(table, "buyer_code", path),
            "value": _numbers(table, "value", path, allow_empty=False, allow_negative=False),
        }
    )
    _no_duplicates(flows, ["supplier_code", "buyer_code"], path)
    return flows


def read_occupation_table(path: Path | str) -> pd.DataFrame:
    """A user's industry x occupation employment matrix.

    Returns industry_code, occupation_code, employment (NaN where suppressed) and
    industry_total_employment (given, or the sum of the industry's cells).
    """
    table = _read_table(path, "occupation matrix")
    _require(table, OCCUPATION_COLUMNS, path)
    occupations = pd.DataFrame(
        {
            "industry_code": _codes(table, "industry_code", path),
            "occupation_code": _codes(table, "occupation_code", path),
            "employment": _numbers(
                table, "employment", path, allow_empty=True, allow_negative=False
            ),
        }
    )
    if "industry_total_employment" in table.columns:
        occupations["industry_total_employment"] = _numbers(
            table, "industry_total_employment", path, allow_empty=False, allow_negative=False
        )
    else:
        occupations["industry_total_employment"] = occupations.groupby("industry_code")[
            "employment"
        ].transform("sum")
    _no_duplicates(occupations, ["industry_code", "occupation_code"], path)
    return occupations


# --------------------------------------------------------------------------------------------
# embedded US tables


def _bea_table(path: Path | str, what: str, codes: list[str], allow_negative: bool) -> pd.DataFrame:
    """A long BEA table: its two code columns and value_musd (renamed value)."""
    table = _read_table(path, what)
    _require(table, [*codes, "value_musd"], path)
    columns = {column: _codes(table, column, path) for column in codes}
    columns["value"] = _numbers(
        table, "value_musd", path, allow_empty=False, allow_negative=allow_negative
    )
    return pd.DataFrame(columns)


def read_bea_use(path: Path | str) -> pd.DataFrame:
    """BEA 2012 detail Use table, intermediate block: commodity_code, industry_code, value.

    Values in million 2012 dollars at producer prices; 8 cells are negative (BEA
    adjustments), kept here and zeroed by :func:`pipeline.clusters.input_output.industry_flows`.
    """
    return _bea_table(path, "BEA Use table", ["commodity_code", "industry_code"], True)


def read_bea_make(path: Path | str) -> pd.DataFrame:
    """BEA 2012 detail Make table: industry_code, commodity_code, value (million dollars)."""
    return _bea_table(path, "BEA Make table", ["industry_code", "commodity_code"], False)


def read_bea_crosswalk(path: Path | str, vintage: str = "2017") -> pd.DataFrame:
    """BEA detail code <-> six-digit NAICS: industry_code (NAICS ``vintage``), io_code (BEA).

    Many-to-many: most BEA codes hold several NAICS codes, and 49 NAICS 2017 codes (mostly
    construction and public administration) belong to several BEA codes.
    """
    if vintage not in ("2012", "2017"):
        raise UserError(f"BEA crosswalk: NAICS vintage '{vintage}' is not 2012 or 2017")
    column = f"naics_{vintage}_code"
    table = _read_table(path, "BEA-NAICS crosswalk")
    _require(table, ["bea_detail_code", column], path)
    crosswalk = pd.DataFrame(
        {
            "industry_code": _codes(table, column, path),
            "io_code": _codes(table, "bea_detail_code", path),
        }
    )
    return crosswalk.drop_duplicates(ignore_index=True)


def read_oews(path: Path | str) -> pd.DataFrame:
    """BLS OEWS 2025 national industry x occupation employment, one row per NAICS prefix.

    Returns industry_code (a NAICS 2022 prefix of 2-6 digits), occupation_code, employment
    (NaN where BLS suppressed it) and industry_total_employment. A BLS special aggregate
    (``3250A1`` = 3251, 3252, 3253, 3259) gives one row set per member four-digit code, and a
    sector range (``31--34``) one per two-digit code, so that every NAICS code finds a vector
    at its longest available prefix; a published industry wins over an aggregate or sector
    standing for the same prefix.
    """
    table = _read_table(path, "OEWS industry x occupation matrix")
    _require(
        table,
        [
            "naics_code",
            "member_prefixes",
            "industry_kind",
            "occ_code",
            "employment",
            "industry_total_employment",
        ],
        path,
    )
    unknown = sorted(set(table["industry_kind"]) - set(OEWS_KIND_ORDER))
    if unknown:
        raise UserError(f"{path}: column industry_kind has unknown value(s) {', '.join(unknown)}")
    occupations = pd.DataFrame(
        {
            "source_code": _codes(table, "naics_code", path),
            "member_prefixes": table["member_prefixes"].astype(str),
            "kind": table["industry_kind"].map(OEWS_KIND_ORDER),
            "occupation_code": _codes(table, "occ_code", path),
            "employment": _numbers(
                table, "employment", path, allow_empty=True, allow_negative=False
            ),
            "industry_total_employment": _numbers(
                table, "industry_total_employment", path, allow_empty=False, allow_negative=False
            ),
        }
    )
    occupations["industry_code"] = occupations["member_prefixes"].str.split()
    occupations = occupations.explode("industry_code", ignore_index=True)
    bad = ~occupations["industry_code"].fillna("").str.fullmatch(r"\d{2,6}")
    if bad.any():
        raise UserError(
            f"{path}: industry {occupations.loc[bad, 'source_code'].iloc[0]} has no NAICS prefix "
            "in column member_prefixes; rebuild the file with data/raw/linkages/build_linkages.py"
        )
    industries = occupations.drop_duplicates(["industry_code", "source_code"]).sort_values(
        ["industry_code", "kind", "source_code"]
    )
    chosen = industries.drop_duplicates("industry_code")[["industry_code", "source_code"]]
    occupations = occupations.merge(chosen, on=["industry_code", "source_code"])
    return occupations[
        [
            "industry_code",
            "occupation_code",
            "employment",
            "industry_total_employment",
            "source_code",
        ]
    ].reset_index(drop=True)


def read_naics_prefix_map(path: Path | str) -> pd.DataFrame:
    """NAICS 2017 -> 2022 prefix map (from_prefix, to_prefix), for OEWS lookups."""
    table = _read_table(path, "NAICS prefix map")
    _require(table, ["from_prefix", "to_prefix"], path)
    prefix_map = pd.DataFrame(
        {
            "from_prefix": _codes(table, "from_prefix", path),
            "to_prefix": _codes(table, "to_prefix", path),
        }
    )
    for column in ["from_prefix", "to_prefix"]:
        bad = ~prefix_map[column].str.fullmatch(r"\d{2,6}")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise UserError(f"{path}: line {row + 2}, column {column}: not a NAICS prefix")
    _no_duplicates(prefix_map, ["from_prefix"], path)
    return prefix_map


@dataclass(frozen=True)
class UsLinkages:
    """The embedded US linkage tables, as the relatedness functions take them."""

    use: pd.DataFrame
    make: pd.DataFrame
    crosswalk: pd.DataFrame
    occupations: pd.DataFrame
    prefix_map: pd.DataFrame


def read_us_linkages(folder: Path | str) -> UsLinkages:
    """Read every embedded US linkage table from ``folder`` (``relatedness.linkages``)."""
    folder = Path(folder)
    return UsLinkages(
        use=read_bea_use(folder / BEA_USE),
        make=read_bea_make(folder / BEA_MAKE),
        crosswalk=read_bea_crosswalk(folder / BEA_CROSSWALK),
        occupations=read_oews(folder / OEWS),
        prefix_map=read_naics_prefix_map(folder / NAICS_PREFIX_MAP),
    )
