"""Relatedness of clusters, aggregated from the relatedness of their industries.

Delgado, Porter & Stern (2016, *J. Econ. Geogr.* 16(1) 1-38, section 5) call two clusters
related when many of their industry pairs are related. The US Cluster Mapping dump kept
in the classifications folder lists such pairs for 37 of the 51 benchmark clusters only
(none for Aerospace Vehicles and Defense, for instance), and none outside the US. This module
computes the same kind of link from the dataset's own industry relatedness table
(``industry_relatedness.parquet``: every industry's ``top_k`` most related industries by
co-location, input-output and occupation ties), for any cluster definition: benchmark or
derived, NAICS, NACE or OKVED.

For clusters A and B (disjoint industry sets, restricted to industries the relatedness table
covers) an industry pair {a, b}, a in A and b in B, is *linked* when b is among a's listed
related industries or a among b's. Then

    linked_share(A, B) = #linked pairs / (|A| |B|)
    mean_relatedness(A, B) = mean over linked pairs of the pair's ``combined`` score
                             (the larger of the two directions where both are listed)

and ``related_percentile`` is the percentile rank of linked_share among all ordered cluster
pairs of the definition with at least one linked pair (100 = the most related pair), the
analogue of the US Cluster Mapping ``related_percentage``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CLUSTER_RELATEDNESS_COLUMNS = [
    "related_cluster_code",
    "related_cluster_name",
    "linked_pairs",
    "linked_share",
    "mean_relatedness",
    "related_percentile",
]


def _pair_scores(relatedness: pd.DataFrame) -> pd.DataFrame:
    """Unordered industry pairs (first < second) with the larger ``combined`` score."""
    first = relatedness["industry_code"].astype(str).to_numpy()
    second = relatedness["related_code"].astype(str).to_numpy()
    low = np.where(first < second, first, second)
    high = np.where(first < second, second, first)
    pairs = pd.DataFrame(
        {"low": low, "high": high, "combined": relatedness["combined"].to_numpy(float)}
    )
    pairs = pairs[pairs["low"] != pairs["high"]]
    return pairs.groupby(["low", "high"], as_index=False, sort=False)["combined"].max()


def cluster_relatedness(
    relatedness: pd.DataFrame, clusters: pd.DataFrame, cluster_names: pd.Series
) -> pd.DataFrame:
    """Related clusters of every cluster, from an industry relatedness table.

    Parameters
    ----------
    relatedness : DataFrame
        industry_code, related_code, combined (the ``industry_relatedness`` table).
    clusters : DataFrame
        industry_code, cluster_code and, optionally, method (the definition: ``benchmark``
        or ``derived`` in ``industry_clusters``). Clusters are related only to clusters of
        the same definition; within one, an industry belongs to one cluster.
    cluster_names : Series
        cluster_code -> cluster name.

    Returns
    -------
    DataFrame
        cluster_code plus :data:`CLUSTER_RELATEDNESS_COLUMNS`, one row per ordered pair of
        distinct clusters with at least one linked industry pair, each cluster's most related
        first (see the module docstring for the formulas).

    Examples
    --------
    Clusters X = {a, b} and Y = {c, d} with linked pairs (a, c) scored 2 and (b, c) scored 1
    give linked_pairs 2, linked_share 2 / 4 = 0.5 and mean_relatedness 1.5, in both directions.
    """
    columns = ["industry_code", "cluster_code"]
    members = clusters.assign(method=clusters["method"] if "method" in clusters else "definition")[
        [*columns, "method"]
    ].astype(str)
    members = members.drop_duplicates()
    covered = set(relatedness["industry_code"].astype(str)) | set(
        relatedness["related_code"].astype(str)
    )
    members = members[members["industry_code"].isin(covered)]
    size = members.groupby("cluster_code")["industry_code"].nunique()
    pairs = _pair_scores(relatedness)
    both = pd.concat(
        [
            pairs.rename(columns={"low": "industry", "high": "other"}),
            pairs.rename(columns={"high": "industry", "low": "other"}),
        ],
        ignore_index=True,
    )
    joined = both.merge(
        members.rename(columns={"industry_code": "industry", "cluster_code": "cluster"}),
        on="industry",
    ).merge(
        members.rename(columns={"industry_code": "other", "cluster_code": "related"}),
        on=["other", "method"],
    )
    joined = joined[joined["cluster"] != joined["related"]]
    summary = joined.groupby(["method", "cluster", "related"], as_index=False).agg(
        linked_pairs=("combined", "size"), mean_relatedness=("combined", "mean")
    )
    possible = summary["cluster"].map(size).to_numpy() * summary["related"].map(size).to_numpy()
    summary["linked_share"] = summary["linked_pairs"] / possible
    summary["related_percentile"] = (
        summary.groupby("method")["linked_share"].rank(pct=True, method="max") * 100
    )
    summary = summary.sort_values(
        ["cluster", "linked_share", "mean_relatedness", "related"],
        ascending=[True, False, False, True],
        kind="stable",
    )
    result = pd.DataFrame(
        {
            "cluster_code": summary["cluster"].to_numpy(),
            "related_cluster_code": summary["related"].to_numpy(),
            "related_cluster_name": summary["related"].map(cluster_names).to_numpy(),
        }
    )
    for column in ("linked_pairs", "linked_share", "mean_relatedness", "related_percentile"):
        result[column] = summary[column].to_numpy()
    return result.reset_index(drop=True)
