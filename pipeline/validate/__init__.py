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

Where the checks are: :mod:`~pipeline.validate.check` (:func:`validate`, the whole run, and
:func:`validate_while_reading`, the same checks made while ingest reads a typed Parquet file),
:mod:`~pipeline.validate.report` (:class:`ValidationReport`), :mod:`~pipeline.validate.totals`
(parents vs their parts, zero totals, nothing to measure), :mod:`~pipeline.validate.rows` (row
widths, fractional establishments), :mod:`~pipeline.validate.boundaries`,
:mod:`~pipeline.validate.classification` (detected from the codes),
:mod:`~pipeline.validate.by_year` (a typed Parquet file one year at a time) and
:mod:`~pipeline.validate.wording` (row numbers and "and N more" in messages).
"""

from pipeline.validate.by_year import YearFindings
from pipeline.validate.check import validate, validate_while_reading
from pipeline.validate.classification import detect_classification
from pipeline.validate.report import ValidationReport, require_usable
from pipeline.validate.totals import DEFAULT_TOTAL_TOLERANCE, inconsistent_totals

__all__ = [
    "DEFAULT_TOTAL_TOLERANCE",
    "ValidationReport",
    "YearFindings",
    "detect_classification",
    "inconsistent_totals",
    "require_usable",
    "validate",
    "validate_while_reading",
]
