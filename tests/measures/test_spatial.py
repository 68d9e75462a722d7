"""Spatial autocorrelation: hand-worked values, and equality with esda on real and lattice graphs."""

import warnings
from math import sqrt
from pathlib import Path

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph
from scipy import stats
from shapely.geometry import box

from pipeline.errors import UserError
from pipeline.geography.contiguity import adjacency_graph, merged_contiguity, weights_table
from pipeline.measures import spatial
from pipeline.measures.spatial import (
    global_moran,
    graph_from_weights,
    local_by_group,
    local_spatial,
    moran_by_group,
)
from pipeline.measures.specialization import location_quotients

RAW_US = Path(__file__).resolve().parents[2] / "data" / "raw" / "us"
LINE_IDS = ["a", "b", "c", "d"]
BY_INDUSTRY = ("lq", ("year", "industry_code"))
BY_CLUSTER = ("lq", ("year", "cluster_code"))


def _line_weights() -> pd.DataFrame:
    # a - b - c - d, binary contiguity listed both ways.
    return pd.DataFrame(
        {
            "focal": ["a", "b", "b", "c", "c", "d"],
            "neighbor": ["b", "a", "c", "b", "d", "c"],
            "weight": 1.0,
        }
    )


def _line_values() -> pd.DataFrame:
    return pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]}, index=LINE_IDS)


def _esda_moran(y: np.ndarray, graph: Graph, seed: int, permutations: int = 999) -> esda.Moran:
    # esda draws with np.random.permutation from the global generator.
    np.random.seed(seed)
    with np.errstate(invalid="ignore", divide="ignore"):  # variance under randomisation, n <= 3
        return esda.Moran(y, graph, permutations=permutations)


def _esda_local(y: np.ndarray, graph: Graph, seed: int, permutations: int = 999):
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", DeprecationWarning)
        moran = esda.Moran_Local(y, graph, permutations=permutations, seed=seed)
    getis_ord = esda.G_Local(y, graph, transform="B", star=True, permutations=0)
    return moran, getis_ord


# ----------------------------------------------------------------------------------------
# Graph
# ----------------------------------------------------------------------------------------


def test_graph_keeps_requested_regions_and_makes_isolates():
    weights = pd.DataFrame(
        {
            "focal": pd.array(["A", "B", "B", "C", "D"], dtype="str"),
            "neighbor": pd.array(["B", "A", "C", "B", "D"], dtype="str"),
            "weight": [1.0, 1.0, 1.0, 1.0, 0.0],
        }
    )
    # C is not requested, so A - B stays and D (already isolated) and nothing else;
    # E has no weights (no boundary) and is dropped.
    graph = graph_from_weights(weights, ["D", "B", "A", "E"])
    assert graph.unique_ids.tolist() == ["A", "B", "D"]
    assert graph.isolates.tolist() == ["D"]
    assert graph.transformation == "R"
    # B lost its neighbour C: its single remaining link has weight 1 after row-standardising.
    dense = graph.sparse.toarray()
    np.testing.assert_allclose(dense, [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    # Only C requested next to B: B's neighbours are all outside, so B becomes an isolate.
    assert graph_from_weights(weights, ["B", "D"]).isolates.tolist() == ["B", "D"]


def test_graph_row_standardised_on_real_weights(pnw_weights, pnw_regions):
    graph = graph_from_weights(pnw_weights, pnw_regions)
    row_sums = np.asarray(graph.sparse.sum(axis=1)).ravel()
    isolate = np.isin(graph.unique_ids, graph.isolates)
    assert isolate.sum() == 1  # Port Angeles (Clallam County) touches no other metro.
    np.testing.assert_allclose(row_sums[~isolate], 1.0)
    assert (row_sums[isolate] == 0).all()


def test_graph_errors_are_user_errors():
    with pytest.raises(UserError, match="neighbor"):
        graph_from_weights(pd.DataFrame({"focal": ["a"], "weight": [1.0]}), ["a"])
    with pytest.raises(UserError, match="none of the regions"):
        graph_from_weights(_line_weights(), ["x"])
    negative = _line_weights().assign(weight=[1.0, 1.0, -1.0, 1.0, 1.0, 1.0])
    with pytest.raises(UserError, match="row 2"):
        graph_from_weights(negative, LINE_IDS)


# ----------------------------------------------------------------------------------------
# Global Moran's I
# ----------------------------------------------------------------------------------------


def test_global_moran_hand_worked_line():
    # Values 1, 2, 3, 4 on a line a - b - c - d; row-standardised W:
    #   a: b (1)   b: a, c (1/2 each)   c: b, d (1/2 each)   d: c (1)
    # z = y - 2.5 = (-1.5, -0.5, 0.5, 1.5), sum z^2 = 5.
    # Wz = (-0.5, -0.5, 0.5, 0.5); z'Wz = 0.75 + 0.25 + 0.25 + 0.75 = 2.
    # S0 = 4 (rows sum to 1), so I = (n / S0) z'Wz / z'z = 1 * 2 / 5 = 0.4; E[I] = -1/3.
    # S1 = sum over pairs (w_ij + w_ji)^2 = 1.5^2 + 1^2 + 1.5^2 = 5.5.
    # S2 = sum_i (row_i + col_i)^2 = 1.5^2 + 2.5^2 + 2.5^2 + 1.5^2 = 17.
    # Var[I] = (16 * 5.5 - 4 * 17 + 3 * 16) / (3 * 5 * 16) - 1/9 = 68/240 - 1/9 = 31/180.
    graph = graph_from_weights(_line_weights(), LINE_IDS)
    result = global_moran(_line_values(), graph, 0, 0, "drop").loc["y"]
    z_norm = (0.4 + 1 / 3) / sqrt(31 / 180)  # 1.76708...
    assert result["moran_i"] == pytest.approx(0.4, abs=1e-12)
    assert result["expected_i"] == pytest.approx(-1 / 3, abs=1e-12)
    assert result["z_norm"] == pytest.approx(z_norm, abs=1e-12)
    assert result["p_norm"] == pytest.approx(2 * stats.norm.sf(z_norm), abs=1e-12)
    assert result["n"] == 4
    assert np.isnan(result["p_sim"])
    reference = _esda_moran(_line_values()["y"].to_numpy(), graph, seed=0, permutations=0)
    assert reference.I == pytest.approx(0.4, abs=1e-12)
    assert reference.VI_norm == pytest.approx(31 / 180, abs=1e-12)


def test_global_moran_p_sim_on_line_equals_esda():
    graph = graph_from_weights(_line_weights(), LINE_IDS)
    for seed in (0, 7, 12345):
        result = global_moran(_line_values(), graph, 99, seed, "drop").loc["y"]
        reference = _esda_moran(_line_values()["y"].to_numpy(), graph, seed, permutations=99)
        assert result["p_sim"] == reference.p_sim


def test_global_moran_equals_esda_on_real_metros(pnw_graph, pnw_lq_wide):
    result = global_moran(pnw_lq_wide, pnw_graph, 999, 12345, "drop")
    present = (pnw_lq_wide > 0).sum()
    # Broad and rare industries: those present in one or two metros make the permuted I
    # tie with the observed I (only the metro's cardinality matters), so p_sim equality
    # there needs esda's exact arithmetic.
    chosen = list(present[present <= 2].index[:15]) + list(present[present > 2].index[::40])
    assert len(chosen) > 30
    for code in chosen:
        reference = _esda_moran(pnw_lq_wide[code].to_numpy(), pnw_graph, seed=12345)
        assert result.loc[code, "moran_i"] == pytest.approx(reference.I, abs=1e-9)
        assert result.loc[code, "p_sim"] == reference.p_sim, code
        assert result.loc[code, "z_norm"] == pytest.approx(reference.z_norm, abs=1e-9)
        assert result.loc[code, "p_norm"] == pytest.approx(reference.p_norm, abs=1e-12)
        assert result.loc[code, "n"] == reference.n == 55


def _lattice_graph(size: int = 5) -> Graph:
    # A size x size grid of unit boxes plus one box far away (an isolate).
    boxes = [box(col, row, col + 1, row + 1) for row in range(size) for col in range(size)]
    boxes.append(box(100, 100, 101, 101))
    ids = [f"{index:03d}" for index in range(len(boxes))]
    lattice = gpd.GeoDataFrame({"region_id": ids}, geometry=boxes).set_index("region_id")
    return Graph.build_contiguity(lattice, rook=False).transform("r")


def test_global_moran_equals_esda_on_lattice_with_isolate():
    graph = _lattice_graph()
    assert len(graph.isolates) == 1
    generator = np.random.default_rng(3)
    values = pd.DataFrame(
        {
            "smooth": np.repeat(np.arange(5.0), 5).tolist() + [2.0],
            "noise": generator.normal(size=26),
            "counts": generator.poisson(1.0, size=26).astype(float),
        },
        index=graph.unique_ids,
    )
    result = global_moran(values, graph, 199, 42, "drop")
    for column in values.columns:
        reference = _esda_moran(values[column].to_numpy(), graph, seed=42, permutations=199)
        assert result.loc[column, "moran_i"] == pytest.approx(reference.I, abs=1e-9)
        assert result.loc[column, "p_sim"] == reference.p_sim
        assert result.loc[column, "n"] == 26


def test_global_moran_result_does_not_depend_on_blocking_or_order(
    pnw_graph, pnw_lq_wide, monkeypatch
):
    columns = pnw_lq_wide.columns[:150]
    values = pnw_lq_wide[columns].copy()
    values.iloc[[2, 7], [0, 3, 5]] = np.nan  # missing patterns take the blocked path
    together = global_moran(values, pnw_graph, 99, 0, "drop")
    for columns_per_product in (1, 7, 1000):
        monkeypatch.setattr(spatial.moran, "COLUMNS_PER_PRODUCT", columns_per_product)
        pd.testing.assert_frame_equal(global_moran(values, pnw_graph, 99, 0, "drop"), together)
    shuffled = values.sample(frac=1.0, random_state=1)
    pd.testing.assert_frame_equal(global_moran(shuffled, pnw_graph, 99, 0, "drop"), together)


def test_global_moran_leaves_numpy_global_random_state_alone():
    graph = graph_from_weights(_line_weights(), LINE_IDS)
    np.random.seed(5)
    before = np.random.random()
    np.random.seed(5)
    global_moran(_line_values(), graph, 50, 1, "drop")
    assert np.random.random() == before


def test_constant_columns_give_nan_without_crashing():
    graph = graph_from_weights(_line_weights(), LINE_IDS)
    values = _line_values().assign(zeros=0.0, tenths=0.1)
    result = global_moran(values, graph, 9, 0, "drop")
    assert result.loc[["zeros", "tenths"], ["moran_i", "z_norm", "p_sim"]].isna().all().all()
    assert result.loc["y", "moran_i"] == pytest.approx(0.4)
    local = local_spatial(values, graph, 9, 0, 0.05, "drop")
    constant = local[local["variable"].isin(["zeros", "tenths"])]
    assert constant[["local_i", "local_p", "gi_star_z"]].isna().all().all()
    assert (constant["quadrant"] == "ns").all()


def test_variables_observed_in_fewer_than_two_regions_give_nan():
    graph = graph_from_weights(_line_weights(), LINE_IDS)
    values = _line_values().assign(nowhere=np.nan, only_b=[np.nan, 5.0, np.nan, np.nan])
    result = global_moran(values, graph, 9, 0, "drop")
    assert result.loc[["nowhere", "only_b"], "n"].tolist() == [0, 1]
    assert result.loc[["nowhere", "only_b"], ["moran_i", "p_sim"]].isna().all().all()
    local = local_spatial(values, graph, 9, 0, 0.05, "drop")
    assert "nowhere" not in set(local["variable"])
    only_b = local[local["variable"] == "only_b"]
    assert only_b["region_id"].tolist() == ["b"]
    assert only_b["local_i"].isna().all()


def test_missing_values_drop_the_region_and_match_esda_on_the_subgraph(pnw_graph, pnw_lq_wide):
    code = pnw_lq_wide.columns[(pnw_lq_wide > 0).sum().to_numpy() > 20][0]
    values = pnw_lq_wide[[code]].copy()
    dropped = values.index[[3, 10, 11]]
    values.loc[dropped, code] = np.nan
    result = global_moran(values, pnw_graph, 999, 9, "drop").loc[code]
    kept = [region for region in pnw_graph.unique_ids if region not in dropped]
    subgraph = pnw_graph.subgraph(np.asarray(kept, dtype=object)).transform("r")
    reference = _esda_moran(values.loc[kept, code].to_numpy(), subgraph, seed=9)
    assert result["n"] == 52
    assert result["moran_i"] == pytest.approx(reference.I, abs=1e-9)
    assert result["p_sim"] == reference.p_sim
    with pytest.raises(UserError, match=f"'{code}' is missing in region"):
        global_moran(values, pnw_graph, 9, 0, "raise")


def test_unknown_missing_policy_is_a_user_error():
    graph = graph_from_weights(_line_weights(), LINE_IDS)
    with pytest.raises(UserError, match="missing"):
        global_moran(_line_values(), graph, 9, 0, "zero")


# ----------------------------------------------------------------------------------------
# Local Moran and Getis-Ord Gi*
# ----------------------------------------------------------------------------------------


def test_local_statistics_hand_worked_line():
    # I_i = (n - 1) z_i (Wz)_i / sum z^2 = 3 z_i (Wz)_i / 5 with z and Wz as above:
    # a: 3 (-1.5)(-0.5) / 5 = 0.45, b: 3 (-0.5)(-0.5) / 5 = 0.15, c 0.15, d 0.45.
    # Gi* with binary weights including the region (Ord and Getis 1995): sum y = 10,
    # a: (1 + 2) / 10 = 0.3 over 2 cells, E = 2/4, Var = 2 (4 - 2) / 3 / 16 * s2 / mean^2
    # with s2 = 7.5 - 2.5^2 = 1.25, so Var = 1/60 and z = -0.2 sqrt(60) = -sqrt(2.4);
    # b: 0.6 over 3 cells, E = 3/4, Var = 3 / 3 / 16 * 0.2 = 1/80, z = -0.15 sqrt(80) = -sqrt(1.8).
    graph = graph_from_weights(_line_weights(), LINE_IDS)
    local = local_spatial(_line_values(), graph, 99, 0, 1.0, "drop")
    np.testing.assert_allclose(local["local_i"], [0.45, 0.15, 0.15, 0.45], atol=1e-12)
    # alpha = 1 labels every region with its quadrant: low among low, high among high.
    assert local["quadrant"].tolist() == ["LL", "LL", "HH", "HH"]
    expected_z = [-sqrt(2.4), -sqrt(1.8), sqrt(1.8), sqrt(2.4)]
    np.testing.assert_allclose(local["gi_star_z"], expected_z, atol=1e-12)
    np.testing.assert_allclose(local["gi_star_p"], stats.norm.sf(np.abs(expected_z)), atol=1e-12)
    assert local["region_id"].tolist() == LINE_IDS
    assert set(local["variable"]) == {"y"}


def test_local_statistics_equal_esda_on_real_metros(pnw_graph, pnw_lq_wide):
    present = (pnw_lq_wide > 0).sum()
    chosen = list(present[present > 10].index[:6]) + list(present[present <= 2].index[:2])
    local = local_spatial(pnw_lq_wide[chosen], pnw_graph, 999, 7, 0.05, "drop")
    isolate = np.isin(pnw_graph.unique_ids, pnw_graph.isolates)
    labels = np.array(["", "HH", "LH", "LL", "HL"])
    for code in chosen:
        rows = local[local["variable"] == code]
        assert rows["region_id"].tolist() == list(pnw_graph.unique_ids)
        moran, getis_ord = _esda_local(pnw_lq_wide[code].to_numpy(), pnw_graph, seed=7)
        np.testing.assert_allclose(rows["local_i"], moran.Is, atol=1e-9)
        np.testing.assert_array_equal(rows["local_p"].to_numpy()[~isolate], moran.p_sim[~isolate])
        expected = np.where(moran.p_sim <= 0.05, labels[moran.q], "ns")
        expected[isolate] = "ns"
        np.testing.assert_array_equal(rows["quadrant"].to_numpy(), expected)
        # Same as esda's own labels away from the alpha boundary (esda uses p < alpha).
        esda_labels = moran.get_cluster_labels(0.05)
        agree = ~isolate & (moran.p_sim != 0.05)
        significant = esda_labels[agree] != "Insignificant"
        assert ((rows["quadrant"].to_numpy()[agree] != "ns") == significant).all()
        np.testing.assert_allclose(
            rows["gi_star_z"].to_numpy()[~isolate], getis_ord.Zs[~isolate], atol=1e-9
        )


def test_local_statistics_equal_esda_on_lattice():
    graph = _lattice_graph()
    generator = np.random.default_rng(11)
    values = pd.DataFrame({"counts": generator.poisson(2.0, size=26).astype(float)})
    values.index = graph.unique_ids
    local = local_spatial(values, graph, 199, 3, 0.05, "drop")
    moran, getis_ord = _esda_local(values["counts"].to_numpy(), graph, seed=3, permutations=199)
    connected = ~np.isin(graph.unique_ids, graph.isolates)
    np.testing.assert_allclose(local["local_i"], moran.Is, atol=1e-9)
    np.testing.assert_array_equal(local["local_p"][connected], moran.p_sim[connected])
    np.testing.assert_allclose(local["gi_star_z"][connected], getis_ord.Zs[connected], atol=1e-9)


def test_isolate_gets_no_local_inference(pnw_graph, pnw_lq_wide):
    code = pnw_lq_wide.columns[(pnw_lq_wide > 0).sum().to_numpy() > 20][0]
    local = local_spatial(pnw_lq_wide[[code]], pnw_graph, 99, 0, 0.05, "drop")
    isolate = local[local["region_id"].isin(pnw_graph.isolates)]
    assert len(isolate) == 1
    # esda would call it significant (p_sim = 1/100): its permuted I are all 0.
    moran, _ = _esda_local(pnw_lq_wide[code].to_numpy(), pnw_graph, seed=12345, permutations=99)
    assert moran.p_sim[np.isin(pnw_graph.unique_ids, pnw_graph.isolates)][0] == pytest.approx(0.01)
    assert isolate["local_i"].iloc[0] == 0
    assert isolate[["local_p", "gi_star_z", "gi_star_p"]].isna().all().all()
    assert isolate["quadrant"].iloc[0] == "ns"


def test_graph_of_isolates_only_does_not_crash():
    weights = pd.DataFrame({"focal": ["a", "b"], "neighbor": ["a", "b"], "weight": 0.0})
    graph = graph_from_weights(weights, ["a", "b"])
    values = pd.DataFrame({"y": [1.0, 2.0]}, index=["a", "b"])
    assert np.isnan(global_moran(values, graph, 9, 0, "drop").loc["y", "moran_i"])
    local = local_spatial(values, graph, 9, 0, 0.05, "drop")
    assert (local["quadrant"] == "ns").all()


def test_local_statistics_refuse_negative_values():
    graph = graph_from_weights(_line_weights(), LINE_IDS)
    with pytest.raises(UserError, match="'y' is negative in region a"):
        local_spatial(_line_values() - 2.0, graph, 0, 0, 0.05, "drop")


def test_local_statistics_leave_numpy_global_random_state_alone():
    graph = graph_from_weights(_line_weights(), LINE_IDS)
    np.random.seed(5)
    before = np.random.random()
    np.random.seed(5)
    local_spatial(_line_values(), graph, 19, 1, 0.05, "drop")
    assert np.random.random() == before


# ----------------------------------------------------------------------------------------
# Long-format wrappers
# ----------------------------------------------------------------------------------------


def _long_table() -> pd.DataFrame:
    # Year 2019: industry "11" is absent from region c (LQ 0) and unknown in region d (NaN).
    # Year 2020: region d has no rows at all, so it is not part of that year's analysis.
    rows = [
        (2019, "a", "11", 1.0),
        (2019, "b", "11", 2.0),
        (2019, "d", "11", np.nan),
        (2019, "a", "22", 1.0),
        (2019, "b", "22", 2.0),
        (2019, "c", "22", 3.0),
        (2019, "d", "22", 4.0),
        (2020, "a", "22", 4.0),
        (2020, "b", "22", 1.0),
        (2020, "c", "22", 1.0),
    ]
    table = pd.DataFrame(rows, columns=["year", "region_id", "industry_code", "lq"])
    table["year"] = table["year"].astype("int16")
    return table


def test_moran_by_group_fills_absent_cells_with_zero():
    result = moran_by_group(_long_table(), _line_weights(), *BY_INDUSTRY, 99, 4, "drop")
    assert result.columns[:2].tolist() == ["year", "industry_code"]
    assert result["year"].dtype == "int16"
    result = result.set_index(["year", "industry_code"])
    assert len(result) == 3
    # 2019, "22": the full line 1, 2, 3, 4.
    assert result.loc[(2019, "22"), "moran_i"] == pytest.approx(0.4)
    # 2019, "11": c absent -> 0, d unknown -> dropped: a - b - c with 1, 2, 0.
    graph = graph_from_weights(_line_weights(), ["a", "b", "c"])
    reference = _esda_moran(np.array([1.0, 2.0, 0.0]), graph, seed=4, permutations=99)
    assert result.loc[(2019, "11"), "n"] == 3
    assert result.loc[(2019, "11"), "moran_i"] == pytest.approx(reference.I, abs=1e-12)
    assert result.loc[(2019, "11"), "p_sim"] == reference.p_sim
    # 2020: d has no rows, so the year has three regions.
    assert result.loc[(2020, "22"), "n"] == 3


def test_moran_by_group_on_real_lq_equals_global_moran(cbp_subset, pnw_weights, pnw_graph):
    lq = location_quotients(cbp_subset)
    # Sectors: every metro has some, so both calls analyse the same 55 metros.
    subset = lq[lq["industry_level"] == 2]
    result = moran_by_group(subset, pnw_weights, *BY_INDUSTRY, 99, 0, "drop").set_index(
        "industry_code"
    )
    wide = subset.pivot(index="region_id", columns="industry_code", values="lq").fillna(0.0)
    expected = global_moran(wide, pnw_graph, 99, 0, "drop")
    np.testing.assert_array_equal(result.loc[expected.index, "moran_i"], expected["moran_i"])
    np.testing.assert_array_equal(result.loc[expected.index, "p_sim"], expected["p_sim"])


def test_local_by_group_gives_every_region_every_group():
    local = local_by_group(_long_table(), _line_weights(), *BY_INDUSTRY, 19, 0, 0.05, "drop")
    assert local.columns.tolist() == [
        "year",
        "industry_code",
        "region_id",
        "local_i",
        "local_p",
        "quadrant",
        "gi_star_z",
        "gi_star_p",
    ]
    counts = local.groupby(["year", "industry_code"]).size().to_dict()
    # 2019 "11": a, b, c (d unknown is dropped); 2019 "22": a-d; 2020 "22": a-c.
    assert counts == {(2019, "11"): 3, (2019, "22"): 4, (2020, "22"): 3}
    line = local[(local["year"] == 2019) & (local["industry_code"] == "22")]
    np.testing.assert_allclose(line["local_i"], [0.45, 0.15, 0.15, 0.45], atol=1e-12)
    assert set(local["quadrant"]) <= {"HH", "HL", "LH", "LL", "ns"}


def test_wrappers_reject_duplicate_rows_and_missing_columns():
    table = pd.concat([_long_table(), _long_table().iloc[[0]]], ignore_index=True)
    with pytest.raises(UserError, match="two rows"):
        moran_by_group(table, _line_weights(), *BY_INDUSTRY, 0, 0, "drop")
    with pytest.raises(UserError, match="cluster_code"):
        local_by_group(_long_table(), _line_weights(), *BY_CLUSTER, 0, 0, 0.05, "drop")


# ----------------------------------------------------------------------------------------
# The vectorised kernels: libpysal's subgraph arrays, esda's draws and ties, task splits
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dropped", [[3], [0, 10, 11, 40], list(range(0, 55, 3))])
def test_restricted_weights_are_libpysal_subgraph_bit_for_bit(pnw_graph, dropped):
    mask = np.ones(len(pnw_graph.unique_ids), dtype=bool)
    mask[dropped] = False
    kept = np.asarray(pnw_graph.unique_ids)[mask].astype(object)
    reference = pnw_graph.subgraph(kept).transform("r")
    summary = reference.summary()
    restricted = spatial.weights._Weights.of(pnw_graph).restricted(mask)
    expected = reference.sparse
    np.testing.assert_array_equal(restricted.sparse.indptr, expected.indptr)
    np.testing.assert_array_equal(restricted.sparse.indices, expected.indices)
    np.testing.assert_array_equal(restricted.sparse.data, expected.data)
    assert (restricted.s0, restricted.s1, restricted.s2) == (summary.s0, summary.s1, summary.s2)
    np.testing.assert_array_equal(restricted.isolate, reference.cardinalities.to_numpy() == 0)


def test_global_moran_with_a_missing_pattern_per_variable_equals_esda(pnw_graph, pnw_lq_wide):
    # As a year of suppressed county cells: every variable misses its own regions, so each
    # has its own subgraph and draws; rare industries make permuted and observed I tie.
    present = (pnw_lq_wide > 0).sum()
    chosen = list(present[present <= 2].index[:6]) + list(present[present > 2].index[::60])
    values = pnw_lq_wide[chosen].copy()
    for offset, _code in enumerate(chosen):
        values.iloc[[offset, offset + 20], offset] = np.nan
    result = global_moran(values, pnw_graph, 499, 5, "drop")
    ids = np.asarray(pnw_graph.unique_ids)
    ties = 0
    for code in chosen:
        observed = values[code].notna().to_numpy()
        graph = pnw_graph.subgraph(ids[observed].astype(object)).transform("r")
        reference = _esda_moran(values[code].to_numpy()[observed], graph, seed=5, permutations=499)
        ties += int((reference.sim[1:] == reference.I).sum())
        assert result.loc[code, "n"] == 53
        assert abs(result.loc[code, "moran_i"] - reference.I) <= 1e-12
        assert abs(result.loc[code, "z_norm"] - reference.z_norm) <= 1e-12
        assert result.loc[code, "p_sim"] == reference.p_sim, code
    assert ties > 0


def test_vectorised_local_statistics_equal_esda_with_ties_and_missing(pnw_graph, pnw_lq_wide):
    # Common and rare industries together, one with a suppressed (NaN) metro, so that the
    # shared conditional draws, the near-tie re-check and the subgraph path all run.
    present = (pnw_lq_wide > 0).sum()
    chosen = list(present[present > 5].index[::25][:10]) + list(present[present <= 3].index[:6])
    values = pnw_lq_wide[chosen].copy()
    values.iloc[3, 0] = np.nan
    local = local_spatial(values, pnw_graph, 199, 11, 0.05, "drop")
    ties = 0
    ids = np.asarray(pnw_graph.unique_ids)
    for code in chosen:
        rows = local[local["variable"] == code]
        observed = values[code].notna().to_numpy()
        graph = (
            pnw_graph
            if observed.all()
            else pnw_graph.subgraph(ids[observed].astype(object)).transform("r")
        )
        moran, getis_ord = _esda_local(values[code].to_numpy()[observed], graph, 11, 199)
        isolate = graph.cardinalities.to_numpy() == 0
        assert rows["region_id"].tolist() == list(graph.unique_ids)
        assert np.abs(rows["local_i"].to_numpy() - moran.Is).max() <= 1e-12
        np.testing.assert_array_equal(rows["local_p"].to_numpy()[~isolate], moran.p_sim[~isolate])
        gi_star = rows["gi_star_z"].to_numpy()[~isolate]
        assert np.abs(gi_star - getis_ord.Zs[~isolate]).max() <= 1e-12
        ties += int((moran.sim == moran.Is).sum())
    assert ties > 1000  # exact ties between permuted and observed I_i are exercised


def test_local_by_group_split_by_variables_equals_one_call(cbp_subset, pnw_weights):
    lq = location_quotients(cbp_subset)
    table = lq[lq["industry_level"] == 3][["year", "region_id", "industry_code", "lq"]]
    whole = local_by_group(table, pnw_weights, *BY_INDUSTRY, 99, 3, 0.05, "drop")
    codes = sorted(table["industry_code"].unique())
    parts = [
        local_by_group(
            table, pnw_weights, *BY_INDUSTRY, 99, 3, 0.05, "drop", variables=codes[start::4]
        )
        for start in range(4)
    ]
    split = pd.concat(parts, ignore_index=True).sort_values(
        ["year", "industry_code"], kind="stable", ignore_index=True
    )
    pd.testing.assert_frame_equal(split, whole)


def test_local_over_must_be_clusters_or_industries():
    from dataclasses import replace

    from pipeline.config import project_settings

    assert replace(project_settings().spatial, local_over="industries").local_over == "industries"
    with pytest.raises(UserError, match="spatial.local_over"):
        replace(project_settings().spatial, local_over="regions")


# ----------------------------------------------------------------------------------------
# Fixtures: the Washington / Oregon / Idaho metros of the embedded CBP 2019 data
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pnw_regions(subset_cbsas) -> list[str]:
    return subset_cbsas


@pytest.fixture(scope="module")
def pnw_weights(pnw_regions) -> pd.DataFrame:
    delineation = pd.read_csv(RAW_US / "cbsa_county_delineation_2020.csv", dtype=str)
    adjacency = pd.read_csv(RAW_US / "county_adjacency_2023.csv", dtype=str)
    county_to_region = delineation[["county_fips", "cbsa_code"]].rename(
        columns={"cbsa_code": "region_id"}
    )
    return weights_table(
        merged_contiguity(adjacency_graph(adjacency), county_to_region, pnw_regions)
    )


@pytest.fixture(scope="module")
def pnw_graph(pnw_weights, pnw_regions) -> Graph:
    return graph_from_weights(pnw_weights, pnw_regions)


@pytest.fixture(scope="module")
def pnw_lq_wide(cbp_subset, pnw_graph) -> pd.DataFrame:
    lq = location_quotients(cbp_subset)
    wide = lq.pivot(index="region_id", columns="industry_code", values="lq")
    # Absent region x industry cells: no employment, LQ 0 (the wrappers' convention).
    return wide.reindex(pnw_graph.unique_ids).fillna(0.0)
