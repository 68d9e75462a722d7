"""The employment file at scale: a typed Parquet file checked per column and per year on Arrow.

Why a module of its own: reading tens of millions of rows as text to check them takes minutes;
a Parquet file whose schema columns are already typed (codes as strings, years and levels as
integers, counts as numbers) can be checked one year at a time on its Arrow columns, codes
on their dictionaries, in seconds. The checks are those of the text path
(:mod:`pipeline.sources.inspection`) and the result the same
:class:`~pipeline.sources.employment_check.EmploymentCheck`; at the first sign of a problem
:class:`NeedsTextPath` is raised, and the text path reads the file again and words it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.classifications import hierarchy as code_rules
from pipeline.classifications.codes import LEVEL_MAX, TOTAL_CODE, classification_name
from pipeline.sources import employment_check as rules
from pipeline.sources.raw_schema import (
    REQUIRED_COLUMNS,
    ROWS_LISTED,
    SCHEMA_COLUMNS,
    YEAR_DIGITS,
    ignored_column_warnings,
    rows_phrase,
)
from pipeline.sources.raw_table import is_parquet, normalised_header
from pipeline.sources.schema import EMPLOYMENT_COLUMNS, EMPLOYMENT_FLAGS

_CODE_TYPES = (pyarrow.types.is_string, pyarrow.types.is_large_string)


def _is_text_type(kind: pyarrow.DataType) -> bool:
    if pyarrow.types.is_dictionary(kind):
        kind = kind.value_type
    return any(check(kind) for check in _CODE_TYPES)


def typed_columns(path: Path) -> dict[str, str] | None:
    """Schema column -> the file's column name, when every schema column is plainly typed.

    Codes, flags and classification as strings, year and industry_level as integers,
    employment and establishments as numbers; None otherwise (or when headers repeat after
    normalising, or the file keeps a pandas index), and the text path reads the file.
    """
    try:
        schema = pq.read_schema(path)
    except Exception:  # damaged: the text path words the error
        return None
    metadata = schema.pandas_metadata or {}
    if any(not isinstance(column, dict) for column in metadata.get("index_columns", [])):
        return None  # keys saved as the pandas index
    columns: dict[str, str] = {}
    for name in schema.names:
        normalised = normalised_header(name)
        if normalised in columns:
            return None
        columns[normalised] = name
    if any(required not in columns for required in REQUIRED_COLUMNS):
        return None
    for column in SCHEMA_COLUMNS:
        if column not in columns:
            continue
        kind = schema.field(columns[column]).type
        if column in ("region_id", "industry_code", "employment_flag", "classification"):
            typed = _is_text_type(kind)
        elif column in ("year", "industry_level"):
            typed = pyarrow.types.is_integer(kind)
        else:
            typed = pyarrow.types.is_integer(kind) or pyarrow.types.is_floating(kind)
        if not typed:
            return None
    return {column: columns[column] for column in SCHEMA_COLUMNS if column in columns}


@dataclass
class _RowList:
    """The first row numbers (and the value at the first) of a condition, over the file."""

    rows: list[int] = field(default_factory=list)
    count: int = 0
    first_value: float = np.nan

    def add(self, rows: np.ndarray, values: np.ndarray | None = None) -> None:
        if not len(rows):
            return
        if values is not None and (not self.rows or rows[0] < self.rows[0]):
            self.first_value = float(values[0])
        self.rows = sorted([*self.rows, *rows[: ROWS_LISTED + 1].tolist()])[: ROWS_LISTED + 1]
        self.count += len(rows)

    def phrase(self) -> str:
        listed = [*self.rows, *([0] * (self.count - len(self.rows)))]
        return rows_phrase(listed)


def _year_row_groups(parquet: pq.ParquetFile, year_column: str) -> list[list[int]] | None:
    """Row groups by year when each group holds one year (footer statistics), else None."""
    metadata = parquet.metadata
    index = parquet.schema_arrow.get_field_index(year_column)
    groups: dict[int, list[int]] = {}
    for number in range(metadata.num_row_groups):
        statistics = metadata.row_group(number).column(index).statistics
        if statistics is None or not statistics.has_min_max or statistics.min != statistics.max:
            return None
        groups.setdefault(int(statistics.min), []).append(number)
    return [groups[year] for year in sorted(groups)]


def _dictionary(column: pyarrow.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and the labels (object array) of a text column."""
    if not pyarrow.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    column = column.unify_dictionaries() if isinstance(column, pyarrow.ChunkedArray) else column
    combined = column.combine_chunks() if isinstance(column, pyarrow.ChunkedArray) else column
    codes = combined.indices.to_numpy(zero_copy_only=False)
    labels = combined.dictionary.to_numpy(zero_copy_only=False).astype(object)
    return codes.astype(np.int64), labels


def _clean_labels(labels: np.ndarray) -> bool:
    """No label the text path would change (surrounding spaces) or read as empty."""
    return all(isinstance(label, str) and label and label == label.strip() for label in labels)


def _numbers(column: pyarrow.ChunkedArray) -> np.ndarray:
    return column.cast(pyarrow.float64()).to_numpy().astype(np.float64, copy=True)


class NeedsTextPath(Exception):
    """The fast path found something the text path must word (an error, or odd text)."""


def inspect_typed_parquet(
    path: Path,
    columns: dict[str, str],
    classification: str | None,
    hierarchy: str | Path | pd.DataFrame | None,
    classifications_dir: Path | None,
    keep_source_rows: bool,
) -> rules.EmploymentCheck:
    """:func:`~pipeline.sources.inspection.inspect_employment` of a typed Parquet file, one
    year at a time on arrays.

    Every check of the text path runs vectorised on the Arrow columns (codes on their
    dictionaries, :class:`TypedScan`). Raises :class:`NeedsTextPath` at the first sign of
    an error, so that the text path can report it exactly as it always does. The years are
    then put together into one pandas table; :class:`TypedScan` hands them out one at a
    time instead, for files too large for that.
    """
    scan = TypedScan(path, columns, classification, hierarchy, classifications_dir)
    combined = pyarrow.concat_tables(list(scan.years()))
    check = scan.check
    if keep_source_rows:
        rows = combined.select(["region_id", "industry_code", "year", "row"]).to_pandas()
        rows = rows[rows["row"] > 0].astype({"year": "int64"})
        check.source_rows = rows.sort_values("row", ignore_index=True)
    table = combined.drop_columns(["row"]).to_pandas()
    del combined
    check.note_derived_totals(path, check.derived_totals, table)
    check.employment = table[EMPLOYMENT_COLUMNS]
    return check


class TypedScan:
    """A typed Parquet employment file read and checked one year at a time.

    ``years()`` yields each year's canonical rows as an Arrow table (columns
    :data:`~pipeline.sources.schema.EMPLOYMENT_COLUMNS` plus ``row``, the file row number,
    0 for a derived total), sorted by region and industry, the years in ascending order;
    only one year's columns are in memory at a time. When the last year has been yielded,
    ``check`` holds the problems (warnings; an error raises :class:`NeedsTextPath`
    instead), the classification and ``derived_totals``; ``region_years`` counts the
    region-years. Its ``employment`` stays None: the caller keeps what it needs of each year.

    Raises
    ------
    NeedsTextPath
        At the first sign of an error or of text the text path would read differently
        (here, or while iterating ``years()``).
    """

    def __init__(
        self,
        path: Path,
        columns: dict[str, str],
        classification: str | None,
        hierarchy: str | Path | pd.DataFrame | None,
        classifications_dir: Path | None,
    ) -> None:
        text_columns = ("region_id", "industry_code", "employment_flag", "classification")
        self.path = Path(path)
        self.columns = columns
        self.classifications_dir = classifications_dir
        self.parquet = pq.ParquetFile(
            path, read_dictionary=[columns[name] for name in text_columns if name in columns]
        )
        rows_read = self.parquet.metadata.num_rows
        if rows_read == 0:
            raise NeedsTextPath
        self.classification = _typed_classification(self.parquet, columns, classification)
        self.hierarchy = None
        if self.classification == "custom":
            if hierarchy is None:
                raise NeedsTextPath
            self.hierarchy = rules.hierarchy_table(hierarchy)
        self.known = code_rules.known_industry_codes(
            self.classification, classifications_dir, self.hierarchy
        )
        self.check = rules.EmploymentCheck(
            None,
            ignored_column_warnings(
                [normalised_header(name) for name in self.parquet.schema_arrow.names], path
            ),
            classification=self.classification,
            hierarchy=self.hierarchy,
            rows_read=rows_read,
        )
        self.region_years = 0

    def region_ids(self) -> list[str]:
        """The distinct region ids of the file, sorted (read from the column alone)."""
        column = self.parquet.read(columns=[self.columns["region_id"]]).column(0)
        if pyarrow.types.is_dictionary(column.type):
            column = column.unify_dictionaries().combine_chunks().dictionary
        values = pc.unique(column.cast(pyarrow.string())).drop_null()
        return sorted(values.to_pylist())

    def years(self) -> Iterator[pyarrow.Table]:
        parquet, columns = self.parquet, self.columns
        metadata = parquet.metadata
        by_year = _year_row_groups(parquet, columns["year"])
        batches = [list(range(metadata.num_row_groups))] if by_year is None else by_year
        starts = np.cumsum(
            [0] + [metadata.row_group(n).num_rows for n in range(metadata.num_row_groups)]
        )
        suppressed_valued, unflagged_empty = _RowList(), _RowList()
        derived = 0
        for groups in batches:
            table = parquet.read_row_groups(groups, columns=list(columns.values()))
            row_numbers = np.concatenate([np.arange(starts[n], starts[n + 1]) for n in groups]) + 1
            year_values = table.column(columns["year"])
            if year_values.null_count:
                raise NeedsTextPath
            year_array = year_values.to_numpy().astype(np.int64)
            if len(year_array) and (
                year_array.min() < YEAR_DIGITS[0] or year_array.max() > YEAR_DIGITS[1]
            ):
                raise NeedsTextPath
            if by_year is not None:
                pieces = [(int(year_array[0]), table, row_numbers)]
            else:
                pieces = []
                for year in np.unique(year_array):
                    rows = np.flatnonzero(year_array == year)
                    pieces.append((int(year), table.take(pyarrow.array(rows)), row_numbers[rows]))
            del table
            while pieces:
                year, part, numbers = pieces.pop(0)
                year_table, year_derived = _typed_year(
                    part, columns, year, numbers, self.classification, self.known,
                    self.hierarchy, self.classifications_dir, suppressed_valued,
                    unflagged_empty,
                )  # fmt: skip
                del part
                derived += year_derived
                self.region_years += _distinct_regions(year_table)
                yield year_table
                del year_table
        if suppressed_valued.count:
            self.check.problems.append(
                rules.suppressed_value_warning(
                    self.path, suppressed_valued.rows[0], suppressed_valued.first_value,
                    suppressed_valued.phrase(),
                )
            )  # fmt: skip
        if unflagged_empty.count:
            self.check.problems.append(
                rules.empty_unflagged_warning(
                    self.path, unflagged_empty.rows[0], unflagged_empty.phrase()
                )
            )
        self.check.derived_totals = derived


def _distinct_regions(year_table: pyarrow.Table) -> int:
    return len(pc.unique(year_table.column("region_id")))


def _typed_classification(
    parquet: pq.ParquetFile, columns: dict[str, str], argument: str | None
) -> str:
    named = classification_name(argument) if argument is not None else None
    if argument is not None and named is None:
        raise NeedsTextPath
    if "classification" in columns:
        column = parquet.read(columns=[columns["classification"]]).column(0)
        values = pc.unique(
            column.unify_dictionaries().combine_chunks()
            if pyarrow.types.is_dictionary(column.type)
            else column
        )
        values = values.cast(pyarrow.string()).drop_null()
        in_file = {classification_name(value) for value in values.to_pylist()}
        if None in in_file or len(in_file) > 1 or (named and in_file and named not in in_file):
            raise NeedsTextPath
        if in_file:
            named = in_file.pop()
    if named is None:
        raise NeedsTextPath
    return named


def _typed_year(
    table: pyarrow.Table,
    columns: dict[str, str],
    year: int,
    row_numbers: np.ndarray,
    named: str,
    known: frozenset[str],
    hierarchy: pd.DataFrame | None,
    directory: Path | None,
    suppressed_valued: _RowList,
    unflagged_empty: _RowList,
) -> tuple[pyarrow.Table, int]:
    """One year's canonical rows as Arrow, sorted, with file row numbers (0: derived)."""
    region_column = table.column(columns["region_id"])
    industry_column = table.column(columns["industry_code"])
    if region_column.null_count or industry_column.null_count:
        raise NeedsTextPath
    region, region_labels = _dictionary(region_column)
    raw_industry, raw_labels = _dictionary(industry_column)
    if not (_clean_labels(region_labels) and _clean_labels(raw_labels)):
        raise NeedsTextPath
    normalised = code_rules.normalise_codes(pd.Series(raw_labels, dtype="str"), named)
    if not code_rules.is_known_code(normalised, named, known).all():
        raise NeedsTextPath
    codes, code_labels = pd.factorize(normalised)
    code_labels = np.asarray(code_labels, dtype=object)
    industry = codes[raw_industry]
    n_cells = len(region_labels) * len(code_labels)
    if (
        len(region)
        and np.bincount(region * len(code_labels) + industry, minlength=n_cells).max() > 1
    ):
        raise NeedsTextPath  # a repeated region x industry
    employment = _numbers(table.column(columns["employment"]))
    if np.isinf(employment).any() or (employment < 0).any():
        raise NeedsTextPath
    if "establishments" in columns:
        establishments = _numbers(table.column(columns["establishments"]))
        if np.isinf(establishments).any() or (establishments < 0).any():
            raise NeedsTextPath
    else:
        establishments = np.full(len(employment), np.nan)
    flag_index = {flag: number for number, flag in enumerate(EMPLOYMENT_FLAGS)}
    if "employment_flag" in columns:
        flag_codes, flag_labels = _dictionary(
            pc.fill_null(
                table.column(columns["employment_flag"]).cast(pyarrow.string()), "reported"
            )
        )
        if not _clean_labels(flag_labels):
            raise NeedsTextPath
        lowered = [label.lower() for label in flag_labels]
        if any(label not in flag_index for label in lowered):
            raise NeedsTextPath
        flags = np.array([flag_index[label] for label in lowered], dtype=np.int32)[flag_codes]
    else:
        flags = np.full(len(employment), flag_index["reported"], dtype=np.int32)
    suppressed = flags == flag_index["suppressed"]
    valued = suppressed & ~np.isnan(employment)
    suppressed_valued.add(row_numbers[valued], employment[valued])
    employment[valued] = np.nan
    empty = np.isnan(employment) & ~suppressed
    unflagged_empty.add(row_numbers[empty])
    flags[empty] = flag_index["suppressed"]

    levels = code_rules.derived_levels(
        pd.Series(code_labels, dtype="str"), named, hierarchy
    ).to_numpy()
    is_total = (code_labels == TOTAL_CODE)[industry]
    row_level = levels[industry]
    if "industry_level" in columns:
        given = _numbers(table.column(columns["industry_level"]))
        if ((given == 0) & ~is_total).any() or (given < 0).any() or (given > LEVEL_MAX).any():
            raise NeedsTextPath
        row_level = np.where(~np.isnan(given) & ~is_total, given, row_level)
    has_total = np.zeros(len(region_labels), dtype=bool)
    has_total[region[is_total]] = True
    present = np.zeros(len(region_labels), dtype=bool)
    present[region] = True
    order = np.lexsort((_label_rank(code_labels)[industry], _label_rank(region_labels)[region]))
    arrays = {
        "region_id": _labels_taken(region_labels, region[order]),
        "industry_code": _labels_taken(code_labels, industry[order]),
        "industry_level": pyarrow.array(row_level[order].astype(np.int8)),
        "year": pyarrow.array(np.full(len(order), year, dtype=np.int16)),
        "employment": pyarrow.array(employment[order], from_pandas=True),
        "establishments": pyarrow.array(establishments[order], from_pandas=True),
        "classification": _labels_taken(
            np.array([named], dtype=object), np.zeros(len(order), np.int64)
        ),
        "employment_flag": _labels_taken(np.array(EMPLOYMENT_FLAGS, dtype=object), flags[order]),
        "row": pyarrow.array(row_numbers[order].astype(np.int64)),
    }
    year_table = pyarrow.table(arrays)
    if has_total[present].all():
        return year_table, 0
    # Some region-years lack a total row: derive it (pandas, this year only).
    frame = year_table.drop_columns(["row"]).to_pandas()
    with_totals, derived = rules.with_derived_totals(frame, named, hierarchy, directory)
    with_totals = with_totals.assign(
        row=np.concatenate([row_numbers[order], np.zeros(derived, dtype=np.int64)])
    )
    with_totals = with_totals.astype(
        {"industry_level": "int8", "year": "int16", "employment": "float64",
         "establishments": "float64"}
    ).sort_values(["region_id", "industry_code"], ignore_index=True)  # fmt: skip
    return pyarrow.Table.from_pandas(
        with_totals, schema=year_table.schema, preserve_index=False
    ), derived


def _labels_taken(labels: np.ndarray, codes: np.ndarray) -> pyarrow.Array:
    """``labels[codes]`` as an Arrow string array (one C gather, no Python strings)."""
    return pyarrow.array(labels, pyarrow.large_string()).take(pyarrow.array(codes))


def _label_rank(labels: np.ndarray) -> np.ndarray:
    """Rank of each label in code-point order (the order of ``sort_values``)."""
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(labels, kind="stable")] = np.arange(len(labels))
    return rank


def open_typed_scan(
    path: Path,
    classification: str | None,
    hierarchy: str | Path | pd.DataFrame | None,
    classifications_dir: Path | None,
) -> TypedScan | None:
    """A :class:`TypedScan` of ``path``, or None when it is not a non-empty Parquet file with
    typed schema columns, or its first look already needs the text path."""
    path = Path(path)
    if not (path.is_file() and path.stat().st_size and is_parquet(path)):
        return None
    columns = typed_columns(path)
    if columns is None:
        return None
    try:
        return TypedScan(path, columns, classification, hierarchy, classifications_dir)
    except NeedsTextPath:
        return None
