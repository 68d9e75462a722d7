"""US counties, 2017-2021: Census County Business Patterns (CBP) county extracts.

The raw folder (``data/raw/us_counties``) holds three files:

* ``cbp_county_naics_2017_2021.parquet``: Census CBP API county extracts, NAICS 2017 at 2-6
  digits plus the all-sector total ``00`` and the range sectors ``31-33``, ``44-45``,
  ``48-49`` (level 2), for 1,875 counties in 38 states, 2017-2021. Columns ``year,
  county_fips, name, naics, naics_level, naics_label, estab, emp, payann``.
* ``us_counties_2017_10m.topojson.json``: Census 2017 cartographic boundaries (us-atlas 3,
  TopoJSON object ``counties``, ``id`` = 5-digit FIPS, unprojected lon/lat). The 2017
  vintage has 02158 Kusilvak, 46102 Oglala Lakota, Alaska's 02261 Valdez-Cordova and
  Connecticut's eight old counties, the codes CBP uses for 2017-2021.
* ``county_adjacency_2023.csv``: Census county adjacency file.

What the reader does, and why:

* **Regions are counties** (``region_id`` = 5-digit FIPS) and the panel keeps every year.
* **Location quotients refer to the 38-state area.** Twelve large states and DC (CA, FL, GA,
  IL, IN, MI, NY, NC, OH, PA, TX, VA, DC) are absent, and e_i and E in
  :func:`pipeline.measures.specialization.location_quotients` are sums over the regions in
  the table. So an LQ here compares a county with the 38 states, not with the nation.
* **Suppressed cells.** CBP publishes no row with fewer than 3 establishments (such cells
  are simply absent). In 2017 it also withheld employment and payroll of 66,971
  published rows, which the API returns as ``emp = 0`` and ``payann = 0``. CBP counts only
  establishments with paid employees during the year, so a published row with ``payann =
  0`` cannot be a true zero: such rows get a null employment and the flag 'suppressed'.
  A row with ``emp = 0`` and ``payann > 0`` (a seasonal business with nobody on the payroll
  in the March reference week) is a reported zero. The withheld cells are missing from the
  industry totals e_i, so 2017 LQs of the reported cells run high (NAICS 3364: e_i 143,874
  in 2017, 205,941 in 2018; Snohomish WA's LQ 50.1 against 35.9): compare years from 2018,
  or fill them (option ``impute_withheld``) and estimate the absent cells (option
  ``estimate_unpublished``) with :mod:`pipeline.sources.withheld_cbp` and
  :mod:`pipeline.sources.unpublished` (:func:`estimate_county_cells`).
* **Region totals.** Every county-year has its total row ``00`` in 2017-2021, but one is
  withheld (Eureka County NV, 32011, in 2017). A withheld or absent total is imputed from
  the same county's reported total in the nearest year (the earlier one on a tie) and
  flagged 'imputed'; summing the published sectors instead would give 68 jobs for Eureka
  2017 against 1,572 reported in 2018, because its gold mines are withheld too. A county
  with no reported total in any year keeps a null, 'suppressed' total.
* **Contiguity** comes from the Census adjacency file through
  :func:`pipeline.geography.contiguity.adjacency_graph`; counties that file does not list
  (Connecticut's old counties and 02261, replaced by 2023) take queen contiguity from the
  polygons (96 adjacency-file pairs, mostly across water, are not polygon-contiguous,
  and 30 polygon touches are not in the file, of 10,646 pairs). Weights are restricted to
  the counties in the data; a county with no neighbour among them (the four Hawaii island
  counties) is an isolate, a self-pair with weight 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from pipeline.classifications.codes import TOTAL_CODE
from pipeline.errors import UserError
from pipeline.geography.boundaries import repair_polygons
from pipeline.geography.contiguity import adjacency_graph, merged_contiguity, weights_table
from pipeline.sources.schema import (
    IngestResult,
    canonical_employment,
    check_employment,
)
from pipeline.sources.unpublished import estimate_unpublished as estimate_unpublished_cells
from pipeline.sources.withheld_cbp import impute_suppressed

CBP_FILE = "cbp_county_naics_2017_2021.parquet"
BOUNDARY_FILE = "us_counties_2017_10m.topojson.json"
BOUNDARY_LAYER = "counties"
ADJACENCY_FILE = "county_adjacency_2023.csv"
CLASSIFICATION = "naics2017"
WGS84 = "EPSG:4326"

CBP_COLUMNS = ["year", "county_fips", "name", "naics", "naics_level", "estab", "emp", "payann"]


def _need(raw: Path, name: str) -> Path:
    path = Path(raw) / name
    if not path.exists():
        raise UserError(f"{path}: not found; the us_counties raw folder must hold {name}")
    return path


def read_cbp_counties(path: Path, state_fips: Sequence[str] | None = None) -> pd.DataFrame:
    """Read the CBP county extract, codes as strings, optionally for some states only.

    Parameters
    ----------
    path : Path
        ``cbp_county_naics_2017_2021.parquet``.
    state_fips : sequence of str, optional
        Two-digit state FIPS codes to keep (for example ``["41", "53"]``); all by default.

    Returns
    -------
    DataFrame
        year, county_fips, name, naics, naics_level, estab, emp, payann.
    """
    try:
        columns = pq.read_schema(path).names
    except FileNotFoundError as error:
        raise UserError(f"{path}: not found; restore it from git (data/raw is tracked)") from error
    except Exception as error:  # pyarrow raises several types for corrupt files
        raise UserError(f"{path}: not a readable Parquet file ({error}); replace it") from error
    missing = [column for column in CBP_COLUMNS if column not in columns]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(CBP_COLUMNS)}"
        )
    states = None
    if state_fips is not None:
        # One (>=, <=) range of county codes per state, pushed down to the Parquet reader.
        states = [
            [("county_fips", ">=", f"{state}000"), ("county_fips", "<=", f"{state}999")]
            for state in state_fips
        ]
    cbp = pd.read_parquet(path, columns=CBP_COLUMNS, filters=states)
    cbp["county_fips"] = cbp["county_fips"].astype(str).str.zfill(5)
    cbp["naics"] = cbp["naics"].astype(str)
    return cbp


def suppressed_cells(cbp: pd.DataFrame) -> pd.Series:
    """True for published rows whose employment CBP withheld (``emp == 0`` and ``payann == 0``).

    CBP's universe is establishments with paid employees at some time in the year (Census
    Bureau, *County Business Patterns Methodology*), so a published cell of three or more
    establishments always has a positive annual payroll; a zero payroll is a withheld value.
    """
    return (cbp["emp"] == 0) & (cbp["payann"] == 0)


def county_employment(cbp: pd.DataFrame) -> pd.DataFrame:
    """Turn the CBP county extract into the canonical employment table (all years).

    Parameters
    ----------
    cbp : DataFrame
        :func:`read_cbp_counties` output.

    Returns
    -------
    DataFrame
        The canonical table (:mod:`pipeline.sources.schema`): region_id = county FIPS,
        industry_code = NAICS 2017 code as published ('00' total, level 0; '31-33' etc.
        level 2), employment null and flag 'suppressed' for withheld cells
        (:func:`suppressed_cells`), withheld or absent totals imputed by
        :func:`impute_region_totals`.
    """
    industry_code = cbp["naics"].astype(str)
    withheld = suppressed_cells(cbp)
    employment = cbp["emp"].astype("float64").where(~withheld)
    table = pd.DataFrame(
        {
            "region_id": cbp["county_fips"].astype(str).str.zfill(5),
            "industry_code": industry_code,
            "industry_level": cbp["naics_level"]
            .astype("int8")
            .where(industry_code != TOTAL_CODE, 0),
            "year": cbp["year"],
            "employment": employment,
            "establishments": cbp["estab"].astype("float64"),
            "classification": CLASSIFICATION,
            "employment_flag": np.where(withheld, "suppressed", "reported"),
        }
    )
    return impute_region_totals(canonical_employment(table))


def impute_region_totals(employment: pd.DataFrame) -> pd.DataFrame:
    """Fill withheld or absent all-industry totals from the region's nearest reported year.

    Parameters
    ----------
    employment : DataFrame
        A canonical employment table covering several years.

    Returns
    -------
    DataFrame
        The same table in which every region-year with any row also has a total row
        (industry_code '00', level 0). A total that was null, or absent, takes the region's
        reported total of the nearest year (the earlier year on a tie) with the flag
        'imputed'; an added row has a null establishment count. A region with no reported
        total in any year keeps a null total flagged 'suppressed'.

    Notes
    -----
    A carried-forward (or backward) total is the usual last-observation fill of panel
    practice; it is preferred here to the sum of the published sectors because CBP
    withholds a county's total exactly when a few large establishments dominate it, and
    those are then withheld in their sectors too.
    """
    is_total = employment["industry_level"] == 0
    region_years = employment[["year", "region_id"]].drop_duplicates()
    totals = employment.loc[is_total, ["year", "region_id", "employment"]]
    without = region_years.merge(totals, on=["year", "region_id"], how="left", indicator=True)
    absent = without.loc[without["_merge"] == "left_only", ["year", "region_id"]]
    if len(absent):
        added = absent.assign(
            industry_code=TOTAL_CODE,
            industry_level=0,
            employment=np.nan,
            establishments=np.nan,
            classification=employment["classification"].iloc[0],
            employment_flag="suppressed",
        )
        employment = canonical_employment(pd.concat([employment, added], ignore_index=True))
        is_total = employment["industry_level"] == 0
    missing = employment.loc[is_total & employment["employment"].isna(), ["year", "region_id"]]
    if missing.empty:
        return employment
    reported = employment.loc[is_total & employment["employment"].notna()]
    candidates = missing.reset_index().merge(
        reported[["region_id", "year", "employment"]],
        on="region_id",
        suffixes=("", "_reported"),
    )
    candidates["distance"] = (
        candidates["year"].astype(int) - candidates["year_reported"].astype(int)
    ).abs()
    nearest = candidates.sort_values(["index", "distance", "year_reported"]).drop_duplicates(
        "index"
    )
    employment = employment.copy()
    employment.loc[nearest["index"], "employment"] = nearest["employment"].to_numpy()
    employment.loc[nearest["index"], "employment_flag"] = "imputed"
    return employment


def read_county_boundaries(path: Path) -> gpd.GeoDataFrame:
    """County polygons from the us-atlas TopoJSON (layer ``counties``), valid, in EPSG:4326.

    Returns
    -------
    GeoDataFrame
        county_fips (5-digit string), geometry. The file carries no CRS (TopoJSON
        coordinates are lon/lat), so EPSG:4326 is set after checking that the coordinates
        lie within lon/lat bounds. Invalid polygons (22 in the 2017 10m file, from
        quantisation) are repaired (:func:`pipeline.geography.boundaries.repair_polygons`), which keeps
        them polygonal; an empty polygon becomes a null geometry.
    """
    try:
        counties = gpd.read_file(path, layer=BOUNDARY_LAYER)
    except Exception as error:  # pyogrio raises DataSourceError and others
        raise UserError(
            f"{path}: cannot read layer '{BOUNDARY_LAYER}' ({error}); use the us-atlas "
            "counties TopoJSON (counties-10m.json)"
        ) from error
    if "id" not in counties.columns:
        raise UserError(f"{path}: layer '{BOUNDARY_LAYER}' has no 'id' (county FIPS) field")
    if counties.crs is None:
        west, south, east, north = counties.total_bounds
        if west < -180 or east > 180 or south < -90 or north > 90:
            raise UserError(
                f"{path}: coordinates exceed lon/lat bounds, so they are projected; "
                "use an unprojected (lon/lat) TopoJSON"
            )
        counties = counties.set_crs(WGS84)
    counties = counties.to_crs(WGS84)
    boundaries = gpd.GeoDataFrame(
        {"county_fips": counties["id"].astype(str).str.zfill(5)},
        geometry=counties.geometry,
        crs=counties.crs,
    )
    # us-atlas stores a county too small for its resolution (51610 Falls Church) as empty.
    boundaries.loc[boundaries.geometry.is_empty, "geometry"] = None
    return boundaries.set_geometry(repair_polygons(boundaries.geometry))


def county_regions(names: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per county in ``names``: region_id, name, geometry (EPSG:4326).

    Parameters
    ----------
    names : DataFrame
        county_fips, name (CBP's 'Snohomish County, Washington'); one row per county.
    boundaries : GeoDataFrame
        :func:`read_county_boundaries` output.

    Returns
    -------
    GeoDataFrame
        Counties without a polygon (absent, or empty in the boundary file) keep a null
        geometry: they are measured, but left out of maps and spatial weights.
    """
    regions = names.rename(columns={"county_fips": "region_id"})[["region_id", "name"]]
    regions = regions.merge(
        boundaries.rename(columns={"county_fips": "region_id"}), on="region_id", how="left"
    )
    regions = gpd.GeoDataFrame(regions, geometry="geometry", crs=boundaries.crs)
    return regions.sort_values("region_id", ignore_index=True)


def county_contiguity(
    adjacency: pd.DataFrame, boundaries: gpd.GeoDataFrame, region_ids: Sequence[str]
) -> pd.DataFrame:
    """Binary contiguity between the counties in ``region_ids``.

    Returns
    -------
    DataFrame
        focal, neighbor, weight: 1.0 for each ordered pair of neighbouring counties that are
        both in ``region_ids``, and a self-pair with weight 0.0 for a county without one
        (libpysal's isolate convention).
    """
    wanted = pd.Index(sorted(set(region_ids)), dtype=str)
    present = boundaries[boundaries["county_fips"].isin(wanted) & boundaries.geometry.notna()]
    identity = pd.DataFrame({"county_fips": wanted, "region_id": wanted})
    return weights_table(merged_contiguity(adjacency_graph(adjacency, present), identity, wanted))


def estimate_county_cells(
    employment: pd.DataFrame,
    *,
    impute_withheld: bool,
    estimate_unpublished: bool,
    unpublished_weight: str,
    unpublished_selection: str,
    max_unpublished_establishments: float,
) -> pd.DataFrame:
    """Fill the panel's withheld cells and add its unpublished ones (flag 'imputed').

    Parameters
    ----------
    employment : DataFrame
        :func:`county_employment` output.
    impute_withheld : bool
        Fill the 2017 withheld rows (null, 'suppressed') with
        :func:`pipeline.sources.withheld_cbp.impute_suppressed`: their establishments times
        the industry's average size, fitted to the parent's residual (the extract has no
        size classes).
    estimate_unpublished : bool
        Add the cells CBP does not publish (fewer than 3 establishments) with
        :func:`pipeline.sources.unpublished.estimate_unpublished`, year by year.
    unpublished_weight, unpublished_selection, max_unpublished_establishments
        Its ``weight``, ``selection`` and ``max_establishments`` (used when
        ``estimate_unpublished``; params.yaml sets them either way).

    Returns
    -------
    DataFrame
        The canonical table. On the 2017-2021 panel the withheld step fills 66,971 rows and
        the unpublished step adds about 455,000 cells a year (median 10 jobs), after which
        six-digit industries hold 99.9 % of the county totals (79.3 % in 2017 and 86.6 % in
        2019 before). Hold-out (2019, 20 % of the cells with 3 establishments hidden):
        median APE 0.171, 75.3 % within a factor of 2.
    """
    if impute_withheld:
        employment = impute_suppressed(employment)
    if estimate_unpublished:
        employment = estimate_unpublished_cells(
            employment,
            weight=unpublished_weight,
            selection=unpublished_selection,
            max_establishments=max_unpublished_establishments,
        )
    return employment


def ingest_cbp_counties(
    raw: Path,
    *,
    impute_withheld: bool,
    estimate_unpublished: bool,
    unpublished_weight: str,
    unpublished_selection: str,
    max_unpublished_establishments: float,
) -> IngestResult:
    """CBP county panel 2017-2021 with county boundaries and contiguity.

    Parameters
    ----------
    raw : Path
        Folder holding ``cbp_county_naics_2017_2021.parquet``,
        ``us_counties_2017_10m.topojson.json`` and ``county_adjacency_2023.csv``.
    impute_withheld, estimate_unpublished, unpublished_weight, unpublished_selection, \
max_unpublished_establishments
        params.yaml ``datasets.<name>.options``, see :func:`estimate_county_cells`.

    Returns
    -------
    IngestResult
        employment: the canonical table for every year (see the module docstring for
        suppressed cells and imputed totals); regions: region_id, name, geometry for the
        counties in the data; weights: binary contiguity among those counties.
    """
    cbp = read_cbp_counties(_need(raw, CBP_FILE))
    employment = estimate_county_cells(
        county_employment(cbp),
        impute_withheld=impute_withheld,
        estimate_unpublished=estimate_unpublished,
        unpublished_weight=unpublished_weight,
        unpublished_selection=unpublished_selection,
        max_unpublished_establishments=max_unpublished_establishments,
    )
    employment = check_employment(employment, str(Path(raw) / CBP_FILE))
    boundaries = read_county_boundaries(_need(raw, BOUNDARY_FILE))
    latest_names = cbp.sort_values("year").drop_duplicates("county_fips", keep="last")[
        ["county_fips", "name"]
    ]
    regions = county_regions(latest_names, boundaries)
    adjacency_path = _need(raw, ADJACENCY_FILE)
    adjacency = pd.read_csv(adjacency_path, dtype=str)
    if not {"county_fips", "neighbor_fips"} <= set(adjacency.columns):
        raise UserError(f"{adjacency_path}: needs columns county_fips and neighbor_fips")
    weights = county_contiguity(adjacency, boundaries, regions["region_id"])
    return IngestResult(employment, regions, weights)
