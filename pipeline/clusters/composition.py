"""The industry composition of regional clusters: each one's employment by industry.

A regional cluster (:func:`pipeline.clusters.regional.regional_clusters`) is a set of member
regions of one cluster in one year; its composition is the employment of the cluster's
industries summed over those members. On a national county panel the industry table is
large (a 37.5M-row panel has 15M six-digit rows), so the rows are matched to their regional
cluster by integer codes, not by merging string keys, and only the rows of members are
grouped: the same sums (pandas' group sums, in the table's row order) as the merges
``industry_employment ⋈ industry_clusters ⋈ membership`` with a fraction of the memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMPOSITION_COLUMNS = ["regional_cluster_id", "industry_code", "employment"]


def cluster_composition(
    industry_employment: pd.DataFrame,
    industry_clusters: pd.DataFrame,
    membership: pd.DataFrame,
) -> pd.DataFrame:
    """Employment of each regional cluster by industry.

    Parameters
    ----------
    industry_employment : DataFrame
        region_id, industry_code, year, employment at the definitions' level.
    industry_clusters : DataFrame
        industry_code, cluster_code (one cluster per industry).
    membership : DataFrame
        regional_cluster_id, year, cluster_code, region_id: the members of each regional
        cluster (a region is in at most one regional cluster of a cluster and year).

    Returns
    -------
    DataFrame
        regional_cluster_id, industry_code, employment (the sum over the members), sorted by
        regional cluster, then employment (largest first), then industry code.

    Examples
    --------
    >>> employment = pd.DataFrame({"region_id": ["a", "b", "b", "c"],
    ...     "industry_code": ["1", "1", "2", "1"], "year": 2019, "employment": [5.0, 3, 4, 9]})
    >>> clusters = pd.DataFrame({"industry_code": ["1", "2"], "cluster_code": ["x", "x"]})
    >>> members = pd.DataFrame({"regional_cluster_id": ["r1", "r1"], "year": 2019,
    ...     "cluster_code": "x", "region_id": ["a", "b"]})
    >>> cluster_composition(employment, clusters, members)
      regional_cluster_id industry_code  employment
    0                  r1             1         8.0
    1                  r1             2         4.0
    """
    mapping = industry_clusters[["industry_code", "cluster_code"]]
    keys = ["year", "cluster_code", "region_id"]
    if mapping["industry_code"].duplicated().any() or membership.duplicated(keys).any():
        return _merged_composition(industry_employment, mapping, membership)
    regions = pd.Index(membership["region_id"].unique())
    clusters = pd.Index(membership["cluster_code"].unique())
    years = pd.Index(membership["year"].unique())
    # each row's (year, cluster, region) as one integer; -1 where it cannot be a member
    industry = pd.Index(mapping["industry_code"]).get_indexer(industry_employment["industry_code"])
    cluster_of_industry = np.append(clusters.get_indexer(mapping["cluster_code"]), -1)
    cluster = cluster_of_industry[industry]  # industry -1 (unmapped) takes the appended -1
    region = regions.get_indexer(industry_employment["region_id"])
    year = years.get_indexer(industry_employment["year"])
    possible = np.flatnonzero((cluster >= 0) & (region >= 0) & (year >= 0))
    row_keys = _combined(year[possible], cluster[possible], region[possible], clusters, regions)
    member_keys = _combined(
        years.get_indexer(membership["year"]),
        clusters.get_indexer(membership["cluster_code"]),
        regions.get_indexer(membership["region_id"]),
        clusters,
        regions,
    )
    member = pd.Index(member_keys).get_indexer(row_keys)
    rows = possible[member >= 0]
    regional_cluster = pd.Series(membership["regional_cluster_id"].to_numpy()[member[member >= 0]])
    matched = pd.DataFrame(
        {
            "regional_cluster_id": regional_cluster,
            "industry_code": industry_employment["industry_code"].to_numpy()[rows],
            "employment": industry_employment["employment"].to_numpy()[rows],
        }
    )
    return _grouped(matched)


def _combined(
    year: np.ndarray, cluster: np.ndarray, region: np.ndarray, clusters: pd.Index, regions: pd.Index
) -> np.ndarray:
    return (year.astype(np.int64) * len(clusters) + cluster) * len(regions) + region


def _merged_composition(
    industry_employment: pd.DataFrame, mapping: pd.DataFrame, membership: pd.DataFrame
) -> pd.DataFrame:
    """The definition by merges (an industry in several clusters: each of its rows counts
    once per cluster)."""
    detail = industry_employment.merge(mapping, on="industry_code")
    matched = detail.merge(membership, on=["year", "cluster_code", "region_id"])
    return _grouped(matched[COMPOSITION_COLUMNS])


def _grouped(matched: pd.DataFrame) -> pd.DataFrame:
    return (
        matched.groupby(["regional_cluster_id", "industry_code"], as_index=False)["employment"]
        .sum()
        .sort_values(
            ["regional_cluster_id", "employment", "industry_code"], ascending=[True, False, True]
        )
        .reset_index(drop=True)
    )
