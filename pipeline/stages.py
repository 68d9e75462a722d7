"""Stage entry points: read a stage's inputs, call the library, write its outputs atomically.

These are the only functions (with the CLI) that touch disk. Each DVC stage runs one of
them through ``regclust <stage>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import publish, tables
from pipeline.classifications.definitions import (
    NAICS,
    cluster_level,
    cluster_mapping,
    label_weights,
)
from pipeline.clusters.labels import (
    ClusterLabeller,
    label_with_confidence,
    patent_intensity,
)
from pipeline.clusters.regional import notable_pairs, regional_clusters, spatial_significance
from pipeline.clusters.strength import cluster_employment, effective_lq_base, score_clusters
from pipeline.compute import dask_client
from pipeline.config import Settings
from pipeline.engine.distributed import year_measures
from pipeline.engine.panel import parquet_years, read_year
from pipeline.errors import UserError
from pipeline.lq_dataset import (
    lq_dataset_path,
    lq_schema,
    quotients_table,
    quotients_writer,
    read_quotients,
)
from pipeline.measures.change import LQ_CHANGE_COLUMNS, lq_change, strong_cluster_transitions
from pipeline.measures.coding import PANEL_COLUMNS
from pipeline.measures.spatial import local_by_group, moran_by_group
from pipeline.measures.specialization import LQ_META, region_specialization, region_totals
from pipeline.progress import steps, tracked
from pipeline.sources.custom_classification import read_technology_table
from pipeline.sources.generic import EMPLOYMENT_ARROW_SCHEMA, EmploymentYears
from pipeline.sources.registry import ingest, source_metrics
from pipeline.sources.suppression import exclude_imputed
from pipeline.sources.us_patents import dataset_patents


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


def _about(settings: Settings, dataset: str) -> dict[str, str]:
    """Dataset-level metadata stamped into every published Parquet schema (``regclust.*``)."""
    from pipeline import __version__

    config = settings.dataset(dataset)
    return {
        "dataset": dataset,
        "dataset_description": config.description,
        "classification": config.classification,
        "measure": config.measure,
        "unit": config.unit,
        "source": config.source,
        "licence": config.licence,
        "version": __version__,
        **tables.params_context(settings),  # the thresholds the column descriptions cite
    }


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


def _names_for(settings: Settings, config, layout: Layout):
    """A function adding ``industry_name`` (official titles) and ``region_name`` (from
    regions.parquet) to a published table (:func:`pipeline.profiles.with_names`)."""
    from pipeline.classifications.titles import industry_titles
    from pipeline.profiles import with_names

    titles = (
        industry_titles(config.classification, Path(settings.classifications))
        if config.classification != "custom"
        else pd.Series(dtype="str")
    )
    regions_path = layout.table("regions.parquet")
    region_names = None
    if regions_path.exists():
        regions = pd.read_parquet(regions_path, columns=["region_id", "name"])
        region_names = pd.Series(regions["name"].to_numpy(), index=regions["region_id"])
    return lambda table: with_names(table, titles, region_names)


def run_measure(
    settings: Settings, dataset: str, layout: Layout, scheduler: str | None = None
) -> None:
    """employment -> location quotients, concentration, region specialization, LQ change.

    One dask task per year (years are independent): it reads that year's row groups with
    region and industry dictionary-encoded, computes the LQs and the concentration measures
    from integer codes with bincounts (:func:`pipeline.engine.distributed.year_measures`),
    then the year's region specialization and global Moran's I. Only the year's LQ table
    travels back, and it is written as that year's partition of the ``location_quotients/``
    dataset (:mod:`pipeline.lq_dataset`), so the panel is never whole in memory.
    """
    config = settings.dataset(dataset)
    source = layout.table("employment.parquet")
    if not source.exists():
        raise UserError(f"{source}: not found; run 'regclust ingest --dataset {dataset}' first")
    weights = _read(layout.table("spatial_weights.parquet"))
    use_imputed = settings.measure.use_imputed
    with steps(f"measure {dataset}", 5) as step, dask_client(settings.compute, scheduler) as client:
        step(f"dask client ready ({client.scheduler.address})")
        years = parquet_years(source)
        industries = pd.concat(
            [_year_industries(source, year, use_imputed) for year in years], ignore_index=True
        ).drop_duplicates(ignore_index=True)
        level = cluster_level(config.classification, industries["industry_level"])
        if not (industries["industry_level"] == level).any():
            raise UserError(
                f"{config.options.get('employment', source)}: no industries at level {level}, "
                f"where the {config.classification} "
                "clusters and region measures are computed; add level-"
                f"{level} codes, or use classification custom"
            )
        mapping = cluster_mapping(
            industries.loc[industries["industry_level"] == level, "industry_code"].unique(),
            config.classification,
            Path(settings.classifications),
        )
        traded = tuple(mapping.loc[mapping["cluster_type"] == "traded", "industry_code"])
        detail_levels = industries.loc[industries["industry_level"] > 0, "industry_level"]
        top_level = int(detail_levels.min()) if len(detail_levels) else None
        shared_weights = client.scatter(weights, broadcast=True)
        futures = [
            client.submit(
                _measure_year,
                str(source),
                year,
                settings,
                traded,
                top_level,
                level,
                shared_weights,
                pure=False,
            )
            for year in years
        ]
        target = lq_dataset_path(layout.processed)
        concentration, specialization, moran = [], [], []
        n_cells = 0
        named = _names_for(settings, config, layout)
        with quotients_writer(target, LQ_NAMED_SCHEMA, _about(settings, dataset)) as write:
            # in year order: one partition (year=YYYY/part-0.parquet) per year
            for future in tracked(futures, f"measure {dataset}: years", len(futures)):
                year_quotients, year_concentration, year_specialization, year_moran = (
                    future.result()
                )
                future.release()
                write(_named_quotients(year_quotients, named))
                n_cells += len(year_quotients)
                concentration.append(year_concentration)
                specialization.append(year_specialization)
                moran.append(year_moran)
                del year_quotients
            step(f"location quotients for {n_cells:,} cells")
            concentration = pd.concat(concentration, ignore_index=True).merge(
                pd.concat(moran, ignore_index=True), on=["year", "industry_code"], how="left"
            )
            step(
                f"concentration and Moran's I of {concentration['industry_code'].nunique():,} "
                "industries"
            )
            specialization = pd.concat(specialization, ignore_index=True)
        change = settings.change
        base_year = config.change_base_year or change.base_year
        lq_changes = (
            lq_change(
                _read_years(
                    target,
                    [base_year or years[0], change.end_year or years[-1]],
                    ["region_id", "industry_code", "industry_level", "year", "employment", "lq"],
                ),
                base_year,
                change.end_year,
                change.specialisation_lq,
                change.stable_tolerance,
            )
            if len(years) > 1
            else pd.DataFrame(columns=LQ_CHANGE_COLUMNS)
        )
        step("region specialization and LQ change")
        named = _names_for(settings, config, layout)
        publish.write_table(
            named(concentration),
            layout.table("concentration.parquet"),
            metadata=_about(settings, dataset),
        )
        publish.write_table(
            named(specialization),
            layout.table("region_specialization.parquet"),
            metadata=_about(settings, dataset),
        )
        publish.write_table(
            named(lq_changes), layout.table("lq_change.parquet"), metadata=_about(settings, dataset)
        )
        step("wrote location_quotients, concentration, region_specialization, lq_change")


LQ_SCHEMA = pa.Schema.from_pandas(LQ_META, preserve_index=False).remove_metadata()
LQ_SCHEMA = LQ_SCHEMA.set(0, pa.field("region_id", pa.large_string())).set(
    1, pa.field("industry_code", pa.large_string())
)
# The published table also names its codes (region_name, industry_name), after each code.
LQ_NAMED_SCHEMA = LQ_SCHEMA.insert(1, pa.field("region_name", pa.large_string())).insert(
    3, pa.field("industry_name", pa.large_string())
)


def _named_quotients(quotients: pa.Table, named) -> pa.Table:
    """One year's LQ table with ``region_name`` and ``industry_name`` (see ``_names_for``).

    A name depends only on its code, so ``named`` sees each distinct code once (one frame:
    the distinct region ids and industry codes, the shorter list repeated to the longer's
    length) and the names are taken by the codes' dictionary indices (no string per row).
    """
    table = quotients.select(LQ_SCHEMA.names).cast(LQ_SCHEMA)
    codes = ("region_id", "industry_code")
    encoded = {code: pc.dictionary_encode(table.column(code).combine_chunks()) for code in codes}
    size = max(len(encoded[code].dictionary) for code in codes)
    keys = pd.DataFrame(
        {
            code: encoded[code]
            .dictionary.take([i % len(encoded[code].dictionary) for i in range(size)])
            .to_pandas()
            if len(encoded[code].dictionary)
            else pd.Series([None] * size, dtype=object)
            for code in codes
        }
    )
    names = named(keys)
    for position, code, column in ((1, codes[0], "region_name"), (3, codes[1], "industry_name")):
        distinct = len(encoded[code].dictionary)
        values = names[column] if column in names.columns else pd.Series(None, index=keys.index)
        values = values.iloc[:distinct]
        dictionary = pa.array(
            values.astype(object).where(values.notna(), None), type=pa.large_string()
        )
        table = table.add_column(position, column, dictionary.take(encoded[code].indices))
    return table


def _year_columns(use_imputed: bool) -> list[str]:
    return PANEL_COLUMNS if use_imputed else [*PANEL_COLUMNS, "employment_flag"]


def _year_table(source: str | Path, year: int, use_imputed: bool, columns=None) -> pa.Table:
    """One year of the employment table, less imputed industry cells unless ``use_imputed``.

    An imputed all-industry total (industry_level 0) stays: it is the LQ denominator
    (as :func:`pipeline.sources.suppression.exclude_imputed`).
    """
    table = read_year(source, year, columns or _year_columns(use_imputed))
    if use_imputed:
        return table
    imputed = pc.and_(
        pc.equal(table.column("employment_flag").cast(pa.string()), "imputed"),
        pc.greater(table.column("industry_level"), 0),
    )
    return table.filter(pc.invert(pc.fill_null(imputed, False))).drop_columns(["employment_flag"])


def _year_industries(source: Path, year: int, use_imputed: bool) -> pd.DataFrame:
    """The (industry_level, industry_code) pairs present in one year."""
    columns = ["industry_level", "industry_code"] + ([] if use_imputed else ["employment_flag"])
    table = _year_table(source, year, use_imputed, columns).unify_dictionaries()
    pairs = table.select(["industry_level", "industry_code"]).group_by(
        ["industry_level", "industry_code"]
    )
    return (
        pairs.aggregate([])
        .cast(pa.schema([("industry_level", pa.int8()), ("industry_code", pa.string())]))
        .to_pandas()
    )


def _measure_year(
    source: str,
    year: int,
    settings: Settings,
    traded: tuple[str, ...],
    top_level: int | None,
    level: int,
    weights: pd.DataFrame,
) -> tuple[pa.Table, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Task: one year -> its LQ table, concentration, region specialization and Moran's I."""
    measure = settings.measure
    quotients, concentration = year_measures(
        _year_table(source, year, measure.use_imputed),
        year,
        measure.lq_denominator,
        traded,
        top_level,
    )
    frame = quotients.select(
        ["year", "region_id", "industry_code", "industry_level", "employment", "lq"]
    ).to_pandas()
    specialization = region_specialization(frame, traded, measure.specialised_lq, level)
    moran = _moran_by_year(frame, weights, settings)
    return quotients, concentration, specialization, moran


def _read_years(path: Path, years: list[int], columns: list[str] | None = None) -> pd.DataFrame:
    """Some columns (default all) of the LQ rows of some years (their year partitions only)."""
    table = quotients_table(path, years, columns or LQ_SCHEMA.names)
    return table.cast(pa.schema([LQ_SCHEMA.field(name) for name in table.column_names])).to_pandas()


def _moran_by_year(quotients: pd.DataFrame, weights: pd.DataFrame, settings: Settings):
    """Global Moran's I of every industry's LQ in one year's table."""
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
    moran = moran_by_group(
        quotients[["year", "industry_code", "region_id", "lq"]],
        weights,
        "lq",
        ("year", "industry_code"),
        spatial.permutations,
        spatial.seed,
        spatial.missing,
    )
    return moran[["year", "industry_code", *renamed]].rename(columns=renamed)


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


def run_cluster(settings: Settings, dataset: str, layout: Layout) -> None:
    """Benchmark clusters -> industry_clusters, cluster_strength, regional clusters (unlabelled)."""
    config = settings.dataset(dataset)
    rules = settings.cluster
    with steps(f"cluster {dataset}", 4) as step:
        source = layout.table("employment.parquet")
        # only the totals (level 0) and the definitions' level are used: read those rows
        levels = _read_columns(
            source,
            ["industry_level", *([] if settings.measure.use_imputed else ["employment_flag"])],
            read_dictionary=["employment_flag"],
        )
        if not settings.measure.use_imputed:
            levels = exclude_imputed(levels)
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
        detail = employment[employment["industry_level"] == level]
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
        totals = region_totals(employment)
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


# employment columns the cluster and relate stages use
CLUSTER_COLUMNS = [
    "region_id", "industry_code", "industry_level", "year", "employment", "establishments",
]  # fmt: skip


def _read_columns(path: Path, columns: list[str], **options) -> pd.DataFrame:
    """Some columns of a table in file order (pyarrow ``filters`` read only some rows)."""
    if not path.exists():
        raise UserError(f"{path}: not found; run the earlier stages first (dvc repro)")
    return pd.read_parquet(path, columns=columns, **options)


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


def _industry_titles(*tables: pd.DataFrame) -> dict[str, str]:
    """industry_code -> title from ``industry_name`` columns; section datasets (one industry
    per cluster, same code) fall back to the cluster's name."""
    from pipeline.maps import industry_names

    titles = industry_names(*tables)
    for table in tables:
        if {"industry_code", "cluster_code", "cluster_name"} <= set(table.columns):
            same = table[table["industry_code"] == table["cluster_code"]]
            for code, name in zip(same["industry_code"], same["cluster_name"], strict=True):
                titles.setdefault(code, name)
    return titles


def run_maps(settings: Settings, dataset: str, layout: Layout) -> None:
    """Published tables -> offline maps (maps/*.html, maps/*.png), the atlas (atlas/index.html)
    and a GeoPackage of the regions and regional clusters (gis/<dataset>.gpkg).

    Every page inlines Leaflet (pipeline/vendor) and its data: no CDN, no tile server.
    """
    import os

    import matplotlib

    matplotlib.use("Agg")  # the stage draws figures to files, never to a screen
    import matplotlib.pyplot as plt

    from pipeline import atlas, maps
    from pipeline.classifications.tables import RELATED_CLUSTERS_FILE
    from pipeline.classifications.titles import industry_titles

    config = settings.dataset(dataset)
    options = settings.maps
    focus = options.focus_extent.get(dataset)
    focus = tuple(float(v) for v in focus) if focus is not None else None
    with steps(f"maps {dataset}", 5) as step:
        regions = _read_geo(layout.table("regions.parquet"))
        clusters = _read_geo(layout.table("regional_clusters.parquet"))
        strength = _read(layout.table("cluster_strength.parquet"))
        local = _read(layout.table("local_spatial.parquet"))
        industries = _read(layout.table("industry_clusters.parquet"))
        original_regions, original_clusters = regions, clusters
        # Simplify once: every map below re-simplifies at the same tolerance, which is then cheap.
        regions = maps.simplify_for_web(
            regions, options.simplify_tolerance, options.coordinate_decimals
        )
        clusters = maps.simplify_for_web(
            clusters, options.simplify_tolerance, options.coordinate_decimals
        )
        year = maps.latest_year(strength)
        level = cluster_level(config.classification)
        quotients_path = lq_dataset_path(layout.processed)
        columns = ["region_id", "industry_code", "industry_level", "year", "employment", "lq"]
        if "industry_name" in lq_schema(quotients_path).names:
            columns.append("industry_name")
        quotients = read_quotients(
            quotients_path, [year], columns, filters=[("industry_level", "==", level)]
        )
        titles = _industry_titles(industries, quotients)
        official = industry_titles(config.classification, Path(settings.classifications))
        titles.update({str(code): str(name) for code, name in official.items()})
        leaders = maps.leading_clusters(strength, options.leading_clusters, year)
        step(f"read tables; leading clusters {', '.join(leaders['cluster_code'])}")

        folder = layout.processed / "maps"
        pages = {
            "regional_clusters.html": maps.clusters_map(
                regions,
                clusters,
                options,
                unit=config.unit,
                titles=titles,
                dataset=dataset,
                focus=focus,
            )
        }
        for code in leaders["cluster_code"]:
            pages[f"lq_{code}.html"] = maps.lq_map(
                regions, strength, code, options, unit=config.unit, dataset=dataset, focus=focus
            )
            pages[f"lisa_{code}.html"] = maps.lisa_map(
                regions, local, code, options, dataset=dataset, focus=focus
            )
        for name, page in tracked(pages.items(), f"maps {dataset}: pages", len(pages)):
            publish.write_text(page.html, folder / name)
        step(f"wrote {len(pages)} interactive maps")

        figures = {
            "regional_clusters.png": maps.static_clusters_figure(
                regions, clusters, strength, options, dataset=dataset, focus=focus
            )
        }
        for code in leaders["cluster_code"]:
            figures[f"lq_{code}.png"] = maps.static_lq_figure(
                regions, strength, code, options, unit=config.unit, dataset=dataset, focus=focus
            )
        for name, figure in figures.items():
            with publish.atomic_path(folder / name) as temporary:
                figure.savefig(temporary, format="png", dpi=options.static_dpi)
            plt.close(figure)
        # Maps of clusters that are no longer leading would be stale: remove them.
        for stale in folder.glob("l*_*.*"):
            if stale.name not in pages and stale.name not in figures:
                stale.unlink()
        step(f"wrote {len(figures)} static maps")

        groups_path = layout.table("region_groups.parquet")
        related_path = Path(settings.classifications) / RELATED_CLUSTERS_FILE
        data = atlas.atlas_data(
            regions,
            clusters,
            strength,
            quotients,
            options,
            dataset=dataset,
            description=config.description,
            measure=config.measure,
            unit=config.unit,
            titles=titles,
            focus=focus,
            groups=pd.read_parquet(groups_path, columns=atlas.GROUP_COLUMNS)
            if groups_path.exists()
            else None,
            related=pd.read_csv(
                related_path, dtype={"cluster_code": str, "related_cluster_code": str}
            )  # the US Cluster Mapping related clusters: benchmark (NAICS) clusters only
            if config.classification in ("naics2017", "naics2012") and related_path.exists()
            else None,
        )
        publish.write_text(atlas.atlas_html(data), layout.processed / "atlas" / "index.html")
        step("wrote atlas/index.html")

        # GeoPackage for GIS users whose GDAL reads no GeoParquet: the original geometries.
        target = layout.processed / "gis" / f"{dataset}.gpkg"
        with publish.atomic_path(target) as temporary:
            named = temporary.with_name(temporary.name + ".gpkg")  # GDAL wants the extension
            try:
                for name, layer in maps.gis_layers(original_regions, original_clusters).items():
                    layer.to_file(named, layer=name, driver="GPKG")
                os.replace(named, temporary)
            finally:
                named.unlink(missing_ok=True)
        step(f"wrote gis/{dataset}.gpkg")


def run_region_groups(settings: Settings, dataset: str, layout: Layout) -> dict:
    """cluster_strength + contiguity -> region_groups.parquet and region_groups_metrics.json.

    Contiguous specialisation regions (Ward with the contiguity as connectivity) and the
    unconstrained KMeans comparison, the group count chosen by params ``region_groups``.
    Returns the metrics written (``{"region_groups": {year: ...}}``).
    """
    from pipeline.clusters.region_groups import group_regions

    with steps(f"region groups {dataset}", 2) as step:
        strength = _read(layout.table("cluster_strength.parquet"))
        weights = _read(layout.table("spatial_weights.parquet"))
        regions = _read_geo(layout.table("regions.parquet"))
        table, by_year = group_regions(strength, weights, regions, settings.region_groups)
        summary = ", ".join(
            f"{year}: {scores['ward']['n_groups']} groups (+{scores['isolates']} isolated)"
            for year, scores in by_year.items()
        )
        step(summary)
        metrics = {"region_groups": by_year}
        publish.write_geotable(
            table, layout.table("region_groups.parquet"), metadata=_about(settings, dataset)
        )
        publish.write_json(metrics, layout.table("region_groups_metrics.json"))
        step("wrote region_groups, region_groups_metrics.json")
    return metrics


def run_relate(settings: Settings, dataset: str, layout: Layout) -> None:
    """employment -> industry_relatedness.parquet and derived industry clusters, validated.

    Relatedness (:mod:`pipeline.clusters.relatedness`) is computed from the dataset itself
    (co-location across its regions, latest year, finest level) and, for NAICS 2017 data,
    from the embedded BEA input-output and OEWS occupation tables (or a dataset's own tables,
    params ``relatedness.tables``). The derived clusters (:mod:`pipeline.clusters.derived`)
    group the traded industries (NAICS; every industry otherwise) and are scored against
    the benchmark and the baselines in ``industry_cluster_validation.json``.
    """
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
    from pipeline.sources.linkages import (
        read_input_output_table,
        read_occupation_table,
        read_us_linkages,
    )

    config = settings.dataset(dataset)
    related, spec = settings.relatedness, settings.industry_clusters
    with steps(f"relate {dataset}", 3) as step:
        # Published cells only: imputed cells are split by national shares, which would make
        # every industry look co-located with the regions' mix (ARI vs DPS 0.576 -> 0.492).
        source = layout.table("employment.parquet")
        keys = exclude_imputed(
            _read_columns(
                source,
                ["industry_level", "year", "employment_flag"],
                read_dictionary=["employment_flag"],
            )
        ).drop_duplicates(["industry_level", "year"])
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
            related.standardise,
        )
        published = relatedness_table(measures, combined, related.top_k)
        step(f"relatedness of {len(combined):,} industries ({', '.join(measures)})")

        traded = benchmark.loc[benchmark["cluster_type"] == "traded", "industry_code"]
        codes = sorted(
            set(traded)
            if spec.traded_only and config.classification in NAICS
            else set(detail["industry_code"])
        )
        weights = {name: related.weights.get(name, 0.0) for name in measures}
        clustering = clustering_relatedness(measures, weights, codes, spec, related.standardise)
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
            published,
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
