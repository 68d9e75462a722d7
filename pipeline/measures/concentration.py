"""Geographic concentration of industries over regions: Gini, Hoover, Herfindahl, Ellison-Glaeser.

Per industry x year, over regions:

- :func:`locational_gini`, the locational Gini (Krugman 1991; Audretsch & Feldman 1996),
- :func:`hoover`, the Hoover (1936) coefficient of localization,
- :func:`herfindahl`, the Herfindahl index of the industry's regional shares,
- :func:`ellison_glaeser`, the Ellison & Glaeser (1997) raw concentration G, plant
  Herfindahl H (:func:`plant_size_squares` from size classes) and index gamma.

:func:`industry_concentration` returns all of them in one table; each of the four named
functions is a view of it. All are computed in one pass by the kernel
:func:`coded_concentration`, which is also what the measure stage runs on each year
(:func:`pipeline.engine.distributed.year_measures`).

Notation: e_ri is employment of industry i in region r, e_i = sum_r e_ri, e_r the region's
all-industry total (its industry_level 0 row), E = sum_r e_r. The industry's regional
shares are s_ri = e_ri / e_i, the regions' shares of all employment x_r = e_r / E, and
LQ_ri = s_ri / x_r (Florence 1939; see :mod:`pipeline.measures.specialization`).

Every measure is a sum over regions, and regions where the industry is absent contribute
in closed form (s_ri = 0), so the functions work on the sparse table of published cells
only. The core is array arithmetic on integer codes (:mod:`pipeline.measures.coding`):
every group sum is an ``np.bincount`` per year, and no merge on string keys runs in the
hot path.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pipeline.classifications.size_classes import PLANT_SIZE_CLASSES
from pipeline.errors import UserError
from pipeline.measures.coding import (
    PANEL_COLUMNS,
    CodedYear,
    IndustryRows,
    PanelCodes,
    RegionTotals,
    check_columns,
    coded_region_totals,
    gather_industry_rows,
    group_sums,
    region_totals_from_frame,
    year_slices,
)

H_EQUAL_PLANTS = "equal_plants_in_cell"
H_SIZE_CLASSES = "size_class_midpoints"
H_MIXED = "mixed"

KEY_COLUMNS = ["year", "industry_code", "industry_level"]
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

SizeClassBounds = Mapping[str, tuple[float, float | None]]


# --------------------------------------------------------------------------------------
# The measures, one named function each
# --------------------------------------------------------------------------------------


def locational_gini(
    employment: pd.DataFrame, region_totals: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Locational Gini coefficient of every industry and year over regions.

    Parameters
    ----------
    employment : DataFrame
        The canonical employment table, with its all-industry rows (industry_level 0).
    region_totals : DataFrame, optional
        year, region_id, region_employment (see :func:`industry_concentration`).

    Returns
    -------
    DataFrame
        year, industry_code, industry_level, gini; sorted by year and industry_code.

    Notes
    -----
    Sort the regions by LQ_ri = s_ri / x_r, ascending; the locational Lorenz curve joins
    (sum of x, sum of s) over the sorted regions. The Gini *ratio* is the area between the
    diagonal and the curve over the area under the diagonal,

        G_i = 1 - sum_k x_(k) (S_(k-1) + S_(k))

    with S the cumulated shares; it equals ``1/2 sum_r sum_q x_r x_q |LQ_r - LQ_q|``, lies
    in [0, 1) and is 0 when the industry is spread like all employment. Krugman (1991,
    app. D) and Audretsch & Feldman (1996) define it; Krugman's table and EconGeo's
    ``locational.Gini`` report the area itself, half of this value.

    Examples
    --------
    Four regions of 100, 200, 300, 400 employees and an industry of 30, 10, 0, 10:

    >>> round(float(locational_gini(_example()).set_index("industry_code").loc["A", "gini"]), 12)
    0.66
    """
    return industry_concentration(employment, region_totals)[[*KEY_COLUMNS, "gini"]]


def hoover(employment: pd.DataFrame, region_totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Hoover coefficient of localization of every industry and year over regions.

    Parameters
    ----------
    employment : DataFrame
        The canonical employment table, with its all-industry rows (industry_level 0).
    region_totals : DataFrame, optional
        year, region_id, region_employment (see :func:`industry_concentration`).

    Returns
    -------
    DataFrame
        year, industry_code, industry_level, hoover; sorted by year and industry_code.

    Notes
    -----
    Hoover (1936): the share of the industry's employment that would have to move for it
    to be spread like all employment,

        H_i = 1/2 sum_r |s_ri - x_r|,  in [0, 1).

    Examples
    --------
    >>> round(float(hoover(_example()).set_index("industry_code").loc["A", "hoover"]), 12)
    0.5
    """
    return industry_concentration(employment, region_totals)[[*KEY_COLUMNS, "hoover"]]


def herfindahl(employment: pd.DataFrame, region_totals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Herfindahl index of every industry's regional shares, per year.

    Parameters
    ----------
    employment : DataFrame
        The canonical employment table, with its all-industry rows (industry_level 0).
    region_totals : DataFrame, optional
        year, region_id, region_employment (see :func:`industry_concentration`).

    Returns
    -------
    DataFrame
        year, industry_code, industry_level, herfindahl; sorted by year and industry_code.

    Notes
    -----
    The Herfindahl (1950) - Hirschman (1945) index of the shares s_ri = e_ri / e_i,

        HHI_i = sum_r s_ri^2,  in (0, 1],

    1 for an industry found in one region. Unlike Gini, Hoover and EG it ignores how big
    the regions are.

    Examples
    --------
    >>> round(float(herfindahl(_example()).set_index("industry_code").loc["A", "herfindahl"]), 12)
    0.44
    """
    return industry_concentration(employment, region_totals)[[*KEY_COLUMNS, "herfindahl"]]


def ellison_glaeser(
    employment: pd.DataFrame,
    region_totals: pd.DataFrame | None = None,
    size_classes: pd.DataFrame | None = None,
    size_class_bounds: SizeClassBounds = PLANT_SIZE_CLASSES,
) -> pd.DataFrame:
    """Ellison-Glaeser raw concentration G, plant Herfindahl H and index gamma.

    Parameters
    ----------
    employment : DataFrame
        The canonical employment table, with its all-industry rows (industry_level 0).
    region_totals : DataFrame, optional
        year, region_id, region_employment (see :func:`industry_concentration`).
    size_classes, size_class_bounds
        Establishments by employment-size class, for H (see :func:`industry_concentration`).

    Returns
    -------
    DataFrame
        year, industry_code, industry_level, eg_G, eg_H, eg_gamma, eg_h_method; sorted by
        year and industry_code.

    Notes
    -----
    Ellison & Glaeser (1997):

        G_i = sum_r (s_ri - x_r)^2,   H_i = sum_p z_p^2,
        gamma_i = (G_i / (1 - sum_r x_r^2) - H_i) / (1 - H_i)

    with z_p the employment shares of the industry's plants p. Without plant sizes, the
    n_ri plants of a cell are taken as equal-sized, ``H ~= sum_r s_ri^2 / n_ri``
    (``eg_h_method`` 'equal_plants_in_cell', a lower bound on H); with size classes, H
    comes from :func:`plant_size_squares` ('size_class_midpoints', or 'mixed').

    Examples
    --------
    >>> eg = ellison_glaeser(_example()).set_index("industry_code").loc["A"]
    >>> round(float(eg["eg_G"]), 12), round(float(eg["eg_H"]), 12), round(float(eg["eg_gamma"] * 287), 9)
    (0.38, 0.18, 127.0)
    """
    result = industry_concentration(employment, region_totals, size_classes, size_class_bounds)
    return result[[*KEY_COLUMNS, "eg_G", "eg_H", "eg_gamma", "eg_h_method"]]


def _example() -> pd.DataFrame:
    """The four-region table of the docstring examples (and the tests' golden values)."""
    rows = [
        ("R1", "00", 0, 100, 10), ("R2", "00", 0, 200, 10), ("R3", "00", 0, 300, 10),
        ("R4", "00", 0, 400, 10), ("R1", "A", 6, 30, 3), ("R2", "A", 6, 10, 2),
        ("R4", "A", 6, 10, 1),
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=[*PANEL_COLUMNS[:3], "employment", "establishments"])
    return table.assign(
        industry_level=table["industry_level"].astype("int8"),
        year=np.int16(2019),
        employment=table["employment"].astype("float64"),
        establishments=table["establishments"].astype("float64"),
    )


def industry_concentration(
    employment: pd.DataFrame,
    region_totals: pd.DataFrame | None = None,
    size_classes: pd.DataFrame | None = None,
    size_class_bounds: SizeClassBounds = PLANT_SIZE_CLASSES,
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
        Size class -> (lower, upper) employees; default the CBP classes n1_4 / n<5 ... n1000
        (:data:`pipeline.classifications.size_classes.PLANT_SIZE_CLASSES`).

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
    check_columns(employment, PANEL_COLUMNS, "employment")
    if employment.empty:
        return empty_concentration()
    codes = PanelCodes.from_frame(employment)
    plant_squares = None
    if size_classes is not None:
        plant_squares = plant_squares_for_rows(
            employment,
            size_classes,
            (codes.region, codes.region_ids, codes.industry, codes.industry_codes),
            size_class_bounds,
        )
    if region_totals is not None:
        check_columns(region_totals, ["year", "region_id", "region_employment"], "region totals")
        totals_year = region_totals["year"].to_numpy()
    elif not (codes.level == 0).any():
        raise UserError(
            "employment: no all-industry total rows (industry_level 0); add them or pass "
            "region_totals"
        )
    frames = []
    for year, rows in year_slices(codes.years):
        coded = codes.year(year, rows)
        if region_totals is None:
            totals = coded_region_totals(coded)
        else:
            totals = region_totals_from_frame(region_totals[totals_year == year], codes.region_ids)
        frames.append(
            coded_concentration(
                coded, totals, None if plant_squares is None else plant_squares[rows]
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(
        ["year", "industry_code"], ignore_index=True
    )


# --------------------------------------------------------------------------------------
# The one-pass kernel on a coded year
# --------------------------------------------------------------------------------------


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


def coded_concentration(
    coded: CodedYear,
    totals: RegionTotals,
    plant_squares: np.ndarray | None = None,
    industry_rows: IndustryRows | None = None,
) -> pd.DataFrame:
    """Concentration measures of every industry present in one coded year.

    ``plant_squares`` (optional, one value per row of ``coded``) is the cell's sum of
    squared plant sizes from size classes; NaN where unknown. Rows with zero or null
    employment add nothing to any sum (their share is 0 and they sort first).
    """
    detail = industry_rows if industry_rows is not None else gather_industry_rows(coded, totals)
    n_industries = len(coded.industry_codes)
    industry = detail.industry
    employment = detail.employment0
    positive = employment > 0
    present = group_sums(industry, n_industries) > 0
    n_regions = group_sums(industry, n_industries, positive)
    n_suppressed = group_sums(industry, n_industries, np.isnan(detail.employment))
    plants = coded.establishments[detail.rows]
    establishments_sum = group_sums(industry, n_industries, np.nan_to_num(plants))
    # An industry none of whose cells has an establishment count has an unknown count, not 0.
    known_plants = group_sums(industry, n_industries, ~np.isnan(plants))
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
        group_sums(industry, n_industries, np.abs(gap))
        + 1.0
        - group_sums(industry, n_industries, x)
    )
    share_squared = share * share
    herfindahl = group_sums(industry, n_industries, share_squared)
    eg_g = group_sums(industry, n_industries, gap * gap - x * x) + totals.sum_x_squared

    # Plant Herfindahl H: equal-sized plants within a cell -> s^2 / n; size classes if given.
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_h = np.where(positive, np.where(plants > 0, share_squared / plants, np.nan), 0.0)
    n_with_classes = np.zeros(n_industries)
    if plant_squares is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            from_classes = plant_squares[detail.rows] / detail.industry_employment[industry] ** 2
        has_classes = ~np.isnan(from_classes) & positive
        cell_h = np.where(has_classes, from_classes, cell_h)
        n_with_classes = group_sums(industry, n_industries, has_classes)
    eg_h = group_sums(industry, n_industries, cell_h)
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
    industry_total = group_sums(sorted_industry, n_industries, sorted_share)
    resets = sorted_share.copy()
    resets[first] -= industry_total[sorted_industry[first - 1]]
    share_below = np.cumsum(resets) - sorted_share
    lorenz_area_twice = group_sums(
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


def empty_concentration() -> pd.DataFrame:
    dtypes = dict.fromkeys(CONCENTRATION_COLUMNS, "float64")
    dtypes |= {"year": "int16", "industry_code": "str", "industry_level": "int8"}
    dtypes |= {"n_regions": "int64", "n_suppressed": "int64", "eg_h_method": "str"}
    return pd.DataFrame({name: pd.Series(dtype=dtypes[name]) for name in CONCENTRATION_COLUMNS})


# --------------------------------------------------------------------------------------
# Plant Herfindahl H from employment-size classes
# --------------------------------------------------------------------------------------


def plant_size_squares(
    size_classes: pd.DataFrame,
    cell_employment: np.ndarray,
    classes: SizeClassBounds = PLANT_SIZE_CLASSES,
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
    bounded_sum = group_sums(cell, n_cells, plants * midpoint)
    bounded_squares = group_sums(cell, n_cells, plants * midpoint**2)
    open_plants = group_sums(cell, n_cells, np.where(is_open, plants, 0.0))
    open_lower = np.zeros(n_cells)
    np.maximum.at(open_lower, cell, np.where(is_open, lower[class_code], 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        residual_per_plant = (cell_employment - bounded_sum) / open_plants
        open_size = np.where(open_plants > 0, np.maximum(open_lower, residual_per_plant), 0.0)
        raw_total = bounded_sum + open_plants * open_size
        raw_squares = bounded_squares + open_plants * open_size**2
        scale = np.where(raw_total > 0, cell_employment / raw_total, 0.0)
    has_classes = group_sums(cell, n_cells) > 0
    return np.where(has_classes, scale**2 * raw_squares, np.nan)


def plant_squares_for_rows(
    employment: pd.DataFrame,
    size_classes: pd.DataFrame,
    codes: tuple[np.ndarray, pd.Index, np.ndarray, pd.Index],
    classes: SizeClassBounds,
) -> np.ndarray:
    """Sum of squared plant sizes per row of ``employment`` (NaN where no size classes)."""
    check_columns(
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
