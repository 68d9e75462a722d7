"""Industry relatedness: hand-worked toy checks of each measure, symmetry, speed, real data."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.classifications.benchmark_clusters import industry_clusters, read_crosswalk
from pipeline.classifications.naics_vintages import read_naics_concordance
from pipeline.clusters import relatedness as R
from pipeline.config import project_settings
from pipeline.errors import UserError
from pipeline.sources.linkages import read_us_linkages

ROOT = Path(__file__).resolve().parents[2]
LINKAGES = ROOT / "data" / "raw" / "linkages"
TABLES = ROOT / "data" / "raw" / "classifications"


def long_table(matrix: dict[str, list[float]], regions: list[str], value: str = "employment"):
    """region x industry dict of columns -> canonical-style long table (zeros left out)."""
    rows = [
        {"region_id": region, "industry_code": code, value: values[k], "year": 2019}
        for code, values in matrix.items()
        for k, region in enumerate(regions)
        if values[k] != 0
    ]
    return pd.DataFrame(rows)


def assert_square(matrix: pd.DataFrame) -> None:
    values = matrix.to_numpy(dtype=float)
    assert list(matrix.index) == list(matrix.columns)
    assert np.isnan(np.diag(values)).all()
    np.testing.assert_allclose(values, values.T, equal_nan=True)


# ---------------------------------------------------------------------------- co-location

TOY = {"A": [1.0, 2.0, 3.0], "B": [2.0, 4.0, 7.0], "C": [3.0, 1.0, 2.0]}
REGIONS = ["r1", "r2", "r3"]


def test_colocation_levels_hand_worked():
    lc = R.colocation(long_table(TOY, REGIONS), transform="level")
    # A - mean = (-1, 0, 1); B - mean = (-7/3, -1/3, 8/3): cov sum 5, norms sqrt(2), sqrt(38/3)
    assert lc.loc["A", "B"] == pytest.approx(5 / np.sqrt(2 * 38 / 3), abs=1e-12)
    # C - mean = (1, -1, 0): cov sum -1, norms sqrt(2), sqrt(2)
    assert lc.loc["A", "C"] == pytest.approx(-0.5, abs=1e-12)
    assert_square(lc)


def test_colocation_shares_hand_worked():
    lc = R.colocation(long_table(TOY, REGIONS), transform="share")
    # region totals 6, 7, 12
    share_a = [1 / 6, 2 / 7, 3 / 12]
    share_c = [3 / 6, 1 / 7, 2 / 12]
    assert lc.loc["A", "C"] == pytest.approx(np.corrcoef(share_a, share_c)[0, 1], abs=1e-12)


def test_colocation_establishments_and_absent_cells():
    table = long_table(
        {"A": [5.0, 0.0, 1.0], "B": [4.0, 0.0, 2.0], "C": [0.0, 3.0, 0.0]},
        REGIONS,
        "establishments",
    )
    lc = R.colocation(table, value="establishments", transform="level")
    # r2 has neither A nor B: both count as 0 there; A-mean = (3, -2, -1), B-mean = (2, -2, 0)
    assert lc.loc["A", "B"] == pytest.approx(10 / np.sqrt(14 * 8), abs=1e-12)


def test_colocation_constant_industry_is_nan():
    lc = R.colocation(
        long_table({"A": [1.0, 2.0, 3.0], "Z": [4.0, 4.0, 4.0]}, REGIONS), transform="level"
    )
    assert np.isnan(lc.loc["A", "Z"])


def test_colocation_rejects_several_years_and_bad_transform():
    table = long_table(TOY, REGIONS)
    with pytest.raises(UserError, match="one year"):
        R.colocation(pd.concat([table, table.assign(year=2020)]), transform="level")
    with pytest.raises(UserError, match="colocation_transform"):
        R.colocation(table, transform="log")


def test_coagglomeration_hand_worked():
    table = long_table({"A": [2.0, 1.0, 1.0], "B": [1.0, 1.0, 2.0]}, REGIONS)
    equal = pd.Series({"r1": 4.0, "r2": 4.0, "r3": 4.0})
    gamma = R.coagglomeration(table, region_total=equal)
    # x = 1/3 each; s_A - x = (1/6, -1/12, -1/12), s_B - x = (-1/12, -1/12, 1/6):
    # sum of products -3/144, divided by 1 - 3/9 = 2/3
    assert gamma.loc["A", "B"] == pytest.approx(-1 / 32, abs=1e-12)
    assert_square(gamma)


def test_colocation_is_fast_on_1000_industries_3000_regions():
    rng = np.random.default_rng(0)
    n_regions, n_industries = 3000, 1000
    dense = rng.poisson(rng.gamma(0.3, 20, size=(n_regions, n_industries))).astype(float)
    r, i = np.nonzero(dense)
    table = pd.DataFrame(
        {
            "region_id": np.char.add("r", r.astype(str)),
            "industry_code": np.char.add("i", i.astype(str)),
            "employment": dense[r, i],
            "establishments": np.ceil(dense[r, i] / 10),
        }
    )
    start = time.perf_counter()
    lc = R.colocation(table, transform="level")
    R.colocation(table, value="establishments", transform="level")
    R.coagglomeration(table)
    elapsed = time.perf_counter() - start
    assert lc.shape == (n_industries, n_industries)
    assert elapsed < 15, f"three co-location matrices took {elapsed:.1f} s"
    assert_square(lc)


# ---------------------------------------------------------------------------- input-output

# Industries A, B, C make commodities a, b, c; A also makes 20 of b (secondary product).
MAKE = pd.DataFrame(
    {
        "industry_code": ["A", "A", "B", "C"],
        "commodity_code": ["a", "b", "b", "c"],
        "value": [100.0, 20.0, 80.0, 50.0],
    }
)
USE = pd.DataFrame(
    {
        "commodity_code": ["a", "a", "b", "b", "c", "c"],
        "industry_code": ["B", "C", "A", "C", "A", "B"],
        "value": [10.0, 5.0, 30.0, 10.0, 5.0, 20.0],
    }
)


def test_industry_flows_by_market_shares():
    flows, output = R.industry_flows(USE, MAKE, margin_prefixes=())
    # market shares of b: A 0.2, B 0.8. F = D U:
    expected = pd.DataFrame(
        [[0.2 * 30, 10.0, 5.0 + 0.2 * 10], [0.8 * 30, 0.0, 0.8 * 10], [5.0, 20.0, 0.0]],
        index=["A", "B", "C"],
        columns=["A", "B", "C"],
    )
    np.testing.assert_allclose(flows.loc[expected.index, expected.columns], expected)
    assert output.to_dict() == {"A": 120.0, "B": 80.0, "C": 50.0}


def test_input_output_links_hand_worked():
    flows, output = R.industry_flows(USE, MAKE, margin_prefixes=())
    links = R.input_output_links(flows, output, output)
    # A-B: Input_AB = F_BA/g_A = 24/120, Input_BA = F_AB/g_B = 10/80,
    # Output_AB = F_AB/g_A = 10/120, Output_BA = F_BA/g_B = 24/80 -> max 0.3
    assert links.loc["A", "B"] == pytest.approx(0.3)
    assert links.loc["A", "C"] == pytest.approx(7 / 50)  # max(F_AC 7, F_CA 5) / min(120, 50)
    assert links.loc["B", "C"] == pytest.approx(20 / 50)
    assert links.loc["A", "A"] == pytest.approx(6 / 120)  # own share kept on the diagonal
    np.testing.assert_allclose(links.to_numpy(), links.to_numpy().T)


def test_input_output_maps_codes_through_the_crosswalk():
    crosswalk = pd.DataFrame(
        {
            "industry_code": ["111", "112", "221", "331", "999", "999"],
            "io_code": ["A", "A", "B", "C", "B", "C"],
        }
    )
    codes = ["111", "112", "221", "331", "999", "000"]
    io = R.input_output(USE, MAKE, crosswalk, codes, margin_prefixes=())
    assert io.loc["111", "112"] == pytest.approx(6 / 120)  # one BEA code: its self-use share
    assert io.loc["111", "221"] == pytest.approx(0.3)
    # 999 belongs to B and C, weighted by gross output 80 : 50
    assert io.loc["111", "999"] == pytest.approx((80 * 0.3 + 50 * 0.14) / 130)
    assert io.loc["221", "999"] == pytest.approx((80 * 0.0 + 50 * 0.4) / 130)
    assert io.loc["000"].isna().all()  # not in the crosswalk
    assert_square(io)


def test_input_output_margin_prefixes_drop_commodities():
    crosswalk = pd.DataFrame({"industry_code": ["1", "2"], "io_code": ["A", "B"]})
    io = R.input_output(USE, MAKE, crosswalk, ["1", "2"], margin_prefixes=("b",))
    # without commodity b: F_AB = 10, F_BA = 0 -> 10 / min(120, 80)
    assert io.loc["1", "2"] == pytest.approx(10 / 80)


def test_input_output_from_user_flows():
    flows = pd.DataFrame(
        {"supplier_code": ["C", "G", "C"], "buyer_code": ["G", "C", "C"], "value": [6.0, 2.0, 4.0]}
    )
    io = R.input_output_from_flows(flows, ["C", "G", "K"])
    # intermediate totals: inputs C 6, G 6; outputs C 10, G 2.
    # Input_CG = F_GC / in_C = 2/6, Input_GC = F_CG / in_G = 6/6, Output_CG = 6/10, Output_GC = 2/2
    assert io.loc["C", "G"] == pytest.approx(1.0)
    output = pd.Series({"C": 40.0, "G": 20.0})
    io = R.input_output_from_flows(flows, ["C", "G"], output)
    assert io.loc["C", "G"] == pytest.approx(6 / 20)
    assert np.isnan(R.input_output_from_flows(flows, ["C", "K"]).loc["C", "K"])


# ---------------------------------------------------------------------------- occupations

OCCUPATIONS = pd.DataFrame(
    {
        "industry_code": ["3361"] * 3 + ["3363"] * 3 + ["54"] * 3 + ["5132"] * 3,
        "occupation_code": ["a", "b", "c"] * 4,
        "employment": [50.0, 30.0, np.nan, 40.0, 40.0, 20.0, 10.0, 20.0, 70.0, 5, 10, 85],
        "industry_total_employment": [100.0] * 12,
    }
)


def test_occupation_shares_fill_suppressed_cells_from_the_residual():
    shares = R.occupation_shares(OCCUPATIONS)
    assert shares.loc["3361"].tolist() == pytest.approx([0.5, 0.3, 0.2])


def test_occupation_similarity_hand_worked():
    codes = ["336111", "336112", "336390", "541511"]
    occ = R.occupation_similarity(OCCUPATIONS, codes, method="correlation")
    # 3361 (.5, .3, .2) and 3363 (.4, .4, .2): centred x30 (5, -1, -4), (2, 2, -4)
    assert occ.loc["336111", "336390"] == pytest.approx(24 / np.sqrt(42 * 24), abs=1e-12)
    assert occ.loc["336111", "336112"] == pytest.approx(1.0)  # same four-digit parent
    assert_square(occ)
    cosine = R.occupation_similarity(OCCUPATIONS, codes, method="cosine")
    assert cosine.loc["336111", "336390"] == pytest.approx(
        (0.2 + 0.12 + 0.04) / np.sqrt(0.38 * 0.36), abs=1e-12
    )


def test_occupation_similarity_recodes_through_the_prefix_map():
    prefix_map = pd.DataFrame({"from_prefix": ["5112"], "to_prefix": ["5132"]})
    codes = ["511210", "541511", "999999"]
    occ = R.occupation_similarity(OCCUPATIONS, codes, prefix_map, method="correlation")
    # 5132 (.05, .10, .85) vs 54 (.1, .2, .7): centred x60 (-17, -14, 31), (-14, -8, 22)
    expected = (17 * 14 + 14 * 8 + 31 * 22) / np.sqrt(
        (17**2 + 14**2 + 31**2) * (14**2 + 8**2 + 22**2)
    )
    assert occ.loc["511210", "541511"] == pytest.approx(expected, abs=1e-12)
    assert occ.loc["999999"].isna().all()
    without_map = R.occupation_similarity(OCCUPATIONS, codes, method="correlation")
    assert without_map.loc["511210"].isna().all()  # 5112 is not an OEWS 2022 code


# ---------------------------------------------------------------------------- combination

CODES = ["x", "y", "z"]


def square(pairs: dict[tuple[str, str], float]) -> pd.DataFrame:
    matrix = pd.DataFrame(np.nan, index=CODES, columns=CODES)
    for (i, j), value in pairs.items():
        matrix.loc[i, j] = matrix.loc[j, i] = value
    return matrix


M1 = square({("x", "y"): 1.0, ("x", "z"): 2.0, ("y", "z"): 3.0})
M2 = square({("x", "y"): 5.0, ("x", "z"): 7.0})


def test_combined_zscore_renormalises_weights_where_a_measure_is_missing():
    combined = R.combined_relatedness({"m1": M1, "m2": M2}, {"m1": 1, "m2": 3}, method="zscore")
    z1 = np.sqrt(1.5)  # m1: mean 2, population sd sqrt(2/3) -> z = (-1.2247, 0, 1.2247)
    assert combined.loc["x", "y"] == pytest.approx((-z1 + 3 * -1.0) / 4)  # m2: z = (-1, 1)
    assert combined.loc["x", "z"] == pytest.approx((0 + 3 * 1.0) / 4)
    assert combined.loc["y", "z"] == pytest.approx(z1)  # only m1 defined
    assert_square(combined)


def test_combined_percentile_and_weights_checks():
    combined = R.combined_relatedness({"m1": M1, "m2": M2}, {"m1": 1, "m2": 1}, method="percentile")
    assert combined.loc["x", "y"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    assert combined.loc["y", "z"] == pytest.approx(1.0)
    with pytest.raises(UserError, match="no weight for m2"):
        R.combined_relatedness({"m1": M1, "m2": M2}, {"m1": 1}, method="zscore")
    only_m1 = R.combined_relatedness({"m1": M1, "m2": M2}, {"m1": 1, "m2": 0}, method="zscore")
    assert only_m1.loc["x", "y"] == pytest.approx(-np.sqrt(1.5))


def test_relatedness_table_ranks_and_top_k():
    combined = R.combined_relatedness({"m1": M1}, {"m1": 1}, method="zscore")
    table = R.relatedness_table({"m1": M1, "m2": M2}, combined, top_k=1)
    assert list(table.columns) == ["industry_code", "related_code", "m1", "m2", "combined", "rank"]
    assert table[["industry_code", "related_code"]].values.tolist() == [
        ["x", "z"],
        ["y", "z"],
        ["z", "y"],
    ]
    assert table["rank"].tolist() == [1, 1, 1]
    assert table.loc[0, "m2"] == 7.0
    full = R.relatedness_table({"m1": M1}, combined, top_k=None)
    assert len(full) == 6 and full.groupby("industry_code")["rank"].max().tolist() == [2, 2, 2]


def test_within_between_and_auc():
    labels = pd.Series({"x": 1, "y": 1, "z": 2})
    scores = R.within_between(M1, labels)
    assert scores["within"] == 1.0 and scores["between"] == 2.5
    assert scores["auc"] == 0.0  # the one within pair is below both between pairs
    assert scores["coverage"] == 1.0


# ---------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def linkages():
    return read_us_linkages(LINKAGES)


@pytest.fixture(scope="module")
def naics_codes(linkages) -> list[str]:
    return sorted(linkages.crosswalk["industry_code"].unique())


def test_io_auto_parts_are_the_strongest_links_of_car_assembly(linkages, naics_codes):
    io = R.input_output(
        linkages.use,
        linkages.make,
        linkages.crosswalk,
        naics_codes,
        margin_prefixes=(),
    )
    top = io.loc["336111"].sort_values(ascending=False).head(8)
    assert sum(code.startswith("3363") for code in top.index) >= 6
    # golden: BEA 336310 (engines) to 336111: max(F, F') / min(g, g') from the 2012 tables
    assert io.loc["336111", "336310"] == pytest.approx(0.20176, abs=5e-5)
    assert io.loc["336111", "336112"] == pytest.approx(io.loc["336112", "336111"])
    assert_square(io)


def test_occupations_software_publishers_close_to_computer_programming(linkages, naics_codes):
    occ = R.occupation_similarity(
        linkages.occupations, naics_codes, linkages.prefix_map, method="correlation"
    )
    assert occ.loc["541511", "511210"] == pytest.approx(0.96575, abs=5e-5)
    assert occ.loc["541511", "111110"] < 0.1
    # every code finds a vector (down to its sector), except public administration (OEWS
    # publishes government by ownership, not by NAICS 92)
    found = occ.notna().any(axis=1)
    assert found[~found.index.str.startswith("92")].all()
    assert not found[found.index.str.startswith("92")].any()


@pytest.mark.slow
def test_real_cbsa_relatedness_separates_benchmark_clusters(linkages):
    from pipeline.sources.us_cbp import read_cbp_cbsa

    employment = read_cbp_cbsa(
        ROOT / "data" / "raw" / "us" / "cbp2019_cbsa_naics.parquet",
        estimate_unpublished_cells=False,
    )
    six = employment[employment["industry_level"] == 6]
    settings = project_settings().relatedness
    measures = R.relatedness_measures(
        six,
        settings,
        use=linkages.use,
        make=linkages.make,
        crosswalk=linkages.crosswalk,
        occupations=linkages.occupations,
        prefix_map=linkages.prefix_map,
    )
    clusters = industry_clusters(
        sorted(six["industry_code"].unique()),
        read_crosswalk(TABLES / "uscmp_cluster_naics_crosswalk.csv"),
        read_naics_concordance(TABLES / "naics_2017_to_2012.csv"),
        classification="naics2017",
    )
    traded = clusters[clusters["cluster_type"] == "traded"].set_index("industry_code")
    combined = R.combined_relatedness(measures, settings.weights, method=settings.standardise)
    auc = {name: R.within_between(m, traded["cluster_code"])["auc"] for name, m in measures.items()}
    auc["combined"] = R.within_between(combined, traded["cluster_code"])["auc"]
    # measured 2026-12: LC-emp 0.683, LC-est 0.687, IO 0.767, Occ 0.875, combined 0.895
    assert auc["colocation_employment"] == pytest.approx(0.683, abs=0.005)
    assert auc["input_output"] == pytest.approx(0.767, abs=0.005)
    assert auc["occupation"] == pytest.approx(0.875, abs=0.005)
    assert auc["combined"] > 0.88
    assert auc["combined"] > max(auc[name] for name in measures)
    assert R.colocation(six, transform="level").loc["336411", "336413"] == pytest.approx(
        0.64781, abs=5e-5
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"standardise": "rank"}, "relatedness.standardise"),
        ({"weights": {"patents": 1}}, "unknown measure"),
        ({"weights": {"occupation": -1}}, ">= 0"),
        ({"top_k": 0}, "top_k"),
        ({"tables": {"gb": {"io": "x.csv"}}}, "relatedness.tables.gb"),
    ],
)
def test_relatedness_params_are_checked(section, message):
    from pipeline.config import project_params, settings_from_dict

    params = project_params()
    with pytest.raises(UserError, match=message):
        settings_from_dict({**params, "relatedness": {**params["relatedness"], **section}})
    assert settings_from_dict(params).relatedness.weights["occupation"] == 1.0
