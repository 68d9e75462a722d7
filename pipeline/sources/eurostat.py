"""Reader for Eurostat TSV data files, and their conversion to the canonical table.

A Eurostat TSV (the dissemination API's ``?format=TSV``, and the bulk download before
October 2023; optionally gzip-compressed) is tab-separated. Its first column packs the
dimensions, comma-joined, and its header names them, ending with the time dimension after a
backslash: ``unit,nace_r2,geo\\time`` (bulk) or ``freq,unit,nace_r2,geo\\TIME_PERIOD`` (API).
Each further column is a period (``2019``, ``2019Q1``, ``2019-01``; headers may carry
spaces). A cell is a number, optionally followed by a space and flag letters (``12.3 p``,
``5 bu``), or ``:`` (not available), optionally flagged (``: c`` confidential). Flags
(Eurostat codelist ``OBS_FLAG``): b break in series, c confidential, d definition differs,
e estimated, f forecast, n not significant, p provisional, r revised, s Eurostat estimate,
u low reliability, z not applicable.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classifications.codes import TOTAL_CODE
from pipeline.classifications.nace import EUROSTAT_TOTAL, nace_level
from pipeline.errors import UserError
from pipeline.sources.generic import folder_boundaries, ingest_generic
from pipeline.sources.schema import IngestResult, canonical_employment

MISSING = ":"
CONFIDENTIAL_FLAG = "c"
_CELL = re.compile(r"^\s*(?P<value>\S*)\s*(?P<flag>[A-Za-z]*)\s*$")
_ANNUAL = re.compile(r"^\d{4}$")
_GZIP_MAGIC = b"\x1f\x8b"
# NACE Rev. 2 codes as Eurostat writes them: a section letter, then 2 (division), 3 (group)
# or 4 (class) digits. Everything else (B-E, M_N, C10-C12, B-N_S95_X_K) is an aggregate.
_NACE_CODE = re.compile(r"^[A-U](\d{2,4})?$")
# NUTS codes: two-letter country, then one character per level; extra-regio codes end in Z
# (DEZ, DEZZ, DEZZZ).
NUTS_COUNTRY_LENGTH = 2
EXTRA_REGIO_SUFFIX = "Z"


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise UserError(f"{path}: not found") from error
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise UserError(f"{path}: damaged gzip file ({error}); download it again") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not UTF-8 text ({error}); not a Eurostat TSV") from error


def split_cells(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split Eurostat cells into a float value (null for ':') and the flag letters.

    '1234.5' -> (1234.5, ''); '12.3 p' -> (12.3, 'p'); ': c' -> (null, 'c'); ':' -> (null, '').
    Returns the values and flags; a cell that does not parse gives a null value and the
    flag '?' (the caller reports it).

    Examples
    --------
    >>> values, flags = split_cells(pd.Series(["12.3 p", ": c", "7"]))
    >>> values.tolist(), flags.tolist()
    ([12.3, nan, 7.0], ['p', 'c', ''])
    """
    parts = cells.fillna("").astype(str).str.extract(_CELL)
    value_text = parts["value"].fillna("")
    flag = parts["flag"].fillna("").str.lower()
    number = pd.to_numeric(value_text.where(~value_text.isin([MISSING, ""])), errors="coerce")
    unparsed = parts["value"].isna() | (number.isna() & ~value_text.isin([MISSING, ""]))
    return number.astype("float64"), flag.where(~unparsed, "?").astype(str)


def read_eurostat_tsv(path: Path) -> pd.DataFrame:
    """Read a Eurostat TSV (or .tsv.gz) into a long table.

    Parameters
    ----------
    path : Path
        The file as Eurostat serves it (gzip is detected from the content, not the name).

    Returns
    -------
    DataFrame
        One column per dimension of the key (``unit``, ``nace_r2``, ``geo`` ...; ``freq`` in
        API files), then ``period`` (str, e.g. '2019'), ``value`` (float64, null when ':')
        and ``flag`` (the flag letters, '' when none).
    """
    path = Path(path)
    text = _read_text(path)
    try:
        wide = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise UserError(f"{path}: not a Eurostat TSV ({error})") from error
    key_header = str(wide.columns[0])
    if "\\" not in key_header:
        raise UserError(
            f"{path}: first header '{key_header}' is not a Eurostat key "
            "(expected e.g. 'unit,nace_r2,geo\\time')"
        )
    dimensions = [name.strip() for name in key_header.split("\\")[0].split(",")]
    keys = wide.iloc[:, 0].str.split(",", expand=True)
    if keys.shape[1] != len(dimensions):
        raise UserError(
            f"{path}: line 2 has {keys.shape[1]} key parts for the {len(dimensions)} "
            f"dimensions {', '.join(dimensions)}"
        )
    keys.columns = dimensions
    periods = wide.iloc[:, 1:]
    periods.columns = [str(column).strip() for column in periods.columns]
    long = (
        pd.concat([keys.apply(lambda column: column.str.strip()), periods], axis=1)
        .melt(id_vars=dimensions, var_name="period", value_name="cell")
        .reset_index(drop=True)
    )
    value, flag = split_cells(long["cell"])
    if (flag == "?").any():
        row = int(np.flatnonzero((flag == "?").to_numpy())[0])
        raise UserError(
            f"{path}: period {long['period'].iloc[row]}, key "
            f"{','.join(long.loc[row, dimensions])}: cell '{long['cell'].iloc[row]}' is "
            "neither a number nor ':' (with optional flag letters)"
        )
    long = long.drop(columns="cell").assign(value=value, flag=flag)
    for dimension in dimensions + ["period", "flag"]:
        long[dimension] = long[dimension].astype(str)
    return long


@dataclass(frozen=True)
class EurostatTable:
    """How to turn one Eurostat dataset into canonical employment.

    employment / establishments : dimension -> accepted code(s) selecting the rows that hold
        the measure (several codes: the first one present in the file is used, e.g. the unit
        THS_PER of the API and THS of the old bulk files).
    multiplier : factor to persons (1000 for tables in thousands).
    """

    employment: Mapping[str, str | Sequence[str]]
    establishments: Mapping[str, str | Sequence[str]] | None = None
    multiplier: float = 1.0
    industry_dimension: str = "nace_r2"
    region_dimension: str = "geo"
    classification: str = "nace_r2"
    notes: str = field(default="", compare=False)


THOUSAND = 1000.0
PERSON_DECIMALS = 6
EUROSTAT_TABLES: dict[str, EurostatTable] = {
    # Employment by sex, age, economic activity (NACE Rev. 2 sections) and NUTS 2 (LFS),
    # thousand persons. Y_GE15 is every employed person aged 15 or over.
    "lfst_r_lfe2en2": EurostatTable(
        employment={"unit": ("THS_PER", "THS"), "sex": "T", "age": "Y_GE15"},
        multiplier=THOUSAND,
        notes="Labour Force Survey; small regional cells are sample-noisy (flag u).",
    ),
    # Structural business statistics by NUTS 2 and NACE Rev. 2 (2008-2020): V16110 persons
    # employed, V11210 local units.
    "sbs_r_nuts06_r2": EurostatTable(
        employment={"indic_sb": "V16110"},
        establishments={"indic_sb": "V11210"},
        notes="Business economy only (NACE B-N, S95); 'c' marks confidential cells.",
    ),
}


def _select(
    long: pd.DataFrame, selection: Mapping[str, str | Sequence[str]], source: str
) -> pd.DataFrame:
    mask = pd.Series(True, index=long.index)
    for dimension, accepted in selection.items():
        if dimension not in long.columns:
            raise UserError(
                f"{source}: no dimension '{dimension}' (dimensions: "
                f"{', '.join(c for c in long.columns if c not in {'period', 'value', 'flag'})})"
            )
        candidates = [accepted] if isinstance(accepted, str) else list(accepted)
        present = [code for code in candidates if (long[dimension] == code).any()]
        if not present:
            available = ", ".join(sorted(long[dimension].unique())[:20])
            raise UserError(
                f"{source}: {dimension} has none of {', '.join(candidates)} (it has {available})"
            )
        mask &= long[dimension] == present[0]
    return long[mask]


def _select_unique(
    long: pd.DataFrame,
    selection: Mapping[str, str | Sequence[str]],
    keys: list[str],
    source: str,
    measure: str,
) -> pd.DataFrame:
    selected = _select(long, selection, source)
    if selected.duplicated(keys).any():
        others = [
            column
            for column in selected.columns
            if column not in {*keys, "value", "flag", *selection} and selected[column].nunique() > 1
        ]
        raise UserError(
            f"{source}: the {measure} selection leaves several rows per region x industry x "
            f"year; also select {', '.join(others)}"
        )
    return selected


def to_canonical(
    long: pd.DataFrame,
    dataset: str | None = None,
    table: EurostatTable | None = None,
    nuts_level: int | None = 2,
    keep_aggregates: bool = False,
    keep_unavailable: bool = False,
) -> pd.DataFrame:
    """Canonical employment from a :func:`read_eurostat_tsv` table.

    Parameters
    ----------
    long : DataFrame
        Output of :func:`read_eurostat_tsv`.
    dataset : str, optional
        A dataset code in ``EUROSTAT_TABLES`` (``lfst_r_lfe2en2``, ``sbs_r_nuts06_r2``).
    table : EurostatTable, optional
        The selection for any other dataset (or to override a preset).
    nuts_level : int or None
        Keep regions of this NUTS level only (code length - 2; default 2); None keeps all,
        including country and EU aggregates. Extra-regio codes (ending in Z) are always
        dropped.
    keep_aggregates : bool
        Keep NACE aggregates such as B-E or M_N (at level 1, where they overlap the
        sections); by default only TOTAL, sections, divisions, groups and classes are kept.
    keep_unavailable : bool
        Keep ':' cells that are not confidential (no data collected) as suppressed rows; by
        default they are dropped. Confidential cells (': c') are always kept as suppressed.

    Returns
    -------
    DataFrame
        The canonical table: region_id = NUTS code, industry_code = NACE code (TOTAL as
        '00'), industry_level from :func:`nace_level`, annual periods only, employment in
        persons (value x multiplier), classification 'nace_r2'.
    """
    if table is None:
        if dataset not in EUROSTAT_TABLES:
            raise UserError(
                f"Eurostat dataset '{dataset}' has no preset; known: "
                f"{', '.join(sorted(EUROSTAT_TABLES))}; pass table=EurostatTable(...)"
            )
        table = EUROSTAT_TABLES[dataset]
    source = f"Eurostat {dataset or 'table'}"
    for dimension in [table.industry_dimension, table.region_dimension]:
        if dimension not in long.columns:
            raise UserError(f"{source}: no '{dimension}' dimension")
    annual = long[long["period"].str.match(_ANNUAL)]
    if annual.empty:
        raise UserError(f"{source}: no annual periods (YYYY); sub-annual data are not read")
    region = annual[table.region_dimension]
    keep = ~((region.str.len() > NUTS_COUNTRY_LENGTH) & region.str.endswith(EXTRA_REGIO_SUFFIX))
    if nuts_level is not None:
        keep &= region.str.len() == NUTS_COUNTRY_LENGTH + nuts_level
        keep &= ~region.str.startswith(("EU", "EA"))
    industry = annual[table.industry_dimension]
    if not keep_aggregates:
        keep &= (industry == EUROSTAT_TOTAL) | industry.str.match(_NACE_CODE)
    annual = annual[keep]
    keys = [table.region_dimension, table.industry_dimension, "period"]
    employment = _select_unique(annual, table.employment, keys, source, "employment")
    confidential = employment["value"].isna() & employment["flag"].str.contains(
        CONFIDENTIAL_FLAG, regex=False
    )
    if not keep_unavailable:
        employment = employment[employment["value"].notna() | confidential]
    frame = pd.DataFrame(
        {
            "region_id": employment[table.region_dimension],
            "industry_code": employment[table.industry_dimension],
            "period": employment["period"],
            # Rounded so that thousands x 1000 give whole persons without float residue.
            "employment": (employment["value"] * table.multiplier).round(PERSON_DECIMALS),
            "employment_flag": np.where(employment["value"].isna(), "suppressed", "reported"),
        }
    )
    if table.establishments is not None:
        establishments = _select_unique(
            annual, table.establishments, keys, source, "establishments"
        )[keys + ["value"]]
        establishments = establishments.rename(
            columns={
                table.region_dimension: "region_id",
                table.industry_dimension: "industry_code",
                "value": "establishments",
            }
        )
        frame = frame.merge(establishments, on=["region_id", "industry_code", "period"], how="left")
    else:
        frame["establishments"] = np.nan
    industry_code = frame["industry_code"].where(
        frame["industry_code"] != EUROSTAT_TOTAL, TOTAL_CODE
    )
    return canonical_employment(
        frame.assign(
            industry_code=industry_code,
            industry_level=nace_level(frame["industry_code"]),
            year=frame["period"].astype(int),
            classification=table.classification,
        )
    )


def ingest_eurostat_files(
    raw: Path,
    dataset: str,
    nuts_level: int | None = 2,
    keep_aggregates: bool = False,
    keep_unavailable: bool = False,
    id_field: str = "region_id",
) -> IngestResult:
    """A Eurostat dataset file in ``raw`` (as ``regclust fetch eurostat --code`` downloads it).

    Parameters
    ----------
    raw : Path
        Folder holding one file whose name starts with the dataset code
        (``lfst_r_lfe2en2.tsv.gz``, ``lfst_r_lfe2en2.tsv``, or the download cache's name),
        and optionally NUTS boundaries (:data:`pipeline.sources.generic.BOUNDARY_FILES`, ids
        in ``id_field``).
    dataset : str
        A dataset code of :data:`EUROSTAT_TABLES` (params.yaml ``datasets.<name>.options``).
    nuts_level, keep_aggregates, keep_unavailable
        See :func:`to_canonical`.
    id_field : str
        Boundary field holding the NUTS code (e.g. ``NUTS_ID`` in Eurostat's GISCO files).

    Returns
    -------
    IngestResult
        :func:`pipeline.sources.generic.ingest_generic` of the dataset's rows and the
        boundaries (regions without a polygon are kept, with a null geometry).
    """
    raw = Path(raw)
    files = sorted(path for path in raw.glob(f"{dataset}*") if path.is_file())
    if len(files) != 1:
        found = ", ".join(path.name for path in files) or "none"
        raise UserError(
            f"{raw}: needs one file named {dataset}* (found: {found}); download it with "
            f"regclust fetch eurostat --code {dataset}"
        )
    employment = to_canonical(
        read_eurostat_tsv(files[0]), dataset, None, nuts_level, keep_aggregates, keep_unavailable
    )
    return ingest_generic(employment, folder_boundaries(raw, id_field))
