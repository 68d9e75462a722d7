"""How the derived clusters split and join the benchmark ones (:func:`compare_definitions`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class DefinitionComparison:
    """Benchmark vs derived clusters over the traded industries both assign.

    ``pairs``: one row per industry (industry_code, industry_name, cluster_code_benchmark,
    cluster_name_benchmark, cluster_code_derived, cluster_name_derived); ``counts``: the
    industries each derived (rows) x benchmark (columns) pair shares; ``derived`` and
    ``benchmark``: one row per cluster of each side (see :func:`compare_definitions`);
    ``identical``: the derived clusters equal to one benchmark cluster.
    """

    pairs: pd.DataFrame
    counts: pd.DataFrame
    derived: pd.DataFrame
    benchmark: pd.DataFrame
    identical: int


def _composition(counts: pd.Series, names: pd.Series, parts: int) -> str:
    """'name (n); name (n); ...' of the ``parts`` largest non-zero counts."""
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    listed = "; ".join(f"{names[code]} ({count})" for code, count in counts.head(parts).items())
    return listed + (f"; +{len(counts) - parts} more" if len(counts) > parts else "")


SUMMARY_COLUMNS = {
    "derived": (
        "derived cluster",
        "benchmark clusters",
        "purity",
        "made of (benchmark cluster (industries))",
    ),
    "benchmark": (
        "benchmark cluster",
        "derived clusters",
        "kept together",
        "split into (derived cluster (industries))",
    ),
}
"""Column titles of each side's summary besides ``industries``: the cluster, how many clusters
of the other side it shares industries with, the share in the largest of them, its composition."""


def _side_summary(
    counts: pd.DataFrame,
    axis: int,
    names: pd.Series,
    part_names: pd.Series,
    titles: tuple[str, str, str, str],
    parts: int,
) -> pd.DataFrame:
    """One row per cluster of one side of ``counts`` (derived rows x benchmark columns).

    ``axis=1`` summarises the derived clusters (the rows; their parts are benchmark
    clusters), ``axis=0`` the benchmark clusters (the columns; their parts are derived
    clusters), with the columns :data:`SUMMARY_COLUMNS` names.
    """
    cluster, others, largest, composition = titles
    return pd.DataFrame(
        {
            cluster: names.reindex(counts.index if axis == 1 else counts.columns),
            "industries": counts.sum(axis=axis),
            others: (counts > 0).sum(axis=axis),
            largest: counts.max(axis=axis) / counts.sum(axis=axis),
            composition: counts.apply(_composition, axis=axis, names=part_names, parts=parts),
        }
    )


def compare_definitions(clusters: pd.DataFrame, parts: int = 4) -> DefinitionComparison:
    """How the derived clusters split and join the benchmark clusters (traded industries).

    For a derived cluster *d*, with n(d, b) the industries it shares with benchmark
    cluster *b*: ``purity`` = max_b n(d, b) / sum_b n(d, b) (1: a subset of one benchmark
    cluster); for a benchmark cluster, ``kept together`` = max_d n(d, b) / sum_d n(d, b)
    (1: all in one derived cluster). A pair is identical when n(d, b) is all of both.

    Parameters
    ----------
    clusters : DataFrame
        ``industry_clusters.parquet``: industry_code, industry_name, method ('benchmark' or
        'derived'), cluster_code, cluster_name, cluster_type.
    parts : int
        Parts listed in the composition columns.

    Examples
    --------
    >>> clusters = pd.DataFrame({"industry_code": ["1", "2", "3"] * 2,
    ...     "industry_name": ["a", "b", "c"] * 2, "method": ["benchmark"] * 3 + ["derived"] * 3,
    ...     "cluster_code": ["B1", "B1", "B2", "D1", "D1", "D1"],
    ...     "cluster_name": ["Bx", "Bx", "By", "Dz", "Dz", "Dz"], "cluster_type": "traded"})
    >>> compare_definitions(clusters).derived[["purity", "benchmark clusters"]].round(2).values.tolist()
    [[0.67, 2.0]]
    """
    traded = clusters[clusters["cluster_type"] == "traded"]
    columns = ["industry_code", "cluster_code", "cluster_name"]
    benchmark = traded[traded["method"] == "benchmark"]
    pairs = benchmark[["industry_code", "industry_name", *columns[1:]]].merge(
        traded[traded["method"] == "derived"][columns],
        on="industry_code",
        suffixes=("_benchmark", "_derived"),
    )
    counts = pd.crosstab(pairs["cluster_code_derived"], pairs["cluster_code_benchmark"])
    names = {
        side: pairs.drop_duplicates(f"cluster_code_{side}").set_index(f"cluster_code_{side}")[
            f"cluster_name_{side}"
        ]
        for side in ("derived", "benchmark")
    }
    derived, kept = (
        _side_summary(counts, axis, names[side], names[other], SUMMARY_COLUMNS[side], parts)
        for side, other, axis in (("derived", "benchmark", 1), ("benchmark", "derived", 0))
    )
    whole = (counts == counts.sum(axis=1).to_numpy()[:, None]) & (
        counts == counts.sum(axis=0).to_numpy()[None, :]
    )
    return DefinitionComparison(pairs, counts, derived, kept, int(whole.to_numpy().sum()))
