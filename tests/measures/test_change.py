"""Change measures: LQ trajectories and strong-cluster transitions, by hand and on the county panel."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.classifications.benchmark_clusters import industry_clusters, read_crosswalk
from pipeline.classifications.naics_vintages import read_naics_concordance
from pipeline.clusters.strength import cluster_employment, score_clusters
from pipeline.config import project_settings
from pipeline.errors import UserError
from pipeline.measures.change import (
    LQ_CLASSES,
    classify_lq_change,
    compound_annual_growth,
    lq_change,
    strong_cluster_transitions,
    transition_counts,
)
from pipeline.measures.specialization import location_quotients, region_totals
from pipeline.sources.us_counties import CBP_FILE, county_employment, read_cbp_counties

RULES = (1.0, 0.05)  # specialisation_lq, stable_tolerance of the hand-worked cases

ROOT = Path(__file__).resolve().parents[2]
RAW_COUNTIES = ROOT / "data" / "raw" / "us_counties"
CLASSIFICATIONS = ROOT / "data" / "raw" / "classifications"
# Washington, Oregon, Idaho: Seattle aerospace and software, Portland semiconductors.
PANEL_STATES = ["16", "41", "53"]


# --- classify_lq_change -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lq_base", "lq_end", "expected"),
    [
        (0.8, 1.1, "emerging"),  # rises through 1
        (1.2, 0.9, "declining"),  # falls through 1
        (1.2, 1.5, "specialised-rising"),
        (2.0, 1.5, "specialised-falling"),
        (1.5, 1.55, "specialised-stable"),  # +3.3 % is within the 5 % tolerance
        (0.5, 0.8, "unspecialised-rising"),
        (0.8, 0.5, "unspecialised-falling"),
        (0.5, 0.51, "unspecialised-stable"),
        (0.99, 1.01, "specialised-stable"),  # a crossing within the tolerance is not one
        (1.01, 0.99, "unspecialised-stable"),
        (1.0, 0.9, "declining"),  # LQ exactly 1 counts as specialised
        (0.0, 0.4, "unspecialised-rising"),  # from a reported zero
        (0.0, 0.0, "unspecialised-stable"),
        (np.nan, 1.4, "not-comparable"),
        (1.4, np.nan, "not-comparable"),
    ],
)
def test_classify_lq_change_rules(lq_base, lq_end, expected):
    assert classify_lq_change([lq_base], [lq_end], *RULES).tolist() == [expected]


def test_classify_lq_change_parameters():
    # With the threshold at 1.25 the 1.1 -> 1.3 trajectory becomes a crossing ...
    assert classify_lq_change([1.1], [1.3], 1.25, 0.05).tolist() == ["emerging"]
    # ... and with no tolerance the +3.3 % move counts as rising.
    assert classify_lq_change([1.5], [1.55], 1.0, 0.0).tolist() == ["specialised-rising"]
    assert set(classify_lq_change([0.8, 1.2], [1.1, 0.9], *RULES)) <= set(LQ_CLASSES)


def test_compound_annual_growth():
    growth = compound_annual_growth(
        np.array([100.0, 100.0, 0.0, np.nan]), np.array([121.0, 0.0, 5.0, 10.0]), 2
    )
    assert growth[0] == pytest.approx(0.1)
    assert growth[1] == -1.0
    assert np.isnan(growth[2]) and np.isnan(growth[3])


# --- lq_change ----------------------------------------------------------------------------


def _toy_employment() -> pd.DataFrame:
    # Two regions of 100 jobs each, industries X and Y (and Z, published in A only in 2019).
    #   2017: A X 20 Y 80 | B X 30 Y 70  -> e_X = 50, E = 200
    #   2018: A X 30 Y 70 | B X 25 Y 75  (a middle year the defaults skip)
    #   2019: A X 40 Y 60 | B X 20 Y 80  -> e_X = 60
    rows = []
    for year, a_x, b_x in [(2017, 20, 30), (2018, 30, 25), (2019, 40, 20)]:
        for region, x in (("A", a_x), ("B", b_x)):
            rows += [
                (region, "00", 0, year, 100.0),
                (region, "11", 2, year, float(x)),
                (region, "22", 2, year, float(100 - x)),
            ]
    rows.append(("A", "33", 2, 2019, 5.0))
    table = pd.DataFrame(
        rows, columns=["region_id", "industry_code", "industry_level", "year", "employment"]
    )
    table["industry_level"] = table["industry_level"].astype("int8")
    table["year"] = table["year"].astype("int16")
    table["establishments"] = 1.0
    table["classification"] = "naics2017"
    return table


def test_lq_change_hand_worked():
    change = lq_change(location_quotients(_toy_employment()), None, None, *RULES).set_index(
        ["region_id", "industry_code"]
    )
    assert set(change["base_year"]) == {2017} and set(change["end_year"]) == {2019}
    # A, X: LQ (20/100)/(50/200) = 0.8 -> (40/100)/(60/200) = 4/3: rises through 1.
    a_x = change.loc[("A", "11")]
    assert a_x["lq_base"] == pytest.approx(0.8)
    assert a_x["lq_end"] == pytest.approx(4 / 3)
    assert a_x["lq_change"] == pytest.approx(4 / 3 - 0.8)
    assert a_x["employment_change"] == 20
    assert a_x["employment_cagr"] == pytest.approx(2**0.5 - 1)
    assert a_x["lq_class"] == "emerging"
    # B, X: 1.2 -> 2/3: falls through 1.  A, Y: 0.8/0.75 -> 0.6/0.7: falls through 1.
    assert change.loc[("B", "11"), "lq_base"] == pytest.approx(1.2)
    assert change.loc[("B", "11"), "lq_class"] == "declining"
    assert change.loc[("A", "22"), "lq_end"] == pytest.approx(0.6 / 0.7)
    assert change.loc[("A", "22"), "lq_class"] == "declining"
    # B, Y: 0.7/0.75 -> 0.8/0.7.
    assert change.loc[("B", "22"), "lq_class"] == "emerging"
    # Z is published in 2019 only: not a zero in 2017, so nothing is compared.
    a_z = change.loc[("A", "33")]
    assert a_z["published"] == "end_only"
    assert a_z["lq_class"] == "not-comparable"
    assert np.isnan(a_z["lq_change"]) and np.isnan(a_z["employment_cagr"])
    assert a_z["industry_level"] == 2


def test_lq_change_explicit_years():
    change = lq_change(location_quotients(_toy_employment()), 2017, 2018, *RULES)
    a_x = change.set_index(["region_id", "industry_code"]).loc[("A", "11")]
    # 2018: e_X = 55, LQ = 0.30 / 0.275.
    assert a_x["lq_end"] == pytest.approx(0.30 / 0.275)
    assert a_x["employment_cagr"] == pytest.approx(0.5)
    assert len(change) == 4


@pytest.mark.parametrize(
    ("base_year", "end_year", "message"),
    [(2016, None, "base_year 2016"), (2019, 2017, "before"), (2018, 2018, "before")],
)
def test_lq_change_rejects_bad_years(base_year, end_year, message):
    with pytest.raises(UserError, match=message):
        lq_change(location_quotients(_toy_employment()), base_year, end_year, *RULES)


# --- strong_cluster_transitions -----------------------------------------------------------


def _scored(rows) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["region_id", "cluster_code", "year", "strong"])
    table["year"] = table["year"].astype("int16")
    table["cluster_name"] = "Cluster " + table["cluster_code"]
    return table


def test_transitions_hand_worked():
    scored = _scored(
        [
            ("R1", "1", 2017, False),
            ("R1", "1", 2018, True),
            ("R1", "1", 2019, True),
            ("R2", "1", 2017, True),
            ("R2", "1", 2018, False),  # R2 has no cluster-1 row in 2019
            ("R3", "2", 2017, True),  # R3 has no cluster-2 row in 2018
            ("R3", "2", 2019, True),
            ("R4", "2", 2017, False),
            ("R4", "2", 2018, False),
            ("R4", "2", 2019, False),
        ]
    )
    transitions = strong_cluster_transitions(scored)
    got = {
        (row.region_id, row.cluster_code, row.year_from, row.year_to): row.transition
        for row in transitions.itertuples()
    }
    assert got == {
        ("R1", "1", 2017, 2018): "entry",
        ("R1", "1", 2018, 2019): "persistent",
        ("R2", "1", 2017, 2018): "exit",
        ("R3", "2", 2017, 2018): "exit",
        ("R3", "2", 2018, 2019): "entry",
    }
    assert transitions["cluster_name"].tolist() == [
        f"Cluster {code}" for code in transitions["cluster_code"]
    ]
    counts = transition_counts(transitions).set_index("year_to")
    assert counts.loc[2018, ["entries", "exits", "persistent"]].tolist() == [1, 2, 0]
    assert counts.loc[2019, ["entries", "exits", "persistent"]].tolist() == [1, 0, 1]
    # Strong in 2017: R2 and R3 (both exit); strong in 2018: R1 (an entry).
    assert counts.loc[2018, "strong_from"] == 2 and counts.loc[2018, "strong_to"] == 1
    assert counts.loc[2018, "net"] == -1
    assert counts.loc[2018, "churn"] == pytest.approx(3 / 2)
    by_cluster = transition_counts(transitions, by=["cluster_code"])
    assert by_cluster["entries"].sum() == 2 and by_cluster["exits"].sum() == 2


def test_transitions_skip_missing_years_and_need_the_flag():
    scored = _scored([("R1", "1", 2017, True), ("R1", "1", 2019, False)])
    transitions = strong_cluster_transitions(scored)
    assert transitions[["year_from", "year_to", "transition"]].values.tolist() == [
        [2017, 2019, "exit"]
    ]
    with pytest.raises(UserError, match="strong"):
        strong_cluster_transitions(scored.drop(columns="strong"))


# --- the real county panel ----------------------------------------------------------------


@pytest.fixture(scope="module")
def panel_employment() -> pd.DataFrame:
    return county_employment(read_cbp_counties(RAW_COUNTIES / CBP_FILE, PANEL_STATES))


@pytest.fixture(scope="module")
def panel_scored(panel_employment) -> pd.DataFrame:
    detail = panel_employment[panel_employment["industry_level"] == 6]
    mapping = industry_clusters(
        detail["industry_code"].unique(),
        read_crosswalk(CLASSIFICATIONS / "uscmp_cluster_naics_crosswalk.csv"),
        read_naics_concordance(CLASSIFICATIONS / "naics_2017_to_2012.csv"),
        classification="naics2017",
    )
    strength = cluster_employment(detail, mapping, region_totals(panel_employment), "all")
    return score_clusters(
        strength, project_settings().cluster.strong, project_settings().cluster.stars
    )


def test_transitions_on_county_panel(panel_scored):
    transitions = strong_cluster_transitions(panel_scored)
    counts = transition_counts(transitions).set_index("year_to")
    strong_per_year = panel_scored.groupby("year")["strong"].sum()
    # Every strong pair of a year is either persistent or an entry (or an exit next year).
    for year_to, row in counts.iterrows():
        assert row["strong_to"] == strong_per_year[year_to]
        assert row["strong_from"] == strong_per_year[row["year_from"]]
    # Independent check of one step with a pivot of the flags.
    flags = panel_scored.pivot_table(
        index=["region_id", "cluster_code"], columns="year", values="strong", aggfunc="first"
    )
    flags = flags.astype("boolean").fillna(False).astype(bool)
    entries_2020 = int((~flags[2019] & flags[2020]).sum())
    exits_2020 = int((flags[2019] & ~flags[2020]).sum())
    assert counts.loc[2020, "entries"] == entries_2020
    assert counts.loc[2020, "exits"] == exits_2020
    # Snohomish WA aerospace (cluster 1) is strong in every year.
    snohomish = transitions.query("region_id == '53061' and cluster_code == '1'")
    assert snohomish["transition"].tolist() == ["persistent"] * 4


def test_lq_change_on_county_panel(panel_employment):
    quotients = location_quotients(panel_employment)
    change = lq_change(quotients, 2018, None, *RULES)
    assert set(change["lq_class"]) <= set(LQ_CLASSES)
    assert not change.duplicated(["region_id", "industry_code"]).any()
    both = change[change["published"] == "both"]
    # The change equals the difference of the two years' LQs looked up directly.
    lq_by_year = quotients.set_index(["region_id", "industry_code", "year"])["lq"].unstack()
    sample = both.sample(200, random_state=0)
    cells = pd.MultiIndex.from_frame(sample[["region_id", "industry_code"]])
    direct = (lq_by_year.loc[cells, 2021] - lq_by_year.loc[cells, 2018]).to_numpy()
    np.testing.assert_allclose(sample["lq_change"].to_numpy(), direct)
    # Snohomish aerospace stays far above 1 (LQ about 10 against the three states).
    snohomish = change.set_index(["region_id", "industry_code"]).loc[("53061", "3364")]
    assert snohomish["lq_base"] > 5 and snohomish["lq_end"] > 5
    assert snohomish["lq_class"].startswith("specialised-")
    # No 2018-2021 pair involves a suppressed cell, so every pair published both years compares.
    assert (both["lq_class"] != "not-comparable").all()
    # From 2017, CBP's withheld cells have no LQ: compared as unknown, never as zeros.
    from_2017 = lq_change(quotients, None, None, *RULES)
    withheld = from_2017[(from_2017["published"] == "both") & from_2017["lq_base"].isna()]
    assert len(withheld) > 0
    assert (withheld["lq_class"] == "not-comparable").all()
