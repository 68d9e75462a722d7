"""Specialization: location quotients (textbook fixture, hand-worked examples, the
weighted-mean identity, the one kernel against a textbook groupby formula) and region
specialization (Krugman index)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from pipeline.errors import UserError
from pipeline.measures.specialization import (
    PUBLIC_SECTORS,
    location_quotients,
    locq,
    region_specialization,
    region_totals,
    require_lq_base,
)
from tests.measures.panels import (
    concentration_panels,
    employment_tables,
    table,
    three_years,
    toy_employment,
    with_public_sector,
)


def test_locq_textbook_fixture():
    # REAT (Wieland 2019) locq example: 0.3847623.
    assert locq(1714, 79006, 879213, 15593224) == pytest.approx(0.3847623, abs=5e-8)


def test_location_quotients_hand_worked():
    lq = location_quotients(toy_employment()).set_index(["region_id", "industry_code"])
    # LQ_A,X = (30/100) / (40/400) = 3; LQ_B,X = (10/300) / 0.1 = 1/3; LQ_A,Y = 0.7 / 0.9.
    assert lq.loc[("A", "11"), "lq"] == pytest.approx(3.0)
    assert lq.loc[("B", "11"), "lq"] == pytest.approx(1 / 3)
    assert lq.loc[("A", "22"), "lq"] == pytest.approx(0.7 / 0.9)
    # Establishments: (3/10) / (4/30) = 2.25.
    assert lq.loc[("A", "11"), "lq_establishments"] == pytest.approx(2.25)
    assert "00" not in lq.index.get_level_values("industry_code")


def test_level_denominator_uses_published_detail():
    lq = location_quotients(toy_employment(), denominator="level").set_index(
        ["region_id", "industry_code"]
    )
    assert lq.loc[("A", "11"), "region_employment"] == 100
    assert lq.loc[("A", "11"), "lq"] == pytest.approx(3.0)


def test_weighted_mean_lq_is_one_on_real_data(cbp_subset):
    lq = location_quotients(cbp_subset)
    weights = region_totals(cbp_subset).set_index("region_id")["region_employment"]
    national = weights.sum()
    for code in ["3364", "5112", "31-33", "722511"]:
        one = lq[lq["industry_code"] == code].set_index("region_id")["lq"]
        weighted = (one * weights.reindex(one.index)).sum() / national
        assert weighted == pytest.approx(1.0, rel=1e-12)


def test_unknown_denominator_is_a_user_error():
    from pipeline.errors import UserError

    with pytest.raises(UserError, match="lq_denominator"):
        location_quotients(toy_employment(), denominator="traded-ish")


@settings(max_examples=60, deadline=None)
@given(employment_tables())
def test_property_weighted_mean_lq_is_one(employment):
    lq = location_quotients(employment)
    totals = region_totals(employment).set_index("region_id")["region_employment"]
    for _, rows in lq.groupby("industry_code"):
        if rows["employment"].sum() == 0:
            assert rows["lq"].isna().all()  # 0/0: an industry nobody employs has no LQ
            continue
        shares = totals.reindex(rows["region_id"]).to_numpy() / totals.sum()
        assert float((rows["lq"].to_numpy() * shares).sum()) == pytest.approx(1.0, rel=1e-9)


def test_private_and_traded_denominators_hand_worked():
    # Region A: sectors 11 (30) and 92 public administration (20) in a total of 100;
    # region B: 11 (10), 92 (90), total 300.
    rows = [
        ("A", "00", 0, 100.0), ("A", "11", 2, 30.0), ("A", "92", 2, 20.0),
        ("B", "00", 0, 300.0), ("B", "11", 2, 10.0), ("B", "92", 2, 90.0),
    ]  # fmt: skip
    table = pd.DataFrame(
        rows, columns=["region_id", "industry_code", "industry_level", "employment"]
    )
    table["industry_level"] = table["industry_level"].astype("int8")
    table["year"] = np.int16(2019)
    table["establishments"] = 1.0
    table["classification"] = "naics2017"
    private = location_quotients(table, "private").set_index(["region_id", "industry_code"])
    # Private base: A 30, B 10, E 40; e_11 = 40 -> LQ_A,11 = (30/30) / (40/40) = 1.
    assert private.loc[("A", "11"), "lq"] == pytest.approx(1.0)
    assert private.loc[("A", "11"), "region_employment"] == 30
    traded = location_quotients(table, "traded", ["92"]).set_index(["region_id", "industry_code"])
    # Traded base {92}: A 20, B 90, E 110; LQ_A,11 = (30/20) / (40/110) = 4.125.
    assert traded.loc[("A", "11"), "lq"] == pytest.approx(4.125)
    with pytest.raises(UserError, match="traded industries"):
        location_quotients(table, "traded")


# ---- the kernel against the textbook formula ---------------------------------------------


def _groupby_quotients(employment, denominator, traded=()):
    """LQs by groupby and merge on string keys: the formula written out, as a reference."""
    values = ["employment", "establishments"]
    detail = employment[employment["industry_level"] > 0]
    industry_totals = detail.groupby(["year", "industry_code"])[values].sum()
    if denominator == "all":
        base = employment[employment["industry_level"] == 0]
    elif denominator == "private":
        top = detail["industry_level"].min()
        sectors = detail[detail["industry_level"] == top]
        base = sectors[~sectors["industry_code"].isin(PUBLIC_SECTORS)]
    elif denominator == "traded":
        base = detail[detail["industry_code"].isin(traded)]
    else:
        base = detail
    by = ["year", "region_id"] + (["industry_level"] if denominator == "level" else [])
    totals = base.groupby(by)[values].sum().add_prefix("region_").reset_index()
    national = totals.groupby(by[:1] + by[2:])[["region_employment", "region_establishments"]].sum()
    national.columns = ["national_employment", "national_establishments"]
    totals = totals.merge(national.reset_index(), on=by[:1] + by[2:])
    merged = detail.merge(totals, on=by, how="left").merge(
        industry_totals.add_prefix("industry_").reset_index(), on=["year", "industry_code"]
    )
    return merged.assign(
        lq=locq(
            merged["employment"],
            merged["region_employment"],
            merged["industry_employment"],
            merged["national_employment"],
        ),
        lq_establishments=locq(
            merged["establishments"],
            merged["region_establishments"],
            merged["industry_establishments"],
            merged["national_establishments"],
        ),
    ).sort_values(["year", "region_id", "industry_code"], ignore_index=True)


@pytest.mark.parametrize(
    ("denominator", "traded"),
    [("all", ()), ("level", ()), ("private", ()), ("traded", ("A", "92"))],
)
def test_kernel_equals_the_groupby_formula(denominator, traded):
    employment = with_public_sector(three_years())
    employment.loc[employment.index[2], "employment"] = np.nan  # a suppressed cell
    got = location_quotients(employment, denominator, traded)
    expected = _groupby_quotients(employment, denominator, list(traded))
    assert got["lq"].notna().sum() >= 6
    for column in ["region_id", "industry_code", "industry_level", "year", "employment"]:
        pd.testing.assert_series_equal(got[column], expected[column])
    for column in ["region_employment", "lq", "lq_establishments"]:
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-12, atol=0)


def test_lq_output_keeps_the_input_dtypes():
    employment = three_years()
    got = location_quotients(employment, "all")
    assert list(got.columns) == [
        "region_id", "industry_code", "industry_level", "year", "employment",
        "establishments", "region_employment", "lq", "lq_establishments",
    ]  # fmt: skip
    for column in ["region_id", "industry_code", "industry_level", "year", "employment"]:
        assert got[column].dtype == employment[column].dtype


def test_a_table_without_base_rows_is_a_user_error():
    employment = toy_employment()
    no_totals = employment[employment["industry_level"] > 0]
    with pytest.raises(UserError, match="no all-industry total rows"):
        location_quotients(no_totals, "all")
    # A part of a bigger table may lack them: its LQs are NaN.
    assert location_quotients(no_totals, "all", require_base=False)["lq"].isna().all()
    with pytest.raises(UserError, match="no all-industry total rows"):
        require_lq_base(no_totals[["industry_level", "industry_code"]], "traded", ["99"], 2)
    require_lq_base(no_totals[["industry_level", "industry_code"]], "level", (), 2)


# ---- region specialization ---------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(concentration_panels())
def test_krugman_specialization_bounds(panel):
    employment, _, _ = panel
    specialization = region_specialization(location_quotients(employment), ["I0"], 1.25, 6)
    assert ((specialization["krugman"] >= -1e-12) & (specialization["krugman"] <= 2 + 1e-12)).all()
    assert ((specialization["herfindahl"] > 0) & (specialization["herfindahl"] <= 1 + 1e-12)).all()
    assert specialization["traded_share"].between(0, 1).all()


def test_region_specialization_worked_by_hand():
    # Region A: X 30, Y 70; region B: X 10, Y 260, Z 30 (all level 2). Level sums e_A = 100,
    # e_B = 300, E = 400; national mix b = X .1, Y .825, Z .075.
    employment = table(
        [
            ("A", "00", 0, 100, 10),
            ("A", "X", 2, 30, 3),
            ("A", "Y", 2, 70, 7),
            ("B", "00", 0, 300, 30),
            ("B", "X", 2, 10, 1),
            ("B", "Y", 2, 260, 26),
            ("B", "Z", 2, 30, 3),
        ]
    )
    result = region_specialization(
        location_quotients(employment), {"X"}, lq_threshold=1.25, level=2
    ).set_index("region_id")
    # A: |.3 - .1| + |.7 - .825| + |0 - .075| = .4; Herfindahl .09 + .49 = .58;
    # LQ_X = .3 / .1 = 3 >= 1.25, LQ_Y = .7 / .825 < 1.25 -> 1 specialised; traded .3.
    assert result.loc["A", "krugman"] == pytest.approx(0.4)
    assert result.loc["A", "herfindahl"] == pytest.approx(0.58)
    assert result.loc["A", "n_specialised"] == 1
    assert result.loc["A", "traded_share"] == pytest.approx(0.3)
    # B: |1/30 - .1| + |26/30 - .825| + |.1 - .075| = 2/30 + 1/24 + 1/40 = 0.1333...
    assert result.loc["B", "krugman"] == pytest.approx(2 / 30 + 1 / 24 + 1 / 40)
    assert result.loc["B", "herfindahl"] == pytest.approx((1 + 676 + 9) / 900)
    # LQ_Z = .1 / .075 = 1.33 -> specialised; LQ_Y = (26/30) / .825 = 1.05 -> not.
    assert result.loc["B", "n_specialised"] == 1
    assert result.loc["B", "traded_share"] == pytest.approx(1 / 30)
    with pytest.raises(UserError, match="level 2"):
        region_specialization(location_quotients(employment), {"311111"}, 1.25, 2)
    with pytest.raises(UserError, match="level 5"):
        region_specialization(location_quotients(employment), {"X"}, 1.25, 5)
