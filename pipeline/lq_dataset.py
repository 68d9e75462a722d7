"""The published LQ table: a year-partitioned Parquet dataset, written atomically, read as one.

Layout (hive partitioning, readable as one table by pyarrow, DuckDB, pandas, Spark and R arrow)::

    location_quotients/
        _common_metadata              schema of the whole table (year included), no rows
        year=2017/part-0.parquet      that year's rows; the year is in the folder name only
        year=2018/part-0.parquet

Every part file carries the column descriptions (field metadata ``description``/``unit``) and
the dataset-level metadata (``regclust.dataset``, ``regclust.measure`` ...) of
:func:`pipeline.publish.described`. The year is a partition key, not a column of the part
files (Spark rejects a column that is both). :func:`read_quotients` gives it back as
``int16``, as in the rest of the pipeline; other readers infer its type from the folder names:
``int32`` (pyarrow.dataset, R arrow), ``BIGINT`` (DuckDB), ``int32`` Spark, and a categorical
of int32 in ``pandas.read_parquet(folder)``. The values are the same years.

The writer (:func:`quotients_writer`) takes one year at a time, so the table is never whole in
memory. It writes into a hidden sibling folder ``.location_quotients.<random>.tmp`` and moves it
over the previous folder only when every year is written: a failed or interrupted run leaves
the previous complete result in place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline import publish, tables
from pipeline.atomic_cleanup import DEFAULT_MIN_AGE_SECONDS, TEMPORARY_NAME
from pipeline.errors import UserError

LQ_DATASET = "location_quotients"
"""Folder name of the LQ dataset in a dataset's processed folder."""
PARTITION = "year"
YEAR_TYPE = pa.int16()
PART_NAME = "part-0.parquet"
COMMON_METADATA = "_common_metadata"
DICTIONARY_KEY = LQ_DATASET
"""Entry of :data:`pipeline.tables.TABLES` that validates and describes the columns."""

_UMASK = os.umask(0)
os.umask(_UMASK)


def lq_dataset_path(processed: str | Path) -> Path:
    """The LQ dataset folder of a dataset's processed folder (``data/processed/<dataset>``)."""
    return Path(processed) / LQ_DATASET


def _partitioning() -> ds.Partitioning:
    return ds.partitioning(pa.schema([(PARTITION, YEAR_TYPE)]), flavor="hive")


def lq_schema(path: str | Path) -> pa.Schema:
    """The schema of the LQ dataset at ``path`` (from ``_common_metadata``), with metadata."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: not found; run the measure stage first (regclust measure)")
    common = path / COMMON_METADATA
    if common.exists():
        return pq.read_schema(common)
    return _dataset(path).schema


def _dataset(path: Path) -> ds.Dataset:
    common = path / COMMON_METADATA
    schema = pq.read_schema(common) if common.exists() else None
    return ds.dataset(path, format="parquet", partitioning=_partitioning(), schema=schema)


def quotients_table(
    path: str | Path,
    years: Sequence[int] | None = None,
    columns: Sequence[str] | None = None,
    filters: list[tuple] | list[list[tuple]] | None = None,
) -> pa.Table:
    """The LQ rows of some years and columns, as Arrow (only the matching year folders are read).

    Parameters
    ----------
    path : str or Path
        The dataset folder (:func:`lq_dataset_path`).
    years : sequence of int, optional
        Keep these years only (default all).
    columns : sequence of str, optional
        Columns to read (default all, in the table's order, ``year`` included).
    filters : list of tuples, optional
        Row filters in the pandas / pyarrow DNF form, e.g. ``[("industry_level", "==", 6)]``.

    Returns
    -------
    pyarrow.Table
        ``year`` as int16, columns in the published order.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: not found; run the measure stage first (regclust measure)")
    expression = pq.filters_to_expression(filters) if filters else None
    if years is not None:
        chosen = ds.field(PARTITION).isin(pa.array(sorted({int(y) for y in years}), YEAR_TYPE))
        expression = chosen if expression is None else expression & chosen
    dataset = _dataset(path)
    return dataset.to_table(
        columns=list(columns) if columns is not None else None, filter=expression
    )


def read_quotients(
    path: str | Path,
    years: Sequence[int] | None = None,
    columns: Sequence[str] | None = None,
    filters: list[tuple] | list[list[tuple]] | None = None,
) -> pd.DataFrame:
    """The LQ table (or some years / columns / rows of it) as a pandas DataFrame.

    Same arguments as :func:`quotients_table`; rows in year order, then as written.
    """
    return quotients_table(path, years, columns, filters).to_pandas()


def quotient_years(path: str | Path) -> list[int]:
    """The years in the LQ dataset, from its folder names (no file is opened)."""
    path = Path(path)
    return sorted(
        int(folder.name.split("=", 1)[1])
        for folder in path.glob(f"{PARTITION}=*")
        if (folder / PART_NAME).exists()
    )


@contextmanager
def quotients_writer(
    target: str | Path, schema: pa.Schema, metadata: Mapping[str, str] | None = None
) -> Iterator[PartWriter]:
    """Write the LQ dataset one year at a time: yield ``write(arrow_table)`` (a
    :class:`PartWriter`, which dask tasks can call themselves).

    Each call writes the years of ``arrow_table`` (normally one) to ``year=YYYY/part-0.parquet``
    of a hidden temporary folder beside ``target``; when the ``with`` block ends without error,
    ``_common_metadata`` is added and the folder replaces ``target`` (rename). On error the
    temporary folder is removed and ``target`` is untouched. Each table is validated against
    :data:`pipeline.tables.TABLES` ``['location_quotients']`` before it is written (a failure
    is a one-line UserError) and the columns described as in
    :func:`pipeline.publish.described`; ``schema`` must hold a ``year`` column.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_folders(target.parent)
    schema = publish.described(schema.empty_table(), DICTIONARY_KEY, metadata).schema
    part_schema = schema.remove(schema.get_field_index(PARTITION))
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    write = PartWriter(temporary, part_schema, target)
    try:
        yield write
        pq.write_metadata(schema, temporary / COMMON_METADATA)
        _publishable(temporary)
        _replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    # The single-file form of earlier versions would now be a stale copy beside the dataset.
    target.with_name(f"{target.name}.parquet").unlink(missing_ok=True)


@dataclass(frozen=True)
class PartWriter:
    """``write(table)`` of :func:`quotients_writer`: the years of ``table`` as part files.

    A plain picklable object, so that a dask task can write its own year into the
    temporary folder (the workers must see the same file system, as they read the
    employment table by path): the year's rows then never travel to the client. A year
    written twice is an error (its folder exists already).
    """

    folder: Path
    schema: pa.Schema
    target: Path

    def __call__(self, table: pa.Table) -> int:
        """Validate and write ``table``'s years; return the number of rows written."""
        tables.validate_table(table.to_pandas(), DICTIONARY_KEY)
        keys = table.column(PARTITION)
        years = pc.unique(keys).to_pylist()
        for year in years:
            folder = self.folder / f"{PARTITION}={int(year)}"
            try:
                folder.mkdir()
            except FileExistsError:
                raise ValueError(f"{self.target}: year {year} written twice") from None
            part = table if len(years) == 1 else table.filter(pc.equal(keys, year))
            part = part.drop_columns([PARTITION])
            pq.write_table(part.cast(self.schema), folder / PART_NAME, compression="zstd")
        return len(table)


def _publishable(folder: Path) -> None:
    """fsync every file and make the tree readable (mkdtemp makes it 0700)."""
    for directory, _, files in os.walk(folder):
        os.chmod(directory, 0o777 & ~_UMASK)
        for name in files:
            path = Path(directory) / name
            with open(path, "rb") as written:
                os.fsync(written.fileno())
            os.chmod(path, 0o666 & ~_UMASK)


def _replace(temporary: Path, target: Path) -> None:
    """Move ``temporary`` to ``target``; a previous ``target`` (folder or file) is removed after.

    POSIX cannot rename a folder over a non-empty one, so the previous folder is first
    renamed aside (a hidden sibling), and put back if the second rename fails.
    """
    if not target.exists() and not target.is_symlink():
        os.replace(temporary, target)
        return
    previous = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    aside = previous / target.name
    os.replace(target, aside)
    try:
        os.replace(temporary, target)
    except BaseException:
        os.replace(aside, target)
        raise
    finally:
        if aside.is_dir() and not aside.is_symlink():
            shutil.rmtree(previous, ignore_errors=True)
        else:
            aside.unlink(missing_ok=True)
            previous.rmdir()


def remove_stale_folders(
    folder: str | Path, min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS
) -> list[Path]:
    """Remove the hidden temporary folders a killed :func:`quotients_writer` left in ``folder``.

    A folder named like ``.location_quotients.k3j9x_2a.tmp`` (``tempfile.mkdtemp``) is stale
    when it has not been modified for ``min_age_seconds`` (as
    :func:`pipeline.atomic_cleanup.stale_temporaries` for files).
    """
    folder = Path(folder)
    removed = []
    now = time.time()
    for path in folder.glob(f".{LQ_DATASET}.*.tmp"):
        if not TEMPORARY_NAME.match(path.name) or path.is_symlink() or not path.is_dir():
            continue
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if age >= min_age_seconds:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
