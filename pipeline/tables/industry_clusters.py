"""Which industries form a cluster: the benchmark and derived definitions, the industry
relatedness they are derived from and the candidate partitions scored (relate stage).
"""

from __future__ import annotations

import pandera.pandas as pa

from pipeline.tables.columns import (
    CLUSTER_TYPES,
    amount,
    code,
    column,
    count,
    flag,
    one_of,
    real,
    share,
    table,
    text,
)

INDUSTRY_CLUSTERS = table(
    "industry_clusters.parquet",
    "Cluster of each industry at the cluster level (six-digit NAICS, or sections), for the "
    "benchmark definitions and (where regclust relate ran) the derived ones.",
    {
        "industry_code": code("Industry code of the dataset's classification"),
        "cluster_code": code(
            "NAICS benchmark: 1-51 traded, 101-116 local (US Cluster Mapping); sections: "
            "the section; derived: the derived cluster"
        ),
        "cluster_name": text("Cluster name", nullable=False),
        "cluster_type": one_of(CLUSTER_TYPES, "traded or local"),
        "mapped_via": text(
            "How the industry got its cluster: naics2012 (same code), concordance (NAICS "
            "2017 code changed), prefix (five-digit parent in one cluster), section, "
            "custom, derived (regclust relate), or 'benchmark traded' / 'benchmark local' "
            "(derived partition: an industry the relate stage left out keeps its benchmark "
            "cluster)",
            nullable=False,
        ),
        "method": one_of(
            ("benchmark", "derived"),
            "benchmark (published definitions: US Cluster Mapping, or NACE/OKVED sections) "
            "or derived (regclust relate: clusters from relatedness)",
        ),
        "drives": flag(
            "This method's clusters drive strength, regional clusters and labels (params "
            "cluster.definitions: {cluster.definitions})"
        ),
    },
    names=("industry_code",),
)


INDUSTRY_RELATEDNESS = table(
    "industry_relatedness.parquet",
    "Relatedness of industry pairs (Delgado, Porter & Stern 2016): each industry's "
    "{relatedness.top_k} strongest links, both directions listed.",
    {
        "industry_code": code("Industry code (finest level of the dataset)"),
        "related_code": code("A related industry's code"),
        "colocation_employment": real(
            "LC-emp: Pearson correlation of the two industries' {dataset.measure} across regions",
            "correlation",
            required=False,
        ),
        "colocation_establishments": real(
            "LC-est: the same on establishment counts (datasets with establishments)",
            "correlation",
            required=False,
        ),
        "coagglomeration": real(
            "Ellison, Glaeser & Kerr (2010) coagglomeration index (combined with weight "
            "{relatedness.weights.coagglomeration})",
            "index",
            required=False,
        ),
        "input_output": amount(
            "IO: largest of the four input and output shares between the two (BEA 2012 "
            "detailed Use and Make tables; NAICS 2017 or a user's IO table only); with gross "
            "output as both denominators max(F_ij, F_ji) / min(g_i, g_j), so it can exceed 1",
            "share",
            required=False,
        ),
        "occupation": real(
            "Occ: correlation of occupation-share vectors (BLS OEWS 2025; NAICS 2017 or a "
            "user's table only)",
            "correlation",
            required=False,
        ),
        "combined": real(
            "Weighted mean of the standardised ({relatedness.standardise}) measures a pair "
            "has (params relatedness.weights)",
            "z",
        ),
        "rank": column(
            "int32",
            "1 = the industry's most related industry",
            "rank",
            pa.Check.ge(1),
            nullable=False,
        ),
    },
    names=("industry_code", "related_code"),
)


DERIVED_CLUSTER_SCORES = table(
    "derived_cluster_scores.parquet",
    "Every candidate partition of the derived industry clusters, scored by DPS's validation "
    "scores; the selected one drives `method = derived` in industry_clusters.parquet. No "
    "rows when the dataset has fewer than three industries.",
    {
        "method": one_of(("agglomerative", "spectral", "kmeans"), "The clustering method"),
        "linkage": text("Agglomerative linkage (empty for the others)"),
        "n_clusters": count("int64", "Clusters asked for", "clusters"),
        "vs_cluster": share(
            "VS-cluster: share of cluster pairs whose within-cluster relatedness exceeds "
            "their between-cluster relatedness"
        ),
        "vs_industry": share(
            "VS-industry: share of industries more related to their own cluster than to any other"
        ),
        "criterion": share("(vs_cluster + vs_industry) / 2, the selection score"),
        "largest_share": share("Industries in the largest cluster / all"),
        "singletons": count("int64", "One-industry clusters", "clusters"),
        "n_clusters_found": count("int64", "Clusters obtained", "clusters"),
        "eligible": flag(
            "The largest cluster holds at most {industry_clusters.max_cluster_share} of "
            "the industries (0.5 where the grid is widened for a dataset with few "
            "industries)"
        ),
        "selected": flag("The partition chosen (highest criterion among eligible)"),
    },
)
