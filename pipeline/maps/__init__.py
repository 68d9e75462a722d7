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

Where things are: :mod:`~pipeline.maps.interactive` (the three Leaflet maps),
:mod:`~pipeline.maps.page` (the HTML page and its renderer), :mod:`~pipeline.maps.colours`,
:mod:`~pipeline.maps.web_geometry`, :mod:`~pipeline.maps.names` (names and numbers as printed),
:mod:`~pipeline.maps.static` (report figures), :mod:`~pipeline.maps.place_labels` and
:mod:`~pipeline.maps.gis` (GeoPackage layers).
"""

from pipeline.maps.colours import (
    BASE_FILL,
    BASE_STROKE,
    LABEL_COLOURS,
    LQ_COLOURS,
    NO_DATA_COLOUR,
    PAGE_BACKGROUND,
    QUADRANT_COLOURS,
)
from pipeline.maps.gis import gis_layers
from pipeline.maps.interactive import (
    cluster_popup,
    clusters_map,
    lisa_map,
    lq_classes,
    lq_legend,
    lq_map,
)
from pipeline.maps.names import _escape as _escape  # pipeline.atlas's page
from pipeline.maps.names import (
    industry_names,
    latest_year,
    leading_clusters,
    region_names,
    short_place_name,
)
from pipeline.maps.page import (
    LEAFLET_VERSION,
    PAGE_CSS,
    PAGE_SCRIPT,
    VENDOR,
    OfflineMap,
    leaflet_document,
    page_html,
    script_json,
    vendored,
)
from pipeline.maps.place_labels import (
    CHARACTER_WIDTH,
    LABEL_FONT_SIZE,
    LABEL_OFFSET,
    LINE_HEIGHT,
    place_labels,
)
from pipeline.maps.static import albers_for, static_clusters_figure, static_lq_figure, within_focus
from pipeline.maps.web_geometry import _features as _features  # pipeline.atlas's layers
from pipeline.maps.web_geometry import simplify_for_web, web_geometry, wrap_antimeridian

__all__ = [
    "BASE_FILL",
    "BASE_STROKE",
    "CHARACTER_WIDTH",
    "LABEL_COLOURS",
    "LABEL_FONT_SIZE",
    "LABEL_OFFSET",
    "LEAFLET_VERSION",
    "LINE_HEIGHT",
    "LQ_COLOURS",
    "NO_DATA_COLOUR",
    "OfflineMap",
    "PAGE_BACKGROUND",
    "PAGE_CSS",
    "PAGE_SCRIPT",
    "QUADRANT_COLOURS",
    "VENDOR",
    "albers_for",
    "cluster_popup",
    "clusters_map",
    "gis_layers",
    "industry_names",
    "latest_year",
    "leading_clusters",
    "lisa_map",
    "lq_classes",
    "lq_legend",
    "lq_map",
    "leaflet_document",
    "page_html",
    "place_labels",
    "region_names",
    "script_json",
    "short_place_name",
    "simplify_for_web",
    "static_clusters_figure",
    "static_lq_figure",
    "vendored",
    "web_geometry",
    "within_focus",
    "wrap_antimeridian",
]
