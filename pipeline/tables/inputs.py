"""The canonical inputs every stage starts from: the employment table, the region boundaries
and the spatial weights (ingest).
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.engines.geopandas_engine import Geometry

from pipeline.sources.schema import EMPLOYMENT_SCHEMA, WGS84
from pipeline.tables.columns import (
    _MEASURE,
    _NON_NEGATIVE,
    MEASURE_UNIT,
    REGION_ID,
    canonical,
    code,
    column,
    table,
    text,
)

EMPLOYMENT = table(
    "employment.parquet",
    "Canonical region x industry x year counts, as read from the source (ingest).",
    {
        "region_id": canonical("region_id", REGION_ID, "code"),
        "industry_code": canonical(
            "industry_code",
            "Industry code in `classification`; '00' is the all-industry total (for "
            "section data: the sum of the dataset's sections)",
            "code",
        ),
        "industry_level": canonical(
            "industry_level",
            "0 for the total; 1 for NACE/OKVED sections; NAICS 2 (sector, incl. 31-33) to 6",
            "digits",
        ),
        "year": canonical("year", "Reference year", "year"),
        "employment": canonical("employment", _MEASURE, MEASURE_UNIT),
        "establishments": canonical(
            "establishments",
            "Number of establishments; null where the source has none",
            "establishments",
        ),
        "classification": canonical(
            "classification",
            "Industry classification of industry_code (naics2017, nace_r2, okved2, custom)",
        ),
        "employment_flag": canonical(
            "employment_flag",
            "reported: as published; imputed: estimated by regclust (an unpublished or "
            "withheld cell split from its parent's residual, a total summed from the "
            "sections that are published, or a county total carried from its nearest "
            "year); suppressed: withheld and not estimated, employment null",
        ),
    },
    unique=EMPLOYMENT_SCHEMA.unique,
)


REGIONS = table(
    "regions.parquet",
    "Region boundaries (GeoParquet, EPSG:4326); US metros (CBSAs) are unions of their member "
    "counties.",
    {
        "region_id": code("Region code, as in employment.parquet"),
        "name": text("Region name; '(boundary unknown)' when no delineation knows it"),
        "name_ru": text("Russian federal subjects: the name in Russian", required=False),
        "region_type": text(
            "US metros: metropolitan or micropolitan (OMB); the strong rule ranks within a "
            "type (params cluster.strong.by_region_type)",
            required=False,
        ),
        "csa_code": column(
            str,
            "US metros: OMB combined statistical area (2020 delineation); null where none",
            "code",
            required=False,
        ),
        "n_counties": column(
            "int32",
            "US data: member counties (0 when the boundary is unknown)",
            "counties",
            _NON_NEGATIVE,
            nullable=False,
            required=False,
        ),
        "geometry": column(
            Geometry(crs=WGS84),
            "(Multi)polygon; null when the boundary is unknown",
            WGS84,
        ),
    },
    geo=True,
)


SPATIAL_WEIGHTS = table(
    "spatial_weights.parquet",
    "Binary contiguity between regions, used by every spatial statistic (row-standardised there).",
    {
        "focal": code("Region id"),
        "neighbor": code("A neighbouring region id (both directions listed)"),
        "weight": column(
            "float64",
            "1 for neighbours; a self-pair with 0 marks a region with no neighbour",
            checks=pa.Check.isin([0.0, 1.0]),
            nullable=False,
        ),
    },
)
