"""The offline atlas: its data (profiles, clusters, rankings) and its pages drawn in Chromium."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from pipeline import atlas, maps
from pipeline.config import project_settings
from tests.rendering import DATASETS, built_dataset, drawn_share, pixels_near, screenshot

SETTINGS = project_settings().maps


def _tables():
    regions = gpd.GeoDataFrame(
        {"region_id": ["r1", "r2", "r3"], "name": ["Alpha", "Beta", "Gamma"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), None],
        crs=4326,
    )
    strength = pd.DataFrame(
        {
            "region_id": ["r1", "r2", "r1", "r2", "r1", "r1"],
            "cluster_code": ["1", "1", "2", "2", "3", "1"],
            "cluster_name": ["Aero", "Aero", "Soft", "Soft", "Local", "Aero"],
            "cluster_type": ["traded", "traded", "traded", "traded", "local", "traded"],
            "year": [2021, 2021, 2021, 2021, 2021, 2017],
            "employment": [100.0, 10.0, 5.0, 50.0, 999.0, 80.0],
            "region_employment": [1000.0, 500.0, 1000.0, 500.0, 1000.0, 900.0],
            "lq": [3.0, float("nan"), 0.2, 2.0, 1.0, 2.5],
            "stars": [2, 0, 0, 1, 0, 1],
            "strong": [True, False, False, True, False, True],
        }
    )
    clusters = gpd.GeoDataFrame(
        {
            "regional_cluster_id": ["2021-001-01"],
            "year": [2021],
            "cluster_code": ["1"],
            "cluster_name": ["Aero"],
            "region_ids": [["r1"]],
            "employment": [100.0],
            "lq": [3.0],
            "max_stars": [2],
            "top_industries": [["336411"]],
            "technology_score": [0.1],
            "label": ["industrial-production"],
        },
        geometry=[box(0, 0, 1, 1)],
        crs=4326,
    )
    quotients = pd.DataFrame(
        {
            "region_id": ["r1", "r1", "r1", "r2"],
            "industry_code": ["336411", "511210", "111110", "511210"],
            "employment": [90.0, 5.0, 200.0, 40.0],
            "lq": [9.0, 50.0, 1.1, 3.0],
        }
    )
    return regions, clusters, strength, quotients


def test_atlas_data_profiles_and_rankings():
    regions, clusters, strength, quotients = _tables()
    settings = replace(SETTINGS, atlas_industry_min_employment=10)
    data = atlas.atlas_data(
        regions,
        clusters,
        strength,
        quotients,
        settings,
        dataset="tiny",
        titles={"336411": "Aircraft"},
    )
    assert data["meta"]["year"] == 2021 and data["meta"]["firstYear"] == 2017
    # Traded clusters only, largest first.
    assert [c["code"] for c in data["clusters"]] == ["1", "2"]  # 110 and 55 employed
    alpha, beta, gamma = data["regions"]
    assert alpha["total"] == 1000 and alpha["strong"] == 1
    # Strongest by LQ, with the LQ of the first year for the change.
    assert alpha["clusters"][0] == ["1", 3.0, 100, 2, True, 2.5]
    assert alpha["clusters"][1][5] is None  # no 2017 row for cluster 2
    # The 5-employee industry is under the size threshold, however high its LQ.
    assert alpha["industries"] == [["336411", "Aircraft", 9.0, 90], ["111110", "", 1.1, 200]]
    assert alpha["regional"] == [0] and beta["regional"] == []
    assert beta["clusters"][-1][1] is None  # a missing LQ is null, not NaN
    assert gamma["name"] == "Gamma" and "clusters" not in gamma  # no boundary, still listed
    assert len(data["geometry"]["features"]) == 2
    json.dumps(data, allow_nan=False)


def test_atlas_region_groups_and_related_clusters():
    regions, clusters, strength, quotients = _tables()
    groups = pd.DataFrame(
        {
            "region_id": ["r1", "r2", "r1"],
            "year": [2021, 2021, 2017],
            "group_id": ["2021-1", "2021-1", "2017-1"],
            "group_employment": [1500.0, 1500.0, 900.0],
            "dominant_cluster_codes": [["1", "2"], ["1", "2"], ["1"]],
            "dominant_cluster_names": [["Aero", "Soft"], ["Aero", "Soft"], ["Aero"]],
            "dominant_cluster_lqs": [[2.512, 1.2], [2.512, 1.2], [2.0]],
        }
    )
    related = pd.DataFrame(
        {
            "cluster_code": ["1", "1", "2"],
            "related_cluster_code": ["2", "99", "1"],  # 99 is not in the data: left out
            "related_percentage": [80.0, 95.0, 80.0],
        }
    )
    data = atlas.atlas_data(
        regions, clusters, strength, quotients, SETTINGS, dataset="tiny", groups=groups,
        related=related,
    )  # fmt: skip
    assert data["groups"] == [
        {
            "id": "2021-1",
            "regions": [0, 1],
            "employment": 1500,
            "dominant": [["1", "Aero", 2.51], ["2", "Soft", 1.2]],
        }
    ]
    alpha, beta, gamma = data["regions"]
    assert alpha["group"] == 0 and beta["group"] == 0 and "group" not in gamma
    assert data["clusters"][0]["related"] == [["2", 80]]
    plain = atlas.atlas_data(regions, clusters, strength, quotients, SETTINGS, dataset="tiny")
    assert plain["groups"] == [] and plain["clusters"][0]["related"] == []
    json.dumps(data, allow_nan=False)


def test_atlas_html_is_self_contained():
    regions, clusters, strength, quotients = _tables()
    page = atlas.atlas_html(
        atlas.atlas_data(regions, clusters, strength, quotients, SETTINGS, dataset="tiny")
    )
    assert "<link" not in page and not re.search(r"<script[^>]+src=", page)
    assert "Cluster atlas: tiny" in page


def _atlas_data(page) -> dict:
    text = page.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="atlas-data">(.*?)</script>', text, re.S)
    assert found
    return json.loads(found.group(1))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("atlas")


@pytest.mark.parametrize("dataset", [pytest.param(d, id=d) for d in DATASETS])
def test_atlas_renders_overview_region_and_cluster_pages(dataset, scratch):
    processed = built_dataset(dataset, scratch / dataset)
    page = processed / "atlas" / "index.html"
    assert page.stat().st_size < 12e6, f"{page}: {page.stat().st_size / 1e6:.1f} MB"
    data = _atlas_data(page)
    labels = {c["label"] for c in data["regional"]}

    overview = screenshot(page, "", scratch)
    assert drawn_share(overview) > 0.05, "the atlas overview is blank"
    for label in labels:
        colour = data["meta"]["labels"][label]
        assert pixels_near(overview, colour) > 20, f"label {label} ({colour}) not on the map"

    largest = max(data["regions"], key=lambda r: r["total"] or 0)
    region = screenshot(page, f"region/{largest['id']}", scratch)
    assert pixels_near(region, atlas.HIGHLIGHT_COLOUR) > 30, "the chosen region is not highlighted"

    cluster = data["clusters"][0]
    drawn = screenshot(page, f"cluster/{cluster['code']}", scratch)
    classes = maps.lq_classes(pd.Series(cluster["lq"], dtype=float), SETTINGS.lq_breaks)
    most = classes[classes >= 0].value_counts().index[0]
    assert pixels_near(drawn, maps.LQ_COLOURS[most]) > 30, "the cluster's LQ map is not drawn"

    assert data["groups"], "no region groups in the atlas"
    assert all("group" in r for r in data["regions"] if r.get("clusters"))
    group = data["groups"][0]
    drawn = screenshot(page, f"group/{group['id']}", scratch)
    assert pixels_near(drawn, atlas.HIGHLIGHT_COLOUR) > 30, "the group's regions are not drawn"
    if dataset.startswith("us_"):  # related clusters: the US Cluster Mapping table
        assert any(c["related"] for c in data["clusters"])
