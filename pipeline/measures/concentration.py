"""Geographic concentration of industries and specialization of regions.

Per industry x year, over regions (:func:`industry_concentration`):

- the locational Gini (Krugman 1991; Audretsch & Feldman 1996),
- the Hoover (1936) coefficient of localization,
- the Herfindahl index of the industry's regional shares,
- the Ellison & Glaeser (1997) raw concentration G, plant Herfindahl H and index gamma.

Per region x year, over industries (:func:`region_specialization`): the Krugman (1991)
specialization index, the Herfindahl index of the industry mix, the number of specialised
industries (LQ at or above a threshold) and the employment share of traded industries.

Notation: e_ri is employment of industry i in region r, e_i = sum_r e_ri, e_r the region's
all-industry total (its industry_level 0 row), E = sum_r e_r. The industry's regional
shares are s_ri = e_ri / e_i, the regions' shares of all employment x_r = e_r / E, and
LQ_ri = s_ri / x_r (Florence 1939; see :mod:`pipeline.measures.specialization`).

Every measure is a sum over regions, and regions where the industry is absent contribute
in closed form (s_ri = 0), so the functions work on the sparse table of published cells
only. The core is array arithmetic on integer codes: region and industry codes are
encoded once (pandas ``factorize``, or the dictionary indices that a dictionary-encoded
Parquet column already holds), and every group sum is an ``np.bincount`` per year. No
merge on string keys runs in the hot path.

For a panel that does not fit in memory, :func:`industry_concentration_distributed`,
:func:`location_quotients_by_year` and :func:`year_measures` (what the measure stage runs,
one task per year) work one year at a time on a dask.distributed cluster: each task reads one year of a Parquet file or dataset (only the
row groups holding that year), reduces it, and only the small results travel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from pipeline.errors import UserError
from pipeline.measures.specialization import DENOMINATORS, PUBLIC_SECTORS, locq

# CBP employment-size classes of establishments (County Business Patterns record layout,
# 'n<5' ... 'n1000'): inclusive bounds in employees, None for the open top class. 'n<5'
# (n1_4 before 2017) starts at 0: establishments with payroll in the year but no mid-March
# employees are counted in it.
CBP_SIZE_CLASSES: dict[str, tuple[float, float | None]] = {
    "n<5": (0.0, 4.0),
    "n5_9": (5.0, 9.0),
    "n10_19": (10.0, 19.0),
    "n20_49": (20.0, 49.0),
    "n50_99": (50.0, 99.0),
    "n100_249": (100.0, 249.0),
    "n250_499": (250.0, 499.0),
    "n500_999": (500.0, 999.0),
    "n1000": (1000.0, None),
}

H_EQUAL_PLANTS = "equal_plants_in_cell"
H_SIZE_CLASSES = "size_class_midpoints"
H_MIXED = "mixed"

CONCENTRATION_COLUMNS = [
    "year",
    "industry_code",
    "industry_level",
    "n_regions",
    "n_suppressed",
    "employment",
    "establishments",
    "gini",
    "hoover",
    "herfindahl",
    "eg_G",
    "eg_H",
    "eg_gamma",
    "eg_h_method",
]

SPECIALIZATION_COLUMNS = [
    "year",
    "region_id",
    "industry_level",
    "employment",
    "krugman",
    "herfindahl",
    "n_specialised",
    "traded_share",
]

PANEL_COLUMNS = [
    "region_id",
    "industry_code",
    "industry_level",
    "year",
    "employment",
    "establishments",
]
CODE_COLUMNS = ["region_id", "industry_code"]


# --------------------------------------------------------------------------------------
# Encoding: integer codes for regions and industries
# --------------------------------------------------------------------------------------


def _encode(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and their labels; a categorical column is used as it is (no hashing)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), pd.Index(values.cat.categories)
    codes, labels = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), pd.Index(labels)


def _arrow_codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pd.Index]:
    """Codes and labels of a dictionary-encoded Arrow column (one dictionary)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    indices = column.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    labels = pd.Index(column.dictionary.to_numpy(zero_copy_only=False).astype(str))
    return indices, labels


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
        if len(table) and any(
            pa.types.is_dictionary(table.schema.field(name).type) for name in CODE_COLUMNS
        ):
            table = table.unify_dictionaries()
        region, region_ids = _arrow_codes(table.column("region_id"))
        industry, industry_codes = _arrow_codes(table.column("industry_code"))
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


def _float_array(column: pa.ChunkedArray) -> np.ndarray:
    return column.cast(pa.float64()).to_numpy().astype(np.float64, copy=False)


def _segment_counts(codes: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(codes, weights=weights, minlength=size)[:size]


# --------------------------------------------------------------------------------------
# Plant Herfindahl H from CBP employment-size classes
# --------------------------------------------------------------------------------------


def plant_size_squares(
    size_classes: pd.DataFrame,
    cell_employment: np.ndarray,
    classes: dict[str, tuple[float, float | None]] = CBP_SIZE_CLASSES,
) -> np.ndarray:
    """Sum of squared plant sizes of each cell, estimated from employment-size classes.

    Parameters
    ----------
    size_classes : DataFrame
        One row per cell x size class: ``cell`` (an integer cell number indexing
        ``cell_employment``), ``size_class`` (a key of ``classes``) and ``establishments``
        (the number of plants of that class).
    cell_employment : array
        Employment of each cell (the region x industry x year total the plants add up to).
    classes : dict
        Class label -> (lower, upper) employee bounds; ``upper`` None marks the open top
        class.

    Returns
    -------
    array
        sum_p z_p^2 per cell, where z_p are the plant sizes; NaN for cells with no classes.

    Notes
    -----
    A plant of a bounded class has the size of the class midpoint (lower + upper) / 2.
    The plants of the open top class share equally whatever employment the bounded
    classes leave, but each has at least the class's lower bound. All sizes are then
    scaled by one factor so that they add up to the cell's employment. This is as exact as
    size classes allow; within a class, plants are taken as equal-sized.
    """
    unknown = sorted(set(size_classes["size_class"].unique()) - set(classes))
    if unknown:
        raise UserError(
            f"size classes: unknown size_class {unknown[0]!r}; use one of {', '.join(classes)}"
        )
    labels = list(classes)
    lower = np.array([classes[label][0] for label in labels])
    upper = np.array(
        [np.nan if classes[label][1] is None else classes[label][1] for label in labels]
    )
    class_code = pd.Index(labels).get_indexer(size_classes["size_class"])
    is_open = np.isnan(upper[class_code])
    midpoint = np.where(is_open, 0.0, (lower[class_code] + np.nan_to_num(upper[class_code])) / 2)
    plants = size_classes["establishments"].to_numpy(dtype=np.float64, na_value=0.0)
    cell = size_classes["cell"].to_numpy()
    n_cells = len(cell_employment)
    bounded_sum = _segment_counts(cell, n_cells, plants * midpoint)
    bounded_squares = _segment_counts(cell, n_cells, plants * midpoint**2)
    open_plants = _segment_counts(cell, n_cells, np.where(is_open, plants, 0.0))
    open_lower = np.zeros(n_cells)
    np.maximum.at(open_lower, cell, np.where(is_open, lower[class_code], 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        residual_per_plant = (cell_employment - bounded_sum) / open_plants
        open_size = np.where(open_plants > 0, np.maximum(open_lower, residual_per_plant), 0.0)
        raw_total = bounded_sum + open_plants * open_size
        raw_squares = bounded_squares + open_plants * open_size**2
        scale = np.where(raw_total > 0, cell_employment / raw_total, 0.0)
    has_classes = _segment_counts(cell, n_cells) > 0
    return np.where(has_classes, scale**2 * raw_squares, np.nan)


# --------------------------------------------------------------------------------------
# The per-year core
# --------------------------------------------------------------------------------------


@dataclass
class _Totals:
    """Region totals of one year aligned with a region dictionary."""

    region_employment: np.ndarray  # e_r by region code; NaN where the region has no total
    national_employment: float  # E
    sum_x_squared: float  # sum_r x_r^2 over every region with a total


def _totals_from_codes(coded: CodedYear) -> _Totals:
    total_rows = coded.level == 0
    n_regions = len(coded.region_ids)
    employment = np.nan_to_num(coded.employment[total_rows])
    region_employment = _segment_counts(coded.region[total_rows], n_regions, employment)
    has_total = _segment_counts(coded.region[total_rows], n_regions) > 0
    return _totals_from_array(np.where(has_total, region_employment, np.nan))


def _totals_from_array(region_employment: np.ndarray) -> _Totals:
    return _Totals(
        region_employment, float(np.nansum(region_employment)), _sum_x2(region_employment)
    )


def _totals_from_frame(totals: pd.DataFrame, region_ids: pd.Index) -> _Totals:
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
    return _Totals(region_employment, float(np.nansum(values)), _sum_x2(values))


def _sum_x2(values: np.ndarray) -> float:
    national = np.nansum(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.nansum((values / national) ** 2))


@dataclass
class _IndustryRows:
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


def _industry_rows(coded: CodedYear, totals: _Totals) -> _IndustryRows:
    rows = np.flatnonzero(coded.level > 0)
    industry = coded.industry[rows]
    employment = coded.employment[rows]
    employment0 = np.nan_to_num(employment)
    return _IndustryRows(
        rows=rows,
        industry=industry,
        employment=employment,
        employment0=employment0,
        industry_employment=_segment_counts(industry, len(coded.industry_codes), employment0),
        region_employment=totals.region_employment[coded.region[rows]],
        national_employment=totals.national_employment,
    )


# Sort key of the Lorenz curve: industry code in the top bits of an unsigned 64-bit key,
# the LQ's IEEE-754 bits (monotone for non-negative doubles) below it, truncated.
_INDUSTRY_KEY_BITS = 12
_LQ_KEY_SHIFT = np.uint64(_INDUSTRY_KEY_BITS - 1)  # 63 significant bits of a positive double


def _lorenz_order(industry: np.ndarray, lq: np.ndarray, n_industries: int) -> np.ndarray:
    """Row order by industry, then by LQ (non-negative) within each industry.

    With fewer than 2^12 industries, one argsort of a 64-bit key: the industry code above
    the LQ's bits truncated to 41 mantissa bits. LQs equal to 2^-41 (5e-13) relative may
    then come in either order, which moves a Lorenz area by less than 2^-40 (1e-12) in
    all. Otherwise two passes: an argsort by LQ, then a stable sort by industry.
    """
    if n_industries < 2**_INDUSTRY_KEY_BITS:
        lq_bits = np.ascontiguousarray(lq, dtype=np.float64).view(np.uint64) >> _LQ_KEY_SHIFT
        key = (industry.astype(np.uint64) << np.uint64(64 - _INDUSTRY_KEY_BITS)) | lq_bits
        return np.argsort(key)
    order = np.argsort(lq)
    return order[np.argsort(industry[order], kind="stable")]


def _concentration_arrays(
    coded: CodedYear,
    totals: _Totals,
    plant_squares: np.ndarray | None = None,
    industry_rows: _IndustryRows | None = None,
) -> pd.DataFrame:
    """Concentration measures of every industry present in one coded year.

    ``plant_squares`` (optional, one value per row of ``coded``) is the cell's sum of
    squared plant sizes from size classes; NaN where unknown. Rows with zero or null
    employment add nothing to any sum (their share is 0 and they sort first).
    """
    detail = industry_rows if industry_rows is not None else _industry_rows(coded, totals)
    n_industries = len(coded.industry_codes)
    industry = detail.industry
    employment = detail.employment0
    positive = employment > 0
    present = _segment_counts(industry, n_industries) > 0
    n_regions = _segment_counts(industry, n_industries, positive)
    n_suppressed = _segment_counts(industry, n_industries, np.isnan(detail.employment))
    plants = coded.establishments[detail.rows]
    establishments_sum = _segment_counts(industry, n_industries, np.nan_to_num(plants))
    # An industry none of whose cells has an establishment count has an unknown count, not 0.
    known_plants = _segment_counts(industry, n_industries, ~np.isnan(plants))
    establishments_sum = np.where(known_plants > 0, establishments_sum, np.nan)
    level = np.zeros(n_industries, dtype=np.int8)
    level[industry] = coded.level[detail.rows]

    x = detail.region_employment / totals.national_employment
    orphan = np.isnan(x) & positive
    if orphan.any():
        region = coded.region[detail.rows][orphan][0]
        raise UserError(
            f"employment: region {coded.region_ids[region]!r} has industry rows but no "
            f"all-industry total (industry_level 0) in {coded.year}; add its total row"
        )
    x = np.where(positive, x, 0.0)  # an absent cell adds nothing (also without a total)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(positive, employment / detail.industry_employment[industry], 0.0)
    gap = share - x
    # Sparse sums: a region without the industry adds x_r (Hoover) and x_r^2 (EG G).
    hoover = 0.5 * (
        _segment_counts(industry, n_industries, np.abs(gap))
        + 1.0
        - _segment_counts(industry, n_industries, x)
    )
    share_squared = share * share
    herfindahl = _segment_counts(industry, n_industries, share_squared)
    eg_g = _segment_counts(industry, n_industries, gap * gap - x * x) + totals.sum_x_squared

    # Plant Herfindahl H: equal-sized plants within a cell -> s^2 / n; size classes if given.
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_h = np.where(positive, np.where(plants > 0, share_squared / plants, np.nan), 0.0)
    n_with_classes = np.zeros(n_industries)
    if plant_squares is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            from_classes = plant_squares[detail.rows] / detail.industry_employment[industry] ** 2
        has_classes = ~np.isnan(from_classes) & positive
        cell_h = np.where(has_classes, from_classes, cell_h)
        n_with_classes = _segment_counts(industry, n_industries, has_classes)
    eg_h = _segment_counts(industry, n_industries, cell_h)
    method = np.where(
        n_with_classes == 0,
        H_EQUAL_PLANTS,
        np.where(n_with_classes == n_regions, H_SIZE_CLASSES, H_MIXED),
    )

    # Locational Gini: sort each industry's regions by LQ, integrate the Lorenz curve.
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = np.where(positive, share / x, 0.0)
    order = _lorenz_order(industry, lq, n_industries)
    sorted_industry = industry[order]
    sorted_share = share[order]
    # Cumulated shares within each industry: one cumsum over all industries, reset at each
    # industry's first row by the previous industry's total, so that the running sum stays
    # in [0, 1] and keeps full precision (a plain global cumsum grows to the number of
    # industries and loses about 1e-12).
    first = np.flatnonzero(np.diff(sorted_industry)) + 1
    industry_total = _segment_counts(sorted_industry, n_industries, sorted_share)
    resets = sorted_share.copy()
    resets[first] -= industry_total[sorted_industry[first - 1]]
    share_below = np.cumsum(resets) - sorted_share
    lorenz_area_twice = _segment_counts(
        sorted_industry, n_industries, x[order] * (2.0 * share_below + sorted_share)
    )
    gini = np.clip(1.0 - lorenz_area_twice, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = (eg_g / (1.0 - totals.sum_x_squared) - eg_h) / (1.0 - eg_h)
    gamma[~np.isfinite(gamma)] = np.nan
    for measure in (gini, hoover, herfindahl, eg_g, eg_h, gamma):
        measure[n_regions == 0] = np.nan

    keep = np.flatnonzero(present)
    return pd.DataFrame(
        {
            "year": np.full(len(keep), coded.year, dtype=np.int16),
            "industry_code": pd.array(
                np.asarray(coded.industry_codes[keep], dtype=object), dtype="str"
            ),
            "industry_level": level[keep],
            "n_regions": n_regions[keep].astype(np.int64),
            "n_suppressed": n_suppressed[keep].astype(np.int64),
            "employment": detail.industry_employment[keep],
            "establishments": establishments_sum[keep],
            "gini": gini[keep],
            "hoover": hoover[keep],
            "herfindahl": herfindahl[keep],
            "eg_G": eg_g[keep],
            "eg_H": eg_h[keep],
            "eg_gamma": gamma[keep],
            "eg_h_method": pd.array(method[keep].astype(object), dtype="str"),
        }
    )


def _empty_concentration() -> pd.DataFrame:
    dtypes = dict.fromkeys(CONCENTRATION_COLUMNS, "float64")
    dtypes |= {"year": "int16", "industry_code": "str", "industry_level": "int8"}
    dtypes |= {"n_regions": "int64", "n_suppressed": "int64", "eg_h_method": "str"}
    return pd.DataFrame({name: pd.Series(dtype=dtypes[name]) for name in CONCENTRATION_COLUMNS})


def _check_columns(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise UserError(
            f"{name}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )


def _year_slices(years: np.ndarray) -> Iterable[tuple[int, np.ndarray]]:
    """Row numbers of each year, in year order (one stable sort, no string work)."""
    unique_years, year_index = np.unique(years, return_inverse=True)
    order = np.argsort(year_index, kind="stable")
    bounds = np.searchsorted(year_index[order], np.arange(len(unique_years) + 1))
    for number, year in enumerate(unique_years):
        yield int(year), order[bounds[number] : bounds[number + 1]]


def _plant_squares_for_rows(
    employment: pd.DataFrame,
    size_classes: pd.DataFrame,
    codes: tuple[np.ndarray, pd.Index, np.ndarray, pd.Index],
    classes: dict[str, tuple[float, float | None]],
) -> np.ndarray:
    """Sum of squared plant sizes per row of ``employment`` (NaN where no size classes)."""
    _check_columns(
        size_classes,
        ["region_id", "industry_code", "year", "size_class", "establishments"],
        "size classes",
    )
    region, region_ids, industry, industry_codes = codes
    years = employment["year"].to_numpy().astype(np.int64)
    n_regions, n_industries = len(region_ids) + 1, len(industry_codes) + 1

    def cell_keys(year, region_code, industry_code):
        return (year * n_regions + region_code + 1) * n_industries + industry_code + 1

    row_keys = pd.Index(cell_keys(years, region, industry))
    class_keys = cell_keys(
        size_classes["year"].to_numpy().astype(np.int64),
        region_ids.get_indexer(size_classes["region_id"]),
        industry_codes.get_indexer(size_classes["industry_code"]),
    )
    cell = row_keys.get_indexer(class_keys)
    matched = size_classes.loc[cell >= 0, ["size_class", "establishments"]].assign(
        cell=cell[cell >= 0]
    )
    cell_employment = employment["employment"].to_numpy(dtype=np.float64, na_value=0.0)
    return plant_size_squares(matched, cell_employment, classes)


def industry_concentration(
    employment: pd.DataFrame,
    region_totals: pd.DataFrame | None = None,
    size_classes: pd.DataFrame | None = None,
    size_class_bounds: dict[str, tuple[float, float | None]] = CBP_SIZE_CLASSES,
) -> pd.DataFrame:
    """Geographic concentration of every industry and year over regions.

    Parameters
    ----------
    employment : DataFrame
        The canonical employment table (:mod:`pipeline.sources.schema`); region_id and
        industry_code may be str or categorical. Rows with industry_level > 0 are the
        industries; every level present is measured.
    region_totals : DataFrame, optional
        year, region_id, region_employment: the regions' totals e_r that define x_r =
        e_r / E. Default: the table's all-industry rows (industry_level 0), as
        :func:`pipeline.measures.specialization.region_totals` returns them. Every region
        with a total counts, whether or not it has the industry.
    size_classes : DataFrame, optional
        Establishment counts by employment-size class: region_id, industry_code, year,
        size_class (a key of ``size_class_bounds``), establishments. Cells that have them
        get the plant Herfindahl from size classes (see :func:`plant_size_squares`).
    size_class_bounds : dict
        Size class -> (lower, upper) employees; default the CBP classes n<5 ... n1000.

    Returns
    -------
    DataFrame
        One row per year x industry: year, industry_code, industry_level, n_regions
        (regions with employment > 0), n_suppressed (cells with null employment, left out
        of every sum), employment (e_i), establishments, gini, hoover, herfindahl, eg_G,
        eg_H, eg_gamma, eg_h_method; sorted by year and industry_code.

    Notes
    -----
    With s_ri = e_ri / e_i and x_r = e_r / E, summed over all regions r with a total:

    - ``gini``, the locational Gini (Krugman 1991, app. D; Audretsch & Feldman 1996): sort
      the regions by LQ_ri = s_ri / x_r, ascending; the locational Lorenz curve joins
      (sum of x, sum of s) over the sorted regions. We report the Gini *ratio*: the area
      between the diagonal and the curve divided by the area under the diagonal (1/2),
      i.e. ``1 - sum_k x_(k) (S_(k-1) + S_(k))`` with S the cumulated shares. It equals
      the x-weighted mean absolute difference of LQs, ``1/2 sum_r sum_q x_r x_q |LQ_r -
      LQ_q|`` (the weighted mean LQ is 1), lies in [0, 1), and is 0 when the industry is
      spread like all employment. Krugman's table and EconGeo's ``locational.Gini``
      report the area itself, which is exactly half of this value (limit 0.5); we use the
      ratio so that the scale is the familiar Gini scale. We do not rescale by the
      maximum attainable value 1 - min x_r.
    - ``hoover`` (Hoover 1936): ``1/2 sum_r |s_ri - x_r|``, in [0, 1).
    - ``herfindahl``: ``sum_r s_ri^2``.
    - Ellison & Glaeser (1997): ``eg_G = sum_r (s_ri - x_r)^2``, the plant Herfindahl
      ``eg_H = sum_p z_p^2`` over the industry's plants p with employment shares z_p, and
      ``eg_gamma = (G / (1 - sum_r x_r^2) - H) / (1 - H)``.

    CBP publishes employment and establishment counts per cell, not plant sizes, so H is
    approximated by taking the n_ri plants of a cell as equal-sized: each has share
    s_ri / n_ri, so ``H ~= sum_r s_ri^2 / n_ri`` (``eg_h_method`` 'equal_plants_in_cell').
    This is a lower bound on the true H of the cell's plants (equal sizes minimise the sum
    of squares), so gamma is biased upwards where plant sizes are very unequal. With size
    classes, H comes from class midpoints scaled to the cell's employment
    ('size_class_midpoints'; 'mixed' if only some cells have classes). A cell with
    employment but no establishment count makes H and gamma NaN.

    Examples
    --------
    Four regions with totals 100, 200, 300, 400 and an industry of 30, 10, 0, 10
    employees (3, 2, 0, 1 plants): gini 0.66, hoover 0.5, herfindahl 0.44, eg_G 0.38,
    eg_H 0.18 and eg_gamma 127/287 (worked by hand in the tests).
    """
    _check_columns(employment, PANEL_COLUMNS, "employment")
    if employment.empty:
        return _empty_concentration()
    region, region_ids = _encode(employment["region_id"])
    industry, industry_codes = _encode(employment["industry_code"])
    level = employment["industry_level"].to_numpy().astype(np.int8)
    values = employment["employment"].to_numpy(dtype=np.float64, na_value=np.nan)
    plants = employment["establishments"].to_numpy(dtype=np.float64, na_value=np.nan)
    plant_squares = None
    if size_classes is not None:
        plant_squares = _plant_squares_for_rows(
            employment,
            size_classes,
            (region, region_ids, industry, industry_codes),
            size_class_bounds,
        )
    if region_totals is not None:
        _check_columns(region_totals, ["year", "region_id", "region_employment"], "region totals")
        totals_year = region_totals["year"].to_numpy()
    elif not (level == 0).any():
        raise UserError(
            "employment: no all-industry total rows (industry_level 0); add them or pass "
            "region_totals"
        )
    frames = []
    for year, rows in _year_slices(employment["year"].to_numpy()):
        coded = CodedYear(
            year, region[rows], region_ids, industry[rows], industry_codes,
            level[rows], values[rows], plants[rows],
        )  # fmt: skip
        if region_totals is None:
            totals = _totals_from_codes(coded)
        else:
            totals = _totals_from_frame(region_totals[totals_year == year], region_ids)
        frames.append(
            _concentration_arrays(
                coded, totals, None if plant_squares is None else plant_squares[rows]
            )
        )
    return _sorted(pd.concat(frames, ignore_index=True), ["year", "industry_code"])


def _sorted(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return table.sort_values(keys, ignore_index=True)


# --------------------------------------------------------------------------------------
# Region specialization
# --------------------------------------------------------------------------------------


def region_specialization(
    location_quotients: pd.DataFrame,
    traded_industries: Iterable[str],
    lq_threshold: float = 1.25,
    level: int = 6,
) -> pd.DataFrame:
    """Specialization of each region and year across the industries of one level.

    Parameters
    ----------
    location_quotients : DataFrame
        :func:`pipeline.measures.specialization.location_quotients` output (region_id,
        industry_code, industry_level, year, employment, lq).
    traded_industries : iterable of str
        Codes of the traded industries (e.g. the US Cluster Mapping traded clusters'
        six-digit NAICS); compared with industry_code at ``level``, so give codes of
        that level.
    lq_threshold : float
        An industry counts as specialised when its LQ is at least this.
    level : int
        industry_level to measure (2 to 6).

    Returns
    -------
    DataFrame
        One row per year x region: year, region_id, industry_level, employment (e_r,
        summed over the level's industries), krugman, herfindahl, n_specialised,
        traded_share; sorted by year and region_id.

    Notes
    -----
    With a_ri = e_ri / e_r and b_i = e_i / E, both summed over the industries of
    ``level`` only (so that each set of shares adds up to 1):

    - ``krugman``, the Krugman (1991) specialization index: ``sum_i |a_ri - b_i|``, in
      [0, 2]; 0 when the region's mix equals the mix of all regions in the table.
    - ``herfindahl``: ``sum_i a_ri^2`` (1 for a one-industry region).
    - ``n_specialised``: industries with ``lq >= lq_threshold`` (the ``lq`` column as
      given, whose denominator is set when the LQs are computed).
    - ``traded_share``: ``sum_{i traded} e_ri / e_r``.
    Null employment (suppressed cells) counts as absent.
    """
    _check_columns(
        location_quotients,
        ["region_id", "industry_code", "industry_level", "year", "employment", "lq"],
        "location quotients",
    )
    rows = location_quotients[location_quotients["industry_level"] == level]
    if rows.empty:
        raise UserError(
            f"location quotients: no industries at level {level}; pick a level present in "
            "the table (2 to 6)"
        )
    traded = pd.Index(pd.unique(pd.Series(list(traded_industries), dtype="str")))
    region, region_ids = _encode(rows["region_id"])
    industry, industry_codes = _encode(rows["industry_code"])
    is_traded = industry_codes.isin(traded)
    if len(traded) and not is_traded.any():
        raise UserError(
            f"traded industries: none of the {len(traded)} codes occurs at industry level "
            f"{level}; give codes of that level (e.g. six-digit NAICS for level 6)"
        )
    unique_years, year_index = np.unique(rows["year"].to_numpy(), return_inverse=True)
    n_regions, n_industries = len(region_ids), len(industry_codes)
    region_group = year_index * n_regions + region
    industry_group = year_index * n_industries + industry
    n_region_groups = len(unique_years) * n_regions
    values = np.nan_to_num(rows["employment"].to_numpy(dtype=np.float64, na_value=np.nan))
    region_employment = _segment_counts(region_group, n_region_groups, values)
    industry_employment = _segment_counts(industry_group, len(unique_years) * n_industries, values)
    national = _segment_counts(year_index, len(unique_years), values)
    with np.errstate(divide="ignore", invalid="ignore"):
        region_share = values / region_employment[region_group]
        national_share = industry_employment[industry_group] / national[year_index]
    # An industry absent from the region adds b_i; the b_i of a year add up to 1.
    krugman = (
        _segment_counts(
            region_group, n_region_groups, np.abs(region_share - national_share) - national_share
        )
        + 1.0
    )
    herfindahl = _segment_counts(region_group, n_region_groups, region_share**2)
    lq = rows["lq"].to_numpy(dtype=np.float64, na_value=np.nan)
    n_specialised = _segment_counts(
        region_group, n_region_groups, (lq >= lq_threshold).astype(float)
    )
    traded_employment = _segment_counts(region_group, n_region_groups, values * is_traded[industry])
    keep = np.flatnonzero(_segment_counts(region_group, n_region_groups) > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        traded_share = traded_employment[keep] / region_employment[keep]
    result = pd.DataFrame(
        {
            "year": unique_years[keep // n_regions].astype(np.int16),
            "region_id": pd.array(
                np.asarray(region_ids[keep % n_regions], dtype=object), dtype="str"
            ),
            "industry_level": np.full(len(keep), level, dtype=np.int8),
            "employment": region_employment[keep],
            "krugman": np.where(region_employment[keep] > 0, krugman[keep], np.nan),
            "herfindahl": np.where(region_employment[keep] > 0, herfindahl[keep], np.nan),
            "n_specialised": n_specialised[keep].astype(np.int64),
            "traded_share": traded_share,
        }
    )
    return _sorted(result[SPECIALIZATION_COLUMNS], ["year", "region_id"])


# --------------------------------------------------------------------------------------
# Location quotients on integer codes
# --------------------------------------------------------------------------------------

MAX_LEVEL = 6


@dataclass
class _CodedQuotients:
    detail: np.ndarray  # row numbers of the industry rows in the coded year
    region_employment: np.ndarray
    lq: np.ndarray
    lq_establishments: np.ndarray


def _location_quotient_arrays(
    coded: CodedYear,
    denominator: str = "all",
    industry_rows: _IndustryRows | None = None,
    traded_industries: Iterable[str] = (),
    top_level: int | None = None,
) -> _CodedQuotients:
    """LQ_ri = (e_ri / e_r) / (e_i / E) for every industry row of a coded year.

    Same definitions as :func:`pipeline.measures.specialization.location_quotients`,
    computed with bincounts on the integer codes: 'all', e_r from the region's total row;
    'level', summed over the region's industries of the same level; 'private', over its
    sectors of level ``top_level`` (default: this year's lowest industry level) other than
    public administration; 'traded', over its rows in ``traded_industries``. E is the sum
    of e_r over regions. ``industry_rows`` reuses the concentration kernel's gathers.
    """
    if denominator not in DENOMINATORS:
        raise UserError(
            f"measure.lq_denominator is '{denominator}'; use one of {', '.join(DENOMINATORS)}"
        )
    if denominator == "all" and not (coded.level == 0).any():
        raise UserError(
            "employment: no all-industry total rows (industry_level 0); add them or set "
            "measure.lq_denominator: level"
        )
    if industry_rows is None:
        industry_rows = _industry_rows(coded, _totals_from_codes(coded))
    detail = industry_rows.rows
    industry = industry_rows.industry
    n_industries = len(coded.industry_codes)
    n_regions = len(coded.region_ids)
    plants = coded.establishments[detail]
    plants0 = np.nan_to_num(plants)
    industry_establishments = _segment_counts(industry, n_industries, plants0)
    if denominator == "level":
        n_groups = n_regions * (MAX_LEVEL + 1)
        level = coded.level[detail]
        group = coded.region[detail] * (MAX_LEVEL + 1) + level
        region_employment = _segment_counts(group, n_groups, industry_rows.employment0)[group]
        region_establishments = _segment_counts(group, n_groups, plants0)[group]
        national = _segment_counts(level, MAX_LEVEL + 1, industry_rows.employment0)[level]
        national_establishments = _segment_counts(level, MAX_LEVEL + 1, plants0)[level]
    else:
        if denominator == "all":
            base_rows = np.flatnonzero(coded.level == 0)
        else:
            base_rows = detail[
                _base_industry_rows(coded, detail, denominator, traded_industries, top_level)
            ]
        base_region = coded.region[base_rows]
        # A region with base rows (even null ones) has e_r (their sum); others have none.
        has_base = _segment_counts(base_region, n_regions) > 0
        by_region = np.where(
            has_base,
            _segment_counts(base_region, n_regions, np.nan_to_num(coded.employment[base_rows])),
            np.nan,
        )
        plants_by_region = np.where(
            has_base,
            _segment_counts(base_region, n_regions, np.nan_to_num(coded.establishments[base_rows])),
            np.nan,
        )
        region_employment = by_region[coded.region[detail]]
        national = np.nansum(by_region)
        region_establishments = plants_by_region[coded.region[detail]]
        national_establishments = np.nansum(plants_by_region)
    lq = locq(
        industry_rows.employment,
        region_employment,
        industry_rows.industry_employment[industry],
        national,
    )
    lq_establishments = locq(
        plants, region_establishments, industry_establishments[industry], national_establishments
    )
    return _CodedQuotients(detail, region_employment, lq, lq_establishments)


def _base_industry_rows(
    coded: CodedYear,
    detail: np.ndarray,
    denominator: str,
    traded_industries: Iterable[str],
    top_level: int | None,
) -> np.ndarray:
    """Mask of the industry rows whose sum is e_r for the 'private' and 'traded' bases."""
    codes = pd.Index(np.asarray(coded.industry_codes, dtype=object))
    if denominator == "private":
        level = coded.level[detail]
        top = int(level.min()) if top_level is None and len(level) else top_level
        is_public = codes.isin(list(PUBLIC_SECTORS))
        mask = (level == top) & ~is_public[coded.industry[detail]]
    else:
        traded = list(pd.unique(pd.Series(list(traded_industries), dtype=str)))
        if not traded:
            raise UserError("measure.lq_denominator traded needs the dataset's traded industries")
        mask = codes.isin(traded)[coded.industry[detail]]
    return mask  # a year without base rows has no e_r: its LQs are NaN, as in pandas


def _label_rank(labels: pd.Index) -> np.ndarray:
    """Rank of each label in sorted (code point) order."""
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(np.asarray(labels, dtype=object), kind="stable")] = np.arange(len(labels))
    return rank


def _string_array(labels: pd.Index, codes: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(labels, dtype=object), pa.large_string()).take(pa.array(codes))


def quotients_table(coded: CodedYear, quotients: _CodedQuotients) -> pa.Table:
    """The LQ rows of one coded year as an Arrow table, sorted by region_id, industry_code.

    Columns and types as :data:`pipeline.measures.specialization.LQ_META` (codes as
    strings), the layout of ``location_quotients.parquet``.
    """
    detail = quotients.detail
    region = coded.region[detail]
    industry = coded.industry[detail]
    order = np.lexsort(
        (_label_rank(coded.industry_codes)[industry], _label_rank(coded.region_ids)[region])
    )
    rows = detail[order]
    return pa.table(
        {
            "region_id": _string_array(coded.region_ids, region[order]),
            "industry_code": _string_array(coded.industry_codes, industry[order]),
            "industry_level": pa.array(coded.level[rows], pa.int8()),
            "year": pa.array(np.full(len(rows), coded.year, dtype=np.int16)),
            "employment": pa.array(coded.employment[rows], from_pandas=True),
            "establishments": pa.array(coded.establishments[rows], from_pandas=True),
            "region_employment": pa.array(quotients.region_employment[order], from_pandas=True),
            "lq": pa.array(quotients.lq[order], from_pandas=True),
            "lq_establishments": pa.array(quotients.lq_establishments[order], from_pandas=True),
        }
    )


def year_measures(
    table: pa.Table,
    year: int,
    denominator: str = "all",
    traded_industries: Iterable[str] = (),
    top_level: int | None = None,
) -> tuple[pa.Table, pd.DataFrame]:
    """Location quotients and industry concentration of one year, from one coded pass.

    Parameters
    ----------
    table : pyarrow.Table
        One year of the canonical employment table (:data:`PANEL_COLUMNS`; region_id and
        industry_code best dictionary-encoded, as :func:`read_year` returns them).
    year : int
        The year the table holds.
    denominator, traded_industries, top_level
        The LQ base e_r (see :func:`_location_quotient_arrays`).

    Returns
    -------
    (pyarrow.Table, DataFrame)
        The LQ table (:func:`quotients_table`) and :func:`industry_concentration` of the
        year. Both equal the pandas definitions
        (:func:`pipeline.measures.specialization.location_quotients`,
        :func:`industry_concentration`) up to the order of floating-point sums.
    """
    coded = CodedYear.from_arrow(table, year)
    totals = _totals_from_codes(coded)
    industry_rows = _industry_rows(coded, totals)
    if (coded.level == 0).any():
        concentration = _concentration_arrays(coded, totals, industry_rows=industry_rows)
    else:
        raise UserError(
            "employment: no all-industry total rows (industry_level 0); add them or pass "
            "region_totals"
        )
    quotients = _location_quotient_arrays(
        coded, denominator, industry_rows, traded_industries, top_level
    )
    return quotients_table(coded, quotients), concentration


def _categorical(codes: np.ndarray, labels: pd.Index) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=labels.astype("str"))


def _quotients_frame(coded: CodedYear, quotients: _CodedQuotients, rows=None) -> pd.DataFrame:
    detail = quotients.detail if rows is None else quotients.detail[rows]
    pick = slice(None) if rows is None else rows
    return pd.DataFrame(
        {
            "region_id": _categorical(coded.region[detail], coded.region_ids),
            "industry_code": _categorical(coded.industry[detail], coded.industry_codes),
            "industry_level": coded.level[detail],
            "year": np.full(len(detail), coded.year, dtype=np.int16),
            "employment": coded.employment[detail],
            "establishments": coded.establishments[detail],
            "region_employment": quotients.region_employment[pick],
            "lq": quotients.lq[pick],
            "lq_establishments": quotients.lq_establishments[pick],
        }
    )


# --------------------------------------------------------------------------------------
# Out-of-core: one year at a time from Parquet, on a dask.distributed cluster
# --------------------------------------------------------------------------------------


def _year_statistics(source: Path) -> list[tuple[int, int]]:
    """(min, max) year of each row group of a Parquet file, from its footer statistics."""
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
        ranges = _year_statistics(source)
        if ranges and all(low == high for low, high in ranges):
            return sorted({low for low, _ in ranges})
    years = ds.dataset(source, format="parquet", partitioning="hive").to_table(columns=["year"])
    return sorted(int(year) for year in pc.unique(years.column("year")).to_pylist())


def read_year(source: str | Path, year: int, columns: Sequence[str] = PANEL_COLUMNS) -> pa.Table:
    """One year of a Parquet employment table, region and industry dictionary-encoded.

    A single file is read by row group (only the groups whose statistics hold the year);
    a directory is read as a (hive-partitioned) dataset with a year filter.
    """
    source = Path(source)
    wanted = [column for column in columns if column != "year"] + ["year"]
    if source.is_file():
        ranges = _year_statistics(source)
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


def _coded_year(source: str | Path, year: int) -> CodedYear:
    return CodedYear.from_arrow(read_year(source, year), year)


def _year_size_classes(size_classes: pd.DataFrame | None, year: int) -> pd.DataFrame | None:
    if size_classes is None:
        return None
    return size_classes[size_classes["year"] == year]


def _concentration_of_year(
    source: str | Path,
    year: int,
    size_classes: pd.DataFrame | None = None,
    size_class_bounds: dict[str, tuple[float, float | None]] = CBP_SIZE_CLASSES,
) -> pd.DataFrame:
    """Task: read one year and return its industry concentration table."""
    coded = _coded_year(source, year)
    plant_squares = None
    if size_classes is not None and len(size_classes):
        frame = pd.DataFrame(
            {
                "region_id": _categorical(coded.region, coded.region_ids),
                "industry_code": _categorical(coded.industry, coded.industry_codes),
                "year": np.full(len(coded.region), year, dtype=np.int16),
                "employment": coded.employment,
            }
        )
        plant_squares = _plant_squares_for_rows(
            frame,
            size_classes,
            (coded.region, coded.region_ids, coded.industry, coded.industry_codes),
            size_class_bounds,
        )
    return _concentration_arrays(coded, _totals_from_codes(coded), plant_squares)


def _run_tasks(client, task, calls: Sequence[tuple], **keywords) -> list:
    """``task(*call, **keywords)`` for every call, on the client if given, in call order."""
    if client is None:
        return [task(*call, **keywords) for call in calls]
    return client.gather([client.submit(task, *call, pure=False, **keywords) for call in calls])


def _concentration_partition(
    part: pd.DataFrame,
    size_classes: pd.DataFrame | None,
    size_class_bounds: dict[str, tuple[float, float | None]],
) -> pd.DataFrame:
    return industry_concentration(
        part, size_classes=size_classes, size_class_bounds=size_class_bounds
    )


def industry_concentration_distributed(
    source: dd.DataFrame | str | Path,
    client=None,
    size_classes: pd.DataFrame | None = None,
    size_class_bounds: dict[str, tuple[float, float | None]] = CBP_SIZE_CLASSES,
    whole_years: bool = False,
) -> pd.DataFrame:
    """:func:`industry_concentration` of a panel too big for memory, one year per task.

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
        As in :func:`industry_concentration` (a pandas frame; each task gets its year).
    whole_years : bool
        The dask DataFrame's partitions already hold whole years: skip the shuffle.

    Returns
    -------
    DataFrame
        Equal to :func:`industry_concentration` of the whole table (same columns, sorted
        by year and industry_code). Memory: one year per worker at a time.
    """
    if isinstance(source, dd.DataFrame):
        frame = source if whole_years else source.shuffle(on="year")
        reduced = frame.map_partitions(
            _concentration_partition,
            size_classes,
            size_class_bounds,
            meta=_empty_concentration(),
        )
        result = client.compute(reduced).result() if client is not None else reduced.compute()
    else:
        calls = [
            (str(source), year, _year_size_classes(size_classes, year), size_class_bounds)
            for year in parquet_years(source)
        ]
        frames = _run_tasks(client, _concentration_of_year, calls)
        result = pd.concat(frames, ignore_index=True) if frames else _empty_concentration()
    return _sorted(result, ["year", "industry_code"])


def _quotients_of_year(year: int, source: str, denominator: str = "all") -> pd.DataFrame:
    """Partition of :func:`location_quotients_by_year` (``dd.from_map`` passes the year first)."""
    coded = _coded_year(source, year)
    return _quotients_frame(coded, _location_quotient_arrays(coded, denominator))


def location_quotients_by_year(source: str | Path, denominator: str = "all") -> dd.DataFrame:
    """Employment and establishment LQs of a big Parquet panel, one partition per year.

    Parameters
    ----------
    source : path of a Parquet file or directory
        The canonical employment table (see :func:`read_year` for the layout).
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
    no_codes, no_labels = np.zeros(0, np.int64), pd.Index([], dtype="str")
    no_values = np.zeros(0)
    meta = _quotients_frame(
        CodedYear(
            0, no_codes, no_labels, no_codes, no_labels, np.zeros(0, np.int8), no_values, no_values
        ),
        _CodedQuotients(no_codes, no_values, no_values, no_values),
    )
    return dd.from_map(
        _quotients_of_year,
        years,
        args=[str(source), denominator],
        meta=meta,
        label="location-quotients",
    )
