"""The relate stage: employment -> industry relatedness and derived industry clusters,
validated against the benchmark."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from pipeline import publish
from pipeline.classifications.definitions import NAICS, cluster_level, cluster_mapping
from pipeline.classifications.titles import industry_titles
from pipeline.clusters.derived import (
    clustering_relatedness,
    derive_industry_clusters,
    validation_metrics,
)
from pipeline.clusters.relatedness import (
    combined_relatedness,
    relatedness_measures,
    relatedness_table,
    within_between,
)
from pipeline.config import Settings
from pipeline.engine.panel import year_levels
from pipeline.profiles.names import with_names
from pipeline.progress import steps
from pipeline.sources.linkages import (
    read_input_output_table,
    read_occupation_table,
    read_us_linkages,
)
from pipeline.sources.suppression import exclude_imputed
from pipeline.stages.common import CLUSTER_COLUMNS, Layout, _about, _built, _read_columns


def run_relate(settings: Settings, dataset: str, layout: Layout) -> None:
    """employment -> industry_relatedness.parquet and derived industry clusters, validated.

    Relatedness (:mod:`pipeline.clusters.relatedness`) is computed from the dataset itself
    (co-location across its regions, latest year, finest level) and, for NAICS 2017 data,
    from the embedded BEA input-output and OEWS occupation tables (or a dataset's own tables,
    params ``relatedness.tables``). The derived clusters (:mod:`pipeline.clusters.derived`)
    group the traded industries (NAICS; every industry otherwise) and are scored against
    the benchmark and the baselines in ``industry_cluster_validation.json``.
    """
    config = settings.dataset(dataset)
    related, spec = settings.relatedness, settings.industry_clusters
    with steps(f"relate {dataset}", 3) as step:
        # Published cells only: imputed cells are split by national shares, which would make
        # every industry look co-located with the regions' mix (ARI vs DPS 0.576 -> 0.492).
        source = _built(layout.table("employment.parquet"))
        keys = year_levels(source, published_only=True)
        level = cluster_level(config.classification, keys["industry_level"])
        year = int(keys["year"].max())
        # only the latest year is related: read its rows (published cells only)
        employment = exclude_imputed(
            _read_columns(
                source, [*CLUSTER_COLUMNS, "employment_flag"], filters=[("year", "=", year)]
            )
        )
        detail = employment[
            (employment["industry_level"] == level)
            & (employment["year"] == year)
            & (employment["industry_code"] != "00")
        ]
        if detail["industry_code"].nunique() < 3:  # nothing to relate: benchmark clusters only
            step(f"fewer than 3 industries at level {level} in {year}: no derived clusters")
            for name in ("derived_clusters.parquet", "industry_cluster_validation.json"):
                (layout.interim / name).unlink(missing_ok=True)
            empty = pd.DataFrame(columns=["industry_code", "related_code", "combined", "rank"])
            publish.write_table(
                empty,
                layout.table("industry_relatedness.parquet"),
                metadata=_about(settings, dataset),
            )
            publish.write_table(
                pd.DataFrame(),
                layout.table("derived_cluster_scores.parquet"),
                metadata=_about(settings, dataset),
            )
            return
        benchmark = cluster_mapping(
            detail["industry_code"].unique(), config.classification, Path(settings.classifications)
        )
        if config.classification == "naics2017":
            linkages = read_us_linkages(related.linkages)
            tables = {
                "use": linkages.use,
                "make": linkages.make,
                "crosswalk": linkages.crosswalk,
                "occupations": linkages.occupations,
                "prefix_map": linkages.prefix_map,
            }
        else:
            own = related.tables.get(dataset, {})
            tables = {
                "flows": read_input_output_table(own["input_output"])
                if "input_output" in own
                else None,
                "occupations": read_occupation_table(own["occupations"])
                if "occupations" in own
                else None,
            }
        measures = relatedness_measures(detail, related, **tables)
        combined = combined_relatedness(
            measures,
            {name: related.weights.get(name, 0.0) for name in measures},
            method=related.standardise,
        )
        published = relatedness_table(measures, combined, top_k=related.top_k)
        step(f"relatedness of {len(combined):,} industries ({', '.join(measures)})")

        traded = benchmark.loc[benchmark["cluster_type"] == "traded", "industry_code"]
        codes = sorted(
            set(traded)
            if spec.traded_only and config.classification in NAICS
            else set(detail["industry_code"])
        )
        weights = {name: related.weights.get(name, 0.0) for name in measures}
        clustering = clustering_relatedness(
            measures, weights, codes, spec, standardise=related.standardise
        )
        grid = [k for k in spec.n_clusters if k < len(codes)] or list(
            range(min(3, len(codes) - 1), max(3, len(codes) // 2) + 1)
        )
        size = detail.groupby("industry_code")["employment"].sum()
        titles = industry_titles(config.classification, Path(settings.classifications))
        # few industries (e.g. 19 NACE sections): the grid is 3 .. n/2 and no group may hold
        # more than half of the industries
        guard = max(spec.max_cluster_share, 0.5) if grid != list(spec.n_clusters) else None
        derived, scores = derive_industry_clusters(
            clustering,
            size,
            replace(
                spec, n_clusters=tuple(grid), max_cluster_share=guard or spec.max_cluster_share
            ),
            titles if len(titles) else None,
        )
        if config.classification not in NAICS:  # a group is traded if most of its jobs are
            kind = benchmark.set_index("industry_code")["cluster_type"]
            traded_share = (
                derived.assign(
                    size=derived["industry_code"].map(size).fillna(0.0),
                    traded=derived["industry_code"].map(kind).eq("traded"),
                )
                .assign(traded_size=lambda t: t["size"] * t["traded"])
                .groupby("cluster_code")[["traded_size", "size"]]
                .sum()
            )
            is_traded = traded_share["traded_size"] >= 0.5 * traded_share["size"]
            derived["cluster_type"] = (
                derived["cluster_code"].map(is_traded).map({True: "traded", False: "local"})
            )
        step(f"{derived['cluster_code'].nunique()} derived clusters of {len(codes)} industries")

        region_total = employment[
            (employment["industry_code"] == "00") & (employment["year"] == year)
        ].set_index("region_id")["employment"]
        cells = detail[detail["industry_code"].isin(codes)].pivot_table(
            index="region_id", columns="industry_code", values="employment", aggfunc="sum"
        )
        shares = cells.div(region_total.reindex(cells.index), axis=0)
        location_quotients = shares / (cells.sum() / region_total.reindex(cells.index).sum())
        benchmark_traded = (
            benchmark[benchmark["cluster_type"] == "traded"].set_index("industry_code")[
                "cluster_code"
            ]
            if config.classification in NAICS
            else None
        )
        validation = validation_metrics(
            clustering,
            derived.set_index("industry_code")["cluster_code"],
            benchmark_traded,
            location_quotients.fillna(0.0),
        )
        separation = {}
        if benchmark_traded is not None:
            separation = {
                name: {
                    key: round(float(value), 4)
                    for key, value in within_between(matrix, benchmark_traded).items()
                }
                for name, matrix in {**measures, "combined": combined}.items()
            }
        report = {
            "year": year,
            "industries": int(len(combined)),
            "clustered_industries": len(codes),
            "measures": sorted(measures),
            "partitions": validation,
            "benchmark_separation": separation,
        }
        publish.write_table(
            with_names(published, titles),
            layout.table("industry_relatedness.parquet"),
            metadata=_about(settings, dataset),
        )
        publish.write_table(
            derived, layout.interim / "derived_clusters.parquet", metadata=_about(settings, dataset)
        )
        publish.write_table(
            scores,
            layout.table("derived_cluster_scores.parquet"),
            metadata=_about(settings, dataset),
        )
        publish.write_json(report, layout.interim / "industry_cluster_validation.json")
        step("wrote industry_relatedness, derived clusters and their validation")
