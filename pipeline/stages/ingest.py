"""The ingest stage: raw files -> employment.parquet, regions.parquet, spatial_weights.parquet."""

from __future__ import annotations

from pathlib import Path

from pipeline import publish
from pipeline.config import Settings
from pipeline.progress import steps
from pipeline.sources.generic import EMPLOYMENT_ARROW_SCHEMA, EmploymentYears
from pipeline.sources.registry import ingest
from pipeline.stages.common import Layout, _about


def run_ingest(settings: Settings, dataset: str, layout: Layout) -> None:
    """raw files -> employment.parquet, regions.parquet, spatial_weights.parquet."""
    config = settings.dataset(dataset)
    with steps(f"ingest {dataset}", 2) as step:
        result = ingest(config.source, Path(config.raw), config.options, config.classification)
        if isinstance(result.employment, EmploymentYears):  # typed Parquet: year by year
            with publish.table_writer(
                layout.table("employment.parquet"),
                EMPLOYMENT_ARROW_SCHEMA,
                metadata=_about(settings, dataset),
            ) as write:
                for year_table in result.employment.years():
                    write(year_table)
            step("read, checked and wrote employment one year at a time")
        else:
            step("read and checked raw files")
            publish.write_table(
                result.employment,
                layout.table("employment.parquet"),
                row_group_by="year",
                metadata=_about(settings, dataset),
            )
        publish.write_geotable(
            result.regions, layout.table("regions.parquet"), metadata=_about(settings, dataset)
        )
        publish.write_table(
            result.weights,
            layout.table("spatial_weights.parquet"),
            metadata=_about(settings, dataset),
        )
        step("wrote employment, regions, spatial_weights")
