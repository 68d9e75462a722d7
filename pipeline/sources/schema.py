"""The canonical employment table every reader returns, and its pandera schema.

One row per region x industry x year. ``industry_level`` is 0 for the all-industry total
row (code ``'00'``, :data:`pipeline.classifications.codes.TOTAL_CODE`), 2 for sectors
(including ranges such as ``31-33``), up to 6.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import pandera.pandas as pa

from pipeline.errors import UserError

EMPLOYMENT_FLAGS = ("reported", "imputed", "suppressed")
WGS84 = "EPSG:4326"  # the coordinate reference system of every regions table

EMPLOYMENT_SCHEMA = pa.DataFrameSchema(
    {
        "region_id": pa.Column(str, nullable=False),
        "industry_code": pa.Column(str, nullable=False),
        "industry_level": pa.Column("int8", pa.Check.in_range(0, 6)),
        "year": pa.Column("int16"),
        "employment": pa.Column("float64", pa.Check.ge(0), nullable=True),
        "establishments": pa.Column("float64", pa.Check.ge(0), nullable=True),
        "classification": pa.Column(str),
        "employment_flag": pa.Column(str, pa.Check.isin(list(EMPLOYMENT_FLAGS))),
    },
    unique=["region_id", "industry_code", "year"],
    strict=False,
    coerce=False,
)
"""The canonical employment table: its columns in order, their types and value rules."""

EMPLOYMENT_COLUMNS = list(EMPLOYMENT_SCHEMA.columns)


def check_employment(employment: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate a canonical employment table, raising a one-line :class:`UserError`."""
    try:
        return EMPLOYMENT_SCHEMA.validate(employment, lazy=False)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as error:
        first_line = str(error).strip().splitlines()[0]
        raise UserError(f"{source}: does not match the employment schema: {first_line}") from error


def first_repeated(table: pd.DataFrame, keys: list[str]) -> pd.Series | None:
    """The first row of ``table`` whose ``keys`` repeat an earlier row's, or None.

    Examples
    --------
    >>> rows = pd.DataFrame({"region_id": ["a", "b", "a"], "year": [2019, 2019, 2019]})
    >>> first_repeated(rows, ["region_id", "year"]).name, first_repeated(rows, ["year"]).name
    (2, 1)
    """
    repeated = table.duplicated(keys)
    return table[repeated].iloc[0] if repeated.any() else None


def read_raw_parquet(path) -> pd.DataFrame:
    """Read an embedded raw Parquet file; a missing or corrupt file is a one-line UserError."""
    try:
        return pd.read_parquet(path)
    except FileNotFoundError as error:
        raise UserError(f"{path}: not found; restore it from git (data/raw is tracked)") from error
    except Exception as error:  # pyarrow raises several types for corrupt files
        raise UserError(f"{path}: not a readable Parquet file ({error}); replace it") from error


def canonical_employment(table: pd.DataFrame) -> pd.DataFrame:
    """Order columns and set the canonical dtypes (codes as strings, counts as float64).

    ``employment_flag`` is optional in ``table`` (default 'reported'); a suppressed cell
    keeps a null employment and the flag 'suppressed', never a silent zero.
    """
    flag = table["employment_flag"] if "employment_flag" in table.columns else "reported"
    employment = pd.DataFrame(
        {
            "region_id": table["region_id"].astype(str),
            "industry_code": table["industry_code"].astype(str),
            "industry_level": table["industry_level"].astype("int8"),
            "year": table["year"].astype("int16"),
            "employment": pd.to_numeric(table["employment"]).astype("float64"),
            "establishments": pd.to_numeric(table["establishments"]).astype("float64"),
            "classification": table["classification"].astype(str),
            "employment_flag": flag,
        }
    )
    employment["employment_flag"] = employment["employment_flag"].astype(str)
    return employment.sort_values(["year", "region_id", "industry_code"], ignore_index=True)


@dataclass
class IngestResult:
    """What a dataset reader returns: the three ingest products.

    employment : the canonical employment table.
    regions : GeoDataFrame (region_id, name, geometry; EPSG:4326); geometry may be null.
    weights : binary contiguity (focal, neighbor, weight), libpysal isolate convention.
    """

    employment: pd.DataFrame
    regions: gpd.GeoDataFrame
    weights: pd.DataFrame
