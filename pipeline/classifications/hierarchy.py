"""Codes, levels and parents in any classification regclust reads (one set of rules).

Given a classification name (:data:`pipeline.classifications.codes.CLASSIFICATIONS`), these
functions say which codes it knows, how a code is written, its level, which codes stand above
it and, in a table, which of those is present. NAICS and NACE rules come from
:mod:`~pipeline.classifications.naics` and :mod:`~pipeline.classifications.nace`; a custom
classification brings its own hierarchy table (industry_code, parent_code, level).

Known codes:

* NAICS: :func:`pipeline.classifications.naics.naics_known_codes`, plus every code of
  sectors 92 and 99, which the crosswalk does not list;
* NACE / OKVED: the 21 sections and 88 divisions of ``nace_r2_sections.csv`` and any longer
  code (NACE up to 4 digits, OKVED up to 6) whose first two digits are a known division;
* custom: the hierarchy's codes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classifications.codes import (
    CLASSIFICATIONS,
    LEVEL_MAX,
    SECTOR_DIGITS,
    TOTAL_ALIASES,
    TOTAL_CODE,
    prefix_ancestors,
)
from pipeline.classifications.nace import NACE_MAX_DIGITS, nace_divisions
from pipeline.classifications.naics import (
    NAICS_CLASSIFICATIONS,
    RANGE_OF_SECTOR,
    is_naics_code,
    naics_known_codes,
    naics_level,
)
from pipeline.errors import UserError

SECTION_LEVEL = 1  # a NACE section letter
GUESSED = ("naics2017", "nace_r2")  # the built-in classifications a code list is tried against
GUESS_SHARE_MIN = 0.5  # a guess must know more than half the distinct codes


def known_industry_codes(
    classification: str,
    directory: str | Path | None = None,
    hierarchy: pd.DataFrame | None = None,
) -> frozenset[str]:
    """Industry codes known to a classification (besides the rules in :func:`is_known_code`).

    Parameters
    ----------
    classification : str
        naics2017, naics2012, nace_r2, okved2 or custom.
    directory : str or Path, optional
        Folder of the classification tables (default: the one params.yaml names).
    hierarchy : DataFrame, optional
        The custom hierarchy (industry_code, parent_code, level); required for 'custom'.

    Returns
    -------
    frozenset of str
        NAICS: six-digit 2012 (crosswalk) and changed 2017 codes, their 2-5 digit prefixes,
        the range sectors and '00'. NACE / OKVED: sections, divisions and '00'. Custom: the
        hierarchy's codes and '00'.
    """
    if classification in NAICS_CLASSIFICATIONS:
        return naics_known_codes(directory)
    if classification in NACE_MAX_DIGITS:
        divisions = nace_divisions(directory)
        return frozenset(set(divisions) | set(divisions.values()) | {TOTAL_CODE})
    if classification == "custom":
        if hierarchy is None:
            raise UserError(
                "classification 'custom' needs a hierarchy table (industry_code,parent_code,"
                "level); pass it with --hierarchy"
            )
        return frozenset(set(hierarchy["industry_code"]) | {TOTAL_CODE})
    raise UserError(
        f"unknown classification '{classification}'; use one of {', '.join(CLASSIFICATIONS)}"
    )


def is_known_code(codes: pd.Series, classification: str, known: frozenset[str]) -> pd.Series:
    """Boolean Series: is each (normalised) code a code of the classification?"""
    if classification in NAICS_CLASSIFICATIONS:
        return is_naics_code(codes, known)
    known_mask = codes.isin(list(known))
    if classification in NACE_MAX_DIGITS:
        longest = NACE_MAX_DIGITS[classification]
        deeper = codes.str.fullmatch(rf"\d{{3,{longest}}}") & codes.str[:SECTOR_DIGITS].isin(
            list(known)
        )
        return known_mask | deeper.fillna(False)
    return known_mask


def normalise_codes(codes: pd.Series, classification: str) -> pd.Series:
    """Industry codes as the classification writes them; total aliases become '00'.

    ``TOTAL`` and ``_T`` (any case) -> ``'00'``. NACE / OKVED: dots and spaces dropped,
    letters upper-cased, a section letter before digits dropped (``C10`` -> ``10``).

    Examples
    --------
    >>> normalise_codes(pd.Series(["total", "C10", "10.11", " 26 "]), "nace_r2").tolist()
    ['00', '10', '1011', '26']
    """
    codes = codes.astype("str").str.strip()
    codes = codes.mask(codes.str.upper().isin(list(TOTAL_ALIASES)), TOTAL_CODE)
    if classification in NACE_MAX_DIGITS:
        codes = codes.str.replace(r"[\s.]", "", regex=True).str.upper()
        codes = codes.str.replace(r"^[A-U](\d{2,})$", r"\1", regex=True)
    return codes


def derived_levels(
    codes: pd.Series, classification: str, hierarchy: pd.DataFrame | None = None
) -> pd.Series:
    """industry_level of each code: 0 for '00'; NAICS and NACE digits = level; sections 1.

    Range sectors (``31-33``) are level 2; custom codes take the hierarchy's level.
    Unknown custom codes get level -1 (they are reported as unknown).
    """
    if classification == "custom":
        lookup = (
            hierarchy.set_index("industry_code")["level"]
            if hierarchy is not None
            else pd.Series(dtype="int64")
        )
        levels = codes.map(lookup).fillna(-1).astype("int64")
    else:
        levels = naics_level(codes).astype("int64")
        levels = levels.mask(codes.str.fullmatch(r"[A-Z]").fillna(False), SECTION_LEVEL)
    return levels.mask(codes == TOTAL_CODE, 0).clip(upper=LEVEL_MAX)


def ancestor_chain(
    code: str,
    classification: str,
    divisions: dict[str, str] | None = None,
    parents: dict[str, str] | None = None,
) -> list[str]:
    """The codes above ``code``, nearest first, ending with the total '00'.

    Parameters
    ----------
    code : str
        A normalised code.
    classification : str
        Its classification.
    divisions : dict, optional
        NACE division -> section (:func:`pipeline.classifications.nace.nace_divisions`);
        without it a NACE code's chain stops at its division.
    parents : dict, optional
        Custom code -> parent code.

    Examples
    --------
    >>> ancestor_chain("3111", "naics2017")
    ['311', '31', '31-33', '00']
    >>> ancestor_chain("1011", "nace_r2", divisions={"10": "C"})
    ['101', '10', 'C', '00']
    """
    if code == TOTAL_CODE:
        return []
    if classification == "custom":
        parents = parents or {}
        chain: list[str] = []
        current = parents.get(code)
        while current and current != TOTAL_CODE and current not in chain and current != code:
            chain.append(current)
            current = parents.get(current)
        return chain + [TOTAL_CODE]
    if classification in NAICS_CLASSIFICATIONS:
        return prefix_ancestors(code, RANGE_OF_SECTOR)
    return prefix_ancestors(code, divisions or {})


def nearest_present_parent(
    employment: pd.DataFrame,
    classification: str,
    hierarchy: pd.DataFrame | None = None,
    directory: str | Path | None = None,
) -> pd.Series:
    """For each row, the nearest ancestor code present in the same region and year.

    Parameters
    ----------
    employment : DataFrame
        region_id, industry_code, year (normalised codes).
    classification : str
        The classification of the codes.
    hierarchy : DataFrame, optional
        The custom hierarchy (industry_code, parent_code, level).
    directory : str or Path, optional
        Folder of the classification tables.

    Returns
    -------
    Series
        Aligned with ``employment``: the parent code, or null for a top-level row (no
        ancestor present other than an absent total) and for the total itself.
        Because a missing intermediate level is skipped, the rows that share a parent are
        disjoint parts of it, so their sum can never exceed it in consistent data.
    """
    divisions = nace_divisions(directory) if classification in NACE_MAX_DIGITS else None
    parents = None
    if classification == "custom" and hierarchy is not None:
        parents = dict(zip(hierarchy["industry_code"], hierarchy["parent_code"], strict=True))
    # Integer codes throughout (no merge on strings): a row's candidate ancestor at depth d
    # is present when the key (region-year, ancestor) is among the rows' own keys.
    industry, codes = pd.factorize(employment["industry_code"].to_numpy(dtype=object))
    region, region_ids = pd.factorize(employment["region_id"].to_numpy(dtype=object))
    year, _ = pd.factorize(employment["year"].to_numpy())
    region_year = year.astype(np.int64) * max(len(region_ids), 1) + region
    chains = [ancestor_chain(code, classification, divisions, parents) for code in codes]
    depth = max((len(chain) for chain in chains), default=0)
    number_of = {code: number for number, code in enumerate(codes)}
    ancestors = np.full((len(codes), max(depth, 1)), -1, dtype=np.int64)
    for number, chain in enumerate(chains):
        ancestors[number, : len(chain)] = [number_of.get(code, -1) for code in chain]
    n_codes = max(len(codes), 1)
    present = np.sort(region_year * n_codes + industry)  # duplicates do not matter
    parent_code = np.full(len(industry), -1, dtype=np.int64)
    for level in range(depth):
        ancestor = ancestors[industry, level]
        open_rows = (parent_code < 0) & (ancestor >= 0)
        keys = region_year * n_codes + ancestor
        position = np.clip(np.searchsorted(present, keys), 0, len(present) - 1)
        found = open_rows & (present[position] == keys)
        parent_code[found] = ancestor[found]
    labels = np.asarray(codes, dtype=object)
    values = np.where(parent_code >= 0, labels[np.maximum(parent_code, 0)], None)
    return pd.Series(values, index=employment.index, dtype="str").where(parent_code >= 0)


def guess_classification(codes: pd.Series, directory: str | Path | None = None) -> str | None:
    """The built-in classification that knows most of ``codes`` (None if none knows half)."""
    best, best_share = None, GUESS_SHARE_MIN
    unique = pd.Series(codes.dropna().unique(), dtype="str")
    if unique.empty:
        return None
    for name in GUESSED:
        normalised = normalise_codes(unique, name)
        share = float(is_known_code(normalised, name, known_industry_codes(name, directory)).mean())
        if share > best_share:
            best, best_share = name, share
    return best
