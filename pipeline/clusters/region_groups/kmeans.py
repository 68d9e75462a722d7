"""The unconstrained comparison: KMeans groups of the same profiles, k chosen by the same score
(:func:`kmeans_groups`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_array
from threadpoolctl import threadpool_limits

from pipeline.clusters.region_groups.scores import (
    SCORES,
    _best,
    _largest_share,
    _score,
    group_count_range,
)
from pipeline.errors import UserError


def kmeans_groups(
    profile: np.ndarray | pd.DataFrame,
    n_groups: int | Sequence[int],
    *,
    score: str,
    random_state: int | None,
    n_init: int,
    min_mean_size: float,
    max_group_share: float,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Unconstrained KMeans grouping of the profiles, k chosen by the same score.

    Parameters
    ----------
    profile : array (n_regions, n_clusters)
    n_groups : int or (int, int)
        Number of groups or the inclusive range searched (clipped to 2..n - 1).
    score : {"silhouette", "calinski_harabasz"}
    random_state : int or None
        Seed of KMeans' k-means++ initialisations.
    n_init : int
        KMeans restarts per k (the best inertia is kept).
    min_mean_size, max_group_share : float
        Cap the range and guard the choice as :class:`RegionGrouper` does.

    Returns
    -------
    labels : ndarray of int
    scores : DataFrame
        n_groups, silhouette, calinski_harabasz, largest_share, inertia for every k searched.

    Notes
    -----
    KMeans minimises the within-group sum of squares sum_g sum_{i in g} ||x_i - mean_g||^2
    (Lloyd 1982) with k-means++ seeding (Arthur & Vassilvitskii 2007): Ward's objective
    without the contiguity constraint, so the gap between the two scores is the price of
    contiguity.
    """
    values = check_array(np.asarray(profile, dtype="float64"))
    if score not in SCORES:
        raise UserError(f"params.yaml: region_groups.score is '{score}'; use {' or '.join(SCORES)}")
    low, high = group_count_range(n_groups, len(values), min_mean_size=min_mean_size)
    n_distinct = len(np.unique(values, axis=0))
    high = min(high, len(values) - 1, n_distinct)
    low = min(max(low, 2), high)
    rows, labels_by_k = [], {}
    # A few thousand regions: OpenMP threads cost more than they save, and on a shared
    # machine they oversubscribe the cores (measured 15x slower under load).
    with threadpool_limits(limits=1):
        for k in range(low, high + 1):
            model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(values)
            labels_by_k[k] = model.labels_.astype("int64")
            rows.append(
                {
                    "n_groups": k,
                    **_score(values, model.labels_),
                    "largest_share": _largest_share(model.labels_),
                    "inertia": model.inertia_,
                }
            )
    scores = pd.DataFrame(rows, columns=["n_groups", *SCORES, "largest_share", "inertia"])
    return labels_by_k[_best(scores, score, max_group_share=max_group_share)], scores
