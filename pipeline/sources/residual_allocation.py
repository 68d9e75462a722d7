"""The residual-allocation engine: a parent's withheld jobs split among its withheld children.

Every estimate of a withheld cell rests on one identity of a hierarchical table: a parent's
employment minus the employment of its published children (the residual) is what its
withheld children hold. This module walks the industry hierarchy top-down and splits each
parent's residual among its withheld children; the sources supply only what they know of
each cell, as arrays aligned with their table:

* a **prior** (weight) of each withheld cell: CBP's size-class or average-size employment
  (:mod:`pipeline.sources.withheld_cbp`), QCEW's establishments x national mean size
  (:mod:`pipeline.sources.withheld_qcew`);
* optional **bounds**: a floor of jobs already known beneath the cell
  (:func:`descendant_totals`, QCEW) and a published employment-size range (CBP flags);
* optional **establishments**, which tell whether a family is complete (CBP).

For the withheld children S of a parent p (in a region and year), visited level by level from
the total down, so a parent estimated one level up passes its estimate on:

    R_p = max(0, E_p - sum_{c reported} E_c)                      (negative: noise, read as 0)
    f_c = L_c * min(1, R_p / sum_S L)                             (floor part; L = 0 by default)
    A_p = max(0, R_p - sum_S L), capped at sum_S w when the family is incomplete
    e_c = clip(f_c + w_c * A_p / sum_S w, lower_c, upper_c)

The estimates of a complete family add up to its residual, so none exceeds it, and none
falls below the jobs known beneath it (unless rounding leaves R_p below sum L, when the
floors shrink in proportion). A family is incomplete when ``establishments`` are given and
its children's establishments do not add up to the parent's: some establishments then sit in
unlisted cells, so the residual is only an upper bound and the priors are not scaled up.

The one option that differs between the sources is ``priors_are_estimates``:

True (CBP)
    the prior is already an employment estimate of its own cell (size classes x midpoints),
    so a family with no known residual (no parent row, parent unknown) or whose priors sum to
    0 keeps its priors; a child without a prior takes ``establishments x`` its parent's
    employment per establishment.
False (QCEW)
    the prior is a relative weight only: where the weights of a family sum to 0 it falls
    back to ``fallback`` weights (establishment counts), then to equal shares; a family
    with no known residual gets no estimate (NaN).

This is a one-pass, top-down simplification of the hierarchical bounds of Isserman &
Westervelt (2006) and of the adding-up constraints that Eckert, Fort, Schott & Yang (2021)
solve at once by linear programming; the one pass keeps each estimate explainable from its
own parent.

References
----------
Isserman, A. M. & Westervelt, J. (2006). 1.5 million missing numbers: overcoming employment
suppression in County Business Patterns data. *International Regional Science Review*
29(3), 311-335.
Eckert, F., Fort, T. C., Schott, P. K. & Yang, N. J. (2021). Imputing missing values in the
US Census Bureau's County Business Patterns. NBER Working Paper 26632.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

KEY = ["region_id", "year", "industry_code"]


def parent_codes(codes: pd.Series, parent_of: Callable[[str], str | None]) -> pd.Series:
    """The parent code of each industry code (None for the total), aligned with ``codes``."""
    return codes.map({code: parent_of(code) for code in codes.unique()})


def parent_positions(table: pd.DataFrame, parent_code: pd.Series) -> np.ndarray:
    """Position of each row's parent row in ``table`` (-1 where the table has none).

    Parameters
    ----------
    table : DataFrame
        region_id, year, industry_code (unique together).
    parent_code : Series
        The parent industry code of each row (null for the total), aligned with ``table``.

    Returns
    -------
    ndarray
        Integer positions; the parent position also identifies a sibling group.
    """
    return pd.MultiIndex.from_frame(table[KEY]).get_indexer(
        pd.MultiIndex.from_arrays([table["region_id"], table["year"], parent_code.fillna("")])
    )


def group_shares(weights: pd.Series, groups: list[pd.Series]) -> pd.Series:
    """Each row's share of its group's weights, ``w_c / sum_g w``; ``1 / n_g`` where they sum to 0."""
    total = weights.groupby(groups).transform("sum")
    count = weights.groupby(groups).transform("size")
    with np.errstate(divide="ignore", invalid="ignore"):
        return (weights / total).where(total > 0, 1.0 / count)


def _clip(values: np.ndarray, lower: np.ndarray | None, upper: np.ndarray | None) -> np.ndarray:
    """Clip into [lower, upper] where the bounds are known; a null value stays null."""
    if lower is not None:
        values = np.where(~np.isnan(lower) & (values < lower), lower, values)
    if upper is not None:
        values = np.where(~np.isnan(upper) & (values > upper), upper, values)
    return values


def _sibling_sum(
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


def descendant_totals(
    employment: np.ndarray,
    withheld: np.ndarray,
    parent: np.ndarray,
    level: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower bounds and expected sizes of withheld cells from the cells beneath them.

    Bottom up, each withheld cell c with children gets

        L_c = sum of the employment of its reported descendants reached through withheld
              cells only,
        W_c = sum of the ``weights`` of its withheld descendants that have no children;

    a withheld cell without children keeps L_c = 0 and W_c = w_c (its own weight). These
    are the floor and the prior of :func:`allocate_residuals` for a table that lists every
    cell (QCEW).

    Parameters
    ----------
    employment : ndarray
        Reported employment (NaN where withheld).
    withheld : ndarray of bool
    parent : ndarray of int
        :func:`parent_positions`.
    level : ndarray
        Hierarchy level of each row (a child is one level below its parent).
    weights : ndarray
        Non-negative weight of each cell.

    Returns
    -------
    (ndarray, ndarray)
        L and W, aligned with the rows.
    """
    known_below = np.zeros(len(employment))
    expected_below = np.asarray(weights, dtype="float64").copy()
    has_parent = parent >= 0
    for depth in np.unique(level)[::-1]:
        rows = np.flatnonzero((level == depth) & has_parent)
        if not len(rows):
            continue
        known = np.where(withheld[rows], known_below[rows], employment[rows])
        known = np.nan_to_num(known, nan=0.0)
        expected = np.where(withheld[rows], expected_below[rows], 0.0)
        size = len(employment)
        known_sum = np.bincount(parent[rows], weights=known, minlength=size)
        expected_sum = np.bincount(parent[rows], weights=expected, minlength=size)
        has_children = np.bincount(parent[rows], minlength=size) > 0
        update = has_children & withheld
        known_below[update] = known_sum[update]
        expected_below[update] = expected_sum[update]
    return known_below, expected_below


def allocate_residuals(
    employment: np.ndarray,
    withheld: np.ndarray,
    parent: np.ndarray,
    level: np.ndarray,
    prior: np.ndarray,
    *,
    priors_are_estimates: bool,
    floor: np.ndarray | None = None,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    establishments: np.ndarray | None = None,
    fallback: np.ndarray | None = None,
) -> np.ndarray:
    """Employment of every row, withheld rows estimated from their parent's residual.

    Parameters
    ----------
    employment : ndarray
        Reported employment (NaN where withheld).
    withheld : ndarray of bool
        The rows to estimate.
    parent : ndarray of int
        Position of each row's parent row (-1: none), :func:`parent_positions`.
    level : ndarray
        Hierarchy level; levels are visited in ascending order (the total first).
    prior : ndarray
        Prior (weight) of each withheld row; NaN: none.
    priors_are_estimates : bool
        Whether a prior is an employment estimate of its own cell (CBP) or a relative weight
        (QCEW); see the module docstring for what differs.
    floor : ndarray, optional
        Jobs known to lie beneath each withheld row (:func:`descendant_totals`); 0 if absent.
    lower, upper : ndarray, optional
        Published employment range of each row (NaN: unknown); priors and estimates are
        clipped into it, after which a family can add up to slightly more or less than its
        residual (the range is the harder fact).
    establishments : ndarray, optional
        Establishments of each row (NaN: unknown). When given, a family is complete only
        if its children's establishments add up to the parent's, and (with
        ``priors_are_estimates``) a row without a prior takes ``establishments x`` its
        parent's employment per establishment. Without them every family is complete.
    fallback : ndarray, optional
        Weights used where a family's priors sum to 0 (``priors_are_estimates`` False).

    Returns
    -------
    ndarray
        The employment of every row: reported values unchanged, estimates where withheld
        (NaN where a withheld row gets none).

    Notes
    -----
    See the module docstring for the formula and references.

    Examples
    --------
    A parent of 100 with one reported child of 40 and two withheld children with priors
    7.5 and 42 (all establishments listed): the residual 60 is split 9.09 and 50.91.

    >>> import numpy as np
    >>> allocate_residuals(
    ...     np.array([100.0, 40.0, np.nan, np.nan]), np.array([False, False, True, True]),
    ...     np.array([-1, 0, 0, 0]), np.array([0, 1, 1, 1]), np.array([np.nan, np.nan, 7.5, 42.0]),
    ...     priors_are_estimates=True,
    ... ).round(2).tolist()
    [100.0, 40.0, 9.09, 50.91]
    """
    value = np.asarray(employment, dtype="float64").copy()
    size = len(value)
    has_any_parent = parent >= 0
    for depth in np.unique(level):
        rows = np.flatnonzero(level == depth)
        child_withheld = withheld[rows]
        if not child_withheld.any():
            continue
        parents = parent[rows]
        has_parent = has_any_parent[rows]
        sibling_sum = _sibling_sum(parents, has_parent, size)
        parent_value = np.where(has_parent, value[parents], np.nan)
        weight = prior[rows]
        if establishments is not None:
            parent_establishments = np.where(has_parent, establishments[parents], np.nan)
            if priors_are_estimates:
                weight = np.where(
                    np.isnan(weight),
                    establishments[rows] * parent_value / parent_establishments,
                    weight,
                )
            # NaN where any child's establishments are unknown: then not complete
            complete = sibling_sum(establishments[rows]) == parent_establishments
        else:
            complete = np.ones(len(rows), dtype=bool)
        row_lower = None if lower is None else lower[rows]
        row_upper = None if upper is None else upper[rows]
        weight = _clip(weight, row_lower, row_upper)
        reported_sum = sibling_sum(np.where(child_withheld, 0.0, value[rows]))
        residual = np.maximum(parent_value - reported_sum, 0.0)
        weight_sum = sibling_sum(np.where(child_withheld & ~np.isnan(weight), weight, 0.0))

        floor_part = 0.0
        to_split = residual
        if floor is not None:
            child_floor = floor[rows]
            floor_sum = sibling_sum(np.where(child_withheld, child_floor, 0.0))
            with np.errstate(divide="ignore", invalid="ignore"):
                floor_scale = np.where(floor_sum > 0, np.minimum(residual / floor_sum, 1.0), 1.0)
            floor_part = child_floor * floor_scale
            to_split = np.maximum(residual - floor_sum, 0.0)
        to_split = np.where(complete, to_split, np.minimum(to_split, weight_sum))

        with np.errstate(divide="ignore", invalid="ignore"):
            if priors_are_estimates:
                # the prior rescaled: w_c x A_p / sum w
                scale = np.where(~np.isnan(residual) & (weight_sum > 0), to_split / weight_sum, 1.0)
                allocated = weight * scale
            else:
                # a share of the residual: A_p x w_c / sum w (fallback, then equal shares)
                weight = np.nan_to_num(weight, nan=0.0)
                if fallback is not None:
                    row_fallback = np.where(child_withheld, fallback[rows], 0.0)
                    weight = np.where(weight_sum > 0, weight, row_fallback)
                    weight_sum = np.where(weight_sum > 0, weight_sum, sibling_sum(row_fallback))
                weight = np.where(weight_sum > 0, weight, 1.0)
                weight_sum = np.where(
                    weight_sum > 0, weight_sum, sibling_sum(child_withheld.astype("float64"))
                )
                allocated = to_split * (weight / weight_sum)
        estimate = _clip(floor_part + allocated, row_lower, row_upper)
        value[rows[child_withheld]] = estimate[child_withheld]
    return value
