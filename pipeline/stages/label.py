"""The label stage: unlabelled regional clusters -> regional_clusters.parquet with label,
scores and label robustness."""

from __future__ import annotations

from pathlib import Path

from pipeline import publish
from pipeline.classifications.definitions import NAICS, label_weights
from pipeline.clusters.labels import ClusterLabeller, label_with_confidence, patent_intensity
from pipeline.clusters.regional import spatial_significance
from pipeline.config import Settings
from pipeline.progress import steps
from pipeline.sources.custom_classification import read_technology_table
from pipeline.sources.us_patents import dataset_patents
from pipeline.stages.common import Layout, _about, _read, _read_geo
from pipeline.stages.names import _names_for


def run_label(settings: Settings, dataset: str, layout: Layout) -> None:
    """Unlabelled regional clusters -> regional_clusters.parquet with label and scores."""
    label = settings.label
    config = settings.dataset(dataset)
    with steps(f"label {dataset}", 1) as step:
        regional = _read_geo(layout.interim / "regional_clusters.parquet")
        composition = _read(layout.table("regional_cluster_industries.parquet"))
        technology, production = label_weights(
            config.classification,
            label,
            Path(settings.classifications),
            read_technology_table(Path(config.technology)) if config.technology else (),
        )
        labeller = ClusterLabeller(
            technology,
            production,
            label.technology_share_min,
            label.production_share_min,
            label.technology_generic if config.classification in NAICS else (),
        )
        labelled, robustness = label_with_confidence(
            regional, composition, labeller, label.robustness_shift
        )
        significance = spatial_significance(labelled, _read(layout.table("local_spatial.parquet")))
        labelled = labelled.merge(significance, on="regional_cluster_id", how="left")
        patents = dataset_patents(Path(config.raw), config.source)
        if patents is not None:  # US data: a second technology signal, descriptive only
            labelled["patent_intensity"] = patent_intensity(
                labelled, patents, label.patents_per_jobs
            )
        named = _names_for(settings, config, layout)(labelled)  # region and industry names
        publish.write_geotable(
            named, layout.table("regional_clusters.parquet"), metadata=_about(settings, dataset)
        )
        publish.write_json(robustness, layout.table("label_robustness.json"))
        counts = labelled["label"].value_counts().to_dict()
        step("labelled " + ", ".join(f"{n} {name}" for name, n in sorted(counts.items())))
