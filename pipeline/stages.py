"""Stage entry points: read a stage's inputs, call the library, write its outputs atomically.

These are the only functions (with the CLI) that touch disk. Each DVC stage runs one of
them through ``regclust <stage>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dask.dataframe as dd
import geopandas as gpd
import pandas as pd

from pipeline import publish
from pipeline.classifications.definitions import cluster_level, cluster_mapping, label_weights
from pipeline.clusters.labels import ClusterLabeller, label_regional_clusters
from pipeline.clusters.regional import notable_pairs, regional_clusters
from pipeline.clusters.strength import cluster_employment, score_clusters
from pipeline.compute import dask_client
from pipeline.config import Settings
from pipeline.errors import UserError
from pipeline.measures.change import LQ_CHANGE_COLUMNS, lq_change, strong_cluster_transitions
from pipeline.measures.concentration import (
    industry_concentration_distributed,
    region_specialization,
)
from pipeline.measures.spatial import local_by_group, moran_by_group
from pipeline.measures.specialization import location_quotients, region_totals
from pipeline.progress import steps
from pipeline.sources.registry import ingest, source_metrics
from pipeline.sources.suppression import exclude_imputed


@dataclass(frozen=True)
class Layout:
    """Where a dataset's tables live."""

    processed: Path
    interim: Path

    @classmethod
    def for_dataset(cls, dataset: str, root: Path = Path("data")) -> Layout:
        return cls(processed=root / "processed" / dataset, interim=root / "interim" / dataset)

    def table(self, name: str) -> Path:
        return self.processed / name


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise UserError(f"{path}: not found; run the earlier stages first (dvc repro)")
    return pd.read_parquet(path)


def _read_geo(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise UserError(f"{path}: not found; run the earlier stages first (dvc repro)")
    return gpd.read_parquet(path)


def run_ingest(settings: Settings, dataset: str, layout: Layout) -> None:
    """raw files -> employment.parquet, regions.parquet, spatial_weights.parquet."""
    config = settings.dataset(dataset)
    with steps(f"ingest {dataset}", 2) as step:
        result = ingest(config.source, Path(config.raw), config.options, config.classification)
        step("read and checked raw files")
        publish.write_table(result.employment, layout.table("employment.parquet"))
        publish.write_geotable(result.regions, layout.table("regions.parquet"))
        publish.write_table(result.weights, layout.table("spatial_weights.parquet"))
        step("wrote employment, regions, spatial_weights")


def run_measure(
    settings: Settings, dataset: str, layout: Layout, scheduler: str | None = None
) -> None:
    """employment -> location quotients, concentration, region specialization, LQ change.

    Everything runs on a dask.distributed cluster: the LQs as a dask graph, concentration one
    year per task, global Moran's I one year per task (years are independent).
    """
    config = settings.dataset(dataset)
    source = layout.table("employment.parquet")
    if not source.exists():
        raise UserError(f"{source}: not found; run 'regclust ingest --dataset {dataset}' first")
    weights = _read(layout.table("spatial_weights.parquet"))
    with steps(f"measure {dataset}", 5) as step, dask_client(settings.compute, scheduler) as client:
        step(f"dask client ready ({client.scheduler.address})")
        employment = dd.read_parquet(source)
        if not settings.measure.use_imputed:
            employment = exclude_imputed(employment)
        levels = pd.Series(employment["industry_level"].unique().compute())
        level = cluster_level(config.classification, levels)
        level_codes = employment.loc[employment["industry_level"] == level, "industry_code"]
        mapping = cluster_mapping(
            level_codes.unique().compute(), config.classification, Path(settings.classifications)
        )
        traded = mapping.loc[mapping["cluster_type"] == "traded", "industry_code"]
        quotients = location_quotients(employment, settings.measure.lq_denominator, traded)
        quotients = client.compute(quotients).result()
        quotients = quotients.sort_values(["year", "region_id", "industry_code"], ignore_index=True)
        step(f"location quotients for {len(quotients):,} cells")

        concentration = industry_concentration_distributed(employment, client)
        moran = _moran_by_year(client, quotients, weights, settings)
        concentration = concentration.merge(moran, on=["year", "industry_code"], how="left")
        step(
            f"concentration and Moran's I of {concentration['industry_code'].nunique():,} industries"
        )

        specialization = region_specialization(
            quotients, traded, settings.measure.specialised_lq, level
        )
        change = settings.change
        multi_year = quotients["year"].nunique() > 1
        lq_changes = (
            lq_change(
                quotients,
                config.change_base_year or change.base_year,
                change.end_year,
                change.specialisation_lq,
                change.stable_tolerance,
            )
            if multi_year
            else pd.DataFrame(columns=LQ_CHANGE_COLUMNS)
        )
        step("region specialization and LQ change")
        publish.write_table(quotients, layout.table("location_quotients.parquet"))
        publish.write_table(concentration, layout.table("concentration.parquet"))
        publish.write_table(specialization, layout.table("region_specialization.parquet"))
        publish.write_table(lq_changes, layout.table("lq_change.parquet"))
        step("wrote location_quotients, concentration, region_specialization, lq_change")


def _moran_by_year(client, quotients: pd.DataFrame, weights: pd.DataFrame, settings: Settings):
    """Global Moran's I of every industry's LQ, one dask task per year."""
    spatial = settings.spatial
    renamed = {
        "moran_i": "moran_i",
        "expected_i": "moran_expected_i",
        "z_norm": "moran_z",
        "p_sim": "moran_p_sim",
    }
    if weights.empty:  # no boundaries: no spatial statistics
        return pd.DataFrame(columns=["year", "industry_code", *renamed.values()]).astype(
            {"year": "int16", "industry_code": "str", **dict.fromkeys(renamed.values(), "float64")}
        )
    moran = pd.concat(
        _per_year(
            client,
            moran_by_group,
            quotients[["year", "industry_code", "region_id", "lq"]],
            weights,
            group=("year", "industry_code"),
            permutations=spatial.permutations,
            seed=spatial.seed,
            missing=spatial.missing,
        ),
        ignore_index=True,
    )
    return moran[["year", "industry_code", *renamed]].rename(columns=renamed)


def _per_year(client, statistic, table, weights, **keywords) -> list[pd.DataFrame]:
    """Run a spatial ``statistic`` of ``table``'s LQs as one dask task per year.

    Years are independent, so they spread over the workers; the weights travel once.
    """
    shared_weights = client.scatter(weights, broadcast=True)
    futures = [
        client.submit(statistic, part, shared_weights, value="lq", pure=False, **keywords)
        for _, part in table.groupby("year", sort=True)
    ]
    return client.gather(futures)


def run_cluster(settings: Settings, dataset: str, layout: Layout) -> None:
    """Benchmark clusters -> industry_clusters, cluster_strength, regional clusters (unlabelled)."""
    config = settings.dataset(dataset)
    rules = settings.cluster
    with steps(f"cluster {dataset}", 4) as step:
        employment = _read(layout.table("employment.parquet"))
        if not settings.measure.use_imputed:
            employment = exclude_imputed(employment)
        regions = _read_geo(layout.table("regions.parquet"))
        weights = _read(layout.table("spatial_weights.parquet"))
        level = cluster_level(config.classification, employment["industry_level"])
        detail = employment[employment["industry_level"] == level]
        if detail.empty:
            raise UserError(
                f"{layout.table('employment.parquet')}: no industries at level {level}, where the "
                f"{config.classification} cluster definitions are written; add level-{level} codes, "
                "or use classification custom"
            )
        mapping = cluster_mapping(
            detail["industry_code"].unique(),
            config.classification,
            Path(settings.classifications),
        )
        step(f"mapped {len(mapping)} industries to clusters")
        strength = cluster_employment(detail, mapping, region_totals(employment))
        scored = score_clusters(strength, rules.strong, rules.stars)
        step(f"{int(scored['strong'].sum())} strong region x cluster pairs")
        notable = notable_pairs(
            scored,
            rules.regional.min_stars,
            rules.regional.cluster_types,
            rules.regional.stars_lq_min,
        )
        regional, composition = regional_clusters(
            notable, weights, detail, mapping, regions, rules.regional.top_industries
        )
        step(f"{len(regional)} regional clusters")
        publish.write_table(mapping, layout.table("industry_clusters.parquet"))
        publish.write_table(scored, layout.table("cluster_strength.parquet"))
        transitions = strong_cluster_transitions(scored)
        publish.write_table(mapping, layout.table("industry_clusters.parquet"))
        publish.write_table(scored, layout.table("cluster_strength.parquet"))
        publish.write_table(transitions, layout.table("cluster_transitions.parquet"))
        publish.write_table(composition, layout.table("regional_cluster_industries.parquet"))
        publish.write_geotable(regional, layout.interim / "regional_clusters.parquet")


LOCAL_COLUMNS = [
    "year", "cluster_code", "region_id", "local_i", "local_p", "quadrant", "gi_star_z", "gi_star_p",
]  # fmt: skip


def run_spatial(
    settings: Settings, dataset: str, layout: Layout, scheduler: str | None = None
) -> None:
    """cluster_strength -> local_spatial.parquet: local Moran and Gi* per region x cluster x year.

    Years are independent, so each is a task on the dask cluster.
    """
    spatial = settings.spatial
    with steps(f"spatial {dataset}", 2) as step:
        strength = _read(layout.table("cluster_strength.parquet"))
        weights = _read(layout.table("spatial_weights.parquet"))
        gathered = []  # without boundaries (empty weights) there is nothing to test
        if not weights.empty:
            with dask_client(settings.compute, scheduler) as client:
                gathered = _per_year(
                    client,
                    local_by_group,
                    strength[["year", "cluster_code", "region_id", "lq"]],
                    weights,
                    group=("year", "cluster_code"),
                    permutations=spatial.permutations,
                    seed=spatial.seed,
                    alpha=spatial.alpha,
                    missing=spatial.missing,
                )
        local = (
            pd.concat(gathered, ignore_index=True)
            if gathered
            else pd.DataFrame(columns=LOCAL_COLUMNS).astype({"year": "int16", "quadrant": "str"})
        )
        step(f"local Moran and Gi* for {len(local):,} region x cluster x year cells")
        names = strength[["cluster_code", "cluster_name"]].drop_duplicates("cluster_code")
        local = local.merge(names, on="cluster_code", how="left")
        publish.write_table(local, layout.table("local_spatial.parquet"))
        step("wrote local_spatial")


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
            Path(config.technology) if config.technology else None,
        )
        labeller = ClusterLabeller(
            technology,
            production,
            label.technology_share_min,
            label.production_share_min,
        )
        labelled = label_regional_clusters(regional, composition, labeller)
        publish.write_geotable(labelled, layout.table("regional_clusters.parquet"))
        counts = labelled["label"].value_counts().to_dict()
        step("labelled " + ", ".join(f"{n} {name}" for name, n in sorted(counts.items())))


def run_publish(settings: Settings, dataset: str, layout: Layout) -> None:
    """metrics.json and the data dictionary for the dataset's published tables."""
    config = settings.dataset(dataset)
    with steps(f"publish {dataset}", 1) as step:
        employment = _read(layout.table("employment.parquet"))
        quotients = _read(layout.table("location_quotients.parquet"))
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
        metrics.update(source_metrics(config.source, Path(config.raw), quotients))
        publish.write_json(metrics, layout.table("metrics.json"))
        publish.write_text(
            publish.data_dictionary_markdown(dataset, config.measure, config.unit),
            layout.table("data_dictionary.md"),
        )
        step(f"metrics: {metrics['regional_clusters']} regional clusters")
