"""Dataset sources: a name in params.yaml -> a reader of the raw folder.

A reader returns the three ingest products: the canonical employment table, the region
boundaries (GeoDataFrame, EPSG:4326; may be None when a dataset has none) and the
binary contiguity weights (focal, neighbor, weight).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pipeline.errors import UserError
from pipeline.sources import us_geography
from pipeline.sources.gb_bres import ingest_gb_bres
from pipeline.sources.ru_rosstat import ingest_ru_shipments
from pipeline.sources.schema import IngestResult
from pipeline.sources.us_cbp import read_cbp_cbsa
from pipeline.sources.us_counties import ingest_cbp_counties
from pipeline.sources.us_qcew import ingest_qcew_states


def _need(raw: Path, name: str) -> Path:
    path = raw / name
    if not path.exists():
        raise UserError(f"{path}: not found; the dataset's raw folder must hold {name}")
    return path


def ingest_cbp_cbsa(raw: Path) -> IngestResult:
    """CBP 2019 metro/micro areas, with CBSA boundaries and contiguity from counties."""
    employment = read_cbp_cbsa(_need(raw, "cbp2019_cbsa_naics.parquet"))
    counties = us_geography.read_county_geometry(_need(raw, "us_counties_2010_20m.geojson"))
    delineation = us_geography.read_delineation(_need(raw, "cbsa_county_delineation_2020.csv"))
    region_ids = pd.Index(employment["region_id"].unique())
    regions = us_geography.cbsa_regions(region_ids, counties, delineation)
    adjacency = pd.read_csv(_need(raw, "county_adjacency_2023.csv"), dtype=str)
    county_pairs = us_geography.county_neighbours(adjacency, counties)
    county_to_region = delineation.rename(columns={"cbsa_code": "region_id"})[
        ["county_fips", "region_id"]
    ]
    known = regions.loc[regions.geometry.notna(), "region_id"]
    weights = us_geography.region_contiguity(county_pairs, county_to_region, known)
    return IngestResult(employment, regions, weights)


SOURCES: dict[str, Callable[..., IngestResult]] = {
    "cbp_cbsa": ingest_cbp_cbsa,
    "qcew_states": ingest_qcew_states,
    "cbp_counties": ingest_cbp_counties,
    "gb_bres": ingest_gb_bres,
    "ru_rosstat": ingest_ru_shipments,
}


def ingest(source: str, raw: Path, options: dict | None = None) -> IngestResult:
    """Run the reader registered for ``source`` on the raw folder.

    ``options`` (params.yaml ``datasets.<name>.options``) go to the reader as keywords.
    """
    if source not in SOURCES:
        raise UserError(
            f"params.yaml: unknown dataset source '{source}'; known: {', '.join(sorted(SOURCES))}"
        )
    try:
        return SOURCES[source](Path(raw), **(options or {}))
    except TypeError as error:
        if "unexpected keyword" in str(error):
            raise UserError(
                f"params.yaml: dataset option not understood by source '{source}': {error}"
            ) from error
        raise
