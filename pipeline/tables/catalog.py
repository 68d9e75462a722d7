"""The catalogue of published outputs: every table's schema by its file name, in the order of
the data dictionary, the interim tables validated between stages, and the other outputs.
"""

from __future__ import annotations

import pandera.pandas as pa

from pipeline.tables import industry_clusters, inputs, measures, regional_clusters

TABLES: dict[str, pa.DataFrameSchema] = {
    schema.name: schema
    for schema in (
        inputs.EMPLOYMENT,
        inputs.REGIONS,
        inputs.SPATIAL_WEIGHTS,
        measures.LOCATION_QUOTIENTS,
        measures.CONCENTRATION,
        measures.REGION_SPECIALIZATION,
        measures.LQ_CHANGE,
        industry_clusters.INDUSTRY_CLUSTERS,
        regional_clusters.CLUSTER_STRENGTH,
        regional_clusters.CLUSTER_TRANSITIONS,
        regional_clusters.REGIONAL_CLUSTER_INDUSTRIES,
        measures.LOCAL_SPATIAL,
        measures.LOCAL_SPATIAL_INDUSTRIES,
        regional_clusters.REGIONAL_CLUSTERS,
        regional_clusters.REGION_GROUPS,
        industry_clusters.INDUSTRY_RELATEDNESS,
        industry_clusters.DERIVED_CLUSTER_SCORES,
    )
}
"""Every published Parquet table (or dataset folder) by its name in data/processed/<dataset>/."""

INTERIM_TABLES: dict[str, pa.DataFrameSchema] = {
    "interim/regional_clusters.parquet": regional_clusters.INTERIM_REGIONAL_CLUSTERS,
}
"""Tables between stages that are validated as they are written (not in the dictionary)."""

OTHER_OUTPUTS: dict[str, str] = {
    "metrics.json": "Headline figures tracked by `dvc metrics show`, short keys: regions, "
    "industries, strong (strong pairs), clusters (regional clusters), tech / prod / other "
    "(clusters by label), low_conf (low-confidence labels), ari (derived vs benchmark "
    "clusters), groups (region groups), unmapped (employment share in no cluster), imputed "
    "(estimated share at the finest level), holdout (hold-out median APE); in full in "
    "report.json.",
    "report.json": "Every figure of the run: the metrics above in full, cells by flag, imputed "
    "{dataset.measure} by level and the hold-out, the derived clusters' validation (VS, ARI, NMI "
    "of derived, benchmark and baselines), relatedness separation, region-group scores, label "
    "robustness, LISA quadrants, strong-cluster transitions.",
    "label_robustness.json": "Labels that flip when a label threshold moves by "
    "+-{label.robustness_shift} (label stage).",
    "region_groups_metrics.json": "Scores of every group count tried for region_groups.parquet.",
    "plots/*.csv": "`dvc plots show` tables: LQ distribution of the finest-level cells, regions "
    "by number of strong traded clusters (latest year).",
    "maps/, atlas/, gis/": "Offline maps (HTML, PNG), the atlas page and a GeoPackage of the "
    "regions and regional clusters (maps stage).",
}
"""Published outputs that are not tables."""


def schema_of(name: str) -> pa.DataFrameSchema | None:
    """The schema of a published (or interim) table by its name, or None for other files."""
    return TABLES.get(name) or INTERIM_TABLES.get(name)
