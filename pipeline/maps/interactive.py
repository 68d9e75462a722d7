"""The three interactive maps: regional clusters by label (:func:`clusters_map`), one cluster's
LQ in fixed classes (:func:`lq_map`) and its local Moran quadrants (:func:`lisa_map`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.config import MapSettings
from pipeline.maps.colours import (
    BASE_STROKE,
    LABEL_COLOURS,
    LQ_COLOURS,
    NO_DATA_COLOUR,
    QUADRANT_COLOURS,
)
from pipeline.maps.names import _escape, _number, _ratio, latest_year, region_names
from pipeline.maps.page import OfflineMap, _base_features, _style, page_html
from pipeline.maps.web_geometry import _features, web_geometry


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
