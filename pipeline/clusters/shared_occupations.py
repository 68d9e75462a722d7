"""Shared occupations: DPS's Occ_ij, the similarity of two industries' occupation mixes.

Two industries are related when they employ the same kinds of workers (Delgado, Porter &
Stern 2016, "DPS", *J. Econ. Geogr.* 16(1) 1-38, section 3.1): Occ_ij is the correlation (or
cosine) of their occupation-share vectors from a national industry x occupation matrix (BLS
OEWS), after the dataset's codes are recoded into the matrix's vintage
(:func:`translate_codes`) and suppressed cells are filled from each industry's residual
(:func:`occupation_shares`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from pipeline.clusters.relatedness_matrix import column_correlation, pivot_sum, square_matrix
from pipeline.errors import UserError


def translate_codes(codes: Sequence[str], prefix_map: pd.DataFrame | None) -> list[str]:
    """Recode industry codes through a prefix map (e.g. NAICS 2017 -> 2022).

    A code takes the map row with the longest matching ``from_prefix``; a ``to_prefix`` of
    the same length replaces that prefix and keeps the remaining digits (511210 -> 513210),
    a shorter or longer one replaces the whole code (454110 -> 45). Codes without a row are
    unchanged.

    Examples
    --------
    >>> rows = pd.DataFrame({"from_prefix": ["5112", "4541"], "to_prefix": ["5132", "45"]})
    >>> translate_codes(["511210", "454110", "336111"], rows)
    ['513210', '45', '336111']
    """
    if prefix_map is None or prefix_map.empty:
        return list(codes)
    mapping = dict(
        zip(prefix_map["from_prefix"].astype(str), prefix_map["to_prefix"].astype(str), strict=True)
    )
    lengths = sorted({len(prefix) for prefix in mapping}, reverse=True)
    translated = []
    for code in codes:
        for length in lengths:
            target = mapping.get(code[:length])
            if target is not None:
                translated.append(target + code[length:] if len(target) == length else target)
                break
        else:
            translated.append(code)
    return translated


def occupation_shares(occupations: pd.DataFrame) -> pd.DataFrame:
    """Industry x occupation share matrix, with suppressed cells filled from the residual.

    Parameters
    ----------
    occupations : DataFrame
        industry_code, occupation_code, employment (null = suppressed), and optionally
        industry_total_employment (all occupations; default: the sum of the cells).

    Returns
    -------
    DataFrame
        Rows industry codes, columns occupation codes, values employment shares.

    Notes
    -----
    s_io = e_io / E_i with E_i the industry's all-occupation employment. A suppressed cell
    is an unknown, usually small value (BLS OEWS never publishes below 30 jobs), not a zero:
    the industry's unpublished residual, max(E_i - sum of its published cells, 0), is split
    equally over its suppressed cells.
    """
    table = occupations.copy()
    table["industry_code"] = table["industry_code"].astype(str)
    if "industry_total_employment" not in table.columns:
        table["industry_total_employment"] = table.groupby("industry_code")["employment"].transform(
            "sum"
        )
    published = table.groupby("industry_code")["employment"].transform("sum")
    suppressed = table["employment"].isna()
    n_suppressed = suppressed.groupby(table["industry_code"]).transform("sum")
    residual = (table["industry_total_employment"] - published).clip(lower=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = residual / n_suppressed.where(n_suppressed > 0)
    table["filled"] = table["employment"].where(~suppressed, fill)
    table["share"] = table["filled"] / table["industry_total_employment"]
    return pivot_sum(table, "industry_code", "occupation_code", "share")


def occupation_similarity(
    occupations: pd.DataFrame,
    codes: Iterable[str],
    prefix_map: pd.DataFrame | None = None,
    *,
    method: str,
) -> pd.DataFrame:
    """DPS's shared-occupation measure: correlation of occupation-share vectors.

    Parameters
    ----------
    occupations : DataFrame
        Long industry_code, occupation_code, employment[, industry_total_employment]
        (:func:`pipeline.sources.linkages.read_oews` or ``read_occupation_table``). Its
        industry codes may be coarser than ``codes`` (OEWS: 2-5-digit NAICS 2022 prefixes).
    codes : iterable of str
        Industry codes of the result (six-digit NAICS 2017 for the US datasets).
    prefix_map : DataFrame, optional
        from_prefix, to_prefix rows recoding ``codes`` to the vintage of ``occupations``
        (:func:`translate_codes`; ``read_naics_prefix_map`` for NAICS 2017 -> 2022).
    method : {'correlation', 'cosine'}
        Pearson correlation (DPS) or cosine similarity of the share vectors.

    Returns
    -------
    DataFrame
        codes x codes similarity, symmetric, diagonal NaN; NaN for a code with no matching
        prefix.

    Notes
    -----
    Occ_ij = corr(s_i, s_j) over occupations o, with s_io the share of occupation o in
    industry i's employment (:func:`occupation_shares`; DPS 2016, section 3.1, on the BLS
    National Industry-Occupation Employment Matrix). Correlation, as DPS, rather than cosine:
    it removes each vector's mean share, so two industries are not similar merely because
    both employ many of the ubiquitous occupations (over 800 occupations make the two close
    in practice). Each code takes the vector of its **longest available prefix** in
    ``occupations`` after recoding: OEWS publishes most industries at four digits, some at
    three or five, so six-digit codes inherit their parent's vector, and two codes with the
    same parent have similarity 1 (the data cannot tell them apart).

    Examples
    --------
    >>> occ = pd.DataFrame({"industry_code": ["11", "11", "11", "21", "21", "21"],
    ...                     "occupation_code": ["a", "b", "c"] * 2,
    ...                     "employment": [1.0, 2.0, 3.0, 3.0, 2.0, 1.0]})
    >>> float(occupation_similarity(occ, ["111110", "211120"], method="correlation").loc["111110", "211120"])
    -1.0
    """
    if method not in ("correlation", "cosine"):
        raise UserError(
            f"params.yaml: relatedness.occupation_method is '{method}'; use correlation or cosine"
        )
    codes = [str(code) for code in codes]
    shares = occupation_shares(occupations)
    available = set(shares.index)
    lengths = sorted({len(code) for code in available}, reverse=True)
    matched: list[str | None] = []
    for code in translate_codes(codes, prefix_map):
        match = next((code[:n] for n in lengths if n <= len(code) and code[:n] in available), None)
        matched.append(match)
    vectors = sorted({m for m in matched if m is not None})
    matrix = shares.loc[vectors].to_numpy(dtype="float64").T  # occupations x vectors
    if method == "correlation":
        similarity = column_correlation(matrix)
    else:
        norm = np.sqrt((matrix * matrix).sum(axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            unit = matrix / np.where(norm > 0, norm, np.nan)
        similarity = np.nan_to_num(unit, nan=0.0).T @ np.nan_to_num(unit, nan=0.0)
        similarity[norm <= 0, :] = np.nan
        similarity[:, norm <= 0] = np.nan
    position = {vector: k for k, vector in enumerate(vectors)}
    index = np.array([position.get(m, -1) if m is not None else -1 for m in matched])
    padded = np.full((len(vectors) + 1, len(vectors) + 1), np.nan)
    padded[: len(vectors), : len(vectors)] = similarity
    return square_matrix(padded[np.ix_(index, index)], codes)
