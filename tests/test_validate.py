"""validate(): the corpus of bad files, each with the one-line message a user should see."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import UserError
from pipeline.sources.generic import read_generic
from pipeline.sources.raw_schema import InputWarning
from pipeline.validate import inconsistent_totals, require_usable, validate

DATA = Path(__file__).resolve().parent / "data"
GOOD = DATA / "good"
BAD = DATA / "bad"
GOOD_EMPLOYMENT = GOOD / "employment.csv"
GOOD_REGIONS = GOOD / "regions.geojson"

# (employment file, boundary file, classification, message fragments: file, where, what, fix)
FATAL = [
    (
        BAD / "empty.csv",
        None,
        ["empty.csv: the file is empty (0 bytes)", "export the table again with a header row"],
    ),
    (
        BAD / "header_only.csv",
        None,
        ["header_only.csv: has a header row but no data rows", "export the table with its rows"],
    ),
    (
        BAD / "latin1.csv",
        None,
        [
            "latin1.csv: row 3 is not UTF-8 text",
            "byte 0xE9",
            '"Montréal"',
            "save the file as UTF-8",
        ],
    ),
    (
        BAD / "truncated.parquet",
        None,
        ["truncated.parquet: not a readable Parquet file", "magic bytes", "write it again"],
    ),
    (
        BAD / "missing_column.csv",
        None,
        [
            "missing_column.csv: missing column 'employment'",
            "the file has: region_id, industry_code, year, jobs",
            "add it",
        ],
    ),
    (
        BAD / "misspelt_column.csv",
        None,
        [
            "misspelt_column.csv: column 'employmnet' looks like a misspelling of 'employment'",
            "rename the column to employment",
        ],
    ),
    (
        BAD / "semicolon.csv",
        None,
        ["semicolon.csv: the header row is separated by semicolons", "save the file as comma"],
    ),
    (
        GOOD_EMPLOYMENT,
        BAD / "no_crs_projected.parquet",
        [
            "no_crs_projected.parquet: no coordinate reference system",
            "are not longitude/latitude",
            "save the file with its CRS",
        ],
    ),
    (
        GOOD_EMPLOYMENT,
        BAD / "wrong_id_field.geojson",
        [
            "wrong_id_field.geojson: no field 'region_id' (fields: regionid, name)",
            "did you mean 'regionid'?",
            "rename it to region_id",
        ],
    ),
]

ERRORS = [
    (
        BAD / "text_in_year.csv",
        "naics2017",
        [
            "text_in_year.csv: column 'year', row 4: 'twenty19' is not a whole-number year",
            "write years as digits",
        ],
    ),
    (
        BAD / "negative_employment.csv",
        "naics2017",
        [
            "negative_employment.csv: column 'employment', row 3: -15 is negative",
            "correct it, or leave unknown (suppressed) cells empty",
        ],
    ),
    (
        BAD / "non_numeric_employment.csv",
        "naics2017",
        [
            "non_numeric_employment.csv: column 'employment', row 5: '(D)' is not a number",
            "without thousands separators",
        ],
    ),
    (
        BAD / "duplicate_rows.csv",
        "naics2017",
        [
            "duplicate_rows.csv: rows 3 and 6 repeat region '002', industry '311', year 2019",
            "keep one row per region x industry x year",
        ],
    ),
    (
        BAD / "unknown_industry_code.csv",
        "naics2017",
        [
            "unknown_industry_code.csv: column 'industry_code', row 4: '3399X' is not a naics2017 code",
            "correct the codes",
        ],
    ),
    (
        BAD / "nace_lost_leading_zero.csv",
        "nace_r2",
        [
            "nace_lost_leading_zero.csv: column 'industry_code', row 3: '1' is not a nace_r2 code",
            "with their leading zeros",
        ],
    ),
]

WARNINGS = [
    (
        BAD / "totals_inconsistent.csv",
        None,
        [
            "totals_inconsistent.csv: row 3: region '001', industry '31-33', year 2019",
            "employment 100 is less than the sum of its sub-industries (1 rows), 130",
            "check the parent row",
        ],
    ),
    (
        BAD / "region_not_in_boundaries.csv",
        GOOD_REGIONS,
        [
            "region_not_in_boundaries.csv: column 'region_id', row 8: region '004' has no boundary",
            "regions.geojson",
            "add its boundary or correct the id",
        ],
    ),
    (
        BAD / "zero_total_region.csv",
        None,
        [
            "zero_total_region.csv: row 4: region '003' has zero total employment in 2019",
            "dropped from LQs",
            "check its total row",
        ],
    ),
    (
        GOOD_EMPLOYMENT,
        BAD / "self_intersecting.geojson",
        [
            "self_intersecting.geojson: invalid geometry for region(s) '002' (Self-intersection)",
            "repaired with make_valid",
        ],
    ),
    (
        GOOD_EMPLOYMENT,
        BAD / "no_crs_lonlat.parquet",
        [
            "no_crs_lonlat.parquet: no coordinate reference system",
            "EPSG:4326 is assumed",
            "save the file with its CRS",
        ],
    ),
]


def contains_all(message: str, fragments: list[str]) -> None:
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize(("employment", "regions", "fragments"), FATAL, ids=lambda v: str(v)[-30:])
def test_unreadable_inputs_raise_one_line(employment, regions, fragments):
    with pytest.raises(UserError) as raised:
        validate(employment, regions, "naics2017")
    contains_all(str(raised.value), fragments)


@pytest.mark.parametrize(
    ("employment", "classification", "fragments"), ERRORS, ids=lambda v: str(v)[-30:]
)
def test_content_errors_make_the_report_unusable(employment, classification, fragments):
    report = validate(employment, classification=classification)
    assert not report.usable
    assert len(report.errors) == 1
    contains_all(report.errors[0], fragments)
    assert "NOT usable" in report.summary()
    with pytest.raises(UserError) as raised:  # the same line when a run reads the file
        read_generic(employment, classification)
    assert str(raised.value) == report.errors[0]


@pytest.mark.parametrize(
    ("employment", "regions", "fragments"), WARNINGS, ids=lambda v: str(v)[-30:]
)
def test_warnings_leave_the_report_usable(employment, regions, fragments):
    report = validate(employment, regions, "naics2017")
    assert report.usable, report.summary()
    assert report.errors == []
    assert len(report.warnings) == 1, report.warnings
    contains_all(report.warnings[0], fragments)
    assert "result: usable with 1 warning(s)" in report.summary()


def test_good_files_report():
    report = validate(GOOD_EMPLOYMENT, GOOD_REGIONS, "naics2017")
    assert report.usable and report.problems == [] and report.notes == []
    assert (report.rows, report.regions, report.industries, report.years) == (
        30,
        3,
        4,
        [2019, 2020],
    )
    assert report.coverage == 1.0
    assert report.suppressed_share == pytest.approx(1 / 24)  # 002 5415 2019
    assert report.imputed_share == pytest.approx(1 / 24)  # 001 5415 2020
    summary = report.summary()
    assert (
        "30 rows: 3 regions x 4 industries x 2 years (2019-2020), classification naics2017"
        in summary
    )
    assert "4.2% suppressed, 4.2% imputed" in summary
    assert summary.endswith("result: usable")
    assert require_usable(report) is report
    assert len(report.boundaries) == 3


def test_coverage_counts_missing_cells():
    report = validate(BAD / "totals_inconsistent.csv", classification="naics2017")
    # 2 regions x 3 industries (31-33, 311, 54) x 1 year = 6 cells; region 002 lacks 54.
    assert report.coverage == pytest.approx(5 / 6)


def test_projected_boundaries_and_derived_totals_are_notes():
    report = validate(
        GOOD / "employment_no_totals.parquet", GOOD / "regions_epsg3035.parquet", "naics2017"
    )
    assert report.usable and report.problems == []
    assert any("reprojected from EPSG:3035 to EPSG:4326" in note for note in report.notes)
    assert any("6 of 6 region-years have no total row" in note for note in report.notes)
    assert "(EPSG:3035 -> EPSG:4326)" in report.summary()


def test_ids_that_lost_their_leading_zeros_match_no_boundary(tmp_path):
    path = tmp_path / "stripped.csv"
    path.write_text("region_id,industry_code,year,employment\n1,00,2019,10\n1,54,2019,4\n")
    report = validate(path, GOOD_REGIONS, "naics2017")
    assert not report.usable
    contains_all(
        report.errors[0],
        ["stripped.csv: column 'region_id': no region id is in", "lost their leading zeros"],
    )
    with pytest.raises(UserError, match="stripped.csv: column 'region_id'"):
        require_usable(report)


def test_total_tolerance_is_relative():
    table = pd.DataFrame(
        {
            "region_id": "R",
            "year": 2019,
            "industry_code": ["31-33", "311", "312"],
            "employment": [100.0, 80.0, 50.0],
        }
    )
    assert len(inconsistent_totals(table, "naics2017", tolerance=0.29)) == 1
    assert inconsistent_totals(table, "naics2017", tolerance=0.3).empty  # 130 <= 100 * 1.3
    flagged = inconsistent_totals(table, "naics2017", tolerance=0.0).iloc[0]
    assert (flagged["industry_code"], flagged["parts_employment"], flagged["parts"]) == (
        "31-33",
        130.0,
        2,
    )


def test_suppressed_parts_do_not_count_against_their_parent():
    table = pd.DataFrame(
        {
            "region_id": "R",
            "year": 2019,
            "industry_code": ["54", "541", "5415"],
            "employment": [10.0, None, 12.0],
        }
    )
    # 5415's nearest present parent is 541 (suppressed, so unchecked); 54 >= 541 (unknown).
    assert inconsistent_totals(table, "naics2017", tolerance=0.0).empty


def test_real_cbp_metros_round_trip_through_the_generic_schema(cbp_subset, tmp_path):
    generic = cbp_subset[["region_id", "industry_code", "year", "employment", "establishments"]]
    path = tmp_path / "cbp_pnw.csv"
    generic.to_csv(path, index=False)
    report = validate(path, classification="naics2017")
    assert report.usable and report.problems == [], report.summary()
    assert report.regions == cbp_subset["region_id"].nunique()
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        employment = read_generic(path, "naics2017")
    expected = cbp_subset.reset_index(drop=True)
    # The CBP reader keeps the raw naics_level 5 for the range sectors 31-33, 44-45, 48-49;
    # the schema (and the generic reader) put them at level 2.
    ranges = expected["industry_code"].str.contains("-")
    assert set(expected.loc[ranges, "industry_level"]) <= {2, 5}
    assert set(employment.loc[ranges, "industry_level"]) == {2}
    expected["industry_level"] = expected["industry_level"].mask(ranges, 2).astype("int8")
    pd.testing.assert_frame_equal(employment, expected)


# Gates (issue 10): the bad files a new user produces fail in one line; odd-but-valid pass.
GATE_ERRORS = [
    ("empty_year.csv", "column 'year', row 2: the year is empty"),
    ("five_digit_year.csv", "column 'year', row 2: '20190' is not a four-digit year"),
    ("nace_codes_as_naics.csv", "the codes look like nace_r2: pass --classification nace_r2"),
    ("all_zero_employment.csv", "column 'employment': every value is zero or empty (4 rows)"),
    ("zero_totals_everywhere.csv", "row 2: every total row (industry_code '00') is zero"),
    ("extra_field.csv", "row 2 has 6 fields but the header has 5"),
    ("short_row.csv", "row 2 has 3 fields but the header has 5"),
    ("fractional_establishments.csv", "column 'establishments', row 2: 90.5 is not a whole"),
    ("thousands_separator.csv", "column 'employment', row 2: '1,000' is not a number"),
    ("unknown_flag.csv", "column 'employment_flag', row 3: 'estimated' is not a flag"),
    ("date_as_year.csv", "column 'year', row 2: '2019-01-01' is not a whole-number year"),
]


@pytest.mark.parametrize(("name", "fragment"), GATE_ERRORS, ids=[name for name, _ in GATE_ERRORS])
def test_gate_errors_make_the_report_unusable(name, fragment):
    report = validate(BAD / name, classification="naics2017")
    assert not report.usable
    assert len(report.errors) == 1
    contains_all(report.errors[0], [f"{name}: ", fragment])


@pytest.mark.parametrize("name", ["tab_separated.csv", "html_error_page.csv"])
def test_gate_fatal_files_raise_one_line(name):
    with pytest.raises(UserError) as raised:
        validate(BAD / name, classification="naics2017")
    contains_all(str(raised.value), [f"{name}: "])


ODD = DATA / "odd"


@pytest.mark.parametrize("name", sorted(path.name for path in ODD.iterdir()))
def test_odd_but_valid_files_read_like_the_good_file(name):
    report = validate(ODD / name, classification="naics2017")
    assert report.usable and report.errors == [], report.summary()
    expected = validate(GOOD_EMPLOYMENT, classification="naics2017").employment
    pd.testing.assert_frame_equal(report.employment, expected)


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["00", "31-33", "311", "5415"], "naics2017"),
        (["00", "A", "C", "J"], "nace_r2"),
        (["00", "C", "311"], None),  # half and half: ambiguous
        (["00"], None),
        (["X1", "X2"], None),
    ],
)
def test_detect_classification(codes, expected):
    from pipeline.validate import detect_classification

    found = detect_classification(pd.Series(codes))
    assert (found[0] if found else None) == expected


def test_validate_without_classification_uses_the_detected_one_and_says_so():
    report = validate(GOOD_EMPLOYMENT)
    assert report.usable and report.classification == "naics2017"
    assert report.notes[0].startswith("no --classification given: the industry codes are naics2017")
    with pytest.raises(UserError, match="no classification given"):  # codes 1 and C: unclear
        validate(BAD / "nace_lost_leading_zero.csv")
