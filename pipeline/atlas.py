"""An offline cluster atlas: one self-contained HTML page per dataset.

The page holds an overview map, a profile of every region, a page per benchmark cluster (with
its related clusters), a page per region group and rankings, switched by the URL fragment
(``#region/19820``, ``#cluster/1``, ``#group/2019-2``, ``#rankings``) with a search box over
region and cluster names. Leaflet and every table are inlined, so the file opens
from disk (``file://``) or any static web host with no server and no network: a development
agency can publish it as is.

:func:`atlas_data` gathers the tables into one JSON-ready dictionary; :func:`atlas_html` renders
it. Neither touches disk; the ``maps`` stage writes ``atlas/index.html``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from pipeline import maps
from pipeline.config import MapSettings

# A region's page: the region itself, and the regions sharing a regional cluster with it
# (ColorBrewer Paired purples, distinct from the label and LQ colours).
HIGHLIGHT_COLOUR = "#6a3d9a"
PARTNER_COLOUR = "#cab2d6"


def _rounded(values: pd.Series, decimals: int) -> list[float | None]:
    return [_num(v, decimals) for v in values.to_numpy(dtype=float)]


def _num(value: Any, decimals: int = 0) -> float | int | None:
    """A JSON number: rounded, None when missing (JSON has no NaN)."""
    if value is None or pd.isna(value):
        return None
    return round(float(value)) if decimals == 0 else round(float(value), decimals)


def atlas_data(
    regions: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    strength: pd.DataFrame,
    quotients: pd.DataFrame,
    settings: MapSettings,
    *,
    dataset: str,
    description: str = "",
    measure: str = "employment",
    unit: str = "jobs",
    titles: dict[str, str] | None = None,
    focus: tuple[float, float, float, float] | None = None,
    groups: pd.DataFrame | None = None,
    related: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Everything the atlas page shows, for the latest year (and the first, in a panel).

    Parameters
    ----------
    regions : regions.parquet (region_id, name, geometry).
    clusters : regional_clusters.parquet.
    strength : cluster_strength.parquet (every year).
    quotients : location_quotients rows of the latest year at the cluster-definition level
        (six-digit NAICS, sections), used for a region's top industries by LQ.
    settings : the ``maps`` section of params.yaml.
    titles : industry_code -> title; codes without a title are shown bare.
    groups : region_groups.parquet (region_id, year, group_id, group_regions,
        group_employment, dominant_cluster_codes / _names / _lqs), optional: the region
        groups of the latest year.
    related : related-cluster pairs (cluster_code, related_cluster_code,
        related_percentage; the US Cluster Mapping table), optional.

    Returns
    -------
    dict with ``meta``, ``regions`` (id, name, total, top clusters, industries, regional
    clusters, change, group), ``clusters`` (benchmark clusters with per-region LQs and
    related clusters), ``regional`` (regional clusters of the year), ``groups`` (region
    groups: id, member regions, employment, dominant clusters) and ``geometry``
    (simplified GeoJSON).
    """
    titles = titles or {}
    year = maps.latest_year(strength)
    first_year = int(strength["year"].min())
    names = maps.region_names(regions)
    shapes = maps.web_geometry(regions, settings.simplify_tolerance, settings.coordinate_decimals)
    region_ids = list(regions["region_id"])
    index = {region: i for i, region in enumerate(region_ids)}

    current = strength[(strength["year"] == year) & (strength["cluster_type"] == "traded")]
    totals = current.groupby("region_id")["region_employment"].first()
    cluster_table = (
        current.groupby(["cluster_code", "cluster_name"], as_index=False)
        .agg(employment=("employment", "sum"), strong=("strong", "sum"))
        .sort_values("employment", ascending=False, ignore_index=True)
    )

    regional = clusters[clusters["year"] == year].sort_values("employment", ascending=False)
    regional_rows = [
        {
            "id": row.regional_cluster_id,
            "code": row.cluster_code,
            "name": row.cluster_name,
            "label": row.label,
            "tech": _num(row.technology_score, 3),
            "regions": [index[r] for r in row.region_ids if r in index],
            "employment": _num(row.employment),
            "lq": _num(row.lq, 2),
            "stars": int(row.max_stars),
            "industries": [[c, titles.get(c, "")] for c in row.top_industries],
        }
        for row in regional.itertuples()
    ]
    membership: dict[int, list[int]] = {}
    for position, row in enumerate(regional_rows):
        for region in row["regions"]:
            membership.setdefault(region, []).append(position)

    per_cluster = {}
    for code, rows in current.groupby("cluster_code", sort=False):
        rows = rows[rows["region_id"].isin(index)]
        per_cluster[code] = {
            "r": [index[r] for r in rows["region_id"]],
            "lq": _rounded(rows["lq"], 2),
            "e": _rounded(rows["employment"], 0),
            "s": [int(v) for v in rows["stars"]],
            "k": [bool(v) for v in rows["strong"]],
        }

    first = strength[(strength["year"] == first_year) & (strength["cluster_type"] == "traded")]
    first_lq = first.set_index(["region_id", "cluster_code"])["lq"]

    top_industries: dict[str, list[list[Any]]] = {}
    if len(quotients):
        sized = quotients[quotients["employment"] >= settings.atlas_industry_min_employment]
        ranked = (
            sized.sort_values("lq", ascending=False)
            .groupby("region_id")
            .head(settings.atlas_industries)
        )
        for region, rows in ranked.groupby("region_id"):
            top_industries[region] = [
                [code, titles.get(code, ""), _num(lq, 2), _num(e)]
                for code, lq, e in zip(
                    rows["industry_code"], rows["lq"], rows["employment"], strict=True
                )
            ]

    region_rows = []
    for position, region in enumerate(region_ids):
        region_rows.append(
            {
                "id": region,
                "name": str(names[region]),
                "total": _num(totals.get(region)),
                "industries": top_industries.get(region, []),
                "regional": membership.get(position, []),
            }
        )
    # Top clusters by LQ per region, with the change since the first year in a panel.
    ranked = current[current["region_id"].isin(index)].sort_values("lq", ascending=False)
    for region, rows in ranked.groupby("region_id", sort=False):
        top = rows.head(settings.atlas_clusters)
        entry = region_rows[index[region]]
        entry["clusters"] = [
            [
                code,
                _num(lq, 2),
                _num(e),
                int(stars),
                bool(strong),
                None
                if first_year == year or (region, code) not in first_lq.index
                else _num(first_lq[(region, code)], 2),
            ]
            for code, lq, e, stars, strong in zip(
                top["cluster_code"],
                top["lq"],
                top["employment"],
                top["stars"],
                top["strong"],
                strict=True,
            )
        ]
        entry["strong"] = int(rows["strong"].sum())

    group_rows = _group_rows(groups, year, index)
    for position, group in enumerate(group_rows):
        for region in group["regions"]:
            region_rows[region]["group"] = position
    related_codes = _related_rows(related, set(cluster_table["cluster_code"]))

    properties = [{"i": index[r]} for r in shapes["region_id"]]
    return {
        "meta": {
            "dataset": dataset,
            "description": description,
            "measure": measure,
            "unit": unit,
            "year": year,
            "firstYear": first_year,
            "regions": len(region_ids),
            "regionalClusters": len(regional_rows),
            "labels": maps.LABEL_COLOURS,
            "lqBreaks": list(settings.lq_breaks),
            "lqColours": list(maps.LQ_COLOURS),
            "noData": maps.NO_DATA_COLOUR,
            "highlight": HIGHLIGHT_COLOUR,
            "partner": PARTNER_COLOUR,
            "baseFill": maps.BASE_FILL,
            "baseStroke": maps.BASE_STROKE,
            "focus": None if focus is None else [[focus[1], focus[0]], [focus[3], focus[2]]],
            "leaflet": maps.LEAFLET_VERSION,
        },
        "clusters": [
            {
                "code": row.cluster_code,
                "name": row.cluster_name,
                "employment": _num(row.employment),
                "strong": int(row.strong),
                **per_cluster.get(row.cluster_code, {"r": [], "lq": [], "e": [], "s": [], "k": []}),
                "related": related_codes.get(row.cluster_code, []),
            }
            for row in cluster_table.itertuples()
        ],
        "regional": regional_rows,
        "groups": group_rows,
        "regions": region_rows,
        "geometry": {
            "type": "FeatureCollection",
            "features": maps._features(shapes.geometry, properties),
        },
    }


GROUP_COLUMNS = [
    "region_id",
    "year",
    "group_id",
    "group_employment",
    "dominant_cluster_codes",
    "dominant_cluster_names",
    "dominant_cluster_lqs",
]
"""The columns of region_groups.parquet the atlas reads (no geometry)."""


def _listed(value: Any) -> list:
    """A list column's cell (list, array or missing) as a list."""
    if value is None or (not hasattr(value, "__len__") and pd.isna(value)):
        return []
    return list(value)


def _group_rows(
    groups: pd.DataFrame | None, year: int, index: dict[str, int]
) -> list[dict[str, Any]]:
    """The region groups of ``year`` (all rows when the table has no year), largest first."""
    if groups is None or groups.empty:
        return []
    rows = groups
    if "year" in rows.columns and (rows["year"] == year).any():
        rows = rows[rows["year"] == year]
    rows = rows[rows["region_id"].isin(index)]
    result = []
    for group_id, members in rows.groupby("group_id", sort=False):
        first = members.iloc[0]
        codes, names, lqs = (
            _listed(first.get(f"dominant_cluster_{part}")) for part in ("codes", "names", "lqs")
        )
        result.append(
            {
                "id": str(group_id),
                "regions": [index[r] for r in members["region_id"]],
                "employment": _num(first.get("group_employment")),
                "dominant": [
                    [str(code), str(name), _num(lq, 2)]
                    for code, name, lq in zip(codes, names, lqs, strict=False)
                ],
            }
        )
    return sorted(result, key=lambda group: -(group["employment"] or 0))


def _related_rows(related: pd.DataFrame | None, codes: set[str]) -> dict[str, list[list[Any]]]:
    """cluster_code -> [[related code, percentile], ...], most related first (codes shown only)."""
    if related is None or related.empty:
        return {}
    pairs = related[
        related["cluster_code"].isin(codes) & related["related_cluster_code"].isin(codes)
    ]
    pairs = pairs.sort_values(["cluster_code", "related_percentage"], ascending=[True, False])
    return {
        str(code): [
            [str(other), _num(percentile)]
            for other, percentile in zip(
                rows["related_cluster_code"], rows["related_percentage"], strict=True
            )
        ]
        for code, rows in pairs.groupby("cluster_code", sort=False)
    }


ATLAS_CSS = """
html, body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica,
  Arial, sans-serif; color: #222; background: #fff; }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 8px 16px;
  background: #1f3a5f; color: #fff; }
header h1 { font-size: 18px; margin: 0 12px 0 0; }
header a { color: #fff; margin-right: 10px; }
header input { width: 280px; padding: 4px 6px; font-size: 14px; }
main { display: flex; flex-wrap: wrap; }
#map { flex: 1 1 520px; height: calc(100vh - 52px); min-height: 420px; background: #fff; }
#page { flex: 1 1 420px; max-height: calc(100vh - 52px); overflow-y: auto; padding: 8px 18px; }
h2 { font-size: 18px; margin: 8px 0; } h3 { font-size: 15px; margin: 14px 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eee; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.tag { display: inline-block; white-space: nowrap; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 12px; }
.legend { background: rgba(255,255,255,.92); padding: 6px 8px; border-radius: 4px;
  box-shadow: 0 0 4px rgba(0,0,0,.3); font-size: 12px; line-height: 18px; }
.legend i { display: inline-block; width: 14px; height: 12px; margin-right: 6px;
  vertical-align: -1px; border: 1px solid #777; }
.muted { color: #666; font-size: 12px; }
footer { padding: 8px 0 16px; color: #666; font-size: 12px; }
"""

ATLAS_SCRIPT = r"""
(function () {
  var D = JSON.parse(document.getElementById('atlas-data').textContent);
  var M = D.meta, page = document.getElementById('page');
  var bare = window.location.hash === '#bare';
  var clusterByCode = {}; D.clusters.forEach(function (c) { clusterByCode[c.code] = c; });
  var regionById = {}; D.regions.forEach(function (r, i) { r.index = i; regionById[r.id] = r; });
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]; }); }
  function num(v) { return v === null || v === undefined ? 'n/a' : Math.round(v).toLocaleString('en-US'); }
  function ratio(v) { return v === null || v === undefined ? 'n/a' : v.toFixed(2); }
  function tag(label) { return '<span class="tag" style="background:' + M.labels[label] + '">' +
    esc(label) + '</span>'; }
  function regionLink(i) { var r = D.regions[i]; return '<a href="#region/' + encodeURIComponent(r.id) +
    '">' + esc(r.name) + '</a>'; }
  function clusterLink(code) { var c = clusterByCode[code]; return '<a href="#cluster/' +
    encodeURIComponent(code) + '">' + esc(c ? c.name : code) + '</a>'; }
  function groupLink(k) { return '<a href="#group/' + encodeURIComponent(D.groups[k].id) +
    '">group ' + esc(D.groups[k].id) + '</a>'; }
  function dominant(g) { return g.dominant.map(function (d) { return (clusterByCode[d[0]] ?
    clusterLink(d[0]) : esc(d[1])) + ' (LQ ' + ratio(d[2]) + ')'; }).join(', ') || 'n/a'; }
  var groupById = {}; D.groups.forEach(function (g, k) { g.index = k; groupById[g.id] = g; });
  function lqColour(v) {
    if (v === null || v === undefined) { return M.noData; }
    var k = 0; while (k < M.lqBreaks.length && v >= M.lqBreaks[k]) { k++; } return M.lqColours[k];
  }
  function table(head, rows) {
    return '<table><tr>' + head.map(function (h) { return '<th' + (h[1] ? ' class="n"' : '') + '>' +
      h[0] + '</th>'; }).join('') + '</tr>' + rows.map(function (r) { return '<tr>' +
      r.map(function (v, j) { return '<td' + (head[j][1] ? ' class="n"' : '') + '>' + v + '</td>'; })
      .join('') + '</tr>'; }).join('') + '</table>';
  }

  // The map: one layer of region polygons, restyled by each view.
  var map = L.map('map', {preferCanvas: true, zoomSnap: 0.25});
  map.attributionControl.setPrefix('Leaflet ' + M.leaflet + ' (offline) | regclust');
  var styleOf = function () { return {}; };
  var shapes = L.geoJSON(D.geometry, {
    style: function (f) { return styleOf(f.properties.i); },
    onEachFeature: function (f, layer) {
      layer.on('click', function () { location.hash = 'region/' + encodeURIComponent(D.regions[f.properties.i].id); });
      layer.bindTooltip(function () { return esc(D.regions[f.properties.i].name); }, {sticky: true});
    }
  }).addTo(map);
  var home = M.focus ? L.latLngBounds(M.focus) : shapes.getBounds();
  map.fitBounds(home, {padding: [6, 6]});
  var legend = L.control({position: 'bottomright'}), legendDiv = null;
  legend.onAdd = function () { legendDiv = L.DomUtil.create('div', 'legend'); return legendDiv; };
  legend.addTo(map);
  if (bare) { document.querySelector('.leaflet-control-container').style.display = 'none'; }
  function paint(fn, title, entries) {
    styleOf = fn; shapes.setStyle(function (f) { return fn(f.properties.i); });
    legendDiv.innerHTML = '<b>' + title + '</b><br>' + entries.map(function (e) {
      return '<i style="background:' + e[1] + '"></i>' + esc(e[0]); }).join('<br>');
  }
  function base(fill) { return {color: M.baseStroke, weight: 0.5, fillColor: fill, fillOpacity: 1}; }
  function lqLegend() {
    var e = [['< ' + M.lqBreaks[0], M.lqColours[0]]];
    for (var k = 1; k < M.lqBreaks.length; k++) { e.push([M.lqBreaks[k - 1] + ' to < ' + M.lqBreaks[k], M.lqColours[k]]); }
    e.push(['>= ' + M.lqBreaks[M.lqBreaks.length - 1], M.lqColours[M.lqBreaks.length]]);
    return e.reverse().concat([['no employment', M.noData]]);
  }

  // Overview: each region coloured by the label of the largest regional cluster it hosts.
  var leading = {};
  D.regional.forEach(function (c) { c.regions.forEach(function (i) { if (!(i in leading)) { leading[i] = c.label; } }); });
  function overview() {
    paint(function (i) { return base(leading[i] ? M.labels[leading[i]] : M.baseFill); },
      'Label of the largest regional cluster', Object.keys(M.labels).map(function (l) {
        return [l, M.labels[l]]; }).concat([['no regional cluster', M.baseFill]]));
    map.fitBounds(home, {padding: [6, 6]});
    var counts = {}; D.regional.forEach(function (c) { counts[c.label] = (counts[c.label] || 0) + 1; });
    page.innerHTML = '<h2>' + esc(M.dataset) + ': regional clusters, ' + M.year + '</h2><p>' +
      esc(M.description) + '</p><p>' + M.regions.toLocaleString('en-US') + ' regions, ' +
      M.regionalClusters.toLocaleString('en-US') + ' regional clusters (' + Object.keys(M.labels).map(function (l) {
        return tag(l) + ' ' + (counts[l] || 0); }).join(' ') + '). Measure: ' + esc(M.measure) +
      ' (' + esc(M.unit) + ').</p><p>Click a region on the map, search by name above, or open the ' +
      '<a href="#rankings">rankings</a>.</p><h3>Benchmark clusters</h3>' +
      table([['Cluster'], ['Regions strong', 1], ['Total (' + esc(M.unit) + ')', 1]], D.clusters.map(function (c) {
        return [clusterLink(c.code), c.strong, num(c.employment)]; }));
  }

  function regionView(r) {
    var mine = {}; r.regional.forEach(function (k) { D.regional[k].regions.forEach(function (i) { mine[i] = 1; }); });
    paint(function (i) { return i === r.index ? base(M.highlight) : base(mine[i] ? M.partner : M.baseFill); },
      esc(r.name), [['this region', M.highlight], ['in a regional cluster with it', M.partner]]);
    shapes.eachLayer(function (l) { if (l.feature.properties.i === r.index) { map.fitBounds(l.getBounds(), {maxZoom: 7, padding: [60, 60]}); } });
    var panel = M.firstYear !== M.year;
    var html = '<h2>' + esc(r.name) + ' <span class="muted">' + esc(r.id) + '</span></h2>' +
      '<p>Total ' + esc(M.measure) + ' ' + M.year + ': <b>' + num(r.total) + '</b> ' + esc(M.unit) +
      '; strong traded clusters: <b>' + (r.strong || 0) + '</b></p><h3>Strongest clusters by LQ</h3>';
    var head = [['Cluster'], ['LQ', 1], [esc(M.unit), 1], ['Stars', 1], ['Strong']];
    if (panel) { head.push(['LQ ' + M.firstYear, 1]); }
    html += table(head, (r.clusters || []).map(function (c) {
      var row = [clusterLink(c[0]), ratio(c[1]), num(c[2]), '★'.repeat(c[3]) || '-', c[4] ? 'yes' : ''];
      if (panel) { row.push(ratio(c[5])); } return row; }));
    html += '<h3>Regional clusters it belongs to</h3>' + (r.regional.length ? table(
      [['Cluster'], ['Label'], ['Regions', 1], [esc(M.unit), 1], ['LQ', 1]], r.regional.map(function (k) {
        var c = D.regional[k]; return [clusterLink(c.code), tag(c.label), c.regions.length, num(c.employment), ratio(c.lq)]; }))
      : '<p class="muted">none</p>');
    if (r.group !== undefined) { var g = D.groups[r.group];
      html += '<h3>Region group</h3><p>' + groupLink(r.group) + ': ' + g.regions.length + ' regions, ' +
        num(g.employment) + ' ' + esc(M.unit) + '; dominant clusters: ' + dominant(g) + '</p>'; }
    html += '<h3>Top industries by LQ</h3>' + (r.industries.length ? table(
      [['Industry'], ['LQ', 1], [esc(M.unit), 1]], r.industries.map(function (d) {
        return [esc(d[0]) + (d[1] ? ' ' + esc(d[1]) : ''), ratio(d[2]), num(d[3])]; }))
      : '<p class="muted">no industry above the size threshold</p>');
    page.innerHTML = html;
  }

  function clusterView(c) {
    var lq = {}; c.r.forEach(function (i, j) { lq[i] = j; });
    paint(function (i) { return base(i in lq ? lqColour(c.lq[lq[i]]) : M.noData); },
      'LQ of ' + c.name, lqLegend());
    map.fitBounds(home, {padding: [6, 6]});
    var order = c.r.map(function (i, j) { return j; }).sort(function (a, b) { return (c.e[b] || 0) - (c.e[a] || 0); });
    var top = order.slice(0, 25);
    var html = '<h2>' + esc(c.name) + ' <span class="muted">cluster ' + esc(c.code) + '</span></h2><p>' +
      num(c.employment) + ' ' + esc(M.unit) + ' in ' + M.year + '; strong in ' + c.strong + ' regions.</p>' +
      '<h3>Leading regions</h3>' + table([['Region'], [esc(M.unit), 1], ['LQ', 1], ['Stars', 1], ['Strong']],
        top.map(function (j) { return [regionLink(c.r[j]), num(c.e[j]), ratio(c.lq[j]), '★'.repeat(c.s[j]) || '-', c.k[j] ? 'yes' : '']; }));
    var regional = D.regional.filter(function (g) { return g.code === c.code; });
    html += '<h3>Its regional clusters</h3>' + (regional.length ? table(
      [['Regions'], ['Label'], [esc(M.unit), 1], ['LQ', 1], ['Top industries']], regional.map(function (g) {
        return [g.regions.slice(0, 6).map(regionLink).join('; ') + (g.regions.length > 6 ? ' and ' + (g.regions.length - 6) + ' more' : ''),
          tag(g.label), num(g.employment), ratio(g.lq), g.industries.map(function (d) { return esc(d[0]) + (d[1] ? ' ' + esc(d[1]) : ''); }).join('<br>')]; }))
      : '<p class="muted">none</p>');
    html += '<h3>Related clusters</h3>' + (c.related.length ? table([['Cluster'], ['Relatedness percentile', 1]],
      c.related.map(function (d) { return [clusterLink(d[0]), d[1] === null ? 'n/a' : d[1]]; })) +
      '<p class="muted">US Cluster Mapping related clusters (Delgado, Porter &amp; Stern 2016).</p>'
      : '<p class="muted">none listed</p>');
    page.innerHTML = html;
  }

  function groupView(g) {
    var members = {}; g.regions.forEach(function (i) { members[i] = 1; });
    paint(function (i) { return base(members[i] ? M.highlight : M.baseFill); },
      'Region group ' + g.id, [['in the group', M.highlight]]);
    map.fitBounds(home, {padding: [6, 6]});
    var order = g.regions.slice().sort(function (a, b) { return (D.regions[b].total || 0) - (D.regions[a].total || 0); });
    page.innerHTML = '<h2>Region group ' + esc(g.id) + '</h2><p>' + g.regions.length + ' contiguous regions with a similar ' +
      'cluster mix, ' + num(g.employment) + ' ' + esc(M.unit) + '.</p><h3>Dominant clusters</h3><p>' + dominant(g) +
      '</p><h3>Largest regions</h3>' + table([['Region'], ['Total', 1]], order.slice(0, 25).map(function (i) {
        return [regionLink(i), num(D.regions[i].total)]; }));
  }

  function rankings() {
    overview();
    var byStrong = D.regions.filter(function (r) { return r.strong; }).sort(function (a, b) { return b.strong - a.strong; }).slice(0, 25);
    var html = '<h2>Rankings, ' + M.year + '</h2>';
    Object.keys(M.labels).forEach(function (label) {
      var rows = D.regional.filter(function (g) { return g.label === label; }).slice(0, 10);
      html += '<h3>Largest ' + tag(label) + ' regional clusters</h3>' + (rows.length ? table(
        [['Cluster'], ['Regions'], [esc(M.unit), 1], ['LQ', 1]], rows.map(function (g) {
          return [clusterLink(g.code), g.regions.slice(0, 4).map(regionLink).join('; ') + (g.regions.length > 4 ? ' …' : ''), num(g.employment), ratio(g.lq)]; }))
        : '<p class="muted">none</p>');
    });
    html += '<h3>Regions with the most strong clusters</h3>' + table([['Region'], ['Strong clusters', 1], ['Total', 1]],
      byStrong.map(function (r) { return [regionLink(r.index), r.strong, num(r.total)]; }));
    if (D.groups.length) {
      html += '<h3>Region groups</h3>' + table([['Group'], ['Regions', 1], [esc(M.unit), 1], ['Dominant clusters']],
        D.groups.map(function (g) { return [groupLink(g.index), g.regions.length, num(g.employment), dominant(g)]; }));
    }
    page.innerHTML = html;
  }

  function route() {
    var hash = decodeURIComponent(location.hash.replace(/^#/, ''));
    var slash = hash.indexOf('/'), kind = slash < 0 ? hash : hash.slice(0, slash), id = hash.slice(slash + 1);
    if (kind === 'region' && regionById[id]) { regionView(regionById[id]); }
    else if (kind === 'cluster' && clusterByCode[id]) { clusterView(clusterByCode[id]); }
    else if (kind === 'group' && groupById[id]) { groupView(groupById[id]); }
    else if (kind === 'rankings') { rankings(); }
    else { overview(); }
    page.insertAdjacentHTML('beforeend', '<footer>regclust atlas of ' + esc(M.dataset) + '. Data: the ' +
      'published regclust tables; LQ = (e_rc / e_r) / (e_c / E). Offline page (Leaflet ' + M.leaflet + ', BSD-2-Clause).</footer>');
    page.scrollTop = 0;
  }
  window.addEventListener('hashchange', route);

  // Search: region and cluster names, case-insensitive; Enter opens the first match.
  var list = document.getElementById('names'), input = document.getElementById('search');
  var entries = D.regions.map(function (r) { return [r.name + ' (' + r.id + ')', 'region/' + r.id]; })
    .concat(D.clusters.map(function (c) { return [c.name + ' (cluster ' + c.code + ')', 'cluster/' + c.code]; }));
  list.innerHTML = entries.map(function (e) { return '<option value="' + esc(e[0]) + '">'; }).join('');
  function find(text) { text = text.toLowerCase(); for (var k = 0; k < entries.length; k++) {
    if (entries[k][0].toLowerCase() === text) { return entries[k][1]; } }
    for (k = 0; k < entries.length; k++) { if (entries[k][0].toLowerCase().indexOf(text) >= 0) { return entries[k][1]; } }
    return null; }
  input.addEventListener('change', function () { var target = find(input.value); if (target) { location.hash = target; } });
  input.addEventListener('keydown', function (e) { if (e.key === 'Enter') { var t = find(input.value); if (t) { location.hash = t; } } });
  route();
  document.body.setAttribute('data-rendered', 'yes');
})();
"""


def atlas_html(data: dict[str, Any]) -> str:
    """The atlas page: Leaflet, the data of :func:`atlas_data` and the viewer, in one file."""
    meta = data["meta"]
    title = f"Cluster atlas: {meta['dataset']}"
    body = f"""<header><h1>{maps._escape(title)}</h1>
<a href="#">Overview</a><a href="#rankings">Rankings</a>
<input id="search" list="names" placeholder="Search a region or cluster" aria-label="Search">
<datalist id="names"></datalist></header>
<main><div id="map"></div><div id="page"></div></main>"""
    return maps.leaflet_document(title, ATLAS_CSS, body, "atlas-data", data, ATLAS_SCRIPT)
