"""NAICS code structure: levels, parents, range sectors and the codes regclust knows.

The North American Industry Classification System writes industries with 2 to 6 digits; each
digit adds a level (sector 33, subsector 336, industry group 3361, NAICS industry 33611,
national industry 336111). Three sectors are published as ranges, ``31-33`` (manufacturing),
``44-45`` (retail) and ``48-49`` (transportation), whose two-digit members (31, 32, 33 ...)
are not codes of their own in the published tables; a range sector is level 2. The total of
all industries is ``'00'`` (level 0). US Census Bureau, *North American Industry
Classification System, United States, 2017* (the 2012 and 2017 vintages share this
structure; :mod:`pipeline.classifications.naics_vintages` maps the codes that changed).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from pipeline.classifications.benchmark_clusters import read_crosswalk
from pipeline.classifications.codes import SECTOR_DIGITS, TOTAL_CODE, prefix_ancestors
from pipeline.classifications.naics_vintages import read_naics_concordance
from pipeline.classifications.tables import CONCORDANCE_FILE, CROSSWALK_FILE, tables_dir

NAICS_CLASSIFICATIONS = ("naics2017", "naics2012")

# A sector published as a range -> its two-digit members (the same in 2012 and 2017).
RANGE_SECTORS: dict[str, tuple[str, ...]] = {
    "31-33": ("31", "32", "33"),
    "44-45": ("44", "45"),
    "48-49": ("48", "49"),
}
# The two-digit member of a range sector -> the range ('33' -> '31-33').
RANGE_OF_SECTOR: dict[str, str] = {
    member: sector for sector, members in RANGE_SECTORS.items() for member in members
}
# Sectors outside the US Cluster Mapping crosswalk: public administration (92) and
# "industries not classified" (99, County Business Patterns); any code in them is known.
SECTORS_OUTSIDE_CROSSWALK = ("92", "99")
DETAIL_DIGITS = 6


def naics_level(codes: pd.Series) -> pd.Series:
    """NAICS level of each code: 0 for the total '00', 2 for ranges such as '31-33', else digits.

    Examples
    --------
    >>> naics_level(pd.Series(["00", "31-33", "336", "336411"])).tolist()
    [0, 2, 3, 6]
    """
    codes = codes.astype(str)
    level = codes.str.len().where(~codes.str.contains("-", regex=False), SECTOR_DIGITS)
    return level.where(codes != TOTAL_CODE, 0).astype("int8")


def naics_parent(code: str) -> str | None:
    """The parent of a canonical NAICS code: '3361' -> '336' -> '31-33' -> '00' -> None.

    Canonical tables write the range sectors as ranges, so a subsector's parent is the range
    ('336' -> '31-33', not '33'); a sector's parent is the total.

    Examples
    --------
    >>> [naics_parent(code) for code in ["3361", "336", "31-33", "42", "00"]]
    ['336', '31-33', '00', '00', None]
    """
    if code == TOTAL_CODE:
        return None
    if len(code) == SECTOR_DIGITS:
        return TOTAL_CODE
    above = prefix_ancestors(code, RANGE_OF_SECTOR)
    return next(ancestor for ancestor in above if ancestor not in RANGE_OF_SECTOR)


@functools.lru_cache(maxsize=8)
def _known_codes(directory: Path) -> frozenset[str]:
    crosswalk = read_crosswalk(directory / CROSSWALK_FILE)
    changed = read_naics_concordance(directory / CONCORDANCE_FILE)
    six_digit = set(crosswalk.loc[crosswalk["naics_vintage"] == "2012", "naics"])
    six_digit |= set(changed["naics2017"])
    codes = {
        code[:digits] for code in six_digit for digits in range(SECTOR_DIGITS, DETAIL_DIGITS + 1)
    }
    return frozenset(codes | set(RANGE_SECTORS) | {TOTAL_CODE})


def naics_known_codes(directory: str | Path | None = None) -> frozenset[str]:
    """NAICS codes listed by the tables: the six-digit 2012 codes of the US Cluster Mapping
    crosswalk and the six-digit 2017 codes that changed since 2012, all their 2-5 digit
    prefixes, the range sectors and '00' (read once per folder).

    Sectors 92 and 99 are known by rule (:func:`is_naics_code`), not listed.
    """
    return _known_codes(tables_dir(directory))


def is_naics_code(codes: pd.Series, known: frozenset[str]) -> pd.Series:
    """Boolean Series: is each code in ``known`` or a 2-6 digit code of sector 92 or 99?"""
    outside = codes.str.fullmatch(rf"\d{{{SECTOR_DIGITS},{DETAIL_DIGITS}}}") & codes.str[
        :SECTOR_DIGITS
    ].isin(list(SECTORS_OUTSIDE_CROSSWALK))
    return codes.isin(list(known)) | outside.fillna(False)
