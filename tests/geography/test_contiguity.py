"""Queen contiguity from region polygons (one builder, a libpysal Graph), isolates, repair."""

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from pipeline.errors import UserError
from pipeline.geography.boundaries import prepare_boundaries
from pipeline.geography.contiguity import (
    graph_from_weights,
    isolates,
    polygon_contiguity,
    weights_table,
)


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
    queen = weights_table(polygon_contiguity(_squares()))
    rook = weights_table(polygon_contiguity(_squares(), rook=True))
    assert ("A", "D") in _edges(queen) and ("B", "C") in _edges(queen)
    assert ("A", "D") not in _edges(rook)
    assert len(_edges(queen)) == 12 and len(_edges(rook)) == 8
    assert isolates(queen) == ["E"]
    assert queen[queen["focal"] == "E"][["neighbor", "weight"]].values.tolist() == [["E", 0.0]]


def test_regions_without_geometry_are_left_out():
    regions = _squares()
    regions.loc[4, "geometry"] = None
    weights = weights_table(polygon_contiguity(regions))
    assert "E" not in set(weights["focal"])


def test_duplicate_region_is_a_user_error():
    regions = _squares()
    regions.loc[4, "region_id"] = "A"
    with pytest.raises(UserError, match="'A'"):
        polygon_contiguity(regions)


def test_self_intersecting_ring_is_repaired_to_a_polygon():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    regions = gpd.GeoDataFrame({"region_id": ["X"]}, geometry=[bowtie], crs="EPSG:4326")
    fixed = prepare_boundaries(regions, "test boundaries")
    assert fixed.geometry.is_valid.all()
    assert fixed.geom_type.iloc[0] == "MultiPolygon"
    assert fixed.geometry.iloc[0].area == pytest.approx(2.0)


def test_weights_table_round_trips_through_graph():
    graph = polygon_contiguity(_squares())
    again = graph_from_weights(weights_table(graph))
    assert weights_table(again).equals(weights_table(graph))
    assert list(again.isolates) == ["E"]


def test_points_are_not_boundaries():
    points = gpd.GeoDataFrame(
        {"region_id": ["A"]}, geometry=gpd.points_from_xy([0.0], [0.0]), crs="EPSG:4326"
    )
    with pytest.raises(UserError, match="feature 1 is a Point"):
        prepare_boundaries(points, "points.geojson")
