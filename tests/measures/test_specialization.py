"""Location quotients: textbook fixture, hand-worked example, and the weighted-mean identity."""

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import UserError
from pipeline.measures.specialization import location_quotients, locq, region_totals


def test_locq_textbook_fixture():
    # REAT (Wieland 2019) locq example: 0.3847623.
    assert locq(1714, 79006, 879213, 15593224) == pytest.approx(0.3847623, abs=5e-8)


def _toy_employment() -> pd.DataFrame:
    # Region A: total 100 = X 30 + Y 70; region B: total 300 = X 10 + Y 290.
    rows = [
        ("A", "00", 0, 100, 10),
        ("A", "11", 2, 30, 3),
        ("A", "22", 2, 70, 7),
        ("B", "00", 0, 300, 20),
        ("B", "11", 2, 10, 1),
        ("B", "22", 2, 290, 19),
    ]
    table = pd.DataFrame(
        rows,
        columns=["region_id", "industry_code", "industry_level", "employment", "establishments"],
    )
    table["industry_level"] = table["industry_level"].astype("int8")
    table["year"] = np.int16(2019)
    table["employment"] = table["employment"].astype(float)
    table["establishments"] = table["establishments"].astype(float)
    table["classification"] = "naics2017"
    return table


def test_location_quotients_hand_worked():
    lq = location_quotients(_toy_employment()).set_index(["region_id", "industry_code"])
    # LQ_A,X = (30/100) / (40/400) = 3; LQ_B,X = (10/300) / 0.1 = 1/3; LQ_A,Y = 0.7 / 0.9.
    assert lq.loc[("A", "11"), "lq"] == pytest.approx(3.0)
    assert lq.loc[("B", "11"), "lq"] == pytest.approx(1 / 3)
    assert lq.loc[("A", "22"), "lq"] == pytest.approx(0.7 / 0.9)
    # Establishments: (3/10) / (4/30) = 2.25.
    assert lq.loc[("A", "11"), "lq_establishments"] == pytest.approx(2.25)
    assert "00" not in lq.index.get_level_values("industry_code")


def test_level_denominator_uses_published_detail():
    lq = location_quotients(_toy_employment(), denominator="level").set_index(
        ["region_id", "industry_code"]
    )
    assert lq.loc[("A", "11"), "region_employment"] == 100
    assert lq.loc[("A", "11"), "lq"] == pytest.approx(3.0)


def test_dask_equals_pandas():
    employment = _toy_employment()
    expected = location_quotients(employment)
    got = location_quotients(dd.from_pandas(employment, npartitions=2)).compute()
    got = got.sort_values(["year", "region_id", "industry_code"], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


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
        location_quotients(_toy_employment(), denominator="traded-ish")


@st.composite
def _employment_tables(draw):
    """Random region x industry tables with all-industry totals at least the sum of parts."""
    n_regions = draw(st.integers(2, 6))
    n_industries = draw(st.integers(1, 5))
    cells = draw(
        st.lists(
            st.integers(0, 10**6).map(float),  # job counts
            min_size=n_regions * n_industries,
            max_size=n_regions * n_industries,
        )
    )
    slack = draw(st.lists(st.floats(1, 1e5), min_size=n_regions, max_size=n_regions))
    rows = []
    for r in range(n_regions):
        parts = cells[r * n_industries : (r + 1) * n_industries]
        rows.append((f"R{r}", "00", 0, sum(parts) + slack[r]))
        rows += [(f"R{r}", f"{11 + i}", 2, value) for i, value in enumerate(parts)]
    table = pd.DataFrame(
        rows, columns=["region_id", "industry_code", "industry_level", "employment"]
    )
    table["industry_level"] = table["industry_level"].astype("int8")
    table["year"] = np.int16(2020)
    table["establishments"] = 1.0
    table["classification"] = "naics2017"
    return table


@settings(max_examples=60, deadline=None)
@given(_employment_tables())
def test_property_weighted_mean_lq_is_one_and_schedulers_agree(employment):
    lq = location_quotients(employment)
    totals = region_totals(employment).set_index("region_id")["region_employment"]
    for _, rows in lq.groupby("industry_code"):
        if rows["employment"].sum() == 0:
            assert rows["lq"].isna().all()  # 0/0: an industry nobody employs has no LQ
            continue
        shares = totals.reindex(rows["region_id"]).to_numpy() / totals.sum()
        assert float((rows["lq"].to_numpy() * shares).sum()) == pytest.approx(1.0, rel=1e-9)
    single = location_quotients(dd.from_pandas(employment, npartitions=3)).compute(
        scheduler="synchronous"
    )
    single = single.sort_values(["year", "region_id", "industry_code"], ignore_index=True)
    pd.testing.assert_frame_equal(single, lq, check_dtype=False)


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
