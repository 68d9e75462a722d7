"""Place labels on a static map, placed so that they do not overlap (:func:`place_labels`)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.maps.names import region_names, short_place_name

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
