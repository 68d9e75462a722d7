"""Names and numbers as the maps print them: region and industry names, short place names, the
latest year, the leading clusters, formatted numbers and escaped text.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd


def region_names(regions: pd.DataFrame) -> pd.Series:
    """region_id -> region name (``region_name`` when the table has it, else ``name``, else id)."""
    for column in ("region_name", "name"):
        if column in regions.columns:
            names = (
                regions[column].astype("str").where(regions[column].notna(), regions["region_id"])
            )
            return pd.Series(names.to_numpy(), index=regions["region_id"].to_numpy())
    return pd.Series(regions["region_id"].to_numpy(), index=regions["region_id"].to_numpy())


def industry_names(*tables: pd.DataFrame) -> dict[str, str]:
    """industry_code -> title, from any table with ``industry_code`` and ``industry_name``."""
    names: dict[str, str] = {}
    for table in tables:
        if {"industry_code", "industry_name"} <= set(table.columns):
            pairs = table[["industry_code", "industry_name"]].dropna().drop_duplicates()
            names.update(zip(pairs["industry_code"], pairs["industry_name"], strict=True))
    return names


def short_place_name(name: str) -> str:
    """A short label for a place: the first city of a metro name, with its first state.

    ``"Seattle-Tacoma-Bellevue, WA"`` -> ``"Seattle, WA"``; ``"Philadelphia-Camden-Wilmington,
    PA-NJ-DE-MD"`` -> ``"Philadelphia, PA"``; names without a state suffix are kept.
    """
    match = re.fullmatch(r"([^,]+), ([A-Z]{2})(?:-[A-Z]{2})*(?: .*)?", name)
    if match:
        return f"{match.group(1).split('-')[0].split('/')[0]}, {match.group(2)}"
    return name


def latest_year(table: pd.DataFrame) -> int:
    """The last year of a table with a ``year`` column."""
    return int(table["year"].max())


def leading_clusters(strength: pd.DataFrame, count: int, year: int) -> pd.DataFrame:
    """The ``count`` traded clusters with the most employment in ``year``.

    Returns cluster_code, cluster_name, employment (summed over regions), largest first.
    """
    rows = strength[(strength["year"] == year) & (strength["cluster_type"] == "traded")]
    totals = rows.groupby(["cluster_code", "cluster_name"], as_index=False)["employment"].sum()
    return totals.nlargest(count, "employment").reset_index(drop=True)


def _number(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:,.0f}"


def _ratio(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.2f}"


def _escape(value: Any) -> str:
    return html.escape(str(value))
