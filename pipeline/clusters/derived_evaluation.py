"""How good are derived industry clusters: benchmark agreement and naive baselines.

The derived clusters (:mod:`pipeline.clusters.derived`) are chosen by the DPS validation
scores alone (:mod:`pipeline.clusters.validation_scores`); this module is the external check
written to ``industry_cluster_validation.json``. :func:`benchmark_agreement` compares them with
a benchmark (the DPS definitions for the US) by ARI and NMI, never to choose anything, and
:func:`validation_metrics` scores them next to the benchmark and two baselines that Delgado,
Porter & Stern (2016, *J. Econ. Geogr.* 16(1), sec. 5) show to be weak: industries grouped by
their three-digit parent code (:func:`parent_code_labels`) and the "naive" clustering of
location-quotient correlations (:func:`naive_lq_clusters`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from pipeline.clusters.validation_scores import partition_scores
from pipeline.errors import UserError

METRIC_DECIMALS = 4  # digits kept in metrics.json


def benchmark_agreement(labels: pd.Series, benchmark: pd.Series) -> dict[str, float]:
    """Agreement of derived clusters with benchmark clusters on the industries both have.

    Parameters
    ----------
    labels, benchmark : Series
        Cluster of each industry, indexed by industry code.

    Returns
    -------
    dict
        n_industries (in both), n_clusters, n_benchmark_clusters, ari (adjusted Rand index,
        Hubert & Arabie 1985) and nmi (normalised mutual information, arithmetic mean
        normalisation; Vinh, Epps & Bailey 2010), from :mod:`sklearn.metrics`.
    """
    common = labels.index.intersection(benchmark.index)
    if len(common) < 2:
        raise UserError(
            "benchmark: fewer than two industries are in both the derived and the benchmark "
            "clusters; check that both use the same industry codes"
        )
    derived, reference = labels.loc[common].astype(str), benchmark.loc[common].astype(str)
    return {
        "n_industries": int(len(common)),
        "n_clusters": int(derived.nunique()),
        "n_benchmark_clusters": int(reference.nunique()),
        "ari": float(adjusted_rand_score(reference, derived)),
        "nmi": float(normalized_mutual_info_score(reference, derived)),
    }


def parent_code_labels(industry_codes: Sequence[str] | pd.Index, digits: int = 3) -> pd.Series:
    """Baseline partition: each industry in the group of its ``digits``-character parent code.

    For NAICS, ``digits=3`` groups six-digit industries by three-digit subsector, the baseline
    DPS (2016, sec. 5) compare their definitions with.
    """
    codes = pd.Index(industry_codes).astype(str)
    return pd.Series(codes.str[:digits], index=codes, name="cluster")


def location_quotient_correlation(location_quotients: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlation across regions of industries' location quotients.

    Parameters
    ----------
    location_quotients : DataFrame
        Regions x industries (a region without the industry has LQ 0).

    Returns
    -------
    DataFrame
        Industries x industries correlation, diagonal NaN; an industry with the same LQ
        everywhere has NaN links.
    """
    correlation = location_quotients.corr()
    values = correlation.to_numpy(copy=True)
    np.fill_diagonal(values, np.nan)
    return pd.DataFrame(values, index=correlation.index, columns=correlation.columns)


def naive_lq_clusters(location_quotients: pd.DataFrame, n_clusters: int) -> pd.Series:
    """Baseline partition: average-linkage agglomerative clustering of LQ correlations.

    The distance is d_ij = 1 - corr(LQ_i, LQ_j) across regions (unknown correlations count as
    0); this is the "naive" co-location clustering that DPS (2016, sec. 5) show to be weak.
    """
    correlation = location_quotient_correlation(location_quotients)
    distance = 1.0 - np.nan_to_num(correlation.to_numpy(), nan=0.0)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=n_clusters, metric="precomputed", linkage="average"
    ).fit_predict(distance)
    return pd.Series(labels, index=correlation.index, name="cluster")


def validation_metrics(
    relatedness: pd.DataFrame,
    derived: pd.Series,
    benchmark: pd.Series | None = None,
    location_quotients: pd.DataFrame | None = None,
    parent_digits: int = 3,
) -> dict[str, dict[str, float]]:
    """VS scores of the derived clusters, the benchmark and the baselines, and their ARI / NMI.

    Parameters
    ----------
    relatedness : DataFrame
        The square relatedness the clusters were derived from (industry codes).
    derived : Series
        Derived cluster of each industry (e.g. ``table.set_index('industry_code').cluster_code``).
    benchmark : Series, optional
        Benchmark cluster of each industry (DPS traded clusters for the US).
    location_quotients : DataFrame, optional
        Regions x industries LQs, for the naive LQ-correlation baseline (as many clusters as
        the derived set).
    parent_digits : int
        Parent-code length of the classification baseline (3 = three-digit NAICS).

    Returns
    -------
    dict
        One entry per partition (derived, benchmark, parent_<d>_digit, naive_lq_correlation):
        n_clusters, vs_cluster, vs_industry, criterion, largest_share, singletons, and, when
        a benchmark is given, n_industries, ari and nmi against it, all on the industries of
        ``relatedness`` that the partition covers.
    """
    codes = relatedness.index
    partitions = {"derived": derived.reindex(codes).dropna()}
    if benchmark is not None:
        partitions["benchmark"] = benchmark.reindex(codes).dropna()
    partitions[f"parent_{parent_digits}_digit"] = parent_code_labels(codes, parent_digits)
    if location_quotients is not None:
        columns = [code for code in codes if code in location_quotients.columns]
        partitions["naive_lq_correlation"] = naive_lq_clusters(
            location_quotients[columns], int(partitions["derived"].nunique())
        )
    metrics: dict[str, dict[str, float]] = {}
    for name, labels in partitions.items():
        scores = partition_scores(relatedness, labels)
        if benchmark is not None:
            agreement = benchmark_agreement(labels, benchmark)
            scores.update(
                n_industries=agreement["n_industries"], ari=agreement["ari"], nmi=agreement["nmi"]
            )
        metrics[name] = {key: _rounded(value) for key, value in scores.items()}
    return metrics


def _rounded(value: float) -> float:
    return value if isinstance(value, int) else round(float(value), METRIC_DECIMALS)
