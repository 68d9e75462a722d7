"""The spatial stage: cluster_strength (and the LQ dataset) -> local Moran and Gi* per
region x variable x year, on the dask cluster."""

from __future__ import annotations

import pandas as pd

from pipeline import publish
from pipeline.classifications.definitions import cluster_level
from pipeline.compute import dask_client
from pipeline.config import Settings
from pipeline.lq_dataset import lq_dataset_path, read_quotients
from pipeline.measures.spatial import local_by_group
from pipeline.progress import steps, tracked
from pipeline.stages.common import Layout, _about, _read
from pipeline.stages.names import _names_for

# Variables (clusters, industries) per local-statistics task: enough to amortise a task's
# frame and draws, few enough that a year of six-digit industries spreads over the workers.
LOCAL_VARIABLES_PER_TASK = 256


def _per_year(
    client,
    table: pd.DataFrame,
    weights: pd.DataFrame,
    variable: str,
    settings: Settings,
    title: str,
) -> list[pd.DataFrame]:
    """Local Moran and Gi* of ``table``'s LQs, one dask task per year x block of variables.

    Tasks are a year's table (its regions fix the graph) and up to
    ``LOCAL_VARIABLES_PER_TASK`` of its variables, so a year of industries is split over
    the workers; results do not depend on the split (see
    :func:`pipeline.measures.spatial.local_by_group`). The weights and each year's table
    travel once; a progress bar counts the tasks (terminals only).
    """
    spatial = settings.spatial
    shared_weights = client.scatter(weights, broadcast=True)
    futures = []
    for _, part in table.groupby("year", sort=True):
        shared_part = client.scatter(part)
        codes = sorted(part[variable].unique())
        for start in range(0, len(codes), LOCAL_VARIABLES_PER_TASK):
            futures.append(
                client.submit(
                    local_by_group,
                    shared_part,
                    shared_weights,
                    "lq",
                    ("year", variable),
                    spatial.permutations,
                    spatial.seed,
                    spatial.alpha,
                    spatial.missing,
                    variables=codes[start : start + LOCAL_VARIABLES_PER_TASK],
                    pure=False,
                )
            )
    return [future.result() for future in tracked(futures, title, len(futures))]


LOCAL_COLUMNS = [
    "year", "cluster_code", "region_id", "local_i", "local_p", "quadrant", "gi_star_z", "gi_star_p",
]  # fmt: skip


def run_spatial(
    settings: Settings, dataset: str, layout: Layout, scheduler: str | None = None
) -> None:
    """cluster_strength (and the LQ dataset) -> local Moran and Gi* per region x variable x year.

    local_spatial.parquet holds the clusters; local_spatial_industries.parquet the
    finest-level industries (six-digit NAICS) when ``spatial.local_over`` is industries,
    and no rows otherwise. Years x blocks of variables are tasks on the dask cluster.
    """
    spatial = settings.spatial
    with steps(f"spatial {dataset}", 3) as step:
        strength = _read(layout.table("cluster_strength.parquet"))
        weights = _read(layout.table("spatial_weights.parquet"))
        industries = _industry_lqs(settings, dataset, layout)
        clusters, per_industry = [], []  # without boundaries (empty weights) nothing to test
        if not weights.empty:
            with dask_client(settings.compute, scheduler) as client:
                clusters = _per_year(
                    client,
                    strength[["year", "cluster_code", "region_id", "lq"]],
                    weights,
                    "cluster_code",
                    settings,
                    f"spatial {dataset}: clusters",
                )
                if spatial.local_over == "industries":
                    per_industry = _per_year(
                        client,
                        industries[["year", "industry_code", "region_id", "lq"]],
                        weights,
                        "industry_code",
                        settings,
                        f"spatial {dataset}: industries",
                    )
        local = _local_table(clusters, "cluster_code")
        step(f"local Moran and Gi* for {len(local):,} region x cluster x year cells")
        names = strength[["cluster_code", "cluster_name"]].drop_duplicates("cluster_code")
        local = local.merge(names, on="cluster_code", how="left")
        named = _names_for(settings, settings.dataset(dataset), layout)
        local = named(local)
        publish.write_table(
            local, layout.table("local_spatial.parquet"), metadata=_about(settings, dataset)
        )
        local_industries = _local_table(per_industry, "industry_code")
        step(f"local Moran and Gi* for {len(local_industries):,} region x industry x year cells")
        titles = industries[["industry_code", "industry_name"]].drop_duplicates("industry_code")
        local_industries = named(local_industries.merge(titles, on="industry_code", how="left"))
        publish.write_table(
            local_industries,
            layout.table("local_spatial_industries.parquet"),
            metadata=_about(settings, dataset),
        )
        step("wrote local_spatial, local_spatial_industries")


def _local_table(pieces: list[pd.DataFrame], variable: str) -> pd.DataFrame:
    """The gathered local statistics, sorted by year, variable, region (or no rows)."""
    columns = ["year", variable, "region_id", *LOCAL_COLUMNS[3:]]
    if not pieces:
        return pd.DataFrame(columns=columns).astype(
            {"year": "int16", variable: "str", "region_id": "str", "quadrant": "str"}
        )
    local = pd.concat(pieces, ignore_index=True)[columns]
    return local.sort_values(["year", variable], kind="stable", ignore_index=True)


def _industry_lqs(settings: Settings, dataset: str, layout: Layout) -> pd.DataFrame:
    """The LQs of the finest-level industries (where clusters are defined), or no rows.

    Read only when ``spatial.local_over`` is industries.
    """
    columns = ["year", "industry_code", "industry_name", "region_id", "lq"]
    if settings.spatial.local_over != "industries":
        return pd.DataFrame(columns=columns).astype(
            {"year": "int16", "industry_code": "str", "industry_name": "str", "region_id": "str"}
        )
    path = lq_dataset_path(layout.processed)
    levels = read_quotients(path, columns=["industry_level"])["industry_level"].unique()
    level = cluster_level(settings.dataset(dataset).classification, pd.Series(levels))
    return read_quotients(path, columns=columns, filters=[("industry_level", "==", level)])
