"""Static maps for reports: matplotlib figures in an Albers equal-area projection fitted to the
data, with a few place labels (:func:`static_clusters_figure`, :func:`static_lq_figure`).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.config import MapSettings
from pipeline.maps.colours import BASE_FILL, BASE_STROKE, LABEL_COLOURS, LQ_COLOURS, NO_DATA_COLOUR
from pipeline.maps.interactive import _cluster_rows, lq_classes, lq_legend
from pipeline.maps.names import latest_year, region_names, short_place_name
from pipeline.maps.place_labels import (
    _draw_labels,
    _label_candidates,
    _metres_per_point,
    place_labels,
)
from pipeline.maps.web_geometry import web_geometry


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
