"""Technology-intensity lists: which industries count as R&D- and knowledge-driven.

BLS high-technology industries (Hecker 2005, *Monthly Labor Review* 128(7)) come in three
levels by the share of technology-oriented occupations: Level I at least five times the
all-industry average, Level II three to five times, Level III two to three times. The
list uses NAICS 2002 four-digit codes; the two information codes that NAICS later
retired are translated to their NAICS 2017 successors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from pipeline.classifications.tables import read_code_table
from pipeline.errors import UserError

TECHNOLOGY_LIST_COLUMNS = ("category", "list_id", "naics", "naics_vintage")

# NAICS 2002 four-digit codes retired by later vintages -> their NAICS 2017 successors.
NAICS2002_TO_2017 = {
    "5161": [
        "519130"
    ],  # Internet publishing and broadcasting -> Internet publishing ... web search portals
    "5181": [
        "519130",
        "517919",
    ],  # ISPs and web search portals -> web search portals; other telecommunications
}


def read_technology_lists(path: Path) -> pd.DataFrame:
    """The technology lists table (list_id, category, naics, naics_vintage, title, ...)."""
    return read_code_table(path, TECHNOLOGY_LIST_COLUMNS)


def technology_prefixes(
    lists: pd.DataFrame,
    list_id: str,
    levels: tuple[str, ...] | list[str],
    *,
    exclude: tuple[str, ...] | list[str],
) -> list[str]:
    """NAICS code prefixes of the technology industries chosen in params.yaml.

    Parameters
    ----------
    lists : DataFrame
        :func:`read_technology_lists` output.
    list_id : str
        Which list (``bls_hecker2005_hightech``, ``brookings_advanced_industries_2015``).
    levels : sequence of str
        Categories of that list to count (e.g. ``["Level I"]``).
    exclude : sequence of str
        Codes to leave out (params.yaml ``label.technology_exclude``, e.g. 3364 aerospace,
        which the cluster-policy typology counts as industrial production).

    Returns
    -------
    list of str
        Sorted code prefixes; an industry counts when its code starts with one of them.
    """
    chosen = lists[(lists["list_id"] == list_id) & lists["category"].isin(list(levels))]
    if chosen.empty:
        known = sorted(lists["list_id"].unique())
        raise UserError(
            f"label.technology_list '{list_id}' with levels {list(levels)} selects no industry; "
            f"known lists: {', '.join(known)}"
        )
    prefixes: set[str] = set()
    for code, vintage in zip(chosen["naics"], chosen["naics_vintage"], strict=True):
        if code in set(exclude):
            continue
        if vintage == "2002" and code in NAICS2002_TO_2017:
            prefixes.update(NAICS2002_TO_2017[code])
        else:
            prefixes.add(code)
    return sorted(prefixes)


def prefix_weights(codes: pd.Series, weights: Mapping[str, float] | Sequence[str]) -> pd.Series:
    """Weight of each industry code from the longest prefix that matches it (0 if none).

    Parameters
    ----------
    codes : Series of str
        Industry codes.
    weights : mapping of prefix -> weight in [0, 1], or a sequence of prefixes (weight 1)
        A NAICS list gives whole industries weight 1; a section-level table (NACE, OKVED)
        gives each section the technology-intensive share of its activity.

    Returns
    -------
    Series of float
        Aligned with ``codes``.

    Examples
    --------
    >>> prefix_weights(pd.Series(["334413", "3361", "J"]), {"3344": 1.0, "J": 0.6}).tolist()
    [1.0, 0.0, 0.6]
    """
    table = dict(weights) if isinstance(weights, Mapping) else dict.fromkeys(weights, 1.0)
    codes = codes.astype(str)
    result = pd.Series(0.0, index=codes.index)
    matched = pd.Series(False, index=codes.index)
    for prefix in sorted(table, key=len, reverse=True):
        hit = ~matched & codes.str.startswith(prefix)
        result[hit] = float(table[prefix])
        matched |= hit
    return result
