"""US states (50 + DC) as regions: boundaries dissolved from counties, contiguity from county adjacency.

A state is the union of its counties, whose 5-digit FIPS codes start with the 2-digit state
FIPS. Two states are neighbours when a county of one touches a county of the other in the
Census county adjacency file, which lists counties sharing a boundary or a single point
(so Arizona and Colorado touch at the Four Corners, queen contiguity). The 2023 adjacency
file names Connecticut's 2022 planning regions (09110-09190) instead of its old counties;
at state level that does not matter, since every one of them starts with '09'. Alaska and
Hawaii touch no other state and follow libpysal's isolate convention (a self-pair with
weight 0).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.errors import UserError
from pipeline.geography.boundaries import repair_polygons
from pipeline.geography.contiguity import adjacency_graph, merged_contiguity, weights_table
from pipeline.sources.us_geography import WGS84

# FIPS PUB 5-2 / Census ANSI state codes: the 50 states and the District of Columbia.
STATE_NAMES = {
    "01": "Alabama",
    "02": "Alaska",
    "04": "Arizona",
    "05": "Arkansas",
    "06": "California",
    "08": "Colorado",
    "09": "Connecticut",
    "10": "Delaware",
    "11": "District of Columbia",
    "12": "Florida",
    "13": "Georgia",
    "15": "Hawaii",
    "16": "Idaho",
    "17": "Illinois",
    "18": "Indiana",
    "19": "Iowa",
    "20": "Kansas",
    "21": "Kentucky",
    "22": "Louisiana",
    "23": "Maine",
    "24": "Maryland",
    "25": "Massachusetts",
    "26": "Michigan",
    "27": "Minnesota",
    "28": "Mississippi",
    "29": "Missouri",
    "30": "Montana",
    "31": "Nebraska",
    "32": "Nevada",
    "33": "New Hampshire",
    "34": "New Jersey",
    "35": "New Mexico",
    "36": "New York",
    "37": "North Carolina",
    "38": "North Dakota",
    "39": "Ohio",
    "40": "Oklahoma",
    "41": "Oregon",
    "42": "Pennsylvania",
    "44": "Rhode Island",
    "45": "South Carolina",
    "46": "South Dakota",
    "47": "Tennessee",
    "48": "Texas",
    "49": "Utah",
    "50": "Vermont",
    "51": "Virginia",
    "53": "Washington",
    "54": "West Virginia",
    "55": "Wisconsin",
    "56": "Wyoming",
}

STATE_FIPS_WIDTH = 2


def state_of_county(county_fips: pd.Series) -> pd.Series:
    """The 2-digit state FIPS of 5-digit county FIPS codes (their first two digits)."""
    return county_fips.astype(str).str.zfill(5).str[:STATE_FIPS_WIDTH]


def state_regions(counties: gpd.GeoDataFrame, region_ids: pd.Index | list[str]) -> gpd.GeoDataFrame:
    """One row per state in ``region_ids``: region_id, name, n_counties, geometry.

    Parameters
    ----------
    counties : GeoDataFrame
        County polygons with a 5-digit ``county_fips`` column (see
        :func:`pipeline.sources.us_geography.read_county_geometry`).
    region_ids : sequence of str
        2-digit state FIPS codes to keep; counties of other areas (Puerto Rico '72' in the
        Census files) are dropped.

    Returns
    -------
    GeoDataFrame
        The union of each state's counties, EPSG:4326, sorted by region_id. A requested
        state with no county keeps a null geometry, so it is measured but left out of
        spatial statistics.
    """
    wanted = pd.Index(sorted(set(region_ids)), dtype=str)
    members = counties.assign(region_id=state_of_county(counties["county_fips"]))
    members = members[members["region_id"].isin(wanted)]
    dissolved = members.dissolve(by="region_id", aggfunc={"county_fips": "count"})
    dissolved = dissolved.rename(columns={"county_fips": "n_counties"}).reset_index()
    regions = pd.DataFrame({"region_id": wanted}).merge(dissolved, on="region_id", how="left")
    regions["name"] = (
        regions["region_id"]
        .map(STATE_NAMES)
        .fillna("State " + regions["region_id"] + " (name unknown)")
    )
    regions["n_counties"] = regions["n_counties"].fillna(0).astype("int32")
    result = gpd.GeoDataFrame(regions, geometry="geometry", crs=counties.crs or WGS84)
    result["geometry"] = repair_polygons(result.geometry)  # a union of counties can be invalid
    return result[["region_id", "name", "n_counties", "geometry"]]


def state_contiguity(adjacency: pd.DataFrame, region_ids: pd.Index | list[str]) -> pd.DataFrame:
    """Binary contiguity between states from the Census county adjacency file.

    Parameters
    ----------
    adjacency : DataFrame
        county_fips, neighbor_fips (5-digit strings; self-pairs allowed, they are ignored).
    region_ids : sequence of str
        Every state to include (2-digit FIPS); a state with no neighbour among them
        (Alaska, Hawaii) becomes a self-pair with weight 0.

    Returns
    -------
    DataFrame
        focal, neighbor, weight (1.0 for neighbours, 0.0 for isolates), sorted, symmetric.
    """
    graph = adjacency_graph(adjacency)
    listed = pd.Index(graph.unique_ids.astype(str))
    county_to_state = pd.DataFrame(
        {"county_fips": listed, "region_id": state_of_county(pd.Series(listed)).to_numpy()}
    )
    return weights_table(merged_contiguity(graph, county_to_state, region_ids))


def read_adjacency(path: Path) -> pd.DataFrame:
    """The Census county adjacency CSV with string FIPS codes."""
    try:
        return pd.read_csv(path, dtype=str)
    except FileNotFoundError as error:
        raise UserError(f"{path}: not found; restore it from git (data/raw is tracked)") from error
