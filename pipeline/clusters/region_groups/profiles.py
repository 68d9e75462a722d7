"""The region x cluster profile matrix of one year that regions are grouped by
(:func:`cluster_profiles`: ``log_lq`` or ``share``, optionally standardised).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from pipeline.errors import UserError

TRANSFORMS = ("log_lq", "share")


def cluster_profiles(
    strength: pd.DataFrame,
    year: int,
    *,
    cluster_types: Sequence[str],
    transform: str,
    standardise: bool,
) -> pd.DataFrame:
    """Region x cluster profile matrix of one year.

    Parameters
    ----------
    strength : DataFrame
        ``cluster_strength`` rows: region_id, year, cluster_code, cluster_type,
        employment, lq.
    year : int
        The year to profile.
    cluster_types : sequence of str
        Cluster types kept as columns (params.yaml ``region_groups.cluster_types``, traded:
        local clusters follow population and say little about a region's specialisation).
    transform : {"log_lq", "share"}
        ``log_lq``: x_rc = log(1 + LQ_rc). ``share``: x_rc = E_rc / sum_c' E_rc', the
        cluster's share of the region's employment in the kept clusters (its mix)
        (``region_groups.transform``).
    standardise : bool
        z-score every column across regions (x - mean) / sd, so each cluster weighs the
        same in Ward's sum of squares; constant columns become 0 (``region_groups.standardise``).

    Returns
    -------
    DataFrame
        Index region_id (sorted; every region with a row in ``strength`` that year), one
        column per cluster_code (sorted), float64.

    Notes
    -----
    A region x cluster cell absent from ``strength`` is a cluster without employment in
    that region: LQ 0 and share 0. A present cell with a missing value (suppressed) is
    set to the column's mean after the transform, which leaves Ward's criterion unmoved
    by it. log(1 + LQ) compresses the long right tail of LQs of small clusters (an LQ of
    40 is not 40 times as informative as 1) while keeping 0 at 0.

    Examples
    --------
    >>> strength = pd.DataFrame({
    ...     "region_id": ["A", "A", "B"], "year": 2019, "cluster_code": ["1", "2", "1"],
    ...     "cluster_type": "traded", "employment": [10.0, 30.0, 5.0], "lq": [1.0, 3.0, 0.5]})
    >>> cluster_profiles(
    ...     strength, 2019, cluster_types=["traded"], transform="share", standardise=False
    ... )  # doctest: +NORMALIZE_WHITESPACE
    cluster_code     1     2
    region_id
    A             0.25  0.75
    B             1.00  0.00
    """
    if transform not in TRANSFORMS:
        raise UserError(
            f"params.yaml: region_groups.transform is '{transform}'; use {' or '.join(TRANSFORMS)}"
        )
    missing = {"region_id", "year", "cluster_code", "cluster_type", "employment", "lq"} - set(
        strength.columns
    )
    if missing:
        raise UserError(
            f"cluster_strength: missing column(s) {', '.join(sorted(missing))}; rerun regclust cluster"
        )
    of_year = strength[strength["year"] == year]
    regions = pd.Index(sorted(of_year["region_id"].astype(str).unique()), name="region_id")
    kept = of_year[of_year["cluster_type"].isin(list(cluster_types))]
    if kept.empty:
        raise UserError(
            f"cluster_strength: no clusters of type {', '.join(cluster_types)} in {year}; "
            "set region_groups.cluster_types to types the dataset has"
        )
    value = "lq" if transform == "log_lq" else "employment"
    cells = kept.assign(region_id=kept["region_id"].astype(str)).set_index(
        ["region_id", "cluster_code"]
    )[value]
    suppressed = cells.isna().unstack(fill_value=False).reindex(regions, fill_value=False)
    wide = cells.unstack().reindex(regions).fillna(0.0).mask(suppressed).sort_index(axis=1)
    if transform == "log_lq":
        profile = np.log1p(wide)
    else:
        total = wide.sum(axis=1)
        profile = wide.div(total.where(total > 0), axis=0)
        # a region without employment in the kept clusters has an all-zero mix
        profile = profile.mask(wide.notna() & profile.isna(), 0.0)
    profile = profile.fillna(profile.mean())
    profile = profile.fillna(0.0)  # a column missing everywhere carries no information
    if standardise:
        profile = pd.DataFrame(
            StandardScaler().fit_transform(profile.to_numpy()),
            index=profile.index,
            columns=profile.columns,
        )
    profile.columns = profile.columns.astype(str)
    profile.columns.name = "cluster_code"
    return profile
