"""ONS Business Register and Employment Survey (BRES): GB NUTS-2 regions x SIC 2007 sections.

The embedded extract (``data/raw/gb/``, see its README) holds **full-time employees**
(part-time excluded, so not total employment) in the 40 NUTS 2016 level-2 regions of Great
Britain (Northern Ireland is outside BRES) for the 19 SIC 2007 sections A-S, 2015-2022.
SIC 2007 sections are NACE Rev.2 sections, so the table is classified 'nace_r2' at
industry_level 1 (sections). Values are fractional as published through Nomis (BRES
rounds and the source summed 5-digit cells); they stay float.

BRES publishes no all-industry total at this cut, so the total row '00' is the sum of the
19 sections (sections T and U, households and extraterritorial bodies, were dropped by the
source and are negligible). Fifteen agriculture (A) cells, the five Scottish regions in
2015-2017, are empty: they are kept as null with the flag 'suppressed', and those
region-years' totals are the sum of the other 18 sections, flagged 'imputed'. BRES also
leaves out most farm agriculture, so section A is small everywhere.

Boundaries: Eurostat GISCO NUTS 2016, 1:1 million, the 40 GB level-2 regions, unchanged
(not simplified). Contiguity is queen contiguity of those polygons: Highlands and Islands
(UKM6) touches UKM5, UKM7 and UKM8 through its mainland part, Cornwall (UKK3) only Devon,
and no GB region is an isolate.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.errors import UserError
from pipeline.geography.boundaries import prepare_boundaries
from pipeline.geography.contiguity import polygon_contiguity, weights_table
from pipeline.sources.schema import IngestResult, canonical_employment, check_employment
from pipeline.sources.section_totals import with_section_total

BRES_FILE = "uk_gb_nuts2_bres_fulltime_employees_by_sic_section_2015_2022.csv"
BOUNDARY_FILE = "nuts2016_01m_level2_gb.geojson"
BRES_COLUMNS = ["nuts2016_id", "region_name", "year", "sic2007_section", "fulltime_employees"]
BRES_SECTIONS = tuple("ABCDEFGHIJKLMNOPQRS")
SECTION_LEVEL = 1
CLASSIFICATION = "nace_r2"


def bres_employment(bres: pd.DataFrame) -> pd.DataFrame:
    """Turn the BRES section extract into the canonical employment table.

    Parameters
    ----------
    bres : DataFrame
        Columns ``nuts2016_id, region_name, year, sic2007_section, fulltime_employees``
        (codes as strings).

    Returns
    -------
    DataFrame
        Canonical table: region_id (NUTS 2016 code, e.g. 'UKG3'), industry_code (section
        letter A-S, or '00' for the derived total), industry_level (1, or 0 for the
        total), year, employment (full-time employees; null where BRES is empty),
        establishments (null: not in this extract), classification 'nace_r2',
        employment_flag.
    """
    missing = [column for column in BRES_COLUMNS if column not in bres.columns]
    if missing:
        raise UserError(
            f"BRES table: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(BRES_COLUMNS)}"
        )
    unknown = sorted(set(bres["sic2007_section"].astype(str)) - set(BRES_SECTIONS))
    if unknown:
        raise UserError(
            f"BRES table: column sic2007_section holds {unknown}; only sections A-S are expected"
        )
    employees = pd.to_numeric(bres["fulltime_employees"], errors="coerce")
    sections = pd.DataFrame(
        {
            "region_id": bres["nuts2016_id"].astype(str).str.strip(),
            "industry_code": bres["sic2007_section"].astype(str),
            "industry_level": SECTION_LEVEL,
            "year": bres["year"].astype(int),
            "employment": employees,
            "establishments": np.nan,
            "classification": CLASSIFICATION,
            "employment_flag": np.where(employees.isna(), "suppressed", "reported"),
        }
    )
    if (employees < 0).any():
        row = int(np.flatnonzero((employees < 0).to_numpy())[0])
        raise UserError(f"BRES table: row {row + 2} has a negative fulltime_employees value")
    return canonical_employment(with_section_total(sections, BRES_SECTIONS))


def nuts_regions(nuts: gpd.GeoDataFrame, region_ids: list[str] | pd.Index) -> gpd.GeoDataFrame:
    """The NUTS regions in ``region_ids``: region_id, name, geometry (valid, EPSG:4326).

    Raises a :class:`UserError` naming the first region code that has no polygon.
    """
    if not {"NUTS_ID", "NAME_LATN"} <= set(nuts.columns):
        raise UserError("NUTS boundaries: need the GISCO properties NUTS_ID and NAME_LATN")
    wanted = pd.Index(sorted(set(region_ids)), dtype=str)
    absent = wanted.difference(pd.Index(nuts["NUTS_ID"].astype(str)))
    if len(absent):
        raise UserError(
            f"NUTS boundaries: no polygon for region '{absent[0]}'; "
            "use the NUTS 2016 level-2 GISCO layer"
        )
    chosen = nuts[nuts["NUTS_ID"].astype(str).isin(wanted)]
    regions = gpd.GeoDataFrame(
        {
            "region_id": chosen["NUTS_ID"].astype(str).to_numpy(),
            "name": chosen["NAME_LATN"].astype(str).to_numpy(),
        },
        geometry=chosen.geometry.to_numpy(),
        crs=nuts.crs,
    )
    regions = prepare_boundaries(regions, "NUTS boundaries")
    return regions.sort_values("region_id", ignore_index=True)


def ingest_gb_bres(raw: Path) -> IngestResult:
    """BRES GB NUTS-2 sections, NUTS 2016 boundaries and their queen contiguity."""
    raw = Path(raw)
    bres_path, boundary_path = raw / BRES_FILE, raw / BOUNDARY_FILE
    for path in (bres_path, boundary_path):
        if not path.exists():
            raise UserError(f"{path}: not found; the dataset's raw folder must hold {path.name}")
    bres = pd.read_csv(bres_path, dtype={"nuts2016_id": str, "sic2007_section": str})
    try:
        employment = bres_employment(bres)
    except UserError as error:
        raise UserError(f"{bres_path}: {error}") from error
    employment = check_employment(employment, str(bres_path))
    try:
        regions = nuts_regions(gpd.read_file(boundary_path), employment["region_id"].unique())
    except UserError as error:
        raise UserError(f"{boundary_path}: {error}") from error
    return IngestResult(employment, regions, weights_table(polygon_contiguity(regions)))
