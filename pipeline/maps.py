"""Offline maps: interactive Leaflet pages and static report maps of the published tables.

Interactive maps are single HTML files with Leaflet (vendored from npm, ``pipeline/vendor``)
and the map's GeoJSON inlined: no CDN, no tile server, no network, ``file://`` works. They draw
region boundaries only. Three kinds:

- :func:`clusters_map`: the regional clusters of a year, coloured by label, one toggleable layer
  per label, a popup per cluster (names, top industries, employment, LQ, stars);
- :func:`lq_map`: the location quotient of one benchmark cluster per region, in fixed LQ classes;
- :func:`lisa_map`: the local Moran quadrants (HH/HL/LH/LL/ns) of one cluster's LQ.

Static maps (:func:`static_clusters_figure`, :func:`static_lq_figure`) are matplotlib figures in
an Albers equal-area projection fitted to the data, with a few place labels placed so that they
do not overlap.

Functions take and return DataFrames, strings or figures; only the ``maps`` stage writes files.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.config import MapSettings

LEAFLET_VERSION = "1.9.4"
VENDOR = Path(__file__).with_name("vendor")

# Okabe-Ito colours (readable with colour-blindness), as in the notebooks.
LABEL_COLOURS = {"technology": "#0072B2", "industrial-production": "#D55E00", "other": "#009E73"}
# LISA quadrants in GeoDa's colours; ns = not significant at spatial.alpha.
QUADRANT_COLOURS = {
    "HH": "#d7191c",
    "HL": "#fdae61",
    "LH": "#abd9e9",
    "LL": "#2c7bb6",
    "ns": "#e8e8e8",
}
# ColorBrewer RdBu (6 classes, reversed): blue below LQ 1, red above; one colour per LQ class.
LQ_COLOURS = ("#2166ac", "#67a9cf", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b")
NO_DATA_COLOUR = "#bdbdbd"
BASE_FILL = "#f0f0f0"
BASE_STROKE = "#a0a0a0"
PAGE_BACKGROUND = "#ffffff"


@dataclass(frozen=True)
class OfflineMap:
    """A self-contained HTML map page; shows itself in Jupyter in an iframe."""

    title: str
    html: str

    def _repr_html_(self) -> str:
        source = html.escape(self.html, quote=True)
        return (
            f'<iframe srcdoc="{source}" style="width:100%;height:620px;border:1px solid #ccc" '
            f'title="{html.escape(self.title)}"></iframe>'
        )


# ---------------------------------------------------------------------------------------------
# Geometry for the web


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


# ---------------------------------------------------------------------------------------------
# Names


def region_names(regions: pd.DataFrame) -> pd.Series:
    """region_id -> region name (``region_name`` when the table has it, else ``name``, else id)."""
    for column in ("region_name", "name"):
        if column in regions.columns:
            names = (
                regions[column].astype("str").where(regions[column].notna(), regions["region_id"])
            )
            return pd.Series(names.to_numpy(), index=regions["region_id"].to_numpy())
    return pd.Series(regions["region_id"].to_numpy(), index=regions["region_id"].to_numpy())


def industry_names(*tables: pd.DataFrame) -> dict[str, str]:
    """industry_code -> title, from any table with ``industry_code`` and ``industry_name``."""
    names: dict[str, str] = {}
    for table in tables:
        if {"industry_code", "industry_name"} <= set(table.columns):
            pairs = table[["industry_code", "industry_name"]].dropna().drop_duplicates()
            names.update(zip(pairs["industry_code"], pairs["industry_name"], strict=True))
    return names


def short_place_name(name: str) -> str:
    """A short label for a place: the first city of a metro name, with its first state.

    ``"Seattle-Tacoma-Bellevue, WA"`` -> ``"Seattle, WA"``; ``"Philadelphia-Camden-Wilmington,
    PA-NJ-DE-MD"`` -> ``"Philadelphia, PA"``; names without a state suffix are kept.
    """
    match = re.fullmatch(r"([^,]+), ([A-Z]{2})(?:-[A-Z]{2})*(?: .*)?", name)
    if match:
        return f"{match.group(1).split('-')[0].split('/')[0]}, {match.group(2)}"
    return name


def latest_year(table: pd.DataFrame) -> int:
    """The last year of a table with a ``year`` column."""
    return int(table["year"].max())


def leading_clusters(strength: pd.DataFrame, count: int, year: int) -> pd.DataFrame:
    """The ``count`` traded clusters with the most employment in ``year``.

    Returns cluster_code, cluster_name, employment (summed over regions), largest first.
    """
    rows = strength[(strength["year"] == year) & (strength["cluster_type"] == "traded")]
    totals = rows.groupby(["cluster_code", "cluster_name"], as_index=False)["employment"].sum()
    return totals.nlargest(count, "employment").reset_index(drop=True)


def _number(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:,.0f}"


def _ratio(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:.2f}"


def _escape(value: Any) -> str:
    return html.escape(str(value))


# ---------------------------------------------------------------------------------------------
# The HTML page


def vendored(name: str) -> str:
    """The text of a vendored file, e.g. ``vendored("leaflet/leaflet.js")``."""
    return (VENDOR / name).read_text(encoding="utf-8")


def script_json(payload: Any) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</`` can close the tag)."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


PAGE_CSS = f"""
html, body {{ margin: 0; height: 100%; font: 14px/1.4 system-ui, -apple-system, "Segoe UI",
  Roboto, Helvetica, Arial, sans-serif; color: #222; background: {PAGE_BACKGROUND}; }}
header {{ padding: 6px 12px; border-bottom: 1px solid #ddd; }}
header h1 {{ font-size: 17px; margin: 0; }}
header p {{ margin: 2px 0 0; color: #555; font-size: 12px; }}
#map {{ position: absolute; top: 58px; bottom: 0; left: 0; right: 0; background: {PAGE_BACKGROUND}; }}
.legend {{ background: rgba(255,255,255,.92); padding: 6px 8px; border-radius: 4px;
  box-shadow: 0 0 4px rgba(0,0,0,.3); font-size: 12px; line-height: 18px; }}
.legend i {{ display: inline-block; width: 14px; height: 12px; margin-right: 6px;
  vertical-align: -1px; border: 1px solid #777; }}
.leaflet-popup-content {{ font-size: 12px; max-width: 340px; }}
.leaflet-popup-content table {{ border-collapse: collapse; }}
.leaflet-popup-content td {{ padding: 0 6px 0 0; vertical-align: top; }}
"""

# One renderer for every map: the base boundaries, then one layer per legend category.
PAGE_SCRIPT = """
(function () {
  var spec = JSON.parse(document.getElementById('map-data').textContent);
  // '#bare' hides the controls and legend (embedding; the screenshot test reads map pixels only)
  // '#only=<layer>' shows one layer alone (a linkable view; the test checks each layer's colour)
  var options = window.location.hash.replace(/^#/, '').split('&');
  var bare = options.indexOf('bare') >= 0;
  var only = null;
  options.forEach(function (o) { if (o.indexOf('only=') === 0) { only = decodeURIComponent(o.slice(5)); } });
  var map = L.map('map', {preferCanvas: true, zoomSnap: 0.25, attributionControl: true});
  map.attributionControl.setPrefix('Leaflet ' + spec.leaflet + ' (offline)');
  if (spec.source) { map.attributionControl.addAttribution(spec.source); }
  var base = L.geoJSON(spec.base, {interactive: spec.baseInteractive, style: function () {
    return {color: spec.style.baseStroke, weight: 0.6, fillColor: spec.style.baseFill,
            fillOpacity: 1};
  }, onEachFeature: function (f, layer) { if (f.properties.p) { layer.bindPopup(f.properties.p); } }
  }).addTo(map);
  var overlays = {};
  var bounds = base.getBounds();
  spec.layers.forEach(function (group) {
    var layer = L.geoJSON(group.features, {style: function (f) {
      return {color: f.properties.s || group.colour, weight: spec.style.weight,
              fillColor: f.properties.c || group.colour, fillOpacity: spec.style.fillOpacity};
    }, onEachFeature: function (f, l) { l.bindPopup(f.properties.p); }});
    if (only === null || only === group.name) { layer.addTo(map); }
    if (!base.getLayers().length && layer.getLayers().length) {
      bounds = bounds.isValid() ? bounds.extend(layer.getBounds()) : layer.getBounds();
    }
    overlays['<i style="background:' + group.colour + ';display:inline-block;width:10px;' +
             'height:10px"></i> ' + group.name + ' (' + group.features.length + ')'] = layer;
  });
  if (spec.layers.length > 1) { L.control.layers(null, overlays, {collapsed: false}).addTo(map); }
  var legend = L.control({position: 'bottomright'});
  legend.onAdd = function () {
    var div = L.DomUtil.create('div', 'legend');
    div.innerHTML = '<b>' + spec.legendTitle + '</b><br>' + spec.legend.map(function (e) {
      return '<i style="background:' + e.colour + '"></i>' + e.label;
    }).join('<br>');
    return div;
  };
  legend.addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  if (spec.focus) { bounds = L.latLngBounds(spec.focus); }
  if (bounds.isValid()) { map.fitBounds(bounds, {padding: [8, 8]}); } else { map.setView([0, 0], 2); }
  if (bare) { document.querySelectorAll('.leaflet-control-container').forEach(function (e) {
    e.style.display = 'none'; }); }
  document.body.setAttribute('data-rendered', 'yes');
})();
"""


def page_html(title: str, subtitle: str, spec: dict[str, Any]) -> str:
    """A complete offline HTML page: Leaflet inlined, the map ``spec`` as JSON, the renderer."""
    spec = {"leaflet": LEAFLET_VERSION, **spec}
    if spec.get("focus") is not None:
        minx, miny, maxx, maxy = spec["focus"]
        spec["focus"] = [[miny, minx], [maxy, maxx]]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="regclust (Leaflet {LEAFLET_VERSION}, BSD-2-Clause)">
<title>{_escape(title)}</title>
<style>{vendored("leaflet/leaflet.css")}</style>
<style>{PAGE_CSS}</style>
</head>
<body>
<header><h1>{_escape(title)}</h1><p>{_escape(subtitle)}</p></header>
<div id="map"></div>
<script>{vendored("leaflet/leaflet.js")}</script>
<script type="application/json" id="map-data">{script_json(spec)}</script>
<script>{PAGE_SCRIPT}</script>
</body>
</html>
"""


def _style(settings: MapSettings, weight: float) -> dict[str, Any]:
    return {
        "baseFill": BASE_FILL,
        "baseStroke": BASE_STROKE,
        "fillOpacity": settings.fill_opacity,
        "weight": weight,
    }


def _base_features(
    regions: gpd.GeoDataFrame, settings: MapSettings, popups: dict[str, str] | None = None
):
    shapes = web_geometry(regions, settings.simplify_tolerance, settings.coordinate_decimals)
    names = region_names(shapes)
    properties = [
        {"p": (popups or {}).get(region, f"<b>{_escape(names[region])}</b> ({_escape(region)})")}
        for region in shapes["region_id"]
    ]
    return shapes, {"type": "FeatureCollection", "features": _features(shapes.geometry, properties)}


# ---------------------------------------------------------------------------------------------
# The three interactive maps


def cluster_popup(
    cluster: pd.Series, names: pd.Series, titles: dict[str, str], unit: str, max_regions: int
) -> str:
    """Popup HTML of one regional cluster: name, label, regions, employment, LQ, top industries."""
    region_ids = list(cluster["region_ids"])
    shown = [f"{_escape(names.get(r, r))}" for r in region_ids[:max_regions]]
    if len(region_ids) > max_regions:
        shown.append(f"and {len(region_ids) - max_regions} more")
    industries = [
        f"{_escape(code)} {_escape(titles[code])}" if code in titles else _escape(code)
        for code in list(cluster["top_industries"])
    ]
    rows = [
        ("Label", f"{cluster['label']} (technology score {_ratio(cluster['technology_score'])})"),
        ("Regions", "; ".join(shown)),
        (f"Employment ({unit})", _number(cluster["employment"])),
        ("LQ", _ratio(cluster["lq"])),
        ("Stars (max)", str(int(cluster["max_stars"]))),
        ("Top industries", "<br>".join(industries)),
    ]
    body = "".join(f"<tr><td><b>{_escape(k)}</b></td><td>{v}</td></tr>" for k, v in rows)
    return (
        f"<b>{_escape(cluster['cluster_name'])}</b> {int(cluster['year'])}"
        f"<br><small>{_escape(cluster['regional_cluster_id'])}</small><table>{body}</table>"
    )


def clusters_map(
    regions: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    settings: MapSettings,
    *,
    year: int | None = None,
    unit: str = "jobs",
    titles: dict[str, str] | None = None,
    dataset: str = "",
    focus: tuple[float, float, float, float] | None = None,
) -> OfflineMap:
    """The regional clusters of ``year`` (default: the latest), one layer per label.

    Larger clusters are drawn first so that small ones stay clickable on top.
    """
    year = latest_year(clusters) if year is None else year
    names = region_names(regions)
    _, base = _base_features(regions, settings)
    chosen = clusters[clusters["year"] == year].sort_values("employment", ascending=False)
    shapes = web_geometry(chosen, settings.simplify_tolerance, settings.coordinate_decimals)
    layers = []
    # Technology clusters are the fewest: their layer goes last, drawn on top of the others.
    for label, colour in reversed(LABEL_COLOURS.items()):
        subset = shapes[shapes["label"] == label]
        properties = [
            {"p": cluster_popup(row, names, titles or {}, unit, settings.popup_regions)}
            for _, row in subset.iterrows()
        ]
        layers.append(
            {"name": label, "colour": colour, "features": _features(subset.geometry, properties)}
        )
    legend = [
        {"label": f"{label} ({int((shapes['label'] == label).sum())})", "colour": colour}
        for label, colour in LABEL_COLOURS.items()
    ]
    unmapped = len(chosen) - len(shapes)
    subtitle = (
        f"{dataset}: {len(chosen):,} regional clusters in {year}; footprints overlap, darker areas "
        "host more clusters; click a footprint for its details"
        + (f"; {unmapped} without a known boundary are not drawn" if unmapped else "")
    )
    spec = {
        "base": base,
        "baseInteractive": False,
        "layers": layers,
        "legend": legend,
        "legendTitle": "Regional cluster label",
        "style": _style(settings, 1.2),
        "source": "regclust regional_clusters.parquet",
        "focus": focus,
    }
    title = f"Regional clusters by label, {year}"
    return OfflineMap(title, page_html(title, subtitle, spec))


def lq_classes(lq: pd.Series, breaks: tuple[float, ...]) -> pd.Series:
    """Class index 0..len(breaks) of each LQ for fixed ``breaks`` (right-open); -1 when missing.

    Class k holds breaks[k-1] <= LQ < breaks[k]; fixed classes keep a colour's meaning the same
    on every cluster's map (LQ 1.25 is the US Cluster Mapping specialisation threshold).
    """
    classes = np.searchsorted(
        np.asarray(breaks, dtype=float), lq.to_numpy(dtype=float), side="right"
    )
    return pd.Series(np.where(lq.isna(), -1, classes), index=lq.index)


def lq_legend(breaks: tuple[float, ...]) -> list[dict[str, str]]:
    """Legend entries of the LQ classes (and of a region without the cluster)."""
    edges = [f"< {breaks[0]:g}"]
    edges += [f"{low:g} to < {high:g}" for low, high in zip(breaks[:-1], breaks[1:], strict=True)]
    edges += [f">= {breaks[-1]:g}"]
    entries = [{"label": e, "colour": c} for e, c in zip(edges, LQ_COLOURS, strict=True)]
    return [*reversed(entries), {"label": "no employment", "colour": NO_DATA_COLOUR}]


def _cluster_rows(table: pd.DataFrame, cluster_code: str, year: int) -> pd.DataFrame:
    rows = table[(table["cluster_code"] == cluster_code) & (table["year"] == year)]
    return rows.drop_duplicates("region_id")


def lq_map(
    regions: gpd.GeoDataFrame,
    strength: pd.DataFrame,
    cluster_code: str,
    settings: MapSettings,
    *,
    year: int | None = None,
    unit: str = "jobs",
    dataset: str = "",
    focus: tuple[float, float, float, float] | None = None,
) -> OfflineMap:
    """Choropleth of one cluster's LQ per region (cluster_strength), in fixed LQ classes."""
    if len(LQ_COLOURS) != len(settings.lq_breaks) + 1:
        raise ValueError(f"maps.lq_breaks needs {len(LQ_COLOURS) - 1} values")
    year = latest_year(strength) if year is None else year
    rows = _cluster_rows(strength, cluster_code, year).set_index("region_id")
    cluster_name = str(rows["cluster_name"].iloc[0]) if len(rows) else cluster_code
    shapes = web_geometry(regions, settings.simplify_tolerance, settings.coordinate_decimals)
    names = region_names(shapes)
    joined = shapes.join(rows[["employment", "lq", "strong", "stars"]], on="region_id")
    joined.loc[joined["employment"].fillna(0) <= 0, "lq"] = np.nan
    classes = lq_classes(joined["lq"], settings.lq_breaks)
    properties = []
    for (_, row), k in zip(joined.iterrows(), classes, strict=True):
        colour = NO_DATA_COLOUR if k < 0 else LQ_COLOURS[k]
        strong = "yes" if row["strong"] is True else "no"
        popup = (
            f"<b>{_escape(names[row['region_id']])}</b> ({_escape(row['region_id'])})<br>"
            f"{_escape(cluster_name)}, {year}<table>"
            f"<tr><td>LQ</td><td>{_ratio(row['lq'])}</td></tr>"
            f"<tr><td>Employment ({_escape(unit)})</td><td>{_number(row['employment'])}</td></tr>"
            f"<tr><td>Strong</td><td>{strong}</td></tr>"
            f"<tr><td>Stars</td><td>{_number(row['stars'])}</td></tr></table>"
        )
        properties.append({"c": colour, "s": BASE_STROKE, "p": popup})
    layer = {
        "name": "LQ",
        "colour": LQ_COLOURS[-1],
        "features": _features(joined.geometry, properties),
    }
    spec = {
        "base": {"type": "FeatureCollection", "features": []},
        "baseInteractive": False,
        "layers": [layer],
        "legend": lq_legend(settings.lq_breaks),
        "legendTitle": "Location quotient",
        "style": {**_style(settings, 0.5), "fillOpacity": 1.0},
        "source": "regclust cluster_strength.parquet",
        "focus": focus,
    }
    title = f"{cluster_name}: location quotient, {year}"
    subtitle = (
        f"{dataset}: cluster {cluster_code}, {int(rows['strong'].sum()) if len(rows) else 0} "
        f"strong regions; LQ = (e_rc / e_r) / (e_c / E) in fixed classes"
    )
    return OfflineMap(title, page_html(title, subtitle, spec))


def lisa_map(
    regions: gpd.GeoDataFrame,
    local: pd.DataFrame,
    cluster_code: str,
    settings: MapSettings,
    *,
    year: int | None = None,
    dataset: str = "",
    focus: tuple[float, float, float, float] | None = None,
) -> OfflineMap:
    """Local Moran (Anselin 1995) quadrants of one cluster's LQ, from local_spatial.parquet."""
    year = latest_year(local) if year is None else year
    rows = _cluster_rows(local, cluster_code, year).set_index("region_id")
    cluster_name = str(rows["cluster_name"].iloc[0]) if len(rows) else cluster_code
    shapes = web_geometry(regions, settings.simplify_tolerance, settings.coordinate_decimals)
    names = region_names(shapes)
    joined = shapes.join(rows[["quadrant", "local_i", "local_p", "gi_star_z"]], on="region_id")
    properties = []
    for _, row in joined.iterrows():
        quadrant = row["quadrant"] if isinstance(row["quadrant"], str) else None
        popup = (
            f"<b>{_escape(names[row['region_id']])}</b> ({_escape(row['region_id'])})<br>"
            f"{_escape(cluster_name)}, {year}<table>"
            f"<tr><td>Quadrant</td><td>{quadrant or 'no statistic'}</td></tr>"
            f"<tr><td>Local Moran I</td><td>{_ratio(row['local_i'])}</td></tr>"
            f"<tr><td>Pseudo p</td><td>{_ratio(row['local_p'])}</td></tr>"
            f"<tr><td>Gi* z</td><td>{_ratio(row['gi_star_z'])}</td></tr></table>"
        )
        colour = QUADRANT_COLOURS.get(quadrant, NO_DATA_COLOUR) if quadrant else NO_DATA_COLOUR
        properties.append({"c": colour, "s": BASE_STROKE, "p": popup})
    counts = joined["quadrant"].value_counts()
    features = _features(joined.geometry, properties)
    legend = [
        {"label": f"{q} ({int(counts.get(q, 0))})", "colour": c}
        for q, c in QUADRANT_COLOURS.items()
    ] + [{"label": "no statistic", "colour": NO_DATA_COLOUR}]
    spec = {
        "base": {"type": "FeatureCollection", "features": []},
        "baseInteractive": False,
        "layers": [{"name": "LISA", "colour": QUADRANT_COLOURS["HH"], "features": features}],
        "legend": legend,
        "legendTitle": "Local Moran quadrant",
        "style": {**_style(settings, 0.5), "fillOpacity": 1.0},
        "source": "regclust local_spatial.parquet",
        "focus": focus,
    }
    title = f"{cluster_name}: local Moran clusters of the LQ, {year}"
    subtitle = (
        f"{dataset}: HH = high LQ among high neighbours, LL = low among low, HL/LH outliers, "
        "ns = not significant (permutation pseudo p above spatial.alpha)"
    )
    return OfflineMap(title, page_html(title, subtitle, spec))


# ---------------------------------------------------------------------------------------------
# Static maps for reports


def albers_for(frame: gpd.GeoDataFrame) -> str:
    """An Albers equal-area conic fitted to the data's extent (PROJ string).

    Standard parallels at one sixth and five sixths of the latitude range, the central
    meridian and the latitude of origin at the middle of the extent: the rule of thumb of
    Deetz & Adams (1934), quoted by Snyder (1987, *Map Projections: A Working Manual*, p. 99).
    It gives 29.7N/45.3N for the contiguous US (USGS uses 29.5/45.5).
    """
    minx, miny, maxx, maxy = frame.total_bounds
    span = maxy - miny
    return (
        f"+proj=aea +lat_1={miny + span / 6:.2f} +lat_2={maxy - span / 6:.2f} "
        f"+lat_0={(miny + maxy) / 2:.2f} +lon_0={(minx + maxx) / 2:.2f} +datum=WGS84 +units=m"
    )


def within_focus(
    frame: gpd.GeoDataFrame, focus: tuple[float, float, float, float] | None
) -> pd.Series:
    """True for rows whose representative point lies in the lon/lat box ``focus``."""
    if focus is None:
        return pd.Series(True, index=frame.index)
    point = frame.geometry.representative_point()
    minx, miny, maxx, maxy = focus
    return point.x.between(minx, maxx) & point.y.between(miny, maxy)


LABEL_FONT_SIZE = 7.5  # points
LABEL_OFFSET = 4.0  # points right of and above the marker
CHARACTER_WIDTH = 0.6  # of the font size, a generous average for DejaVu Sans
LINE_HEIGHT = 1.25  # of the font size


def place_labels(
    candidates: pd.DataFrame, count: int, spacing: float, metres_per_point: float = 0.0
) -> pd.DataFrame:
    """Greedy label placement: take candidates in order, skip one that would collide.

    ``candidates`` has columns x, y (projected metres) and text, best first. A candidate is
    skipped when its point is closer than ``spacing`` to a placed one, or when its text box
    (estimated from the characters and lines at ``metres_per_point``) overlaps a placed box.
    Returns at most ``count`` rows, so labels neither overlap nor pile up over one area.
    """
    chosen: list[int] = []
    points = candidates[["x", "y"]].to_numpy(dtype=float)
    size = LABEL_FONT_SIZE * metres_per_point
    boxes = []
    for x, y, text in zip(points[:, 0], points[:, 1], candidates["text"], strict=True):
        lines = str(text).split("\n")
        left, bottom = x + LABEL_OFFSET * metres_per_point, y + LABEL_OFFSET * metres_per_point
        width = max(map(len, lines)) * CHARACTER_WIDTH * size
        boxes.append((left, bottom, left + width, bottom + len(lines) * LINE_HEIGHT * size))
    for position in range(len(candidates)):
        if len(chosen) == count:
            break
        a = boxes[position]
        if all(
            np.hypot(*(points[position] - points[other])) >= spacing
            and (a[2] <= boxes[other][0] or boxes[other][2] <= a[0]
                 or a[3] <= boxes[other][1] or boxes[other][3] <= a[1])
            for other in chosen
        ):  # fmt: skip
            chosen.append(position)
    return candidates.iloc[chosen]


def _metres_per_point(figure: Any, ax: Any) -> float:
    """Map metres per typographic point once the axes hold the data (equal aspect)."""
    figure.canvas.draw()
    box = ax.get_window_extent()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    points_per_pixel = 72.0 / figure.dpi
    return max(
        (x1 - x0) / (box.width * points_per_pixel), (y1 - y0) / (box.height * points_per_pixel)
    )


def _label_candidates(
    clusters: pd.DataFrame, regions: gpd.GeoDataFrame, strength: pd.DataFrame, crs: str
) -> pd.DataFrame:
    """One candidate per cluster, largest first: its largest member region, named."""
    members = clusters[["regional_cluster_id", "cluster_code", "year", "region_ids", "employment",
                        "cluster_name"]].explode("region_ids").rename(columns={"region_ids": "region_id"})  # fmt: skip
    sizes = strength[["region_id", "cluster_code", "year", "employment"]].rename(
        columns={"employment": "region_cluster_employment"}
    )
    members = members.merge(sizes, on=["region_id", "cluster_code", "year"], how="left")
    members = members.sort_values(
        ["employment", "region_cluster_employment"], ascending=False, na_position="last"
    ).drop_duplicates("regional_cluster_id")
    points = regions.set_index("region_id").geometry.representative_point().to_crs(crs)
    names = region_names(regions)
    members = members[members["region_id"].isin(points.index)]
    return pd.DataFrame(
        {
            "x": points.loc[members["region_id"]].x.to_numpy(),
            "y": points.loc[members["region_id"]].y.to_numpy(),
            "text": [
                f"{short_place_name(names[r])}\n{c}"
                for r, c in zip(members["region_id"], members["cluster_name"], strict=True)
            ],
        }
    )


def _draw_labels(ax: Any, labels: pd.DataFrame) -> None:
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for row in labels.itertuples():
        ax.plot(row.x, row.y, "o", color="#222222", markersize=3, zorder=5)
        ax.annotate(row.text, (row.x, row.y), xytext=(LABEL_OFFSET, LABEL_OFFSET), textcoords="offset points",
                    fontsize=LABEL_FONT_SIZE, color="#111111", zorder=6, path_effects=halo)  # fmt: skip


def _projected_frames(
    regions: gpd.GeoDataFrame,
    layer: gpd.GeoDataFrame,
    focus: tuple[float, float, float, float] | None,
    tolerance: float,
    decimals: int,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str, int]:
    """Base regions and a layer inside ``focus``, simplified, in an Albers projection fitted
    to the regions; also the number of regions left out."""
    base = web_geometry(regions, tolerance, decimals)
    inside = within_focus(base, focus)
    left_out = int((~inside).sum())
    base = base[inside]
    crs = albers_for(base)
    shown = web_geometry(layer, tolerance, decimals)
    shown = shown[within_focus(shown, focus)]
    return base.to_crs(crs), shown.to_crs(crs), crs, left_out


def _map_axes(base: gpd.GeoDataFrame) -> tuple[Any, Any]:
    """A figure 11 inches wide whose height follows the map's shape (4 to 11 inches)."""
    import matplotlib.pyplot as plt

    width, height = np.ptp(base.total_bounds.reshape(2, 2), axis=0)
    return plt.subplots(
        figsize=(11, max(4.0, min(11.0, 11 * height / width))), layout="constrained"
    )


def _label_map(
    fig: Any, ax: Any, base: gpd.GeoDataFrame, candidates: pd.DataFrame, settings: MapSettings
) -> pd.DataFrame:
    """Place and draw the labels (:func:`place_labels`); returns the placed ones."""
    width, height = np.ptp(base.total_bounds.reshape(2, 2), axis=0)
    labels = place_labels(
        candidates,
        settings.static_labels,
        settings.label_spacing * max(width, height),
        _metres_per_point(fig, ax),
    )
    _draw_labels(ax, labels)
    return labels


def _add_note(ax: Any, note: str, left_out: int) -> None:
    """The projection note at the foot of the figure, naming regions left off the map."""
    if left_out:
        note += f" {left_out} regions outside the main map (e.g. Alaska, Hawaii) are not shown."
    ax.annotate(note, (0, 0), xycoords="figure fraction", xytext=(6, 4),
                textcoords="offset points", fontsize=7.5, color="#555555")  # fmt: skip
    ax.set_axis_off()


def static_clusters_figure(
    regions: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    strength: pd.DataFrame,
    settings: MapSettings,
    *,
    year: int | None = None,
    dataset: str = "",
    focus: tuple[float, float, float, float] | None = None,
):
    """Regional clusters of a year coloured by label, with the largest ones named.

    Regions outside ``focus`` (e.g. Alaska, Hawaii and Puerto Rico for the contiguous US) are
    left out and the figure says how many.
    """
    from matplotlib.patches import Patch

    year = latest_year(clusters) if year is None else year
    chosen = clusters[clusters["year"] == year].sort_values("employment", ascending=False)
    base, shown, crs, left_out = _projected_frames(
        regions, chosen, focus, settings.simplify_tolerance, settings.coordinate_decimals
    )
    fig, ax = _map_axes(base)
    base.plot(ax=ax, color=BASE_FILL, edgecolor=BASE_STROKE, linewidth=0.2)
    handles = []
    # Technology clusters are the fewest: draw them last, on top of the others.
    for label, colour in reversed(LABEL_COLOURS.items()):
        subset = shown[shown["label"] == label]
        if len(subset):
            subset.plot(ax=ax, color=colour, alpha=settings.fill_opacity, edgecolor=colour,
                        linewidth=0.4)  # fmt: skip
        handles.append(Patch(facecolor=colour, edgecolor=colour, alpha=0.6,
                             label=f"{label} ({len(subset)})"))  # fmt: skip
    candidates = _label_candidates(shown, regions, strength, crs)
    labels = _label_map(fig, ax, base, candidates, settings)
    ax.legend(handles=handles[::-1], title="Regional cluster label", loc="lower left", fontsize=9,
              title_fontsize=9, framealpha=0.9)  # fmt: skip
    ax.set_title(
        f"Regional clusters in {year} by label: the {len(labels)} largest named ({dataset})"
    )
    note = "Albers equal-area projection; footprints overlap (darker = more clusters)."
    _add_note(ax, note, left_out)
    return fig


def static_lq_figure(
    regions: gpd.GeoDataFrame,
    strength: pd.DataFrame,
    cluster_code: str,
    settings: MapSettings,
    *,
    year: int | None = None,
    unit: str = "jobs",
    dataset: str = "",
    focus: tuple[float, float, float, float] | None = None,
):
    """Choropleth of one cluster's LQ in the fixed classes, the largest specialised regions named."""
    from matplotlib.patches import Patch

    year = latest_year(strength) if year is None else year
    rows = _cluster_rows(strength, cluster_code, year)
    cluster_name = str(rows["cluster_name"].iloc[0]) if len(rows) else cluster_code
    joined = regions.merge(
        rows[["region_id", "employment", "lq", "strong"]], on="region_id", how="left"
    )
    joined.loc[joined["employment"].fillna(0) <= 0, "lq"] = np.nan
    base, shown, crs, left_out = _projected_frames(
        regions, joined, focus, settings.simplify_tolerance, settings.coordinate_decimals
    )
    shown = shown.assign(colour=[
        NO_DATA_COLOUR if k < 0 else LQ_COLOURS[k] for k in lq_classes(shown["lq"], settings.lq_breaks)
    ])  # fmt: skip
    fig, ax = _map_axes(base)
    shown.plot(ax=ax, color=shown["colour"], edgecolor=BASE_STROKE, linewidth=0.15)
    legend = lq_legend(settings.lq_breaks)
    handles = [Patch(facecolor=e["colour"], edgecolor="#777777", label=e["label"]) for e in legend]
    ax.legend(handles=handles, title="Location quotient", loc="lower left", fontsize=9,
              title_fontsize=9, framealpha=0.9)  # fmt: skip
    specialised = shown[shown["lq"] >= settings.lq_breaks[2]].sort_values(
        "employment", ascending=False
    )
    points = specialised.geometry.representative_point()
    names = region_names(regions)
    candidates = pd.DataFrame({
        "x": points.x.to_numpy(), "y": points.y.to_numpy(),
        "text": [f"{short_place_name(names[r])}\nLQ {v:.1f}" for r, v in
                 zip(specialised["region_id"], specialised["lq"], strict=True)],
    })  # fmt: skip
    _label_map(fig, ax, base, candidates, settings)
    ax.set_title(f"{cluster_name} (cluster {cluster_code}): location quotient, {year} ({dataset})\n"
                 f"named: the largest regions with LQ >= {settings.lq_breaks[2]:g} by {unit}")  # fmt: skip
    note = "Albers equal-area projection."
    _add_note(ax, note, left_out)
    return fig


# ---------------------------------------------------------------------------------------------
# GIS export


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
