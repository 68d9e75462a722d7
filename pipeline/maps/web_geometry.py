"""Geometry for the web: boundaries cut at the antimeridian, simplified and rounded, as GeoJSON
features.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def wrap_antimeridian(frame: gpd.GeoDataFrame, wrap_at: float = 150.0) -> gpd.GeoDataFrame:
    """Put regions cut at the 180th meridian back in one piece on the data's side of it.

    Sources store a region that crosses 180 degrees (Chukotka, the Aleutians) as parts on
    both sides, one at longitudes near -180 and one near +180. Data lying mostly in the
    eastern hemisphere (median representative longitude > 0) get longitudes below ``-wrap_at``
    shifted by +360; data in the western hemisphere get longitudes above ``wrap_at`` shifted
    by -360. The shifted parts are dissolved with the rest of their region, so a map draws
    the region whole at the edge instead of across the whole world.

    Parameters
    ----------
    frame : GeoDataFrame in longitude/latitude (EPSG:4326).
    wrap_at : longitude (degrees) beyond which coordinates move to the other side.

    Returns
    -------
    GeoDataFrame with longitudes in [-180 - (180 - wrap_at), 180 + (180 - wrap_at)].
    """
    geometry = frame.geometry
    shapes = geometry.to_numpy()
    valid = pd.Series(~(shapely.is_missing(shapes) | shapely.is_empty(shapes)), index=frame.index)
    if not valid.any():
        return frame
    east = float(np.median(geometry[valid].representative_point().x)) > 0
    bounds = geometry.bounds
    crossing = valid & ((bounds["minx"] < -wrap_at) if east else (bounds["maxx"] > wrap_at))
    if not crossing.any():
        return frame

    def shift(coords: np.ndarray) -> np.ndarray:
        lon = coords[:, 0]
        moved = (
            np.where(lon < -wrap_at, lon + 360, lon)
            if east
            else np.where(lon > wrap_at, lon - 360, lon)
        )
        return np.column_stack([moved, coords[:, 1]])

    shifted = shapely.transform(geometry[crossing].to_numpy(), shift)
    # Snap the two sides of the cut together before dissolving (sources cut at 179.99999).
    shifted = shapely.set_precision(shifted, 1e-5)
    repaired = [shapely.union_all(shapely.get_parts(part)) for part in shifted]
    result = frame.copy()
    result.loc[crossing, result.geometry.name] = repaired
    return result


def simplify_for_web(frame: gpd.GeoDataFrame, tolerance: float, decimals: int) -> gpd.GeoDataFrame:
    """Every row, its geometry wrapped at 180 degrees, simplified and rounded for a page.

    Simplification is Douglas-Peucker with topology preserved (shapely ``simplify``,
    ``tolerance`` in degrees); coordinates are then snapped to a grid of ``10**-decimals``
    degrees (3 decimals = about 100 m). Missing and empty geometries stay as they are, so the
    result can replace ``frame`` anywhere; simplifying it again at the same tolerance is cheap.
    """
    frame = frame.to_crs(4326) if frame.crs is not None and not frame.crs.equals(4326) else frame
    shapes = frame.geometry.to_numpy()
    drawable = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    if not drawable.any():
        return frame
    wrapped = wrap_antimeridian(frame[drawable])
    simplified = wrapped.geometry.simplify(tolerance, preserve_topology=True)
    rounded = shapely.set_precision(simplified.to_numpy(), 10.0**-decimals)
    geometry = shapes.copy()
    geometry[drawable] = rounded
    return frame.set_geometry(gpd.GeoSeries(geometry, index=frame.index, crs=4326))


def web_geometry(frame: gpd.GeoDataFrame, tolerance: float, decimals: int) -> gpd.GeoDataFrame:
    """The rows with a drawable geometry, simplified for a page (:func:`simplify_for_web`)."""
    result = simplify_for_web(frame, tolerance, decimals)
    shapes = result.geometry.to_numpy()
    return result[~(shapely.is_missing(shapes) | shapely.is_empty(shapes))]


def _features(geometry: gpd.GeoSeries, properties: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shapes = shapely.to_geojson(geometry.to_numpy())
    return [
        {"type": "Feature", "geometry": json.loads(shape), "properties": props}
        for shape, props in zip(shapes, properties, strict=True)
    ]
