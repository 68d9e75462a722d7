"""CBSA codes of an earlier OMB delineation, mapped onto the 2020 delineation.

CBP 2019 tabulates 21 metro/micro areas under codes of the delineation in force before OMB
Bulletin 18-03 (September 2018): some were recoded (a new principal city changed the name
and hence the code, e.g. Dayton, OH 19380 -> Dayton-Kettering, OH 19430), others were merged
into a neighbouring CBSA (e.g. Boone, IA 14340 -> part of Ames, IA 11180). The table
``cbsa_code_changes_2017_2020.csv`` (``data/raw/us/``, provenance in its README) lists each
old code's counties, their 2020 CBSA and the evidence for the match.

:func:`delineation_as_tabulated` rewrites the 2020 county -> CBSA delineation so that it
describes what CBP 2019 tabulated: the counties of an old code belong to the old code, and
leave the 2020 CBSA that absorbed them (whose CBP 2019 figures do not include them). Every
metro then has a name and a boundary (the union of its counties), and no two boundaries
overlap.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.errors import UserError

CODE_CHANGES_FILE = "cbsa_code_changes_2017_2020.csv"
CHANGE_COLUMNS = [
    "cbsa_code_cbp",
    "cbsa_title_cbp",
    "county_fips",
    "cbsa_code_2020",
    "cbsa_title_2020",
    "change",
]
CHANGE_KINDS = ("recoded", "merged")


def read_code_changes(path: Path) -> pd.DataFrame:
    """The old-code table, one row per county of an old code; codes as strings."""
    changes = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [column for column in CHANGE_COLUMNS if column not in changes.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}")
    unknown = sorted(set(changes["change"]) - set(CHANGE_KINDS))
    if unknown:
        raise UserError(
            f"{path}: column 'change': unknown value(s) {', '.join(unknown)}; "
            f"use {' or '.join(CHANGE_KINDS)}"
        )
    return changes


def old_code_names(changes: pd.DataFrame) -> pd.Series:
    """A region name for each old code, indexed by it.

    A recoded area takes its current title ("Dayton-Kettering, OH"); a merged one keeps its
    own title and says where it went ("Boone, IA (part of Ames, IA since 2018)").
    """
    first = changes.drop_duplicates("cbsa_code_cbp").set_index("cbsa_code_cbp")
    merged = first["change"] == "merged"
    names = first["cbsa_title_2020"].where(
        ~merged,
        first["cbsa_title_cbp"] + " (part of " + first["cbsa_title_2020"] + " since 2018)",
    )
    return names.rename("name")


def delineation_as_tabulated(
    delineation: pd.DataFrame, changes: pd.DataFrame, tabulated_codes: pd.Index | list[str]
) -> pd.DataFrame:
    """The 2020 delineation rewritten to the codes a source tabulates.

    Parameters
    ----------
    delineation : DataFrame
        OMB county -> CBSA table (county_fips, cbsa_code, cbsa_title, ...).
    changes : DataFrame
        :func:`read_code_changes`.
    tabulated_codes : index of str
        CBSA codes present in the data; only old codes among them are applied.

    Returns
    -------
    DataFrame
        Same columns; each county of an applied old code carries the old code and the name
        from :func:`old_code_names` instead of its 2020 CBSA.

    Examples
    --------
    >>> delineation = pd.DataFrame({"county_fips": ["19015", "19169"],
    ...     "cbsa_code": ["11180", "11180"], "cbsa_title": ["Ames, IA", "Ames, IA"]})
    >>> changes = pd.DataFrame({"cbsa_code_cbp": ["14340"], "cbsa_title_cbp": ["Boone, IA"],
    ...     "county_fips": ["19015"], "cbsa_code_2020": ["11180"],
    ...     "cbsa_title_2020": ["Ames, IA"], "change": ["merged"]})
    >>> delineation_as_tabulated(delineation, changes, ["14340", "11180"])["cbsa_code"].tolist()
    ['14340', '11180']
    """
    applied = changes[changes["cbsa_code_cbp"].isin(pd.Index(tabulated_codes))]
    if applied.empty:
        return delineation
    names = old_code_names(applied)
    old_code = applied.set_index("county_fips")["cbsa_code_cbp"]
    result = delineation.copy()
    moved = result["county_fips"].isin(old_code.index)
    result.loc[moved, "cbsa_code"] = result.loc[moved, "county_fips"].map(old_code)
    result.loc[moved, "cbsa_title"] = result.loc[moved, "cbsa_code"].map(names)
    absent = old_code.index.difference(result["county_fips"])
    if len(absent):  # a county of an old code that left every CBSA by 2020
        extra = applied[applied["county_fips"].isin(absent)]
        rows = pd.DataFrame(
            {
                "county_fips": extra["county_fips"].to_numpy(),
                "cbsa_code": extra["cbsa_code_cbp"].to_numpy(),
                "cbsa_title": extra["cbsa_code_cbp"].map(names).to_numpy(),
            }
        )
        result = pd.concat([result, rows], ignore_index=True)
    return result
