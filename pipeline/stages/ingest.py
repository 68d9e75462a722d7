"""The ingest stage: raw files -> employment.parquet, regions.parquet, spatial_weights.parquet."""

from __future__ import annotations

from pathlib import Path

from pipeline import publish
from pipeline.config import Settings
from pipeline.progress import steps
from pipeline.sources.generic import EMPLOYMENT_ARROW_SCHEMA, EmploymentYears
from pipeline.sources.registry import ingest
from pipeline.stages.common import Layout, _about
from pipeline.validate import require_usable, validate_while_reading


def run_ingest(settings: Settings, dataset: str, layout: Layout) -> None:
    """raw files -> employment.parquet, regions.parquet, spatial_weights.parquet.

    A typed Parquet file in the generic schema is read, checked with every check of
    ``regclust validate`` (:func:`pipeline.validate.validate_while_reading`) and written one
    year at a time; an error leaves the previous outputs in place.
    """
    config = settings.dataset(dataset)
    with steps(f"ingest {dataset}", 2) as step:
        result = ingest(config.source, Path(config.raw), config.options, config.classification)
        if isinstance(result.employment, EmploymentYears):  # typed Parquet: year by year
            # validate's checks ride along: the file is read once (was: once by
            # `regclust validate` / `run`, once here)
            report = validate_while_reading(
                result.employment, classifications_dir=Path(settings.classifications)
            )
            with publish.table_writer(
                layout.table("employment.parquet"),
                EMPLOYMENT_ARROW_SCHEMA,
                metadata=_about(settings, dataset),
            ) as write:
                for year_table in result.employment.years():
                    write(year_table)
                require_usable(report())  # an error: nothing is written, one line
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
