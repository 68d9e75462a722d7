"""GIS export: the regions and regional clusters as layers for a GeoPackage (:func:`gis_layers`)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely


def gis_layers(
    regions: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame
) -> dict[str, gpd.GeoDataFrame]:
    """The GeoParquet layers in a form every GIS format holds (GeoPackage, Shapefile).

    List columns (``region_ids``, ``top_industries``) become text joined by ``"; "``; empty
    geometries become null. Returns layer name -> GeoDataFrame, EPSG:4326.
    """
    layers = {}
    for name, frame in (("regions", regions), ("regional_clusters", clusters)):
        flat = frame.copy()
        for column in flat.columns:
            if column != flat.geometry.name and flat[column].map(_is_list).any():
                flat[column] = flat[column].map(
                    lambda v: "; ".join(map(str, v)) if _is_list(v) else v
                )
        shapes = flat.geometry.to_numpy()
        flat[flat.geometry.name] = np.where(shapely.is_empty(shapes), None, shapes)
        layers[name] = flat.set_geometry(flat.geometry.name, crs=frame.crs).to_crs(4326)
    return layers


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))
