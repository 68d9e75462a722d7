"""Estimates for withheld and unpublished employment cells: where to find them, and their flags.

Every source's reader fills what its source withholds; one idea runs through all of them (a
parent's residual, its employment minus its published children, split among the children it
does not show, never more than the residual), each module supplying what its source
publishes:

* :mod:`pipeline.sources.residual_allocation`: the one engine that walks the hierarchy and
  splits each parent's residual among its withheld children (floors, ranges, priors);
* :mod:`pipeline.sources.withheld_cbp`: :func:`impute_suppressed`, CBP's priors from
  establishment size classes and average sizes, clipped into the published ranges (CBP
  complete county files, the CBP county panel's 2017 withheld rows);
* :mod:`pipeline.sources.withheld_qcew`: :func:`estimate_suppressed_employment`, QCEW's
  sibling weights and the disclosed jobs beneath each cell (BLS QCEW states);
* :mod:`pipeline.sources.unpublished`: :func:`estimate_unpublished`, cells with no row at
  all (CBP since 2017 publishes no cell of fewer than 3 establishments: metros, counties),
  candidates from the national catalog, checked by the hold-out of
  :func:`holdout_unpublished`.

Everything they fill carries ``employment_flag = 'imputed'``; :func:`exclude_imputed`
(``measure.use_imputed: false``) leaves it out again, and
:func:`imputed_employment_by_level` reports how much there is. Region totals of
section-level tables are derived in :mod:`pipeline.sources.section_totals`. The estimators
are re-exported here under their old import path.
"""

from __future__ import annotations

import pandas as pd

from pipeline.sources.unpublished import (
    UNPUBLISHED_FIRST_YEAR,
    UNPUBLISHED_SELECTIONS,
    UNPUBLISHED_WEIGHTS,
    estimate_unpublished,
    holdout_unpublished,
    national_catalog,
)
from pipeline.sources.withheld_cbp import (
    DEFAULT_SIZE_CLASS_MIDPOINTS,
    average_establishment_size,
    impute_suppressed,
    size_class_estimate,
)
from pipeline.sources.withheld_qcew import (
    WEIGHT_METHODS,
    estimate_suppressed_employment,
    sibling_weights,
)

__all__ = [
    "DEFAULT_SIZE_CLASS_MIDPOINTS",
    "UNPUBLISHED_FIRST_YEAR",
    "UNPUBLISHED_SELECTIONS",
    "UNPUBLISHED_WEIGHTS",
    "WEIGHT_METHODS",
    "average_establishment_size",
    "estimate_suppressed_employment",
    "estimate_unpublished",
    "exclude_imputed",
    "holdout_unpublished",
    "impute_suppressed",
    "imputed_employment_by_level",
    "imputed_share_by_level",
    "national_catalog",
    "sibling_weights",
    "size_class_estimate",
]


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
    by_level = values[imputed].groupby(employment.loc[imputed, "industry_level"])
    return imputed_share_by_level(level_total, by_level.size(), by_level.sum())


def imputed_share_by_level(
    level_total: pd.Series, imputed_cells: pd.Series, imputed_employment: pd.Series
) -> dict:
    """:func:`imputed_employment_by_level` from its sums, each indexed by industry level.

    ``level_total``: all employment of a level (missing as 0); ``imputed_cells`` and
    ``imputed_employment``: the rows flagged 'imputed' and their employment, for the levels
    that have some.
    """
    summary = {}
    for level, cells in imputed_cells.items():
        jobs = float(imputed_employment[level])
        total = float(level_total.get(level, 0.0))
        summary[str(int(level))] = {
            "cells": int(cells),
            "employment": round(jobs, 1),
            "share": round(jobs / total, 6) if total > 0 else None,
        }
    return summary
