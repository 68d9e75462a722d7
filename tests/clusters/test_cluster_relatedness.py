"""Cluster relatedness from industry relatedness: hand-worked values and the real table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.clusters.cluster_relatedness import CLUSTER_RELATEDNESS_COLUMNS, cluster_relatedness

ROOT = Path(__file__).resolve().parents[2]


def _example():
    relatedness = pd.DataFrame(
        {
            "industry_code": ["a", "c", "b", "e"],
            "related_code": ["c", "a", "c", "a"],
            "combined": [2.0, 1.5, 1.0, 0.7],
        }
    )
    clusters = pd.DataFrame(
        {
            "industry_code": ["a", "b", "c", "d", "e", "a"],
            "cluster_code": ["X", "X", "Y", "Y", "Z", "D1"],
            "method": ["benchmark"] * 5 + ["derived"],
        }
    )
    names = pd.Series({"X": "Ex", "Y": "Why", "Z": "Zed", "D1": "Derived"})
    return relatedness, clusters, names


def test_hand_worked_shares_and_means():
    # d is not covered by the relatedness table: Y = {c}; (a, c) is listed both ways
    # (max 2.0), (b, c) once (1.0), (e, a) once (0.7)
    result = cluster_relatedness(*_example()).set_index(["cluster_code", "related_cluster_code"])
    assert list(result.columns) == CLUSTER_RELATEDNESS_COLUMNS[1:]
    xy = result.loc[("X", "Y")]
    assert xy["linked_pairs"] == 2
    assert xy["linked_share"] == pytest.approx(2 / (2 * 1))
    assert xy["mean_relatedness"] == pytest.approx(1.5)
    assert xy["related_cluster_name"] == "Why"
    assert result.loc[("Y", "X"), "linked_share"] == pytest.approx(1.0)
    assert result.loc[("X", "Z"), "linked_share"] == pytest.approx(1 / 2)
    assert result.loc[("X", "Z"), "mean_relatedness"] == pytest.approx(0.7)
    # no link between Y and Z; the derived cluster relates to no benchmark cluster
    assert ("Y", "Z") not in result.index
    assert "D1" not in result.index.get_level_values(0)
    assert "D1" not in result.index.get_level_values(1)
    # X's most related first; percentiles within the definition, the top at 100
    ordered = cluster_relatedness(*_example())
    assert ordered[ordered["cluster_code"] == "X"]["related_cluster_code"].tolist() == ["Y", "Z"]
    assert ordered["related_percentile"].max() == 100


def test_aerospace_has_related_clusters_on_the_built_metros():
    processed = ROOT / "data" / "processed" / "us_cbsa_2019"
    if not (processed / "industry_relatedness.parquet").exists():
        pytest.skip("us_cbsa_2019 not built (dvc repro)")
    clusters = pd.read_parquet(processed / "industry_clusters.parquet")
    names = clusters.drop_duplicates("cluster_code").set_index("cluster_code")["cluster_name"]
    result = cluster_relatedness(
        pd.read_parquet(processed / "industry_relatedness.parquet"), clusters, names
    )
    aerospace = result[result["cluster_code"] == "1"]
    assert len(aerospace) >= 5
    assert aerospace["linked_share"].between(0, 1).all()
    # the US Cluster Mapping related pairs rank high: in the top 10 far more often than chance
    published = pd.read_csv(
        ROOT / "data/raw/classifications/uscmp_related_clusters.csv",
        dtype={"cluster_code": str, "related_cluster_code": str},
    )
    benchmark = result[result["related_cluster_code"].str.isdigit()]
    top = set(
        benchmark.groupby("cluster_code")
        .head(10)[["cluster_code", "related_cluster_code"]]
        .itertuples(index=False, name=None)
    )
    pairs = set(
        published[["cluster_code", "related_cluster_code"]].itertuples(index=False, name=None)
    )
    # a random top 10 of the other benchmark clusters would hold 10 / (n - 1) of them (~0.15)
    others = clusters.loc[clusters["method"] == "benchmark", "cluster_code"].nunique() - 1
    assert len(pairs & top) / len(pairs) > 2.5 * 10 / others
