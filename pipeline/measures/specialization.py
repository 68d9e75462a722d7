"""Specialization: location quotients (LQ) by employment and by establishments.

The location quotient of industry i in region r (Florence 1939; Isard 1960, ch. 7) is

    LQ_ri = (e_ri / e_r) / (e_i / E)

with e_ri the region's employment in the industry, e_r the region's total, e_i the
industry's total over all regions and E the total over all regions. LQ > 1 means the
region holds a larger share of the industry than of all employment. The
employment-weighted mean of LQ over regions, sum_r (e_r / E) LQ_ri, is exactly 1.
"""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd

from pipeline.errors import UserError

KEYS = ["year", "region_id", "industry_code"]


def locq(
    e_ri: float | np.ndarray,
    e_r: float | np.ndarray,
    e_i: float | np.ndarray,
    total: float | np.ndarray,
):
    """Location quotient ``(e_ri / e_r) / (e_i / E)``.

    Parameters
    ----------
    e_ri : float or array
        Employment of industry i in region r.
    e_r : float or array
        Total employment of region r (the LQ denominator).
    e_i : float or array
        Employment of industry i in all regions.
    total : float or array
        Total employment of all regions, E.

    Returns
    -------
    float or array
        The LQ; NaN where a denominator is zero.

    Notes
    -----
    Isard (1960), *Methods of Regional Analysis*, ch. 7; the textbook fixture of the
    R package REAT (Wieland 2019, ``locq``): ``locq(1714, 79006, 879213, 15593224)``
    is 0.3847623.

    Examples
    --------
    >>> round(float(locq(1714, 79006, 879213, 15593224)), 7)
    0.3847623
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(np.divide(e_ri, e_r), np.divide(e_i, total))


def region_totals(employment: pd.DataFrame) -> pd.DataFrame:
    """The all-industry total e_r of each region and year (rows with industry_level 0).

    Returns
    -------
    DataFrame
        year, region_id, region_employment.
    """
    totals = employment[employment["industry_level"] == 0]
    return (
        totals.groupby(["year", "region_id"], as_index=False, observed=True)["employment"]
        .sum()
        .rename(columns={"employment": "region_employment"})
    )


# Public administration: NAICS sector 92, NACE Rev.2 / OKVED 2 section O.
PUBLIC_SECTORS = ("92", "O")
DENOMINATORS = ("all", "level", "private", "traded")


def _totals(
    employment, denominator: str, traded_industries=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Region totals and industry totals (e_r, e_i, E) for employment and establishments.

    Works on pandas and dask frames alike; with dask the reductions are computed here, so
    only the small aggregate tables leave the workers.
    """
    values = ["employment", "establishments"]
    detail = employment[employment["industry_level"] > 0]
    industry_totals = detail.groupby(["year", "industry_code"])[values].sum()
    if denominator == "all":
        region_rows = employment[employment["industry_level"] == 0]
        region_totals = region_rows.groupby(["year", "region_id"])[values].sum()
    elif denominator == "private":
        top_level = detail["industry_level"].min()
        if hasattr(top_level, "compute"):  # a dask scalar
            top_level = top_level.compute()
        sectors = detail[detail["industry_level"] == top_level]
        private = sectors[~sectors["industry_code"].isin(list(PUBLIC_SECTORS))]
        region_totals = private.groupby(["year", "region_id"])[values].sum()
    elif denominator == "traded":
        codes = (
            []
            if traded_industries is None
            else list(pd.unique(pd.Series(list(traded_industries), dtype=str)))
        )
        if not codes:
            raise UserError("measure.lq_denominator traded needs the dataset's traded industries")
        traded = detail[detail["industry_code"].isin(codes)]
        region_totals = traded.groupby(["year", "region_id"])[values].sum()
    else:
        region_totals = detail.groupby(["year", "region_id", "industry_level"])[values].sum()
    if isinstance(employment, dd.DataFrame):
        industry_totals, region_totals = dd.compute(industry_totals, region_totals)
    industry_totals = industry_totals.add_prefix("industry_").reset_index()
    region_totals = region_totals.add_prefix("region_").reset_index()
    if region_totals.empty:
        raise UserError(
            "employment: no all-industry total rows (industry_level 0); add them or set "
            "measure.lq_denominator: level"
        )
    by = ["year", "industry_level"] if denominator == "level" else ["year"]
    national = region_totals.groupby(by)[["region_employment", "region_establishments"]].sum()
    national.columns = ["national_employment", "national_establishments"]
    region_totals = region_totals.merge(national.reset_index(), on=by)
    return region_totals, industry_totals


def _lq_partition(
    part: pd.DataFrame, region_totals: pd.DataFrame, industry_totals: pd.DataFrame, denominator: str
) -> pd.DataFrame:
    part = part[part["industry_level"] > 0]
    on = (
        ["year", "region_id", "industry_level"] if denominator == "level" else ["year", "region_id"]
    )
    merged = part.merge(region_totals, on=on, how="left").merge(
        industry_totals, on=["year", "industry_code"], how="left"
    )
    return pd.DataFrame(
        {
            "region_id": merged["region_id"],
            "industry_code": merged["industry_code"],
            "industry_level": merged["industry_level"],
            "year": merged["year"],
            "employment": merged["employment"],
            "establishments": merged["establishments"],
            "region_employment": merged["region_employment"],
            "lq": locq(
                merged["employment"],
                merged["region_employment"],
                merged["industry_employment"],
                merged["national_employment"],
            ),
            "lq_establishments": locq(
                merged["establishments"],
                merged["region_establishments"],
                merged["industry_establishments"],
                merged["national_establishments"],
            ),
        }
    )


LQ_META = pd.DataFrame(
    {
        "region_id": pd.Series(dtype="str"),
        "industry_code": pd.Series(dtype="str"),
        "industry_level": pd.Series(dtype="int8"),
        "year": pd.Series(dtype="int16"),
        "employment": pd.Series(dtype="float64"),
        "establishments": pd.Series(dtype="float64"),
        "region_employment": pd.Series(dtype="float64"),
        "lq": pd.Series(dtype="float64"),
        "lq_establishments": pd.Series(dtype="float64"),
    }
)


def location_quotients(employment, denominator: str = "all", traded_industries=None):
    """Employment and establishment LQs for every region x industry x year.

    Parameters
    ----------
    employment : pandas or dask DataFrame
        The canonical employment table (see :mod:`pipeline.sources.schema`).
    denominator : {'all', 'level', 'private', 'traded'}
        'all': e_r is the region's all-industry total row (industry_level 0) and E its sum
        over regions. 'level': e_r is the sum over the region's industries of the same
        NAICS level, so each level's LQs refer to the published detail only. 'private': e_r
        is the sum of the region's top-level sectors less public administration (NAICS 92,
        NACE O). 'traded': e_r is the region's employment in ``traded_industries`` (e.g.
        the six-digit industries of the traded benchmark clusters), the base the US Cluster
        Mapping uses for traded clusters.
    traded_industries : sequence of str, optional
        Needed with ``denominator='traded'``.

    Returns
    -------
    pandas or dask DataFrame
        region_id, industry_code, industry_level, year, employment, establishments,
        region_employment, lq, lq_establishments (same kind of frame as the input).

    Notes
    -----
    e_i and E are summed over the regions in the table, so the employment-weighted mean
    LQ of every industry is 1 (see the module docstring for the formula and sources).
    """
    if denominator not in DENOMINATORS:
        raise UserError(
            f"measure.lq_denominator is '{denominator}'; use one of {', '.join(DENOMINATORS)}"
        )
    region_totals, industry_totals = _totals(employment, denominator, traded_industries)
    if isinstance(employment, dd.DataFrame):
        return employment.map_partitions(
            _lq_partition, region_totals, industry_totals, denominator, meta=LQ_META
        )
    return _lq_partition(employment, region_totals, industry_totals, denominator).sort_values(
        KEYS, ignore_index=True
    )
