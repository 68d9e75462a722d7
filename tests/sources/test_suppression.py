"""Imputation of suppressed employment: hand-worked cases.

Size-class midpoints used below: n1_4 2.5, n5_9 7, n10_19 14.5, n20_49 34.5, n250_499
374.5, n1000_1 1249.5.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.classifications.naics import naics_parent
from pipeline.sources.cbp_files import read_cbp_county_file
from pipeline.sources.schema import canonical_employment, check_employment
from pipeline.sources.suppression import (
    average_establishment_size,
    exclude_imputed,
    impute_suppressed,
    size_class_estimate,
)

OFFICIAL = Path(__file__).resolve().parents[1] / "data" / "official"


def _table(rows, year=2012):
    """rows: (region, code, employment or None, establishments)."""
    frame = pd.DataFrame(
        rows, columns=["region_id", "industry_code", "employment", "establishments"]
    )
    codes = frame["industry_code"]
    level = codes.str.len().where(~codes.str.contains("-"), 2).where(codes != "00", 0)
    return canonical_employment(
        frame.assign(
            industry_level=level,
            year=year,
            classification="naics2012",
            employment=pd.to_numeric(frame["employment"]).astype("float64"),
            employment_flag=np.where(frame["employment"].isna(), "suppressed", "reported"),
        )
    )


def _classes(rows, year=2012):
    """rows: (region, code, size_class, establishments)."""
    frame = pd.DataFrame(
        rows, columns=["region_id", "industry_code", "size_class", "establishments"]
    )
    return frame.assign(year=np.int16(year), establishments=frame["establishments"].astype(float))


def _value(table, region, code):
    row = table[(table["region_id"] == region) & (table["industry_code"] == code)]
    assert len(row) == 1
    return row.iloc[0]["employment"], row.iloc[0]["employment_flag"]


@pytest.mark.parametrize(
    ("code", "parent"),
    [("00", None), ("31-33", "00"), ("42", "00"), ("336", "31-33"), ("452", "44-45"),
     ("488", "48-49"), ("541", "54"), ("3361", "336"), ("336111", "33611")],
)  # fmt: skip
def test_naics_parent(code, parent):
    assert naics_parent(code) == parent


def test_size_class_estimate_midpoints_and_open_class():
    classes = _classes(
        [
            ("A", "1", "n1_4", 4),  # 4 x 2.5 = 10
            ("A", "1", "n5_9", 2),  # + 2 x 7 = 24
            ("A", "2", "n1000", 1),  # breakdown adds up: 1249.5
            ("A", "2", "n1000_1", 1),
            ("A", "3", "n1000", 2),  # breakdown (1) does not add up: 2 x 1500
            ("A", "3", "n1000_2", 1),
            ("A", "4", "n1_4", 3),
            ("A", "4", "n5_9", None),  # unpublished class: no estimate
        ]
    )
    estimate = size_class_estimate(classes).set_index("industry_code")["size_class_estimate"]
    assert estimate["1"] == 24.0
    assert estimate["2"] == 1249.5
    assert estimate["3"] == 3000.0
    assert np.isnan(estimate["4"])


def test_scale_down_to_the_residual():
    # Parent 100; reported child 40; withheld children priors 21 (3 x 7) and 69 (2 x 34.5).
    # One establishment is in no listed child, so the residual 60 is only an upper bound:
    # the priors (90) are scaled by 60/90 -> 14 and 46.
    employment = _table(
        [("A", "3361", 100, 10), ("A", "33611", 40, 4), ("A", "33612", None, 3),
         ("A", "33613", None, 2)]
    )  # fmt: skip
    classes = _classes([("A", "33612", "n5_9", 3), ("A", "33613", "n20_49", 2)])
    result = impute_suppressed(employment, classes)
    assert _value(result, "A", "33612") == (pytest.approx(14.0), "imputed")
    assert _value(result, "A", "33613") == (pytest.approx(46.0), "imputed")
    assert _value(result, "A", "33611") == (40.0, "reported")


def test_scale_up_only_when_the_children_hold_every_establishment():
    # Priors 10 (4 x 2.5) and 20 (8 x 2.5) under a residual of 60.
    rows = [("A", "33611", 40, 4), ("A", "33612", None, 4), ("A", "33613", None, 8)]
    classes = _classes([("A", "33612", "n1_4", 4), ("A", "33613", "n1_4", 8)])
    complete = impute_suppressed(_table([("A", "3361", 100, 16), *rows]), classes)
    assert _value(complete, "A", "33612")[0] == pytest.approx(20.0)
    assert _value(complete, "A", "33613")[0] == pytest.approx(40.0)
    # Four establishments in unlisted cells: 60 is an upper bound, the priors stand.
    partial = impute_suppressed(_table([("A", "3361", 100, 20), *rows]), classes)
    assert _value(partial, "A", "33612")[0] == pytest.approx(10.0)
    assert _value(partial, "A", "33613")[0] == pytest.approx(20.0)


def test_children_of_an_imputed_parent_use_its_estimate():
    # Level 2: total 1000 - reported 42 (600) = 400 for the withheld 31-33 (prior 300:
    # 6 x 50 from 100 x 2.5 + ...); all establishments listed -> 400.
    # Level 3: 400 - reported 311 (100) = 300 for the withheld 336.
    employment = _table(
        [("A", "00", 1000, 30), ("A", "31-33", None, 10), ("A", "42", 600, 20),
         ("A", "311", 100, 4), ("A", "336", None, 6)]
    )  # fmt: skip
    classes = _classes(
        [("A", "31-33", "n1_4", 2), ("A", "31-33", "n5_9", 4), ("A", "31-33", "n250_499", 1),
         ("A", "336", "n1_4", 6)]
    )  # fmt: skip
    result = impute_suppressed(employment, classes)
    assert _value(result, "A", "31-33") == (pytest.approx(400.0), "imputed")
    assert _value(result, "A", "336") == (pytest.approx(300.0), "imputed")


def test_fallback_to_national_average_size_without_parent():
    # Region B reports 3361: 500 employees in 5 establishments (average 100). Region A's
    # withheld 3361 (3 establishments) has no size classes and no parent row: 3 x 100.
    employment = _table([("A", "3361", None, 3), ("B", "3361", 500, 5)])
    assert average_establishment_size(employment)["average_size"].tolist() == [100.0]
    result = impute_suppressed(employment)
    assert _value(result, "A", "3361") == (pytest.approx(300.0), "imputed")


def test_given_average_size_and_parent_average_fallback():
    employment = _table([("A", "336", 200, 5), ("A", "3361", None, 2), ("A", "3362", None, 3)])
    national = pd.DataFrame({"industry_code": ["3361"], "year": [2012], "average_size": [50.0]})
    result = impute_suppressed(employment, average_size=national)
    # 3361: prior 2 x 50 = 100. 3362: no national average, so the parent's 200 / 5 = 40 per
    # establishment -> 120. All 5 establishments listed, residual 200: scaled by 200 / 220.
    assert _value(result, "A", "3361")[0] == pytest.approx(100 * 200 / 220)
    assert _value(result, "A", "3362")[0] == pytest.approx(120 * 200 / 220)


def test_published_ranges_bound_the_estimates():
    # Prior 2 x 374.5 = 749 for a cell flagged C (100-249), parent unknown -> 249.
    employment = _table([("A", "3361", None, 2)])
    classes = _classes([("A", "3361", "n250_499", 2)])
    ranges = pd.DataFrame(
        {"region_id": ["A"], "industry_code": ["3361"], "year": np.int16([2012]),
         "employment_lower": [100.0], "employment_upper": [249.0]}
    )  # fmt: skip
    result = impute_suppressed(employment, classes, ranges)
    assert _value(result, "A", "3361")[0] == 249.0


def test_negative_residual_from_noise_is_read_as_zero():
    employment = _table([("A", "336", 100, 5), ("A", "3361", 105, 4), ("A", "3362", None, 1)])
    result = impute_suppressed(employment, _classes([("A", "3362", "n1_4", 1)]))
    assert _value(result, "A", "3362") == (0.0, "imputed")


def test_cells_without_establishments_or_classes_stay_suppressed():
    employment = _table([("A", "3361", None, None)])
    result = impute_suppressed(employment)
    employment_value, flag = _value(result, "A", "3361")
    assert np.isnan(employment_value) and flag == "suppressed"


def test_nothing_to_impute_returns_the_table_unchanged(cbp_subset):
    result = impute_suppressed(cbp_subset)
    pd.testing.assert_frame_equal(result, cbp_subset)


def test_county_file_end_to_end_hand_worked():
    employment, size_classes, ranges = read_cbp_county_file(OFFICIAL / "cbp12co.txt")
    result = impute_suppressed(employment, size_classes, ranges)
    check_employment(result, "imputed")
    # 44-45: total 10,000 - (3,000 + 2,000 + 1,500) = 3,500; all 500 establishments are in
    # listed sectors, so the prior 1,285 (120x2.5 + 50x7 + 20x14.5 + 10x34.5) scales up.
    assert _value(result, "01001", "44-45") == (pytest.approx(3500.0), "imputed")
    # 336: 3,000 - 400 (311) = 2,600, within its range H (2,500-4,999).
    assert _value(result, "01001", "336")[0] == pytest.approx(2600.0)
    # 3361: prior 374.5 + 1,249.5 = 1,624 (range G 1,000-2,499). 3363: prior 107.5 is below
    # its range F (500-999), so 500. Both scaled by 2,600 / 2,124.
    assert _value(result, "01001", "3361")[0] == pytest.approx(1624 * 2600 / 2124)
    assert _value(result, "01001", "3363")[0] == pytest.approx(500 * 2600 / 2124)
    # 01003 54: 500 - 430 = 70 (prior 10x2.5 + 5x7 = 60), inside range B (20-99).
    assert _value(result, "01003", "54")[0] == pytest.approx(70.0)
    reported = employment["employment_flag"] == "reported"
    pd.testing.assert_frame_equal(result[reported], employment[reported])


def test_exclude_imputed():
    employment = _table([("A", "3361", None, 3), ("B", "3361", 500, 5), ("C", "3361", None, None)])
    result = exclude_imputed(impute_suppressed(employment))
    assert result["region_id"].tolist() == ["B", "C"]
    assert result["employment_flag"].tolist() == ["reported", "suppressed"]


def test_docstring_example():
    # Parent 100, reported child 40, withheld children of 3 (1-4) and 6 (5-9) establishments,
    # all establishments listed: priors 7.5 and 42 scaled to the residual 60.
    employment = _table(
        [("A", "3361", 100, 13), ("A", "33611", 40, 4), ("A", "33612", None, 3),
         ("A", "33613", None, 6)]
    )  # fmt: skip
    classes = _classes([("A", "33612", "n1_4", 3), ("A", "33613", "n5_9", 6)])
    result = impute_suppressed(employment, classes)
    assert _value(result, "A", "33612")[0] == pytest.approx(7.5 * 60 / 49.5)
    assert _value(result, "A", "33613")[0] == pytest.approx(42 * 60 / 49.5)
    assert round(_value(result, "A", "33612")[0], 2) == 9.09


def test_exclude_imputed_keeps_an_imputed_total_by_default():
    employment = pd.DataFrame(
        {
            "region_id": ["A", "A", "A"],
            "industry_code": ["00", "31-33", "54"],
            "industry_level": [0, 2, 2],
            "employment_flag": ["imputed", "imputed", "reported"],
        }
    )
    assert exclude_imputed(employment)["industry_code"].tolist() == ["00", "54"]
    assert exclude_imputed(employment, keep_totals=False)["industry_code"].tolist() == ["54"]
