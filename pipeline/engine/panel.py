"""One year at a time out of a Parquet employment table (a file or a dataset directory).

A file written with one or more row groups per year is read by row group: only the groups
whose footer statistics hold the year. A directory is read as a hive-partitioned dataset
with a year filter. Region and industry codes come back dictionary-encoded, so that
:meth:`pipeline.measures.coding.CodedYear.from_arrow` takes the dictionary indices as its
integer codes without hashing a string.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline.errors import UserError
from pipeline.measures.coding import CODE_COLUMNS, PANEL_COLUMNS, CodedYear


def year_statistics(source: Path) -> list[tuple[int, int]]:
    """(min, max) year of each row group of a Parquet file, from its footer statistics.

    Empty when a row group has no statistics for ``year``.
    """
    metadata = pq.ParquetFile(source).metadata
    column = metadata.schema.to_arrow_schema().get_field_index("year")
    ranges = []
    for number in range(metadata.num_row_groups):
        statistics = metadata.row_group(number).column(column).statistics
        if statistics is None or not statistics.has_min_max:
            return []
        ranges.append((int(statistics.min), int(statistics.max)))
    return ranges


def parquet_years(source: str | Path) -> list[int]:
    """The years in a Parquet file (from row-group statistics) or dataset directory."""
    source = Path(source)
    if not source.exists():
        raise UserError(f"{source}: not found; write the employment table there first")
    if source.is_file():
        ranges = year_statistics(source)
        if ranges and all(low == high for low, high in ranges):
            return sorted({low for low, _ in ranges})
    years = ds.dataset(source, format="parquet", partitioning="hive").to_table(columns=["year"])
    return sorted(int(year) for year in pc.unique(years.column("year")).to_pylist())


def read_year(source: str | Path, year: int, columns: Sequence[str] = PANEL_COLUMNS) -> pa.Table:
    """One year of a Parquet employment table, region and industry dictionary-encoded.

    Parameters
    ----------
    source : path
        A Parquet file (read by row group: only the groups whose statistics hold the
        year) or a (hive-partitioned) dataset directory (read with a year filter).
    year : int
        The year to read.
    columns : sequence of str
        The columns to read (``year`` is always read, last).

    Returns
    -------
    pyarrow.Table
        The year's rows.
    """
    source = Path(source)
    wanted = [column for column in columns if column != "year"] + ["year"]
    if source.is_file():
        ranges = year_statistics(source)
        if ranges:
            groups = [n for n, (low, high) in enumerate(ranges) if low <= year <= high]
            reader = pq.ParquetFile(source, read_dictionary=CODE_COLUMNS)
            table = reader.read_row_groups(groups, columns=wanted)
            if all(ranges[n][0] == ranges[n][1] for n in groups):
                return table
            return table.filter(pc.equal(table.column("year"), year))
    file_format = ds.ParquetFileFormat(
        read_options=ds.ParquetReadOptions(dictionary_columns=CODE_COLUMNS)
    )
    dataset = ds.dataset(source, format=file_format, partitioning="hive")
    return dataset.to_table(columns=wanted, filter=ds.field("year") == year)


def read_coded_year(source: str | Path, year: int) -> CodedYear:
    """:func:`read_year`, integer-coded."""
    return CodedYear.from_arrow(read_year(source, year), year)


def without_imputed(table: pa.Table) -> pa.Table:
    """The rows of ``table`` less its imputed industry cells (Arrow twin of
    :func:`pipeline.sources.suppression.exclude_imputed`): an imputed all-industry total
    (industry_level 0) stays, as it is the LQ denominator. Needs ``employment_flag`` and
    ``industry_level``."""
    imputed = pc.and_(
        pc.equal(table.column("employment_flag").cast(pa.string()), "imputed"),
        pc.greater(table.column("industry_level"), 0),
    )
    return table.filter(pc.invert(pc.fill_null(imputed, False)))


def year_levels(source: str | Path, published_only: bool) -> pd.DataFrame:
    """industry_level, year: the industry levels present in each year of an employment table.

    Read one year at a time, two small columns (the panel is never in memory); with
    ``published_only`` the imputed industry cells do not count (:func:`without_imputed`).
    """
    pairs = []
    for year in parquet_years(source):
        table = read_year(
            source, year, ["industry_level", *(["employment_flag"] if published_only else [])]
        )
        if published_only:
            table = without_imputed(table)
        levels = pc.unique(table.column("industry_level")).to_pylist()
        pairs += [(int(level), year) for level in levels]
    return pd.DataFrame(pairs, columns=["industry_level", "year"])
