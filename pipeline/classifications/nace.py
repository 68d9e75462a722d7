"""NACE Rev.2 / OKVED2 sections: structure, technology intensity, goods production, clusters.

Section-level sources (ONS BRES by SIC 2007 section, Rosstat by OKVED2 section) carry one
letter per industry. SIC 2007 is NACE Rev.2 with UK subclasses, and OKVED2 (OK 029-2014)
is harmonised with NACE Rev.2 down to classes, so the 21 section letters and the 88
two-digit divisions mean the same in all three. The structure (sections, their titles and
divisions) is data: ``nace_r2_sections.csv`` in the classifications folder, read once per
folder by :func:`read_nace_sections`; every function here that needs it takes that table
(``section_table``) or reads it from the folder params.yaml names.

What section-level data can and cannot say
------------------------------------------
* **Technology is diluted.** Section C mixes low-tech food and clothing with high-tech
  pharmaceuticals (21) and electronics (26): only 2 of its 24 divisions are Eurostat
  high-tech manufacturing (C_HTC). A region specialised in aircraft, cars or medicines
  shows only 'manufacturing'. Most high-tech knowledge-intensive services (KIS_HTC: 59-63
  and 72) sit in J (5 of 6 divisions) and M (R&D, 1 of 7), so a J or M specialisation is
  the only technology signal sections carry, and it mixes software and telecoms with
  publishing (58), or R&D with law and accounting (69-71).
* **A 'technology' label on sections is coarse.** The technology intensity below is the
  share of a section's divisions (or, when weights are given, of its division employment)
  in the chosen Eurostat aggregates. It ranks sections (J >> M > C > the rest) but cannot
  tell a semiconductor region from a food-processing one inside C. Use it to label
  clusters as technology / industrial-production / other only at this grain, and say so.
* **Clusters are sections.** The US benchmark clusters (Delgado, Porter & Stern 2016) are
  built from six-digit industries linked by co-location, input-output and occupation
  ties; none of that is visible at section level. Each section is therefore its own
  'cluster' (:func:`section_clusters`), typed traded or local by the share of its US
  employment in traded benchmark clusters (below), and a 'regional cluster' of sections is
  a broad specialisation (e.g. manufacturing across the West Midlands), not a cluster in
  Porter's sense.
* **It can** show broad specialisation (LQs of 19 sections), the industrial core of a
  region (B-E), and, for Rosstat, the mix of industrial output; spatial statistics on
  40 or 83 regions work but have little power.

Traded and local sections
-------------------------
Traded industries sell across regions and concentrate where they have an advantage; local
ones serve the resident population and are spread in proportion to it (Porter 2003;
Delgado, Porter & Stern 2016, *J. Econ. Geogr.* 16(1)). The section types below follow the
share of US private employment (CBP 2019, the 933 metro/micro areas) in the 51 traded
benchmark clusters, with NAICS industries bridged to NACE sections by
:data:`NAICS_TO_NACE_SECTION` (:func:`us_traded_share_by_section`):

======= ===== =====  =======================================================
section share type   note
======= ===== =====  =======================================================
A       1.00  traded CBP covers forestry, fishing and farm support only
B       1.00  traded
C       0.90  traded
D       0.18  local  distribution outweighs generation and transmission
E       0.23  local
F       0.08  local
G       0.22  local  retail outweighs wholesale
H       0.60  traded
I       0.14  local
J       0.78  traded
K       0.55  traded
L       0.02  local
M       0.74  traded
N       0.20  local
O       --    local  government, outside CBP; serves residents
P       0.61  local  CBP is private only, where universities dominate; in
                     BRES and Rosstat public schools make P mostly local
Q       0.00  local
R       0.52  traded marginal: destination recreation, casinos, museums
S       0.02  local
T, U    --    local  households; extraterritorial bodies (negligible)
======= ===== =====  =======================================================

Goods-producing sections
------------------------
:func:`section_technology` flags the sections params.yaml ``label.production_sections``
names: A-E, agriculture (A) and Eurostat's "industry (except construction)" B-E, matching
``label.production_sectors`` for NAICS (11, 21, 22, 31-33: farming, mining, utilities,
manufacturing; construction 23 left out).
Construction (F) produces goods but on site for local demand; the cluster-policy typology
behind ``industrial-production`` (Russian Cluster Observatory, HSE ISSEK) counts
manufacturing, mining and energy, not building, so F is left out by default.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classifications.tables import (
    EUROSTAT_DIVISIONS_FILE,
    NACE_SECTIONS_FILE,
    read_code_table,
    tables_dir,
)
from pipeline.errors import UserError

SECTION_COLUMNS = ["section", "division_from", "division_to", "title"]
# Deepest code of each classification of the NACE family: NACE classes have 4 digits,
# OKVED 2 sub-classes 6.
NACE_MAX_DIGITS = {"nace_r2": 4, "okved2": 6}
EUROSTAT_TOTAL = "TOTAL"

# Traded / local type of each section (see the module docstring for the evidence).
SECTION_CLUSTER_TYPES: dict[str, str] = {
    "A": "traded",
    "B": "traded",
    "C": "traded",
    "D": "local",
    "E": "local",
    "F": "local",
    "G": "local",
    "H": "traded",
    "I": "local",
    "J": "traded",
    "K": "traded",
    "L": "local",
    "M": "traded",
    "N": "local",
    "O": "local",
    "P": "local",
    "Q": "local",
    "R": "traded",
    "S": "local",
    "T": "local",
    "U": "local",
}

# NAICS code prefix -> NACE Rev.2 section, longest prefix first. Approximate at this grain
# (e.g. auto repair 8111 is NACE 45.2 in G, libraries 519120 are 91 in R); used only to
# document the traded share of each section from US data.
NAICS_TO_NACE_SECTION: tuple[tuple[str, str], ...] = (
    ("5415", "J"),  # computer systems design -> 62 computer programming
    ("2213", "E"),  # water, sewage -> 36-37
    ("562", "E"),  # waste management and remediation -> 38-39
    ("532", "N"),  # rental and leasing -> 77
    ("11", "A"),
    ("21", "B"),
    ("22", "D"),
    ("23", "F"),
    ("31", "C"),
    ("32", "C"),
    ("33", "C"),
    ("42", "G"),
    ("44", "G"),
    ("45", "G"),
    ("48", "H"),
    ("49", "H"),
    ("51", "J"),
    ("52", "K"),
    ("53", "L"),
    ("54", "M"),
    ("55", "M"),  # head offices -> 70.1
    ("56", "N"),
    ("61", "P"),
    ("62", "Q"),
    ("71", "R"),
    ("72", "I"),
    ("81", "S"),
    ("92", "O"),
)

DIVISION_COLUMNS = ["nace_r2_division", "eurostat_aggregate_code"]


@functools.lru_cache(maxsize=8)
def _read_sections(path: Path) -> pd.DataFrame:
    sections = read_code_table(path, SECTION_COLUMNS)
    return pd.DataFrame(
        {
            "section": sections["section"].astype(str).to_numpy(),
            "section_name": sections["title"].astype(str).to_numpy(),
            "division_from": sections["division_from"].astype(int).to_numpy(),
            "division_to": sections["division_to"].astype(int).to_numpy(),
        }
    )


def read_nace_sections(directory: str | Path | None = None) -> pd.DataFrame:
    """The 21 NACE Rev. 2 sections and the divisions each spans (read once per folder).

    Parameters
    ----------
    directory : str or Path, optional
        Classification tables folder (default: the one params.yaml names).

    Returns
    -------
    DataFrame
        section (A-U), section_name (the NACE title), division_from, division_to (int):
        ``nace_r2_sections.csv``, Eurostat (2008), *NACE Rev. 2 - Statistical
        classification of economic activities*, table of sections.
    """
    return _read_sections(tables_dir(directory) / NACE_SECTIONS_FILE).copy()


def _section_table(section_table: pd.DataFrame | None) -> pd.DataFrame:
    return read_nace_sections() if section_table is None else section_table


def nace_divisions(
    directory: str | Path | None = None, section_table: pd.DataFrame | None = None
) -> dict[str, str]:
    """NACE Rev. 2 division (two digits) -> its section letter (88 divisions, 21 sections).

    Examples
    --------
    >>> divisions = nace_divisions()
    >>> len(divisions), divisions["26"], divisions["72"]
    (88, 'C', 'M')
    """
    table = read_nace_sections(directory) if section_table is None else section_table
    return {
        f"{division:02d}": section
        for section, first, last in zip(
            table["section"], table["division_from"], table["division_to"], strict=True
        )
        for division in range(int(first), int(last) + 1)
    }


def section_of_division(division: str, section_table: pd.DataFrame | None = None) -> str:
    """NACE Rev.2 section letter of a two-digit division code.

    ``section_table`` is :func:`read_nace_sections` output (read when not given).

    Examples
    --------
    >>> section_of_division("26"), section_of_division("72"), section_of_division("05")
    ('C', 'M', 'B')
    """
    try:
        number = int(str(division))
    except ValueError as error:
        raise UserError(f"NACE division '{division}' is not a two-digit number") from error
    table = _section_table(section_table)
    for section, first, last in zip(
        table["section"], table["division_from"], table["division_to"], strict=True
    ):
        if first <= number <= last:
            return str(section)
    raise UserError(f"NACE division '{division}' is not a NACE Rev.2 division (01-99)")


def nace_level(codes: pd.Series) -> pd.Series:
    """Level of NACE Rev. 2 codes as Eurostat writes them: 0 TOTAL, 1 section (C), 2 division
    (C10), 3 group, 4 class.

    Aggregates (B-E, M_N ...) get level 1.

    Examples
    --------
    >>> nace_level(pd.Series(["TOTAL", "C", "C10", "C101", "C1011", "B-E"])).tolist()
    [0, 1, 2, 3, 4, 1]
    """
    codes = codes.astype(str)
    digit_count = codes.str.extract(r"^[A-U](\d*)$")[0].str.len()
    level = digit_count.where(digit_count > 0, 1).fillna(1)
    return level.where(codes != EUROSTAT_TOTAL, 0).astype("int8")


def division_aggregates(
    eurostat: pd.DataFrame, section_table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """All 88 NACE Rev.2 divisions with their section and Eurostat technology aggregate.

    Parameters
    ----------
    eurostat : DataFrame
        ``eurostat_nace_r2_tech_knowledge_intensity.csv`` read with ``dtype=str``: the 72
        manufacturing and service divisions with ``eurostat_aggregate_code`` (C_HTC,
        C_MHTC, C_MLTC, C_LTC, KIS_HTC, KIS_FIN, KIS_MKT_OTH, KIS_OTH, LKIS_MKT, LKIS_OTH).
    section_table : DataFrame, optional
        :func:`read_nace_sections` output (read when not given).

    Returns
    -------
    DataFrame
        division (two digits), section, eurostat_aggregate_code: one row per division of
        the NACE structure; divisions of A, B, D, E and F, which Eurostat's technology
        and knowledge-intensity aggregation does not cover, have a null aggregate.
    """
    missing = [column for column in DIVISION_COLUMNS if column not in eurostat.columns]
    if missing:
        raise UserError(f"NACE divisions table: missing column(s) {', '.join(missing)}")
    section_of = nace_divisions(section_table=_section_table(section_table))
    codes = eurostat["nace_r2_division"].astype(str).str.zfill(2)
    listed = pd.Series(eurostat["eurostat_aggregate_code"].to_numpy(), index=codes.to_numpy())
    if listed.index.duplicated().any():
        repeated = listed.index[listed.index.duplicated()][0]
        raise UserError(f"NACE divisions table: division {repeated} appears twice")
    if "nace_r2_section" in eurostat.columns:
        stated = eurostat["nace_r2_section"].fillna("").astype(str).to_numpy()
        for code, section in zip(codes, stated, strict=True):
            if section and section != section_of.get(code):
                raise UserError(
                    f"NACE divisions table: division {code} is in section "
                    f"{section_of_division(code, section_table)}, not {section}"
                )
    divisions = list(section_of)
    unknown = sorted(set(listed.index) - set(divisions))
    if unknown:
        raise UserError(f"NACE divisions table: '{unknown[0]}' is not a NACE Rev.2 division")
    return pd.DataFrame(
        {
            "division": divisions,
            "section": [section_of[code] for code in divisions],
            "eurostat_aggregate_code": listed.reindex(divisions).to_numpy(),
        }
    )


def read_division_aggregates(directory: str | Path | None = None) -> pd.DataFrame:
    """Read the Eurostat division table of the classifications folder (default: the one
    params.yaml names) and return :func:`division_aggregates` of it."""
    path = tables_dir(directory) / EUROSTAT_DIVISIONS_FILE
    eurostat = read_code_table(path)
    try:
        return division_aggregates(eurostat, read_nace_sections(directory))
    except UserError as error:
        raise UserError(f"{path}: {error}") from error


def section_technology(
    divisions: pd.DataFrame,
    *,
    technology_aggregates: tuple[str, ...] | list[str],
    production_sections: tuple[str, ...] | list[str],
    division_weights: Mapping[str, float] | pd.Series | None = None,
    section_table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Technology intensity and goods production of each NACE section.

    Parameters
    ----------
    divisions : DataFrame
        :func:`division_aggregates` output.
    technology_aggregates : sequence of str
        Eurostat aggregates whose divisions count as technology (params.yaml
        ``label.section_technology_aggregates``: C_HTC and KIS_HTC, high-tech
        manufacturing and high-tech knowledge-intensive services, Eurostat's HTC).
    production_sections : sequence of str
        Sections flagged goods-producing (``label.production_sections``: A-E; see the
        module docstring).
    division_weights : mapping or Series, optional
        Weight of each two-digit division (e.g. its employment in a reference economy).
        Divisions without a weight count 0. Default: every division weighs 1.
    section_table : DataFrame, optional
        :func:`read_nace_sections` output (read when not given): the sections and names.

    Returns
    -------
    DataFrame
        section, section_name, n_divisions, n_technology_divisions, technology_share,
        goods_producing; one row per section A-U.

    Notes
    -----
    technology_share_s = sum_{d in s, d technology} w_d / sum_{d in s} w_d, with w_d = 1
    by default (the share of the section's divisions that are technology divisions).
    Unweighted, it is 2/24 for C, 5/6 for J, 1/7 for M and 0 elsewhere. Division counts
    approximate employment shares only roughly: Rosstat's 2019 national employment puts
    R&D (72) at 854.6 of 2,826.9 thousand in M (30 %, against 1/7). No division-level
    employment for the EU or GB is embedded, so counts are the default; pass
    ``division_weights`` when such weights are available. A section whose divisions all
    weigh 0 gets a NaN share.

    Examples
    --------
    >>> table = pd.DataFrame({"nace_r2_division": ["21", "26", "62", "72"],
    ...                       "eurostat_aggregate_code": ["C_HTC", "C_HTC", "KIS_HTC", "KIS_HTC"]})
    >>> shares = section_technology(
    ...     division_aggregates(table),
    ...     technology_aggregates=["C_HTC", "KIS_HTC"],
    ...     production_sections=["A", "B", "C", "D", "E"],
    ... ).set_index("section")
    >>> shares.loc[["C", "J", "M", "F"], "technology_share"].round(4).tolist()
    [0.0833, 0.1667, 0.1429, 0.0]
    """
    chosen = divisions["eurostat_aggregate_code"].isin(list(technology_aggregates))
    if division_weights is None:
        weight = pd.Series(1.0, index=divisions.index)
    else:
        given = pd.Series(division_weights, dtype="float64")
        given.index = given.index.astype(str).str.zfill(2)
        if (given < 0).any():
            raise UserError("section technology: division weights must not be negative")
        weight = divisions["division"].map(given).fillna(0.0).astype("float64")
    frame = pd.DataFrame(
        {
            "section": divisions["section"].to_numpy(),
            "weight": weight.to_numpy(),
            "technology_weight": weight.where(chosen, 0.0).to_numpy(),
            "technology_division": chosen.to_numpy(),
        }
    )
    summary = frame.groupby("section", sort=True).agg(
        n_divisions=("weight", "size"),
        n_technology_divisions=("technology_division", "sum"),
        weight=("weight", "sum"),
        technology_weight=("technology_weight", "sum"),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        share = summary["technology_weight"] / summary["weight"].where(summary["weight"] > 0)
    table = _section_table(section_table)
    sections = pd.Index(table["section"].astype(str), name="section")
    summary = summary.reindex(sections)
    return pd.DataFrame(
        {
            "section": sections.astype(str),
            "section_name": table["section_name"].astype(str).to_numpy(),
            "n_divisions": summary["n_divisions"].fillna(0).astype("int64").to_numpy(),
            "n_technology_divisions": summary["n_technology_divisions"]
            .fillna(0)
            .astype("int64")
            .to_numpy(),
            "technology_share": share.reindex(sections).astype("float64").to_numpy(),
            "goods_producing": sections.isin(list(production_sections)),
        }
    )


def technology_sections(technology: pd.DataFrame, share_min: float) -> list[str]:
    """Sections whose technology share is at least ``share_min`` (e.g. ['J'] at 0.5).

    The result can stand in for NAICS prefixes in
    :class:`pipeline.clusters.labels.ClusterLabeller`, which matches codes by prefix: a
    one-letter prefix matches exactly that section.
    """
    chosen = technology.loc[technology["technology_share"] >= share_min, "section"]
    return sorted(chosen.astype(str))


def section_clusters(
    sections: pd.Series | list[str],
    cluster_types: Mapping[str, str] | None = None,
    section_table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each NACE / OKVED2 section as its own cluster, typed traded or local.

    Parameters
    ----------
    sections : sequence of str
        Industry codes of a section-level table; codes that are not section letters
        (the total '00') are left out, as unmapped codes are by
        :func:`pipeline.classifications.benchmark_clusters.industry_clusters`.
    cluster_types : mapping, optional
        Section -> 'traded' or 'local'; default :data:`SECTION_CLUSTER_TYPES`.
    section_table : DataFrame, optional
        :func:`read_nace_sections` output (read when not given): the section names.

    Returns
    -------
    DataFrame
        industry_code, cluster_code (the section letter), cluster_name (NACE title),
        cluster_type, mapped_via ('section'), sorted by industry_code: the columns of
        :func:`~pipeline.classifications.benchmark_clusters.industry_clusters`.

    Examples
    --------
    >>> section_clusters(["00", "C", "G"])[["industry_code", "cluster_type"]].values.tolist()
    [['C', 'traded'], ['G', 'local']]
    """
    types = dict(SECTION_CLUSTER_TYPES if cluster_types is None else cluster_types)
    wrong = sorted({value for value in types.values()} - {"traded", "local"})
    if wrong:
        raise UserError(f"section cluster types must be 'traded' or 'local', not {wrong}")
    names = _section_table(section_table).set_index("section")["section_name"]
    codes = sorted(set(pd.Series(list(sections), dtype=str)) & set(names.index))
    untyped = [code for code in codes if code not in types]
    if untyped:
        raise UserError(f"section cluster types: no type for section '{untyped[0]}'")
    return pd.DataFrame(
        {
            "industry_code": pd.Series(codes, dtype=str),
            "cluster_code": pd.Series(codes, dtype=str),
            "cluster_name": pd.Series([names[c] for c in codes], dtype=str),
            "cluster_type": pd.Series([types[c] for c in codes], dtype=str),
            "mapped_via": pd.Series(["section"] * len(codes), dtype=str),
        }
    )


def naics_section(naics_codes: pd.Series) -> pd.Series:
    """Approximate NACE Rev.2 section of NAICS codes (longest prefix of the bridge wins).

    Examples
    --------
    >>> naics_section(pd.Series(["541511", "541110", "221310", "336411", "921110"])).tolist()
    ['J', 'M', 'E', 'C', 'O']
    """
    codes = naics_codes.astype(str)
    section = pd.Series(pd.NA, index=codes.index, dtype="str")
    for prefix, letter in NAICS_TO_NACE_SECTION:
        section = section.mask(section.isna() & codes.str.startswith(prefix), letter)
    return section


def us_traded_share_by_section(
    industry_employment: pd.DataFrame, industry_clusters: pd.DataFrame
) -> pd.DataFrame:
    """Share of each NACE section's US employment in traded benchmark clusters.

    Parameters
    ----------
    industry_employment : DataFrame
        industry_code (six-digit NAICS), employment: e.g. CBP summed over regions.
    industry_clusters : DataFrame
        industry_code, cluster_type (benchmark clusters of those codes).

    Returns
    -------
    DataFrame
        section, traded_employment, local_employment, traded_share =
        traded / (traded + local); codes without a cluster or a section are left out.
    """
    mapped = industry_employment[["industry_code", "employment"]].merge(
        industry_clusters[["industry_code", "cluster_type"]], on="industry_code", how="inner"
    )
    mapped["section"] = naics_section(mapped["industry_code"])
    mapped = mapped.dropna(subset=["section"])
    by_type = mapped.pivot_table(
        index="section", columns="cluster_type", values="employment", aggfunc="sum", fill_value=0.0
    )
    traded = by_type.get("traded", pd.Series(0.0, index=by_type.index)).astype("float64")
    local = by_type.get("local", pd.Series(0.0, index=by_type.index)).astype("float64")
    return pd.DataFrame(
        {
            "section": by_type.index.astype(str),
            "traded_employment": traded.to_numpy(),
            "local_employment": local.to_numpy(),
            "traded_share": (traded / (traded + local)).to_numpy(),
        }
    )
