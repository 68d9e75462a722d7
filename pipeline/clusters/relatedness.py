"""Relatedness between industries: co-location, input-output links, shared occupations.

Delgado, Porter & Stern (2016, "DPS"), *Defining clusters of related industries*, J. Econ.
Geogr. 16(1) 1-38, group industries by several pairwise measures of linkage, each an
industry x industry matrix:

- **co-location** of employment and of establishments across regions (LC-emp, LC-est,
  after Porter 2003), optionally the Ellison, Glaeser & Kerr (2010) coagglomeration index;
- **input-output links** IO_ij, the largest of the four shares of one industry's inputs
  bought from, or output sold to, the other (BEA benchmark Use and Make tables);
- **shared occupations** Occ_ij, the correlation of the two industries' occupation-share
  vectors (BLS national industry x occupation matrix);

and combine the standardised measures into one relatedness score.

Every function returns a square DataFrame indexed and columned by the same industry code
strings: symmetric, diagonal NaN, NaN where a measure is not defined for a pair. All of them
are dense numpy algebra (a matrix product or ``np.corrcoef``-style standardised product), so
~1,000 industries over ~3,000 regions take well under a second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.config import RelatednessSettings
from pipeline.errors import UserError

COLOCATION_TRANSFORMS = ("level", "share")
STANDARDISATIONS = ("zscore", "percentile")


# --------------------------------------------------------------------------------------------
# helpers


def _square(values: np.ndarray, codes: Sequence[str]) -> pd.DataFrame:
    """A symmetric code x code frame with a NaN diagonal."""
    values = np.array(values, dtype="float64", copy=True)
    np.fill_diagonal(values, np.nan)
    index = pd.Index(list(codes), dtype=str, name="industry_code")
    return pd.DataFrame(values, index=index, columns=index.rename("related_code"))


def _correlation(matrix: np.ndarray) -> np.ndarray:
    """Pearson correlation between the columns of ``matrix`` (rows are observations).

    Columns with zero variance give NaN rows and columns instead of numpy's warning.
    """
    centred = matrix - matrix.mean(axis=0, keepdims=True)
    norm = np.sqrt((centred * centred).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        standardised = centred / np.where(norm > 0, norm, np.nan)
    standardised = np.nan_to_num(standardised, nan=0.0)
    correlation = standardised.T @ standardised
    constant = norm <= 0
    correlation[constant, :] = np.nan
    correlation[:, constant] = np.nan
    return np.clip(correlation, -1.0, 1.0)


def _region_industry_matrix(
    employment: pd.DataFrame, value: str
) -> tuple[np.ndarray, list[str], list[str]]:
    """Dense region x industry matrix of ``value`` (absent and null cells are 0)."""
    missing = [c for c in ["region_id", "industry_code", value] if c not in employment.columns]
    if missing:
        raise UserError(
            f"employment table: missing column(s) {', '.join(missing)}; pass the canonical "
            "employment table (region_id, industry_code, year, employment, establishments)"
        )
    if "year" in employment.columns and employment["year"].nunique() > 1:
        years = ", ".join(str(y) for y in sorted(employment["year"].unique()))
        raise UserError(
            f"employment table: relatedness needs one year, got {years}; filter to one year"
        )
    if "industry_level" in employment.columns and employment["industry_level"].nunique() > 1:
        raise UserError(
            "employment table: relatedness needs one industry level, got levels "
            f"{sorted(employment['industry_level'].unique().tolist())}; filter to one level"
        )
    region_index, regions = pd.factorize(employment["region_id"].astype(str), sort=True)
    industry_index, industries = pd.factorize(employment["industry_code"].astype(str), sort=True)
    values = pd.to_numeric(employment[value]).fillna(0.0).to_numpy(dtype="float64")
    if (values < 0).any():
        raise UserError(f"employment table: column {value} has negative values; fix the input")
    matrix = np.zeros((len(regions), len(industries)))
    np.add.at(matrix, (region_index, industry_index), values)
    return matrix, list(regions), list(industries)


# --------------------------------------------------------------------------------------------
# co-location


def colocation(
    employment: pd.DataFrame, value: str = "employment", transform: str = "level"
) -> pd.DataFrame:
    """Locational correlation of two industries across regions (DPS's LC-emp and LC-est).

    Parameters
    ----------
    employment : DataFrame
        Canonical employment table (region_id, industry_code, year, employment,
        establishments, ...) for **one year and one industry level** (six-digit NAICS for the
        US datasets). Industries absent from a region count as 0 there; null (suppressed)
        cells count as 0 too.
    value : {'employment', 'establishments'}
        The column correlated: 'employment' gives LC-emp, 'establishments' LC-est.
    transform : {'level', 'share'}
        What is correlated across regions: the level e_ri (DPS, after Porter 2003) or the
        region's share e_ri / e_r, with e_r the sum over the industries of the table (the
        total row is not in a one-level table). Correlating location quotients gives exactly
        the share result, since LQ_ri = share_ri / (e_i / E) rescales each industry's column
        by a constant.

    Returns
    -------
    DataFrame
        Industry x industry Pearson correlations, symmetric, diagonal NaN; NaN for an
        industry present in no region or in every region with the same value.

    Notes
    -----
    With X the region x industry matrix after the transform and Z its columns centred and
    scaled to unit norm, ``LC = Z' Z`` (DPS 2016, section 3.1; Porter 2003, *Regional
    Studies* 37(6-7)):

        LC_ij = sum_r (x_ri - mean_i)(x_rj - mean_j) / (n sd_i sd_j)

    DPS correlate employment levels across the 179 BEA Economic Areas, which tile the whole
    US. For the US datasets regclust correlates across the dataset's own regions: the 933
    metropolitan and micropolitan areas (CBSAs) of the default dataset. CBSAs are functional
    labour-market regions like EAs (BEA builds EAs around them), so co-location within one
    means what DPS measure, while counties split a metro between its core and suburbs;
    counties outside every CBSA are left out. A county dataset passes its counties. With
    regions whose sizes span four orders of magnitude, levels make most pairs correlate
    positively through city size (New York has more of everything), which shares remove.
    Yet on the default dataset levels separate DPS's traded clusters slightly better
    (probability that a within-cluster pair is more co-located than a between-cluster
    pair: 0.683 for employment levels, 0.654 for shares; establishments 0.687 and 0.664),
    so the default (``relatedness.colocation_transform``) is DPS's level.

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "region_id": ["a", "a", "b", "b", "c", "c"],
    ...     "industry_code": ["x", "y", "x", "y", "x", "y"],
    ...     "employment": [1.0, 2.0, 2.0, 4.0, 3.0, 6.0],
    ... })
    >>> round(float(colocation(table).loc["x", "y"]), 12)
    1.0
    """
    if transform not in COLOCATION_TRANSFORMS:
        raise UserError(
            f"params.yaml: relatedness.colocation_transform is '{transform}'; use "
            + ", ".join(COLOCATION_TRANSFORMS)
        )
    matrix, _, industries = _region_industry_matrix(employment, value)
    if transform == "share":
        region_total = matrix.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            matrix = np.where(region_total > 0, matrix / region_total, 0.0)
    return _square(_correlation(matrix), industries)


def coagglomeration(
    employment: pd.DataFrame,
    value: str = "employment",
    region_total: pd.Series | None = None,
) -> pd.DataFrame:
    """Ellison, Glaeser & Kerr (2010) pairwise coagglomeration index.

    Parameters
    ----------
    employment : DataFrame
        Canonical employment table for one year and one industry level.
    value : str
        Column measured ('employment').
    region_total : Series, optional
        Each region's aggregate size (index region_id), e.g. its all-industry total row; by
        default the sum of ``value`` over the industries of the table.

    Returns
    -------
    DataFrame
        Industry x industry index, symmetric, diagonal NaN.

    Notes
    -----
    With s_mi = e_mi / e_i industry i's share in region m and x_m region m's share of
    aggregate employment (Ellison & Glaeser 1997, eq. 8 for two industries; Ellison, Glaeser
    & Kerr 2010, *Am. Econ. Rev.* 100(3), eq. 1):

        gamma_ij = sum_m (s_mi - x_m)(s_mj - x_m) / (1 - sum_m x_m^2)

    computed as one matrix product of the centred share matrix. It shares the raw-
    concentration parts G and sum x_m^2 with :mod:`pipeline.measures.concentration`.

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "region_id": ["a", "b", "a", "b"],
    ...     "industry_code": ["x", "x", "y", "y"],
    ...     "employment": [3.0, 1.0, 3.0, 1.0],
    ... })
    >>> round(float(coagglomeration(table, region_total=pd.Series({"a": 1.0, "b": 1.0})).loc["x", "y"]), 4)
    0.25
    """
    matrix, regions, industries = _region_industry_matrix(employment, value)
    if region_total is None:
        size = matrix.sum(axis=1)
    else:
        size = region_total.reindex(regions).fillna(0.0).to_numpy(dtype="float64")
    x = size / size.sum()
    industry_total = matrix.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(industry_total > 0, matrix / industry_total, np.nan)
    centred = np.nan_to_num(shares - x[:, None], nan=0.0)
    gamma = centred.T @ centred / (1.0 - np.sum(x * x))
    absent = industry_total[0] <= 0
    gamma[absent, :] = np.nan
    gamma[:, absent] = np.nan
    return _square(gamma, industries)


# --------------------------------------------------------------------------------------------
# input-output


def _pivot(table: pd.DataFrame, rows: str, columns: str, value: str) -> pd.DataFrame:
    return table.pivot_table(index=rows, columns=columns, values=value, aggfunc="sum").fillna(0.0)


def industry_flows(
    use: pd.DataFrame, make: pd.DataFrame, margin_prefixes: Iterable[str] = ()
) -> tuple[pd.DataFrame, pd.Series]:
    """Industry x industry intermediate flows from a Use and a Make table (market shares).

    Parameters
    ----------
    use : DataFrame
        commodity_code, industry_code, value: industry j's purchases of commodity c
        (intermediate block only).
    make : DataFrame
        industry_code, commodity_code, value: industry i's output of commodity c.
    margin_prefixes : iterable of str
        Commodity codes starting with one of these are dropped from ``use`` before the
        flows are built (trade margins; see Notes).

    Returns
    -------
    flows : DataFrame
        Supplier industry (rows) x buyer industry (columns), in the tables' unit.
    output : Series
        Each industry's gross output, the row sums of the Make table.

    Notes
    -----
    Fixed product-sales-structure ("market shares", industry-technology) assumption (Miller
    & Blair 2009, *Input-Output Analysis*, 2nd ed., section 5.3; Eurostat 2008, *Manual of
    Supply, Use and Input-Output Tables*, model D): each commodity is supplied by the
    industries that make it in proportion to their shares of its output,

        D_ic = V_ic / q_c,   q_c = sum_i V_ic,   F = D U,

    so F_ij = sum_c D_ic U_cj is what industry j buys from industry i. Commodities nobody
    makes (BEA's noncomparable imports, used goods) have no supplier and drop out. Negative
    Use cells (BEA accounting adjustments, 8 of the 49,667 embedded cells) count as 0. A
    producer-price Use table records wholesale and retail margins as purchases of the trade
    commodities, which links the trade industries to nearly everything; ``margin_prefixes``
    drops those rows, so the trade industries keep their purchases but have no sales links.
    On the default dataset keeping them separates DPS's traded clusters better (AUC 0.767
    against 0.742 without 42, 44, 45, 4B), so none are dropped by default.
    """
    prefixes = tuple(margin_prefixes)
    kept = use[~use["commodity_code"].astype(str).str.startswith(prefixes)] if prefixes else use
    use_matrix = _pivot(kept, "commodity_code", "industry_code", "value").clip(lower=0.0)
    make_matrix = _pivot(make, "industry_code", "commodity_code", "value").clip(lower=0.0)
    output = make_matrix.sum(axis=1)
    commodity_output = make_matrix.sum(axis=0)
    market_share = make_matrix.loc[:, commodity_output > 0] / commodity_output[commodity_output > 0]
    commodities = market_share.columns.intersection(use_matrix.index)
    flows = market_share[commodities] @ use_matrix.loc[commodities]
    industries = output.index.union(flows.columns)
    flows = flows.reindex(index=industries, columns=industries, fill_value=0.0)
    return flows, output.reindex(industries, fill_value=0.0)


def input_output_links(
    flows: pd.DataFrame,
    total_inputs: pd.Series | None = None,
    total_outputs: pd.Series | None = None,
) -> pd.DataFrame:
    """DPS's input-output link IO_ij: the largest of the four input and output shares.

    Parameters
    ----------
    flows : DataFrame
        Square supplier (rows) x buyer (columns) flows, same codes on both axes.
    total_inputs, total_outputs : Series, optional
        Each industry's total inputs and total output (e.g. gross output for both, which
        includes value added and final sales). By default the column and row sums of
        ``flows`` (intermediate inputs and sales only).

    Returns
    -------
    DataFrame
        Industry x industry IO_ij, symmetric, with the diagonal kept: IO_ii is the
        industry's own share max(F_ii / in_i, F_ii / out_i) (used for industries that share
        one input-output code, see :func:`input_output`).

    Notes
    -----
    DPS (2016, section 3.1): with Input_ij = F_ji / in_i the share of i's inputs bought from
    j and Output_ij = F_ij / out_i the share of i's output sold to j,

        IO_ij = max(Input_ij, Input_ji, Output_ij, Output_ji).

    With gross output as both denominators this is max(F_ij, F_ji) / min(g_i, g_j).

    Examples
    --------
    >>> flows = pd.DataFrame([[0.0, 2.0], [1.0, 0.0]], index=["a", "b"], columns=["a", "b"])
    >>> output = pd.Series({"a": 10.0, "b": 4.0})
    >>> float(input_output_links(flows, output, output).loc["a", "b"])
    0.5
    """
    codes = flows.index
    if not flows.columns.equals(codes):
        flows = flows.reindex(index=codes.union(flows.columns), columns=codes.union(flows.columns))
        flows = flows.fillna(0.0)
        codes = flows.index
    f = flows.to_numpy(dtype="float64")
    inputs = total_inputs.reindex(codes) if total_inputs is not None else flows.sum(axis=0)
    outputs = total_outputs.reindex(codes) if total_outputs is not None else flows.sum(axis=1)
    inputs = inputs.to_numpy(dtype="float64")
    outputs = outputs.to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse_in = np.where(inputs > 0, 1.0 / inputs, 0.0)
        inverse_out = np.where(outputs > 0, 1.0 / outputs, 0.0)
    input_share = f.T * inverse_in[:, None]  # Input_ij = F_ji / in_i
    output_share = f * inverse_out[:, None]  # Output_ij = F_ij / out_i
    links = np.maximum.reduce([input_share, input_share.T, output_share, output_share.T])
    return pd.DataFrame(links, index=codes.astype(str), columns=codes.astype(str))


def _member_weights(
    crosswalk: pd.DataFrame, codes: Sequence[str], weight: pd.Series
) -> tuple[np.ndarray, list[str]]:
    """codes x io-codes matrix: each code's io codes weighted by ``weight``, rows sum to 1.

    A code whose io codes all have zero weight takes them in equal parts.
    """
    pairs = crosswalk.loc[
        crosswalk["industry_code"].isin(codes) & crosswalk["io_code"].isin(weight.index),
        ["industry_code", "io_code"],
    ].drop_duplicates()
    pairs["weight"] = weight.reindex(pairs["io_code"]).clip(lower=0.0).to_numpy()
    total = pairs.groupby("industry_code")["weight"].transform("sum")
    count = pairs.groupby("industry_code")["weight"].transform("size")
    pairs["weight"] = np.where(total > 0, pairs["weight"] / total.where(total > 0), 1.0 / count)
    io_codes = sorted(pairs["io_code"].unique())
    row = pd.Series(np.arange(len(codes)), index=list(codes))
    column = pd.Series(np.arange(len(io_codes)), index=io_codes)
    matrix = np.zeros((len(codes), len(io_codes)))
    matrix[row[pairs["industry_code"]].to_numpy(), column[pairs["io_code"]].to_numpy()] = pairs[
        "weight"
    ].to_numpy()
    return matrix, io_codes


def input_output(
    use: pd.DataFrame,
    make: pd.DataFrame,
    crosswalk: pd.DataFrame,
    codes: Iterable[str],
    margin_prefixes: Iterable[str] = (),
) -> pd.DataFrame:
    """DPS's input-output links between industry codes, from a Use and a Make table.

    Parameters
    ----------
    use, make : DataFrame
        As in :func:`industry_flows` (BEA 2012 detail tables:
        :func:`pipeline.sources.linkages.read_bea_use` and ``read_bea_make``).
    crosswalk : DataFrame
        industry_code (the dataset's codes, e.g. six-digit NAICS 2017), io_code (the tables'
        industry codes, e.g. BEA detail); many-to-many.
    codes : iterable of str
        The industry codes of the result (e.g. the dataset's six-digit industries).
    margin_prefixes : iterable of str
        Commodity code prefixes treated as trade margins (see :func:`industry_flows`).

    Returns
    -------
    DataFrame
        codes x codes IO links, symmetric, diagonal NaN; NaN rows for codes the crosswalk
        does not reach.

    Notes
    -----
    1. Flows F between the tables' industries by market shares (:func:`industry_flows`);
       IO links L between them with gross output g as both denominators
       (:func:`input_output_links`), IO_bc = max(F_bc, F_cb) / min(g_b, g_c).
    2. Codes take the links of their io codes: with W the codes x io-codes matrix whose row
       i holds the gross-output shares of the io codes i maps to (1 for the usual single
       code; BEA construction by type of structure, owner- vs tenant-occupied housing and
       federal vs state/local government split a NAICS code over several),

           IO_ij = sum_b sum_c W_ib W_jc L_bc   (IO = W L W'),

       so the members of one BEA code share its links, and a pair inside one BEA code gets
       that code's own self-use share L_bb (max of F_bb / g_b over its inputs and output):
       the tables cannot tell its members apart, and what a BEA industry buys from itself is
       mostly trade among those members.

    Examples
    --------
    >>> use = pd.DataFrame({"commodity_code": ["A", "B"], "industry_code": ["B", "A"],
    ...                     "value": [5.0, 1.0]})
    >>> make = pd.DataFrame({"industry_code": ["A", "B"], "commodity_code": ["A", "B"],
    ...                      "value": [10.0, 20.0]})
    >>> crosswalk = pd.DataFrame({"industry_code": ["1", "2"], "io_code": ["A", "B"]})
    >>> float(input_output(use, make, crosswalk, ["1", "2"]).loc["1", "2"])
    0.5
    """
    codes = [str(code) for code in codes]
    flows, output = industry_flows(use, make, margin_prefixes)
    links = input_output_links(flows, output, output)
    weights, io_codes = _member_weights(crosswalk, codes, output)
    block = links.reindex(index=io_codes, columns=io_codes).fillna(0.0).to_numpy()
    result = weights @ block @ weights.T
    reached = weights.sum(axis=1) > 0
    result[~reached, :] = np.nan
    result[:, ~reached] = np.nan
    return _square(result, codes)


def input_output_from_flows(
    flows: pd.DataFrame, codes: Iterable[str], output: pd.Series | None = None
) -> pd.DataFrame:
    """IO links from a user's industry x industry flow table in the data's own codes.

    Parameters
    ----------
    flows : DataFrame
        Long table supplier_code, buyer_code, value
        (:func:`pipeline.sources.linkages.read_input_output_table`).
    codes : iterable of str
        Industry codes of the result.
    output : Series, optional
        Gross output by code, the denominators of both shares; by default each code's
        intermediate purchases (inputs) and sales (outputs) in the table.

    Returns
    -------
    DataFrame
        codes x codes IO_ij (:func:`input_output_links`), diagonal NaN; NaN for codes not in
        the table.
    """
    codes = [str(code) for code in codes]
    square = _pivot(flows, "supplier_code", "buyer_code", "value")
    table_codes = square.index.union(square.columns)
    square = square.reindex(index=table_codes, columns=table_codes, fill_value=0.0)
    links = input_output_links(square, output, output)
    result = links.reindex(index=codes, columns=codes).to_numpy(dtype="float64")
    return _square(result, codes)


# --------------------------------------------------------------------------------------------
# occupations


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
    return _pivot(table, "industry_code", "occupation_code", "share")


def occupation_similarity(
    occupations: pd.DataFrame,
    codes: Iterable[str],
    prefix_map: pd.DataFrame | None = None,
    method: str = "correlation",
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
    >>> float(occupation_similarity(occ, ["111110", "211120"]).loc["111110", "211120"])
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
        similarity = _correlation(matrix)
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
    return _square(padded[np.ix_(index, index)], codes)


# --------------------------------------------------------------------------------------------
# every measure of a dataset


def relatedness_measures(
    employment: pd.DataFrame,
    settings: RelatednessSettings,
    *,
    use: pd.DataFrame | None = None,
    make: pd.DataFrame | None = None,
    crosswalk: pd.DataFrame | None = None,
    flows: pd.DataFrame | None = None,
    occupations: pd.DataFrame | None = None,
    prefix_map: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Every relatedness measure the inputs allow, over the industries of ``employment``.

    Parameters
    ----------
    employment : DataFrame
        Canonical employment table, one year and one level (the dataset's finest).
    settings : RelatednessSettings
        params.yaml ``relatedness``.
    use, make, crosswalk : DataFrame, optional
        BEA-style Use and Make tables and their crosswalk to the dataset's codes (US data).
    flows : DataFrame, optional
        A user's input-output table in the dataset's codes (used when ``use`` is not given).
    occupations, prefix_map : DataFrame, optional
        Industry x occupation matrix and the code recoding into its vintage.

    Returns
    -------
    dict of name -> DataFrame
        colocation_employment, colocation_establishments (when establishments are given),
        coagglomeration, and input_output and occupation when their tables are given; each
        indexed by the sorted industry codes of ``employment``.
    """
    codes = sorted(employment["industry_code"].astype(str).unique())
    transform = settings.colocation_transform
    measures = {"colocation_employment": colocation(employment, "employment", transform)}
    if "establishments" in employment.columns and employment["establishments"].notna().any():
        measures["colocation_establishments"] = colocation(employment, "establishments", transform)
    measures["coagglomeration"] = coagglomeration(employment, "employment")
    if use is not None and make is not None and crosswalk is not None:
        measures["input_output"] = input_output(
            use, make, crosswalk, codes, settings.margin_prefixes
        )
    elif flows is not None:
        measures["input_output"] = input_output_from_flows(flows, codes)
    if occupations is not None:
        measures["occupation"] = occupation_similarity(
            occupations, codes, prefix_map, settings.occupation_method
        )
    return {name: matrix.reindex(index=codes, columns=codes) for name, matrix in measures.items()}


# --------------------------------------------------------------------------------------------
# combination and publication


def _off_diagonal(matrix: pd.DataFrame) -> np.ndarray:
    values = matrix.to_numpy(dtype="float64")
    mask = ~np.eye(len(values), dtype=bool) & ~np.isnan(values)
    return values[mask]


def standardise(matrix: pd.DataFrame, method: str = "zscore") -> pd.DataFrame:
    """Standardise a relatedness matrix over its off-diagonal pairs.

    Parameters
    ----------
    matrix : DataFrame
        Square, symmetric relatedness matrix (its upper triangle is read: each pair once).
    method : {'zscore', 'percentile'}
        'zscore': (x - mean) / sd over the defined pairs i < j (population sd; DPS 2016
        combine measures standardised to mean 0 and sd 1); 'percentile': the pair's rank
        among them (ties averaged) divided by their number, in (0, 1] (robust to the long
        right tail of IO shares).

    Returns
    -------
    DataFrame
        Same shape; NaN stays NaN, the diagonal is NaN.

    Examples
    --------
    >>> m = pd.DataFrame([[np.nan, 1.0, 2.0], [1.0, np.nan, 3.0], [2.0, 3.0, np.nan]])
    >>> standardise(m).round(4).iloc[0].tolist()
    [nan, -1.2247, 0.0]
    """
    if method not in STANDARDISATIONS:
        raise UserError(
            f"params.yaml: relatedness.standardise is '{method}'; use zscore or percentile"
        )
    values = matrix.to_numpy(dtype="float64")
    upper = np.triu_indices(len(values), k=1)
    pool = values[upper]
    defined = ~np.isnan(pool)
    scores = np.full(pool.shape, np.nan)
    if defined.any():
        kept = pool[defined]
        if method == "zscore":
            sd = kept.std()
            scores[defined] = (kept - kept.mean()) / sd if sd > 0 else 0.0
        else:
            scores[defined] = pd.Series(kept).rank(method="average").to_numpy() / kept.size
    result = np.full(values.shape, np.nan)
    result[upper] = scores
    result.T[upper] = scores
    return pd.DataFrame(result, index=matrix.index, columns=matrix.columns)


def combined_relatedness(
    measures: Mapping[str, pd.DataFrame],
    weights: Mapping[str, float],
    method: str = "zscore",
) -> pd.DataFrame:
    """Weighted mean of the standardised measures available for each pair.

    Parameters
    ----------
    measures : mapping of name -> DataFrame
        Square relatedness matrices (any codes; aligned on the union).
    weights : mapping of name -> float
        Weight of each measure (params.yaml ``relatedness.weights``); a weight for a measure
        not in ``measures`` is ignored, a measure without a weight is an error.
    method : {'zscore', 'percentile'}
        Standardisation of each measure (:func:`standardise`).

    Returns
    -------
    DataFrame
        Square combined relatedness, symmetric, diagonal NaN; NaN where no measure with a
        positive weight is defined.

    Notes
    -----
    R_ij = sum_m w_m z^m_ij 1[z^m_ij defined] / sum_m w_m 1[z^m_ij defined]: the weights are
    renormalised over the measures a pair has, so a pair without input-output data is
    judged on the others (DPS 2016 average their standardised measures).

    Examples
    --------
    >>> a = pd.DataFrame([[np.nan, 1.0], [1.0, np.nan]], index=["x", "y"], columns=["x", "y"])
    >>> b = pd.DataFrame([[np.nan, np.nan], [np.nan, np.nan]], index=["x", "y"], columns=["x", "y"])
    >>> float(combined_relatedness({"a": a, "b": b}, {"a": 1, "b": 1}).loc["x", "y"])
    0.0
    """
    unweighted = sorted(set(measures) - set(weights))
    if unweighted:
        raise UserError(
            f"params.yaml: relatedness.weights has no weight for {', '.join(unweighted)}; "
            "add one (0 leaves the measure out)"
        )
    negative = sorted(name for name, w in weights.items() if w < 0)
    if negative:
        raise UserError(
            f"params.yaml: relatedness.weights for {', '.join(negative)} is negative; use >= 0"
        )
    codes = pd.Index([])
    for matrix in measures.values():
        codes = codes.union(matrix.index.astype(str))
    codes = codes.astype(str)
    numerator = np.zeros((len(codes), len(codes)))
    denominator = np.zeros((len(codes), len(codes)))
    for name, matrix in measures.items():
        weight = float(weights[name])
        if weight == 0:
            continue
        aligned = matrix.copy()
        aligned.index = aligned.index.astype(str)
        aligned.columns = aligned.columns.astype(str)
        z = standardise(aligned, method).reindex(index=codes, columns=codes).to_numpy()
        defined = ~np.isnan(z)
        numerator += np.where(defined, weight * z, 0.0)
        denominator += np.where(defined, weight, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        combined = np.where(denominator > 0, numerator / denominator, np.nan)
    return _square(combined, list(codes))


def relatedness_table(
    measures: Mapping[str, pd.DataFrame], combined: pd.DataFrame, top_k: int | None = None
) -> pd.DataFrame:
    """Long table of industry pairs: each measure, the combined score and its rank.

    Parameters
    ----------
    measures : mapping of name -> DataFrame
        The raw (unstandardised) measures, one column each.
    combined : DataFrame
        :func:`combined_relatedness` output.
    top_k : int, optional
        Keep each industry's ``top_k`` most related industries (by ``combined``); None keeps
        every pair with a combined score.

    Returns
    -------
    DataFrame
        industry_code, related_code, one column per measure, combined, rank (1 = most
        related to ``industry_code``; ties broken by related_code). Both directions of a
        pair appear, since the top links of each industry differ.

    Examples
    --------
    >>> c = pd.DataFrame([[np.nan, 2.0, 1.0], [2.0, np.nan, 0.0], [1.0, 0.0, np.nan]],
    ...                  index=["x", "y", "z"], columns=["x", "y", "z"])
    >>> relatedness_table({"m": c}, c, top_k=1)[["industry_code", "related_code", "rank"]].values.tolist()
    [['x', 'y', 1], ['y', 'x', 1], ['z', 'x', 1]]
    """
    if top_k is not None and top_k < 1:
        raise UserError(
            f"params.yaml: relatedness.top_k is {top_k}; use a positive integer or null"
        )
    codes = combined.index.astype(str)
    values = combined.to_numpy(dtype="float64").copy()
    np.fill_diagonal(values, np.nan)
    rows, cols = np.nonzero(~np.isnan(values))
    table = pd.DataFrame(
        {
            "industry_code": codes[rows].to_numpy(dtype=object),
            "related_code": codes[cols].to_numpy(dtype=object),
            "combined": values[rows, cols],
        }
    )
    table = table.sort_values(
        ["industry_code", "combined", "related_code"], ascending=[True, False, True]
    )
    table["rank"] = table.groupby("industry_code").cumcount() + 1
    if top_k is not None:
        table = table[table["rank"] <= top_k]
    table = table.reset_index(drop=True)
    for name, matrix in measures.items():
        aligned = matrix.copy()
        aligned.index = aligned.index.astype(str)
        aligned.columns = aligned.columns.astype(str)
        aligned = aligned.reindex(index=codes, columns=codes).to_numpy(dtype="float64")
        position = pd.Series(np.arange(len(codes)), index=codes)
        i = position.reindex(table["industry_code"]).to_numpy()
        j = position.reindex(table["related_code"]).to_numpy()
        table[name] = aligned[i, j]
    columns = ["industry_code", "related_code", *measures, "combined", "rank"]
    table["industry_code"] = table["industry_code"].astype(str)
    table["related_code"] = table["related_code"].astype(str)
    table["rank"] = table["rank"].astype("int32")
    return table[columns]


def within_between(relatedness: pd.DataFrame, clusters: pd.Series) -> dict[str, float]:
    """Mean relatedness within and between the clusters of a partition (a validity check).

    Parameters
    ----------
    relatedness : DataFrame
        Square relatedness matrix.
    clusters : Series
        Cluster label by industry code (e.g. the benchmark clusters of traded industries);
        only codes in both are used.

    Returns
    -------
    dict
        within (mean over off-diagonal pairs in the same cluster), between (pairs in
        different clusters), auc (probability that a random within-cluster pair is more
        related than a random between-cluster pair, the Mann-Whitney statistic U / (n_w n_b);
        0.5 = no signal, ties count one half; comparable across measures of any scale),
        coverage (share of the labelled codes with at least one defined pair) and n_codes.

    Examples
    --------
    >>> m = pd.DataFrame([[np.nan, 1.0, 0.0], [1.0, np.nan, 0.0], [0.0, 0.0, np.nan]],
    ...                  index=list("abc"), columns=list("abc"))
    >>> within_between(m, pd.Series({"a": 1, "b": 1, "c": 2}))["within"]
    1.0
    """
    labels = clusters.copy()
    labels.index = labels.index.astype(str)
    relatedness = relatedness.copy()
    relatedness.index = relatedness.index.astype(str)
    relatedness.columns = relatedness.columns.astype(str)
    codes = [code for code in labels.index if code in relatedness.index]
    values = relatedness.reindex(index=codes, columns=codes).to_numpy(dtype="float64").copy()
    np.fill_diagonal(values, np.nan)
    label = labels.reindex(codes).to_numpy()
    same = label[:, None] == label[None, :]
    defined = ~np.isnan(values)
    upper = np.triu(np.ones_like(same), k=1) & defined
    within, between = values[upper & same], values[upper & ~same]
    auc = np.nan
    if within.size and between.size:
        ranks = pd.Series(np.concatenate([within, between])).rank(method="average").to_numpy()
        auc = (ranks[: within.size].sum() - within.size * (within.size + 1) / 2) / (
            within.size * between.size
        )
    return {
        "within": float(within.mean()) if within.size else np.nan,
        "between": float(between.mean()) if between.size else np.nan,
        "auc": float(auc),
        "coverage": float(defined.any(axis=1).sum() / max(len(labels), 1)),
        "n_codes": len(codes),
    }
