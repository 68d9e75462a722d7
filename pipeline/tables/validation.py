"""Validation of a table against its schema as it is written, and typed empty tables."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.engines.geopandas_engine import Geometry

from pipeline.errors import UserError
from pipeline.tables.catalog import schema_of


def typed_empty(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """A table without rows in the schema's dtypes, with every required column.

    Stages write "no rows" tables (one-year datasets, no boundaries, too few industries);
    typing them here keeps their Parquet schema the same as a full table's.
    """
    columns = {}
    for name, spec in schema.columns.items():
        if name in frame.columns or spec.required:
            if name == "geometry" or isinstance(spec.dtype, Geometry):
                continue
            columns[name] = pd.Series([], dtype=spec.dtype.type if spec.dtype else object)
    typed = pd.DataFrame(columns)
    if "geometry" in frame.columns:
        import geopandas as gpd

        return gpd.GeoDataFrame(typed, geometry=frame.geometry.iloc[:0], crs=frame.crs)
    return typed


def validate_table(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check ``frame`` against the schema of table ``name``; a failure is a one-line UserError.

    Vectorised (pandera's built-in checks: dtype, nulls, ranges and allowed values per
    column, no row-wise functions), so a year of the LQ table (a million rows) takes tens of
    milliseconds. A table without rows is first typed (:func:`typed_empty`). Tables with no
    schema pass unchanged.
    """
    schema = schema_of(name)
    if schema is None:
        return frame
    fix = f"fix the stage that builds it (schema: pipeline/tables/, '{name}')"
    unknown = [str(c) for c in frame.columns if c not in schema.columns]
    if unknown:
        raise UserError(
            f"{name}: column '{unknown[0]}' is not in the table's schema; document it in "
            f"pipeline/tables/ ('{name}') or drop it from the stage that builds the table"
        )
    missing = [c for c, spec in schema.columns.items() if spec.required and c not in frame]
    if missing and len(frame):
        raise UserError(f"{name}: column '{missing[0]}' is missing; {fix}")
    if len(frame) == 0:
        frame = typed_empty(frame, schema)
    try:
        schema.validate(frame, lazy=False)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as error:
        column_name = getattr(getattr(error, "schema", None), "name", None) or "?"
        raise UserError(f"{name}: column '{column_name}' {_reason(error)}; {fix}") from error
    return frame


def _reason(error: pa.errors.SchemaError | pa.errors.SchemaErrors) -> str:
    """A short, one-line reason from a pandera error."""
    reason = str(getattr(error, "reason_code", "") or "")
    message = " ".join(str(error).split())
    if "WRONG_DATATYPE" in reason:
        return "has the wrong dtype (" + message[:160] + ")"
    if "SERIES_CONTAINS_NULLS" in reason:
        return "has null values where none are allowed"
    if "DUPLICATES" in reason:
        return "repeats a key (" + message[:160] + ")"
    return "fails a check (" + message[:200] + ")"
