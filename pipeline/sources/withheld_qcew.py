"""Priors for QCEW's suppressed cells: sibling weights and the jobs known beneath a cell.

BLS withholds QCEW cells that would disclose an employer (disclosure code 'N') but lists every
cell with its establishment count and a full private hierarchy (total -> domain ->
supersector -> NAICS sector -> 3-6 digits). :func:`estimate_suppressed_employment` fills them
with the one residual-allocation engine of :mod:`pipeline.sources.residual_allocation`
(``priors_are_estimates=False``: the weights only give shares, the family gets its whole
residual); this module supplies QCEW's priors (:func:`sibling_weights`, summed over the
suppressed leaves beneath a cell) and floors (the disclosed jobs beneath a cell).
:mod:`pipeline.sources.us_qcew` builds the hierarchy and re-exports these names.
"""

from __future__ import annotations

import pandas as pd

from pipeline.errors import UserError
from pipeline.sources.residual_allocation import (
    allocate_residuals,
    descendant_totals,
    parent_positions,
)

WEIGHT_METHODS = ("establishment_size", "national_employment", "establishments")
"""How a residual is split among a state's suppressed siblings.

establishment_size
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


def sibling_weights(cells: pd.DataFrame, *, method: str) -> pd.Series:
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


def estimate_suppressed_employment(cells: pd.DataFrame, *, method: str) -> pd.Series:
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
    Two passes over the hierarchy (:mod:`pipeline.sources.residual_allocation`, with
    ``priors_are_estimates=False``). Bottom up (:func:`descendant_totals`), each suppressed
    cell c of state r gets

        L_rc = employment of its disclosed descendants (reached through suppressed cells only),
        W_rc = sum of the weights w (:func:`sibling_weights`) of its suppressed descendants
               that have no children, or w_rc itself if c has no children,

    a lower bound and the expected size of the rest. Top down, the residual of each parent p
    (its reported or already estimated employment minus its disclosed children),

        R_rp = max(0, e_rp - sum of disclosed children of p in r),

    is split among p's suppressed children (:func:`allocate_residuals`):

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
    hierarchy = cells.reset_index(drop=True)
    withheld = hierarchy["suppressed"].to_numpy()
    employment = hierarchy["employment"].to_numpy(dtype="float64")
    parent = parent_positions(hierarchy, hierarchy["parent_code"])
    depth = hierarchy["depth"].to_numpy()
    known_below, expected_below = descendant_totals(
        employment,
        withheld,
        parent,
        depth,
        sibling_weights(hierarchy, method=method).to_numpy(dtype="float64"),
    )
    estimated = allocate_residuals(
        employment,
        withheld,
        parent,
        depth,
        expected_below,
        priors_are_estimates=False,
        floor=known_below,
        fallback=hierarchy["establishments"].fillna(0.0).to_numpy(dtype="float64"),
    )
    return pd.Series(estimated, index=cells.index, name="employment")
