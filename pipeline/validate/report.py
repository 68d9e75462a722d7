"""What :func:`pipeline.validate.validate` returns: :class:`ValidationReport` (counts, coverage,
problems, notes, the cleaned tables) and :func:`require_usable`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from pipeline.errors import UserError
from pipeline.sources.raw_schema import Problem, raise_first_error


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


def require_usable(report: ValidationReport) -> ValidationReport:
    """Return ``report`` if usable, else raise the first error as :class:`UserError`."""
    report.raise_for_errors()
    if not report._read:
        raise UserError(f"{report.employment_path}: could not be read; run regclust validate")
    return report
