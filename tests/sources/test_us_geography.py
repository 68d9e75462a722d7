"""CBSA boundaries and contiguity built from counties."""

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from pipeline.geography.contiguity import (
    adjacency_graph,
    contiguity_graph,
    merged_contiguity,
    weights_table,
)
from pipeline.sources.us_geography import cbsa_csa_codes, cbsa_regions, cbsa_types


def _counties():
    # Four unit squares in a row, and one far away.
    shapes = [
        box(0, 0, 1, 1),
        box(1, 0, 2, 1),
        box(2, 0, 3, 1),
        box(3, 0, 4, 1),
        box(10, 10, 11, 11),
    ]
    return gpd.GeoDataFrame(
        {"county_fips": ["01001", "01003", "01005", "01007", "01009"]},
        geometry=shapes,
        crs="EPSG:4326",
    )


def test_region_contiguity_from_counties():
    pairs = pd.DataFrame(
        {"county_fips": ["01001", "01003", "01005"], "neighbor_fips": ["01003", "01005", "01007"]}
    )
    county_to_region = pd.DataFrame(
        {
            "county_fips": ["01001", "01003", "01005", "01007", "01009"],
            "region_id": ["A", "A", "B", "C", "D"],
        }
    )
    counties = contiguity_graph(pairs["county_fips"], pairs["neighbor_fips"], pairs.stack())
    weights = weights_table(merged_contiguity(counties, county_to_region, ["A", "B", "C", "D"]))
    edges = set(
        zip(
            weights.loc[weights["weight"] > 0, "focal"],
            weights.loc[weights["weight"] > 0, "neighbor"],
            strict=True,
        )
    )
    assert edges == {("A", "B"), ("B", "A"), ("B", "C"), ("C", "B")}
    # D has no neighbour: libpysal's isolate convention, a zero self-weight.
    assert weights[weights["focal"] == "D"][["neighbor", "weight"]].values.tolist() == [["D", 0.0]]


def test_counties_missing_from_adjacency_file_use_geometry():
    counties = _counties()
    listed = pd.DataFrame({"county_fips": ["01001", "01003"], "neighbor_fips": ["01003", "01001"]})
    pairs = weights_table(adjacency_graph(listed, counties))
    pairs = pairs[pairs["weight"] > 0]
    found = set(zip(pairs["focal"], pairs["neighbor"], strict=True))
    assert (
        ("01005", "01007") in found and ("01007", "01005") in found and ("01003", "01005") in found
    )
    assert not any("01009" in pair for pair in found)


def test_cbsa_regions_union_and_unknown_boundary():
    delineation = pd.DataFrame(
        {
            "county_fips": ["01001", "01003", "01005"],
            "cbsa_code": ["10000", "10000", "20000"],
            "cbsa_title": ["Two, AL", "Two, AL", "One, AL"],
        }
    )
    regions = cbsa_regions(["10000", "20000", "99999"], _counties(), delineation).set_index(
        "region_id"
    )
    assert regions.loc["10000", "geometry"].area == 2
    assert regions.loc["10000", "n_counties"] == 2
    assert regions.loc["99999", "geometry"] is None
    assert "boundary unknown" in regions.loc["99999", "name"]
    assert regions.crs.to_epsg() == 4326


DELINEATION = (
    Path(__file__).resolve().parents[2] / "data" / "raw" / "us" / "cbsa_county_delineation_2020.csv"
)


def test_cbsa_types_from_the_real_delineation():
    delineation = pd.read_csv(DELINEATION, dtype=str)
    kinds = cbsa_types(delineation)
    assert kinds["19820"] == "metropolitan"  # Detroit
    assert kinds["10100"] == "micropolitan"  # Aberdeen, SD
    assert set(kinds.unique()) == {"metropolitan", "micropolitan"}
    assert kinds.index.is_unique and len(kinds) == delineation["cbsa_code"].nunique()
    assert cbsa_csa_codes(delineation)["19820"] == "220"  # Detroit-Warren-Ann Arbor CSA


def test_without_the_columns_nothing_is_invented():
    bare = pd.DataFrame({"cbsa_code": ["1"], "county_fips": ["01001"]})
    assert cbsa_types(bare).empty and cbsa_csa_codes(bare).empty
