"""Specialization: location quotients of region x industry cells, and of whole regions.

**Location quotient** (:func:`locq`, :func:`location_quotients`). The LQ of industry i in
region r (Florence 1939; Isard 1960, ch. 7) is

    LQ_ri = (e_ri / e_r) / (e_i / E)

with e_ri the region's employment in the industry, e_r the region's total, e_i the
industry's total over all regions and E the total over all regions. LQ > 1 means the
region holds a larger share of the industry than of all employment. The
employment-weighted mean of LQ over regions, sum_r (e_r / E) LQ_ri, is exactly 1. Every LQ
regclust computes comes from one kernel, :func:`coded_location_quotients` (bincounts on
integer codes, :mod:`pipeline.measures.coding`): the measure stage runs it on each year
(:func:`pipeline.engine.distributed.year_measures`), and :func:`location_quotients` runs
it on a pandas table, year by year.

**Region specialization** (:func:`region_specialization`): per region and year, the
Krugman (1991) specialization index, the Herfindahl index of the industry mix, the number
of specialised industries (LQ at or above a threshold) and the employment share of traded
industries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.errors import UserError
from pipeline.measures.coding import (
    PANEL_COLUMNS,
    CodedYear,
    IndustryRows,
    PanelCodes,
    categorical,
    check_columns,
    coded_region_totals,
    encode,
    gather_industry_rows,
    group_sums,
    year_slices,
)

KEYS = ["year", "region_id", "industry_code"]
# Public administration: NAICS sector 92, NACE Rev.2 / OKVED 2 section O.
PUBLIC_SECTORS = ("92", "O")
DENOMINATORS = ("all", "level", "private", "traded")
MAX_LEVEL = 6  # deepest industry_level of the canonical table

# The columns of an LQ table: the cell's keys and counts (as in the employment table),
# then the base e_r and the two LQs.
LQ_CELL_COLUMNS = PANEL_COLUMNS
LQ_META = pd.DataFrame(
    {
        "region_id": pd.Series(dtype="str"),
        "industry_code": pd.Series(dtype="str"),
        "industry_level": pd.Series(dtype="int8"),
        "year": pd.Series(dtype="int16"),
        "employment": pd.Series(dtype="float64"),
        "establishments": pd.Series(dtype="float64"),
        "region_employment": pd.Series(dtype="float64"),
        "lq": pd.Series(dtype="float64"),
        "lq_establishments": pd.Series(dtype="float64"),
    }
)

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


# --------------------------------------------------------------------------------------
# Location quotients
# --------------------------------------------------------------------------------------


def locq(
    e_ri: float | np.ndarray,
    e_r: float | np.ndarray,
    e_i: float | np.ndarray,
    total: float | np.ndarray,
):
    """Location quotient ``(e_ri / e_r) / (e_i / E)``.

    Parameters
    ----------
    e_ri : float or array
        Employment of industry i in region r.
    e_r : float or array
        Total employment of region r (the LQ denominator).
    e_i : float or array
        Employment of industry i in all regions.
    total : float or array
        Total employment of all regions, E.

    Returns
    -------
    float or array
        The LQ; NaN where a denominator is zero.

    Notes
    -----
    Isard (1960), *Methods of Regional Analysis*, ch. 7; the textbook fixture of the
    R package REAT (Wieland 2019, ``locq``): ``locq(1714, 79006, 879213, 15593224)``
    is 0.3847623.

    Examples
    --------
    >>> round(float(locq(1714, 79006, 879213, 15593224)), 7)
    0.3847623
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(np.divide(e_ri, e_r), np.divide(e_i, total))


def region_totals(employment: pd.DataFrame) -> pd.DataFrame:
    """The all-industry total e_r of each region and year (rows with industry_level 0).

    Returns
    -------
    DataFrame
        year, region_id, region_employment.
    """
    totals = employment[employment["industry_level"] == 0]
    return (
        totals.groupby(["year", "region_id"], as_index=False, observed=True)["employment"]
        .sum()
        .rename(columns={"employment": "region_employment"})
    )


def location_quotients(
    employment: pd.DataFrame,
    denominator: str = "all",
    traded_industries: Iterable[str] | None = None,
    top_level: int | None = None,
    *,
    require_base: bool = True,
) -> pd.DataFrame:
    """Employment and establishment LQs for every region x industry x year.

    Parameters
    ----------
    employment : DataFrame
        The canonical employment table (see :mod:`pipeline.sources.schema`). For a dask
        DataFrame use :func:`pipeline.engine.distributed.location_quotients_distributed`.
    denominator : {'all', 'level', 'private', 'traded'}
        'all' (the textbook LQ): e_r is the region's all-industry total row
        (industry_level 0) and E its sum over regions. 'level': e_r is the sum over the
        region's industries of the same level, so each level's LQs refer to the published
        detail only. 'private': e_r is the sum of the region's top-level sectors less
        public administration (NAICS 92, NACE O). 'traded': e_r is the region's employment
        in ``traded_industries`` (e.g. the six-digit industries of the traded benchmark
        clusters), the base the US Cluster Mapping uses for traded clusters.
    traded_industries : iterable of str, optional
        Needed with ``denominator='traded'``.
    top_level : int, optional
        The sector level of the 'private' base; default the table's lowest industry level.
    require_base : bool
        Raise a UserError when no row of the table is part of the base (no e_r at all);
        False leaves such LQs NaN (for a part of a bigger table).

    Returns
    -------
    DataFrame
        region_id, industry_code, industry_level, year, employment, establishments (as in
        ``employment``), region_employment (e_r), lq, lq_establishments; one row per
        industry row (industry_level > 0), sorted by year, region_id and industry_code.

    Notes
    -----
    e_i and E are summed over the regions in the table, so the employment-weighted mean
    LQ of every industry is 1 (see the module docstring for the formula and sources). The
    arithmetic is :func:`coded_location_quotients`, run on each year of the table.

    Examples
    --------
    Region A: X 30 of 100; region B: X 10 of 300, so LQ_A,X = (30/100) / (40/400) = 3:

    >>> table = pd.DataFrame({"region_id": ["A", "A", "B", "B"],
    ...     "industry_code": ["00", "X", "00", "X"], "industry_level": [0, 2, 0, 2],
    ...     "year": 2019, "employment": [100.0, 30.0, 300.0, 10.0], "establishments": 1.0})
    >>> location_quotients(table, "all")["lq"].round(12).tolist()
    [3.0, 0.333333333333]
    """
    check_denominator(denominator)
    traded = () if traded_industries is None else tuple(traded_industries)
    codes = PanelCodes.from_frame(employment)
    if top_level is None:
        detail_levels = codes.level[codes.level > 0]
        top_level = int(detail_levels.min()) if len(detail_levels) else None
    if require_base:
        _require_base(
            codes.level, codes.industry, codes.industry_codes, denominator, traded, top_level
        )
    positions, region_employment, lq, lq_establishments = [], [], [], []
    for year, rows in year_slices(codes.years):
        quotients = coded_location_quotients(codes.year(year, rows), denominator, traded, top_level)
        positions.append(rows[quotients.detail])
        region_employment.append(quotients.region_employment)
        lq.append(quotients.lq)
        lq_establishments.append(quotients.lq_establishments)
    if not positions:
        return (
            employment[LQ_CELL_COLUMNS]
            .iloc[:0]
            .assign(region_employment=np.float64(), lq=np.float64(), lq_establishments=np.float64())
            .reset_index(drop=True)
        )
    result = employment[LQ_CELL_COLUMNS].iloc[np.concatenate(positions)].reset_index(drop=True)
    result["region_employment"] = np.concatenate(region_employment)
    result["lq"] = np.concatenate(lq)
    result["lq_establishments"] = np.concatenate(lq_establishments)
    return result.sort_values(KEYS, ignore_index=True)


def check_denominator(denominator: str) -> None:
    """Raise a UserError unless ``denominator`` is one of :data:`DENOMINATORS`."""
    if denominator not in DENOMINATORS:
        raise UserError(
            f"measure.lq_denominator is '{denominator}'; use one of {', '.join(DENOMINATORS)}"
        )


def _require_base(
    level: np.ndarray,
    industry: np.ndarray,
    industry_codes: pd.Index,
    denominator: str,
    traded_industries: Iterable[str],
    top_level: int | None,
) -> None:
    """Raise a UserError when no row (industry_level, code) of a table is part of the base."""
    check_denominator(denominator)
    detail = level > 0
    if denominator == "all":
        has_base = (level == 0).any()
    elif denominator == "level":
        has_base = detail.any()
    else:
        has_base = _base_mask(
            level[detail], industry[detail], industry_codes, denominator, traded_industries,
            top_level,
        ).any()  # fmt: skip
    if not has_base:
        raise UserError(
            "employment: no all-industry total rows (industry_level 0); add them or set "
            "measure.lq_denominator: level"
        )


def require_lq_base(
    industries: pd.DataFrame,
    denominator: str,
    traded_industries: Iterable[str],
    top_level: int | None,
) -> None:
    """Raise a UserError when no row of ``industries`` is part of the LQ base.

    ``industries`` has industry_level and industry_code: a table's rows, or only its
    distinct pairs (what a distributed run gathers first).
    """
    industry, industry_codes = encode(industries["industry_code"])
    level = industries["industry_level"].to_numpy().astype(np.int8)
    _require_base(level, industry, industry_codes, denominator, traded_industries, top_level)


@dataclass
class CodedQuotients:
    """The LQs of the industry rows of a coded year (arrays aligned with ``detail``)."""

    detail: np.ndarray  # row numbers of the industry rows in the coded year
    region_employment: np.ndarray
    lq: np.ndarray
    lq_establishments: np.ndarray

    @classmethod
    def empty(cls) -> CodedQuotients:
        no_rows, no_values = np.zeros(0, np.int64), np.zeros(0)
        return cls(no_rows, no_values, no_values, no_values)


def coded_location_quotients(
    coded: CodedYear,
    denominator: str,
    traded_industries: Iterable[str],
    top_level: int | None,
    industry_rows: IndustryRows | None = None,
) -> CodedQuotients:
    """Employment and establishment LQs of every industry row of one coded year.

    The one LQ kernel: :func:`location_quotients` and the measure stage both run it.

    Parameters
    ----------
    coded : CodedYear
        One year of the employment table.
    denominator : {'all', 'level', 'private', 'traded'}
        The base e_r (see :func:`location_quotients`): 'all', the region's total row;
        'level', the sum over the region's industries of the same level; 'private', over
        its sectors of level ``top_level`` other than public administration; 'traded',
        over its rows in ``traded_industries``.
    traded_industries : iterable of str
        The traded industries (only read with 'traded').
    top_level : int or None
        The sector level of 'private'; None: this year's lowest industry level.
    industry_rows : IndustryRows, optional
        The gathers of the concentration kernel, to reuse.

    Returns
    -------
    CodedQuotients
        For the rows ``detail`` (industry_level > 0, in table order): e_r, LQ_ri =
        (e_ri / e_r) / (e_i / E) (:func:`locq`) and the same with establishments. E is the
        sum of e_r over regions; a region without base rows has no e_r and NaN LQs.
    """
    check_denominator(denominator)
    if industry_rows is None:
        industry_rows = gather_industry_rows(coded, coded_region_totals(coded))
    detail = industry_rows.rows
    industry = industry_rows.industry
    n_industries = len(coded.industry_codes)
    n_regions = len(coded.region_ids)
    plants = coded.establishments[detail]
    plants0 = np.nan_to_num(plants)
    industry_establishments = group_sums(industry, n_industries, plants0)
    if denominator == "level":
        n_groups = n_regions * (MAX_LEVEL + 1)
        level = coded.level[detail]
        group = coded.region[detail] * (MAX_LEVEL + 1) + level
        region_employment = group_sums(group, n_groups, industry_rows.employment0)[group]
        region_establishments = group_sums(group, n_groups, plants0)[group]
        national = group_sums(level, MAX_LEVEL + 1, industry_rows.employment0)[level]
        national_establishments = group_sums(level, MAX_LEVEL + 1, plants0)[level]
    else:
        if denominator == "all":
            base_rows = np.flatnonzero(coded.level == 0)
        else:
            base_rows = detail[
                _base_mask(
                    coded.level[detail],
                    coded.industry[detail],
                    coded.industry_codes,
                    denominator,
                    traded_industries,
                    top_level,
                )
            ]
        base_region = coded.region[base_rows]
        # A region with base rows (even null ones) has e_r (their sum); others have none.
        has_base = group_sums(base_region, n_regions) > 0
        by_region = np.where(
            has_base,
            group_sums(base_region, n_regions, np.nan_to_num(coded.employment[base_rows])),
            np.nan,
        )
        plants_by_region = np.where(
            has_base,
            group_sums(base_region, n_regions, np.nan_to_num(coded.establishments[base_rows])),
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
    return CodedQuotients(detail, region_employment, lq, lq_establishments)


def _base_mask(
    level: np.ndarray,
    industry: np.ndarray,
    industry_codes: pd.Index,
    denominator: str,
    traded_industries: Iterable[str],
    top_level: int | None,
) -> np.ndarray:
    """Mask of the industry rows whose sum is e_r for the 'private' and 'traded' bases.

    ``level`` and ``industry`` describe the industry rows (industry_level > 0).
    """
    codes = pd.Index(np.asarray(industry_codes, dtype=object))
    if denominator == "private":
        top = int(level.min()) if top_level is None and len(level) else top_level
        is_public = codes.isin(list(PUBLIC_SECTORS))
        mask = (level == top) & ~is_public[industry]
    else:
        traded = list(pd.unique(pd.Series(list(traded_industries), dtype=str)))
        if not traded:
            raise UserError("measure.lq_denominator traded needs the dataset's traded industries")
        mask = codes.isin(traded)[industry]
    return mask  # a year without base rows has no e_r: its LQs are NaN


def _label_rank(labels: pd.Index) -> np.ndarray:
    """Rank of each label in sorted (code point) order."""
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(np.asarray(labels, dtype=object), kind="stable")] = np.arange(len(labels))
    return rank


def _string_array(labels: pd.Index, codes: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(labels, dtype=object), pa.large_string()).take(pa.array(codes))


def coded_quotients_table(coded: CodedYear, quotients: CodedQuotients) -> pa.Table:
    """The LQ rows of one coded year as an Arrow table, sorted by region_id, industry_code.

    Columns and types as :data:`LQ_META` (codes as strings), the layout of the
    ``location_quotients/`` dataset's partitions.
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


def coded_quotients_frame(coded: CodedYear, quotients: CodedQuotients) -> pd.DataFrame:
    """The LQ rows of one coded year as a pandas frame, codes as categoricals, table order."""
    detail = quotients.detail
    return pd.DataFrame(
        {
            "region_id": categorical(coded.region[detail], coded.region_ids),
            "industry_code": categorical(coded.industry[detail], coded.industry_codes),
            "industry_level": coded.level[detail],
            "year": np.full(len(detail), coded.year, dtype=np.int16),
            "employment": coded.employment[detail],
            "establishments": coded.establishments[detail],
            "region_employment": quotients.region_employment,
            "lq": quotients.lq,
            "lq_establishments": quotients.lq_establishments,
        }
    )


# --------------------------------------------------------------------------------------
# Region specialization
# --------------------------------------------------------------------------------------


def region_specialization(
    location_quotients: pd.DataFrame,
    traded_industries: Iterable[str],
    lq_threshold: float,
    level: int,
) -> pd.DataFrame:
    """Specialization of each region and year across the industries of one level.

    Parameters
    ----------
    location_quotients : DataFrame
        :func:`location_quotients` output (region_id, industry_code, industry_level, year,
        employment, lq).
    traded_industries : iterable of str
        Codes of the traded industries (e.g. the US Cluster Mapping traded clusters'
        six-digit NAICS); compared with industry_code at ``level``, so give codes of
        that level.
    lq_threshold : float
        An industry counts as specialised when its LQ is at least this
        (``measure.specialised_lq`` in params.yaml).
    level : int
        industry_level to measure (2 to 6; the stage uses the classification's cluster
        level).

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

    Examples
    --------
    Region A: X 30, Y 70; region B: X 10, Y 290 (so b = X .1, Y .9):

    >>> table = pd.DataFrame({"region_id": ["A", "A", "A", "B", "B", "B"],
    ...     "industry_code": ["00", "X", "Y"] * 2, "industry_level": [0, 2, 2] * 2,
    ...     "year": 2019, "employment": [100.0, 30, 70, 300, 10, 290], "establishments": 1.0})
    >>> result = region_specialization(location_quotients(table, "all"), ["X"], 1.25, 2)
    >>> result["krugman"].round(12).tolist(), result["n_specialised"].tolist()
    ([0.4, 0.133333333333], [1, 0])
    """
    check_columns(
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
    region, region_ids = encode(rows["region_id"])
    industry, industry_codes = encode(rows["industry_code"])
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
    region_employment = group_sums(region_group, n_region_groups, values)
    industry_employment = group_sums(industry_group, len(unique_years) * n_industries, values)
    national = group_sums(year_index, len(unique_years), values)
    with np.errstate(divide="ignore", invalid="ignore"):
        region_share = values / region_employment[region_group]
        national_share = industry_employment[industry_group] / national[year_index]
    # An industry absent from the region adds b_i; the b_i of a year add up to 1.
    krugman = (
        group_sums(
            region_group, n_region_groups, np.abs(region_share - national_share) - national_share
        )
        + 1.0
    )
    herfindahl = group_sums(region_group, n_region_groups, region_share**2)
    lq = rows["lq"].to_numpy(dtype=np.float64, na_value=np.nan)
    n_specialised = group_sums(region_group, n_region_groups, (lq >= lq_threshold).astype(float))
    traded_employment = group_sums(region_group, n_region_groups, values * is_traded[industry])
    keep = np.flatnonzero(group_sums(region_group, n_region_groups) > 0)
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
    return result[SPECIALIZATION_COLUMNS].sort_values(["year", "region_id"], ignore_index=True)
