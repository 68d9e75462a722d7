"""Estimates for withheld and unpublished employment cells: the one imputation module.

Every source's reader calls this module; three engines share the same idea (a parent's
residual, its employment minus its published children, split among the children it does not
show, never more than the residual), each for what its source publishes:

* :func:`impute_suppressed`: rows present with a null employment and size classes or ranges
  (CBP complete county files, the CBP county panel's 2017 withheld rows; method below).
* :func:`estimate_suppressed_employment`: rows present with their establishment counts and
  a full private hierarchy (BLS QCEW states; see its Notes).
* :func:`estimate_unpublished`: cells with no row at all (CBP since 2017 publishes no cell
  of fewer than 3 establishments: metros, counties), candidates from the national catalog,
  checked by the hold-out of :func:`holdout_unpublished`.

Everything they fill carries ``employment_flag = 'imputed'``; :func:`exclude_imputed`
(``measure.use_imputed: false``) leaves it out again, and
:func:`imputed_employment_by_level` reports how much there is. Region totals of
section-level tables are derived in :mod:`pipeline.sources.section_totals`.

Withheld cells with size classes
--------------------------------
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

from pipeline.classifications.naics import naics_parent
from pipeline.classifications.size_classes import (
    CBP_SIZE_CLASSES,
    OPEN_CLASS,
    OPEN_CLASS_BREAKDOWN,
    size_class_midpoints,
)
from pipeline.errors import UserError
from pipeline.sources.schema import canonical_employment

# Midpoints of the CBP establishment employment-size classes (n1_4 / n<5 2.5, n5_9 7 ...);
# the open classes take 1.5 x their lower bound (1,000+ -> 1,500; 5,000+ -> 7,500). The
# classes are defined once, in pipeline.classifications.size_classes; pass other values to
# change the midpoints.
DEFAULT_SIZE_CLASS_MIDPOINTS: dict[str, float] = size_class_midpoints(CBP_SIZE_CLASSES)

KEY = ["region_id", "year", "industry_code"]


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


# ---------------------------------------------------------------------------------------
# Cells that are not published at all (CBP since 2017: no row below 3 establishments)
# ---------------------------------------------------------------------------------------

UNPUBLISHED_FIRST_YEAR = 2017
"""First CBP reference year without rows for cells of fewer than 3 establishments (earlier
years publish them with an employment-range flag instead; Census, CBP "Methodology",
"Disclosure avoidance")."""

UNPUBLISHED_WEIGHTS = ("establishment_size", "national_employment")
"""How a parent's residual employment is split among its estimated (unpublished) children.

national_employment (default)
    the industry's national employment ``sum_r E_rc`` (published cells);
establishment_size
    the child's estimated establishments times its industry's national mean establishment
    size, ``sum_r E_rc / sum_r N_rc`` over the regions where it is published.

Chosen by the hold-out error of :func:`holdout_unpublished` on CBP 2019 metros (hide 20 % of
the published cells with 3 establishments, seeds 12345 and 7), with ``fewest_cells``:
national_employment has median APE 0.136 / 0.139 and 76.7 / 76.9 % within a factor of 2,
establishment_size 0.152 / 0.152 and 77.6 / 77.7 %. The median error decides.
"""
UNPUBLISHED_SELECTIONS = ("residual_establishments", "fewest_cells", "all")
"""Which missing children of a parent get an estimate (candidates ranked by their national
establishment count: the commonest industries are the likeliest to be present).

fewest_cells (default)
    the k = ceil(R_N / max_establishments) top candidates: the fewest cells that can hold the
    parent's residual establishments R_N when an unpublished cell has at most
    ``max_establishments`` (2 for CBP). Hold-out on CBP 2019 metros: median APE 0.136, 76.7 %
    within a factor of 2, 297,978 cells created;
residual_establishments
    k = ceil(R_N), the most cells the residual allows (each holds at least one
    establishment): 0.185, 73.9 %, 482,157 cells;
all
    every candidate (many tiny cells; 1,117,451).

No cell is created where R_N = 0 (except with ``all``), nor for a code absent from the
national catalog.
"""


def national_catalog(employment: pd.DataFrame) -> pd.DataFrame:
    """The industries that exist 'nationally': every code published in some region of a year.

    Returns
    -------
    DataFrame
        year, industry_code, industry_level, national_employment (sum of published
        employment over regions), national_establishments, national_size (their ratio).
    """
    published = employment[
        (employment["industry_level"] > 0)
        & (employment["employment_flag"] == "reported")
        & employment["employment"].notna()
    ]
    catalog = published.groupby(["year", "industry_code", "industry_level"], as_index=False)[
        ["employment", "establishments"]
    ].sum(min_count=1)
    catalog = catalog.rename(
        columns={
            "employment": "national_employment",
            "establishments": "national_establishments",
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        catalog["national_size"] = (
            catalog["national_employment"] / catalog["national_establishments"]
        ).where(catalog["national_establishments"] > 0)
    return catalog


def estimate_unpublished(
    employment: pd.DataFrame,
    weight: str = "national_employment",
    selection: str = "fewest_cells",
    max_establishments: float = 2.0,
    catalog: pd.DataFrame | None = None,
    parent_of: Callable[[str], str | None] = naics_parent,
) -> pd.DataFrame:
    """Add estimated rows for the cells a table does not publish at all.

    Parameters
    ----------
    employment : DataFrame
        Canonical employment table (NAICS by default) whose published rows have at least
        ``max_establishments + 1`` establishments (CBP since 2017: 3), so a missing row
        holds 1 to ``max_establishments`` establishments. Null (withheld) rows stay as they
        are; fill them first with :func:`impute_suppressed` if they have size classes.
    weight : str
        How a residual is split, one of :data:`UNPUBLISHED_WEIGHTS`.
    selection : str
        Which missing children get a row, one of :data:`UNPUBLISHED_SELECTIONS`.
    max_establishments : float
        The most establishments an unpublished cell can hold (2 for CBP: cells with fewer
        than 3 are not published).
    catalog : DataFrame, optional
        The industries that exist nationally with their national employment and
        establishments (:func:`national_catalog` columns); by default the catalog of
        ``employment`` itself.
    parent_of : callable
        Industry code -> parent code (None for the total); :func:`naics_parent` by default.

    Returns
    -------
    DataFrame
        ``employment`` plus one row per estimated cell (``employment_flag`` 'imputed'),
        same columns, sorted like :func:`pipeline.sources.schema.canonical_employment`.

    Notes
    -----
    Levels are visited top-down (2, 3, ..., 6 digits), so a cell estimated at one level is
    the parent of estimates at the next. For a parent p of region r with employment E_p and
    establishments N_p (published, or estimated one level up), and its children published
    in r (sums E_pub, N_pub):

        R_E = max(0, E_p - E_pub),   R_N = max(0, N_p - N_pub)

    The candidates are the children of p in the national catalog without a row in r. With
    ``selection='fewest_cells'`` the k = min(#candidates, ceil(R_N / max_establishments))
    candidates with the most national establishments are kept (``'residual_establishments'``:
    ceil(R_N)); none when R_N = 0, since then R_E is noise (on CBP 2019 metros R_E is exactly
    0 wherever R_N is 0). Each kept child c gets

        N_c = min(max_establishments, R_N * n_c / sum_k n_k)    (n = national establishments)
        E_c = R_E * w_c / sum_k w_k

    with w_c = N_c * (national mean size of c) or the national employment of c
    (``weight``), so the estimates of a family add up to the residual and none exceeds it.
    This is the top-down residual allocation of Isserman & Westervelt (2006), applied to
    cells that are absent rather than flagged; Eckert, Fort, Schott & Yang (2021) impose the
    same adding-up constraints by linear programming.

    Examples
    --------
    A parent of 100 jobs and 10 establishments whose published children hold 60 jobs and 8
    establishments leaves R_E = 40 and R_N = 2: with ``fewest_cells`` the nationally
    commonest missing child gets all 40 jobs and 2 establishments; with
    ``residual_establishments`` the two commonest share them (tests/sources/
    test_unpublished.py).
    """
    if weight not in UNPUBLISHED_WEIGHTS:
        raise UserError(
            f"unpublished-cell weight is '{weight}'; use one of {', '.join(UNPUBLISHED_WEIGHTS)}"
        )
    if selection not in UNPUBLISHED_SELECTIONS:
        raise UserError(
            f"unpublished-cell selection is '{selection}'; use one of "
            f"{', '.join(UNPUBLISHED_SELECTIONS)}"
        )
    table = employment.reset_index(drop=True)
    if catalog is None:
        catalog = national_catalog(table)
    catalog = catalog.copy()
    parent_by_code = {code: parent_of(code) for code in catalog["industry_code"].unique()}
    catalog["parent_code"] = catalog["industry_code"].map(parent_by_code)
    catalog = catalog[catalog["parent_code"].notna()]
    region_keys = ["region_id", "year"]
    created: list[pd.DataFrame] = []
    current = table
    for level in sorted(catalog["industry_level"].unique()):
        children_catalog = catalog[catalog["industry_level"] == level]
        parent_codes = set(children_catalog["parent_code"])
        parents = current[
            current["industry_code"].isin(parent_codes) & current["employment"].notna()
        ]
        if parents.empty:
            continue
        children = current[current["industry_level"] == level]
        children = children.assign(
            parent_code=children["industry_code"].map(
                {code: parent_of(code) for code in children["industry_code"].unique()}
            )
        )
        published_sums = children.groupby([*region_keys, "parent_code"], as_index=False).agg(
            published_employment=("employment", "sum"),
            published_establishments=("establishments", "sum"),
        )
        family = parents[[*region_keys, "industry_code", "employment", "establishments"]].rename(
            columns={
                "industry_code": "parent_code",
                "employment": "parent_employment",
                "establishments": "parent_establishments",
            }
        )
        family = family.merge(published_sums, on=[*region_keys, "parent_code"], how="left")
        family = family.fillna({"published_employment": 0.0, "published_establishments": 0.0})
        family["residual_employment"] = (
            family["parent_employment"] - family["published_employment"]
        ).clip(lower=0.0)
        family["residual_establishments"] = (
            family["parent_establishments"] - family["published_establishments"]
        ).clip(lower=0.0)
        open_family = family["residual_employment"] > 0
        if selection != "all":
            open_family &= family["residual_establishments"].fillna(np.inf) > 0
        family = family[open_family]
        if family.empty:
            continue
        candidates = family.merge(
            children_catalog[
                [
                    "year",
                    "parent_code",
                    "industry_code",
                    "national_employment",
                    "national_establishments",
                    "national_size",
                ]
            ],
            on=["year", "parent_code"],
        )
        present = pd.MultiIndex.from_frame(children[[*region_keys, "industry_code"]])
        candidates = candidates[
            ~pd.MultiIndex.from_frame(candidates[[*region_keys, "industry_code"]]).isin(present)
        ]
        if candidates.empty:
            continue
        groups = [*region_keys, "parent_code"]
        if selection != "all":
            candidates = candidates.sort_values(
                [*groups, "national_establishments", "industry_code"],
                ascending=[True, True, True, False, True],
            )
            rank = candidates.groupby(groups).cumcount()
            keep = candidates["residual_establishments"].fillna(np.inf)
            if selection == "fewest_cells":
                keep = keep / max_establishments
            keep = np.ceil(keep)
            candidates = candidates[rank < keep]
        count_weight = candidates["national_establishments"].fillna(0.0)
        count_share = _share(count_weight, candidates, groups)
        establishments = (candidates["residual_establishments"] * count_share).clip(
            upper=max_establishments
        )
        if weight == "establishment_size":
            size = candidates["national_size"]
            job_weight = establishments.fillna(1.0) * size
        else:
            job_weight = candidates["national_employment"]
        job_share = _share(job_weight.fillna(0.0), candidates, groups)
        rows = pd.DataFrame(
            {
                "region_id": candidates["region_id"].to_numpy(),
                "industry_code": candidates["industry_code"].to_numpy(),
                "industry_level": level,
                "year": candidates["year"].to_numpy(),
                "employment": (candidates["residual_employment"] * job_share).to_numpy(),
                "establishments": establishments.to_numpy(),
                "classification": table["classification"].iloc[0],
                "employment_flag": "imputed",
            }
        )
        rows = rows[rows["employment"] > 0]
        created.append(rows)
        current = pd.concat([current, rows], ignore_index=True)
    if not created:
        return table
    added = pd.concat(created, ignore_index=True)
    return canonical_employment(pd.concat([table, added[table.columns]], ignore_index=True))


def holdout_unpublished(
    employment: pd.DataFrame,
    fraction: float,
    hide_max_establishments: float,
    seed: int,
    parent_of: Callable[[str], str | None] = naics_parent,
    **estimate_options,
) -> pd.DataFrame:
    """Hide published cells, estimate them with :func:`estimate_unpublished`, report the error.

    Parameters
    ----------
    employment : DataFrame
        A canonical table of published cells (e.g. CBP 2019 metros).
    fraction : float
        Share of the eligible cells to hide (0-1).
    hide_max_establishments : float
        Only published cells with at most this many establishments are eligible: the ones
        most like the unpublished cells (3 for CBP, whose unpublished cells have 1 or 2).
    seed : int
        Seed of the random draw (numpy ``default_rng``).
    parent_of : callable
        Industry code -> parent code.
    **estimate_options
        Passed to :func:`estimate_unpublished` (weight, selection, max_establishments).

    Returns
    -------
    DataFrame
        One row per industry level and an 'all' row: hidden_cells, hidden_employment,
        estimated_employment (on the hidden cells), median_ape (median of
        ``|estimate - true| / true``), within_factor_2 (share of cells with
        ``true / 2 <= estimate <= 2 true``), found (share of hidden cells that got an
        estimate).

    Notes
    -----
    A hidden cell takes its descendants with it (a region that does not publish '3361'
    publishes none of its six-digit industries), so the test reproduces what CBP drops. The
    national catalog is that of the visible table, as it would be in use. A cell that gets no
    estimate counts with estimate 0 (APE 100 %).
    """
    table = employment.reset_index(drop=True)
    eligible = np.flatnonzero(
        (
            (table["industry_level"] > 0)
            & (table["employment_flag"] == "reported")
            & (table["employment"] > 0)
            & (table["establishments"] <= hide_max_establishments)
        ).to_numpy()
    )
    rng = np.random.default_rng(seed)
    drawn = rng.choice(eligible, size=int(round(fraction * len(eligible))), replace=False)
    hidden = np.zeros(len(table), dtype=bool)
    hidden[drawn] = True
    parent_code = table["industry_code"].map(
        {code: parent_of(code) for code in table["industry_code"].unique()}
    )
    parent_position = pd.MultiIndex.from_frame(table[["region_id", "year", "industry_code"]])
    parent_position = parent_position.get_indexer(
        pd.MultiIndex.from_arrays([table["region_id"], table["year"], parent_code.fillna("")])
    )
    levels = table["industry_level"].to_numpy()
    for level in np.unique(levels[levels > 0]):
        rows = np.flatnonzero((levels == level) & (parent_position >= 0))
        hidden[rows] |= hidden[parent_position[rows]]
    truth = table[hidden]
    estimated = estimate_unpublished(table[~hidden], parent_of=parent_of, **estimate_options)
    keys = ["region_id", "year", "industry_code"]
    compared = truth[[*keys, "industry_level", "employment"]].merge(
        estimated.loc[estimated["employment_flag"] == "imputed", [*keys, "employment"]],
        on=keys,
        how="left",
        suffixes=("", "_estimate"),
    )
    compared["found"] = compared["employment_estimate"].notna()
    compared["employment_estimate"] = compared["employment_estimate"].fillna(0.0)
    compared["ape"] = (compared["employment_estimate"] - compared["employment"]).abs() / compared[
        "employment"
    ]
    ratio = compared["employment_estimate"] / compared["employment"]
    compared["within_factor_2"] = (ratio >= 0.5) & (ratio <= 2.0)

    def summary(part: pd.DataFrame) -> dict:
        return {
            "hidden_cells": int(len(part)),
            "hidden_employment": float(part["employment"].sum()),
            "estimated_employment": float(part["employment_estimate"].sum()),
            "median_ape": float(part["ape"].median()),
            "within_factor_2": float(part["within_factor_2"].mean()),
            "found": float(part["found"].mean()),
        }

    rows = [
        {"industry_level": str(level), **summary(part)}
        for level, part in compared.groupby("industry_level")
    ]
    rows.append({"industry_level": "all", **summary(compared)})
    return pd.DataFrame(rows)


def _share(weights: pd.Series, frame: pd.DataFrame, groups: list[str]) -> pd.Series:
    """Each row's share of its group's weights; equal shares where a group's weights are 0."""
    keys = [frame[column] for column in groups]
    total = weights.groupby(keys).transform("sum")
    count = weights.groupby(keys).transform("size")
    with np.errstate(divide="ignore", invalid="ignore"):
        return (weights / total).where(total > 0, 1.0 / count)


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


# ---------------------------------------------------------------------------------------
# Tables that list every withheld cell with its establishment count (BLS QCEW)
# ---------------------------------------------------------------------------------------

WEIGHT_METHODS = ("establishment_size", "national_employment", "establishments")
"""How a residual is split among a state's suppressed siblings.

establishment_size (default)
    the cell's own establishment count (published even where employment is suppressed)
    times the industry's national mean establishment size, sum(e) / sum(est) over the
    states where it is disclosed (the parent industry's size where it is disclosed nowhere);
national_employment
    the industry's employment summed over the states where it is disclosed;
establishments
    the cell's own establishment count.

Where every sibling of a group has weight 0, the group falls back to establishment counts,
then to equal shares.
"""


def _national_size(cells: pd.DataFrame) -> pd.Series:
    """Mean establishment size of each cell's industry over the states where it is disclosed.

    An industry disclosed nowhere takes its nearest ancestor's size.
    """
    disclosed = cells[~cells["suppressed"]]
    sums = disclosed.groupby(["year", "industry_code"])[["employment", "establishments"]].sum()
    size = (sums["employment"] / sums["establishments"]).where(sums["establishments"] > 0)
    parent_of = cells.drop_duplicates(["year", "industry_code"]).set_index(
        ["year", "industry_code"]
    )["parent_code"]
    years = parent_of.index.get_level_values("year")
    industry_size = size.reindex(parent_of.index)
    ancestor = parent_of
    while (industry_size.isna() & ancestor.notna()).any():
        above = pd.MultiIndex.from_arrays([years, ancestor.to_numpy()])
        industry_size = industry_size.fillna(
            pd.Series(size.reindex(above).to_numpy(), index=industry_size.index)
        )
        ancestor = pd.Series(parent_of.reindex(above).to_numpy(), index=parent_of.index)
    at_cells = pd.MultiIndex.from_frame(cells[["year", "industry_code"]])
    return pd.Series(industry_size.reindex(at_cells).to_numpy(), index=cells.index)


def sibling_weights(cells: pd.DataFrame, method: str = "establishment_size") -> pd.Series:
    """The weight of each cell when its parent's residual is split (see :data:`WEIGHT_METHODS`).

    Parameters
    ----------
    cells : DataFrame
        The output of :func:`private_hierarchy` (or a table with the same columns).
    method : str
        One of :data:`WEIGHT_METHODS`.

    Returns
    -------
    Series
        Non-negative weights aligned with ``cells``.
    """
    if method not in WEIGHT_METHODS:
        raise UserError(
            f"suppressed-cell weight method is '{method}'; use one of {', '.join(WEIGHT_METHODS)}"
        )
    if method == "establishments":
        weights = cells["establishments"]
    elif method == "national_employment":
        disclosed = cells["employment"].where(~cells["suppressed"])
        weights = disclosed.groupby([cells["year"], cells["industry_code"]]).transform("sum")
    else:
        weights = cells["establishments"] * _national_size(cells)
    return weights.fillna(0.0).clip(lower=0.0)


def _shares(weights: pd.Series, fallback: pd.Series, groups: list[pd.Series]) -> pd.Series:
    """Each cell's share of its group: weights, else fallback weights, else equal shares."""
    total = weights.groupby(groups).transform("sum")
    fallback_total = fallback.groupby(groups).transform("sum")
    count = weights.groupby(groups).transform("size")
    return (weights / total).where(
        total > 0, (fallback / fallback_total).where(fallback_total > 0, 1.0 / count)
    )


def _children_sums(
    cells: pd.DataFrame, depth: int, contribution: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Sum ``contribution`` of the cells at ``depth`` into their parents (aligned with cells).

    Returns the sums and whether each cell has any child row, both aligned with ``cells``.
    """
    level = cells["depth"] == depth
    sums = (
        contribution[level]
        .groupby(
            [
                cells.loc[level, "year"],
                cells.loc[level, "region_id"],
                cells.loc[level, "parent_code"],
            ]
        )
        .sum()
    )
    parents = cells.loc[cells["depth"] == depth - 1, ["year", "region_id", "industry_code"]]
    at_parents = sums.reindex(pd.MultiIndex.from_frame(parents))
    total = pd.Series(0.0, index=cells.index)
    has_children = pd.Series(False, index=cells.index)
    total[parents.index] = at_parents.fillna(0.0).to_numpy()
    has_children[parents.index] = at_parents.notna().to_numpy()
    return total, has_children


def estimate_suppressed_employment(
    cells: pd.DataFrame, method: str = "establishment_size"
) -> pd.Series:
    """Employment of every cell, with suppressed cells filled from their parent's residual.

    Parameters
    ----------
    cells : DataFrame
        year, region_id, industry_code, parent_code, depth, employment (NaN where
        suppressed), establishments, suppressed: the output of :func:`private_hierarchy`.
    method : str
        How the residual is split, one of :data:`WEIGHT_METHODS`.

    Returns
    -------
    Series
        Aligned with ``cells``: the reported employment where disclosed, the estimate where
        suppressed, NaN where a suppressed cell has no known parent.

    Notes
    -----
    Two passes over the hierarchy. Bottom up, each suppressed cell c of state r gets

        L_rc = employment of its disclosed descendants (reached through suppressed cells only),
        W_rc = sum of the weights w (:func:`sibling_weights`) of its suppressed descendants
               that have no children, or w_rc itself if c has no children,

    a lower bound and the expected size of the rest. Top down, the residual of each parent p
    (its reported or already estimated employment minus its disclosed children),

        R_rp = max(0, e_rp - sum of disclosed children of p in r),

    is split among p's suppressed children:

        e_rc = L_rc * min(1, R_rp / sum L) + max(0, R_rp - sum L) * W_rc / sum W,

    the sums running over the suppressed children of p in r. The estimates of a family sum to
    its residual, so none exceeds it, and none falls below the jobs already known beneath it
    (unless rounding of the annual averages leaves R_rp below sum L, when the bounds shrink
    in proportion). Without disclosed descendants (L = 0) this is the plain proportional
    split of the residual. It is a one-pass, industry-only simplification of the bounds and
    hierarchical adjustment used to fill suppressed County Business Patterns cells
    (Isserman & Westervelt 2006, *International Regional Science Review* 29(3) 311-335;
    Eckert, Fort, Schott & Yang 2020, NBER Working Paper 26632), which also impose the
    geographic (national-total) constraints that this state-only extract lacks.

    Examples
    --------
    Parent 100 with disclosed children 30 and 20 and two suppressed children whose weights
    are 3:1 gives 37.5 and 12.5 (see tests/sources/test_us_qcew.py).
    """
    original_index = cells.index
    cells = cells.reset_index(drop=True)
    suppressed = cells["suppressed"].to_numpy()
    leaf_weights = sibling_weights(cells, method)
    known_below = pd.Series(0.0, index=cells.index)
    expected_below = leaf_weights.copy()
    max_depth = int(cells["depth"].max()) if len(cells) else 0
    for depth in range(max_depth, 0, -1):
        known = cells["employment"].where(~cells["suppressed"], known_below).fillna(0.0)
        expected = expected_below.where(cells["suppressed"], 0.0)
        known_sum, has_children = _children_sums(cells, depth, known)
        expected_sum, _ = _children_sums(cells, depth, expected)
        parent_level = (cells["depth"] == depth - 1) & cells["suppressed"] & has_children
        known_below[parent_level] = known_sum[parent_level]
        expected_below[parent_level] = expected_sum[parent_level]

    estimated = cells["employment"].copy()
    for depth in range(1, max_depth + 1):
        level = cells["depth"] == depth
        if not (level & cells["suppressed"]).any():
            continue
        disclosed = cells["employment"].where(level & ~cells["suppressed"], 0.0).fillna(0.0)
        disclosed_sum, _ = _children_sums(cells, depth, disclosed)
        parent_residual = (estimated - disclosed_sum).clip(lower=0.0)
        parents = cells.loc[cells["depth"] == depth - 1]
        residual_of = pd.Series(
            parent_residual[parents.index].to_numpy(),
            index=pd.MultiIndex.from_frame(parents[["year", "region_id", "industry_code"]]),
        )
        children = cells[level & suppressed]
        residual = pd.Series(
            residual_of.reindex(
                pd.MultiIndex.from_frame(children[["year", "region_id", "parent_code"]])
            ).to_numpy(),
            index=children.index,
        )
        groups = [children["year"], children["region_id"], children["parent_code"]]
        lower = known_below[children.index]
        lower_sum = lower.groupby(groups).transform("sum")
        scale = (residual / lower_sum).clip(upper=1.0).where(lower_sum > 0, 1.0)
        rest = (residual - lower_sum).clip(lower=0.0)
        share = _shares(
            expected_below[children.index], children["establishments"].fillna(0.0), groups
        )
        estimated[children.index] = lower * scale + rest * share
    return estimated.set_axis(original_index)


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


def imputed_employment_by_level(employment: pd.DataFrame) -> dict:
    """How much employment is imputed, by industry level (for metrics.json).

    Returns
    -------
    dict
        ``{level: {"cells": n, "employment": jobs, "share": jobs / level's employment}}``
        over the rows flagged 'imputed' (levels as strings; totals at level 0 included).
    """
    values = employment["employment"].fillna(0.0)
    imputed = employment["employment_flag"] == "imputed"
    level_total = values.groupby(employment["industry_level"]).sum()
    summary = {}
    for level, part in values[imputed].groupby(employment.loc[imputed, "industry_level"]):
        jobs = float(part.sum())
        total = float(level_total.get(level, 0.0))
        summary[str(int(level))] = {
            "cells": int(len(part)),
            "employment": round(jobs, 1),
            "share": round(jobs / total, 6) if total > 0 else None,
        }
    return summary
