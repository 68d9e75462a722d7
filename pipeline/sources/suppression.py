"""Estimates for suppressed (withheld) employment cells, and a helper to leave them out.

CBP withheld the employment of a county x industry cell when publishing it would disclose
a single employer (flags D / A-M up to 2017; in 2002 "1.5 million" of the county numbers,
Isserman & Westervelt 2006). QCEW does the same (disclosure code N), and Eurostat marks such
cells ': c'. A region's specialisation in a one-plant industry then looks like zero, so the
readers keep those cells as nulls flagged 'suppressed' and this module fills them in.

The method is a one-pass, top-down simplification of the hierarchical bounds of Isserman &
Westervelt (2006) and the adding-up constraints of Eckert, Fort, Schott & Yang (2021):

1. **Prior from the establishment size classes.** ``prior = sum_k n_k * m_k``, where
   ``n_k`` is the number of establishments in size class k and ``m_k`` the class midpoint
   (:data:`DEFAULT_SIZE_CLASS_MIDPOINTS`). A cell whose classes are not all published has
   no size-class prior; it takes ``establishments x average size`` of the same industry in
   the reported cells of the table (the national average when the table covers the
   nation), then ``establishments x`` the parent cell's average size.
2. **Fit to the parent's residual, top-down.** Levels are visited from the total down to
   six digits, so the children of a parent imputed at the level above use its estimate.
   For the suppressed children S of a parent p in a region and year,
   ``residual = max(0, E_p - sum_{reported children} E_c)`` and the priors are scaled by
   ``residual / sum_{c in S} prior_c`` when the listed children hold all of the parent's
   establishments (the residual belongs to S alone: scaled down or up), and by
   ``min(1, residual / sum_S prior)`` otherwise (some establishments are in unlisted
   cells, so the residual is only an upper bound). A negative residual (noise infusion) is
   read as zero. A cell whose parent is missing or unknown keeps its prior.
3. **Published ranges.** When the employment-size range of a withheld cell is known (the
   CBP flag letters, :data:`pipeline.sources.cbp_files.EMPLOYMENT_FLAG_RANGES`), priors and
   estimates are clipped into it; after clipping, a group can add up to slightly more or
   less than its residual (the range is the harder fact).

Imputed cells carry ``employment_flag = 'imputed'``; cells that have no establishments and
no size classes stay null and 'suppressed'. Eckert et al. solve all constraints at once by
linear programming; this one pass keeps each estimate explainable from its own parent.

References
----------
Isserman, A. M. & Westervelt, J. (2006). 1.5 million missing numbers: overcoming employment
suppression in County Business Patterns data. *International Regional Science Review*
29(3), 311-335.
Eckert, F., Fort, T. C., Schott, P. K. & Yang, N. J. (2021). Imputing missing values in the
US Census Bureau's County Business Patterns. NBER Working Paper 26632.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from pipeline.classifications.naics_vintages import RANGE_SECTORS
from pipeline.sources.schema import TOTAL_CODE

# Midpoints of the CBP establishment employment-size classes. n1_4 (to 2016) and n<5
# (2017 on) are the same class, renamed because it includes establishments with no March
# employees. The open classes take 1.5 x their lower bound (1,000+ -> 1,500; 5,000+ ->
# 7,500), a convention for open-ended intervals; pass other values to change it.
DEFAULT_SIZE_CLASS_MIDPOINTS: dict[str, float] = {
    "n1_4": 2.5,
    "n<5": 2.5,
    "n5_9": 7.0,
    "n10_19": 14.5,
    "n20_49": 34.5,
    "n50_99": 74.5,
    "n100_249": 174.5,
    "n250_499": 374.5,
    "n500_999": 749.5,
    "n1000": 1500.0,
    "n1000_1": 1249.5,
    "n1000_2": 1999.5,
    "n1000_3": 3749.5,
    "n1000_4": 7500.0,
}
OPEN_CLASS = "n1000"
OPEN_CLASS_BREAKDOWN = ("n1000_1", "n1000_2", "n1000_3", "n1000_4")

KEY = ["region_id", "year", "industry_code"]


def naics_parent(code: str) -> str | None:
    """The parent of a canonical NAICS code: '3361' -> '336' -> '31-33' -> '00' -> None.

    Examples
    --------
    >>> [naics_parent(code) for code in ["3361", "336", "31-33", "00"]]
    ['336', '31-33', '00', None]
    """
    if code == TOTAL_CODE:
        return None
    if "-" in code or len(code) == 2:
        return TOTAL_CODE
    if len(code) == 3:
        return RANGE_SECTORS.get(code[:2], code[:2])
    return code[:-1]


def size_class_estimate(
    size_classes: pd.DataFrame,
    midpoints: Mapping[str, float] = DEFAULT_SIZE_CLASS_MIDPOINTS,
) -> pd.DataFrame:
    """Employment implied by the establishment size classes of each cell.

    ``estimate = sum_k n_k * m_k`` over the classes; the open class ``n1000`` is replaced by
    its breakdown ``n1000_1..4`` when that is published and adds up to it. A cell with any
    unpublished (null) class has no estimate.

    Parameters
    ----------
    size_classes : DataFrame
        region_id, industry_code, year, size_class, establishments (the long table of
        :func:`pipeline.sources.cbp_files.read_cbp_county_file`; absent classes count 0).
    midpoints : mapping
        Size class -> employment per establishment.

    Returns
    -------
    DataFrame
        region_id, year, industry_code, size_class_estimate.
    """
    unknown = sorted(set(size_classes["size_class"].unique()) - set(midpoints))
    if unknown:
        raise ValueError(f"no midpoint for size class(es) {', '.join(unknown)}")
    by_cell = size_classes.assign(null=size_classes["establishments"].isna()).groupby(KEY)
    has_null = by_cell["null"].any()
    counts = (
        size_classes.groupby([*KEY, "size_class"])["establishments"]
        .sum()
        .unstack("size_class", fill_value=0.0)
        .fillna(0.0)
    )
    for size_class in [OPEN_CLASS, *OPEN_CLASS_BREAKDOWN]:
        if size_class not in counts.columns:
            counts[size_class] = 0.0
    breakdown = counts[list(OPEN_CLASS_BREAKDOWN)].sum(axis=1)
    use_breakdown = breakdown.eq(counts[OPEN_CLASS]) & breakdown.gt(0)
    weights = pd.Series({c: midpoints.get(c, 0.0) for c in counts.columns})
    estimate = counts.mul(weights, axis=1)
    base = estimate.drop(columns=[OPEN_CLASS, *OPEN_CLASS_BREAKDOWN]).sum(axis=1)
    open_part = (
        estimate[list(OPEN_CLASS_BREAKDOWN)].sum(axis=1).where(use_breakdown, estimate[OPEN_CLASS])
    )
    total = (base + open_part).where(~has_null.reindex(counts.index, fill_value=False))
    return total.rename("size_class_estimate").reset_index()


def average_establishment_size(employment: pd.DataFrame) -> pd.DataFrame:
    """Average employment per establishment of each industry and year, from reported cells.

    ``average_size = sum E / sum establishments`` over the rows flagged 'reported' with
    establishments > 0 (across all regions of the table).
    """
    reported = employment[
        (employment["employment_flag"] == "reported")
        & employment["employment"].notna()
        & (employment["establishments"] > 0)
    ]
    sums = reported.groupby(["industry_code", "year"])[["employment", "establishments"]].sum()
    return (sums["employment"] / sums["establishments"]).rename("average_size").reset_index()


def impute_suppressed(
    employment: pd.DataFrame,
    size_classes: pd.DataFrame | None = None,
    employment_ranges: pd.DataFrame | None = None,
    size_class_midpoints: Mapping[str, float] = DEFAULT_SIZE_CLASS_MIDPOINTS,
    average_size: pd.DataFrame | None = None,
    parent_of: Callable[[str], str | None] = naics_parent,
) -> pd.DataFrame:
    """Fill suppressed (null) employment with estimates flagged 'imputed'.

    Parameters
    ----------
    employment : DataFrame
        Canonical employment table (one or more regions and years, NAICS codes by default).
    size_classes : DataFrame, optional
        Long size-class table (region_id, industry_code, year, size_class, establishments).
    employment_ranges : DataFrame, optional
        region_id, industry_code, year, employment_lower, employment_upper of withheld cells.
    size_class_midpoints : mapping
        Employment per establishment of each size class.
    average_size : DataFrame, optional
        industry_code, year, average_size used for cells without size classes (e.g. from the
        national CBP file); by default :func:`average_establishment_size` of ``employment``.
    parent_of : callable
        Industry code -> parent code (None for the total); :func:`naics_parent` by default.

    Returns
    -------
    DataFrame
        ``employment`` with suppressed cells estimated (see the module docstring for the
        method and references); reported cells are unchanged.

    Examples
    --------
    A parent of 100 employees with one reported child of 40 and two withheld children of
    3 and 6 establishments (1-4 and 5-9 employees), all establishments listed: priors 7.5
    and 42 are scaled to the residual 60 -> 9.09 and 50.91.
    """
    table = employment.reset_index(drop=True)
    suppressed = table["employment"].isna().to_numpy()
    if not suppressed.any():
        return table
    prior = pd.Series(np.nan, index=table.index)
    if size_classes is not None and not size_classes.empty:
        from_classes = size_class_estimate(size_classes, size_class_midpoints)
        prior = table[KEY].merge(from_classes, on=KEY, how="left")["size_class_estimate"]
    averages = average_size if average_size is not None else average_establishment_size(table)
    typical = table[["industry_code", "year"]].merge(
        averages, on=["industry_code", "year"], how="left"
    )["average_size"]
    prior = prior.fillna(table["establishments"] * typical)
    lower = pd.Series(np.nan, index=table.index)
    upper = pd.Series(np.nan, index=table.index)
    if employment_ranges is not None and not employment_ranges.empty:
        ranges = table[KEY].merge(employment_ranges, on=KEY, how="left")
        lower, upper = ranges["employment_lower"], ranges["employment_upper"]

    parent_by_code = {code: parent_of(code) for code in table["industry_code"].unique()}
    parent_code = table["industry_code"].map(parent_by_code).fillna("")
    # Position of each row's parent row (-1 when the table has no such row): the parent
    # position also identifies the sibling group.
    parent_position = pd.MultiIndex.from_frame(table[KEY]).get_indexer(
        pd.MultiIndex.from_arrays([table["region_id"], table["year"], parent_code])
    )
    value = table["employment"].to_numpy(dtype="float64", copy=True)
    establishments = table["establishments"].to_numpy(dtype="float64")
    prior_values = prior.to_numpy(dtype="float64")
    lower_values = lower.to_numpy(dtype="float64")
    upper_values = upper.to_numpy(dtype="float64")
    levels = table["industry_level"].to_numpy()
    for level in np.unique(levels):
        rows = np.flatnonzero(levels == level)
        withheld = suppressed[rows]
        if not withheld.any():
            continue
        parents = parent_position[rows]
        has_parent = parents >= 0
        parent_value = np.where(has_parent, value[parents], np.nan)
        parent_establishments = np.where(has_parent, establishments[parents], np.nan)
        child_prior = prior_values[rows]
        child_prior = np.where(
            np.isnan(child_prior),
            establishments[rows] * parent_value / parent_establishments,
            child_prior,
        )
        child_prior = _clip(child_prior, lower_values[rows], upper_values[rows])
        group_sum = _group_sum(parents, has_parent, len(table))
        reported_sum = group_sum(np.where(withheld, 0.0, value[rows]))
        children_establishments = group_sum(establishments[rows])  # NaN if any is unknown
        prior_sum = group_sum(np.where(withheld & ~np.isnan(child_prior), child_prior, 0.0))
        residual = np.maximum(parent_value - reported_sum, 0.0)
        complete = children_establishments == parent_establishments
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = residual / prior_sum
        scale = np.where(complete, scale, np.minimum(scale, 1.0))
        scale = np.where(~np.isnan(residual) & (prior_sum > 0), scale, 1.0)
        estimate = _clip(child_prior * scale, lower_values[rows], upper_values[rows])
        value[rows[withheld]] = estimate[withheld]

    imputed = suppressed & ~np.isnan(value)
    result = table.copy()
    result["employment"] = value
    result["employment_flag"] = result["employment_flag"].where(~imputed, "imputed")
    return result


def _clip(values: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Clip into [lower, upper] where the bounds are known; a null value stays null."""
    clipped = np.where(~np.isnan(lower) & (values < lower), lower, values)
    return np.where(~np.isnan(upper) & (clipped > upper), upper, clipped)


def _group_sum(
    parents: np.ndarray, has_parent: np.ndarray, size: int
) -> Callable[[np.ndarray], np.ndarray]:
    """A function summing values over siblings (rows with the same parent position).

    Returns, for each row, the sum over its sibling group (NaN when any member is NaN or
    the row has no parent).
    """

    def total(values: np.ndarray) -> np.ndarray:
        sums = np.bincount(parents[has_parent], weights=values[has_parent], minlength=size)
        return np.where(has_parent, sums[np.where(has_parent, parents, 0)], np.nan)

    return total


def exclude_imputed(employment: pd.DataFrame, keep_totals: bool = True) -> pd.DataFrame:
    """Drop the cells whose employment was imputed (keep reported and suppressed rows).

    With ``keep_totals`` an imputed all-industry total (industry_level 0) stays: it is the
    LQ denominator e_r, and dropping it would drop the whole region-year. Works on pandas and
    dask frames.
    """
    imputed = employment["employment_flag"] == "imputed"
    if keep_totals:
        imputed = imputed & (employment["industry_level"] > 0)
    return employment[~imputed]
