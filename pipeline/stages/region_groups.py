"""The region-groups stage: cluster_strength + contiguity -> region_groups.parquet and
region_groups_metrics.json."""

from __future__ import annotations

from pipeline import publish
from pipeline.clusters.region_groups import group_regions
from pipeline.config import Settings
from pipeline.progress import steps
from pipeline.stages.common import Layout, _about, _read, _read_geo


def run_region_groups(settings: Settings, dataset: str, layout: Layout) -> dict:
    """cluster_strength + contiguity -> region_groups.parquet and region_groups_metrics.json.

    Contiguous specialisation regions (Ward with the contiguity as connectivity) and the
    unconstrained KMeans comparison, the group count chosen by params ``region_groups``.
    Returns the metrics written (``{"region_groups": {year: ...}}``).
    """
    with steps(f"region groups {dataset}", 2) as step:
        strength = _read(layout.table("cluster_strength.parquet"))
        weights = _read(layout.table("spatial_weights.parquet"))
        regions = _read_geo(layout.table("regions.parquet"))
        table, by_year = group_regions(strength, weights, regions, settings.region_groups)
        summary = ", ".join(
            f"{year}: {scores['ward']['n_groups']} groups (+{scores['isolates']} isolated)"
            for year, scores in by_year.items()
        )
        step(summary)
        metrics = {"region_groups": by_year}
        publish.write_geotable(
            table, layout.table("region_groups.parquet"), metadata=_about(settings, dataset)
        )
        publish.write_json(metrics, layout.table("region_groups_metrics.json"))
        step("wrote region_groups, region_groups_metrics.json")
    return metrics
