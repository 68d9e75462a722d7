"""What a group is known for: its dominant clusters by excess employment (:func:`dominant_clusters`)
and the published one-row-per-region table (:func:`region_group_table`).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd


def dominant_clusters(
    strength: pd.DataFrame,
    year: int,
    groups: pd.Series,
    *,
    cluster_types: Sequence[str],
    top: int,
) -> pd.DataFrame:
    """Each group's dominant clusters: the most jobs above the national share.

    Parameters
    ----------
    strength : DataFrame
        cluster_strength rows (region_id, year, cluster_code, cluster_name, cluster_type,
        employment, region_employment, cluster_national, national_employment).
    year : int
    groups : Series
        group_id indexed by region_id.
    cluster_types : sequence of str
        Cluster types ranked (params.yaml ``region_groups.cluster_types``).
    top : int
        Clusters listed per group (params.yaml ``region_groups.dominant_clusters``).

    Returns
    -------
    DataFrame
        group_id, dominant_cluster_codes, dominant_cluster_names, dominant_cluster_lqs,
        dominant_cluster_excess (lists, largest excess first; empty when no cluster
        exceeds its national share), group_employment; one row per group.

    Notes
    -----
    The group is treated as one region. Its pooled LQ is
    LQ_gc = (E_gc / E_g) / (E_c / E), with E_gc = sum_{r in g} E_rc and E_g = sum_{r in g} E_r
    (the employment-weighted mean of its regions' LQs). Clusters are ranked by their
    excess (export) employment X_gc = E_gc - E_g E_c / E = E_gc (1 - 1 / LQ_gc), the jobs
    above what the national share would give (the LQ-based economic-base estimate, Tiebout
    1962; Isserman 1980), which weighs specialisation by size: ranking by LQ alone would
    put a few hundred jewellery or tobacco jobs ahead of a group's automotive belt. Only
    clusters with X_gc > 0 (LQ > 1) are listed.

    Examples
    --------
    >>> strength = pd.DataFrame({
    ...     "region_id": ["A", "A", "B", "B"], "year": 2019,
    ...     "cluster_code": ["1", "2", "1", "2"], "cluster_name": ["Cars", "Jewels"] * 2,
    ...     "cluster_type": "traded", "employment": [500.0, 20.0, 100.0, 0.0],
    ...     "region_employment": [1000.0, 1000.0, 1000.0, 1000.0],
    ...     "cluster_national": [20000.0, 100.0, 20000.0, 100.0],
    ...     "national_employment": 100000.0})
    >>> groups = pd.Series({"A": 0, "B": 0})
    >>> table = dominant_clusters(strength, 2019, groups, cluster_types=["traded"], top=3)
    >>> table.loc[0, "dominant_cluster_names"], table.loc[0, "dominant_cluster_excess"]
    (['Cars', 'Jewels'], [200.0, 18.0])
    """
    of_year = strength[(strength["year"] == year)]
    totals = of_year.drop_duplicates("region_id").set_index("region_id")["region_employment"]
    national = float(of_year["national_employment"].dropna().iloc[0])
    group_total = totals.groupby(groups.reindex(totals.index)).sum()
    kept = of_year[of_year["cluster_type"].isin(list(cluster_types))]
    kept = kept.assign(group_id=kept["region_id"].map(groups)).dropna(subset=["group_id"])
    by_group = kept.groupby(["group_id", "cluster_code"], as_index=False).agg(
        employment=("employment", "sum"),
        cluster_name=("cluster_name", "first"),
        cluster_national=("cluster_national", "first"),
    )
    national_share = by_group["cluster_national"] / national
    expected = by_group["group_id"].map(group_total) * national_share
    by_group["pooled_lq"] = by_group["employment"] / expected
    by_group["excess"] = by_group["employment"] - expected
    by_group = by_group[by_group["excess"] > 0].sort_values(
        ["group_id", "excess", "cluster_code"], ascending=[True, False, True]
    )
    head = by_group.groupby("group_id").head(top)
    listed = head.groupby("group_id").agg(
        dominant_cluster_codes=("cluster_code", list),
        dominant_cluster_names=("cluster_name", list),
        dominant_cluster_lqs=("pooled_lq", lambda lqs: [round(float(v), 4) for v in lqs]),
        dominant_cluster_excess=("excess", lambda jobs: [round(float(v), 1) for v in jobs]),
    )
    listed = listed.reindex(group_total.index)
    for column in listed.columns:  # a group without any cluster above its share
        listed[column] = listed[column].map(lambda value: value if isinstance(value, list) else [])
    listed["group_employment"] = group_total
    listed.index.name = "group_id"
    return listed.reset_index()


def region_group_table(
    strength: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    year: int,
    profile: pd.DataFrame,
    labels: np.ndarray,
    kmeans_labels: np.ndarray,
    *,
    cluster_types: Sequence[str],
    top: int,
) -> gpd.GeoDataFrame:
    """One row per grouped region: its group, the group's dominant clusters, geometry.

    Parameters
    ----------
    strength : DataFrame
        cluster_strength rows.
    regions : GeoDataFrame
        region_id, name, geometry.
    year : int
    profile : DataFrame
        The profiles the groups were fitted on (index region_id).
    labels, kmeans_labels : array of int
        Constrained (Ward) and unconstrained (KMeans) group of each profile row.
    cluster_types : sequence of str
    top : int
        As for :func:`dominant_clusters`.

    Returns
    -------
    GeoDataFrame
        region_id, name, year, group_id ("<year>-<n>", numbered by group employment,
        largest first), group_regions, group_employment, dominant_cluster_codes,
        dominant_cluster_names, dominant_cluster_lqs, dominant_cluster_excess,
        kmeans_group, geometry; CRS of
        ``regions``.
    """
    raw = pd.Series(np.asarray(labels), index=profile.index)
    first = dominant_clusters(strength, year, raw, cluster_types=cluster_types, top=top)
    rank = (
        first.sort_values(["group_employment", "group_id"], ascending=[False, True])
        .reset_index(drop=True)
        .reset_index()
        .set_index("group_id")["index"]
    )
    group_id = raw.map(rank).map(lambda n: f"{year}-{int(n) + 1}")
    first["group_id"] = first["group_id"].map(rank).map(lambda n: f"{year}-{int(n) + 1}")
    table = pd.DataFrame(
        {
            "region_id": profile.index.astype(str),
            "year": np.int16(year),
            "group_id": group_id.to_numpy(),
            "kmeans_group": np.asarray(kmeans_labels, dtype="int32"),
        }
    )
    table["group_regions"] = (
        table.groupby("group_id")["region_id"].transform("size").astype("int32")
    )
    table = table.merge(first, on="group_id", how="left")
    geometry = regions[[c for c in ("region_id", "name", "geometry") if c in regions]].copy()
    geometry["region_id"] = geometry["region_id"].astype(str)
    table = geometry.merge(table, on="region_id", how="inner")
    columns = [
        "region_id",
        "name",
        "year",
        "group_id",
        "group_regions",
        "group_employment",
        "dominant_cluster_codes",
        "dominant_cluster_names",
        "dominant_cluster_lqs",
        "dominant_cluster_excess",
        "kmeans_group",
        "geometry",
    ]
    columns = [column for column in columns if column in table]
    return gpd.GeoDataFrame(table[columns], geometry="geometry", crs=regions.crs).sort_values(
        ["group_id", "region_id"], ignore_index=True
    )
