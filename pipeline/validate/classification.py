"""The classification of a file that names none, from its industry codes alone
(:func:`detect_classification`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.classifications.hierarchy import (
    is_known_code,
    known_industry_codes,
    normalise_codes,
)
from pipeline.sources.raw_table import is_parquet, read_raw_table
from pipeline.sources.typed_parquet import typed_columns

# A classification is taken from the codes alone when it knows at least this share of the
# distinct codes and the other family (NAICS vs NACE sections) knows less than half.
DETECT_KNOWN_SHARE = 0.9


DETECT_OTHER_SHARE = 0.5


# Within a family the codes cannot tell the vintages apart: the first one is assumed.
FAMILY_DEFAULT = {"naics": "naics2017", "nace": "nace_r2"}


FAMILY_SIBLINGS = {"naics": "naics2012", "nace": "okved2"}


def detect_classification(
    codes: pd.Series, classifications_dir: Path | None = None
) -> tuple[str, str] | None:
    """The built-in classification that the industry codes unambiguously belong to.

    The codes decide between the NAICS family and the NACE-section family when one family
    knows at least ``DETECT_KNOWN_SHARE`` of the distinct codes and the other less than
    ``DETECT_OTHER_SHARE``. Within a family the vintages share their codes (NAICS 2017 and
    2012 differ in a few six-digit codes; OKVED 2 sections are NACE Rev.2's), so the first
    is assumed and the note says how to pick the other.

    Returns
    -------
    (classification, note) or None
        None when the codes are ambiguous or unknown (then ``--classification`` is needed).

    Examples
    --------
    >>> detect_classification(pd.Series(["00", "31-33", "5415"]))[0]
    'naics2017'
    >>> detect_classification(pd.Series(["00", "C", "J"]))[0]
    'nace_r2'
    """
    unique = pd.Series(codes.dropna().unique(), dtype="str")
    unique = unique[unique != "00"]
    if unique.empty:
        return None
    shares = {}
    for family, name in FAMILY_DEFAULT.items():
        normalised = normalise_codes(unique, name)
        known = known_industry_codes(name, classifications_dir)
        shares[family] = float(is_known_code(normalised, name, known).mean())
    ranked = sorted(shares, key=shares.get, reverse=True)
    best, other = ranked[0], ranked[1]
    if shares[best] < DETECT_KNOWN_SHARE or shares[other] >= DETECT_OTHER_SHARE:
        return None
    name, sibling = FAMILY_DEFAULT[best], FAMILY_SIBLINGS[best]
    note = (
        f"no --classification given: the industry codes are {name} codes "
        f"({shares[best]:.0%} of them known), so {name} is used; pass --classification "
        f"{sibling} if they are {sibling} codes"
    )
    return name, note


def _detected_classification(
    path: Path, classifications_dir: Path | None
) -> tuple[str, str] | None:
    """:func:`detect_classification` of the file's industry codes, unless it names its
    classification; a typed Parquet file gives its distinct codes from the column alone."""
    columns = (
        typed_columns(path) if path.is_file() and path.stat().st_size and is_parquet(path) else None
    )
    if columns is not None:
        if "classification" in columns:
            return None
        column = pq.read_table(path, columns=[columns["industry_code"]]).column(0)
        codes = pd.Series(pc.unique(column.cast(pyarrow.string())).to_pylist(), dtype="object")
        return detect_classification(codes, classifications_dir)
    text, _ = read_raw_table(path)
    if "classification" not in text.columns and "industry_code" in text.columns:
        return detect_classification(text["industry_code"], classifications_dir)
    return None
