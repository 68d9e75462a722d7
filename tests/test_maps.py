"""Offline maps: geometry for the web, LQ classes, labels, and every kind of page drawn in Chromium."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from pipeline import maps
from pipeline.config import project_settings
from tests.rendering import (
    DATASETS,
    blend,
    built_dataset,
    drawn_share,
    pixels_near,
    screenshot,
)

SETTINGS = project_settings().maps


def test_wrap_antimeridian_joins_the_halves_of_an_eastern_region():
    """Chukotka-like: parts at 178..180 and -180..-178 become one polygon 178..182."""
    frame = gpd.GeoDataFrame(
        {"region_id": ["chukotka", "yakutia"]},
        geometry=[
            MultiPolygon([box(178, 60, 180, 62), box(-180, 60, -178, 62)]),
            box(100, 60, 140, 70),
        ],
        crs=4326,
    )
    wrapped = maps.wrap_antimeridian(frame)
    chukotka = wrapped.geometry.iloc[0]
    assert chukotka.geom_type == "Polygon"
    assert tuple(round(v, 6) for v in chukotka.bounds) == (178, 60, 182, 62)
    assert wrapped.geometry.iloc[1].equals(frame.geometry.iloc[1])


def test_wrap_antimeridian_moves_aleutian_parts_west_for_western_data():
    frame = gpd.GeoDataFrame(
        {"region_id": ["alaska", "washington"]},
        geometry=[
            MultiPolygon([box(-170, 55, -140, 70), box(172, 52, 180, 53), box(-180, 52, -175, 53)]),
            box(-124, 45, -117, 49),
        ],
        crs=4326,
    )
    alaska = maps.wrap_antimeridian(frame).geometry.iloc[0]
    assert tuple(round(v, 6) for v in alaska.bounds) == (-188, 52, -140, 70)


def test_simplify_for_web_keeps_rows_without_geometry():
    frame = gpd.GeoDataFrame({"region_id": ["a", "b"]}, geometry=[box(0, 0, 1, 1), None], crs=4326)
    simplified = maps.simplify_for_web(frame, 0.01, 3)
    assert simplified["region_id"].tolist() == ["a", "b"]
    assert maps.web_geometry(frame, 0.01, 3)["region_id"].tolist() == ["a"]


def test_lq_classes_fixed_breaks():
    lq = pd.Series([0.1, 0.5, 0.79, 1.0, 1.25, 1.99, 2.0, 4.0, 37.0, np.nan])
    classes = maps.lq_classes(lq, (0.5, 0.8, 1.25, 2.0, 4.0))
    assert classes.tolist() == [0, 1, 1, 2, 3, 3, 4, 5, 5, -1]
    legend = maps.lq_legend((0.5, 0.8, 1.25, 2.0, 4.0))
    assert [e["label"] for e in legend][:2] == [">= 4", "2 to < 4"]
    assert legend[-1]["label"] == "no employment"


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Seattle-Tacoma-Bellevue, WA", "Seattle, WA"),
        ("Philadelphia-Camden-Wilmington, PA-NJ-DE-MD", "Philadelphia, PA"),
        ("Louisville/Jefferson County, KY-IN", "Louisville, KY"),
        ("Tees Valley and Durham", "Tees Valley and Durham"),
        ("Republic of Adygea", "Republic of Adygea"),
    ],
)
def test_short_place_name(name, short):
    assert maps.short_place_name(name) == short


def test_place_labels_keeps_them_apart():
    candidates = pd.DataFrame(
        {"x": [0.0, 100e3, 500e3, 520e3, 1000e3], "y": 0.0, "text": list("abcde")}
    )
    placed = maps.place_labels(candidates, count=3, spacing=350e3)
    assert placed["text"].tolist() == ["a", "c", "e"]
    assert maps.place_labels(candidates, count=1, spacing=350e3)["text"].tolist() == ["a"]


def test_albers_parallels_follow_the_sixths_rule():
    frame = gpd.GeoDataFrame(geometry=[box(-125, 24, -66, 50)], crs=4326)
    assert maps.albers_for(frame) == (
        "+proj=aea +lat_1=28.33 +lat_2=45.67 +lat_0=37.00 +lon_0=-95.50 +datum=WGS84 +units=m"
    )


def test_leading_clusters_are_the_largest_traded():
    strength = pd.DataFrame(
        {
            "year": [2019] * 5 + [2018],
            "cluster_code": ["1", "1", "2", "3", "4", "2"],
            "cluster_name": ["A", "A", "B", "C", "D", "B"],
            "cluster_type": ["traded", "traded", "traded", "local", "traded", "traded"],
            "employment": [10.0, 5.0, 12.0, 99.0, 1.0, 1000.0],
        }
    )
    leaders = maps.leading_clusters(strength, 2, 2019)
    assert leaders["cluster_code"].tolist() == ["1", "2"]
    assert leaders["employment"].tolist() == [15.0, 12.0]


def test_script_json_cannot_close_the_script_tag():
    text = maps.script_json({"p": "<b>x</b></script><script>alert(1)</script>"})
    assert "</" not in text
    assert json.loads(text)["p"].endswith("</script>")


def _tiny_tables():
    regions = gpd.GeoDataFrame(
        {"region_id": ["r1", "r2", "r3"], "name": ["Alpha, WA", "Beta, OR", "Gamma, ID"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), None],
        crs=4326,
    )
    clusters = gpd.GeoDataFrame(
        {
            "regional_cluster_id": ["2019-001-01", "2019-002-01", "2019-003-01"],
            "year": [2019, 2019, 2019],
            "cluster_code": ["1", "2", "3"],
            "cluster_name": ["Aerospace", "Software <&>", "Lost"],
            "region_ids": [["r1", "r2"], ["r2"], ["r3"]],
            "employment": [100.0, 50.0, 10.0],
            "lq": [2.5, 1.5, 1.1],
            "max_stars": [2, 1, 0],
            "top_industries": [["336411"], ["511210"], ["111"]],
            "technology_score": [0.1, 0.9, 0.0],
            "label": ["industrial-production", "technology", "other"],
        },
        geometry=[box(0, 0, 2, 1), box(1, 0, 2, 1), None],
        crs=4326,
    )
    return regions, clusters


def _spec(page: maps.OfflineMap) -> dict:
    found = re.search(
        r'<script type="application/json" id="map-data">(.*?)</script>', page.html, re.S
    )
    assert found
    return json.loads(found.group(1))


def test_clusters_map_has_one_layer_per_label_and_named_popups():
    regions, clusters = _tiny_tables()
    page = maps.clusters_map(
        regions, clusters, SETTINGS, titles={"336411": "Aircraft Manufacturing"}
    )
    spec = _spec(page)
    counts = {layer["name"]: len(layer["features"]) for layer in spec["layers"]}
    assert counts == {"technology": 1, "industrial-production": 1, "other": 0}
    assert spec["layers"][-1]["name"] == "technology"  # drawn last, on top
    popups = [f["properties"]["p"] for layer in spec["layers"] for f in layer["features"]]
    assert any("Alpha, WA; Beta, OR" in p and "336411 Aircraft Manufacturing" in p for p in popups)
    assert any("Software &lt;&amp;&gt;" in p for p in popups)  # names are escaped
    assert "1 without a known boundary" in page.html
    assert len(spec["base"]["features"]) == 2


def test_pages_load_nothing_from_the_network():
    regions, clusters = _tiny_tables()
    html = maps.clusters_map(regions, clusters, SETTINGS).html
    assert "<link" not in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert maps.vendored("leaflet/leaflet.js")[:200] in html


# ---------------------------------------------------------------------------------------------
# Rendering in headless Chromium

DATASET_PARAMS = [pytest.param(dataset, id=dataset) for dataset in DATASETS]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("maps")


def _leading_code(folder) -> str:
    pages = sorted(folder.glob("lq_*.html"))
    assert pages, f"{folder}: no LQ map"
    return pages[0].stem.removeprefix("lq_")


@pytest.mark.parametrize("dataset", DATASET_PARAMS)
def test_cluster_map_renders_with_label_colours(dataset, scratch):
    processed = built_dataset(dataset, scratch / dataset)
    page = processed / "maps" / "regional_clusters.html"
    assert page.stat().st_size < 6e6, f"{page}: {page.stat().st_size / 1e6:.1f} MB"
    spec = _spec(maps.OfflineMap("", page.read_text(encoding="utf-8")))
    pixels = screenshot(page, "bare", scratch)
    assert drawn_share(pixels) > 0.02, "the map is blank"
    colours = [maps.LABEL_COLOURS[layer["name"]] for layer in spec["layers"] if layer["features"]]
    # All labels together: the topmost layer (technology when present) shows its own colour.
    top = [layer for layer in spec["layers"] if layer["features"]][-1]
    assert _label_pixels(pixels, top["colour"]) > 20, f"{top['name']} is not on top"
    for layer in spec["layers"]:
        if not layer["features"]:
            continue
        # One layer alone ('#only='): where footprints of all labels overlap (US states) a
        # bottom layer's colour is blended away in the full map, but each must be drawn.
        alone = screenshot(page, f"bare&only={layer['name']}", scratch)
        found = _label_pixels(alone, layer["colour"])
        assert found > 20, f"{layer['name']} ({layer['colour']}) is not drawn: {found} pixels"
        others = [c for c in colours if c != layer["colour"]]
        assert all(_label_pixels(alone, c) < 5 for c in others), "other labels leak into a layer"


def _label_pixels(pixels, colour: str) -> int:
    """Pixels of a label's footprints: its stroke, or its fill over the base regions."""
    fill = blend(colour, SETTINGS.fill_opacity, maps.BASE_FILL)
    return pixels_near(pixels, colour, 40) + pixels_near(pixels, fill)


@pytest.mark.parametrize("dataset", DATASET_PARAMS)
def test_lq_and_lisa_maps_render_their_classes(dataset, scratch):
    processed = built_dataset(dataset, scratch / dataset)
    code = _leading_code(processed / "maps")
    for kind in ("lq", "lisa"):
        page = processed / "maps" / f"{kind}_{code}.html"
        spec = _spec(maps.OfflineMap("", page.read_text(encoding="utf-8")))
        colours = pd.Series(
            [f["properties"]["c"] for f in spec["layers"][0]["features"]]
        ).value_counts()
        pixels = screenshot(page, "bare", scratch)
        assert drawn_share(pixels) > 0.02, f"{page.name} is blank"
        # The two most frequent classes cover many regions: they must be visible.
        for colour in colours.index[:2]:
            assert pixels_near(pixels, colour) > 50, f"{page.name}: class {colour} not drawn"


@pytest.mark.slow
def test_every_page_of_the_default_dataset_renders(scratch):
    processed = built_dataset("us_cbsa_2019", scratch / "us_cbsa_2019")
    pages = sorted((processed / "maps").glob("*.html"))
    assert len(pages) == 1 + 2 * SETTINGS.leading_clusters
    for page in pages:
        pixels = screenshot(page, "bare", scratch)
        assert drawn_share(pixels) > 0.02, f"{page.name} is blank"


def test_static_maps_are_written(scratch):
    processed = built_dataset("us_cbsa_2019", scratch / "us_cbsa_2019")
    from PIL import Image

    picture = Image.open(processed / "maps" / "regional_clusters.png").convert("RGB")
    pixels = np.asarray(picture, dtype=int)
    for colour in maps.LABEL_COLOURS.values():
        assert pixels_near(pixels, blend(colour, SETTINGS.fill_opacity, maps.BASE_FILL), 12) > 50


def test_geopackage_holds_both_layers_for_gis(scratch):
    import pyogrio

    processed = built_dataset("us_cbsa_2019", scratch / "us_cbsa_2019")
    package = processed / "gis" / "us_cbsa_2019.gpkg"
    assert sorted(name for name, _ in pyogrio.list_layers(package)) == [
        "regional_clusters",
        "regions",
    ]
    clusters = gpd.read_file(package, layer="regional_clusters")
    published = gpd.read_parquet(processed / "regional_clusters.parquet")
    assert len(clusters) == len(published)
    assert clusters["region_ids"].iloc[0] == "; ".join(published["region_ids"].iloc[0])
    # A cluster of regions without a known boundary has a null geometry, not an empty one.
    shapes = published.geometry.to_numpy()
    without = int((shapely.is_missing(shapes) | shapely.is_empty(shapes)).sum())
    assert int(clusters.geometry.isna().sum()) == without
