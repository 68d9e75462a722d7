"""Region polygons -> valid geometries and binary contiguity weights.

For datasets whose regions come as one polygon layer (NUTS regions, Russian federal
subjects) rather than as unions of counties (see :mod:`pipeline.sources.us_geography`).
Two regions are neighbours under queen contiguity when their boundaries share at least
one vertex (Anselin 1988, *Spatial Econometrics*, ch. 3; libpysal
``Graph.build_contiguity(..., rook=False)``, Rey & Anselin 2007). A region with no
neighbour (an island such as Sakhalin, an exclave such as Kaliningrad) is kept as
libpysal's isolate: a self-pair with weight 0.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.graph import Graph

from pipeline.errors import UserError

WGS84 = "EPSG:4326"


def valid_polygons(regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``regions`` in EPSG:4326 with every geometry made valid and kept polygonal.

    Self-intersecting rings (ten of the 83 OSM Russian subjects have one) are repaired
    with GEOS ``make_valid`` (method 'structure', collapsed parts dropped), which keeps
    Polygon / MultiPolygon types, so contiguity builders accept them.
    """
    fixed = regions.to_crs(WGS84) if regions.crs is not None else regions.set_crs(WGS84)
    fixed = fixed.copy()
    present = fixed.geometry.notna()
    fixed.loc[present, fixed.geometry.name] = shapely.make_valid(
        fixed.geometry[present].to_numpy(), method="structure", keep_collapsed=False
    )
    kinds = set(fixed.geometry[present].geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise UserError(
            f"region boundaries: geometry types {sorted(kinds)} after repair; "
            "the boundary file must hold polygons only"
        )
    return fixed


def polygon_contiguity(
    regions: gpd.GeoDataFrame, id_column: str = "region_id", rook: bool = False
) -> pd.DataFrame:
    """Binary contiguity weights between region polygons.

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
    DataFrame
        focal, neighbor (str), weight (1.0 for neighbours; 0.0 for the self-pair of an
        isolate), symmetric and sorted by focal, neighbor.

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
    ...     crs=WGS84,
    ... )
    >>> polygon_contiguity(squares).values.tolist()
    [['A', 'B', 1.0], ['B', 'A', 1.0], ['C', 'C', 0.0]]
    """
    placed = regions[regions.geometry.notna() & ~regions.geometry.is_empty]
    if placed[id_column].duplicated().any():
        repeated = placed.loc[placed[id_column].duplicated(), id_column].iloc[0]
        raise UserError(f"region boundaries: region '{repeated}' has more than one row")
    graph = Graph.build_contiguity(placed.set_index(id_column).geometry, rook=rook)
    adjacency = graph.adjacency.reset_index()
    weights = pd.DataFrame(
        {
            "focal": adjacency["focal"].astype(str).to_numpy(),
            "neighbor": adjacency["neighbor"].astype(str).to_numpy(),
            "weight": np.where(adjacency["weight"].to_numpy() > 0, 1.0, 0.0),
        }
    )
    weights["focal"] = weights["focal"].astype(str)
    weights["neighbor"] = weights["neighbor"].astype(str)
    return weights.sort_values(["focal", "neighbor"], ignore_index=True)


def isolates(weights: pd.DataFrame) -> list[str]:
    """Regions whose only entry is the zero-weight self-pair (no neighbour)."""
    linked = set(weights.loc[weights["weight"] > 0, "focal"])
    return sorted(set(weights["focal"]) - linked)
