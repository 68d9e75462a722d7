"""The region_groups stage's library call: the groups of the years params ``region_groups.years``
names, and their scores as JSON (:func:`group_regions`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components
from sklearn.metrics import adjusted_rand_score

from pipeline.clusters.region_groups.contiguity import (
    connectivity_matrix,
    contiguity_graph,
    is_contiguous,
)
from pipeline.clusters.region_groups.dominant import region_group_table
from pipeline.clusters.region_groups.grouper import RegionGrouper
from pipeline.clusters.region_groups.kmeans import kmeans_groups
from pipeline.clusters.region_groups.profiles import cluster_profiles
from pipeline.clusters.region_groups.scores import SCORES

if TYPE_CHECKING:
    from libpysal.graph import Graph

    from pipeline.config import RegionGroupSettings


def group_regions(
    strength: pd.DataFrame,
    weights: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    settings: RegionGroupSettings,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Specialisation regions of the chosen years, and their scores.

    Parameters
    ----------
    strength : DataFrame
        cluster_strength rows.
    weights : DataFrame
        spatial_weights: focal, neighbor, weight.
    regions : GeoDataFrame
        region_id, name, geometry.
    settings : RegionGroupSettings
        params.yaml ``region_groups``.

    Returns
    -------
    table : GeoDataFrame
        :func:`region_group_table` rows of every grouped year.
    metrics : dict
        Per year: regions, isolates, components, the chosen count and scores of the
        contiguous Ward grouping and of KMeans, their score curves, the adjusted Rand
        index between them, the share of KMeans groups that happen to be contiguous, the
        largest groups with their dominant clusters.
    """
    years = sorted(int(year) for year in strength["year"].unique())
    if settings.years == "last":
        years = years[-1:]
    tables, by_year = [], {}
    for year in years:
        profile = cluster_profiles(
            strength,
            year,
            cluster_types=settings.cluster_types,
            transform=settings.transform,
            standardise=settings.standardise,
        )
        graph = contiguity_graph(weights, profile.index)
        values = profile.to_numpy()
        n_groups = tuple(settings.n_groups) if len(settings.n_groups) > 1 else settings.n_groups[0]
        grouper = RegionGrouper(
            n_groups=n_groups,
            linkage=settings.linkage,
            connectivity=graph.sparse,
            scoring=settings.score,
            min_mean_size=settings.min_mean_size,
            max_group_share=settings.max_group_share,
        ).fit(values)
        if not is_contiguous(grouper.labels_, graph):  # the algorithm's invariant
            raise RuntimeError(f"{year}: a region group is not contiguous")
        kmeans_labels, kmeans_scores = kmeans_groups(
            values,
            n_groups,
            score=settings.score,
            random_state=settings.random_state,
            n_init=settings.kmeans_n_init,
            min_mean_size=settings.min_mean_size,
            max_group_share=settings.max_group_share,
        )
        table = region_group_table(
            strength,
            regions,
            year,
            profile,
            grouper.labels_,
            kmeans_labels,
            cluster_types=settings.cluster_types,
            top=settings.dominant_clusters,
        )
        tables.append(table)
        by_year[str(year)] = _year_metrics(grouper, kmeans_labels, kmeans_scores, graph, table)
    combined = pd.concat(tables, ignore_index=True)
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=regions.crs), by_year


def _year_metrics(
    grouper: RegionGrouper,
    kmeans_labels: np.ndarray,
    kmeans_scores: pd.DataFrame,
    graph: Graph,
    table: gpd.GeoDataFrame,
    largest: int = 5,
) -> dict[str, Any]:
    """The scores of one year's groupings, as plain JSON types."""
    chosen = grouper.scores_.set_index("n_groups")
    k_kmeans = int(len(np.unique(kmeans_labels)))
    kmeans_chosen = kmeans_scores.set_index("n_groups")
    adjacency = connectivity_matrix(graph, len(kmeans_labels))
    contiguous = [
        connected_components(
            adjacency[np.flatnonzero(kmeans_labels == g)][:, np.flatnonzero(kmeans_labels == g)],
            directed=False,
        )[0]
        == 1
        for g in np.unique(kmeans_labels)
    ]
    groups = table.drop_duplicates("group_id").sort_values(
        ["group_employment", "group_id"], ascending=[False, True]
    )

    def number(value: Any) -> float | None:
        return None if pd.isna(value) else round(float(value), 6)

    def curve(scores: pd.DataFrame) -> list[dict[str, Any]]:
        return [
            {
                "n_groups": int(row["n_groups"]),
                **{name: number(row[name]) for name in (*SCORES, "largest_share")},
            }
            for _, row in scores.iterrows()
        ]

    return {
        "regions": int(len(grouper.labels_)),
        "isolates": grouper.n_isolates_,
        "components": grouper.n_components_,
        "score": grouper.scoring,
        "ward": {
            "n_groups": grouper.n_groups_,
            "groups_with_isolates": int(len(np.unique(grouper.labels_))),
            **{
                name: number(chosen.loc[grouper.n_groups_, name]) if len(chosen) else None
                for name in SCORES
            },
            "contiguous": True,
            "scores": curve(grouper.scores_),
        },
        "kmeans": {
            "n_groups": k_kmeans,
            **{name: number(kmeans_chosen.loc[k_kmeans, name]) for name in SCORES},
            "contiguous_share": round(float(np.mean(contiguous)), 6),
            "scores": curve(kmeans_scores),
        },
        "adjusted_rand_ward_kmeans": round(
            float(adjusted_rand_score(grouper.labels_, kmeans_labels)), 6
        ),
        "largest_groups": [
            {
                "group_id": row["group_id"],
                "regions": int(row["group_regions"]),
                "employment": float(row["group_employment"]),
                "dominant_clusters": list(row["dominant_cluster_names"]),
            }
            for _, row in groups.head(largest).iterrows()
        ],
    }
