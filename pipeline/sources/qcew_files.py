"""Reader for BLS Quarterly Census of Employment and Wages (QCEW) annual-average CSV files.

Reads the NAICS-based annual layout (BLS, "QCEW Field Layouts for NAICS-Based, Annual CSV
Files"): the open-data slices (``data.bls.gov/cew/data/api/YYYY/a/area/XXXXX.csv`` and
``.../industry/CODE.csv``), the ``YYYY_annual_singlefile`` and the by-area / by-industry
files (which add five ``*_title`` columns and, in older files, call the establishment count
``annual_avg_estabs_count``). Columns used: ``area_fips, own_code, industry_code,
agglvl_code, size_code, year, qtr ('A'), disclosure_code, annual_avg_estabs,
annual_avg_emplvl``.

``disclosure_code == 'N'`` marks a cell whose employment and wages are not disclosed (BLS
writes 0); it becomes a null employment flagged 'suppressed'. Establishment counts are
published for every cell, including the undisclosed ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classifications.codes import TOTAL_CODE
from pipeline.errors import UserError
from pipeline.sources.cbp_files import first_line
from pipeline.sources.generic import folder_boundaries, ingest_generic
from pipeline.sources.schema import IngestResult, canonical_employment, first_repeated

QCEW_COLUMNS = [
    "area_fips",
    "own_code",
    "industry_code",
    "agglvl_code",
    "size_code",
    "year",
    "qtr",
    "disclosure_code",
    "annual_avg_estabs",
    "annual_avg_emplvl",
]
ESTABLISHMENTS_ALIAS = "annual_avg_estabs_count"
OWNERSHIP_CODES = {
    "0": "total covered",
    "1": "federal government",
    "2": "state government",
    "3": "local government",
    "5": "private",
    "8": "total government",
}
# agglvl_code = geography (tens digit) x detail (units digit), BLS "QCEW Aggregation Level
# Codes": 1x national, 3x CSA, 4x MSA, 5x state, 7x county; x0 total, x1 total by ownership,
# x2 domain, x3 supersector, x4 NAICS sector, x5-x8 NAICS 3- to 6-digit.
# The geography digit of each area level (one table holds one level: a singlefile mixes them).
GEOGRAPHIES = {"us": "1", "csa": "3", "msa": "4", "state": "5", "county": "7"}
GEOGRAPHY_DIGITS = set(GEOGRAPHIES.values())
DETAIL_LEVELS = {"0": 0, "1": 0, "4": 2, "5": 3, "6": 4, "7": 5, "8": 6}
QCEW_TOTAL_INDUSTRY = "10"
ALL_SIZES = "0"
UNDISCLOSED = "N"
KEYS = ["region_id", "industry_code", "year"]


def qcew_naics_vintage(year: pd.Series) -> pd.Series:
    """NAICS vintage of QCEW data by year (BLS: 2022 from 2022, 2017 for 2017-2021, ...)."""
    year = year.astype(int)
    vintage = np.select(
        [year >= 2022, year >= 2017, year >= 2011, year >= 2007],
        ["naics2022", "naics2017", "naics2012", "naics2007"],
        default="naics2002",
    )
    return pd.Series(vintage, index=year.index, dtype=str)


def qcew_region_id(area_fips: pd.Series) -> pd.Series:
    """Canonical region ids from QCEW area codes.

    'US000' -> 'US'; 'SS000' (state) -> 'SS'; 'C1234' (MSA) -> CBSA '12340' (QCEW drops the
    CBSA code's trailing zero); counties 'SSCCC' and CSAs 'CS123' are kept as they are.
    """
    area = area_fips.astype(str).str.strip()
    state = area.str.fullmatch(r"\d{2}000")
    msa = area.str.fullmatch(r"C\d{4}")
    region = area.where(~state, area.str[:2])
    region = region.where(~msa, area.str[1:] + "0")
    return region.where(area != "US000", "US").astype(str)


def _number(values: pd.Series, path: Path, column: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    cleaned = values.astype(str).str.strip()
    numbers = pd.to_numeric(cleaned, errors="coerce")
    bad = numbers.isna() & (cleaned != "")
    if bad.any():
        row, line = first_line(bad)
        raise UserError(
            f"{path}: line {line}, column {column}: '{values.iloc[row]}' is not a number"
        )
    return numbers.astype("float64")


def _geography_digits(geography: str | None) -> set[str]:
    if geography is None:
        return GEOGRAPHY_DIGITS
    if geography not in GEOGRAPHIES:
        raise UserError(
            f"QCEW geography '{geography}' is unknown; use one of {', '.join(GEOGRAPHIES)}"
        )
    return {GEOGRAPHIES[geography]}


def read_qcew_csv(
    path: Path,
    ownership: str = "5",
    keep_unknown_counties: bool = False,
    geography: str | None = None,
) -> pd.DataFrame:
    """Read a QCEW annual-average CSV (area or industry slice, singlefile, by-area file).

    Parameters
    ----------
    path : Path
        The CSV (or a zip holding exactly one CSV).
    ownership : str
        ``own_code`` to keep: '5' private (default; the only ownership with detailed
        industries in most areas), '0' total covered (BLS publishes only the all-industry
        total for it), '1'/'2'/'3' federal/state/local government, '8' total government.
    keep_unknown_counties : bool
        Keep the 'SS999' "unknown or undefined" county of each state (no boundary).
    geography : {'us', 'csa', 'msa', 'state', 'county'}, optional
        Keep the areas of this level only (:data:`GEOGRAPHIES`); by default every level
        the file holds.

    Returns
    -------
    DataFrame
        The canonical employment table: region_id from :func:`qcew_region_id`, industry
        '10' (all industries) as '00' (level 0), NAICS sectors (including '31-33') at level
        2 and 3- to 6-digit codes at levels 3-6; domains and supersectors (BLS aggregates
        that are not NAICS codes) and size-class rows are left out. ``employment`` is the
        annual average of monthly employment; undisclosed cells are null and 'suppressed'.
    """
    path = Path(path)
    ownership = str(ownership)
    if ownership not in OWNERSHIP_CODES:
        raise UserError(
            f"QCEW ownership '{ownership}' is unknown; use one of "
            + ", ".join(f"{code} ({name})" for code, name in OWNERSHIP_CODES.items())
        )
    wanted = set(QCEW_COLUMNS) | {ESTABLISHMENTS_ALIAS}
    counts = {"annual_avg_estabs", "annual_avg_emplvl", ESTABLISHMENTS_ALIAS}
    try:
        raw = pd.read_csv(
            path,
            dtype={column: str for column in wanted - counts},
            keep_default_na=False,
            na_values=[],
            usecols=lambda c: c in wanted,
        )
    except FileNotFoundError as error:
        raise UserError(f"{path}: not found") from error
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as error:
        raise UserError(f"{path}: not a readable QCEW CSV ({error})") from error
    if "annual_avg_estabs" not in raw.columns and ESTABLISHMENTS_ALIAS in raw.columns:
        raw = raw.rename(columns={ESTABLISHMENTS_ALIAS: "annual_avg_estabs"})
    missing = [column for column in QCEW_COLUMNS if column not in raw.columns]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)}; expected the QCEW annual-average "
            "layout (a quarterly file has qtrly_estabs and month1_emplvl instead)"
        )
    quarterly = raw["qtr"].str.strip() != "A"
    if quarterly.any():
        row, line = first_line(quarterly)
        raise UserError(
            f"{path}: line {line}, column qtr: '{raw['qtr'].iloc[row]}'; only annual "
            "averages (qtr 'A') are read"
        )
    agglvl = raw["agglvl_code"].str.strip()
    level = agglvl.str[1].map(DETAIL_LEVELS)
    keep = (
        (raw["own_code"].str.strip() == ownership)
        & (raw["size_code"].str.strip() == ALL_SIZES)
        & agglvl.str[0].isin(_geography_digits(geography))
        & (agglvl.str.len() == 2)
        & level.notna()
    )
    if not keep_unknown_counties:
        keep &= ~raw["area_fips"].str.strip().str.fullmatch(r"\d{2}999")
    selected = raw[keep]
    industry = selected["industry_code"].str.strip()
    industry = industry.where(industry != QCEW_TOTAL_INDUSTRY, TOTAL_CODE)
    undisclosed = selected["disclosure_code"].str.strip() == UNDISCLOSED
    employment = canonical_employment(
        pd.DataFrame(
            {
                "region_id": qcew_region_id(selected["area_fips"]),
                "industry_code": industry,
                "industry_level": level[keep].to_numpy(),
                "year": selected["year"].str.strip().astype(int),
                "employment": _number(selected["annual_avg_emplvl"], path, "annual_avg_emplvl")
                .where(~undisclosed)
                .to_numpy(),
                "establishments": _number(
                    selected["annual_avg_estabs"], path, "annual_avg_estabs"
                ).to_numpy(),
                "classification": qcew_naics_vintage(selected["year"].str.strip()).to_numpy(),
                "employment_flag": np.where(undisclosed, "suppressed", "reported"),
            }
        )
    )
    first = first_repeated(employment, KEYS)
    if first is not None:
        raise UserError(
            f"{path}: area {first['region_id']}, industry {first['industry_code']}, year "
            f"{first['year']} appears twice for ownership {ownership}; the file mixes "
            "duplicated slices"
        )
    return employment


def ingest_qcew_files(
    raw: Path,
    geography: str = "county",
    ownership: str = "5",
    keep_unknown_counties: bool = False,
    id_field: str = "region_id",
) -> IngestResult:
    """QCEW annual-average CSV files in ``raw`` (as ``regclust fetch qcew`` downloads them).

    Parameters
    ----------
    raw : Path
        Folder holding one or more QCEW annual CSVs or zips (``YYYY_annual_singlefile.zip``,
        by-area files, open-data slices), one year each or several, and optionally region
        boundaries (:data:`pipeline.sources.generic.BOUNDARY_FILES`, ids in ``id_field``).
    geography, ownership, keep_unknown_counties
        See :func:`read_qcew_csv` (params.yaml ``datasets.<name>.options``); one area level
        per dataset, counties by default.
    id_field : str
        Boundary field holding the region id (county FIPS, state FIPS, CBSA code).

    Returns
    -------
    IngestResult
        :func:`pipeline.sources.generic.ingest_generic` of the files' rows and the boundaries
        (regions without a polygon are kept, with a null geometry).
    """
    raw = Path(raw)
    files = sorted(raw.glob("*.csv")) + sorted(raw.glob("*.zip"))
    if not files:
        raise UserError(
            f"{raw}: holds no QCEW CSV or zip; download one with regclust fetch qcew --year YYYY"
        )
    employment = pd.concat(
        [read_qcew_csv(path, ownership, keep_unknown_counties, geography) for path in files],
        ignore_index=True,
    )
    first = first_repeated(employment, KEYS)
    if first is not None:
        raise UserError(
            f"{raw}: area {first['region_id']}, industry {first['industry_code']}, year "
            f"{first['year']} is in two of the QCEW files; keep one file per year and area"
        )
    return ingest_generic(canonical_employment(employment), folder_boundaries(raw, id_field))
