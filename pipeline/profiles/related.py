"""Relatedness questions: the clusters related to a cluster (US Cluster Mapping, Delgado, Porter &
Stern 2016) and the industries related to an industry (an industry relatedness table).
"""

from __future__ import annotations

import pandas as pd


def related_clusters(
    cluster_code: str,
    related: pd.DataFrame,
    cluster_names: pd.Series,
) -> pd.DataFrame:
    """Clusters related to ``cluster_code`` in the US Cluster Mapping definitions.

    Delgado, Porter & Stern (2016, *J. Econ. Geogr.* 16(1) 1-38) link two clusters when
    their industries are related by co-location, input-output and occupation ties; the CMP
    publishes for each pair ``related_percentage`` (the percentile of the pair's
    relatedness among all cluster pairs), ``related_avg`` and ``related_min`` (the mean and
    minimum relatedness of their industry pairs) and ``related_90`` (1 when the pair is in
    the top decile).

    Returns
    -------
    DataFrame
        related_cluster_code, related_cluster_name, related_percentage, related_avg,
        related_min, related_90, strongest first.
    """
    rows = related[related["cluster_code"] == cluster_code]
    rows = rows.sort_values(["related_percentage", "related_avg"], ascending=False)
    result = pd.DataFrame(
        {
            "related_cluster_code": rows["related_cluster_code"].to_numpy(),
            "related_cluster_name": rows["related_cluster_code"].map(cluster_names).to_numpy(),
        }
    )
    for column in ("related_percentage", "related_avg", "related_min", "related_90"):
        result[column] = rows[column].to_numpy()
    return result


def related_industries(
    industry_code: str,
    relatedness: pd.DataFrame,
    titles: pd.Series,
    top: int = 10,
) -> pd.DataFrame:
    """Industries related to ``industry_code`` in an industry relatedness table.

    ``relatedness`` has one row per industry pair: industry_code, related_code, combined
    (and the component measures), as written by the relatedness stage.

    Returns
    -------
    DataFrame
        related_code, related_name, combined (and any other numeric columns), by combined.
    """
    rows = relatedness[relatedness["industry_code"] == industry_code]
    rows = rows.sort_values("combined", ascending=False).head(top)
    named = [
        column for column in ("industry_code", "industry_name", "related_name") if column in rows
    ]
    result = rows.drop(columns=named).reset_index(drop=True)
    result.insert(1, "related_name", result["related_code"].map(titles).to_numpy())
    return result
