"""The publish stage: metrics.json, report.json, plot tables and the data dictionary of a
dataset's published tables."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import publish
from pipeline.config import Settings
from pipeline.lq_dataset import lq_dataset_path, read_quotients
from pipeline.progress import steps
from pipeline.sources.registry import source_metrics
from pipeline.stages.common import Layout, _about, _read, _read_columns, _read_geo

PUBLISH_EMPLOYMENT_COLUMNS = [
    "region_id",
    "industry_code",
    "industry_level",
    "year",
    "employment",
    "employment_flag",
]
PUBLISH_LQ_COLUMNS = ["year", "region_id", "industry_code", "industry_level", "lq"]


def run_publish(settings: Settings, dataset: str, layout: Layout) -> None:
    """metrics.json and the data dictionary for the dataset's published tables."""
    config = settings.dataset(dataset)
    with steps(f"publish {dataset}", 1) as step:
        # only the columns the figures use: the whole tables would be the run's memory peak
        employment = _read_columns(layout.table("employment.parquet"), PUBLISH_EMPLOYMENT_COLUMNS)
        quotients = read_quotients(lq_dataset_path(layout.processed), columns=PUBLISH_LQ_COLUMNS)
        metrics = publish.run_metrics(
            employment,
            quotients,
            _read(layout.table("industry_clusters.parquet")),
            _read(layout.table("cluster_strength.parquet")),
            _read_geo(layout.table("regional_clusters.parquet")),
            _read_geo(layout.table("regions.parquet")),
        )
        metrics["dataset"] = dataset
        metrics["measure"] = config.measure
        metrics["unit"] = config.unit
        metrics["cells_by_flag"] = {
            flag: int(n) for flag, n in employment["employment_flag"].value_counts().items()
        }
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
                quotients,
                employment,
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
        plots = publish.plot_tables(quotients, _read(layout.table("cluster_strength.parquet")))
        for name, table in plots.items():
            publish.write_text(
                table.to_csv(index=False), layout.processed / "plots" / f"{name}.csv"
            )
        publish.write_text(
            publish.data_dictionary_markdown(dataset, _about(settings, dataset), layout.processed),
            layout.table("data_dictionary.md"),
        )
        step(f"metrics: {metrics['regional_clusters']} regional clusters")
