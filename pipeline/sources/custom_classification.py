"""The tables of a custom classification, as a user writes them: hierarchy and technology list.

Why a module of its own: a dataset whose codes follow no built-in classification brings two
small tables with it, read through :func:`pipeline.sources.raw_table.read_raw_table` and
checked here with one-line messages. What the codes then mean (levels, parents, known codes)
is :mod:`pipeline.classifications.hierarchy`; the labels use the technology list through
:func:`pipeline.classifications.definitions.label_weights`.

* **hierarchy** (CSV or Parquet): ``industry_code, parent_code, level``; ``parent_code``
  empty or ``00`` at the top, ``level`` a whole number 1-6.
* **technology table** (CSV or Parquet): an ``industry_code`` column listing the technology
  industries (other columns, such as ``category`` or ``title``, are for the reader).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classifications.codes import LEVEL_MAX, TOTAL_CODE
from pipeline.errors import UserError
from pipeline.sources.raw_schema import MISSPELT_CUTOFF, parse_numbers
from pipeline.sources.raw_table import read_raw_table

HIERARCHY_COLUMNS = ("industry_code", "parent_code", "level")


def read_hierarchy(path: str | Path) -> pd.DataFrame:
    """Read a custom classification's hierarchy table.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet with columns ``industry_code, parent_code, level`` (parent empty or
        '00' at the top; level a whole number 1-6).

    Returns
    -------
    DataFrame
        industry_code (str), parent_code (str, '00' at the top), level (int64).

    Raises
    ------
    UserError
        Missing columns, repeated codes, levels out of range, parents not in the table.
    """
    path = Path(path)
    text, row_offset = read_raw_table(path)
    for column in HIERARCHY_COLUMNS:
        if column not in text.columns:
            close = difflib.get_close_matches(
                column, list(text.columns), n=1, cutoff=MISSPELT_CUTOFF
            )
            hint = f"rename '{close[0]}' to {column}" if close else f"add a {column} column"
            raise UserError(
                f"{path}: missing column '{column}' in the hierarchy table; {hint} "
                "(columns: industry_code, parent_code, level)"
            )
    codes = text["industry_code"]
    if codes.isna().any():
        row = int(codes.index[codes.isna()][0]) + row_offset
        raise UserError(f"{path}: column 'industry_code', row {row}: empty; fill in the code")
    repeated = codes.duplicated(keep="first")
    if repeated.any():
        row = int(codes.index[repeated][0]) + row_offset
        raise UserError(
            f"{path}: column 'industry_code', row {row}: '{codes[repeated].iloc[0]}' is listed "
            "twice; list each code once"
        )
    levels = parse_numbers(text["level"])
    bad_level = ~(levels.between(1, LEVEL_MAX) & (levels == np.floor(levels)))
    if bad_level.any():
        row = int(levels.index[bad_level][0]) + row_offset
        raise UserError(
            f"{path}: column 'level', row {row}: '{text['level'][bad_level].iloc[0]}' is not a "
            f"level; use whole numbers 1-{LEVEL_MAX} (1 = top)"
        )
    parent = text["parent_code"].fillna(TOTAL_CODE)
    orphan = ~parent.isin(list(codes) + [TOTAL_CODE])
    if orphan.any():
        row = int(parent.index[orphan][0]) + row_offset
        raise UserError(
            f"{path}: column 'parent_code', row {row}: '{parent[orphan].iloc[0]}' is not an "
            "industry_code of the table; add it, or leave parent_code empty at the top"
        )
    return pd.DataFrame(
        {
            "industry_code": codes.astype("str").to_numpy(),
            "parent_code": parent.astype("str").to_numpy(),
            "level": levels.astype("int64").to_numpy(),
        }
    )


def read_technology_table(path: str | Path, known: Iterable[str] | None = None) -> list[str]:
    """Technology industries of a custom classification, for the label stage.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet with an ``industry_code`` column (other columns, such as
        ``category`` or ``title``, are kept for the reader and ignored here).
    known : iterable of str, optional
        Codes of the hierarchy; a code outside it is an error.

    Returns
    -------
    list of str
        Sorted codes, usable as prefixes by
        :func:`pipeline.classifications.technology.prefix_weights`.
    """
    path = Path(path)
    text, row_offset = read_raw_table(path)
    if "industry_code" not in text.columns:
        raise UserError(
            f"{path}: missing column 'industry_code' in the technology table; add it (one "
            "technology industry per row)"
        )
    codes = text["industry_code"].dropna()
    if known is not None:
        unknown = ~codes.isin(list(known))
        if unknown.any():
            row = int(codes.index[unknown][0]) + row_offset
            raise UserError(
                f"{path}: column 'industry_code', row {row}: '{codes[unknown].iloc[0]}' is not "
                "in the hierarchy table; fix the code or add it to the hierarchy"
            )
    return sorted(set(codes))
