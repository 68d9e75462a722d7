"""US region geometries and contiguity: counties -> metro/micro areas (CBSAs).

A CBSA is a union of whole counties (OMB delineation), so its boundary is the union of
its member counties and two CBSAs are neighbours when any of their counties are
(Census county adjacency file).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.errors import UserError
from pipeline.geography.boundaries import repair_polygons

WGS84 = "EPSG:4326"


def read_county_geometry(path: Path) -> gpd.GeoDataFrame:
    """County polygons with a 5-digit ``county_fips`` column, in EPSG:4326."""
    counties = gpd.read_file(path)
    if "id" in counties.columns:
        fips = counties["id"].astype(str)
    elif {"STATE", "COUNTY"} <= set(counties.columns):
        fips = counties["STATE"].astype(str) + counties["COUNTY"].astype(str)
    else:
        raise UserError(f"{path}: no county FIPS field ('id' or STATE+COUNTY); use a Census file")
    counties = gpd.GeoDataFrame({"county_fips": fips.str.zfill(5)}, geometry=counties.geometry)
    return counties.to_crs(WGS84) if counties.crs is not None else counties.set_crs(WGS84)


def read_delineation(path: Path) -> pd.DataFrame:
    """OMB county -> CBSA delineation with string codes."""
    delineation = pd.read_csv(path, dtype=str)
    needed = {"county_fips", "cbsa_code", "cbsa_title"}
    if not needed <= set(delineation.columns):
        missing = ", ".join(sorted(needed - set(delineation.columns)))
        raise UserError(f"{path}: missing column(s) {missing}")
    return delineation


def cbsa_regions(
    region_ids: pd.Index | list[str],
    counties: gpd.GeoDataFrame,
    delineation: pd.DataFrame,
) -> gpd.GeoDataFrame:
    """One row per CBSA in ``region_ids``: region_id, name, n_counties, csa_code, geometry.

    ``csa_code`` is the OMB combined statistical area the CBSA belongs to (null where it
    belongs to none, or the delineation has no ``csa_code`` column); regional clusters
    merge adjacent CBSAs only within one CSA. The geometry is the union of member-county
    polygons. A CBSA absent from the
    delineation (CBP tabulates some areas on an older vintage) keeps an empty geometry and
    the name 'CBSA <code> (boundary unknown)', so that it is still measured but left out of
    spatial statistics.
    """
    members = delineation.merge(counties, on="county_fips", how="inner")
    members = gpd.GeoDataFrame(members, geometry="geometry", crs=counties.crs)
    dissolved = members.dissolve(
        by="cbsa_code", aggfunc={"cbsa_title": "first", "county_fips": "count"}
    )
    dissolved = dissolved.rename(columns={"cbsa_title": "name", "county_fips": "n_counties"})
    regions = pd.DataFrame({"region_id": pd.Index(sorted(set(region_ids)), dtype=str)})
    regions = regions.merge(
        dissolved.reset_index().rename(columns={"cbsa_code": "region_id"}),
        on="region_id",
        how="left",
    )
    unknown = regions["name"].isna()
    regions.loc[unknown, "name"] = (
        "CBSA " + regions.loc[unknown, "region_id"] + " (boundary unknown)"
    )
    regions["n_counties"] = regions["n_counties"].fillna(0).astype("int32")
    regions["geometry"] = regions["geometry"].where(~unknown, None)
    regions["csa_code"] = regions["region_id"].map(cbsa_csa_codes(delineation)).astype("str")
    regions["region_type"] = regions["region_id"].map(cbsa_types(delineation)).astype("str")
    result = gpd.GeoDataFrame(regions, geometry="geometry", crs=counties.crs)
    result["geometry"] = repair_polygons(result.geometry)  # a union of counties can be invalid
    return result[["region_id", "name", "n_counties", "csa_code", "region_type", "geometry"]]


def cbsa_types(delineation: pd.DataFrame) -> pd.Series:
    """'metropolitan' or 'micropolitan' by CBSA code (OMB; empty without ``metro_micro``).

    The US Cluster Mapping ranks a cluster's regions within one region type; its metro
    figures cover metropolitan areas only, so metros are ranked apart from micros.
    """
    if "metro_micro" not in delineation.columns:
        return pd.Series(dtype="str")
    pairs = delineation[["cbsa_code", "metro_micro"]].dropna().drop_duplicates("cbsa_code")
    kind = pairs["metro_micro"].str.lower().str.extract(r"(metropolitan|micropolitan)")[0]
    return pd.Series(kind.to_numpy(), index=pairs["cbsa_code"].astype(str))


def cbsa_csa_codes(delineation: pd.DataFrame) -> pd.Series:
    """CSA code by CBSA code (absent CBSAs have none; empty when no ``csa_code`` column).

    OMB delineates a CSA as adjacent CBSAs whose employment interchange measure is at
    least 15 (2020 standards, 86 FR 37770), so it bounds one labour market.
    """
    if "csa_code" not in delineation.columns:
        return pd.Series(dtype="str")
    pairs = delineation[["cbsa_code", "csa_code"]].dropna().drop_duplicates("cbsa_code")
    return pairs.set_index("cbsa_code")["csa_code"].astype(str)
