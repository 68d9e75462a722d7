"""The offline HTML page every interactive map is: vendored Leaflet, the map's GeoJSON inlined,
one renderer for every map (:func:`page_html`), shown in Jupyter by :class:`OfflineMap`.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from pipeline.config import MapSettings
from pipeline.maps.colours import BASE_FILL, BASE_STROKE, PAGE_BACKGROUND
from pipeline.maps.names import _escape, region_names
from pipeline.maps.web_geometry import _features, web_geometry

LEAFLET_VERSION = "1.9.4"


VENDOR = Path(__file__).parents[1] / "vendor"


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
    body = f"""<header><h1>{_escape(title)}</h1><p>{_escape(subtitle)}</p></header>
<div id="map"></div>"""
    return leaflet_document(title, PAGE_CSS, body, "map-data", spec, PAGE_SCRIPT)


def leaflet_document(title: str, css: str, body: str, data_id: str, data: Any, script: str) -> str:
    """One self-contained HTML file: vendored Leaflet, ``css``, ``body``, ``data`` as JSON
    (``<script type="application/json" id=data_id>``) and the ``script`` that renders it.

    The shell of every offline page (:func:`page_html`, :func:`pipeline.atlas.atlas_html`).
    """
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="regclust (Leaflet {LEAFLET_VERSION}, BSD-2-Clause)">
<title>{_escape(title)}</title>
<style>{vendored("leaflet/leaflet.css")}</style>
<style>{css}</style>
</head>
<body>
{body}
<script>{vendored("leaflet/leaflet.js")}</script>
<script type="application/json" id="{data_id}">{script_json(data)}</script>
<script>{script}</script>
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
