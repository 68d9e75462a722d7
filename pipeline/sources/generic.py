"""Bring your own data: the generic employment table and region boundaries.

Any region x industry x year table can be run through regclust when it follows this schema,
one row per region x industry x year, as CSV (UTF-8, comma-separated, header row) or Parquet:

| column | type | required | meaning |
|---|---|---|---|
| `region_id` | string | yes | Region code; must match the boundaries' id field. Leading zeros are kept (write `01001`, not `1001`). |
| `industry_code` | string | yes | Industry code in the classification. The all-industry total is `00` (`TOTAL` and `_T` are read as `00`). |
| `year` | integer | yes | Reference year, four digits. |
| `employment` | number >= 0 | yes | The measured size: employment, or another measure such as shipments (the dataset's params name the measure and its unit). Empty = unknown. |
| `establishments` | number >= 0 | no | Number of establishments (local units); empty = unknown. |
| `employment_flag` | text | no | `reported` (default), `imputed` or `suppressed`; a suppressed cell has an empty employment (never a zero). |
| `industry_level` | integer | no | 0 for the total, else 1-6; derived from the classification when absent. |
| `classification` | text | no | `naics2017`, `naics2012`, `nace_r2`, `okved2` or `custom`; or pass it per file (`--classification`). |

Other columns are ignored (with a warning when a name looks like a misspelt schema column).
Header names are matched case-insensitively and stripped of spaces.

Classifications and their levels (the rules: :mod:`pipeline.classifications.hierarchy`):

* **naics2017, naics2012** (North American Industry Classification System): 2-6 digit codes;
  level = number of digits; the range sectors ``31-33``, ``44-45``, ``48-49`` are level 2.
  Known codes: the six-digit 2012 codes of the US Cluster Mapping crosswalk, the six-digit
  2017 codes that changed since 2012, all their 2-5 digit prefixes, the range sectors, and
  every code of sectors 92 (public administration) and 99 (industries not classified, used
  by County Business Patterns), which the crosswalk does not list.
* **nace_r2** (NACE Rev. 2) and **okved2** (OKVED 2, OK 029-2014, harmonised with NACE Rev. 2
  at section and division level): sections ``A``-``U`` (level 1), divisions (2 digits,
  level 2), groups and classes (3-4 digits; OKVED sub-classes up to 6). Dots are dropped
  (``10.11`` -> ``1011``) and a section letter before digits is dropped (Eurostat's ``C10``
  -> ``10``). Known codes: the 21 sections and 88 divisions of ``nace_r2_sections.csv`` (in
  the classifications folder params.yaml names) and any longer code whose first two digits
  are a known division.
* **custom**: a hierarchy table (CSV) with columns ``industry_code, parent_code, level``
  (``parent_code`` empty or ``00`` at the top); only its codes are known. An optional
  technology table (CSV, column ``industry_code``) lists the technology industries
  (:mod:`pipeline.sources.custom_classification`).

When a region-year has no total row, its total is the sum over its top-level industries
(those with no parent code in the table), flagged 'imputed' (a lower bound when industries
are missing); the summary says so.

Row numbers in messages are those a user sees: in a CSV the header is row 1 and the first
data row is row 2; in a Parquet file the first record is row 1.

This module only orchestrates: it reads a file into the canonical table (:func:`read_generic`)
and a dataset folder into the three ingest products (:func:`ingest_generic_folder`). The
parts it puts together each have a module of their own:

* :mod:`pipeline.sources.raw_table`: reading CSV / Parquet files as text;
* :mod:`pipeline.sources.raw_schema`: the columns above and the checks on their values;
* :mod:`pipeline.sources.inspection`: every problem of a file (``regclust validate``), with
  :mod:`pipeline.sources.typed_parquet` (the fast path for typed Parquet) and
  :mod:`pipeline.sources.employment_check` (the rules both paths share);
* :mod:`pipeline.sources.custom_classification`: hierarchy and technology tables;
* region boundaries: :mod:`pipeline.geography.boundaries`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from pipeline.errors import UserError
from pipeline.geography.boundaries import read_boundaries
from pipeline.geography.contiguity import empty_weights, polygon_contiguity, weights_table
from pipeline.sources.inspection import inspect_employment
from pipeline.sources.raw_schema import InputWarning, raise_first_error
from pipeline.sources.schema import EMPLOYMENT_COLUMNS, WGS84, IngestResult
from pipeline.sources.typed_parquet import NeedsTextPath, TypedScan, open_typed_scan


def read_generic(
    path: str | Path,
    classification: str | None = None,
    hierarchy: str | Path | pd.DataFrame | None = None,
    *,
    classifications_dir: Path | None = None,
) -> pd.DataFrame:
    """Read a generic employment file into the canonical employment table.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8, comma) or Parquet in the generic schema (see the module docstring).
    classification : str, optional
        naics2017, naics2012, nace_r2, okved2 or custom, unless the file has a
        ``classification`` column.
    hierarchy : path or DataFrame, optional
        Hierarchy table (industry_code, parent_code, level) of a 'custom' classification.
    classifications_dir : Path, optional
        Folder of the classification tables (default: the one params.yaml names).

    Returns
    -------
    DataFrame
        The canonical table (:data:`pipeline.sources.schema.EMPLOYMENT_COLUMNS`), with a
        derived total row for every region-year that had none. Warnings (problems that do
        not stop the pipeline) are issued as :class:`InputWarning`.

    Raises
    ------
    UserError
        On the first error, in one line naming the file, the row or column, and the fix.
    """
    check = inspect_employment(
        path,
        classification,
        hierarchy,
        classifications_dir=classifications_dir,
        source_rows=False,
    )
    raise_first_error(check.problems)
    for problem in check.problems:
        warnings.warn(problem.message, InputWarning, stacklevel=2)
    return check.employment


def zero_total_region_years(employment: pd.DataFrame) -> pd.DataFrame:
    """Region-years whose all-industry total is zero or unknown (LQs undefined there).

    Returns
    -------
    DataFrame
        region_id, year, employment (0.0 or null), sorted.
    """
    totals = employment.loc[employment["industry_level"] == 0, ["region_id", "year", "employment"]]
    undefined = totals["employment"].isna() | (totals["employment"] == 0)
    return totals[undefined].sort_values(["region_id", "year"], ignore_index=True)


def drop_zero_total_regions(employment: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the region-years whose total employment is zero or unknown.

    The location quotient (e_ri / e_r) / (e_i / E) is undefined when e_r = 0, so such
    region-years are left out of LQs; dropping them changes no other region's LQ because
    their industries hold no employment either (e_ri <= e_r).

    Returns
    -------
    kept : DataFrame
        ``employment`` without those region-years.
    dropped : DataFrame
        region_id, year, employment of the dropped totals.
    """
    dropped = zero_total_region_years(employment)
    if dropped.empty:
        return employment.reset_index(drop=True), dropped
    marker = dropped[["region_id", "year"]].assign(_dropped=True)
    flagged = employment.merge(marker, on=["region_id", "year"], how="left")
    kept = employment[flagged["_dropped"].isna().to_numpy()].reset_index(drop=True)
    return kept, dropped


def ingest_generic(
    employment: pd.DataFrame, boundaries: gpd.GeoDataFrame | None = None
) -> IngestResult:
    """The three ingest products from a generic employment table and optional boundaries.

    Parameters
    ----------
    employment : DataFrame
        The canonical table (:func:`read_generic`).
    boundaries : GeoDataFrame, optional
        :func:`read_boundaries` output (region_id, name, geometry in EPSG:4326).

    Returns
    -------
    IngestResult
        employment without the region-years whose total is zero or unknown; regions with one
        row per region of the table (name '<id> (boundary unknown)' and a null geometry when
        the boundaries lack it); queen contiguity weights between the regions that have a
        geometry (:func:`pipeline.geography.contiguity.polygon_contiguity`).
    """
    kept, _dropped = drop_zero_total_regions(employment)
    regions, weights = _regions_and_weights(sorted(employment["region_id"].unique()), boundaries)
    return IngestResult(kept, regions, weights)


def _regions_and_weights(
    region_ids: list[str], boundaries: gpd.GeoDataFrame | None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """regions.parquet (one row per region id) and queen contiguity between those placed."""
    region_ids = pd.DataFrame({"region_id": region_ids}, dtype="str")
    if boundaries is None:
        boundaries = gpd.GeoDataFrame(
            {"region_id": pd.Series([], dtype="str"), "name": pd.Series([], dtype="str")},
            geometry=gpd.GeoSeries([], crs=WGS84),
        )
    regions = region_ids.merge(
        pd.DataFrame(boundaries[["region_id", "name", "geometry"]]), on="region_id", how="left"
    )
    unknown = regions["name"].isna()
    regions.loc[unknown, "name"] = regions.loc[unknown, "region_id"] + " (boundary unknown)"
    regions = gpd.GeoDataFrame(regions, geometry="geometry", crs=WGS84)
    placed = regions[regions.geometry.notna() & ~regions.geometry.is_empty]
    weights = empty_weights() if placed.empty else weights_table(polygon_contiguity(placed))
    return regions[["region_id", "name", "geometry"]], weights


EMPLOYMENT_ARROW_SCHEMA = pyarrow.schema(
    [
        ("region_id", pyarrow.large_string()),
        ("industry_code", pyarrow.large_string()),
        ("industry_level", pyarrow.int8()),
        ("year", pyarrow.int16()),
        ("employment", pyarrow.float64()),
        ("establishments", pyarrow.float64()),
        ("classification", pyarrow.large_string()),
        ("employment_flag", pyarrow.large_string()),
    ]
)
"""employment.parquet as Arrow (:data:`~pipeline.sources.schema.EMPLOYMENT_SCHEMA`'s types)."""


class EmploymentYears:
    """A typed Parquet employment file as the canonical table, one year at a time.

    What :func:`read_generic` returns, without the whole table in memory: ``years()``
    yields each year's canonical rows (Arrow, columns
    :data:`~pipeline.sources.schema.EMPLOYMENT_COLUMNS`, sorted by region and industry,
    years ascending), read and checked by :class:`~pipeline.sources.typed_parquet.TypedScan`.
    After the last year the file's warnings are issued (:class:`InputWarning`); an error
    raises :class:`UserError`, worded by the text path, as :func:`read_generic` does. With
    ``drop_zero_totals`` the region-years whose total is zero or unknown are left out
    (:func:`drop_zero_total_regions`, what ingest writes).
    """

    def __init__(self, scan: TypedScan, drop_zero_totals: bool = False) -> None:
        self.scan = scan
        self.drop_zero_totals = drop_zero_totals
        # called with each year's checked rows (``row`` column included) before they are
        # yielded: e.g. :func:`pipeline.validate.validate_while_reading`'s checks
        self.observers: list[Callable[[pyarrow.Table], None]] = []
        self.by_year = True  # False once the text path took over (see ``years``)

    def region_ids(self) -> list[str]:
        """The distinct region ids, sorted (every region-year, dropped ones included)."""
        return self.scan.region_ids()

    def years(self) -> Iterator[pyarrow.Table]:
        done: list[int] = []
        try:
            for year_table in self.scan.years():
                done.append(int(year_table.column("year")[0].as_py()))
                for observe in self.observers:
                    observe(year_table)
                yield self._kept(year_table.drop_columns(["row"]))
        except NeedsTextPath:
            # The text path words the problem (UserError), or reads what the fast path
            # would not (odd text): the years not yielded yet come from its table.
            self.by_year = False
            yield from self._text_path_years(done)
            return
        raise_first_error(self.scan.check.problems)
        for problem in self.scan.check.problems:
            warnings.warn(problem.message, InputWarning, stacklevel=2)

    def _kept(self, year_table: pyarrow.Table) -> pyarrow.Table:
        if not self.drop_zero_totals:
            return year_table
        total = pc.equal(year_table.column("industry_level"), 0)
        employment = year_table.column("employment")
        undefined = pc.and_(total, pc.or_(pc.is_null(employment, nan_is_null=True),
                                          pc.equal(employment, 0.0)))  # fmt: skip
        if not pc.any(undefined).as_py():
            return year_table
        dropped = year_table.column("region_id").filter(undefined)
        return year_table.filter(pc.invert(pc.is_in(year_table.column("region_id"), dropped)))

    def _text_path_years(self, done: list[int]) -> Iterator[pyarrow.Table]:
        table = read_generic(self.scan.path, self.scan.classification, self.scan.hierarchy,
                             classifications_dir=self.scan.classifications_dir)  # fmt: skip
        if self.drop_zero_totals:
            table, _ = drop_zero_total_regions(table)
        for year, year_rows in table.groupby("year", sort=True):
            if int(year) not in done:
                yield pyarrow.Table.from_pandas(
                    year_rows[EMPLOYMENT_COLUMNS], preserve_index=False
                ).cast(EMPLOYMENT_ARROW_SCHEMA)


def stream_generic(
    path: str | Path,
    classification: str | None = None,
    hierarchy: str | Path | pd.DataFrame | None = None,
    *,
    classifications_dir: Path | None = None,
    drop_zero_totals: bool = False,
) -> EmploymentYears | None:
    """:func:`read_generic` one year at a time, for a typed Parquet file (else None).

    Returns
    -------
    EmploymentYears or None
        None when the file is not Parquet with typed schema columns, or when its first
        look already needs the text path (then call :func:`read_generic`).
    """
    scan = open_typed_scan(Path(path), classification, hierarchy, classifications_dir)
    return None if scan is None else EmploymentYears(scan, drop_zero_totals=drop_zero_totals)


def ingest_generic_years(
    employment: EmploymentYears, boundaries: gpd.GeoDataFrame | None = None
) -> IngestResult:
    """:func:`ingest_generic` of a file read one year at a time: the result's
    ``employment`` is ``employment`` itself (zero-total region-years dropped as its years
    are read); the writer takes its ``years()``."""
    regions, weights = _regions_and_weights(employment.region_ids(), boundaries)
    employment.drop_zero_totals = True
    return IngestResult(employment, regions, weights)


EMPLOYMENT_FILES = ("employment.parquet", "employment.csv")
BOUNDARY_FILES = (
    "regions.geoparquet",
    "regions.parquet",
    "regions.gpkg",
    "regions.geojson",
    "regions.geojson.gz",
    "regions.shp",
)
HIERARCHY_FILE = "hierarchy.csv"


def ingest_generic_folder(
    raw: str | Path,
    classification: str | None = None,
    *,
    id_field: str = "region_id",
    classifications_dir: Path | None = None,
) -> IngestResult:
    """Ingest a dataset folder laid out for the generic reader (a registry source).

    Parameters
    ----------
    raw : str or Path
        Folder holding ``employment.parquet`` or ``employment.csv``, optionally one of
        ``regions.{geoparquet,parquet,gpkg,geojson,geojson.gz,shp}`` and, for a custom
        classification, ``hierarchy.csv``.
    classification : str, optional
        The dataset's classification (params ``datasets.<name>.classification``), unless
        the employment file has a ``classification`` column.
    id_field : str
        Boundary field holding the region id.
    classifications_dir : Path, optional
        Folder of the classification tables.

    Returns
    -------
    IngestResult
        :func:`ingest_generic` of the folder's files; warnings are issued as
        :class:`InputWarning`.
    """
    raw = Path(raw)
    found = [raw / name for name in EMPLOYMENT_FILES if (raw / name).exists()]
    if not found:
        raise UserError(
            f"{raw}: holds no {' or '.join(EMPLOYMENT_FILES)}; add the employment table"
        )
    hierarchy = raw / HIERARCHY_FILE if (raw / HIERARCHY_FILE).exists() else None
    employment = read_generic(
        found[0], classification, hierarchy, classifications_dir=classifications_dir
    )
    return ingest_generic(employment, folder_boundaries(raw, id_field))


def folder_boundaries(raw: str | Path, id_field: str = "region_id") -> gpd.GeoDataFrame | None:
    """The region boundaries of a dataset folder: the first of :data:`BOUNDARY_FILES` found,
    read with :func:`read_boundaries` (repairs issued as :class:`InputWarning`), else None."""
    raw = Path(raw)
    boundary_paths = [raw / name for name in BOUNDARY_FILES if (raw / name).exists()]
    return read_boundaries(boundary_paths[0], id_field) if boundary_paths else None
