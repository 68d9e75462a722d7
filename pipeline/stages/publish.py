"""The publish stage: metrics.json, report.json, plot tables and the data dictionary of a
dataset's published tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc

from pipeline import publish
from pipeline.config import Settings
from pipeline.engine.panel import parquet_years, read_year
from pipeline.lq_dataset import lq_dataset_path, quotient_years, quotients_table, read_quotients
from pipeline.panel_figures import FIGURE_COLUMNS, PanelFigures
from pipeline.progress import steps
from pipeline.sources.registry import needs_quotients, source_metrics
from pipeline.stages.common import Layout, _about, _built, _read, _read_geo


def run_publish(settings: Settings, dataset: str, layout: Layout) -> None:
    """metrics.json and the data dictionary for the dataset's published tables.

    The employment and LQ tables are never read whole: the panel counts are gathered one
    year at a time (:class:`~pipeline.panel_figures.PanelFigures`), the LQ plot reads only
    the latest year's finest level, and the whole LQ table is read only for a source whose
    check needs it (QCEW states against BLS's published LQs).
    """
    config = settings.dataset(dataset)
    with steps(f"publish {dataset}", 1) as step:
        clusters = _read(layout.table("industry_clusters.parquet"))
        source = _built(layout.table("employment.parquet"))
        panel = PanelFigures(clusters["industry_code"])
        for year in parquet_years(source):
            panel.add(read_year(source, year, FIGURE_COLUMNS))
        lq_path = lq_dataset_path(layout.processed)
        rows_quotients, latest_finest = _latest_finest_quotients(lq_path)
        metrics = publish.run_metrics(
            panel.figures(),
            rows_quotients,
            clusters,
            _read(layout.table("cluster_strength.parquet")),
            _read_geo(layout.table("regional_clusters.parquet")),
            _read_geo(layout.table("regions.parquet")),
        )
        metrics["dataset"] = dataset
        metrics["measure"] = config.measure
        metrics["unit"] = config.unit
        transitions = _read(layout.table("cluster_transitions.parquet"))
        metrics["strong_transitions"] = {
            kind: int(n) for kind, n in transitions["transition"].value_counts().items()
        }
        local = _read(layout.table("local_spatial.parquet"))
        metrics["lisa_quadrants"] = {
            quadrant: int(n) for quadrant, n in local["quadrant"].value_counts().items()
        }
        metrics.update(
            source_metrics(
                config.source,
                Path(config.raw),
                read_quotients(lq_path) if needs_quotients(config.source) else None,
                None,  # the imputed figures are the panel's (PanelFigures)
                config.options,
                settings.imputation_holdout,
            )
        )
        # figures of the relate, label and region-groups stages
        for name, path in {
            "industry_clusters": layout.interim / "industry_cluster_validation.json",
            "label_robustness": layout.table("label_robustness.json"),
            "region_groups": layout.table("region_groups_metrics.json"),
        }.items():
            if path.exists():
                figures = json.loads(path.read_text())
                metrics[name] = figures.get(name, figures)
        publish.write_json(metrics, layout.table("report.json"))
        publish.write_json(publish.headline_metrics(metrics), layout.table("metrics.json"))
        plots = publish.plot_tables(latest_finest, _read(layout.table("cluster_strength.parquet")))
        for name, table in plots.items():
            publish.write_text(
                table.to_csv(index=False), layout.processed / "plots" / f"{name}.csv"
            )
        publish.write_text(
            publish.data_dictionary_markdown(dataset, _about(settings, dataset), layout.processed),
            layout.table("data_dictionary.md"),
        )
        step(f"metrics: {metrics['regional_clusters']} regional clusters")


def _latest_finest_quotients(path: Path) -> tuple[int, pd.DataFrame]:
    """The number of LQ rows, and the rows of the latest year at the finest level.

    The finest level is the largest ``industry_level`` of any year (one int8 column read);
    :func:`pipeline.publish.plot_tables` plots the latest year at that level.
    """
    years = quotient_years(path)
    if not years:
        return 0, pd.DataFrame(columns=["year", "industry_level", "lq"])
    levels = quotients_table(path, columns=["industry_level"]).column("industry_level")
    finest = pc.max(levels).as_py()
    latest = quotients_table(
        path,
        [years[-1]],
        ["year", "industry_level", "lq"],
        filters=[("industry_level", "==", finest)],
    )
    return len(levels), latest.to_pandas()
