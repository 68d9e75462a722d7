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
import pyarrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.classifications.codes import TOTAL_CODE
from pipeline.classifications.hierarchy import (
    ancestor_chain,
    is_known_code,
    known_industry_codes,
    nearest_present_parent,
    normalise_codes,
)
from pipeline.classifications.nace import NACE_MAX_DIGITS, nace_divisions
from pipeline.errors import UserError
from pipeline.geography.boundaries import inspect_boundaries
from pipeline.sources.generic import zero_total_region_years
from pipeline.sources.inspection import inspect_employment
from pipeline.sources.raw_schema import CODES_LISTED, Problem, raise_first_error
from pipeline.sources.raw_table import is_parquet, read_raw_table
from pipeline.sources.typed_parquet import NeedsTextPath, open_typed_scan, typed_columns

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
    employment : the canonical table (None when there are errors, or when the file was
        checked one year at a time: ``validate(..., keep_table=False)``).
    checked : the whole file was read and checked one year at a time (no table kept).
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
    checked: bool = False

    @property
    def errors(self) -> list[str]:
        return [problem.message for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[str]:
        return [problem.message for problem in self.problems if problem.severity == "warning"]

    @property
    def usable(self) -> bool:
        """True when there is no error (warnings allowed) and the table was built (or checked)."""
        return not self.errors and self._read

    @property
    def _read(self) -> bool:
        return self.employment is not None or self.checked

    def raise_for_errors(self) -> None:
        """Raise :class:`UserError` with the first error (one line), if any."""
        raise_first_error(self.problems)

    def summary(self) -> str:
        """A plain-text report for the terminal."""
        lines = [f"regclust validate: {self.employment_path}"]
        if self._read:
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
    totals = employment[employment["industry_level"] == 0]
    row = None
    if source_rows is not None:
        total_rows = source_rows[source_rows["industry_code"] == TOTAL_CODE]["row"]
        row = int(total_rows.min()) if len(total_rows) else None
    return _nothing_to_measure_problems(
        len(values),
        bool((values > 0).any()),
        len(totals),
        bool((totals["employment"] > 0).any()),
        row,
        path,
    )


def _nothing_to_measure_problems(
    rows: int,
    any_positive: bool,
    total_rows: int,
    any_total_positive: bool,
    first_total_row: int | None,
    path: Path,
) -> list[Problem]:
    """:func:`_nothing_to_measure` from its counts (``first_total_row``: file row of the
    first total row, None when unknown)."""
    if not any_positive:
        return [
            Problem(
                "error",
                f"{path}: column 'employment': every value is zero or empty "
                f"({rows:,} rows), so there is nothing to measure; check that the column "
                "holds the counts (not a flag or a share) and that the export kept them",
            )
        ]
    if total_rows and not any_total_positive:
        where = f"row {first_total_row}: " if first_total_row is not None else ""
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
    return _fractional_problems(first["establishments"], rows[0], int(fractional.sum()), path)


def _fractional_problems(
    first_value: float, first_row: int | None, count: int, path: Path
) -> list[Problem]:
    """:func:`_fractional_establishments` from the first fractional count, its file row
    (None when unknown) and how many there are."""
    where = f", row {first_row}" if first_row is not None else ""
    more = count - 1
    extra = f" (and {more} more rows)" if more else ""
    return [
        Problem(
            "error",
            f"{path}: column 'establishments'{where}: {first_value:g} is not a whole "
            f"number{extra}; establishments are counted - write whole numbers, or leave the "
            "cell empty when unknown",
        )
    ]


class YearFindings:
    """What :func:`validate` needs of a file, gathered one year at a time from coded arrays.

    ``add`` takes one year's canonical rows as Arrow (:class:`TypedScan` output: columns
    of the canonical table plus ``row``, the file row number, 0 for a derived total) and
    keeps only small things: counts, the region-year totals, the first file row of every
    region-year and the parent cells smaller than their parts. The problems are then
    worded by the same functions as for a whole table, so both give the same messages.

    The parent check is :func:`inconsistent_totals` on integer codes: for each row, the
    nearest ancestor present in the region-year (a lookup in a region x code bitmap, one
    depth of the ancestor chain at a time), then the parts' sums by ``np.bincount``.
    """

    def __init__(
        self,
        classification: str,
        hierarchy: pd.DataFrame | None,
        tolerance: float,
        directory: Path | None,
    ) -> None:
        self.classification = classification
        self.tolerance = tolerance
        self.divisions = nace_divisions(directory) if classification in NACE_MAX_DIGITS else None
        self.parents = None
        if classification == "custom" and hierarchy is not None:
            self.parents = dict(
                zip(hierarchy["industry_code"], hierarchy["parent_code"], strict=True)
            )
        self.chains: dict[str, list[str]] = {}
        self.region_rows: dict[str, float] = {}  # first-appearance order, first file row
        self.industries: set[str] = set()
        self.years: list[int] = []
        self.rows = self.measured = self.suppressed = self.imputed = 0
        self.any_positive = self.any_total_positive = False
        self.total_rows = 0
        self.first_total_row = np.inf
        self.totals: list[pd.DataFrame] = []
        self.region_year_rows: list[pd.DataFrame] = []
        self.inconsistent: list[pd.DataFrame] = []
        self.fractional = 0
        self.fractional_first: tuple[float, int] | None = None

    def add(self, table: pyarrow.Table) -> None:
        """Take one year's rows (all of one year)."""
        region, region_labels = _coded(table.column("region_id"))
        industry, code_labels = _coded(table.column("industry_code"))
        level = table.column("industry_level").to_numpy()
        employment = _floats(table.column("employment"))
        establishments = _floats(table.column("establishments"))
        rows = table.column("row").to_numpy().astype(np.int64)
        flags = table.column("employment_flag")
        year = int(table.column("year")[0].as_py()) if len(table) else 0
        self.years.append(year)
        self.rows += len(table)

        measured = level > 0
        self.measured += int(measured.sum())
        self.suppressed += int(pc.sum(pc.equal(flags, "suppressed").filter(measured)).as_py() or 0)
        self.imputed += int(pc.sum(pc.equal(flags, "imputed").filter(measured)).as_py() or 0)
        present = np.bincount(industry[measured], minlength=len(code_labels)) > 0
        self.industries.update(code_labels[present].tolist())
        self.any_positive |= bool((employment > 0).any())

        total = level == 0
        self.total_rows += int(total.sum())
        self.any_total_positive |= bool((employment[total] > 0).any())
        code_total = (code_labels == TOTAL_CODE)[industry] & (rows > 0)
        if code_total.any():
            self.first_total_row = min(self.first_total_row, int(rows[code_total].min()))
        self.totals.append(
            pd.DataFrame(
                {
                    "region_id": region_labels[region[total]],
                    "year": year,
                    "employment": employment[total],
                    "industry_level": 0,
                }
            )
        )
        first_rows = _first_rows(region, len(region_labels), rows)
        for label, row in zip(region_labels.tolist(), first_rows.tolist(), strict=True):
            self.region_rows[label] = min(self.region_rows.get(label, np.inf), row)
        known = np.isfinite(first_rows)
        self.region_year_rows.append(
            pd.DataFrame(
                {"region_id": region_labels[known], "year": year, "row": first_rows[known]}
            )
        )

        fractional = ~np.isnan(establishments) & (establishments != np.floor(establishments))
        if fractional.any():
            if self.fractional_first is None:
                first = int(np.flatnonzero(fractional)[0])
                self.fractional_first = (float(establishments[first]), int(rows[first]))
            self.fractional += int(fractional.sum())
        self.inconsistent.append(
            self._short_parents(
                region, region_labels, industry, code_labels, employment, rows, year
            )
        )

    def _short_parents(
        self,
        region: np.ndarray,
        region_labels: np.ndarray,
        industry: np.ndarray,
        code_labels: np.ndarray,
        employment: np.ndarray,
        rows: np.ndarray,
        year: int,
    ) -> pd.DataFrame:
        """:func:`inconsistent_totals` of one year (unsorted), with the parents' file rows."""
        n_codes = max(len(code_labels), 1)
        number_of = {code: number for number, code in enumerate(code_labels.tolist())}
        chains = []
        for code in code_labels.tolist():
            if code not in self.chains:
                self.chains[code] = ancestor_chain(
                    code, self.classification, self.divisions, self.parents
                )
            chains.append(self.chains[code])
        depth = max((len(chain) for chain in chains), default=0)
        ancestors = np.full((n_codes, max(depth, 1)), -1, dtype=np.int64)
        for number, chain in enumerate(chains):
            ancestors[number, : len(chain)] = [number_of.get(code, -1) for code in chain]
        cell = np.full(len(region_labels) * n_codes, -1, dtype=np.int64)
        cell[region * n_codes + industry] = np.arange(len(region))  # cells are unique
        parent = np.full(len(region), -1, dtype=np.int64)
        for step in range(depth):
            ancestor = ancestors[industry, step]
            open_rows = (parent < 0) & (ancestor >= 0)
            keys = region * n_codes + np.maximum(ancestor, 0)
            found = open_rows & (cell[keys] >= 0)
            parent[found] = ancestor[found]
        has_parent = parent >= 0
        keys = region[has_parent] * n_codes + parent[has_parent]
        values = employment[has_parent]
        valued = ~np.isnan(values)
        size = len(cell)
        sums = np.bincount(keys[valued], weights=values[valued], minlength=size)
        counts = np.bincount(keys[valued], minlength=size)
        groups = np.flatnonzero(np.bincount(keys, minlength=size))
        parent_cell = cell[groups]
        parent_employment = employment[parent_cell]
        short = ~np.isnan(parent_employment) & (
            sums[groups] > parent_employment * (1 + self.tolerance)
        )
        parent_cell, groups = parent_cell[short], groups[short]
        return pd.DataFrame(
            {
                "region_id": region_labels[region[parent_cell]],
                "industry_code": code_labels[industry[parent_cell]],
                "year": year,
                "employment": employment[parent_cell],
                "parts_employment": sums[groups],
                "parts": counts[groups],
                "row": rows[parent_cell],
            }
        )

    def problems(self, path: Path, regions: gpd.GeoDataFrame | None, regions_path) -> tuple:
        """(problems, notes) of the whole file, worded as for a whole table."""
        problems: list[Problem] = []
        notes: list[str] = []
        inconsistent = pd.concat(self.inconsistent, ignore_index=True).sort_values(
            ["year", "region_id", "industry_code"], ignore_index=True
        )
        located = inconsistent[inconsistent["row"] > 0]
        problems += _total_problems(
            inconsistent.drop(columns="row"),
            located[["region_id", "industry_code", "year", "row"]],
            path,
            self.tolerance,
        )
        first_total = int(self.first_total_row) if np.isfinite(self.first_total_row) else None
        nothing = _nothing_to_measure_problems(
            self.rows,
            self.any_positive,
            self.total_rows,
            self.any_total_positive,
            first_total,
            path,
        )
        problems += nothing
        if not nothing:
            problems += _zero_total_problems(
                pd.concat(self.totals, ignore_index=True),
                pd.concat(self.region_year_rows, ignore_index=True),
                path,
            )
        if self.fractional_first is not None:
            value, row = self.fractional_first
            problems += _fractional_problems(value, row or None, self.fractional, path)
        if regions is not None:
            region_ids = pd.DataFrame({"region_id": list(self.region_rows)}, dtype="str")
            first_rows = pd.DataFrame(
                {"region_id": list(self.region_rows), "row": list(self.region_rows.values())}
            )
            first_rows = first_rows[np.isfinite(first_rows["row"])]
            found, noted = _boundary_problems(
                region_ids, regions, first_rows, path, Path(regions_path)
            )
            problems += found
            notes += noted
        return problems, notes


def _first_rows(region: np.ndarray, n_regions: int, rows: np.ndarray) -> np.ndarray:
    """The smallest file row (> 0) of each region; inf where it has none."""
    from_file = np.where(rows > 0, rows, np.iinfo(np.int64).max)
    order = np.argsort(region, kind="stable")  # the rows come sorted by region: cheap
    ordered = region[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else []
    first = np.full(n_regions, np.inf)
    if len(ordered):
        smallest = np.minimum.reduceat(from_file[order], starts).astype(np.float64)
        smallest[smallest == np.iinfo(np.int64).max] = np.inf
        first[ordered[starts]] = smallest
    return first


def _coded(column: pyarrow.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (first-appearance order) and labels (object array) of a text column."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    labels = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    return encoded.indices.to_numpy().astype(np.int64), labels


def _floats(column: pyarrow.ChunkedArray) -> np.ndarray:
    return column.to_numpy().astype(np.float64)


def _typed_findings(
    path: Path,
    classification: str | None,
    hierarchy: str | Path | pd.DataFrame | None,
    tolerance: float,
    classifications_dir: Path | None,
):
    """(check, findings) of a typed Parquet file read one year at a time, or None when the
    file is not typed Parquet or shows a problem the text path must word."""
    scan = open_typed_scan(path, classification, hierarchy, classifications_dir)
    if scan is None:
        return None
    try:
        findings = YearFindings(scan.classification, scan.hierarchy, tolerance, classifications_dir)
        for year_table in scan.years():
            findings.add(year_table)
    except NeedsTextPath:
        return None
    scan.check.note_derived_totals(path, scan.check.derived_totals, scan.region_years)
    return scan.check, findings


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
    keep_table: bool = True,
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
    keep_table : bool
        Keep the canonical table in ``report.employment``. With False, a typed Parquet
        file is read and checked one year at a time (:class:`YearFindings`) and never
        whole in memory; the report is the same, ``checked`` True and ``employment`` None.

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
        detected = _detected_classification(employment_path, classifications_dir)
        if detected is not None:
            classification, detected_note = detected
    typed = (
        None
        if keep_table
        else _typed_findings(
            employment_path, classification, hierarchy, total_tolerance, classifications_dir
        )
    )
    if typed is not None:
        check, findings = typed
    else:
        findings = None
        check = inspect_employment(
            employment_path, classification, hierarchy, classifications_dir=classifications_dir
        )
    width_problems = _row_width_problems(employment_path)
    if width_problems:  # shifted rows make every later message point at the wrong cell
        check.problems = width_problems + [
            problem for problem in check.problems if problem.severity != "error"
        ]
        check.employment = None
        findings = None
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
    if findings is not None:
        report.regions = len(findings.region_rows)
        report.industries = len(findings.industries)
        report.years = sorted(findings.years)
        measured = findings.measured
        report.checked = True
    elif check.employment is not None:
        employment = check.employment
        measured_rows = employment[employment["industry_level"] > 0]
        report.regions = int(employment["region_id"].nunique())
        report.industries = int(measured_rows["industry_code"].nunique())
        report.years = sorted(int(year) for year in employment["year"].unique())
        measured = len(measured_rows)
    else:
        return report
    cells = report.regions * report.industries * len(report.years)
    report.coverage = measured / cells if cells else 0.0
    if measured and findings is not None:
        report.suppressed_share = findings.suppressed / measured
        report.imputed_share = findings.imputed / measured
    elif measured:
        flags = measured_rows["employment_flag"]
        report.suppressed_share = float((flags == "suppressed").mean())
        report.imputed_share = float((flags == "imputed").mean())

    if report.industries == 0:
        report.problems.append(
            Problem(
                "error",
                f"{employment_path}: column 'industry_code': every row is a total ('00'); add "
                "the industry rows, one per region x industry x year",
            )
        )
    if findings is not None:
        problems, notes = findings.problems(employment_path, report.boundaries, regions_path)
        report.problems += problems
        report.notes += notes
        return report
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


def _detected_classification(
    path: Path, classifications_dir: Path | None
) -> tuple[str, str] | None:
    """:func:`detect_classification` of the file's industry codes, unless it names its
    classification; a typed Parquet file gives its distinct codes from the column alone."""
    columns = (
        typed_columns(path) if path.is_file() and path.stat().st_size and is_parquet(path) else None
    )
    if columns is not None:
        if "classification" in columns:
            return None
        column = pq.read_table(path, columns=[columns["industry_code"]]).column(0)
        codes = pd.Series(pc.unique(column.cast(pyarrow.string())).to_pylist(), dtype="object")
        return detect_classification(codes, classifications_dir)
    text, _ = read_raw_table(path)
    if "classification" not in text.columns and "industry_code" in text.columns:
        return detect_classification(text["industry_code"], classifications_dir)
    return None


def require_usable(report: ValidationReport) -> ValidationReport:
    """Return ``report`` if usable, else raise the first error as :class:`UserError`."""
    report.raise_for_errors()
    if not report._read:
        raise UserError(f"{report.employment_path}: could not be read; run regclust validate")
    return report
