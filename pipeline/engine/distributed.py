"""The measures of a panel too big for memory, one year per task on a dask.distributed cluster.

Years are independent, so each task reads one year (only its row groups,
:mod:`pipeline.engine.panel`), reduces it with the measure kernels, and only the small
results travel. :func:`year_measures` is the task body of the measure stage: the LQs
(:func:`pipeline.measures.specialization.coded_location_quotients`) and the concentration
measures (:func:`pipeline.measures.concentration.coded_concentration`) of one year from one
coded pass, sharing the gathers. :func:`industry_concentration_distributed`,
:func:`location_quotients_by_year` and :func:`location_quotients_distributed` give the
pandas functions' results for a Parquet panel or a dask DataFrame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.classifications.size_classes import PLANT_SIZE_CLASSES
from pipeline.engine.panel import parquet_years, read_coded_year
from pipeline.errors import UserError
from pipeline.measures.coding import (
    CodedYear,
    categorical,
    coded_region_totals,
    gather_industry_rows,
)
from pipeline.measures.concentration import (
    SizeClassBounds,
    coded_concentration,
    empty_concentration,
    industry_concentration,
    plant_squares_for_rows,
)
from pipeline.measures.specialization import (
    LQ_CELL_COLUMNS,
    CodedQuotients,
    check_denominator,
    coded_location_quotients,
    coded_quotients_frame,
    coded_quotients_table,
    location_quotients,
    require_lq_base,
)

NO_TOTALS = (
    "employment: no all-industry total rows (industry_level 0); add them or pass region_totals"
)


def year_measures(
    table: pa.Table,
    year: int,
    denominator: str,
    traded_industries: Iterable[str],
    top_level: int | None,
) -> tuple[pa.Table, pd.DataFrame]:
    """Location quotients and industry concentration of one year, from one coded pass.

    Parameters
    ----------
    table : pyarrow.Table
        One year of the canonical employment table
        (:data:`pipeline.measures.coding.PANEL_COLUMNS`; region_id and industry_code best
        dictionary-encoded, as :func:`pipeline.engine.panel.read_year` returns them).
    year : int
        The year the table holds.
    denominator, traded_industries, top_level
        The LQ base e_r (``measure.lq_denominator``; see
        :func:`pipeline.measures.specialization.coded_location_quotients`).

    Returns
    -------
    (pyarrow.Table, DataFrame)
        The LQ table (:func:`pipeline.measures.specialization.coded_quotients_table`) and
        the concentration table of the year. Both equal the pandas functions
        (:func:`pipeline.measures.specialization.location_quotients`,
        :func:`pipeline.measures.concentration.industry_concentration`) up to the order of
        floating-point sums.
    """
    coded = CodedYear.from_arrow(table, year)
    totals = coded_region_totals(coded)
    industry_rows = gather_industry_rows(coded, totals)
    if not (coded.level == 0).any():
        raise UserError(NO_TOTALS)
    concentration = coded_concentration(coded, totals, industry_rows=industry_rows)
    quotients = coded_location_quotients(
        coded, denominator, traded_industries, top_level, industry_rows
    )
    return coded_quotients_table(coded, quotients), concentration


def run_tasks(client, task, calls: Sequence[tuple], **keywords) -> list:
    """``task(*call, **keywords)`` for every call, on the client if given, in call order."""
    if client is None:
        return [task(*call, **keywords) for call in calls]
    return client.gather([client.submit(task, *call, pure=False, **keywords) for call in calls])


# --------------------------------------------------------------------------------------
# Industry concentration
# --------------------------------------------------------------------------------------


def _year_size_classes(size_classes: pd.DataFrame | None, year: int) -> pd.DataFrame | None:
    if size_classes is None:
        return None
    return size_classes[size_classes["year"] == year]


def _concentration_of_year(
    source: str | Path,
    year: int,
    size_classes: pd.DataFrame | None,
    size_class_bounds: SizeClassBounds,
) -> pd.DataFrame:
    """Task: read one year and return its industry concentration table."""
    coded = read_coded_year(source, year)
    plant_squares = None
    if size_classes is not None and len(size_classes):
        frame = pd.DataFrame(
            {
                "region_id": categorical(coded.region, coded.region_ids),
                "industry_code": categorical(coded.industry, coded.industry_codes),
                "year": np.full(len(coded.region), year, dtype=np.int16),
                "employment": coded.employment,
            }
        )
        plant_squares = plant_squares_for_rows(
            frame,
            size_classes,
            (coded.region, coded.region_ids, coded.industry, coded.industry_codes),
            size_class_bounds,
        )
    return coded_concentration(coded, coded_region_totals(coded), plant_squares)


def _concentration_partition(
    part: pd.DataFrame,
    size_classes: pd.DataFrame | None,
    size_class_bounds: SizeClassBounds,
) -> pd.DataFrame:
    return industry_concentration(
        part, size_classes=size_classes, size_class_bounds=size_class_bounds
    )


def industry_concentration_distributed(
    source: dd.DataFrame | str | Path,
    client=None,
    size_classes: pd.DataFrame | None = None,
    size_class_bounds: SizeClassBounds = PLANT_SIZE_CLASSES,
    whole_years: bool = False,
) -> pd.DataFrame:
    """:func:`~pipeline.measures.concentration.industry_concentration` of a big panel, one year per task.

    Parameters
    ----------
    source : dask DataFrame, or path of a Parquet file or directory
        The canonical employment table (with its industry_level 0 total rows). A path is
        read one year per task, only that year's row groups, with region and industry
        dictionary-encoded (best: a file with one or more row groups per year). A dask
        DataFrame may be partitioned any way: it is shuffled on year first so that each
        partition holds whole years, unless ``whole_years`` says it already does.
    client : distributed.Client, optional
        Where to run; None runs the tasks one after the other in this process.
    size_classes, size_class_bounds
        As in :func:`~pipeline.measures.concentration.industry_concentration` (a pandas
        frame; each task gets its year).
    whole_years : bool
        The dask DataFrame's partitions already hold whole years: skip the shuffle.

    Returns
    -------
    DataFrame
        Equal to ``industry_concentration`` of the whole table (same columns, sorted by
        year and industry_code). Memory: one year per worker at a time.
    """
    if isinstance(source, dd.DataFrame):
        frame = source if whole_years else source.shuffle(on="year")
        reduced = frame.map_partitions(
            _concentration_partition,
            size_classes,
            size_class_bounds,
            meta=empty_concentration(),
        )
        result = client.compute(reduced).result() if client is not None else reduced.compute()
    else:
        calls = [
            (str(source), year, _year_size_classes(size_classes, year), size_class_bounds)
            for year in parquet_years(source)
        ]
        frames = run_tasks(client, _concentration_of_year, calls)
        result = pd.concat(frames, ignore_index=True) if frames else empty_concentration()
    return result.sort_values(["year", "industry_code"], ignore_index=True)


# --------------------------------------------------------------------------------------
# Location quotients
# --------------------------------------------------------------------------------------


def _quotients_of_year(year: int, source: str, denominator: str) -> pd.DataFrame:
    """Partition of :func:`location_quotients_by_year` (``dd.from_map`` passes the year first)."""
    coded = read_coded_year(source, year)
    if denominator == "all" and not (coded.level == 0).any():
        raise UserError(
            "employment: no all-industry total rows (industry_level 0); add them or set "
            "measure.lq_denominator: level"
        )
    return coded_quotients_frame(coded, coded_location_quotients(coded, denominator, (), None))


def location_quotients_by_year(source: str | Path, denominator: str) -> dd.DataFrame:
    """Employment and establishment LQs of a big Parquet panel, one partition per year.

    Parameters
    ----------
    source : path of a Parquet file or directory
        The canonical employment table (see :func:`pipeline.engine.panel.read_year` for
        the layout).
    denominator : {'all', 'level'}
        As in :func:`pipeline.measures.specialization.location_quotients`.

    Returns
    -------
    dask DataFrame
        Lazy; the columns of ``location_quotients`` (region_id and industry_code as
        categoricals whose categories are that year's dictionary). Write it with
        ``to_parquet`` (one file per year, nothing gathered) or reduce it; each partition
        is computed by bincounts on integer codes, without merges on string keys.
    """
    years = parquet_years(source)
    meta = coded_quotients_frame(CodedYear.empty(), CodedQuotients.empty())
    return dd.from_map(
        _quotients_of_year,
        years,
        args=[str(source), denominator],
        meta=meta,
        label="location-quotients",
    )


def _quotients_of_whole_years(
    part: pd.DataFrame,
    denominator: str,
    traded_industries: tuple[str, ...],
    top_level: int | None,
) -> pd.DataFrame:
    return location_quotients(part, denominator, traded_industries, top_level, require_base=False)


def location_quotients_distributed(
    employment: dd.DataFrame,
    denominator: str,
    traded_industries: Iterable[str] | None = None,
) -> dd.DataFrame:
    """:func:`~pipeline.measures.specialization.location_quotients` of a dask DataFrame.

    Parameters
    ----------
    employment : dask DataFrame
        The canonical employment table, partitioned any way.
    denominator, traded_industries
        As in ``location_quotients``.

    Returns
    -------
    dask DataFrame
        Lazy; the rows of ``location_quotients`` of the whole table (partition order, not
        sorted). The table is shuffled on year so that each partition holds whole years,
        then each partition runs the pandas function (the one LQ kernel). The distinct
        (industry_level, industry_code) pairs are computed first, to fix the 'private'
        sector level and to check that the base exists.
    """
    check_denominator(denominator)
    traded = () if traded_industries is None else tuple(traded_industries)
    industries = employment[["industry_level", "industry_code"]].drop_duplicates().compute()
    detail_levels = industries.loc[industries["industry_level"] > 0, "industry_level"]
    top_level = int(detail_levels.min()) if len(detail_levels) else None
    require_lq_base(industries, denominator, traded, top_level)
    meta = employment._meta[LQ_CELL_COLUMNS].assign(
        region_employment=np.float64(), lq=np.float64(), lq_establishments=np.float64()
    )
    return employment.shuffle(on="year").map_partitions(
        _quotients_of_whole_years, denominator, traded, top_level, meta=meta
    )
