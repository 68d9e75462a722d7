"""Concentration and specialization: hand-worked golden values, properties, dask == pandas,
and a check on the real CBP 2019 metro data."""

from __future__ import annotations

import logging
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import UserError
from pipeline.measures import concentration
from pipeline.measures.concentration import (
    H_EQUAL_PLANTS,
    H_MIXED,
    H_SIZE_CLASSES,
    industry_concentration,
    industry_concentration_distributed,
    location_quotients_by_year,
    plant_size_squares,
    region_specialization,
    year_measures,
)
from pipeline.measures.specialization import location_quotients, region_totals
from pipeline.sources.us_cbp import read_cbp_cbsa

RAW_US = Path(__file__).resolve().parents[2] / "data" / "raw" / "us"


def _table(rows, year: int = 2019) -> pd.DataFrame:
    table = pd.DataFrame(
        rows,
        columns=["region_id", "industry_code", "industry_level", "employment", "establishments"],
    )
    return table.assign(
        industry_level=table["industry_level"].astype("int8"),
        year=np.int16(year),
        employment=table["employment"].astype("float64"),
        establishments=table["establishments"].astype("float64"),
        classification="naics2017",
    )


def _four_regions() -> pd.DataFrame:
    # Totals 100, 200, 300, 400 (E = 1000, x = .1 .2 .3 .4). Industry 'A': 30, 10, 0, 10
    # employees (e_i = 50) in 3, 2, -, 1 plants. Industry 'B' fills the rest of each region.
    return _table(
        [
            ("R1", "00", 0, 100, 10),
            ("R2", "00", 0, 200, 10),
            ("R3", "00", 0, 300, 10),
            ("R4", "00", 0, 400, 10),
            ("R1", "A", 6, 30, 3),
            ("R2", "A", 6, 10, 2),
            ("R4", "A", 6, 10, 1),
            ("R1", "B", 6, 70, 7),
            ("R2", "B", 6, 190, 8),
            ("R3", "B", 6, 300, 10),
            ("R4", "B", 6, 390, 9),
        ]
    )


def test_golden_values_worked_by_hand():
    result = industry_concentration(_four_regions()).set_index("industry_code")
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
    result = industry_concentration(_table(rows)).set_index("industry_code")
    # Everything in R1 (x = .25): Lorenz curve 0 until x = .75, then up to 1: area .125,
    # Gini = 1 - .25 = .75; Hoover = .5 (.75 + .75) = .75; one plant -> H = 1, gamma NaN.
    assert result.loc["ONLY", "gini"] == pytest.approx(0.75)
    assert result.loc["ONLY", "hoover"] == pytest.approx(0.75)
    assert np.isnan(result.loc["ONLY", "eg_gamma"])
    # Spread exactly like total employment (10/40 = .25): no concentration at all.
    for measure in ["gini", "hoover", "eg_G"]:
        assert result.loc["EVEN", measure] == pytest.approx(0.0, abs=1e-12)


def test_region_totals_argument_includes_regions_without_rows():
    employment = _four_regions()
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
    employment = _four_regions()
    employment = employment[
        ~((employment["region_id"] == "R4") & (employment["industry_level"] == 0))
    ]
    with pytest.raises(UserError, match="R4"):
        industry_concentration(employment)


def test_suppressed_cells_are_counted_and_left_out():
    employment = _four_regions()
    employment.loc[(employment["region_id"] == "R3") & (employment["industry_code"] == "B"), "employment"] = np.nan  # fmt: skip
    b = industry_concentration(employment).set_index("industry_code").loc["B"]
    assert (b["n_regions"], b["n_suppressed"], b["employment"]) == (3, 1, 650)


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
    employment = _four_regions()
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


@st.composite
def panels(draw):
    n_regions = draw(st.integers(2, 7))
    n_industries = draw(st.integers(1, 4))
    cells = draw(
        st.lists(
            st.integers(0, 500),
            min_size=n_regions * n_industries,
            max_size=n_regions * n_industries,
        )
    )
    matrix = np.array(cells, dtype=float).reshape(n_regions, n_industries)
    if matrix.sum(axis=0).min() == 0:
        matrix[0, matrix.sum(axis=0) == 0] = 1.0
    extra = draw(st.lists(st.integers(0, 300), min_size=n_regions, max_size=n_regions))
    totals = matrix.sum(axis=1) + np.array(extra, dtype=float)
    totals[totals == 0] = 1.0
    rows = [(f"R{r}", "00", 0, totals[r], 1) for r in range(n_regions)]
    rows += [
        (f"R{r}", f"I{i}", 6, matrix[r, i], 1 + matrix[r, i] // 40)
        for r in range(n_regions)
        for i in range(n_industries)
        if matrix[r, i] > 0
    ]
    return _table(rows), matrix, totals


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(panels())
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
@given(panels(), st.randoms(use_true_random=False))
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


@settings(max_examples=60, deadline=None)
@given(panels())
def test_krugman_specialization_bounds(panel):
    employment, _, _ = panel
    specialization = region_specialization(location_quotients(employment), ["I0"], level=6)
    assert ((specialization["krugman"] >= -1e-12) & (specialization["krugman"] <= 2 + 1e-12)).all()
    assert ((specialization["herfindahl"] > 0) & (specialization["herfindahl"] <= 1 + 1e-12)).all()
    assert specialization["traded_share"].between(0, 1).all()


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


# ---- region specialization -------------------------------------------------------------


def test_region_specialization_worked_by_hand():
    # Region A: X 30, Y 70; region B: X 10, Y 260, Z 30 (all level 2). Level sums e_A = 100,
    # e_B = 300, E = 400; national mix b = X .1, Y .825, Z .075.
    employment = _table(
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
        region_specialization(location_quotients(employment), {"311111"}, level=2)
    with pytest.raises(UserError, match="level 5"):
        region_specialization(location_quotients(employment), {"X"}, level=5)


# ---- pandas == dask ---------------------------------------------------------------------


def _three_years() -> pd.DataFrame:
    frames = []
    for offset, year in enumerate([2017, 2018, 2019]):
        frame = _four_regions().assign(year=np.int16(year))
        frame["employment"] = frame["employment"] * (1 + offset) + np.where(
            frame["industry_code"] == "A", offset * 3, 0
        )
        frames.append(frame)
    more = _table([("R1", "C", 5, 5, 1), ("R3", "C", 5, 7, 2)], year=2018)
    return pd.concat([*frames, more], ignore_index=True)


def _write_by_year(employment: pd.DataFrame, path: Path) -> Path:
    # One row group per year, region and industry dictionary-encoded as in the benchmark.
    with pq.ParquetWriter(path, pa.Schema.from_pandas(employment, preserve_index=False)) as writer:
        for _, part in employment.groupby("year"):
            writer.write_table(pa.Table.from_pandas(part, preserve_index=False))
    return path


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def test_distributed_equals_pandas(client, tmp_path):
    employment = _three_years()
    expected = industry_concentration(employment)
    from_file = industry_concentration_distributed(
        _write_by_year(employment, tmp_path / "panel.parquet"), client
    )
    pd.testing.assert_frame_equal(from_file, expected, check_exact=False, rtol=1e-12)
    # A hive-partitioned directory, and a dask frame whose partitions split the years.
    employment.to_parquet(tmp_path / "by_year", partition_cols=["year"], index=False)
    from_directory = industry_concentration_distributed(tmp_path / "by_year", client)
    pd.testing.assert_frame_equal(from_directory, expected, check_exact=False, rtol=1e-12)
    scattered = dd.from_pandas(employment.sample(frac=1.0, random_state=1), npartitions=3)
    from_frame = industry_concentration_distributed(scattered, client)
    pd.testing.assert_frame_equal(from_frame, expected, check_exact=False, rtol=1e-12)


def test_by_year_from_parquet_with_size_classes(tmp_path):
    # No client: the yearly tasks run in this process; size classes reach their year.
    employment = _three_years()
    size_classes = pd.DataFrame(
        {
            "region_id": ["R1", "R1", "R4"],
            "industry_code": ["A", "A", "B"],
            "year": [2018, 2018, 2019],
            "size_class": ["n5_9", "n20_49", "n250_499"],
            "establishments": [2, 1, 1],
        }
    )
    expected = industry_concentration(employment, size_classes=size_classes)
    assert set(expected["eg_h_method"]) == {H_EQUAL_PLANTS, H_MIXED}
    got = industry_concentration_distributed(
        _write_by_year(employment, tmp_path / "panel.parquet"), size_classes=size_classes
    )
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_lq_by_year_equal_pandas(client, tmp_path):
    employment = _three_years()
    path = _write_by_year(employment, tmp_path / "panel.parquet")
    expected_lq = location_quotients(employment)
    lazy = location_quotients_by_year(path)
    assert lazy.npartitions == 3
    got = client.compute(lazy).result()
    got = got.astype({"region_id": "str", "industry_code": "str"})
    got = got.sort_values(["year", "region_id", "industry_code"], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected_lq, check_exact=False, rtol=1e-12)
    level = location_quotients_by_year(path, denominator="level").compute()
    expected_level = location_quotients(employment, denominator="level")
    assert np.allclose(
        level.sort_values(["year", "region_id", "industry_code"])["lq"], expected_level["lq"]
    )


def _with_public_sector(employment: pd.DataFrame) -> pd.DataFrame:
    """The three years with a public-administration sector '92' in two regions."""
    public = employment[employment["industry_code"] == "A"].head(4).copy()
    public["industry_code"] = "92"
    public["employment"] = public["employment"] + 7.0
    return pd.concat([employment, public], ignore_index=True)


@pytest.mark.parametrize(
    ("denominator", "traded"),
    [("all", ()), ("level", ()), ("private", ()), ("traded", ("A", "92"))],
)
def test_year_measures_equal_the_pandas_definitions(denominator, traded):
    # year_measures is what the measure stage runs (one task per year, integer codes,
    # bincounts); it must equal the pandas definitions of LQ and concentration.
    employment = _with_public_sector(_three_years())
    employment.loc[employment.index[2], "employment"] = np.nan  # a suppressed cell
    expected_lq = location_quotients(employment, denominator, list(traded))
    expected_concentration = industry_concentration(employment)
    table = pa.Table.from_pandas(employment, preserve_index=False)
    top_level = int(employment.loc[employment["industry_level"] > 0, "industry_level"].min())
    quotients, concentration = [], []
    for year in sorted(employment["year"].unique()):
        part = table.filter(pa.compute.equal(table["year"], year)).combine_chunks()
        part = part.set_column(0, "region_id", part["region_id"].dictionary_encode())
        year_quotients, year_concentration = year_measures(
            part, int(year), denominator, traded, top_level=top_level
        )
        quotients.append(year_quotients)
        concentration.append(year_concentration)
    got = pa.concat_tables(quotients).to_pandas()
    expected_lq = expected_lq.astype({"region_id": "str", "industry_code": "str"})
    assert got["lq"].notna().sum() >= 6  # some LQs are defined under every base
    pd.testing.assert_frame_equal(got, expected_lq, check_exact=False, rtol=1e-12, atol=1e-12)
    got_concentration = pd.concat(concentration, ignore_index=True).sort_values(
        ["year", "industry_code"], ignore_index=True
    )
    pd.testing.assert_frame_equal(
        got_concentration, expected_concentration, check_exact=False, rtol=1e-12
    )


# ---- real data ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cbsa_concentration() -> pd.DataFrame:
    employment = read_cbp_cbsa(RAW_US / "cbp2019_cbsa_naics.parquet")
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
