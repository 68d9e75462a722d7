"""The all-industry total row for tables published by section only (NACE / SIC / OKVED).

Section-level sources (ONS BRES by SIC 2007 section, Rosstat shipments by OKVED2 section)
print no separate all-industry figure at the same cut, so the total row (code ``'00'``,
industry_level 0) is derived as the sum of the section rows:

    e_r = sum over sections s of e_rs

Flags say how complete that sum is: 'reported' when every expected section is published,
'imputed' when at least one is suppressed (the total is then the sum of the published
sections, a lower bound), 'suppressed' (null) when none is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.classifications.codes import TOTAL_CODE


def with_section_total(
    sections: pd.DataFrame, expected_sections: list[str] | tuple[str, ...]
) -> pd.DataFrame:
    """Append one derived total row per region and year to a section table.

    Parameters
    ----------
    sections : DataFrame
        Canonical rows (region_id, industry_code, industry_level, year, employment,
        establishments, classification, employment_flag) for the sections only.
    expected_sections : sequence of str
        The sections a complete region-year has (e.g. A-S for BRES, B-E for Rosstat).

    Returns
    -------
    DataFrame
        ``sections`` plus the total rows (industry_code '00', industry_level 0), same
        columns; not sorted.

    Examples
    --------
    >>> rows = pd.DataFrame({
    ...     "region_id": ["R1", "R1", "R2", "R2"], "industry_code": ["B", "C", "B", "C"],
    ...     "industry_level": 1, "year": 2019, "employment": [2.0, 3.0, np.nan, 4.0],
    ...     "establishments": np.nan, "classification": "okved2",
    ...     "employment_flag": ["reported", "reported", "suppressed", "reported"]})
    >>> total = with_section_total(rows, ["B", "C"]).query("industry_code == '00'")
    >>> total[["region_id", "employment", "employment_flag"]].values.tolist()
    [['R1', 5.0, 'reported'], ['R2', 4.0, 'imputed']]
    """
    keys = ["region_id", "year", "classification"]
    wanted = sections[sections["industry_code"].isin(list(expected_sections))]
    grouped = wanted.groupby(keys, as_index=False, sort=True)
    total = grouped.agg(
        employment=("employment", lambda e: e.sum(min_count=1)),
        establishments=("establishments", lambda e: e.sum(min_count=1)),
        published=("employment", "count"),
    )
    total["employment_flag"] = np.select(
        [total["published"] == len(expected_sections), total["published"] > 0],
        ["reported", "imputed"],
        default="suppressed",
    )
    total = total.drop(columns="published").assign(industry_code=TOTAL_CODE, industry_level=0)
    return pd.concat([sections, total[sections.columns]], ignore_index=True)
