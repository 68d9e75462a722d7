"""Names beside codes in a published table (:func:`with_names`)."""

from __future__ import annotations

import pandas as pd


def with_names(
    table: pd.DataFrame, titles: pd.Series, region_names: pd.Series | None = None
) -> pd.DataFrame:
    """``table`` with ``industry_name`` after ``industry_code`` and ``region_name`` after
    ``region_id`` (and ``related_name`` after ``related_code``), and for the list columns ``top_industries`` and ``region_ids`` the lists
    ``top_industry_names`` and ``region_names`` (where those code columns exist and the
    name column does not).

    Codes without a name get a missing name, never a made-up one.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["19820"], "industry_code": ["3361"]})
    >>> named = with_names(table, pd.Series({"3361": "Motor Vehicle Manufacturing"}),
    ...                    pd.Series({"19820": "Detroit-Warren-Dearborn, MI"}))
    >>> named.columns.tolist()
    ['region_id', 'region_name', 'industry_code', 'industry_name']
    """
    result = table
    for code, name, names, listed in (
        ("industry_code", "industry_name", titles, False),
        ("related_code", "related_name", titles, False),
        ("region_id", "region_name", region_names, False),
        ("top_industries", "top_industry_names", titles, True),
        ("region_ids", "region_names", region_names, True),
    ):
        if names is None or code not in result.columns or name in result.columns:
            continue
        if listed:
            lookup = names.to_dict()
            values = pd.Series(
                [[lookup.get(str(item)) for item in codes] for codes in result[code]],
                index=result.index,
                dtype=object,
            )
        else:
            values = result[code].astype(str).map(names).astype("str")
        result = result.copy()
        result.insert(list(result.columns).index(code) + 1, name, values.to_numpy())
    return result
