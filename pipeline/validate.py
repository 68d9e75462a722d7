"""Validate user-supplied inputs ("bring your own data") before a run.

:func:`validate` reads an employment table in the generic schema
(:mod:`pipeline.sources.generic`, whose docstring documents it) and, optionally, the region
boundaries, and returns a :class:`ValidationReport`: counts, coverage, and every problem as
one line naming the file, the row (header = row 1 in a CSV) or column, what is wrong and how
to fix it. A file that cannot be read as a table at all raises
:class:`pipeline.errors.UserError` instead.

Checks, and their severity:

================================================ ========= ==================================
check                                            severity  consequence
================================================ ========= ==================================
unreadable / empty / header-only / not UTF-8 /   fatal     UserError
damaged Parquet / missing or misspelt column
text in year, non-numeric or negative values,    error     not usable
empty ids, bad flags or levels
duplicate region x industry x year rows          error     not usable
a CSV row with more fields than the header, or   error     not usable (reported alone: later
too few to reach employment                                messages would name wrong cells)
every employment value zero or empty, or every   error     not usable (nothing to measure)
total row zero or empty
a fractional establishment count (12.5)          error     not usable (12.0 is fine)
industry codes unknown to the classification     error     not usable
no boundary matches any region id                error     not usable
a parent smaller than the sum of its             warning   LQs of that parent are biased
sub-industries by more than ``total_tolerance``
region ids missing from the boundaries           warning   measured, but left out of maps
                                                           and spatial statistics
zero (or unknown) total employment in a region   warning   region-year dropped from LQs
invalid geometries                               warning   repaired with make_valid
no CRS but lon/lat coordinates                   warning   EPSG:4326 assumed
no CRS and projected coordinates                 fatal     UserError
a CRS other than EPSG:4326                       note      reprojected
region-years without a total row                 note      total = sum of top-level industries
no classification given, codes unambiguous       note      that classification is used
================================================ ========= ==================================
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.classifications.hierarchy import (
    is_known_code,
    known_industry_codes,
    nearest_present_parent,
    normalise_codes,
)
from pipeline.errors import UserError
from pipeline.geography.boundaries import inspect_boundaries
from pipeline.sources.generic import zero_total_region_years
from pipeline.sources.inspection import inspect_employment
from pipeline.sources.raw_schema import CODES_LISTED, Problem, raise_first_error
from pipeline.sources.raw_table import read_raw_table

DEFAULT_TOTAL_TOLERANCE = 0.01
# A classification is taken from the codes alone when it knows at least this share of the
# distinct codes and the other family (NAICS vs NACE sections) knows less than half.
DETECT_KNOWN_SHARE = 0.9
DETECT_OTHER_SHARE = 0.5
# Within a family the codes cannot tell the vintages apart: the first one is assumed.
FAMILY_DEFAULT = {"naics": "naics2017", "nace": "nace_r2"}
FAMILY_SIBLINGS = {"naics": "naics2012", "nace": "okved2"}


@dataclass
class ValidationReport:
    """What :func:`validate` found.

    rows : data rows read from the employment file.
    regions, industries : distinct region ids and industry codes (total row excluded).
    years : the years present, sorted.
    coverage : share of the region x industry x year cells present as rows (0-1).
    suppressed_share, imputed_share : shares of the present cells flagged so (0-1).
    problems : (severity, message) pairs, severity 'error' or 'warning'.
    notes : facts that need no action (derived totals, reprojection).
    employment : the canonical table (None when there are errors).
    boundaries : the repaired boundaries in EPSG:4326 (None when not given).
    """

    employment_path: str
    regions_path: str | None = None
    classification: str | None = None
    rows: int = 0
    regions: int = 0
    industries: int = 0
    years: list[int] = field(default_factory=list)
    coverage: float = 0.0
    suppressed_share: float = 0.0
    imputed_share: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    boundary_count: int = 0
    boundary_crs: str | None = None
    employment: pd.DataFrame | None = field(default=None, repr=False)
    boundaries: gpd.GeoDataFrame | None = field(default=None, repr=False)

    @property
    def errors(self) -> list[str]:
        return [problem.message for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[str]:
        return [problem.message for problem in self.problems if problem.severity == "warning"]

    @property
    def usable(self) -> bool:
        """True when there is no error (warnings allowed) and the table was built."""
        return not self.errors and self.employment is not None

    def raise_for_errors(self) -> None:
        """Raise :class:`UserError` with the first error (one line), if any."""
        raise_first_error(self.problems)

    def summary(self) -> str:
        """A plain-text report for the terminal."""
        lines = [f"regclust validate: {self.employment_path}"]
        if self.employment is not None:
            span = (
                f"{self.years[0]}-{self.years[-1]}" if len(self.years) > 1 else str(self.years[0])
            )
            lines.append(
                f"  {self.rows:,} rows: {self.regions:,} regions x {self.industries:,} industries "
                f"x {len(self.years)} years ({span}), classification {self.classification}"
            )
            lines.append(
                f"  coverage: {self.coverage:.1%} of region x industry x year cells present; "
                f"{self.suppressed_share:.1%} suppressed, {self.imputed_share:.1%} imputed"
            )
        else:
            lines.append(f"  {self.rows:,} rows read; counts follow once the errors are fixed")
        if self.regions_path is not None:
            crs = self.boundary_crs or "no CRS"
            if crs != "EPSG:4326":
                crs += " -> EPSG:4326"
            lines.append(
                f"  boundaries: {self.regions_path}, {self.boundary_count:,} regions ({crs})"
            )
        for title, messages in (
            ("notes", self.notes),
            ("errors", self.errors),
            ("warnings", self.warnings),
        ):
            if messages:
                lines.append(f"  {title} ({len(messages)}):")
                lines += [f"    - {message}" for message in messages]
        if self.usable:
            caveat = f" with {len(self.warnings)} warning(s)" if self.warnings else ""
            lines.append(f"  result: usable{caveat}")
        else:
            lines.append(
                f"  result: NOT usable - fix the {len(self.errors)} error(s) above and run "
                "regclust validate again"
            )
        return "\n".join(lines)


def inconsistent_totals(
    employment: pd.DataFrame,
    classification: str,
    hierarchy: pd.DataFrame | None = None,
    tolerance: float = DEFAULT_TOTAL_TOLERANCE,
    classifications_dir: Path | None = None,
) -> pd.DataFrame:
    """Parent rows smaller than the sum of their sub-industries by more than ``tolerance``.

    A parent cell (an industry, or the total '00') must hold at least the sum of its
    disjoint parts: flagged when

        sum_c e_rc > (1 + tolerance) * e_rp

    with e_rp the parent's employment and c its nearest sub-industries present in the same
    region and year (:func:`pipeline.classifications.hierarchy.nearest_present_parent`; suppressed
    parts count as missing, so the sum is a lower bound and a flag is a real inconsistency).
    A parent larger than its parts is normal (suppressed or unlisted sub-industries).

    Parameters
    ----------
    employment : DataFrame
        Canonical table.
    classification : str
        Its classification.
    hierarchy : DataFrame, optional
        The custom hierarchy, for classification 'custom'.
    tolerance : float
        Relative slack (0.01 = 1 %), for rounding and noise infusion.
    classifications_dir : Path, optional
        Folder of the classification tables.

    Returns
    -------
    DataFrame
        region_id, industry_code, year, employment, parts_employment, parts (count), sorted.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": "R", "year": 2019,
    ...     "industry_code": ["00", "31-33", "311", "312"],
    ...     "employment": [100.0, 50.0, 40.0, 20.0]})
    >>> inconsistent_totals(table, "naics2017")[["industry_code", "parts_employment"]].values.tolist()
    [['31-33', 60.0]]
    """
    parent = nearest_present_parent(employment, classification, hierarchy, classifications_dir)
    has_parent = parent.notna().to_numpy()
    parts = employment[has_parent].assign(parent_code=parent[has_parent].to_numpy())
    sums = parts.groupby(["region_id", "year", "parent_code"], as_index=False).agg(
        parts_employment=("employment", "sum"), parts=("employment", "count")
    )
    parents = employment[["region_id", "year", "industry_code", "employment"]].rename(
        columns={"industry_code": "parent_code"}
    )
    merged = sums.merge(parents, on=["region_id", "year", "parent_code"])
    short = merged["employment"].notna() & (
        merged["parts_employment"] > merged["employment"] * (1 + tolerance)
    )
    result = merged[short].rename(columns={"parent_code": "industry_code"})
    columns = ["region_id", "industry_code", "year", "employment", "parts_employment", "parts"]
    return result[columns].sort_values(["year", "region_id", "industry_code"], ignore_index=True)


def _row_of(source_rows: pd.DataFrame | None, keys: pd.DataFrame) -> list[int | None]:
    """Row numbers (as the user sees them) of region_id, industry_code, year keys."""
    if source_rows is None or keys.empty:
        return [None] * len(keys)
    found = keys.merge(source_rows, on=["region_id", "industry_code", "year"], how="left")
    return [None if pd.isna(row) else int(row) for row in found["row"]]


def _more(count: int, noun: str, examples: list[str]) -> str:
    if count <= 0:
        return ""
    listed = ", ".join(examples[:CODES_LISTED]) + (", ..." if count > CODES_LISTED else "")
    return f" (and {count} more {noun}: {listed})"


def _total_problems(
    inconsistent: pd.DataFrame, source_rows: pd.DataFrame | None, path: Path, tolerance: float
) -> list[Problem]:
    if inconsistent.empty:
        return []
    rows = _row_of(source_rows, inconsistent[["region_id", "industry_code", "year"]])
    first = inconsistent.iloc[0]
    where = f"row {rows[0]}: " if rows[0] is not None else ""
    others = [str(row) for row in rows[1:] if row is not None]
    return [
        Problem(
            "warning",
            f"{path}: {where}region '{first['region_id']}', industry '{first['industry_code']}', "
            f"year {first['year']}: employment {first['employment']:g} is less than the sum of "
            f"its sub-industries ({int(first['parts'])} rows), {first['parts_employment']:g}, "
            f"by more than {tolerance:.0%}{_more(len(inconsistent) - 1, 'rows', others)}; check the "
            "parent row and its sub-industry rows (LQs of that parent will be biased)",
        )
    ]


def _zero_total_problems(
    employment: pd.DataFrame, source_rows: pd.DataFrame | None, path: Path
) -> list[Problem]:
    zero = zero_total_region_years(employment)
    if zero.empty:
        return []
    first = zero.iloc[0]
    rows = None
    if source_rows is not None:
        rows_of_region = source_rows[
            (source_rows["region_id"] == first["region_id"])
            & (source_rows["year"] == first["year"])
        ]["row"]
        rows = int(rows_of_region.min()) if len(rows_of_region) else None
    where = f"row {rows}: " if rows is not None else ""
    kind = "zero" if first["employment"] == 0 else "unknown (suppressed)"
    others = [
        f"'{region}' {year}"
        for region, year in zip(zero["region_id"][1:], zero["year"][1:], strict=True)
    ]
    return [
        Problem(
            "warning",
            f"{path}: {where}region '{first['region_id']}' has {kind} total employment in "
            f"{first['year']}{_more(len(zero) - 1, 'region-years', others)}; location quotients "
            "are undefined there, so the region-year is dropped from LQs - check its total row "
            "(industry_code '00') and its industries",
        )
    ]


def _boundary_problems(
    employment: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    source_rows: pd.DataFrame | None,
    employment_path: Path,
    regions_path: Path,
) -> tuple[list[Problem], list[str]]:
    region_ids = pd.Index(employment["region_id"].unique())
    known = pd.Index(boundaries["region_id"])
    missing = region_ids.difference(known)
    problems: list[Problem] = []
    notes: list[str] = []
    if len(missing) == len(region_ids):
        padded = region_ids.str.zfill(int(known.str.len().max())).isin(known).any()
        hint = (
            "the employment ids lost their leading zeros - store them as text"
            if padded
            else f"check that the boundary id field holds the same codes as region_id "
            f"(e.g. '{region_ids[0]}' vs '{known[0]}')"
        )
        problems.append(
            Problem(
                "error",
                f"{employment_path}: column 'region_id': no region id is in {regions_path}; {hint}",
            )
        )
        return problems, notes
    if len(missing):
        first_rows = (
            source_rows[source_rows["region_id"].isin(missing)].groupby("region_id")["row"].min()
            if source_rows is not None
            else pd.Series(dtype="int64")
        )
        ordered = sorted(missing, key=lambda region: first_rows.get(region, 0))
        row = first_rows.get(ordered[0])
        where = f", row {int(row)}" if row is not None else ""
        others = [f"'{region}'" for region in ordered[1:]]
        problems.append(
            Problem(
                "warning",
                f"{employment_path}: column 'region_id'{where}: region '{ordered[0]}' has no "
                f"boundary in {regions_path}{_more(len(ordered) - 1, 'regions', others)}; it is "
                "measured but left out of maps and spatial statistics - add its boundary or "
                "correct the id",
            )
        )
    unused = known.difference(region_ids)
    if len(unused):
        notes.append(
            f"{regions_path}: {len(unused)} boundaries have no employment rows (e.g. "
            f"'{unused[0]}'); they are not used"
        )
    return problems, notes


def detect_classification(
    codes: pd.Series, classifications_dir: Path | None = None
) -> tuple[str, str] | None:
    """The built-in classification that the industry codes unambiguously belong to.

    The codes decide between the NAICS family and the NACE-section family when one family
    knows at least ``DETECT_KNOWN_SHARE`` of the distinct codes and the other less than
    ``DETECT_OTHER_SHARE``. Within a family the vintages share their codes (NAICS 2017 and
    2012 differ in a few six-digit codes; OKVED 2 sections are NACE Rev.2's), so the first
    is assumed and the note says how to pick the other.

    Returns
    -------
    (classification, note) or None
        None when the codes are ambiguous or unknown (then ``--classification`` is needed).

    Examples
    --------
    >>> detect_classification(pd.Series(["00", "31-33", "5415"]))[0]
    'naics2017'
    >>> detect_classification(pd.Series(["00", "C", "J"]))[0]
    'nace_r2'
    """
    unique = pd.Series(codes.dropna().unique(), dtype="str")
    unique = unique[unique != "00"]
    if unique.empty:
        return None
    shares = {}
    for family, name in FAMILY_DEFAULT.items():
        normalised = normalise_codes(unique, name)
        known = known_industry_codes(name, classifications_dir)
        shares[family] = float(is_known_code(normalised, name, known).mean())
    ranked = sorted(shares, key=shares.get, reverse=True)
    best, other = ranked[0], ranked[1]
    if shares[best] < DETECT_KNOWN_SHARE or shares[other] >= DETECT_OTHER_SHARE:
        return None
    name, sibling = FAMILY_DEFAULT[best], FAMILY_SIBLINGS[best]
    note = (
        f"no --classification given: the industry codes are {name} codes "
        f"({shares[best]:.0%} of them known), so {name} is used; pass --classification "
        f"{sibling} if they are {sibling} codes"
    )
    return name, note


def _row_width_problems(path: Path) -> list[Problem]:
    """CSV rows with more fields than the header (a shifted row), or too few for employment.

    pandas would silently shift such a row's values into the wrong columns, so the error
    would point at the wrong cell.
    """
    if path.suffix.lower() == ".parquet":
        return []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(handle)
            header = [name.strip().lower() for name in next(rows, [])]
            needed = header.index("employment") + 1 if "employment" in header else len(header)
            for number, fields in enumerate(rows, start=2):
                if not fields or not any(field.strip() for field in fields):
                    continue
                if len(fields) > len(header) or len(fields) < needed:
                    what = "more" if len(fields) > len(header) else "fewer"
                    return [
                        Problem(
                            "error",
                            f"{path}: row {number} has {len(fields)} fields but the header "
                            f"has {len(header)} ({what} than its columns); check that row for "
                            "a stray or missing comma (quote values that contain commas)",
                        )
                    ]
    except (UnicodeDecodeError, csv.Error):
        return []  # the table reader reports undecodable or malformed files
    return []


def _nothing_to_measure(
    employment: pd.DataFrame, source_rows: pd.DataFrame | None, path: Path
) -> list[Problem]:
    """An error when no employment or no region total is positive: nothing to measure."""
    values = employment["employment"]
    if not (values > 0).any():
        return [
            Problem(
                "error",
                f"{path}: column 'employment': every value is zero or empty "
                f"({len(values):,} rows), so there is nothing to measure; check that the column "
                "holds the counts (not a flag or a share) and that the export kept them",
            )
        ]
    totals = employment[employment["industry_level"] == 0]
    if len(totals) and not (totals["employment"] > 0).any():
        row = None
        if source_rows is not None:
            total_rows = source_rows[source_rows["industry_code"] == "00"]["row"]
            row = int(total_rows.min()) if len(total_rows) else None
        where = f"row {row}: " if row is not None else ""
        return [
            Problem(
                "error",
                f"{path}: {where}every total row (industry_code '00') is zero or empty, so no "
                "region has a total for location quotients; write each region's all-industry "
                "employment in its '00' row, or drop the '00' rows to derive totals from the "
                "top-level industries",
            )
        ]
    return []


def _fractional_establishments(
    employment: pd.DataFrame, source_rows: pd.DataFrame | None, path: Path
) -> list[Problem]:
    """Establishments are a count: 12.0 is fine, 12.5 is an error."""
    if "establishments" not in employment.columns:
        return []
    counts = employment["establishments"]
    fractional = counts.notna() & (counts != np.floor(counts))
    if not fractional.any():
        return []
    first = employment[fractional].iloc[0]
    rows = _row_of(
        source_rows, pd.DataFrame([first[["region_id", "industry_code", "year"]].to_dict()])
    )
    where = f", row {rows[0]}" if rows[0] is not None else ""
    more = int(fractional.sum()) - 1
    extra = f" (and {more} more rows)" if more else ""
    return [
        Problem(
            "error",
            f"{path}: column 'establishments'{where}: {first['establishments']:g} is not a whole "
            f"number{extra}; establishments are counted - write whole numbers, or leave the "
            "cell empty when unknown",
        )
    ]


def validate(
    employment_path: str | Path,
    regions_path: str | Path | None = None,
    classification: str | None = None,
    hierarchy: str | Path | pd.DataFrame | None = None,
    *,
    id_field: str = "region_id",
    name_field: str = "name",
    total_tolerance: float = DEFAULT_TOTAL_TOLERANCE,
    classifications_dir: Path | None = None,
) -> ValidationReport:
    """Check an employment table (and optionally its boundaries) in the generic schema.

    Parameters
    ----------
    employment_path : str or Path
        CSV (UTF-8, comma) or Parquet, one row per region x industry x year
        (:mod:`pipeline.sources.generic`).
    regions_path : str or Path, optional
        Boundaries: GeoJSON, GeoPackage, Shapefile or GeoParquet.
    classification : str, optional
        naics2017, naics2012, nace_r2, okved2 or custom, unless the file has a
        ``classification`` column.
    hierarchy : path or DataFrame, optional
        Hierarchy table of a 'custom' classification.
    id_field, name_field : str
        Boundary fields holding the region id and name.
    total_tolerance : float
        Relative slack before a parent smaller than its parts is reported (params
        ``validate.total_tolerance``).
    classifications_dir : Path, optional
        Folder of the classification tables.

    Returns
    -------
    ValidationReport
        ``usable`` is True when there is no error; ``summary()`` is the text to print;
        ``employment`` and ``boundaries`` hold the cleaned tables for a run.

    Raises
    ------
    UserError
        When a file cannot be read at all (one line: file, row or column, fix).
    """
    employment_path = Path(employment_path)
    detected_note = None
    if classification is None:
        text, _ = read_raw_table(employment_path)
        if "classification" not in text.columns and "industry_code" in text.columns:
            detected = detect_classification(text["industry_code"], classifications_dir)
            if detected is not None:
                classification, detected_note = detected
    check = inspect_employment(
        employment_path, classification, hierarchy, classifications_dir=classifications_dir
    )
    width_problems = _row_width_problems(employment_path)
    if width_problems:  # shifted rows make every later message point at the wrong cell
        check.problems = width_problems + [
            problem for problem in check.problems if problem.severity != "error"
        ]
        check.employment = None
    report = ValidationReport(
        employment_path=str(employment_path),
        regions_path=None if regions_path is None else str(regions_path),
        classification=check.classification,
        rows=check.rows_read,
        problems=list(check.problems),
        notes=([detected_note] if detected_note else []) + list(check.notes),
    )
    if regions_path is not None:
        boundary = inspect_boundaries(regions_path, id_field, name_field)
        report.boundaries = boundary.regions
        report.boundary_count = len(boundary.regions)
        report.boundary_crs = boundary.crs
        report.problems += boundary.problems
        report.notes += boundary.notes
    employment = check.employment
    if employment is None:
        return report

    measured = employment[employment["industry_level"] > 0]
    report.regions = int(employment["region_id"].nunique())
    report.industries = int(measured["industry_code"].nunique())
    report.years = sorted(int(year) for year in employment["year"].unique())
    cells = report.regions * report.industries * len(report.years)
    report.coverage = len(measured) / cells if cells else 0.0
    if len(measured):
        report.suppressed_share = float((measured["employment_flag"] == "suppressed").mean())
        report.imputed_share = float((measured["employment_flag"] == "imputed").mean())

    if report.industries == 0:
        report.problems.append(
            Problem(
                "error",
                f"{employment_path}: column 'industry_code': every row is a total ('00'); add "
                "the industry rows, one per region x industry x year",
            )
        )
    inconsistent = inconsistent_totals(
        employment, check.classification, check.hierarchy, total_tolerance, classifications_dir
    )
    report.problems += _total_problems(
        inconsistent, check.source_rows, employment_path, total_tolerance
    )
    nothing = _nothing_to_measure(employment, check.source_rows, employment_path)
    report.problems += nothing
    if not nothing:
        report.problems += _zero_total_problems(employment, check.source_rows, employment_path)
    report.problems += _fractional_establishments(employment, check.source_rows, employment_path)
    if report.boundaries is not None:
        problems, notes = _boundary_problems(
            employment, report.boundaries, check.source_rows, employment_path, Path(regions_path)
        )
        report.problems += problems
        report.notes += notes
    report.employment = employment
    return report


def require_usable(report: ValidationReport) -> ValidationReport:
    """Return ``report`` if usable, else raise the first error as :class:`UserError`."""
    report.raise_for_errors()
    if report.employment is None:
        raise UserError(f"{report.employment_path}: could not be read; run regclust validate")
    return report
