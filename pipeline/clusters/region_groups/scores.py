"""Choosing the number of groups: the range searched (:func:`group_count_range`), the silhouette
(Rousseeuw 1987) and Calinski-Harabasz (1974) scores of a cut, and the best eligible cut.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score, silhouette_score

SCORES = ("silhouette", "calinski_harabasz")


SCORERS = {"silhouette": silhouette_score, "calinski_harabasz": calinski_harabasz_score}


def group_count_range(
    n_groups: int | Sequence[int], n_regions: int, *, min_mean_size: float
) -> tuple[int, int]:
    """(lowest, highest) number of groups searched; an int searches that one value.

    The highest is capped at ``n_regions / min_mean_size`` (at least 1), so that groups
    hold ``min_mean_size`` regions on average: both scores reward ever finer partitions as
    k nears n (Calinski-Harabasz's within-group sum of squares tends to 0).

    Examples
    --------
    >>> group_count_range((5, 40), 40, min_mean_size=3.0)
    (5, 13)
    >>> group_count_range(7, 100, min_mean_size=1.0)
    (7, 7)
    """
    if isinstance(n_groups, int | np.integer):
        low = high = int(n_groups)
    else:
        low, high = sorted(int(value) for value in n_groups)
    cap = max(int(n_regions // max(min_mean_size, 1.0)), 1)
    high = min(high, cap)
    return min(low, high), high


def _score(profile: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Silhouette and Calinski-Harabasz of one partition (NaN when undefined)."""
    n_labels = len(np.unique(labels))
    if not 2 <= n_labels <= len(labels) - 1:
        return dict.fromkeys(SCORES, float("nan"))
    return {name: float(scorer(profile, labels)) for name, scorer in SCORERS.items()}


def _largest_share(labels: np.ndarray) -> float:
    """Share of the regions in the largest group."""
    return float(np.bincount(pd.factorize(labels)[0]).max() / len(labels)) if len(labels) else 0.0


def _best(scores: pd.DataFrame, score: str, *, max_group_share: float) -> int:
    """The number of groups with the highest score (the smallest on ties).

    Only cuts whose largest group holds at most ``max_group_share`` of the regions are
    eligible; when none is, the cuts with the smallest largest group are.
    """
    finite = scores[np.isfinite(scores[score])]
    if finite.empty:
        return int(scores["n_groups"].min())
    eligible = finite[finite["largest_share"] <= max_group_share]
    if eligible.empty:
        eligible = finite[finite["largest_share"] == finite["largest_share"].min()]
    ranked = eligible.sort_values([score, "n_groups"], ascending=[False, True])
    return int(ranked.iloc[0]["n_groups"])
