"""The measure stage: employment -> location quotients, concentration, region
specialization, LQ change (one dask task per year)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import publish
from pipeline.classifications.definitions import cluster_level, cluster_mapping
from pipeline.compute import dask_client
from pipeline.config import Settings
from pipeline.engine.distributed import year_measures
from pipeline.engine.panel import parquet_years, read_year, without_imputed
from pipeline.errors import UserError
from pipeline.lq_dataset import PartWriter, lq_dataset_path, quotients_table, quotients_writer
from pipeline.measures.change import LQ_CHANGE_COLUMNS, lq_change
from pipeline.measures.coding import PANEL_COLUMNS
from pipeline.measures.spatial import moran_by_group
from pipeline.measures.specialization import LQ_META, region_specialization
from pipeline.progress import steps, tracked
from pipeline.stages.common import Layout, _about, _read
from pipeline.stages.names import _names_for


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
        named = _names_for(settings, config, layout)
        target = lq_dataset_path(layout.processed)
        concentration, specialization, moran = [], [], []
        n_cells = 0
        with quotients_writer(target, LQ_NAMED_SCHEMA, _about(settings, dataset)) as write:
            # each task writes its year's partition (year=YYYY/part-0.parquet) itself: the
            # LQ rows never travel to this process
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
                    named,
                    write,
                    pure=False,
                )
                for year in years
            ]
            for future in tracked(futures, f"measure {dataset}: years", len(futures)):
                year_cells, year_concentration, year_specialization, year_moran = future.result()
                future.release()
                n_cells += year_cells
                concentration.append(year_concentration)
                specialization.append(year_specialization)
                moran.append(year_moran)
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
    return without_imputed(table).drop_columns(["employment_flag"])


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
    named: Callable[[pd.DataFrame], pd.DataFrame],
    write: PartWriter,
) -> tuple[int, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Task: one year -> its LQ partition (written here, named), and its concentration,
    region specialization and Moran's I (returned with the number of LQ rows)."""
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
    if settings.spatial.moran_levels == "cluster":  # the permutations cost most of the stage
        frame = frame[frame["industry_level"] == level]
    moran = _moran_by_year(frame, weights, settings)
    del frame
    n_cells = write(_named_quotients(quotients, named))
    return n_cells, concentration, specialization, moran


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
