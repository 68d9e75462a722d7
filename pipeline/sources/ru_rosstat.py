"""Rosstat "Regions of Russia 2022": industrial shipments by OKVED2 section, 83 federal subjects.

The embedded appendix tables (``data/raw/ru/``, see its README) give shipped goods of own
production, work and services, **million RUB at current prices**, 2017-2021, for the four
industrial OKVED2 sections B (mining), C (manufacturing), D (electricity, gas, steam) and
E (water, sewerage, waste). This is output, not employment: Rosstat's regional appendix
has no region x OKVED employment table. The canonical ``employment`` column therefore
holds shipments (the integrator records measure and unit in params.yaml), and LQs built
on it compare each subject's *industrial output mix* with Russia's.

The total row '00' is the sum of B-E, i.e. **industrial shipments, not the whole
economy**; flags follow :mod:`pipeline.sources.section_totals` ('imputed' where a section
is not published).

Regions are the 83 polygons of the GIS-Lab/OSM 2013 layer, i.e. the subjects before 2014:
Crimea and Sevastopol (in Rosstat's 85) have no polygon and are left out. Autonomous
okrugs are their own polygons, so the rows chosen are exactly one per polygon:

* Nenets AO, Khanty-Mansi AO and Yamalo-Nenets AO (federal subjects *nested* in an oblast);
* Arkhangelsk and Tyumen oblasts **without** their AOs (``remainder_without_autonomous_okrug``
  rows), never the oblast rows that include them (those would double count the AOs);
* every other federal subject.

So summing the 83 regions gives the Russian total less Crimea and Sevastopol (manufacturing
2019: 47,321,074 = 47,436,024 - 114,951 + 1 of rounding).

``region_id`` is the ISO 3166-2:RU code of the subject (e.g. 'RU-MOW' Moscow, 'RU-KHM'
Khanty-Mansi AO), from ``ru_federal_subjects_iso3166_2.csv`` keyed by the polygon name;
for Arkhangelsk and Tyumen the code stands for the oblast *without* its AOs, as the polygon
does. Value flags '...' (not available) and '...3)' (confidential) become null with the
flag 'suppressed'.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.errors import UserError
from pipeline.geography.boundaries import prepare_boundaries
from pipeline.geography.contiguity import polygon_contiguity, weights_table
from pipeline.sources.schema import (
    IngestResult,
    canonical_employment,
    check_employment,
    first_repeated,
)
from pipeline.sources.section_totals import with_section_total

ROSSTAT_FILE = "ru_regions_rosstat_2022_employment_total_and_industrial_shipments.csv"
BOUNDARY_FILE = "russia_federal_subjects_83_osm2013.geojson.gz"
CODES_FILE = "ru_federal_subjects_iso3166_2.csv"
ROSSTAT_COLUMNS = [
    "indicator",
    "okved2_section",
    "region_name",
    "region_level",
    "nested_in_subject",
    "geojson_name",
    "year",
    "value",
    "value_flag",
]
SHIPMENTS_INDICATOR = "shipments_own_production"
SHIPMENT_SECTIONS = ("B", "C", "D", "E")
# Rows that are one polygon each: subjects (AOs included) and oblasts less their AOs.
POLYGON_LEVELS = ("federal_subject", "remainder_without_autonomous_okrug")
SECTION_LEVEL = 1
CLASSIFICATION = "okved2"


def subject_codes(codes: pd.DataFrame) -> pd.Series:
    """Polygon name -> ISO 3166-2:RU code, checked to be one-to-one."""
    if not {"geojson_name", "iso_3166_2"} <= set(codes.columns):
        raise UserError("subject codes: need columns geojson_name and iso_3166_2")
    for column in ("geojson_name", "iso_3166_2"):
        repeated = codes.loc[codes[column].duplicated(), column]
        if len(repeated):
            raise UserError(f"subject codes: '{repeated.iloc[0]}' appears twice in {column}")
    return codes.set_index("geojson_name")["iso_3166_2"].astype(str)


def subject_shipments(rosstat: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    """One row per polygon, OKVED2 section and year: the canonical table of shipments.

    Parameters
    ----------
    rosstat : DataFrame
        The long Rosstat table (columns :data:`ROSSTAT_COLUMNS`, read as strings).
    codes : Series
        :func:`subject_codes` output (polygon name -> ISO 3166-2:RU code).

    Returns
    -------
    DataFrame
        Canonical table: region_id (ISO 3166-2:RU), industry_code (B, C, D, E, or '00'
        for their sum), industry_level (1, or 0 for the total), year, employment
        (shipments, million RUB, current prices; null where not published),
        establishments (null), classification 'okved2', employment_flag.
    """
    missing = [column for column in ROSSTAT_COLUMNS if column not in rosstat.columns]
    if missing:
        raise UserError(f"Rosstat table: missing column(s) {', '.join(missing)}")
    name = rosstat["geojson_name"].fillna("").astype(str).str.strip()
    chosen = rosstat[
        (rosstat["indicator"] == SHIPMENTS_INDICATOR)
        & rosstat["okved2_section"].isin(list(SHIPMENT_SECTIONS))
        & rosstat["region_level"].isin(list(POLYGON_LEVELS))
        & (name != "")
    ].assign(geojson_name=name)
    row = first_repeated(chosen, ["geojson_name", "okved2_section", "year"])
    if row is not None:
        raise UserError(
            f"Rosstat table: polygon '{row['geojson_name']}' has two rows for section "
            f"{row['okved2_section']} in {row['year']}; keep either an oblast or its "
            "remainder without autonomous okrugs, not both"
        )
    unknown = sorted(set(chosen["geojson_name"]) - set(codes.index))
    if unknown:
        raise UserError(
            f"Rosstat table: geojson_name '{unknown[0]}' has no ISO 3166-2 code in {CODES_FILE}"
        )
    shipments = pd.to_numeric(chosen["value"], errors="coerce")
    sections = pd.DataFrame(
        {
            "region_id": chosen["geojson_name"].map(codes).to_numpy(),
            "industry_code": chosen["okved2_section"].astype(str).to_numpy(),
            "industry_level": SECTION_LEVEL,
            "year": chosen["year"].astype(int).to_numpy(),
            "employment": shipments.to_numpy(),
            "establishments": np.nan,
            "classification": CLASSIFICATION,
            "employment_flag": np.where(shipments.isna(), "suppressed", "reported"),
        }
    )
    return canonical_employment(with_section_total(sections, SHIPMENT_SECTIONS))


def subject_regions(subjects: gpd.GeoDataFrame, codes: pd.Series) -> gpd.GeoDataFrame:
    """region_id (ISO 3166-2:RU), name (Latin), name_ru and valid geometry, EPSG:4326.

    Chukotka's polygon is split at the antimeridian (longitudes -180 and 180); it is kept
    as published, a MultiPolygon whose parts touch along the 180th meridian.
    """
    if not {"name", "name_latin"} <= set(subjects.columns):
        raise UserError("subject boundaries: need the properties name and name_latin")
    unknown = sorted(set(subjects["name"]) - set(codes.index))
    if unknown:
        raise UserError(f"subject boundaries: polygon '{unknown[0]}' has no ISO 3166-2 code")
    regions = gpd.GeoDataFrame(
        {
            "region_id": subjects["name"].map(codes).to_numpy(),
            "name": subjects["name_latin"].astype(str).to_numpy(),
            "name_ru": subjects["name"].astype(str).to_numpy(),
        },
        geometry=subjects.geometry.to_numpy(),
        crs=subjects.crs,
    )
    return prepare_boundaries(regions, "subject boundaries").sort_values(
        "region_id", ignore_index=True
    )


def ingest_ru_shipments(raw: Path) -> IngestResult:
    """Rosstat industrial shipments (B-E) for the 83 subjects, polygons and contiguity.

    Raises a :class:`UserError` when a polygon has no shipments row or a row no polygon.
    """
    raw = Path(raw)
    paths = {name: raw / name for name in (ROSSTAT_FILE, BOUNDARY_FILE, CODES_FILE)}
    for name, path in paths.items():
        if not path.exists():
            raise UserError(f"{path}: not found; the dataset's raw folder must hold {name}")
    codes = subject_codes(pd.read_csv(paths[CODES_FILE], dtype=str))
    rosstat = pd.read_csv(paths[ROSSTAT_FILE], dtype=str)
    try:
        employment = subject_shipments(rosstat, codes)
    except UserError as error:
        raise UserError(f"{paths[ROSSTAT_FILE]}: {error}") from error
    employment = check_employment(employment, str(paths[ROSSTAT_FILE]))
    with gzip.open(paths[BOUNDARY_FILE]) as boundary:
        subjects = gpd.read_file(boundary)
    try:
        regions = subject_regions(subjects, codes)
    except UserError as error:
        raise UserError(f"{paths[BOUNDARY_FILE]}: {error}") from error
    without_data = sorted(set(regions["region_id"]) - set(employment["region_id"]))
    if without_data:
        raise UserError(
            f"{paths[ROSSTAT_FILE]}: no shipments rows for polygon {without_data[0]}; "
            "its geojson_name must be filled"
        )
    return IngestResult(employment, regions, weights_table(polygon_contiguity(regions)))
