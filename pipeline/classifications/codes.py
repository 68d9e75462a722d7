"""The classifications regclust reads, their names, and the codes every one of them shares.

* **naics2017, naics2012**: NAICS, 2-6 digits (:mod:`pipeline.classifications.naics`).
* **nace_r2** (NACE Rev. 2) and **okved2** (OKVED 2, OK 029-2014, harmonised with NACE Rev. 2
  at section and division level): sections A-U, divisions, groups, classes
  (:mod:`pipeline.classifications.nace`).
* **custom**: a hierarchy table given with the data (industry_code, parent_code, level).

Whatever the classification, the all-industry total is ``'00'`` at level 0, and the canonical
employment table goes no deeper than level 6. How codes, levels and parents follow from these
is :mod:`pipeline.classifications.hierarchy`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

TOTAL_CODE = "00"
TOTAL_ALIASES = ("TOTAL", "_T")  # other spellings of the total (Eurostat's TOTAL, SDMX _T)
LEVEL_MAX = 6  # deepest industry_level of the canonical table
SECTOR_DIGITS = 2  # NAICS sectors and NACE divisions: the shortest numeric codes

CLASSIFICATIONS = ("naics2017", "naics2012", "nace_r2", "okved2", "custom")
CLASSIFICATION_ALIASES = {
    "nace": "nace_r2",
    "nacer2": "nace_r2",
    "nacerev2": "nace_r2",
    "nace_rev2": "nace_r2",
    "okved": "okved2",
    "okved_2": "okved2",
    "naics": "naics2017",
}
# Classifications whose codes look alike (a NAICS vintage for another is a lesser mistake
# than NACE codes read as NAICS).
FAMILY = {
    "naics2017": "naics",
    "naics2012": "naics",
    "nace_r2": "nace",
    "okved2": "nace",
    "custom": "custom",
}


def classification_name(name: object) -> str | None:
    """The canonical classification name for ``name`` (case and aliases), or None.

    Examples
    --------
    >>> classification_name("NACE Rev. 2"), classification_name("naics"), classification_name("sic")
    ('nace_r2', 'naics2017', None)
    """
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return None
    key = re.sub(r"[\s.\-]+", "", str(name).lower()).replace("rev", "r")
    key = CLASSIFICATION_ALIASES.get(key, key)
    for known in CLASSIFICATIONS:
        if key == known.replace("_", "") or key == known:
            return known
    return CLASSIFICATION_ALIASES.get(str(name).strip().lower())


def prefix_ancestors(code: str, above_sector: Mapping[str, str]) -> list[str]:
    """The codes that may stand above a numeric code, nearest first, ending with '00'.

    Each shorter prefix down to two digits (the NAICS sector, the NACE division), then the
    group ``above_sector`` gives the two-digit prefix (NAICS: its range sector, ``'33'`` ->
    ``'31-33'``; NACE: its section, ``'10'`` -> ``'C'``), then the total. A code that is not
    all digits (a section, a range) has the total alone above it.

    Examples
    --------
    >>> prefix_ancestors("3111", {"31": "31-33"})
    ['311', '31', '31-33', '00']
    >>> prefix_ancestors("1011", {"10": "C"}), prefix_ancestors("C", {}), prefix_ancestors("00", {})
    (['101', '10', 'C', '00'], ['00'], [])
    """
    if code == TOTAL_CODE:
        return []
    if not code.isdigit():
        return [TOTAL_CODE]
    chain = [code[:digits] for digits in range(len(code) - 1, SECTOR_DIGITS - 1, -1)]
    if code[:SECTOR_DIGITS] in above_sector:
        chain.append(above_sector[code[:SECTOR_DIGITS]])
    return chain + [TOTAL_CODE]
