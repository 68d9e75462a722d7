"""Priors for CBP's withheld cells: establishment size classes, average sizes, ranges.

CBP withheld the employment of a county x industry cell when publishing it would disclose
a single employer (flags D / A-M up to 2017; in 2002 "1.5 million" of the county numbers,
Isserman & Westervelt 2006). A region's specialisation in a one-plant industry then looks
like zero, so the readers keep those cells as nulls flagged 'suppressed' and
:func:`impute_suppressed` fills them in. The split of each parent's residual is the one
engine of :mod:`pipeline.sources.residual_allocation` (``priors_are_estimates=True``); this
module supplies CBP's priors and bounds:

1. **Prior from the establishment size classes.** ``prior = sum_k n_k * m_k``, where
   ``n_k`` is the number of establishments in size class k and ``m_k`` the class midpoint
   (:data:`DEFAULT_SIZE_CLASS_MIDPOINTS`). A cell whose classes are not all published has
   no size-class prior; it takes ``establishments x average size`` of the same industry in
   the reported cells of the table (the national average when the table covers the
   nation), then ``establishments x`` the parent cell's average size.
2. **Fit to the parent's residual, top-down.** For the suppressed children S of a parent p
   in a region and year, ``residual = max(0, E_p - sum_{reported children} E_c)`` and the
   priors are scaled by ``residual / sum_{c in S} prior_c`` when the listed children hold
   all of the parent's establishments (the residual belongs to S alone: scaled down or up),
   and by ``min(1, residual / sum_S prior)`` otherwise (some establishments are in unlisted
   cells, so the residual is only an upper bound). A negative residual (noise infusion) is
   read as zero. A cell whose parent is missing or unknown keeps its prior.
3. **Published ranges.** When the employment-size range of a withheld cell is known (the
   CBP flag letters, :data:`pipeline.sources.cbp_files.EMPLOYMENT_FLAG_RANGES`), priors and
   estimates are clipped into it; after clipping, a group can add up to slightly more or
   less than its residual (the range is the harder fact).

Imputed cells carry ``employment_flag = 'imputed'``; cells that have no establishments and
no size classes stay null and 'suppressed'.

References
----------
Isserman & Westervelt (2006), *International Regional Science Review* 29(3); Eckert, Fort,
Schott & Yang (2021), NBER Working Paper 26632 (full entries in
:mod:`pipeline.sources.residual_allocation`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from pipeline.classifications.naics import naics_parent
from pipeline.classifications.size_classes import (
    CBP_SIZE_CLASSES,
    OPEN_CLASS,
    OPEN_CLASS_BREAKDOWN,
    size_class_midpoints,
)
from pipeline.sources.residual_allocation import (
    KEY,
    allocate_residuals,
    parent_codes,
    parent_positions,
)

# Midpoints of the CBP establishment employment-size classes (n1_4 / n<5 2.5, n5_9 7 ...);
# the open classes take 1.5 x their lower bound (1,000+ -> 1,500; 5,000+ -> 7,500). The
# classes are defined once, in pipeline.classifications.size_classes; pass other values to
# change the midpoints.
DEFAULT_SIZE_CLASS_MIDPOINTS: dict[str, float] = size_class_midpoints(CBP_SIZE_CLASSES)


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
        priors and :mod:`pipeline.sources.residual_allocation` for the split); reported
        cells are unchanged.

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

    value = allocate_residuals(
        table["employment"].to_numpy(dtype="float64"),
        suppressed,
        parent_positions(table, parent_codes(table["industry_code"], parent_of)),
        table["industry_level"].to_numpy(),
        prior.to_numpy(dtype="float64"),
        priors_are_estimates=True,
        lower=lower.to_numpy(dtype="float64"),
        upper=upper.to_numpy(dtype="float64"),
        establishments=table["establishments"].to_numpy(dtype="float64"),
    )
    imputed = suppressed & ~np.isnan(value)
    result = table.copy()
    result["employment"] = value
    result["employment_flag"] = result["employment_flag"].where(~imputed, "imputed")
    return result
