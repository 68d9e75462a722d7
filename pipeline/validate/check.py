""":func:`validate`: the whole check of an employment table (and optionally its boundaries) in
the generic schema; the checks table is in :mod:`pipeline.validate`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pipeline.geography.boundaries import inspect_boundaries
from pipeline.sources.employment_check import EmploymentCheck
from pipeline.sources.generic import EmploymentYears
from pipeline.sources.inspection import inspect_employment
from pipeline.sources.raw_schema import Problem
from pipeline.validate.boundaries import _boundary_problems
from pipeline.validate.by_year import YearFindings, _typed_findings
from pipeline.validate.classification import _detected_classification
from pipeline.validate.report import ValidationReport
from pipeline.validate.rows import _fractional_establishments, _row_width_problems
from pipeline.validate.totals import (
    DEFAULT_TOTAL_TOLERANCE,
    _nothing_to_measure,
    _total_problems,
    _zero_total_problems,
    inconsistent_totals,
)


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
    report = _report(employment_path, regions_path, check, findings, detected_note,
                     id_field, name_field)  # fmt: skip
    if findings is not None or report.employment is None:
        return report
    employment = report.employment
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


def _report(
    employment_path: Path,
    regions_path: str | Path | None,
    check: EmploymentCheck,
    findings: YearFindings | None,
    detected_note: str | None,
    id_field: str = "region_id",
    name_field: str = "name",
) -> ValidationReport:
    """The report of an inspected table: gathered one year at a time (``findings``), or of
    a whole table (``check.employment``, then kept in ``report.employment``; its table-wide
    checks are :func:`validate`'s)."""
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
    report.employment = employment
    return report


def validate_while_reading(
    employment: EmploymentYears,
    *,
    total_tolerance: float = DEFAULT_TOTAL_TOLERANCE,
    classifications_dir: Path | None = None,
) -> Callable[[], ValidationReport]:
    """:func:`validate`'s checks of a typed Parquet file, made as ingest reads it (one pass).

    Adds a :class:`YearFindings` observer to ``employment`` (:class:`EmploymentYears`), so
    that each year ingest reads is also checked, and returns the function that gives the
    report once the last year is read: the same report as
    ``validate(path, classification=..., keep_table=False)`` (without boundaries). If the
    reader had to fall back to the text path (an odd file), that function runs
    :func:`validate` itself.
    """
    scan = employment.scan
    findings = YearFindings(
        scan.classification, scan.hierarchy, total_tolerance, classifications_dir
    )
    employment.observers.append(findings.add)

    def report() -> ValidationReport:
        if not employment.by_year:
            return validate(
                scan.path,
                None,
                scan.classification,
                scan.hierarchy,
                total_tolerance=total_tolerance,
                classifications_dir=classifications_dir,
                keep_table=False,
            )
        scan.check.note_derived_totals(scan.path, scan.check.derived_totals, scan.region_years)
        return _report(Path(scan.path), None, scan.check, findings, None)

    return report
