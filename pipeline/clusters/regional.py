"""Regional clusters: notable region x cluster pairs merged across adjacent regions.

A regional cluster is a set of contiguous regions that are all notable for the same
benchmark cluster in the same year (Porter 2003; Delgado, Porter & Stern 2014). A pair is
notable when it is *strong* (US Cluster Mapping rule) or, because percentile rules favour
small regions whose LQs are volatile, when it earns at least ``min_stars`` European
Cluster Observatory stars: a large metro with a big, clearly specialised cluster
(size + LQ >= 2) is caught even where its LQ sits below the 75th percentile of small
places. Notable pairs of one cluster in adjacent regions form one regional cluster
(connected components of the contiguity graph restricted to those regions).

Contiguity alone chains: on CBP 2019 metros, Business Services strong from Richmond to
Bridgeport became one 9-metro "cluster" of 1.7 million jobs. So adjacent notable regions
merge only while the result stays one labour market (``merge_rule`` in params.yaml
``cluster.regional``):

* ``csa``: only regions of the same combined statistical area merge. OMB combines
  adjacent CBSAs into a CSA when their employment interchange (commuting) reaches 15
  (OMB 2021 standards, 86 FR 37770), so two adjacent CBSAs outside one CSA are separate
  labour markets. A region without a CSA merges with nobody by contiguity.
* ``distance``: where no such delineation exists (NUTS-2, Russian subjects, counties), a
  group grows from its largest member (the anchor) through adjacent notable regions whose
  centroid lies within ``max_distance_km`` of the anchor's. The default, 120 km, is the
  90th percentile of the distance from a US CSA's largest CBSA to its farthest member
  CBSA (2020 delineation; median 62 km).
* ``contiguity``: the plain connected components (the former behaviour).
* ``auto``: ``csa`` when the regions carry a ``csa_code``, else ``distance``.

A region with no neighbour at all (an island, or a region cut off from the rest of the
contiguity graph) may join the nearest notable region of the same cluster and year whose
centroid lies within ``isolate_distance_km`` (never across two different CSAs).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pipeline.clusters.composition import cluster_composition
from pipeline.errors import UserError
from pipeline.measures.specialization import locq


def notable_pairs(
    scored: pd.DataFrame,
    min_stars: int,
    cluster_types: tuple[str, ...] | list[str],
    stars_lq_min: float,
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


MERGE_RULES = ("auto", "contiguity", "csa", "distance")

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius R1 (IUGG; Moritz 2000)

EQUAL_AREA_CRS = "EPSG:6933"  # centroids are taken on an equal-area projection


def haversine_km(
    lon1: np.ndarray | float,
    lat1: np.ndarray | float,
    lon2: np.ndarray | float,
    lat2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in km between points given in degrees.

    Notes
    -----
    The haversine formula (Sinnott 1984, *Sky and Telescope* 68(2)):
    ``d = 2 R arcsin sqrt(sin^2(dphi / 2) + cos phi1 cos phi2 sin^2(dlambda / 2))`` with
    ``R`` = 6371.0088 km, the mean Earth radius.

    Examples
    --------
    >>> round(float(haversine_km(0.0, 0.0, 1.0, 0.0)), 3)
    111.195
    """
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)
    )
    half = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(half))


def region_points(regions: gpd.GeoDataFrame) -> pd.DataFrame:
    """Centroid of each region as longitude / latitude (NaN for a region without boundary).

    The centroid is computed on an equal-area projection (EPSG:6933), then returned in
    EPSG:4326, so it is the area centroid rather than a centroid of degrees.
    """
    frame = regions[["region_id", "geometry"]].copy()
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=regions.crs or "EPSG:4326")
    known = frame.geometry.notna() & ~frame.geometry.is_empty
    lon = np.full(len(frame), np.nan)
    lat = np.full(len(frame), np.nan)
    if known.any():
        centroids = frame.loc[known].to_crs(EQUAL_AREA_CRS).centroid.to_crs("EPSG:4326")
        lon[known.to_numpy()] = centroids.x.to_numpy()
        lat[known.to_numpy()] = centroids.y.to_numpy()
    return pd.DataFrame(
        {"region_id": frame["region_id"].astype(str).to_numpy(), "lon": lon, "lat": lat}
    )


def resolve_merge_rule(rule: str, regions: pd.DataFrame) -> str:
    """The merge rule to apply: ``auto`` becomes ``csa`` when ``regions`` carry CSA codes."""
    if rule not in MERGE_RULES:
        raise UserError(
            f"params.yaml: cluster.regional.merge_rule is '{rule}'; use one of {', '.join(MERGE_RULES)}"
        )
    if rule != "auto":
        return rule
    has_csa = "csa_code" in regions.columns and regions["csa_code"].notna().any()
    return "csa" if has_csa else "distance"


def merge_groups(
    region_ids: list[str] | np.ndarray,
    employment: np.ndarray | pd.Series,
    weights: pd.DataFrame,
    *,
    rule: str = "contiguity",
    csa_codes: pd.Series | None = None,
    points: pd.DataFrame | None = None,
    max_distance_km: float = np.inf,
    isolate_distance_km: float = 0.0,
    isolates: set[str] | frozenset[str] = frozenset(),
) -> np.ndarray:
    """Group label of each notable region of one cluster and year.

    Parameters
    ----------
    region_ids : sequence of str
        The notable regions of one cluster and year.
    employment : array of float
        Their cluster employment (the largest region anchors a ``distance`` group).
    weights : DataFrame
        focal, neighbor, weight (the published contiguity).
    rule : {'contiguity', 'csa', 'distance'}
        See the module docstring (resolve ``auto`` first with :func:`resolve_merge_rule`).
    csa_codes : Series, optional
        CSA code by region id (null where none); needed for ``csa``.
    points : DataFrame, optional
        region_id, lon, lat (:func:`region_points`); needed for ``distance`` and isolates.
    max_distance_km : float
        ``distance`` rule: farthest a member's centroid may lie from its anchor's.
    isolate_distance_km : float
        A region in ``isolates`` joins the nearest notable region within this distance.
    isolates : set of str
        Regions with no neighbour in the whole contiguity graph.

    Returns
    -------
    ndarray of int
        Group label per region, in input order (0, 1, ... in order of first appearance).

    Notes
    -----
    ``distance``: regions are taken in decreasing employment (ties by id); each region
    not yet grouped anchors a new group, which grows by breadth-first search over
    adjacent notable regions not yet grouped whose centroid lies within
    ``max_distance_km`` (:func:`haversine_km`) of the anchor's centroid. Every member is
    thus connected to the anchor inside the group and within that radius of it.
    """
    index = pd.Index(np.asarray(region_ids, dtype=object).astype(str))
    size = len(index)
    edges = weights[weights["weight"] > 0]
    edges = edges[edges["focal"].isin(index) & edges["neighbor"].isin(index)]
    focal = edges["focal"].to_numpy(dtype=object)
    neighbor = edges["neighbor"].to_numpy(dtype=object)
    if rule == "csa":
        if csa_codes is None:
            raise ValueError("the csa rule needs csa_codes")
        codes = csa_codes.reindex(index)
        code_focal = codes.reindex(focal).to_numpy(dtype=object)
        code_neighbor = codes.reindex(neighbor).to_numpy(dtype=object)
        same = pd.notna(code_focal) & (code_focal == code_neighbor)
        focal, neighbor = focal[same], neighbor[same]
    rows, cols = index.get_indexer(focal), index.get_indexer(neighbor)
    lon = lat = np.full(size, np.nan)
    if points is not None:
        located = points.set_index("region_id").reindex(index)
        lon, lat = located["lon"].to_numpy(dtype=float), located["lat"].to_numpy(dtype=float)

    if rule in ("contiguity", "csa"):
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
        _, labels = connected_components(graph, directed=False)
    elif rule == "distance":
        if points is None:
            raise ValueError("the distance rule needs points")
        adjacency: list[list[int]] = [[] for _ in range(size)]
        for row, col in zip(rows, cols, strict=True):
            adjacency[row].append(col)
            adjacency[col].append(row)
        order = np.lexsort((index.to_numpy(dtype=str), -np.asarray(employment, dtype=float)))
        labels = np.full(size, -1)
        for group, anchor in enumerate(order):
            if labels[anchor] >= 0:
                continue
            labels[anchor] = group
            if not adjacency[anchor]:  # nothing to reach: the distances are not needed
                continue
            reach = haversine_km(lon[anchor], lat[anchor], lon, lat) <= max_distance_km
            frontier = [anchor]
            while frontier:
                node = frontier.pop(0)
                for other in sorted(adjacency[node]):
                    if labels[other] < 0 and reach[other]:
                        labels[other] = group
                        frontier.append(other)
    else:
        raise ValueError(f"unknown merge rule {rule!r}; resolve 'auto' first")

    lonely = [i for i, region in enumerate(index) if region in isolates]
    if lonely and isolate_distance_km > 0 and size > 1:
        codes = csa_codes.reindex(index).to_numpy(dtype=object) if csa_codes is not None else None
        by_size = sorted(lonely, key=lambda i: (-float(np.asarray(employment)[i]), index[i]))
        for i in by_size:
            if np.isnan(lon[i]) or np.isnan(lat[i]):  # no centroid: no distance is known
                continue
            distance = haversine_km(lon[i], lat[i], lon, lat)
            distance[i] = np.inf
            if codes is not None and pd.notna(codes[i]):
                distance[pd.notna(codes) & (codes != codes[i])] = np.inf
            nearest = int(np.nanargmin(np.where(np.isnan(distance), np.inf, distance)))
            if distance[nearest] <= isolate_distance_km:
                labels[labels == labels[i]] = labels[nearest]
    return pd.factorize(labels)[0]


def extent_km(points: pd.DataFrame) -> float:
    """Largest centroid distance between two members (0 for one region, NaN if unknown)."""
    located = points.dropna(subset=["lon", "lat"])
    return _extent(located["lon"].to_numpy(dtype=float), located["lat"].to_numpy(dtype=float))


def _extent(lon: np.ndarray, lat: np.ndarray) -> float:
    """:func:`extent_km` of located points (no NaN): the max of the pairwise distances."""
    if len(lon) == 0:
        return float("nan")
    if len(lon) == 1:  # haversine of a point with itself is exactly 0
        return 0.0
    return float(haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :]).max())


def extents_km(group: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> pd.Series:
    """:func:`extent_km` of every group at once: members' group labels and centroids.

    Equal to ``{g: extent_km(points of g)}``; one pass sorts the located members by group,
    and only groups of two or more located members compute pairwise distances.

    Returns
    -------
    Series
        Extent in km by group label (sorted labels), NaN where no member is located.
    """
    labels, uniques = pd.factorize(np.asarray(group), sort=True)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    located = ~(np.isnan(lon) | np.isnan(lat))
    labels, lon, lat = labels[located], lon[located], lat[located]
    order = np.argsort(labels, kind="stable")
    labels, lon, lat = labels[order], lon[order], lat[order]
    counts = np.bincount(labels, minlength=len(uniques))
    result = np.where(counts > 0, 0.0, np.nan)
    ends = np.cumsum(counts)
    for label in np.flatnonzero(counts > 1):
        start, end = ends[label] - counts[label], ends[label]
        result[label] = _extent(lon[start:end], lat[start:end])
    return pd.Series(result, index=pd.Index(uniques))


def spatial_significance(regional: pd.DataFrame, local: pd.DataFrame) -> pd.DataFrame:
    """Local Moran and Gi* summary of each regional cluster over its member regions.

    Parameters
    ----------
    regional : DataFrame
        regional_cluster_id, year, cluster_code, region_ids.
    local : DataFrame
        ``local_spatial.parquet``: year, cluster_code, region_id, quadrant, gi_star_z.

    Returns
    -------
    DataFrame
        regional_cluster_id, ``hh_share`` (share of the members with a local Moran result
        that sit in a significant High-High quadrant: a high LQ among high-LQ neighbours,
        Anselin 1995) and ``mean_gi_star_z`` (mean Getis-Ord Gi* z of the members, Getis &
        Ord 1992; Ord & Getis 1995). NaN where no member was tested.
    """
    members = regional[["regional_cluster_id", "year", "cluster_code", "region_ids"]].explode(
        "region_ids"
    )
    members = members.rename(columns={"region_ids": "region_id"}).dropna(subset=["region_id"])
    members["year"] = members["year"].astype("int64")
    tested = local[["year", "cluster_code", "region_id", "quadrant", "gi_star_z"]].copy()
    tested["year"] = tested["year"].astype("int64")
    joined = members.merge(tested, on=["year", "cluster_code", "region_id"], how="left")
    joined["hh"] = (joined["quadrant"] == "HH").astype(float).where(joined["quadrant"].notna())
    summary = joined.groupby("regional_cluster_id", sort=False).agg(
        hh_share=("hh", "mean"), mean_gi_star_z=("gi_star_z", "mean")
    )
    result = summary.reindex(regional["regional_cluster_id"]).reset_index()
    return result.astype({"hh_share": "float64", "mean_gi_star_z": "float64"})


def regional_clusters(
    notable: pd.DataFrame,
    weights: pd.DataFrame,
    industry_employment: pd.DataFrame,
    industry_clusters: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    top_industries: int,
    *,
    merge_rule: str,
    max_distance_km: float,
    isolate_distance_km: float,
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
    merge_rule : {'contiguity', 'csa', 'distance', 'auto'}
        Which adjacent notable regions merge (module docstring); ``csa`` reads the
        regions' ``csa_code`` column.
    max_distance_km, isolate_distance_km : float
        Bounds of the ``distance`` rule and of isolates joining a group (module docstring).

    Returns
    -------
    (GeoDataFrame, DataFrame)
        The regional clusters (one row each: regional_cluster_id, year, cluster_code,
        cluster_name, cluster_type, region_ids, n_regions, employment, establishments,
        region_employment, lq, max_stars, selected_by, top_industries, extent_km,
        geometry) and their industry composition (regional_cluster_id, industry_code,
        employment).
    """
    rule = resolve_merge_rule(merge_rule, regions)
    csa_codes = (
        regions.set_index(regions["region_id"].astype(str))["csa_code"]
        if "csa_code" in regions.columns
        else None
    )
    if rule == "csa" and csa_codes is None:
        raise UserError(
            "regions.parquet: no csa_code column for cluster.regional.merge_rule csa; "
            "use merge_rule distance or auto"
        )
    points = region_points(regions)
    connected = set(weights.loc[weights["weight"] > 0, "focal"].astype(str))
    isolates = set(regions["region_id"].astype(str)) - connected
    # merge_groups runs once per cluster and year: its lookups go by plain Python strings
    # (object columns), not Arrow strings converted again on every call
    edges = weights.loc[weights["weight"] > 0, ["focal", "neighbor", "weight"]].astype(
        {"focal": object, "neighbor": object}
    )
    points = points.astype({"region_id": object})
    pieces = []
    for _, pairs in notable.groupby(["year", "cluster_code"], sort=True):
        if len(pairs) == 1:  # one region is one group, whatever the rule
            pieces.append(pairs.assign(component=0))
            continue
        component = merge_groups(
            pairs["region_id"].to_numpy(),
            pairs["employment"].fillna(0.0).to_numpy(),
            edges,
            rule=rule,
            csa_codes=csa_codes,
            points=points,
            max_distance_km=max_distance_km,
            isolate_distance_km=isolate_distance_km,
            isolates=isolates,
        )
        pieces.append(pairs.assign(component=component))
    if not pieces:
        empty = gpd.GeoDataFrame(
            {c: [] for c in REGIONAL_COLUMNS if c != "geometry"}, geometry=[], crs=regions.crs
        )
        return empty, pd.DataFrame(columns=["regional_cluster_id", "industry_code", "employment"])
    members = pd.concat(pieces, ignore_index=True)
    keys = ["year", "cluster_code", "component"]
    groups = members.groupby(keys, sort=True)
    grouped = groups.agg(
        n_regions=("region_id", "size"),
        employment=("employment", "sum"),
        region_employment=("region_employment", "sum"),
        max_stars=("stars", "max"),
    )
    for position, column in enumerate(["cluster_name", "cluster_type"]):
        grouped.insert(position, column, _first(members, keys, column, grouped.index))
    grouped.insert(2, "region_ids", _sorted_lists(members, keys, "region_id", grouped.index))
    grouped.insert(5, "establishments", _sums(members, keys, "establishments", grouped.index))
    grouped["selected_by"] = _selected_by(members, keys)
    grouped = grouped.reset_index()
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
    composition = cluster_composition(industry_employment, industry_clusters, membership)
    top = _leading_lists(composition, "regional_cluster_id", "industry_code", top_industries)
    grouped["top_industries"] = (
        grouped["regional_cluster_id"]
        .map(top)
        .apply(lambda codes: codes if isinstance(codes, list) else [])
    )
    located = membership[["regional_cluster_id", "region_id"]].merge(
        points, on="region_id", how="left"
    )
    extents = extents_km(
        located["regional_cluster_id"].to_numpy(),
        located["lon"].to_numpy(),
        located["lat"].to_numpy(),
    )
    grouped["extent_km"] = grouped["regional_cluster_id"].map(extents).astype("float64")

    shapes = regions.set_index("region_id").geometry
    geometry = membership.assign(geometry=membership["region_id"].map(shapes))
    # only members with a boundary are dissolved: a cluster with none has no geometry (as
    # the empty collection their union would be), and a union skips missing shapes anyway
    geometry = geometry[geometry["geometry"].notna()]
    geometry = gpd.GeoDataFrame(geometry, geometry="geometry", crs=regions.crs)
    dissolved = geometry.dissolve(by="regional_cluster_id")["geometry"]
    dissolved = dissolved.where(~dissolved.is_empty, None)
    grouped["geometry"] = grouped["regional_cluster_id"].map(dissolved)
    result = gpd.GeoDataFrame(grouped, geometry="geometry", crs=regions.crs)
    result["n_regions"] = result["n_regions"].astype("int32")
    result["max_stars"] = result["max_stars"].astype("int8")
    return result[REGIONAL_COLUMNS].reset_index(drop=True), composition


def _sorted_lists(frame: pd.DataFrame, keys: list[str], column: str, index: pd.Index) -> pd.Series:
    """Each group's ``column`` values as a sorted list, aligned with ``index`` (the groups)."""
    ordered = frame.sort_values([*keys, column], kind="stable")
    values = ordered[column].to_numpy(dtype=object)
    starts = np.flatnonzero(
        np.r_[True, (ordered[keys].to_numpy()[1:] != ordered[keys].to_numpy()[:-1]).any(axis=1)]
    )
    bounds = np.r_[starts, len(values)]
    lists = [values[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    found = pd.MultiIndex.from_frame(ordered[keys].iloc[starts]) if len(keys) > 1 else None
    return pd.Series(lists, index=found if found is not None else index).reindex(index)


def _sums(frame: pd.DataFrame, keys: list[str], column: str, index: pd.Index) -> pd.Series:
    """Each group's ``Series.sum(min_count=1)`` of ``column`` (NaN skipped; NaN if none known).

    Each group's values are summed by numpy in row order, as ``Series.sum`` does (the
    groupby's own sum accumulates differently and can differ in the last bit).
    """
    ordered = frame.sort_values(keys, kind="stable")
    values = ordered[column].to_numpy(dtype=float)
    known = ~np.isnan(values)
    filled = np.where(known, values, 0.0)
    key_values = ordered[keys].to_numpy()
    starts = np.flatnonzero(np.r_[True, (key_values[1:] != key_values[:-1]).any(axis=1)])
    bounds = np.r_[starts, len(values)]
    sums = [
        filled[a:b].sum() if known[a:b].any() else np.nan
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    found = pd.MultiIndex.from_frame(ordered[keys].iloc[starts])
    return pd.Series(sums, index=found, dtype=float).reindex(index)


def _first(frame: pd.DataFrame, keys: list[str], column: str, index: pd.Index) -> pd.Series:
    """Each group's first non-null ``column`` value (``groupby(keys).first()``), on ``index``."""
    known = frame.dropna(subset=[column]).drop_duplicates(keys)
    return known.set_index(keys)[column].reindex(index)


def _leading_lists(frame: pd.DataFrame, key: str, column: str, count: int) -> pd.Series:
    """The first ``count`` ``column`` values of each ``key`` group, in row order, as lists."""
    leading = frame[frame.groupby(key, sort=False).cumcount() < count]
    codes, uniques = pd.factorize(leading[key], sort=True)
    order = np.argsort(codes, kind="stable")
    values = leading[column].to_numpy(dtype=object)[order]
    bounds = np.r_[0, np.cumsum(np.bincount(codes, minlength=len(uniques)))]
    lists = [values[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return pd.Series(lists, index=pd.Index(uniques, name=key), dtype=object)


def _selected_by(members: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The rules that selected a group's members: sorted, '+'-joined (e.g. 'stars+strong')."""
    labels = members["selected_by"].astype(str)
    values = labels.unique()
    rules = sorted({rule for value in values for rule in value.split("+")})
    flags = pd.DataFrame(
        {rule: labels.isin([v for v in values if rule in v.split("+")]) for rule in rules},
        index=members.index,
    )
    present = flags.groupby([members[k] for k in keys], sort=True).any()
    joined = pd.Series("", index=present.index, dtype=object)
    for rule in rules:  # in sorted order
        extended = joined.where(joined == "", joined + "+") + rule
        joined = joined.where(~present[rule], extended)
    return joined


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
    "extent_km",
    "geometry",
]
