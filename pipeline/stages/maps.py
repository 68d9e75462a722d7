"""The maps stage: published tables -> offline maps, the atlas and a GeoPackage."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from pipeline import atlas, maps, publish
from pipeline.classifications.definitions import cluster_level
from pipeline.classifications.tables import RELATED_CLUSTERS_FILE
from pipeline.classifications.titles import industry_titles
from pipeline.config import Settings
from pipeline.lq_dataset import lq_dataset_path, lq_schema, read_quotients
from pipeline.maps import industry_names
from pipeline.progress import steps, tracked
from pipeline.stages.common import Layout, _read, _read_geo


def _industry_titles(*tables: pd.DataFrame) -> dict[str, str]:
    """industry_code -> title from ``industry_name`` columns; section datasets (one industry
    per cluster, same code) fall back to the cluster's name."""
    titles = industry_names(*tables)
    for table in tables:
        if {"industry_code", "cluster_code", "cluster_name"} <= set(table.columns):
            same = table[table["industry_code"] == table["cluster_code"]]
            for code, name in zip(same["industry_code"], same["cluster_name"], strict=True):
                titles.setdefault(code, name)
    return titles


def run_maps(settings: Settings, dataset: str, layout: Layout) -> None:
    """Published tables -> offline maps (maps/*.html, maps/*.png), the atlas (atlas/index.html)
    and a GeoPackage of the regions and regional clusters (gis/<dataset>.gpkg).

    Every page inlines Leaflet (pipeline/vendor) and its data: no CDN, no tile server.
    """
    import matplotlib

    # Inside the function: choosing the backend is a process-wide side effect that importing
    # this module (tests, notebooks) must not have.
    matplotlib.use("Agg")  # the stage draws figures to files, never to a screen
    import matplotlib.pyplot as plt

    config = settings.dataset(dataset)
    options = settings.maps
    focus = options.focus_extent.get(dataset)
    focus = tuple(float(v) for v in focus) if focus is not None else None
    with steps(f"maps {dataset}", 5) as step:
        regions = _read_geo(layout.table("regions.parquet"))
        clusters = _read_geo(layout.table("regional_clusters.parquet"))
        strength = _read(layout.table("cluster_strength.parquet"))
        local = _read(layout.table("local_spatial.parquet"))
        industries = _read(layout.table("industry_clusters.parquet"))
        original_regions, original_clusters = regions, clusters
        # Simplify once: every map below re-simplifies at the same tolerance, which is then cheap.
        regions = maps.simplify_for_web(
            regions, options.simplify_tolerance, options.coordinate_decimals
        )
        clusters = maps.simplify_for_web(
            clusters, options.simplify_tolerance, options.coordinate_decimals
        )
        year = maps.latest_year(strength)
        level = cluster_level(config.classification)
        quotients_path = lq_dataset_path(layout.processed)
        columns = ["region_id", "industry_code", "industry_level", "year", "employment", "lq"]
        if "industry_name" in lq_schema(quotients_path).names:
            columns.append("industry_name")
        quotients = read_quotients(
            quotients_path, [year], columns, filters=[("industry_level", "==", level)]
        )
        titles = _industry_titles(industries, quotients)
        official = industry_titles(config.classification, Path(settings.classifications))
        titles.update({str(code): str(name) for code, name in official.items()})
        leaders = maps.leading_clusters(strength, options.leading_clusters, year)
        step(f"read tables; leading clusters {', '.join(leaders['cluster_code'])}")

        folder = layout.processed / "maps"
        pages = {
            "regional_clusters.html": maps.clusters_map(
                regions,
                clusters,
                options,
                unit=config.unit,
                titles=titles,
                dataset=dataset,
                focus=focus,
            )
        }
        for code in leaders["cluster_code"]:
            pages[f"lq_{code}.html"] = maps.lq_map(
                regions, strength, code, options, unit=config.unit, dataset=dataset, focus=focus
            )
            pages[f"lisa_{code}.html"] = maps.lisa_map(
                regions, local, code, options, dataset=dataset, focus=focus
            )
        for name, page in tracked(pages.items(), f"maps {dataset}: pages", len(pages)):
            publish.write_text(page.html, folder / name)
        step(f"wrote {len(pages)} interactive maps")

        figures = {
            "regional_clusters.png": maps.static_clusters_figure(
                regions, clusters, strength, options, dataset=dataset, focus=focus
            )
        }
        for code in leaders["cluster_code"]:
            figures[f"lq_{code}.png"] = maps.static_lq_figure(
                regions, strength, code, options, unit=config.unit, dataset=dataset, focus=focus
            )
        for name, figure in figures.items():
            with publish.atomic_path(folder / name) as temporary:
                figure.savefig(temporary, format="png", dpi=options.static_dpi)
            plt.close(figure)
        # Maps of clusters that are no longer leading would be stale: remove them.
        for stale in folder.glob("l*_*.*"):
            if stale.name not in pages and stale.name not in figures:
                stale.unlink()
        step(f"wrote {len(figures)} static maps")

        groups_path = layout.table("region_groups.parquet")
        related_path = Path(settings.classifications) / RELATED_CLUSTERS_FILE
        data = atlas.atlas_data(
            regions,
            clusters,
            strength,
            quotients,
            options,
            dataset=dataset,
            description=config.description,
            measure=config.measure,
            unit=config.unit,
            titles=titles,
            focus=focus,
            groups=pd.read_parquet(groups_path, columns=atlas.GROUP_COLUMNS)
            if groups_path.exists()
            else None,
            related=pd.read_csv(
                related_path, dtype={"cluster_code": str, "related_cluster_code": str}
            )  # the US Cluster Mapping related clusters: benchmark (NAICS) clusters only
            if config.classification in ("naics2017", "naics2012") and related_path.exists()
            else None,
        )
        publish.write_text(atlas.atlas_html(data), layout.processed / "atlas" / "index.html")
        step("wrote atlas/index.html")

        # GeoPackage for GIS users whose GDAL reads no GeoParquet: the original geometries.
        target = layout.processed / "gis" / f"{dataset}.gpkg"
        with publish.atomic_path(target) as temporary:
            named = temporary.with_name(temporary.name + ".gpkg")  # GDAL wants the extension
            try:
                for name, layer in maps.gis_layers(original_regions, original_clusters).items():
                    layer.to_file(named, layer=name, driver="GPKG")
                os.replace(named, temporary)
            finally:
                named.unlink(missing_ok=True)
        step(f"wrote gis/{dataset}.gpkg")
