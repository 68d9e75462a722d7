"""The building blocks of every table schema: column constructors, value vocabularies, names.

:func:`column` is one published column (dtype, value checks, description, unit); the short
constructors (:func:`code`, :func:`amount`, :func:`share`, ...) are its common kinds, and
:func:`table` is the schema of one published table. :data:`NAME_COLUMNS` documents the name
column that follows each code column (see :mod:`pipeline.tables`).
"""

from __future__ import annotations

import copy
from typing import Any

import pandera.pandas as pa

from pipeline.sources.schema import EMPLOYMENT_SCHEMA

MEASURE_UNIT = "{dataset.unit}"
"""Unit of the columns that hold the dataset's measure (jobs, employees, million RUB ...)."""

# Value vocabularies of the producing modules, repeated here so that the ingest stage does not
# depend on the measure and cluster code; tests/test_tables.py checks they agree.
QUADRANTS = ("HH", "HL", "LH", "LL", "ns")
LABELS = ("technology", "industrial-production", "other")
CLUSTER_TYPES = ("traded", "local")
SELECTED_BY = ("strong", "stars", "stars+strong")
H_METHODS = ("equal_plants_in_cell", "size_class_midpoints", "mixed")

_SHARE = pa.Check.in_range(0.0, 1.0)
_NON_NEGATIVE = pa.Check.ge(0)
_PROBABILITY = pa.Check.in_range(0.0, 1.0)


def column(
    dtype: Any,
    description: str,
    unit: str = "",
    checks: pa.Check | list[pa.Check] | None = None,
    nullable: bool = True,
    required: bool = True,
) -> pa.Column:
    """One published column: dtype, value checks, description and unit (in ``metadata``)."""
    return pa.Column(
        dtype,
        checks=checks,
        nullable=nullable,
        required=required,
        description=description,
        metadata={"unit": unit},
    )


def canonical(name: str, description: str, unit: str = "") -> pa.Column:
    """A column of the canonical employment table (:data:`pipeline.sources.schema.
    EMPLOYMENT_SCHEMA`: its dtype and checks), described."""
    described = copy.deepcopy(EMPLOYMENT_SCHEMA.columns[name])
    described.description = description
    described.metadata = {"unit": unit}
    return described


def code(description: str, required: bool = True) -> pa.Column:
    """A code column (region, industry, cluster): a string with its leading zeros, never null."""
    return column(str, description, "code", nullable=False, required=required)


def text(description: str, nullable: bool = True, required: bool = True) -> pa.Column:
    return column(str, description, nullable=nullable, required=required)


def flag(description: str) -> pa.Column:
    return column(bool, description, nullable=False)


def one_of(values: tuple[str, ...], description: str, nullable: bool = False) -> pa.Column:
    return column(str, description, checks=pa.Check.isin(list(values)), nullable=nullable)


def year(description: str = "Reference year") -> pa.Column:
    return column("int16", description, "year", pa.Check.in_range(1900, 2100), nullable=False)


def level(description: str) -> pa.Column:
    return column("int8", description, "digits", pa.Check.in_range(0, 6), nullable=False)


def amount(description: str, unit: str = MEASURE_UNIT, required: bool = True) -> pa.Column:
    """A non-negative float (employment, establishments, a share's numerator)."""
    return column("float64", description, unit, _NON_NEGATIVE, required=required)


def real(description: str, unit: str = "", required: bool = True, checks=None) -> pa.Column:
    """A float with no range rule (z-scores, changes, indices that can be negative)."""
    return column("float64", description, unit, checks, required=required)


def share(description: str, unit: str = "share", required: bool = True) -> pa.Column:
    return column("float64", description, unit, _SHARE, required=required)


def count(dtype: str, description: str, unit: str) -> pa.Column:
    return column(dtype, description, unit, _NON_NEGATIVE, nullable=False)


def table(
    name: str,
    description: str,
    columns: dict[str, pa.Column],
    names: tuple[str, ...] = (),
    geo: bool = False,
    unique: list[str] | None = None,
) -> pa.DataFrameSchema:
    """The schema of a published table; ``names`` lists the codes it also names (see module)."""
    ordered: dict[str, pa.Column] = {}
    for key, value in columns.items():
        ordered[key] = value
        if key in names:
            ordered[NAME_COLUMNS[key][0]] = NAME_COLUMNS[key][1]
    return pa.DataFrameSchema(
        ordered,
        name=name,
        description=description,
        metadata={"geo": geo},
        strict=True,
        coerce=False,
        unique=unique,
    )


NAME_COLUMNS = {
    "region_id": (
        "region_name",
        text("Region name (regions.parquet), empty where the region has none"),
    ),
    "industry_code": (
        "industry_name",
        text(
            "Official industry title (Census NAICS 2017/2012, Eurostat NACE Rev.2 / OKVED 2 "
            "sections; industry_titles.csv), empty for codes without one (custom)"
        ),
    ),
    "related_code": (
        "related_name",
        text("Official title of the related industry (as industry_name), empty without one"),
    ),
    "region_ids": (
        "region_names",
        column(
            object,
            "Names of the member regions (regions.parquet), in the order of region_ids; "
            "null for a region without one",
            "names",
            nullable=False,
        ),
    ),
    "top_industries": (
        "top_industry_names",
        column(
            object,
            "Official titles of top_industries, in their order; null for a code without one",
            "names",
            nullable=False,
        ),
    ),
}
"""Names beside codes: each table that has the code documents its name right after it."""

REGION_ID = "Region code (CBSA, county FIPS, state FIPS, NUTS, ISO 3166-2), leading zeros kept"
LQ_UNIT = "ratio"

_MEASURE = (
    "The cell's {dataset.measure} (the dataset's measure, see the top of this dictionary); "
    "null where it is not published and not estimated"
)
