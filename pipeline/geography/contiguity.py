"""Binary contiguity between regions, as a libpysal ``Graph``.

Two regions are neighbours when their boundaries touch (queen contiguity: a shared point
is enough; rook: a shared edge is needed; Anselin 1988, *Spatial Econometrics*, ch. 3). Every
builder ends in :func:`contiguity_graph`, which turns neighbour pairs into one symmetric,
binary Graph over a given list of regions, sorted by region id, with libpysal's isolate
convention (a region without a neighbour is a self-pair of weight 0). The pairs come from

* the region polygons (:func:`polygon_contiguity`: NUTS regions, Russian subjects, any
  boundary file), by vertex matching (libpysal ``Graph.build_contiguity``, ``strict=False``);
* or, for regions made of whole counties (US metro areas, states, counties), from the Census
  county adjacency file (:func:`adjacency_graph`), whose counties are then merged into the
  regions they belong to (:func:`merged_contiguity`). Counties the file does not list take
  their neighbours from the polygons (libpysal ``Graph.build_fuzzy_contiguity``, predicate
  'intersects', no buffer).

The published ``spatial_weights.parquet`` is the Graph's adjacency table
(:func:`weights_table`: focal, neighbor, weight); :func:`graph_from_weights` and
:func:`read_graph` turn it back into a Graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from libpysal.graph import Graph

from pipeline.errors import UserError

WEIGHT_COLUMNS = ["focal", "neighbor", "weight"]
PAIR_COLUMNS = ["county_fips", "neighbor_fips"]


def _sorted_ids(region_ids: Iterable[str]) -> pd.Index:
    return pd.Index(sorted({str(region) for region in region_ids}), dtype=str)


def contiguity_graph(
    focal: Iterable[str], neighbor: Iterable[str], region_ids: Iterable[str]
) -> Graph:
    """Symmetric binary contiguity Graph of ``region_ids`` from neighbour pairs.

    Parameters
    ----------
    focal, neighbor : sequences of str
        Pairs of neighbouring regions, in either or both directions. Self-pairs, pairs with
        a missing id and pairs with a region outside ``region_ids`` are ignored.
    region_ids : iterable of str
        Every region of the Graph.

    Returns
    -------
    libpysal.graph.Graph
        Nodes ``region_ids`` in sorted order; w_ij = w_ji = 1 when (i, j) or (j, i) is a
        pair, and a region with no neighbour is a self-pair with w_ii = 0 (libpysal's
        isolate convention). Its adjacency is sorted by focal, then neighbor.

    Examples
    --------
    >>> graph = contiguity_graph(["A", "B"], ["B", "C"], ["C", "B", "A", "D"])
    >>> graph.adjacency.reset_index().values.tolist()
    [['A', 'B', 1.0], ['B', 'A', 1.0], ['B', 'C', 1.0], ['C', 'B', 1.0], ['D', 'D', 0.0]]
    """
    wanted = _sorted_ids(region_ids)
    pairs = pd.DataFrame({"focal": list(focal), "neighbor": list(neighbor)}, dtype=object)
    pairs = pairs.dropna().astype(str)
    pairs = pairs[(pairs["focal"] != pairs["neighbor"])]
    pairs = pairs[pairs["focal"].isin(wanted) & pairs["neighbor"].isin(wanted)]
    both_ways = pd.concat(
        [pairs, pairs.rename(columns={"focal": "neighbor", "neighbor": "focal"})], ignore_index=True
    ).drop_duplicates()
    both_ways["weight"] = 1.0
    isolates = wanted.difference(pd.Index(both_ways["focal"].unique()))
    self_pairs = pd.DataFrame(
        {"focal": isolates, "neighbor": isolates, "weight": np.zeros(len(isolates))}
    )
    table = pd.concat([both_ways, self_pairs], ignore_index=True).sort_values(
        ["focal", "neighbor"], ignore_index=True
    )
    # libpysal rejects pandas' str arrays ("cannot contain missing values"): pass objects.
    return Graph.from_arrays(
        table["focal"].to_numpy(dtype=object),
        table["neighbor"].to_numpy(dtype=object),
        table["weight"].to_numpy(dtype="float64"),
    )


def _linked(graph: Graph) -> pd.DataFrame:
    """The Graph's pairs with a positive weight: focal, neighbor."""
    adjacency = graph.adjacency.reset_index()
    return adjacency.loc[adjacency["weight"] > 0, ["focal", "neighbor"]]


def polygon_contiguity(
    regions: gpd.GeoDataFrame, id_column: str = "region_id", rook: bool = False
) -> Graph:
    """Binary contiguity between region polygons.

    Parameters
    ----------
    regions : GeoDataFrame
        One row per region: ``id_column`` and a (valid) polygonal geometry. Regions with a
        null or empty geometry are left out (they cannot be placed).
    id_column : str
        Column holding the region code.
    rook : bool
        False (default): queen contiguity, a shared vertex is enough; True: rook, a
        shared edge is needed.

    Returns
    -------
    libpysal.graph.Graph
        :func:`contiguity_graph` of the placed regions.

    Notes
    -----
    Vertex matching (libpysal ``strict=False``) assumes a topologically clean coverage, as
    GISCO NUTS and the GIS-Lab OSM subjects are. On the OSM layer it finds
    Leningrad-Novgorod, which the strict geometric predicate misses after ring repair.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> squares = gpd.GeoDataFrame(
    ...     {"region_id": ["A", "B", "C"]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)],
    ...     crs="EPSG:4326",
    ... )
    >>> polygon_contiguity(squares).adjacency.reset_index().values.tolist()
    [['A', 'B', 1.0], ['B', 'A', 1.0], ['C', 'C', 0.0]]
    """
    placed = regions[regions.geometry.notna() & ~regions.geometry.is_empty]
    if placed[id_column].duplicated().any():
        repeated = placed.loc[placed[id_column].duplicated(), id_column].iloc[0]
        raise UserError(f"region boundaries: region '{repeated}' has more than one row")
    ids = placed[id_column].astype(str).to_numpy(dtype=object)
    shapes = gpd.GeoSeries(placed.geometry.to_numpy(), index=pd.Index(ids), crs=placed.crs)
    touching = _linked(Graph.build_contiguity(shapes, rook=rook, strict=False))
    return contiguity_graph(touching["focal"], touching["neighbor"], ids)


def adjacency_graph(
    adjacency: pd.DataFrame,
    counties: gpd.GeoDataFrame | None = None,
    id_column: str = "county_fips",
) -> Graph:
    """County contiguity from the Census county adjacency file, completed from polygons.

    Parameters
    ----------
    adjacency : DataFrame
        county_fips, neighbor_fips (5-digit strings; self-pairs are ignored): counties that
        share a boundary or a single point.
    counties : GeoDataFrame, optional
        County polygons (``id_column``, geometry). A county here that the file does not
        list (Connecticut's old counties in the 2023 file) takes as neighbours the counties
        its polygon intersects (libpysal ``build_fuzzy_contiguity``, no buffer).
    id_column : str
        County code column of ``counties``.

    Returns
    -------
    libpysal.graph.Graph
        :func:`contiguity_graph` over every county listed in the file or in ``counties``.
    """
    missing = [column for column in PAIR_COLUMNS if column not in adjacency.columns]
    if missing:
        raise UserError(
            f"county adjacency: missing column(s) {', '.join(missing)}; "
            "use the Census county adjacency file"
        )
    pairs = adjacency[PAIR_COLUMNS].astype(str)
    focal, neighbor = [pairs["county_fips"]], [pairs["neighbor_fips"]]
    ids = set(pairs["county_fips"]) | set(pairs["neighbor_fips"])
    if counties is not None and len(counties):
        codes = counties[id_column].astype(str)
        ids |= set(codes)
        unlisted = ~codes.isin(pairs["county_fips"]).to_numpy()
        if unlisted.any():
            shapes = gpd.GeoSeries(
                counties.geometry.to_numpy(), index=pd.Index(codes.to_numpy(dtype=object))
            )
            touching = _linked(Graph.build_fuzzy_contiguity(shapes, predicate="intersects"))
            near_unlisted = touching["focal"].isin(set(codes[unlisted]))
            focal.append(touching.loc[near_unlisted, "focal"])
            neighbor.append(touching.loc[near_unlisted, "neighbor"])
    return contiguity_graph(pd.concat(focal), pd.concat(neighbor), ids)


def merged_contiguity(
    graph: Graph,
    membership: pd.DataFrame,
    region_ids: Iterable[str],
    member_column: str = "county_fips",
) -> Graph:
    """Contiguity between regions made of whole members: neighbours when members touch.

    Parameters
    ----------
    graph : libpysal.graph.Graph
        Contiguity between the members (counties, :func:`adjacency_graph`).
    membership : DataFrame
        ``member_column`` and region_id: the region each member belongs to (members without
        one are ignored).
    region_ids : iterable of str
        Every region of the result; a region with no neighbour among them is an isolate.

    Returns
    -------
    libpysal.graph.Graph
        :func:`contiguity_graph`: regions I and J are neighbours when a member of I and a
        member of J are.
    """
    lookup = membership.set_index(membership[member_column].astype(str))["region_id"]
    lookup = lookup[~lookup.index.duplicated()]
    touching = _linked(graph)
    return contiguity_graph(
        touching["focal"].map(lookup), touching["neighbor"].map(lookup), region_ids
    )


def weights_table(graph: Graph) -> pd.DataFrame:
    """The Graph's adjacency as the published table: focal, neighbor (str), weight (float64).

    Sorted by focal, then neighbor; isolates are self-pairs of weight 0.
    """
    adjacency = graph.adjacency.reset_index()
    table = pd.DataFrame(
        {
            "focal": adjacency["focal"].astype(str),
            "neighbor": adjacency["neighbor"].astype(str),
            "weight": adjacency["weight"].astype("float64"),
        }
    )
    return table.sort_values(["focal", "neighbor"], ignore_index=True)


def isolates(weights: pd.DataFrame) -> list[str]:
    """Regions of a weights table whose only entry is the zero-weight self-pair (no neighbour)."""
    linked = set(weights.loc[weights["weight"] > 0, "focal"])
    return sorted(set(weights["focal"]) - linked)


def empty_weights() -> pd.DataFrame:
    """The weights table of a dataset without boundaries (no rows)."""
    return pd.DataFrame(
        {
            "focal": pd.Series([], dtype="str"),
            "neighbor": pd.Series([], dtype="str"),
            "weight": pd.Series([], dtype="float64"),
        }
    )


def graph_from_weights(weights: pd.DataFrame, region_ids: Iterable[str] | None = None) -> Graph:
    """The binary contiguity Graph of a published weights table.

    Parameters
    ----------
    weights : DataFrame
        focal, neighbor, weight (:func:`weights_table`); rows with weight 0 (isolates) carry
        no link.
    region_ids : iterable of str, optional
        The Graph's regions (default: every focal region). Links to other regions are
        dropped, and a requested region absent from ``weights`` (no boundary) is an isolate.

    Returns
    -------
    libpysal.graph.Graph
        :func:`contiguity_graph` (sorted ids, binary, isolates as zero self-pairs).

    Raises
    ------
    UserError
        A missing column, or a weight that is missing or negative.
    """
    absent = [column for column in WEIGHT_COLUMNS if column not in weights.columns]
    if absent:
        raise UserError(
            f"spatial weights: missing column(s) {', '.join(absent)}; "
            "expected focal, neighbor, weight"
        )
    weight = pd.to_numeric(weights["weight"], errors="coerce")
    invalid = weight.isna() | (weight < 0)
    if invalid.any():
        row = int(np.flatnonzero(invalid.to_numpy())[0])
        raise UserError(
            f"spatial weights: column 'weight' is missing or negative at row {row}; "
            "weights must be numbers >= 0"
        )
    linked = weight.to_numpy() > 0
    ids = weights["focal"].astype(str) if region_ids is None else region_ids
    return contiguity_graph(
        weights["focal"].astype(str)[linked], weights["neighbor"].astype(str)[linked], ids
    )


def read_graph(path: str | Path, region_ids: Iterable[str] | None = None) -> Graph:
    """:func:`graph_from_weights` of a ``spatial_weights.parquet`` file."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: not found; run 'regclust ingest' first")
    return graph_from_weights(pd.read_parquet(path, columns=WEIGHT_COLUMNS), region_ids)
