"""Co-location of industries across regions: DPS's LC-emp / LC-est and EGK coagglomeration.

Two industries are related when they locate together (Delgado, Porter & Stern 2016, "DPS",
*J. Econ. Geogr.* 16(1) 1-38, section 3.1, after Porter 2003): the correlation across regions
of their employment or establishments (:func:`colocation`), or the Ellison, Glaeser & Kerr
(2010) pairwise coagglomeration index (:func:`coagglomeration`). Both take the canonical
employment table of one year and one industry level and return a square industry matrix
(:mod:`pipeline.clusters.relatedness_matrix`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.clusters.relatedness_matrix import column_correlation, square_matrix
from pipeline.errors import UserError

COLOCATION_TRANSFORMS = ("level", "share")


def _region_industry_matrix(
    employment: pd.DataFrame, value: str
) -> tuple[np.ndarray, list[str], list[str]]:
    """Dense region x industry matrix of ``value`` (absent and null cells are 0)."""
    missing = [c for c in ["region_id", "industry_code", value] if c not in employment.columns]
    if missing:
        raise UserError(
            f"employment table: missing column(s) {', '.join(missing)}; pass the canonical "
            "employment table (region_id, industry_code, year, employment, establishments)"
        )
    if "year" in employment.columns and employment["year"].nunique() > 1:
        years = ", ".join(str(y) for y in sorted(employment["year"].unique()))
        raise UserError(
            f"employment table: relatedness needs one year, got {years}; filter to one year"
        )
    if "industry_level" in employment.columns and employment["industry_level"].nunique() > 1:
        raise UserError(
            "employment table: relatedness needs one industry level, got levels "
            f"{sorted(employment['industry_level'].unique().tolist())}; filter to one level"
        )
    region_index, regions = pd.factorize(employment["region_id"].astype(str), sort=True)
    industry_index, industries = pd.factorize(employment["industry_code"].astype(str), sort=True)
    values = pd.to_numeric(employment[value]).fillna(0.0).to_numpy(dtype="float64")
    if (values < 0).any():
        raise UserError(f"employment table: column {value} has negative values; fix the input")
    matrix = np.zeros((len(regions), len(industries)))
    np.add.at(matrix, (region_index, industry_index), values)
    return matrix, list(regions), list(industries)


def colocation(
    employment: pd.DataFrame, value: str = "employment", *, transform: str
) -> pd.DataFrame:
    """Locational correlation of two industries across regions (DPS's LC-emp and LC-est).

    Parameters
    ----------
    employment : DataFrame
        Canonical employment table (region_id, industry_code, year, employment,
        establishments, ...) for **one year and one industry level** (six-digit NAICS for the
        US datasets). Industries absent from a region count as 0 there; null (suppressed)
        cells count as 0 too.
    value : {'employment', 'establishments'}
        The column correlated: 'employment' gives LC-emp, 'establishments' LC-est.
    transform : {'level', 'share'}
        What is correlated across regions: the level e_ri (DPS, after Porter 2003) or the
        region's share e_ri / e_r, with e_r the sum over the industries of the table (the
        total row is not in a one-level table). Correlating location quotients gives exactly
        the share result, since LQ_ri = share_ri / (e_i / E) rescales each industry's column
        by a constant.

    Returns
    -------
    DataFrame
        Industry x industry Pearson correlations, symmetric, diagonal NaN; NaN for an
        industry present in no region or in every region with the same value.

    Notes
    -----
    With X the region x industry matrix after the transform and Z its columns centred and
    scaled to unit norm, ``LC = Z' Z`` (DPS 2016, section 3.1; Porter 2003, *Regional
    Studies* 37(6-7)):

        LC_ij = sum_r (x_ri - mean_i)(x_rj - mean_j) / (n sd_i sd_j)

    DPS correlate employment levels across the 179 BEA Economic Areas, which tile the whole
    US. For the US datasets regclust correlates across the dataset's own regions: the 933
    metropolitan and micropolitan areas (CBSAs) of the default dataset. CBSAs are functional
    labour-market regions like EAs (BEA builds EAs around them), so co-location within one
    means what DPS measure, while counties split a metro between its core and suburbs;
    counties outside every CBSA are left out. A county dataset passes its counties. With
    regions whose sizes span four orders of magnitude, levels make most pairs correlate
    positively through city size (New York has more of everything), which shares remove.
    Yet on the default dataset levels separate DPS's traded clusters slightly better
    (probability that a within-cluster pair is more co-located than a between-cluster
    pair: 0.683 for employment levels, 0.654 for shares; establishments 0.687 and 0.664),
    so the default (``relatedness.colocation_transform``) is DPS's level.

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "region_id": ["a", "a", "b", "b", "c", "c"],
    ...     "industry_code": ["x", "y", "x", "y", "x", "y"],
    ...     "employment": [1.0, 2.0, 2.0, 4.0, 3.0, 6.0],
    ... })
    >>> round(float(colocation(table, transform="level").loc["x", "y"]), 12)
    1.0
    """
    if transform not in COLOCATION_TRANSFORMS:
        raise UserError(
            f"params.yaml: relatedness.colocation_transform is '{transform}'; use "
            + ", ".join(COLOCATION_TRANSFORMS)
        )
    matrix, _, industries = _region_industry_matrix(employment, value)
    if transform == "share":
        region_total = matrix.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            matrix = np.where(region_total > 0, matrix / region_total, 0.0)
    return square_matrix(column_correlation(matrix), industries)


def coagglomeration(
    employment: pd.DataFrame,
    value: str = "employment",
    region_total: pd.Series | None = None,
) -> pd.DataFrame:
    """Ellison, Glaeser & Kerr (2010) pairwise coagglomeration index.

    Parameters
    ----------
    employment : DataFrame
        Canonical employment table for one year and one industry level.
    value : str
        Column measured ('employment').
    region_total : Series, optional
        Each region's aggregate size (index region_id), e.g. its all-industry total row; by
        default the sum of ``value`` over the industries of the table.

    Returns
    -------
    DataFrame
        Industry x industry index, symmetric, diagonal NaN.

    Notes
    -----
    With s_mi = e_mi / e_i industry i's share in region m and x_m region m's share of
    aggregate employment (Ellison & Glaeser 1997, eq. 8 for two industries; Ellison, Glaeser
    & Kerr 2010, *Am. Econ. Rev.* 100(3), eq. 1):

        gamma_ij = sum_m (s_mi - x_m)(s_mj - x_m) / (1 - sum_m x_m^2)

    computed as one matrix product of the centred share matrix. It shares the raw-
    concentration parts G and sum x_m^2 with :mod:`pipeline.measures.concentration`.

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "region_id": ["a", "b", "a", "b"],
    ...     "industry_code": ["x", "x", "y", "y"],
    ...     "employment": [3.0, 1.0, 3.0, 1.0],
    ... })
    >>> round(float(coagglomeration(table, region_total=pd.Series({"a": 1.0, "b": 1.0})).loc["x", "y"]), 4)
    0.25
    """
    matrix, regions, industries = _region_industry_matrix(employment, value)
    if region_total is None:
        size = matrix.sum(axis=1)
    else:
        size = region_total.reindex(regions).fillna(0.0).to_numpy(dtype="float64")
    x = size / size.sum()
    industry_total = matrix.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(industry_total > 0, matrix / industry_total, np.nan)
    centred = np.nan_to_num(shares - x[:, None], nan=0.0)
    gamma = centred.T @ centred / (1.0 - np.sum(x * x))
    absent = industry_total[0] <= 0
    gamma[absent, :] = np.nan
    gamma[:, absent] = np.nan
    return square_matrix(gamma, industries)
