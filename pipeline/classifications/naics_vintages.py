"""NAICS 2012 <-> 2017 concordance, at every code level, and a report of unmatched codes.

The six-digit rows (``naics_2017_to_2012.csv`` in the classifications folder: naics2017,
naics2012, primary) list only the codes that changed between the vintages (Census, "2017
NAICS to 2012 NAICS" concordance); every other code is the same in both. Codes of 3 to 5
digits follow from the six-digit rows by truncation: 517311 <- 517110 gives 51731 <- 51711
and 5173 <- 5171. A truncated pair whose codes are equal (454110 <- 454111 gives 45411 <-
45411) says that code persists, so it is kept beside the changes it has.

``primary`` marks the 2012 source whose content (and benchmark cluster) the 2017 code
mostly takes; at 3-5 digits a pair is primary when any of its six-digit rows is.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pipeline.classifications.tables import CONCORDANCE_FILE, read_code_table, table_path
from pipeline.errors import UserError

CONCORDANCE_COLUMNS = ["naics2017", "naics2012", "primary"]
VINTAGES = {"2012": "naics2012", "2017": "naics2017"}
SIX_DIGITS = 6
FIRST_TRUNCATED_LEVEL = 3


def read_naics_concordance(path: str | Path | None = None) -> pd.DataFrame:
    """The six-digit NAICS 2017 -> 2012 rows (naics2017, naics2012, primary as bool).

    ``path`` defaults to ``naics_2017_to_2012.csv`` in the classification tables folder
    (:func:`pipeline.classifications.tables.tables_dir`). The one reader of that file.
    """
    path = Path(path) if path is not None else table_path(CONCORDANCE_FILE)
    rows = read_code_table(path, CONCORDANCE_COLUMNS, keep_default_na=False)
    for column in ["naics2017", "naics2012"]:
        bad = ~rows[column].str.fullmatch(r"\d{6}")
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise UserError(
                f"{path}: line {row + 2}, column {column}: '{rows[column].iloc[row]}' is not a "
                "six-digit NAICS code"
            )
    flags = rows["primary"].str.strip().str.lower()
    if not flags.isin(["true", "false"]).all():
        raise UserError(f"{path}: column primary must be true or false")
    return rows.assign(primary=flags == "true")[CONCORDANCE_COLUMNS]


def concordance_all_levels(concordance: pd.DataFrame) -> pd.DataFrame:
    """Six-digit rows plus their truncations to 5, 4 and 3 digits (naics2017, naics2012, primary).

    Pairs are deduplicated; identical pairs are kept only at levels where the code also has
    a change (so unchanged codes stay out of the table and map to themselves).
    """
    levels = [concordance.assign(level=SIX_DIGITS)]
    for level in range(SIX_DIGITS - 1, FIRST_TRUNCATED_LEVEL - 1, -1):
        levels.append(
            pd.DataFrame(
                {
                    "naics2017": concordance["naics2017"].str[:level],
                    "naics2012": concordance["naics2012"].str[:level],
                    "primary": concordance["primary"],
                    "level": level,
                }
            )
        )
    pairs = (
        pd.concat(levels, ignore_index=True)
        .groupby(["naics2017", "naics2012", "level"], as_index=False)["primary"]
        .any()
    )
    changed = pairs["naics2017"] != pairs["naics2012"]
    involved = set(pairs.loc[changed, "naics2017"]) | set(pairs.loc[changed, "naics2012"])
    keep = changed | pairs["naics2017"].isin(involved)
    return pairs[keep].drop(columns="level").reset_index(drop=True)


def _mapping(
    codes: Iterable[str], concordance: pd.DataFrame, source: str, target: str
) -> pd.DataFrame:
    table = concordance_all_levels(concordance)
    wanted = pd.Series(pd.unique(pd.Series(list(codes), dtype=str)), dtype=str, name=source)
    matched = wanted.to_frame().merge(table, on=source, how="left")
    unchanged = matched[target].isna()
    matched.loc[unchanged, target] = matched.loc[unchanged, source]
    matched.loc[unchanged, "primary"] = True
    matched["changed"] = matched[source] != matched[target]
    matched["primary"] = matched["primary"].astype(bool)
    return matched[[source, target, "primary", "changed"]].reset_index(drop=True)


def naics_2017_to_2012(
    codes: Iterable[str], concordance: pd.DataFrame | None = None
) -> pd.DataFrame:
    """NAICS 2012 code(s) of each NAICS 2017 code (any level; '00' and ranges pass through).

    Returns
    -------
    DataFrame
        naics2017, naics2012, primary, changed: one row per (2017 code, 2012 source); an
        unchanged code maps to itself (primary True, changed False).
    """
    rows = read_naics_concordance() if concordance is None else concordance
    return _mapping(codes, rows, "naics2017", "naics2012")


def naics_2012_to_2017(
    codes: Iterable[str], concordance: pd.DataFrame | None = None
) -> pd.DataFrame:
    """NAICS 2017 code(s) of each NAICS 2012 code: the reverse of :func:`naics_2017_to_2012`.

    Returns
    -------
    DataFrame
        naics2012, naics2017, primary, changed. A 2012 code split in 2017 (541711 -> 541713,
        541714) has one row per 2017 code; ``primary`` says whether the 2012 code is the
        primary source of that 2017 code.
    """
    rows = read_naics_concordance() if concordance is None else concordance
    return _mapping(codes, rows, "naics2012", "naics2017")


def unmatched(
    codes: Iterable[str],
    vintage: str,
    concordance: pd.DataFrame | None = None,
    known_codes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Report the codes that do not belong to ``vintage``.

    Parameters
    ----------
    codes : iterable of str
        Codes claimed to be NAICS ``vintage`` codes.
    vintage : {'2012', '2017'}
    concordance : DataFrame, optional
        :func:`read_naics_concordance` output (read from the default file when None).
    known_codes : iterable of str, optional
        The full list of valid codes of ``vintage``; when given, codes absent from it and
        not explained by the concordance are reported as 'unknown'.

    Returns
    -------
    DataFrame
        code, vintage, reason, counterparts: 'retired in 2017' (a 2012-only code given as
        2017; counterparts = its 2017 codes), 'new in 2017' (a 2017-only code given as
        2012; counterparts = its 2012 sources) or 'unknown'. Empty when every code matches.
    """
    vintage = str(vintage)
    if vintage not in VINTAGES:
        raise UserError(f"NAICS vintage '{vintage}' is unknown; use 2012 or 2017")
    rows = read_naics_concordance() if concordance is None else concordance
    table = concordance_all_levels(rows)
    only_2012 = set(table["naics2012"]) - set(table["naics2017"])
    only_2017 = set(table["naics2017"]) - set(table["naics2012"])
    known = None if known_codes is None else set(map(str, known_codes))
    report = []
    for code in pd.unique(pd.Series(list(codes), dtype=str)):
        if vintage == "2017" and code in only_2012:
            targets = table.loc[table["naics2012"] == code, "naics2017"]
            report.append((code, "retired in 2017", ", ".join(sorted(targets))))
        elif vintage == "2012" and code in only_2017:
            sources = table.loc[table["naics2017"] == code, "naics2012"]
            report.append((code, "new in 2017", ", ".join(sorted(sources))))
        elif known is not None and code not in known:
            report.append((code, "unknown", ""))
    return pd.DataFrame(
        [(code, vintage, reason, counterparts) for code, reason, counterparts in report],
        columns=["code", "vintage", "reason", "counterparts"],
    ).astype(str)
