"""What the user asked for, resolved: a code from a code or a (partial, misspelt) name
(:func:`find_code`; an unknown name raises a UserError listing the closest names, ``difflib``),
and the year (:func:`latest_year`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import UserError

SUGGESTIONS = 5  # close names listed when a name is unknown


CLOSE_CUTOFF = 0.7  # difflib similarity needed to suggest a name


@dataclass(frozen=True)
class Match:
    """A resolved query: the code, its name, and other codes the query also matched."""

    code: str
    name: str
    others: tuple[str, ...] = ()


ABBREVIATIONS = {"saint": "st", "sainte": "ste"}  # as official names spell them (St. Louis)


def _normalised(text: str) -> str:
    """Lower case, accents and punctuation dropped, "saint" as "st".

    >>> _normalised("Cañon City, CO"), _normalised("Saint Louis")
    ('canon city co', 'st louis')
    """
    folded = unicodedata.normalize("NFKD", str(text).lower())
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    words = re.sub(r"[^\w]+", " ", folded).split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


def find_code(
    query: str,
    names: pd.Series,
    what: str,
    weight: pd.Series | None = None,
    aliases: pd.Series | None = None,
) -> Match:
    """Resolve ``query`` (a code or a name) among ``names`` (code -> name).

    Order of tests: the code itself; the whole name (case and punctuation ignored); names
    containing the query as whole words (e.g. "Detroit" in "Detroit-Warren-Dearborn, MI"),
    then as a part of a word. When several names match, the one with the largest ``weight``
    (e.g. employment) wins and the others are reported in ``Match.others``.

    Parameters
    ----------
    query : str
        What the user typed.
    names : Series
        Names indexed by code (str).
    what : str
        What the codes are ("region", "cluster", ...), for the error message.
    weight : Series, optional
        Tie-breaker indexed by code; larger first.
    aliases : Series, optional
        Other names of the codes, indexed by code (e.g. ``name_ru``, the Russian names of
        the Russian subjects); matched like ``names``, reported by their ``names`` entry.

    Returns
    -------
    Match

    Raises
    ------
    UserError
        No code or name matches; the message lists the closest names (difflib ratio
        >= ``CLOSE_CUTOFF``), or says that there are none.

    Examples
    --------
    >>> names = pd.Series({"19820": "Detroit-Warren-Dearborn, MI", "12060": "Atlanta, GA"})
    >>> find_code("detroit", names, "region").code
    '19820'
    """
    query = str(query).strip()
    codes = names.index.astype(str)
    names = pd.Series(names.astype(str).to_numpy(), index=codes)
    if query in names.index:
        return Match(query, names[query])
    wanted = _normalised(query)
    if not wanted:
        raise UserError(f"no {what} given; pass a {what} code or name")
    searched = names  # code -> every name it answers to (a code repeats with aliases)
    if aliases is not None:
        other = aliases.dropna().astype(str)
        other = pd.Series(other.to_numpy(), index=other.index.astype(str))
        searched = pd.concat([names, other[other.index.isin(codes) & (other != "")]])
    normalised = searched.map(_normalised)
    for matches in (
        normalised == wanted,
        normalised.str.contains(rf"\b{re.escape(wanted)}\b", regex=True),
        normalised.str.contains(wanted, regex=False),
    ):
        if matches.any():
            found = pd.Index(searched.index[matches.to_numpy()]).unique()
            if weight is not None:
                order = weight.reindex(found).fillna(-np.inf).sort_values(ascending=False)
                found = pd.Index(order.index)
            return Match(found[0], names[found[0]], tuple(found[1:]))
    raise UserError(_unknown_message(query, searched, what, names))


def _unknown_message(
    query: str, searched: pd.Series, what: str, names: pd.Series | None = None
) -> str:
    """One line: the query is unknown, and the closest names (or none).

    ``searched`` may repeat a code (its aliases); ``names`` (one per code) names the codes.
    """
    names = searched if names is None else names
    wanted = _normalised(query)
    scored: dict[str, float] = {}
    for code, name in searched.items():
        full = _normalised(name)
        parts = [full, *re.split(r"[ ,]+", full)]
        head = full.split(" ")[: len(wanted.split(" "))]
        parts.append(" ".join(head))
        score = max(difflib.SequenceMatcher(None, wanted, part).ratio() for part in parts)
        scored[code] = max(score, scored.get(code, 0.0))
    close = sorted(
        (code for code, score in scored.items() if score >= CLOSE_CUTOFF),
        key=lambda code: -scored[code],
    )[:SUGGESTIONS]
    if close:
        listed = "; ".join(f"{code} {names[code]}" for code in close)
        return f"no {what} '{query}'; did you mean: {listed}?"
    return f"no {what} '{query}' and no close name; pass a {what} code (see --help)"


def latest_year(table: pd.DataFrame, year: int | None) -> int:
    """``year`` if the table has it, the latest year when None; else a UserError."""
    years = sorted(int(value) for value in table["year"].unique())
    if not years:
        raise UserError("the table has no rows; run the pipeline first (dvc repro)")
    if year is None:
        return years[-1]
    if year not in years:
        listed = ", ".join(str(value) for value in years)
        raise UserError(f"--year {year}: not in the data; years: {listed}")
    return year
