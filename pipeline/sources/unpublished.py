"""Estimates for the cells a table does not publish at all (CBP since 2017).

CBP publishes no cell of fewer than 3 establishments from reference year 2017 on (metros,
counties): such a cell simply has no row. :func:`estimate_unpublished` adds rows for them,
candidates taken from the national catalog (:func:`national_catalog`: every industry
published in some region), each parent's residual employment and establishments split among
the candidates it can hold; :func:`holdout_unpublished` checks the estimates by hiding
published small cells and estimating them again. Like the withheld cells of
:mod:`pipeline.sources.residual_allocation`, the estimates of a family add up to its
residual; unlike them, the cells to fill must first be chosen (:data:`UNPUBLISHED_SELECTIONS`).
Estimated rows carry ``employment_flag = 'imputed'``.

References
----------
Isserman & Westervelt (2006), *International Regional Science Review* 29(3); Eckert, Fort,
Schott & Yang (2021), NBER Working Paper 26632 (full entries in
:mod:`pipeline.sources.residual_allocation`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pipeline.classifications.naics import naics_parent
from pipeline.errors import UserError
from pipeline.sources.residual_allocation import group_shares, parent_codes, parent_positions
from pipeline.sources.schema import canonical_employment

UNPUBLISHED_FIRST_YEAR = 2017
"""First CBP reference year without rows for cells of fewer than 3 establishments (earlier
years publish them with an employment-range flag instead; Census, CBP "Methodology",
"Disclosure avoidance")."""

UNPUBLISHED_WEIGHTS = ("establishment_size", "national_employment")
"""How a parent's residual employment is split among its estimated (unpublished) children.

national_employment
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

fewest_cells
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
    *,
    weight: str,
    selection: str,
    max_establishments: float,
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
        How a residual is split, one of :data:`UNPUBLISHED_WEIGHTS` (params.yaml
        ``datasets.<name>.options.unpublished_weight``).
    selection : str
        Which missing children get a row, one of :data:`UNPUBLISHED_SELECTIONS`
        (``unpublished_selection``).
    max_establishments : float
        The most establishments an unpublished cell can hold (2 for CBP: cells with fewer
        than 3 are not published; ``max_unpublished_establishments``).
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
    catalog["parent_code"] = parent_codes(catalog["industry_code"], parent_of)
    catalog = catalog[catalog["parent_code"].notna()]
    region_keys = ["region_id", "year"]
    created: list[pd.DataFrame] = []
    current = table
    for level in sorted(catalog["industry_level"].unique()):
        children_catalog = catalog[catalog["industry_level"] == level]
        codes_with_children = set(children_catalog["parent_code"])
        parents = current[
            current["industry_code"].isin(codes_with_children) & current["employment"].notna()
        ]
        if parents.empty:
            continue
        children = current[current["industry_level"] == level]
        children = children.assign(parent_code=parent_codes(children["industry_code"], parent_of))
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
        count_share = group_shares(count_weight, [candidates[column] for column in groups])
        establishments = (candidates["residual_establishments"] * count_share).clip(
            upper=max_establishments
        )
        if weight == "establishment_size":
            size = candidates["national_size"]
            job_weight = establishments.fillna(1.0) * size
        else:
            job_weight = candidates["national_employment"]
        job_share = group_shares(job_weight.fillna(0.0), [candidates[column] for column in groups])
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
    **estimate_options: Any,
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
        Passed to :func:`estimate_unpublished`: its required ``weight``, ``selection`` and
        ``max_establishments``.

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
    parent_position = parent_positions(table, parent_codes(table["industry_code"], parent_of))
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
