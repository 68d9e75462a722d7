"""Official industry titles: code -> name for NAICS 2017/2012, NACE Rev.2 and OKVED 2 sections.

The table ``industry_titles.csv`` (in the classifications folder, provenance in
``data/raw/README.md``) holds one row per classification x code:

* ``naics2017``, ``naics2012``: the Census Bureau's NAICS 2-6 digit titles (2,196 and 2,209
  codes), with the range sectors written as the data write them (``31-33``, ``44-45``,
  ``48-49``), plus ``00`` (total) and ``99`` (industries not classified);
* ``nace_r2``, ``okved2``: the 21 NACE Rev.2 sections (Eurostat 2008); OKVED 2
  (OK 029-2014) is harmonised with NACE Rev.2, so its section titles are the same.

A custom classification takes its titles from an ``industry_name`` column of its hierarchy,
when there is one (:func:`hierarchy_titles`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.classifications.tables import TITLES_FILE, read_code_table, tables_dir
from pipeline.errors import UserError

TITLE_COLUMNS = ["classification", "industry_code", "industry_name"]


def read_industry_titles(classifications_dir: Path | str | None = None) -> pd.DataFrame:
    """The whole title table: classification, industry_code, industry_name (all strings)."""
    path = tables_dir(classifications_dir) / TITLES_FILE
    if not path.exists():
        raise UserError(f"{path}: not found; the classifications folder must hold {TITLES_FILE}")
    return read_code_table(path, TITLE_COLUMNS, keep_default_na=False)[TITLE_COLUMNS]


def industry_titles(
    classification: str, classifications_dir: Path | str | None = None
) -> pd.Series:
    """Titles of one classification as a Series indexed by industry code (empty if none).

    ``classifications_dir`` defaults to the folder params.yaml names.

    Examples
    --------
    >>> industry_titles("naics2017")["3364"]
    'Aerospace Product and Parts Manufacturing'
    """
    titles = read_industry_titles(classifications_dir)
    chosen = titles[titles["classification"] == classification]
    return pd.Series(
        chosen["industry_name"].to_numpy(),
        index=pd.Index(chosen["industry_code"], name="industry_code"),
        name="industry_name",
        dtype="str",
    )


def hierarchy_titles(hierarchy: pd.DataFrame | None) -> pd.Series:
    """Titles from a custom hierarchy's optional ``industry_name`` column (else empty)."""
    if hierarchy is None or "industry_name" not in hierarchy.columns:
        return pd.Series(dtype="str", name="industry_name")
    named = hierarchy.dropna(subset=["industry_name"])
    return pd.Series(
        named["industry_name"].astype(str).to_numpy(),
        index=pd.Index(named["industry_code"].astype(str), name="industry_code"),
        name="industry_name",
    )


def add_industry_names(
    table: pd.DataFrame,
    titles: pd.Series,
    code_column: str = "industry_code",
    name_column: str = "industry_name",
) -> pd.DataFrame:
    """``table`` with ``name_column`` (the title of ``code_column``) right after the code.

    Codes without a title get a missing name (never a made-up one). An existing
    ``name_column`` is replaced.
    """
    names = table[code_column].astype(str).map(titles).astype("str")
    result = table.drop(columns=[name_column], errors="ignore")
    position = list(result.columns).index(code_column) + 1
    result.insert(position, name_column, names.to_numpy())
    return result
