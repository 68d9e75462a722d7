"""The cluster stage: benchmark (or derived) clusters -> industry_clusters, cluster_strength,
cluster_transitions and the regional clusters (unlabelled)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import publish
from pipeline.classifications.definitions import cluster_level, cluster_mapping
from pipeline.clusters.regional import notable_pairs, regional_clusters
from pipeline.clusters.strength import cluster_employment, effective_lq_base, score_clusters
from pipeline.config import Settings
from pipeline.engine.panel import year_levels
from pipeline.errors import UserError
from pipeline.measures.change import strong_cluster_transitions
from pipeline.measures.specialization import region_totals
from pipeline.progress import steps
from pipeline.sources.suppression import exclude_imputed
from pipeline.stages.common import (
    CLUSTER_COLUMNS,
    Layout,
    _about,
    _built,
    _read,
    _read_columns,
    _read_geo,
)
from pipeline.stages.names import _names_for


def run_cluster(settings: Settings, dataset: str, layout: Layout) -> None:
    """Benchmark clusters -> industry_clusters, cluster_strength, regional clusters (unlabelled)."""
    config = settings.dataset(dataset)
    rules = settings.cluster
    with steps(f"cluster {dataset}", 4) as step:
        source = _built(layout.table("employment.parquet"))
        # only the totals (level 0) and the definitions' level are used: read those rows
        levels = year_levels(source, published_only=not settings.measure.use_imputed)
        level = cluster_level(config.classification, levels["industry_level"].drop_duplicates())
        employment = _read_columns(
            source,
            [*CLUSTER_COLUMNS, *([] if settings.measure.use_imputed else ["employment_flag"])],
            filters=[("industry_level", "in", sorted({0, level}))],
        )
        if not settings.measure.use_imputed:
            employment = exclude_imputed(employment).drop(columns="employment_flag")
        regions = _read_geo(layout.table("regions.parquet"))
        weights = _read(layout.table("spatial_weights.parquet"))
        totals = region_totals(employment)
        detail = employment[employment["industry_level"] == level]
        del employment  # the totals and the detail rows are all that is used: keep no third copy
        if detail.empty:
            raise UserError(
                f"{layout.table('employment.parquet')}: no industries at level {level}, where the "
                f"{config.classification} cluster definitions are written; add level-{level} codes, "
                "or use classification custom"
            )
        benchmark = cluster_mapping(
            detail["industry_code"].unique(),
            config.classification,
            Path(settings.classifications),
        )
        derived = _derived_mapping(layout, benchmark)
        mapping = benchmark if rules.definitions == "benchmark" else derived
        if mapping is None:
            raise UserError(
                f"{layout.interim / 'derived_clusters.parquet'}: not found; run 'regclust relate "
                f"--dataset {dataset}' first, or set cluster.definitions: benchmark"
            )
        step(
            f"mapped {len(mapping)} industries to {mapping['cluster_code'].nunique()} "
            f"{rules.definitions} clusters"
        )
        lq_base = effective_lq_base(rules.lq_base, config.classification)
        if rules.strong.by_region_type and "region_type" in regions.columns:
            kinds = regions[["region_id", "region_type"]].dropna()
            totals = totals.merge(kinds, on="region_id", how="left")
        strength = cluster_employment(detail, mapping, totals, lq_base)
        scored = score_clusters(strength, rules.strong, rules.stars)
        step(f"{int(scored['strong'].sum())} strong region x cluster pairs")
        notable = notable_pairs(
            scored,
            rules.regional.min_stars,
            rules.regional.cluster_types,
            rules.regional.stars_lq_min,
        )
        regional, composition = regional_clusters(
            notable,
            weights,
            detail,
            mapping,
            regions,
            rules.regional.top_industries,
            merge_rule=rules.regional.merge_rule,
            max_distance_km=rules.regional.max_distance_km,
            isolate_distance_km=rules.regional.isolate_distance_km,
        )
        step(f"{len(regional)} regional clusters")
        transitions = strong_cluster_transitions(scored)
        named = _names_for(settings, config, layout)
        both = pd.concat(
            [benchmark.assign(method="benchmark")] + ([derived] if derived is not None else []),
            ignore_index=True,
        )
        both["drives"] = both["method"] == rules.definitions
        publish.write_table(
            named(both),
            layout.table("industry_clusters.parquet"),
            metadata=_about(settings, dataset),
        )
        publish.write_table(
            named(scored),
            layout.table("cluster_strength.parquet"),
            metadata=_about(settings, dataset),
        )
        publish.write_table(
            named(transitions),
            layout.table("cluster_transitions.parquet"),
            metadata=_about(settings, dataset),
        )
        publish.write_table(
            named(composition),
            layout.table("regional_cluster_industries.parquet"),
            metadata=_about(settings, dataset),
        )
        publish.write_geotable(
            regional,
            layout.interim / "regional_clusters.parquet",
            metadata=_about(settings, dataset),
            name="interim/regional_clusters.parquet",
        )


def _derived_mapping(layout: Layout, benchmark: pd.DataFrame) -> pd.DataFrame | None:
    """The derived clusters of the relate stage as a mapping (method 'derived'), or None.

    Industries the relate stage did not cluster (NAICS local industries: DPS's local
    clusters serve their own region everywhere) keep their benchmark cluster.
    """
    path = layout.interim / "derived_clusters.parquet"
    if not path.exists():
        return None
    derived = pd.read_parquet(path).assign(mapped_via="derived")
    rest = benchmark[~benchmark["industry_code"].isin(derived["industry_code"])]
    rest = rest.assign(mapped_via="benchmark " + rest["cluster_type"], method="derived")
    columns = [*benchmark.columns, "method"]
    return pd.concat([derived[columns], rest[columns]], ignore_index=True)
