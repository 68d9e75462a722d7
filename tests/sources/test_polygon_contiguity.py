"""Queen contiguity from region polygons, with libpysal's isolate convention."""

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from pipeline.errors import UserError
from pipeline.sources.polygon_contiguity import isolates, polygon_contiguity, valid_polygons


def _squares() -> gpd.GeoDataFrame:
    # A 2x2 block (A B / C D), and E far away.
    return gpd.GeoDataFrame(
        {"region_id": ["A", "B", "C", "D", "E"]},
        geometry=[
            box(0, 1, 1, 2),
            box(1, 1, 2, 2),
            box(0, 0, 1, 1),
            box(1, 0, 2, 1),
            box(5, 5, 6, 6),
        ],
        crs="EPSG:4326",
    )


def _edges(weights):
    positive = weights[weights["weight"] > 0]
    return set(zip(positive["focal"], positive["neighbor"], strict=True))


def test_queen_counts_corners_rook_does_not():
    queen = polygon_contiguity(_squares())
    rook = polygon_contiguity(_squares(), rook=True)
    assert ("A", "D") in _edges(queen) and ("B", "C") in _edges(queen)
    assert ("A", "D") not in _edges(rook)
    assert len(_edges(queen)) == 12 and len(_edges(rook)) == 8
    assert isolates(queen) == ["E"]
    assert queen[queen["focal"] == "E"][["neighbor", "weight"]].values.tolist() == [["E", 0.0]]


def test_regions_without_geometry_are_left_out():
    regions = _squares()
    regions.loc[4, "geometry"] = None
    weights = polygon_contiguity(regions)
    assert "E" not in set(weights["focal"])


def test_duplicate_region_is_a_user_error():
    regions = _squares()
    regions.loc[4, "region_id"] = "A"
    with pytest.raises(UserError, match="'A'"):
        polygon_contiguity(regions)


def test_self_intersecting_ring_is_repaired_to_a_polygon():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    regions = gpd.GeoDataFrame({"region_id": ["X"]}, geometry=[bowtie], crs="EPSG:4326")
    fixed = valid_polygons(regions)
    assert fixed.geometry.is_valid.all()
    assert fixed.geom_type.iloc[0] == "MultiPolygon"
    assert fixed.geometry.iloc[0].area == pytest.approx(2.0)
