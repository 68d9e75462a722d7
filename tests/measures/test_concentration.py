"""Concentration: hand-worked golden values of every named measure, properties, and a check
on the real CBP 2019 metro data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.classifications.size_classes import PLANT_SIZE_CLASSES
from pipeline.errors import UserError
from pipeline.measures import concentration
from pipeline.measures.concentration import (
    H_EQUAL_PLANTS,
    H_MIXED,
    H_SIZE_CLASSES,
    ellison_glaeser,
    herfindahl,
    hoover,
    industry_concentration,
    locational_gini,
    plant_size_squares,
)
from pipeline.measures.specialization import region_totals
from pipeline.sources.us_cbp import read_cbp_cbsa
from tests.measures.panels import concentration_panels, four_regions, table

RAW_US = Path(__file__).resolve().parents[2] / "data" / "raw" / "us"


def test_golden_values_worked_by_hand():
    result = industry_concentration(four_regions()).set_index("industry_code")
    a = result.loc["A"]
    # s = .6 .2 0 .2; LQ = 6, 1, 0, .5 -> sorted R3 (x .3, s 0), R4 (.4, .2), R2 (.2, .2),
    # R1 (.1, .6). Area under the Lorenz curve: 0 + .4(0+.2)/2 + .2(.2+.4)/2 + .1(.4+1)/2
    # = .04 + .06 + .07 = .17, so Gini = 1 - 2 * .17 = .66. Check with the mean difference:
    # sum over pairs x_r x_q |LQ_r - LQ_q| = .1 + .18 + .22 + .06 + .04 + .06 = .66.
    assert a["gini"] == pytest.approx(0.66)
    # Hoover: .5 (|.6-.1| + |.2-.2| + |0-.3| + |.2-.4|) = .5 (.5 + 0 + .3 + .2) = .5.
    assert a["hoover"] == pytest.approx(0.5)
    # Herfindahl: .36 + .04 + 0 + .04 = .44.
    assert a["herfindahl"] == pytest.approx(0.44)
    # EG G: .25 + 0 + .09 + .04 = .38; sum x^2 = .30; H = .36/3 + .04/2 + .04/1 = .18;
    # gamma = (.38/.7 - .18) / .82 = (19/35 - 9/50) / .82 = (127/350) / .82 = 127/287.
    assert a["eg_G"] == pytest.approx(0.38)
    assert a["eg_H"] == pytest.approx(0.18)
    assert a["eg_gamma"] == pytest.approx(127 / 287)
    assert a["eg_h_method"] == H_EQUAL_PLANTS
    assert (a["n_regions"], a["employment"], a["establishments"]) == (3, 50, 6)


def test_single_region_industry_and_even_industry():
    rows = [("R1", "00", 0, 100, 1), ("R2", "00", 0, 300, 1)]
    rows += [("R1", "ONLY", 6, 20, 1), ("R1", "EVEN", 6, 10, 1), ("R2", "EVEN", 6, 30, 1)]
    result = industry_concentration(table(rows)).set_index("industry_code")
    # Everything in R1 (x = .25): Lorenz curve 0 until x = .75, then up to 1: area .125,
    # Gini = 1 - .25 = .75; Hoover = .5 (.75 + .75) = .75; one plant -> H = 1, gamma NaN.
    assert result.loc["ONLY", "gini"] == pytest.approx(0.75)
    assert result.loc["ONLY", "hoover"] == pytest.approx(0.75)
    assert np.isnan(result.loc["ONLY", "eg_gamma"])
    # Spread exactly like total employment (10/40 = .25): no concentration at all.
    for measure in ["gini", "hoover", "eg_G"]:
        assert result.loc["EVEN", measure] == pytest.approx(0.0, abs=1e-12)


def test_region_totals_argument_includes_regions_without_rows():
    employment = four_regions()
    totals = region_totals(employment)
    totals = pd.concat(
        [totals, pd.DataFrame({"year": [2019], "region_id": ["R5"], "region_employment": [0.0]})]
    )
    assert industry_concentration(employment, totals).equals(industry_concentration(employment))
    # A fifth region with 1000 employees and none of 'A': x = .05 .1 .15 .2 .5.
    totals.loc[totals["region_id"] == "R5", "region_employment"] = 1000.0
    a = industry_concentration(employment, totals).set_index("industry_code").loc["A"]
    x = np.array([0.05, 0.1, 0.15, 0.2, 0.5])
    s = np.array([0.6, 0.2, 0.0, 0.2, 0.0])
    assert a["hoover"] == pytest.approx(0.5 * np.abs(s - x).sum())
    assert a["eg_G"] == pytest.approx(((s - x) ** 2).sum())


def test_missing_total_row_is_a_user_error():
    employment = four_regions()
    employment = employment[
        ~((employment["region_id"] == "R4") & (employment["industry_level"] == 0))
    ]
    with pytest.raises(UserError, match="R4"):
        industry_concentration(employment)


def test_suppressed_cells_are_counted_and_left_out():
    employment = four_regions()
    employment.loc[(employment["region_id"] == "R3") & (employment["industry_code"] == "B"), "employment"] = np.nan  # fmt: skip
    b = industry_concentration(employment).set_index("industry_code").loc["B"]
    assert (b["n_regions"], b["n_suppressed"], b["employment"]) == (3, 1, 650)


# ---- the named measures --------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "columns", "expected"),
    [
        (locational_gini, ["gini"], [0.66]),
        (hoover, ["hoover"], [0.5]),
        (herfindahl, ["herfindahl"], [0.44]),
        (ellison_glaeser, ["eg_G", "eg_H", "eg_gamma"], [0.38, 0.18, 127 / 287]),
    ],
)
def test_named_measures_golden_values(measure, columns, expected):
    # The hand-worked values of test_golden_values_worked_by_hand, one function each.
    result = measure(four_regions())
    assert list(result.columns) == ["year", "industry_code", "industry_level", *columns] + (
        ["eg_h_method"] if measure is ellison_glaeser else []
    )
    a = result.set_index("industry_code").loc["A"]
    assert [a[column] for column in columns] == pytest.approx(expected)


@pytest.mark.parametrize("measure", [locational_gini, hoover, herfindahl, ellison_glaeser])
def test_named_measures_are_views_of_the_one_pass_table(measure):
    employment = four_regions()
    totals = region_totals(employment)
    whole = industry_concentration(employment, totals)
    part = measure(employment, totals)
    pd.testing.assert_frame_equal(part, whole[part.columns])


def test_plant_size_classes_count_each_plant_once_and_read_both_small_classes():
    # The pre-2017 n1_4 and the 2017+ n<5 are the same class; the open class's breakdown
    # n1000_1 ... n1000_4 would count its plants twice, so the plant H leaves it out.
    assert PLANT_SIZE_CLASSES["n1_4"] == PLANT_SIZE_CLASSES["n<5"] == (0.0, 4.0)
    assert not {"n1000_1", "n1000_2", "n1000_3", "n1000_4"} & set(PLANT_SIZE_CLASSES)
    classes = pd.DataFrame(
        {"cell": [0, 1], "size_class": ["n1_4", "n<5"], "establishments": [2, 2]}
    )
    squares = plant_size_squares(classes, np.array([4.0, 4.0]))
    assert squares[0] == squares[1] == pytest.approx(2 * 2.0**2)


# ---- plant Herfindahl from size classes ------------------------------------------------


def test_plant_size_squares_worked_by_hand():
    classes = pd.DataFrame(
        {
            "cell": [0, 0, 1, 1, 2],
            "size_class": ["n5_9", "n10_19", "n<5", "n1000", "n1000"],
            "establishments": [2, 1, 2, 1, 2],
        }
    )
    squares = plant_size_squares(classes, np.array([30.0, 1500.0, 1200.0, 40.0]))
    # Cell 0: midpoints 7, 7, 14.5 add to 28.5; scaled by 30/28.5 the squares add to
    # (30/28.5)^2 (49 + 49 + 210.25).
    assert squares[0] == pytest.approx((30 / 28.5) ** 2 * 308.25)
    # Cell 1: two plants of 2 (midpoint of 0..4); the 1000+ plant takes the rest, 1496.
    assert squares[1] == pytest.approx(2 * 2**2 + 1496**2)
    # Cell 2: two 1000+ plants for 1200 employees: at least 1000 each, then scaled to 600.
    assert squares[2] == pytest.approx(2 * 600**2)
    assert np.isnan(squares[3])


def test_size_classes_give_eg_h_and_method():
    employment = four_regions()
    size_classes = pd.DataFrame(
        {
            "region_id": ["R1", "R1", "R2", "R4"],
            "industry_code": ["A"] * 4,
            "year": [2019] * 4,
            "size_class": ["n5_9", "n10_19", "n5_9", "n10_19"],
            "establishments": [2, 1, 2, 1],
        }
    )
    result = industry_concentration(employment, size_classes=size_classes).set_index(
        "industry_code"
    )
    # R1: (30/28.5)^2 * 308.25; R2: two plants of 7 scaled to 5 each -> 50; R4: one plant
    # of 10; divided by e_i^2 = 2500.
    expected_h = ((30 / 28.5) ** 2 * 308.25 + 50 + 100) / 2500
    assert result.loc["A", "eg_H"] == pytest.approx(expected_h)
    assert result.loc["A", "eg_h_method"] == H_SIZE_CLASSES
    assert result.loc["A", "eg_gamma"] == pytest.approx(
        (0.38 / 0.7 - expected_h) / (1 - expected_h)
    )
    assert result.loc["B", "eg_h_method"] == H_EQUAL_PLANTS
    partial = industry_concentration(employment, size_classes=size_classes.iloc[:3])
    assert partial.set_index("industry_code").loc["A", "eg_h_method"] == H_MIXED


def test_unknown_size_class_is_a_user_error():
    classes = pd.DataFrame({"cell": [0], "size_class": ["n2000"], "establishments": [1]})
    with pytest.raises(UserError, match="n2000"):
        plant_size_squares(classes, np.array([10.0]))


# ---- properties ----------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(concentration_panels())
def test_bounds_and_dense_formulas(panel):
    employment, matrix, totals = panel
    result = industry_concentration(employment).set_index("industry_code")
    x = totals / totals.sum()
    for i in range(matrix.shape[1]):
        s = matrix[:, i] / matrix[:, i].sum()
        lq = s / x
        got = result.loc[f"I{i}"]
        assert 0.0 <= got["gini"] <= 1.0
        assert 0.0 <= got["hoover"] <= 1.0
        # Independent dense computations over all regions, zeros included.
        mean_difference = 0.5 * (np.outer(x, x) * np.abs(lq[:, None] - lq[None, :])).sum()
        assert got["gini"] == pytest.approx(mean_difference, abs=1e-9)
        assert got["hoover"] == pytest.approx(0.5 * np.abs(s - x).sum(), abs=1e-12)
        assert got["eg_G"] == pytest.approx(((s - x) ** 2).sum(), abs=1e-12)
        assert got["herfindahl"] == pytest.approx((s**2).sum(), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(concentration_panels(), st.randoms(use_true_random=False))
def test_region_labels_do_not_matter(panel, random):
    employment, _, _ = panel
    ids = sorted(employment["region_id"].unique())
    shuffled = ids.copy()
    random.shuffle(shuffled)
    relabelled = employment.assign(
        region_id=employment["region_id"].map(dict(zip(ids, shuffled, strict=True)))
    ).sample(frac=1.0, random_state=random.randint(0, 1000))
    before = industry_concentration(employment)
    after = industry_concentration(relabelled)
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-12, atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.floats(0, 1e6, allow_nan=False)), min_size=1, max_size=60
    )
)
def test_lorenz_order_single_key_equals_two_pass(rows):
    industry = np.array([row[0] for row in rows], dtype=np.int64)
    lq = np.array([row[1] for row in rows])
    one_key = concentration._lorenz_order(industry, lq, 31)
    two_pass = concentration._lorenz_order(industry, lq, 2**20)  # too many codes for one key
    for order in (one_key, two_pass):
        assert (np.diff(industry[order]) >= 0).all()
        same_industry = np.diff(industry[order]) == 0
        assert (np.diff(lq[order])[same_industry] >= 0).all()
    assert np.array_equal(industry[one_key], industry[two_pass])
    assert np.array_equal(lq[one_key], lq[two_pass])


# ---- real data ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cbsa_concentration() -> pd.DataFrame:
    employment = read_cbp_cbsa(
        RAW_US / "cbp2019_cbsa_naics.parquet", estimate_unpublished_cells=False
    )
    result = industry_concentration(employment)
    return result[result["industry_level"] == 6].set_index("industry_code")


@pytest.mark.parametrize(
    ("measure", "top_share"), [("gini", 0.05), ("eg_G", 0.05), ("eg_gamma", 0.05), ("hoover", 0.07)]
)
def test_carpet_mills_concentrated_restaurants_not(cbsa_concentration, measure, top_share):
    # Carpet mills (314110) sit around Dalton, GA; full-service restaurants (722511) are
    # wherever people are. Of 961 six-digit industries in CBP 2019 metros, carpet mills
    # rank 31st (gamma), 36th (Gini, G) and 59th (Hoover): tiny mining industries found in
    # one or two metros rank higher. Among the 684 industries with 10,000+ employees they
    # rank 4th to 8th. Restaurants rank next to last or last.
    rank = cbsa_concentration[measure].rank(ascending=False, pct=True)
    assert rank["314110"] <= top_share
    assert rank["722511"] >= 0.99
    sizeable = cbsa_concentration[cbsa_concentration["employment"] >= 10_000]
    assert sizeable[measure].rank(ascending=False)["314110"] <= 10


def test_real_data_bounds(cbsa_concentration):
    assert cbsa_concentration["gini"].between(0, 1).all()
    assert cbsa_concentration["hoover"].between(0, 1).all()
    assert (cbsa_concentration["eg_h_method"] == H_EQUAL_PLANTS).all()


def test_unknown_establishment_counts_stay_unknown():
    # Section-level value data (Rosstat shipments) has no establishment counts.
    table = pd.DataFrame(
        {
            "region_id": ["A", "A", "B", "B"],
            "industry_code": ["00", "C", "00", "C"],
            "industry_level": np.array([0, 1, 0, 1], dtype="int8"),
            "year": np.int16(2019),
            "employment": [100.0, 40.0, 300.0, 20.0],
            "establishments": np.nan,
        }
    )
    result = industry_concentration(table).set_index("industry_code")
    assert np.isnan(result.loc["C", "establishments"])
    assert np.isnan(result.loc["C", "eg_H"])
    assert result.loc["C", "hoover"] > 0
