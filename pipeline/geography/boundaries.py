"""Region boundaries: read any vector format, repair, put in EPSG:4326, one row per region.

Every reader prepares its polygons with :func:`prepare_boundaries`: the coordinate reference
system is checked and converted to EPSG:4326 (:func:`in_wgs84`), invalid polygons are
repaired with GEOS ``make_valid`` (method 'structure', collapsed parts dropped, so a repaired
polygon stays a Polygon or MultiPolygon; :func:`repair_polygons`), and parts sharing a
region id can be merged (``dissolve``). Valid polygons are left untouched.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely

from pipeline.errors import UserError
from pipeline.sources.raw_schema import CODES_LISTED, InputWarning, Problem
from pipeline.sources.raw_table import as_text as _as_text
from pipeline.sources.raw_table import first_message_line as _first_line
from pipeline.sources.raw_table import is_parquet as _is_parquet
from pipeline.sources.schema import WGS84


@dataclass
class BoundaryCheck:
    """What :func:`inspect_boundaries` found: regions (or None), problems and notes."""

    regions: gpd.GeoDataFrame | None
    problems: list[Problem]
    notes: list[str] = field(default_factory=list)
    crs: str | None = None


def in_wgs84(shapes: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """``shapes`` in EPSG:4326 (longitude/latitude, WGS 84).

    Parameters
    ----------
    shapes : GeoDataFrame
        Any CRS, or none.
    source : str
        The file the shapes come from (named in errors).

    Returns
    -------
    GeoDataFrame
        Without a CRS but with coordinates within longitude/latitude bounds: EPSG:4326 set
        (TopoJSON and some GeoJSON carry none). With a CRS equal to EPSG:4326 up to axis
        order (OGC:CRS84): the coordinates are kept and the label set to EPSG:4326. With any
        other CRS: reprojected.

    Raises
    ------
    UserError
        No CRS, and coordinates outside longitude/latitude bounds (they are projected).
    """
    if shapes.crs is None:
        if not _plainly_lon_lat(shapes):
            placed = shapes.geometry[shapes.geometry.notna() & ~shapes.geometry.is_empty]
            west, south, east, north = placed.total_bounds
            raise UserError(
                f"{source}: no coordinate reference system, and the coordinates "
                f"(x {west:.0f} to {east:.0f}, y {south:.0f} to {north:.0f}) are not "
                "longitude/latitude, so they are projected; save the file with its CRS (a .prj "
                "file beside a Shapefile, or a GeoPackage / GeoParquet with its CRS)"
            )
        return shapes.set_crs(WGS84)
    if shapes.crs.equals(WGS84, ignore_axis_order=True):
        return shapes.set_crs(WGS84, allow_override=True)
    return shapes.to_crs(WGS84)


def repair_polygons(geometry: gpd.GeoSeries) -> gpd.GeoSeries:
    """Invalid polygons repaired, valid ones (and nulls) unchanged.

    GEOS ``make_valid`` with method 'structure' (Shapely 2.1+) rebuilds each ring as the
    area it encloses and unions the shells before removing the holes; with
    ``keep_collapsed=False`` parts that collapse to lines or points are dropped, so the
    result is a Polygon or MultiPolygon (the default 'linework' method can return a
    GeometryCollection with stray lines). Only invalid geometries are passed: 'structure'
    rewrites even a valid polygon's ring order, which changes nothing but its bytes.
    """
    invalid = geometry.notna() & ~geometry.is_empty & ~geometry.is_valid
    if not invalid.any():
        return geometry
    repaired = geometry.copy()
    repaired[invalid] = shapely.make_valid(
        geometry[invalid].to_numpy(), method="structure", keep_collapsed=False
    )
    return repaired


def merge_parts(
    shapes: gpd.GeoDataFrame, by: str, aggfunc: dict[str, str] | None = None
) -> gpd.GeoDataFrame:
    """One row per ``by`` value: its geometries unioned (``dissolve``), sorted by ``by``.

    ``aggfunc`` says how the other kept columns combine (for example ``{"name": "first"}``);
    columns it does not name are dropped.
    """
    aggfunc = aggfunc or {}
    merged = shapes.dissolve(by=by, aggfunc=aggfunc, as_index=False)
    return merged[[by, *aggfunc, shapes.geometry.name]]


def prepare_boundaries(
    shapes: gpd.GeoDataFrame,
    source: str,
    by: str | None = None,
    aggfunc: dict[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Region polygons ready for maps and contiguity: EPSG:4326, valid, polygonal.

    Parameters
    ----------
    shapes : GeoDataFrame
        Polygons (null or empty geometries allowed), any CRS or none.
    source : str
        The file they come from (named in errors).
    by : str, optional
        Merge the parts sharing this column's value into one (multi)polygon, for example
        counties into the metro area or state they belong to (:func:`merge_parts`).
    aggfunc : dict, optional
        With ``by``: how the other kept columns combine.

    Returns
    -------
    GeoDataFrame
        :func:`in_wgs84`, then :func:`repair_polygons`, then (with ``by``) :func:`merge_parts`
        and :func:`repair_polygons` again (a union of valid polygons can be invalid).

    Raises
    ------
    UserError
        Projected coordinates without a CRS, or a geometry that is not a polygon.
    """
    prepared = in_wgs84(shapes, source)
    prepared = prepared.set_geometry(repair_polygons(prepared.geometry))
    if by is not None:
        prepared = merge_parts(prepared, by, aggfunc)
        prepared = prepared.set_geometry(repair_polygons(prepared.geometry))
    placed = prepared.geometry.notna() & ~prepared.geometry.is_empty
    kinds = prepared.geometry[placed].geom_type
    other = ~kinds.isin(["Polygon", "MultiPolygon"])
    if other.any():
        raise UserError(
            f"{source}: feature {int(kinds.index[other][0]) + 1} is a {kinds[other].iloc[0]}; "
            "region boundaries must be polygons - export the region polygons, not points or lines"
        )
    return prepared


def _read_vector(path: Path) -> gpd.GeoDataFrame:
    try:
        if path.is_file() and _is_parquet(path):
            return gpd.read_parquet(path)
        archive = {".gz": "/vsigzip/", ".zip": "/vsizip/"}.get(path.suffix.lower(), "")
        return gpd.read_file(f"{archive}{path}")
    except Exception as error:  # pyogrio / pyarrow raise many types
        raise UserError(
            f"{path}: not a readable boundary file ({_first_line(error)}); use GeoJSON, "
            "GeoPackage, Shapefile or GeoParquet"
        ) from error


def _plainly_lon_lat(regions: gpd.GeoDataFrame) -> bool:
    present = regions.geometry[regions.geometry.notna() & ~regions.geometry.is_empty]
    if present.empty:
        return True
    west, south, east, north = present.total_bounds
    return -180 <= west <= east <= 180 and -90 <= south <= north <= 90


def inspect_boundaries(
    path: str | Path, id_field: str = "region_id", name_field: str = "name"
) -> BoundaryCheck:
    """Read region boundaries, repair what can be repaired, and list the problems.

    Parameters
    ----------
    path : str or Path
        Any vector format geopandas reads (GeoJSON, GeoPackage, Shapefile) or GeoParquet;
        ``.gz`` and ``.zip`` archives are read through GDAL's /vsigzip/ and /vsizip/.
    id_field : str
        Field holding the region id (matched case-insensitively).
    name_field : str
        Field holding the region name (optional; the id is used when absent).

    Returns
    -------
    BoundaryCheck
        regions: GeoDataFrame region_id (str), name (str), geometry (EPSG:4326, valid,
        polygonal; null when a region has none), one row per region id, sorted.

    Raises
    ------
    UserError
        Unreadable file, no id field, empty ids, non-polygon geometries, or no CRS with
        coordinates that are not longitude/latitude.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: not found; check the path of the boundary file")
    if path.is_file() and path.stat().st_size == 0:
        raise UserError(f"{path}: the boundary file is empty (0 bytes); export it again")
    regions = _read_vector(path)
    if len(regions) == 0:
        raise UserError(f"{path}: holds no features; export the boundaries with their polygons")
    problems: list[Problem] = []
    notes: list[str] = []
    fields = [str(name) for name in regions.columns if name != regions.geometry.name]
    by_lower = {name.lower(): name for name in fields}
    if id_field not in fields and id_field.lower() not in by_lower:
        close = difflib.get_close_matches(id_field, fields, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UserError(
            f"{path}: no field '{id_field}' (fields: {', '.join(fields) or 'none'}); {hint}"
            f"name the region id field with --region-id-field, or rename it to {id_field}"
        )
    id_column = id_field if id_field in fields else by_lower[id_field.lower()]
    ids = _as_text(regions[id_column].reset_index(drop=True))
    if ids.isna().any():
        feature = int(ids.index[ids.isna()][0]) + 1
        raise UserError(
            f"{path}: field '{id_column}', feature {feature}: the region id is empty; give "
            "every feature its region id"
        )
    name_column = by_lower.get(name_field.lower())
    names = (
        _as_text(regions[name_column].reset_index(drop=True)).fillna(ids) if name_column else ids
    )
    shapes = gpd.GeoDataFrame(
        {"region_id": ids, "name": names},
        geometry=regions.geometry.reset_index(drop=True),
        crs=regions.crs,
    )
    present = shapes.geometry.notna() & ~shapes.geometry.is_empty
    kinds = shapes.geometry[present].geom_type
    not_polygon = ~kinds.isin(["Polygon", "MultiPolygon"])
    if not_polygon.any():
        feature = int(kinds.index[not_polygon][0]) + 1
        raise UserError(
            f"{path}: feature {feature} (region '{ids[feature - 1]}') is a "
            f"{kinds[not_polygon].iloc[0]}; boundaries must be polygons - export the region "
            "polygons, not points or lines"
        )

    if shapes.crs is None and _plainly_lon_lat(shapes):
        problems.append(
            Problem(
                "warning",
                f"{path}: no coordinate reference system; the coordinates look like "
                "longitude/latitude, so EPSG:4326 is assumed - save the file with its CRS "
                "to be sure",
            )
        )
    original = shapes.crs
    shapes = in_wgs84(shapes, str(path))
    crs_name = (original or shapes.crs).to_string()
    if original is not None and not original.equals(WGS84, ignore_axis_order=True):
        notes.append(f"{path}: boundaries reprojected from {crs_name} to EPSG:4326")

    invalid = present & ~shapes.geometry.is_valid
    if invalid.any():
        reasons = shapes.geometry[invalid].is_valid_reason().str.replace(r"\[.*", "", regex=True)
        listed = ", ".join(
            f"'{region}' ({reason})"
            for region, reason in zip(
                shapes.loc[invalid, "region_id"][:CODES_LISTED], reasons[:CODES_LISTED], strict=True
            )
        )
        more = (
            f" and {int(invalid.sum()) - CODES_LISTED} more" if invalid.sum() > CODES_LISTED else ""
        )
        problems.append(
            Problem(
                "warning",
                f"{path}: invalid geometry for region(s) {listed}{more}; repaired with "
                "make_valid - check those boundaries if their areas or neighbours look wrong",
            )
        )
        shapes["geometry"] = repair_polygons(shapes.geometry)

    missing = ~present
    if missing.any():
        listed = ", ".join(
            f"'{region}'" for region in shapes.loc[missing, "region_id"][:CODES_LISTED]
        )
        problems.append(
            Problem(
                "warning",
                f"{path}: region(s) {listed} have no geometry; they are measured but left out of "
                "maps and spatial statistics - add their polygons",
            )
        )

    repeated = shapes["region_id"].duplicated(keep=False)
    if repeated.any():
        first = shapes.loc[repeated, "region_id"].iloc[0]
        features = (shapes.index[shapes["region_id"] == first] + 1).tolist()
        others = shapes.loc[repeated, "region_id"].nunique() - 1
        also = f" ({others} more ids repeat)" if others else ""
        problems.append(
            Problem(
                "warning",
                f"{path}: field '{id_column}': region '{first}' has {len(features)} features "
                f"({', '.join(map(str, features))}){also}; their parts are merged into one "
                "(multi)polygon - give each region a unique id if they are different regions",
            )
        )
        shapes = merge_parts(shapes, "region_id", {"name": "first"})
    shapes = shapes.sort_values("region_id", ignore_index=True)
    shapes["region_id"] = shapes["region_id"].astype("str")
    shapes["name"] = shapes["name"].astype("str")
    return BoundaryCheck(shapes, problems, notes, crs=crs_name)


def read_boundaries(
    path: str | Path, id_field: str = "region_id", name_field: str = "name"
) -> gpd.GeoDataFrame:
    """Region boundaries from any vector format geopandas reads, in EPSG:4326.

    Parameters
    ----------
    path : str or Path
        GeoJSON, GeoPackage, Shapefile or GeoParquet.
    id_field : str
        Field holding the region id, matching ``region_id`` of the employment table.
    name_field : str
        Field holding the region name (optional).

    Returns
    -------
    GeoDataFrame
        region_id (str), name (str), geometry (valid (multi)polygons, EPSG:4326), one row
        per region. Repairs (make_valid, assumed or converted CRS, merged parts) are
        reported as :class:`InputWarning`.
    """
    check = inspect_boundaries(path, id_field, name_field)
    for problem in check.problems:
        warnings.warn(problem.message, InputWarning, stacklevel=2)
    return check.regions
