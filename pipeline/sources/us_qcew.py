"""BLS QCEW annual averages for US states -> the canonical employment table, with BLS's LQ convention.

The Quarterly Census of Employment and Wages (QCEW) counts every job covered by
unemployment insurance, by state, ownership and NAICS industry; its annual averages are the
mean of twelve monthly counts. This module reads the state "area slices" (area_fips
``SS000``, 50 states and DC) of one or more years.

BLS's location-quotient convention
----------------------------------
BLS publishes, next to each cell, its location quotient ``lq_annual_avg_emplvl``:

    LQ_ri = (e_ri / e_r) / (e_i / E)

with e_ri the employment of industry i *in the cell's own ownership* in state r (private,
own_code 5, for the NAICS detail used here), e_r the state's **all-industry, all-ownership**
total (own_code 0, industry 10: federal, state and local government included), e_i the same
industry and ownership in the whole US, and E the US all-industry, all-ownership total. "The
reference industry is always the all-industry, all-ownerships total for the local area, and for
the nation" (BLS, "QCEW location quotients explained", bls.gov/cew/about-data/
location-quotients-explained.htm). The published values are rounded to two decimals.

The canonical table therefore holds private-ownership rows for NAICS levels 2-6 and, as its
total row ('00', level 0), the all-ownership total. The project's standard LQ
(:func:`pipeline.measures.specialization.location_quotients` with ``denominator='all'``)
computes e_i and E as sums over the states in the table. Summed over the 50 states and DC
those match BLS's US figures, so the standard LQ reproduces BLS's wherever every state's cell
is published: for 2019, 28,146 of those 28,148 cells lie within +-0.01 (the mean gap, 0.0025,
is BLS's rounding; the two misses, DC's 81394 and 813940 at LQ 29.5, are off by 0.0102).

Suppressed cells and why agreement over all disclosed cells is lower
--------------------------------------------------------------------
BLS withholds cells that would disclose an employer (``disclosure_code`` 'N'; the file holds
0 there). The US total behind BLS's LQ still contains those jobs, but a sum over states of the
published cells does not: for an industry suppressed in some states, the summed e_i falls short
of the true US figure and every other state's LQ of that industry comes out too high. Read
as is, suppressed cells keep a null employment and the flag 'suppressed' (never a zero), and
only about two thirds of all disclosed cells then match BLS within +-0.01.

:func:`pipeline.sources.withheld_qcew.estimate_suppressed_employment` (QCEW's priors for
the one residual-allocation engine, :mod:`pipeline.sources.residual_allocation`; re-exported
here) fills suppressed cells from the hierarchy instead of
reading BLS's LQs back (``employment_flag`` 'imputed'). QCEW is a census without noise, so a
parent cell equals the sum of its children up to the rounding of annual averages; the
difference between a parent and its disclosed children in a state (the residual) is what the
suppressed children hold. The residual is split among them in proportion to a weight (option
``weight_method``, one of :data:`WEIGHT_METHODS`; e.g. the cell's establishment count, which
BLS publishes even for suppressed cells, times the industry's national mean establishment
size), after each has
received the disclosed jobs already known beneath it; so the estimates sum to the residual and
never exceed it. Parents are filled before children (private total -> domain -> supersector
-> NAICS sector -> 3-6 digits), so a suppressed parent passes its estimate down. The national
e_i then becomes the sum over states of disclosed and estimated cells, close to the US figure.

Measured on 2019 (81,981 published private cells, 28,148 of them in the 554 industries
disclosed in every state): within +-0.01 of BLS's LQ are 99.99 % of the fully disclosed cells
with or without estimates (they do not change those industries), and 67.8 % of all disclosed
cells without estimates against 86.2 % with them. The remaining misses are industries whose
suppressed share is large and cells with high LQs, where +-0.01 asks for e_i within a fraction
of a percent; only the US totals themselves could close that gap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classifications.codes import TOTAL_CODE
from pipeline.classifications.naics import naics_parent
from pipeline.errors import UserError
from pipeline.sources import us_geography, us_states
from pipeline.sources.schema import IngestResult, canonical_employment, read_raw_parquet
from pipeline.sources.withheld_qcew import (  # noqa: F401  (re-exported: QCEW priors moved)
    WEIGHT_METHODS,
    estimate_suppressed_employment,
    sibling_weights,
)

QCEW_FILE = "qcew_state_naics_2019.parquet"
COUNTIES_FILE = "us_counties_2010_20m.geojson"
ADJACENCY_FILE = "county_adjacency_2023.csv"

QCEW_COLUMNS = [
    "area_fips",
    "own_code",
    "industry_code",
    "agglvl_code",
    "year",
    "disclosure_code",
    "annual_avg_estabs",
    "annual_avg_emplvl",
]
PUBLISHED_LQ_COLUMNS = ["lq_disclosure_code", "lq_annual_avg_emplvl"]
KEYS = ["year", "region_id", "industry_code"]

SUPPRESSED_CODE = "N"
OWN_ALL = "0"  # total covered: every ownership
OWN_PRIVATE = "5"
ALL_INDUSTRIES = "10"  # QCEW's all-industry code (the canonical table uses TOTAL_CODE '00')
AGGLVL_STATE_TOTAL = "50"  # state, all ownerships, all industries
AGGLVL_OWNERSHIP_TOTAL = "51"  # state, one ownership, all industries
AGGLVL_DOMAIN = "52"  # 101 goods-producing, 102 service-providing
AGGLVL_SUPERSECTOR = "53"  # 1011 ... 1029
NAICS_LEVEL_OF_AGGLVL = {"54": 2, "55": 3, "56": 4, "57": 5, "58": 6}

# BLS's high-level aggregation above NAICS sectors ("QCEW high-level industries",
# bls.gov/cew/classifications/industry/high-level-industries.htm).
SUPERSECTOR_OF_SECTOR = {
    "11": "1011",
    "21": "1011",
    "23": "1012",
    "31-33": "1013",
    "22": "1021",
    "42": "1021",
    "44-45": "1021",
    "48-49": "1021",
    "51": "1022",
    "52": "1023",
    "53": "1023",
    "54": "1024",
    "55": "1024",
    "56": "1024",
    "61": "1025",
    "62": "1025",
    "71": "1026",
    "72": "1026",
    "81": "1027",
    "99": "1029",
}
DOMAIN_OF_SUPERSECTOR = {
    "1011": "101",
    "1012": "101",
    "1013": "101",
    "1021": "102",
    "1022": "102",
    "1023": "102",
    "1024": "102",
    "1025": "102",
    "1026": "102",
    "1027": "102",
    "1029": "102",
}
# Depth in the private hierarchy used for the estimates: 0 private total, 1 domain,
# 2 supersector, 3..7 NAICS levels 2..6.
DEPTH_OF_AGGLVL = {
    AGGLVL_OWNERSHIP_TOTAL: 0,
    AGGLVL_DOMAIN: 1,
    AGGLVL_SUPERSECTOR: 2,
    **{agglvl: level + 1 for agglvl, level in NAICS_LEVEL_OF_AGGLVL.items()},
}


def qcew_parent_code(industry_code: str, agglvl_code: str) -> str | None:
    """The code of the private-hierarchy parent of a QCEW industry (None for the total).

    Examples
    --------
    >>> qcew_parent_code("336411", "58"), qcew_parent_code("336", "55")
    ('33641', '31-33')
    >>> qcew_parent_code("31-33", "54"), qcew_parent_code("1013", "53")
    ('1013', '101')
    """
    depth = DEPTH_OF_AGGLVL.get(agglvl_code)
    if depth is None or depth == 0:
        return None
    if agglvl_code == AGGLVL_DOMAIN:
        return ALL_INDUSTRIES
    if agglvl_code == AGGLVL_SUPERSECTOR:
        return DOMAIN_OF_SUPERSECTOR.get(industry_code)
    if NAICS_LEVEL_OF_AGGLVL[agglvl_code] == 2:
        return SUPERSECTOR_OF_SECTOR.get(industry_code)
    return naics_parent(industry_code)


def private_hierarchy(qcew: pd.DataFrame) -> pd.DataFrame:
    """Private-ownership cells of every state with their parent, ready for the estimates.

    Parameters
    ----------
    qcew : DataFrame
        QCEW state rows with at least :data:`QCEW_COLUMNS`.

    Returns
    -------
    DataFrame
        year, region_id (2-digit state FIPS), industry_code, parent_code (null for the
        private total), depth (0 total .. 7 six-digit NAICS), employment (NaN where
        suppressed), establishments, suppressed (bool), sorted by depth.
    """
    private = qcew[
        (qcew["own_code"] == OWN_PRIVATE) & qcew["agglvl_code"].isin(list(DEPTH_OF_AGGLVL))
    ]
    suppressed = (private["disclosure_code"] == SUPPRESSED_CODE).to_numpy()
    employment = private["annual_avg_emplvl"].astype("float64").to_numpy()
    parents = [
        qcew_parent_code(code, agglvl)
        for code, agglvl in zip(private["industry_code"], private["agglvl_code"], strict=True)
    ]
    cells = pd.DataFrame(
        {
            "year": private["year"].astype("int16").to_numpy(),
            "region_id": us_states.state_of_county(private["area_fips"]).to_numpy(),
            "industry_code": private["industry_code"].astype(str).to_numpy(),
            "parent_code": pd.Series(parents, dtype="str"),
            "depth": private["agglvl_code"].map(DEPTH_OF_AGGLVL).astype("int8").to_numpy(),
            "employment": np.where(suppressed, np.nan, employment),
            "establishments": private["annual_avg_estabs"].astype("float64").to_numpy(),
            "suppressed": suppressed,
        }
    )
    return cells.sort_values(["depth", *KEYS], ignore_index=True)


def read_qcew(path: Path) -> pd.DataFrame:
    """Read a QCEW state extract (Parquet) and check its columns; codes stay strings."""
    qcew = read_raw_parquet(path)
    missing = [column for column in QCEW_COLUMNS if column not in qcew.columns]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)}; expected the BLS QCEW annual "
            f"layout ({', '.join(QCEW_COLUMNS)})"
        )
    for column in ["area_fips", "own_code", "industry_code", "agglvl_code", "disclosure_code"]:
        qcew[column] = qcew[column].astype("str").where(qcew[column].notna())
    return qcew


def qcew_state_employment(
    qcew: pd.DataFrame, *, estimate_suppressed: bool, weight_method: str
) -> pd.DataFrame:
    """Turn QCEW state rows into the canonical employment table in BLS's LQ convention.

    Parameters
    ----------
    qcew : DataFrame
        BLS QCEW annual-average rows for states (area_fips ``SS000``), with
        :data:`QCEW_COLUMNS`.
    estimate_suppressed : bool
        Fill suppressed cells with :func:`estimate_suppressed_employment` (flag 'imputed');
        if False they keep a null employment (flag 'suppressed').
    weight_method : str
        How a residual is split among suppressed siblings (:data:`WEIGHT_METHODS`).

    Returns
    -------
    DataFrame
        The canonical table: region_id (2-digit state FIPS); industry rows are private
        ownership (own_code 5) at NAICS levels 2-6 (range sectors '31-33', '44-45', '48-49'
        at level 2); the total row ('00', level 0) is the all-ownership, all-industry total
        (own_code 0, industry 10), BLS's LQ denominator. classification 'naics2017'.
    """
    totals = qcew[(qcew["own_code"] == OWN_ALL) & (qcew["agglvl_code"] == AGGLVL_STATE_TOTAL)]
    if totals.empty:
        raise UserError(
            "QCEW: no all-ownership state totals (own_code 0, agglvl_code 50); keep them in the "
            "extract, they are BLS's LQ denominator"
        )
    if (totals["disclosure_code"] == SUPPRESSED_CODE).any():
        raise UserError("QCEW: a state all-ownership total is suppressed; it cannot be an LQ base")
    cells = private_hierarchy(qcew)
    if estimate_suppressed:
        employment = estimate_suppressed_employment(cells, method=weight_method)
    else:
        employment = cells["employment"]
    flag = np.where(
        ~cells["suppressed"], "reported", np.where(employment.notna(), "imputed", "suppressed")
    )
    naics = (cells["depth"] >= DEPTH_OF_AGGLVL["54"]).to_numpy()
    industries = pd.DataFrame(
        {
            "region_id": cells["region_id"],
            "industry_code": cells["industry_code"],
            "industry_level": cells["depth"] - (DEPTH_OF_AGGLVL["54"] - 2),
            "year": cells["year"],
            "employment": employment,
            "establishments": cells["establishments"],
            "employment_flag": flag,
        }
    )[naics]
    total_rows = pd.DataFrame(
        {
            "region_id": us_states.state_of_county(totals["area_fips"]).to_numpy(),
            "industry_code": TOTAL_CODE,
            "industry_level": 0,
            "year": totals["year"].to_numpy(),
            "employment": totals["annual_avg_emplvl"].astype("float64").to_numpy(),
            "establishments": totals["annual_avg_estabs"].astype("float64").to_numpy(),
            "employment_flag": "reported",
        }
    )
    return canonical_employment(
        pd.concat([total_rows, industries], ignore_index=True).assign(classification="naics2017")
    )


def published_lq(qcew: pd.DataFrame) -> pd.DataFrame:
    """BLS's published employment LQs of the private NAICS cells (levels 2-6).

    Returns
    -------
    DataFrame
        region_id, industry_code, year, bls_lq: one row per cell whose LQ BLS discloses.
    """
    missing = [column for column in PUBLISHED_LQ_COLUMNS if column not in qcew.columns]
    if missing:
        raise UserError(
            f"QCEW: missing column(s) {', '.join(missing)}; keep BLS's LQ columns in the extract"
        )
    published = qcew[
        (qcew["own_code"] == OWN_PRIVATE)
        & qcew["agglvl_code"].isin(list(NAICS_LEVEL_OF_AGGLVL))
        & (qcew["lq_disclosure_code"].fillna("") != SUPPRESSED_CODE)
        & qcew["lq_annual_avg_emplvl"].notna()
    ]
    return pd.DataFrame(
        {
            "region_id": us_states.state_of_county(published["area_fips"]).to_numpy(),
            "industry_code": published["industry_code"].astype(str).to_numpy(),
            "year": published["year"].astype("int16").to_numpy(),
            "bls_lq": published["lq_annual_avg_emplvl"].astype("float64").to_numpy(),
        }
    ).sort_values(KEYS, ignore_index=True)


def read_published_lq(raw: Path) -> pd.DataFrame:
    """BLS's published LQs from the raw folder's QCEW extract (see :func:`published_lq`)."""
    return published_lq(read_qcew(Path(raw) / QCEW_FILE))


# Two-decimal values such as 0.31 are not exact in binary; without this slack a difference
# of exactly the tolerance could count as outside it.
FLOAT_SLACK = 1e-9


def bls_lq_agreement(
    location_quotients: pd.DataFrame, published: pd.DataFrame, tolerance: float = 0.01
) -> dict:
    """How many of our LQs are within +-tolerance of BLS's published LQs.

    Parameters
    ----------
    location_quotients : DataFrame
        region_id, industry_code, year, lq (and industry_level): the output of
        :func:`pipeline.measures.specialization.location_quotients`.
    published : DataFrame
        region_id, industry_code, year, bls_lq: :func:`read_published_lq`.
    tolerance : float
        Largest absolute difference that counts as agreement (BLS rounds to 0.01).

    Returns
    -------
    dict
        tolerance;
        industries_fully_disclosed: (year, industry) pairs with every state's cell published;
        cells_fully_disclosed, within_fully_disclosed, share_fully_disclosed: over the
        cells of those industries;
        cells_disclosed, within_disclosed, share_disclosed: over every published cell;
        max_abs_difference_fully_disclosed.
        A published cell with no finite LQ of ours counts as a miss.

    Notes
    -----
    An industry with a suppressed state has an LQ row for that state (null or imputed
    employment) but no published LQ there, so it is not fully disclosed.
    """
    ours = location_quotients
    if "industry_level" in ours.columns:
        ours = ours[ours["industry_level"] > 0]
    ours = ours[KEYS + ["lq"]].assign(year=lambda frame: frame["year"].astype("int16"))
    cells = ours.merge(published[KEYS + ["bls_lq"]], on=KEYS, how="outer")
    cells["published"] = cells["bls_lq"].notna()
    fully = cells.groupby(["year", "industry_code"])["published"].transform("all")
    difference = (cells["lq"] - cells["bls_lq"]).abs()
    within = (difference <= tolerance + FLOAT_SLACK) & cells["published"]
    disclosed = cells["published"]
    in_full = disclosed & fully
    full_pairs = cells.loc[in_full, ["year", "industry_code"]].drop_duplicates()

    def share(hits: pd.Series, among: pd.Series) -> float:
        return float(hits[among].mean()) if among.any() else float("nan")

    return {
        "tolerance": float(tolerance),
        "industries_fully_disclosed": int(len(full_pairs)),
        "cells_fully_disclosed": int(in_full.sum()),
        "within_fully_disclosed": int((within & in_full).sum()),
        "share_fully_disclosed": share(within, in_full),
        "cells_disclosed": int(disclosed.sum()),
        "within_disclosed": int(within.sum()),
        "share_disclosed": share(within, disclosed),
        "max_abs_difference_fully_disclosed": float(difference[in_full].max())
        if in_full.any()
        else float("nan"),
    }


def ingest_qcew_states(raw: Path, *, estimate_suppressed: bool, weight_method: str) -> IngestResult:
    """QCEW states: employment in BLS's LQ convention, state boundaries and contiguity.

    Parameters
    ----------
    raw : Path
        Folder holding :data:`QCEW_FILE`, :data:`COUNTIES_FILE` and :data:`ADJACENCY_FILE`.
    estimate_suppressed, weight_method
        params.yaml ``datasets.<name>.options``, see :func:`qcew_state_employment`.

    Returns
    -------
    IngestResult
        employment (canonical table), regions (50 states and DC: the union of their
        counties), weights (states whose counties touch; Alaska and Hawaii are isolates).
    """
    raw = Path(raw)
    for name in (QCEW_FILE, COUNTIES_FILE, ADJACENCY_FILE):
        if not (raw / name).exists():
            raise UserError(f"{raw / name}: not found; the dataset's raw folder must hold {name}")
    qcew = read_qcew(raw / QCEW_FILE)
    try:
        employment = qcew_state_employment(
            qcew, estimate_suppressed=estimate_suppressed, weight_method=weight_method
        )
    except UserError as error:
        raise UserError(f"{raw / QCEW_FILE}: {error}") from error
    region_ids = pd.Index(sorted(employment["region_id"].unique()), dtype=str)
    counties = us_geography.read_county_geometry(raw / COUNTIES_FILE)
    regions = us_states.state_regions(counties, region_ids)
    known = regions.loc[regions.geometry.notna() & ~regions.geometry.is_empty, "region_id"]
    adjacency = us_states.read_adjacency(raw / ADJACENCY_FILE)
    weights = us_states.state_contiguity(adjacency, known)
    return IngestResult(employment, regions, weights)
