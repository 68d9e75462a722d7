"""Integer codes for regions and industries: one year of the employment table as arrays.

The measure kernels (:mod:`pipeline.measures.concentration`,
:mod:`pipeline.measures.specialization`) never merge on string keys. Region and industry
codes are encoded once (pandas ``factorize``, a categorical's codes, or the dictionary
indices that a dictionary-encoded Arrow column already holds), and every group sum is an
``np.bincount`` (:func:`group_sums`). This module holds that coding and the gathers both
kernels share (the region totals e_r, E and the industry rows with e_i), so each is done
once per year.

Notation as in the kernels: e_ri employment of industry i in region r, e_i = sum_r e_ri,
e_r the region's all-industry total (its industry_level 0 row), E = sum_r e_r and
x_r = e_r / E.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.errors import UserError

# The columns of the canonical employment table a coded year is built from.
PANEL_COLUMNS = [
    "region_id",
    "industry_code",
    "industry_level",
    "year",
    "employment",
    "establishments",
]
CODE_COLUMNS = ["region_id", "industry_code"]


def encode(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and their labels; a categorical column is used as it is (no hashing)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), pd.Index(values.cat.categories)
    codes, labels = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), pd.Index(labels)


def arrow_codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pd.Index]:
    """Codes and labels of a dictionary-encoded Arrow column (one dictionary)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    indices = column.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    labels = pd.Index(column.dictionary.to_numpy(zero_copy_only=False).astype(str))
    return indices, labels


def categorical(codes: np.ndarray, labels: pd.Index) -> pd.Categorical:
    """A pandas categorical of codes into labels (the labels as strings)."""
    return pd.Categorical.from_codes(codes, categories=labels.astype("str"))


def group_sums(codes: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per code 0 .. size - 1: the number of rows (no weights) or the sum of ``weights``."""
    return np.bincount(codes, weights=weights, minlength=size)[:size]


def _float_array(column: pa.ChunkedArray) -> np.ndarray:
    return column.cast(pa.float64()).to_numpy().astype(np.float64, copy=False)


@dataclass
class CodedYear:
    """One year of the canonical employment table as integer-coded arrays.

    ``region`` and ``industry`` index ``region_ids`` and ``industry_codes``; ``level`` is
    industry_level (0 for the all-industry total row); ``employment`` and
    ``establishments`` are float64 with NaN for null (suppressed) cells.
    """

    year: int
    region: np.ndarray
    region_ids: pd.Index
    industry: np.ndarray
    industry_codes: pd.Index
    level: np.ndarray
    employment: np.ndarray
    establishments: np.ndarray

    @classmethod
    def from_arrow(cls, table: pa.Table, year: int) -> CodedYear:
        """Code one year's Arrow table (:data:`PANEL_COLUMNS`; dictionaries are reused)."""
        if len(table) and any(
            pa.types.is_dictionary(table.schema.field(name).type) for name in CODE_COLUMNS
        ):
            table = table.unify_dictionaries()
        region, region_ids = arrow_codes(table.column("region_id"))
        industry, industry_codes = arrow_codes(table.column("industry_code"))
        return cls(
            year=int(year),
            region=region,
            region_ids=region_ids,
            industry=industry,
            industry_codes=industry_codes,
            level=table.column("industry_level").to_numpy().astype(np.int8),
            employment=_float_array(table.column("employment")),
            establishments=_float_array(table.column("establishments")),
        )

    @classmethod
    def empty(cls) -> CodedYear:
        """A year without rows (the schema of a lazy result)."""
        no_codes, no_labels, no_values = (
            np.zeros(0, np.int64),
            pd.Index([], dtype="str"),
            np.zeros(0),
        )
        return cls(
            0, no_codes, no_labels, no_codes, no_labels, np.zeros(0, np.int8), no_values, no_values
        )


@dataclass
class PanelCodes:
    """A whole pandas employment table coded once; :meth:`year` slices one year out of it."""

    region: np.ndarray
    region_ids: pd.Index
    industry: np.ndarray
    industry_codes: pd.Index
    level: np.ndarray
    employment: np.ndarray
    establishments: np.ndarray
    years: np.ndarray

    @classmethod
    def from_frame(cls, employment: pd.DataFrame) -> PanelCodes:
        region, region_ids = encode(employment["region_id"])
        industry, industry_codes = encode(employment["industry_code"])
        return cls(
            region=region,
            region_ids=region_ids,
            industry=industry,
            industry_codes=industry_codes,
            level=employment["industry_level"].to_numpy().astype(np.int8),
            employment=employment["employment"].to_numpy(dtype=np.float64, na_value=np.nan),
            establishments=employment["establishments"].to_numpy(dtype=np.float64, na_value=np.nan),
            years=employment["year"].to_numpy(),
        )

    def year(self, year: int, rows: np.ndarray) -> CodedYear:
        """The coded year of ``rows`` (row numbers of ``year``, as :func:`year_slices` gives)."""
        return CodedYear(
            year, self.region[rows], self.region_ids, self.industry[rows], self.industry_codes,
            self.level[rows], self.employment[rows], self.establishments[rows],
        )  # fmt: skip


def year_slices(years: np.ndarray) -> Iterable[tuple[int, np.ndarray]]:
    """Row numbers of each year, in year order (one stable sort, no string work)."""
    unique_years, year_index = np.unique(years, return_inverse=True)
    order = np.argsort(year_index, kind="stable")
    bounds = np.searchsorted(year_index[order], np.arange(len(unique_years) + 1))
    for number, year in enumerate(unique_years):
        yield int(year), order[bounds[number] : bounds[number + 1]]


def check_columns(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """Raise a UserError naming the columns of ``columns`` that ``table`` lacks."""
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise UserError(
            f"{name}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )


# --------------------------------------------------------------------------------------
# Gathers shared by the kernels
# --------------------------------------------------------------------------------------


@dataclass
class RegionTotals:
    """Region totals of one year aligned with a region dictionary."""

    region_employment: np.ndarray  # e_r by region code; NaN where the region has no total
    national_employment: float  # E
    sum_x_squared: float  # sum_r x_r^2 over every region with a total


def coded_region_totals(coded: CodedYear) -> RegionTotals:
    """e_r, E and sum_r x_r^2 from the year's all-industry rows (industry_level 0)."""
    total_rows = coded.level == 0
    n_regions = len(coded.region_ids)
    employment = np.nan_to_num(coded.employment[total_rows])
    region_employment = group_sums(coded.region[total_rows], n_regions, employment)
    has_total = group_sums(coded.region[total_rows], n_regions) > 0
    values = np.where(has_total, region_employment, np.nan)
    return RegionTotals(values, float(np.nansum(values)), _sum_x2(values))


def region_totals_from_frame(totals: pd.DataFrame, region_ids: pd.Index) -> RegionTotals:
    """Align a (region_id, region_employment) table of one year with a region dictionary."""
    if totals["region_id"].duplicated().any():
        duplicate = totals.loc[totals["region_id"].duplicated(), "region_id"].iloc[0]
        raise UserError(
            f"region totals: region {duplicate!r} appears twice in one year; pass one row per "
            "year and region (pipeline.measures.specialization.region_totals)"
        )
    values = totals["region_employment"].to_numpy(dtype=np.float64, na_value=np.nan)
    position = region_ids.get_indexer(totals["region_id"])
    region_employment = np.full(len(region_ids), np.nan)
    region_employment[position[position >= 0]] = values[position >= 0]
    # Regions with a total but no industry rows still count in E and sum_r x_r^2.
    return RegionTotals(region_employment, float(np.nansum(values)), _sum_x2(values))


def _sum_x2(values: np.ndarray) -> float:
    national = np.nansum(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.nansum((values / national) ** 2))


@dataclass
class IndustryRows:
    """The industry rows (industry_level > 0) of a coded year with their totals.

    Shared by the concentration and LQ kernels so that each gather is done once.
    """

    rows: np.ndarray  # row numbers in the coded year
    industry: np.ndarray  # industry code of each row
    employment: np.ndarray  # e_ri as given (NaN: suppressed)
    employment0: np.ndarray  # e_ri, NaN -> 0
    industry_employment: np.ndarray  # e_i by industry code (nulls skipped)
    region_employment: np.ndarray  # e_r of each row's region (NaN: region without total)
    national_employment: float  # E


def gather_industry_rows(coded: CodedYear, totals: RegionTotals) -> IndustryRows:
    """Gather the industry rows of ``coded`` with e_i and their region's e_r."""
    rows = np.flatnonzero(coded.level > 0)
    industry = coded.industry[rows]
    employment = coded.employment[rows]
    employment0 = np.nan_to_num(employment)
    return IndustryRows(
        rows=rows,
        industry=industry,
        employment=employment,
        employment0=employment0,
        industry_employment=group_sums(industry, len(coded.industry_codes), employment0),
        region_employment=totals.region_employment[coded.region[rows]],
        national_employment=totals.national_employment,
    )
