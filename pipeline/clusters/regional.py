"""Regional clusters: notable region x cluster pairs merged across adjacent regions.

A regional cluster is a set of contiguous regions that are all notable for the same
benchmark cluster in the same year (Porter 2003; Delgado, Porter & Stern 2014). A pair is
notable when it is *strong* (US Cluster Mapping rule) or, because percentile rules favour
small regions whose LQs are volatile, when it earns at least ``min_stars`` European
Cluster Observatory stars: a large metro with a big, clearly specialised cluster
(size + LQ >= 2) is caught even where its LQ sits below the 75th percentile of small
places. Notable pairs of one cluster in adjacent regions form one regional cluster
(connected components of the contiguity graph restricted to those regions).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipeline.measures.specialization import locq


def notable_pairs(
    scored: pd.DataFrame,
    min_stars: int,
    cluster_types: tuple[str, ...] | list[str],
    stars_lq_min: float = 1.0,
) -> pd.DataFrame:
    """Region x cluster pairs that start a regional cluster, with ``selected_by``.

    A pair is notable when it is strong, or when it has at least ``min_stars`` stars and
    LQ >= ``stars_lq_min`` (size and focus stars alone can go to a big region's big but
    unspecialised cluster), and its cluster type is one of ``cluster_types``.
    """
    by_stars = (scored["stars"] >= min_stars) & (scored["lq"] >= stars_lq_min)
    chosen = scored[
        (scored["strong"] | by_stars) & scored["cluster_type"].isin(list(cluster_types))
    ].copy()
    chosen["selected_by"] = np.select(
        [chosen["strong"] & by_stars.loc[chosen.index], chosen["strong"]],
        ["strong+stars", "strong"],
        default="stars",
    )
    return chosen


def contiguous_groups(region_ids: list[str] | np.ndarray, weights: pd.DataFrame) -> np.ndarray:
    """Component label of each region in the contiguity graph restricted to ``region_ids``.

    Parameters
    ----------
    region_ids : sequence of str
        The regions to group.
    weights : DataFrame
        focal, neighbor, weight (pairs with weight 0, libpysal isolates, are ignored).

    Returns
    -------
    ndarray of int
        Component label per region, in input order.
    """
    index = pd.Index(region_ids)
    edges = weights[(weights["weight"] > 0)]
    edges = edges[edges["focal"].isin(index) & edges["neighbor"].isin(index)]
    rows = index.get_indexer(edges["focal"])
    cols = index.get_indexer(edges["neighbor"])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(index), len(index)))
    _, labels = connected_components(graph, directed=False)
    return labels


def regional_clusters(
    notable: pd.DataFrame,
    weights: pd.DataFrame,
    industry_employment: pd.DataFrame,
    industry_clusters: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    top_industries: int = 5,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Merge notable pairs of the same cluster and year across adjacent regions.

    Parameters
    ----------
    notable : DataFrame
        :func:`notable_pairs` output (carries cluster_national e_c and national_employment E).
    weights : DataFrame
        Published spatial weights (focal, neighbor, weight).
    industry_employment : DataFrame
        region_id, industry_code, year, employment at the definitions' level.
    industry_clusters : DataFrame
        industry_code, cluster_code.
    regions : GeoDataFrame
        region_id, geometry.
    top_industries : int
        How many industries to list per regional cluster.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The regional clusters (one row each: regional_cluster_id, year, cluster_code,
        cluster_name, cluster_type, region_ids, n_regions, employment, establishments,
        region_employment, lq, max_stars, selected_by, top_industries, geometry) and their
        industry composition (regional_cluster_id, industry_code, employment).
    """
    pieces = []
    for _, pairs in notable.groupby(["year", "cluster_code"], sort=True):
        pairs = pairs.assign(component=contiguous_groups(pairs["region_id"].to_numpy(), weights))
        pieces.append(pairs)
    if not pieces:
        empty = gpd.GeoDataFrame(
            {c: [] for c in REGIONAL_COLUMNS if c != "geometry"}, geometry=[], crs=regions.crs
        )
        return empty, pd.DataFrame(columns=["regional_cluster_id", "industry_code", "employment"])
    members = pd.concat(pieces, ignore_index=True)
    keys = ["year", "cluster_code", "component"]
    grouped = (
        members.groupby(keys, sort=True)
        .agg(
            cluster_name=("cluster_name", "first"),
            cluster_type=("cluster_type", "first"),
            region_ids=("region_id", lambda r: sorted(r)),
            n_regions=("region_id", "size"),
            employment=("employment", "sum"),
            establishments=("establishments", lambda e: e.sum(min_count=1)),
            region_employment=("region_employment", "sum"),
            max_stars=("stars", "max"),
            selected_by=("selected_by", lambda s: "+".join(sorted(set("+".join(s).split("+"))))),
        )
        .reset_index()
    )
    national = members[
        ["year", "cluster_code", "cluster_national", "national_employment"]
    ].drop_duplicates()
    grouped = grouped.merge(national, on=["year", "cluster_code"], how="left")
    grouped["lq"] = locq(
        grouped["employment"],
        grouped["region_employment"],
        grouped["cluster_national"],
        grouped["national_employment"],
    )
    grouped = grouped.sort_values(
        ["year", "cluster_code", "employment"], ascending=[True, True, False]
    )
    rank = grouped.groupby(["year", "cluster_code"]).cumcount() + 1
    grouped["regional_cluster_id"] = (
        grouped["year"].astype(str)
        + "-"
        + grouped["cluster_code"].str.zfill(3)
        + "-"
        + rank.astype(str).str.zfill(2)
    )

    membership = members.merge(grouped[keys + ["regional_cluster_id"]], on=keys)[
        ["regional_cluster_id", "year", "cluster_code", "region_id"]
    ]
    detail = industry_employment.merge(
        industry_clusters[["industry_code", "cluster_code"]], on="industry_code"
    )
    composition = (
        detail.merge(membership, on=["year", "cluster_code", "region_id"])
        .groupby(["regional_cluster_id", "industry_code"], as_index=False)["employment"]
        .sum()
        .sort_values(
            ["regional_cluster_id", "employment", "industry_code"], ascending=[True, False, True]
        )
    )
    top = composition.groupby("regional_cluster_id")["industry_code"].agg(
        lambda c: list(c[:top_industries])
    )
    grouped["top_industries"] = (
        grouped["regional_cluster_id"]
        .map(top)
        .apply(lambda codes: codes if isinstance(codes, list) else [])
    )

    shapes = regions.set_index("region_id").geometry
    geometry = membership.assign(geometry=membership["region_id"].map(shapes))
    geometry = gpd.GeoDataFrame(geometry, geometry="geometry", crs=regions.crs)
    dissolved = geometry.dissolve(by="regional_cluster_id")["geometry"]
    grouped["geometry"] = grouped["regional_cluster_id"].map(dissolved)
    result = gpd.GeoDataFrame(grouped, geometry="geometry", crs=regions.crs)
    result["n_regions"] = result["n_regions"].astype("int32")
    result["max_stars"] = result["max_stars"].astype("int8")
    return result[REGIONAL_COLUMNS].reset_index(drop=True), composition.reset_index(drop=True)


REGIONAL_COLUMNS = [
    "regional_cluster_id",
    "year",
    "cluster_code",
    "cluster_name",
    "cluster_type",
    "region_ids",
    "n_regions",
    "employment",
    "establishments",
    "region_employment",
    "lq",
    "max_stars",
    "selected_by",
    "top_industries",
    "geometry",
]
