"""Region x cluster tables: cluster strength and its transitions, the regional clusters (before
and after labelling) with their industries, and the specialisation regions (region groups).
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.engines.geopandas_engine import Geometry

from pipeline.measures.change import TRANSITIONS
from pipeline.sources.schema import WGS84
from pipeline.tables.columns import (
    _NON_NEGATIVE,
    CLUSTER_TYPES,
    LABELS,
    LQ_UNIT,
    MEASURE_UNIT,
    SELECTED_BY,
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
    year,
)

_REGIONAL_CLUSTER_COLUMNS: dict[str, pa.Column] = {
    "regional_cluster_id": code("<year>-<cluster code>-<rank by {dataset.measure}>"),
    "year": year(),
    "cluster_code": code("Cluster code"),
    "cluster_name": text("Cluster name", nullable=False),
    "cluster_type": one_of(
        CLUSTER_TYPES,
        "traded or local; regional clusters are formed for {cluster.regional.cluster_types} "
        "clusters",
    ),
    "region_ids": column(object, "Member regions, sorted", "codes", nullable=False),
    "n_regions": count("int32", "Number of member regions", "regions"),
    "employment": amount("Cluster {dataset.measure} in the member regions"),
    "establishments": amount("Cluster establishments in the member regions", "establishments"),
    "region_employment": amount("LQ base e_r summed over the member regions"),
    "lq": real("LQ of the merged regional cluster", LQ_UNIT, checks=_NON_NEGATIVE),
    "max_stars": column(
        "int8", "Most stars of any member pair", "stars", pa.Check.in_range(0, 3), nullable=False
    ),
    "selected_by": one_of(
        SELECTED_BY,
        "Why the members were chosen: strong (every member pair by the strong rule), stars "
        "(every member pair by at least {cluster.regional.min_stars} stars with LQ >= "
        "{cluster.regional.stars_lq_min}), or stars+strong (members of both kinds, or a pair "
        "meeting both rules)",
    ),
    "top_industries": column(
        object,
        "The {cluster.regional.top_industries} largest industries by {dataset.measure}, "
        "largest first",
        "codes",
        nullable=False,
    ),
    "extent_km": column(
        "float64",
        "Widest distance between member regions' centres (0 for one region; null without "
        "boundaries)",
        "km",
        _NON_NEGATIVE,
    ),
}
_LABEL_COLUMNS: dict[str, pa.Column] = {
    "technology_score": share(
        "Share of the cluster's {dataset.measure} in technology industries "
        "({label.technology_list})"
    ),
    "production_score": share(
        "Share of the cluster's {dataset.measure} in goods-producing sectors (NAICS "
        "{label.production_sectors}; sections {label.production_sections})"
    ),
    "label": one_of(
        LABELS,
        "technology (technology_score >= {label.technology_share_min}), industrial-production "
        "(production_score >= {label.production_share_min}) or other",
    ),
    "label_confidence": one_of(
        ("high", "low"),
        "high, or low when the label flips as a label threshold moves by "
        "+-{label.robustness_shift} (relative)",
    ),
    "hh_share": share(
        "Share of member regions in the local Moran High-High quadrant of the cluster's LQ "
        "(null without boundaries)"
    ),
    "mean_gi_star_z": real(
        "Mean Getis-Ord Gi* z of the cluster's LQ over member regions (null without)", "z"
    ),
    "patent_intensity": amount(
        "US CBP data with the embedded patent file (metros, counties): USPTO utility patents "
        "a year 2000-2015 in the member counties per {label.patents_per_jobs} jobs "
        "(descriptive, not in the label)",
        "patents per {label.patents_per_jobs} jobs",
        required=False,
    ),
}
_GEOMETRY = column(
    Geometry(crs=WGS84), "Union of member regions; null when no member has a boundary", WGS84
)


CLUSTER_STRENGTH = table(
    "cluster_strength.parquet",
    "Every region x cluster x year with {dataset.measure}, its LQ and the two notability rules.",
    {
        "region_id": code("Region id"),
        "cluster_code": code("Cluster code"),
        "cluster_name": text("Cluster name", nullable=False),
        "cluster_type": one_of(CLUSTER_TYPES, "traded or local"),
        "year": year(),
        "employment": amount("e_rc, sum of the cluster's industries in the region"),
        "establishments": amount(
            "Sum of establishments of those industries; null where unknown", "establishments"
        ),
        "region_employment": amount(
            "e_r, the LQ base: the region's {dataset.measure} in all clusters of the same "
            "type (traded or local) when the LQ base is cmp and the classification NAICS, "
            "else its all-industry total (LQ base {cluster.lq_base})"
        ),
        "cluster_national": amount("e_c, the cluster's {dataset.measure} over all regions"),
        "national_employment": amount(
            "E, the LQ base e_r summed over all regions (per cluster type when e_r is per type)"
        ),
        "lq": real("Cluster LQ (e_rc / e_r) / (e_c / E)", LQ_UNIT, checks=_NON_NEGATIVE),
        "focus": share(
            "e_rc / region total, the cluster's share of the region's all-industry "
            "{dataset.measure}"
        ),
        "region_type": text(
            "US metros: metropolitan or micropolitan; the strong rule's percentiles are "
            "taken within the type (within-type ranking: {cluster.strong.by_region_type})",
            required=False,
        ),
        "strong": flag(
            "US Cluster Mapping strong-cluster rule: LQ at or above percentile "
            "{cluster.strong.lq_percentile} of the cluster's regional LQs and at least "
            "{cluster.strong.lq_min}; employment and establishments above percentile "
            "{cluster.strong.size_percentile}"
        ),
        "strong_strict": flag(
            "The strong rule with the LQ cut at percentile "
            "{cluster.strong.strict_lq_percentile} (CMP's strict variant)"
        ),
        "star_size": flag(
            "Size star: the pair's {dataset.measure} among the top share "
            "{cluster.stars.size_top_share} of all pairs of the year"
        ),
        "star_specialisation": flag("Specialisation star: LQ >= {cluster.stars.lq_min}"),
        "star_focus": flag(
            "Focus star: focus among the top share {cluster.stars.focus_top_share} of all "
            "pairs of the year"
        ),
        "stars": column(
            "int8",
            "European Cluster Observatory stars, 0-3",
            "stars",
            pa.Check.in_range(0, 3),
            nullable=False,
        ),
    },
    names=("region_id",),
)


CLUSTER_TRANSITIONS = table(
    "cluster_transitions.parquet",
    "Strong-cluster entry and exit between consecutive years (multi-year datasets; no rows "
    "for one year).",
    {
        "region_id": code("Region id"),
        "cluster_code": code("Cluster code"),
        "cluster_name": text("Cluster name", nullable=False),
        "cluster_type": one_of(CLUSTER_TYPES, "traded or local"),
        "year_from": year("Earlier year"),
        "year_to": year("Next year in the data"),
        "strong_from": flag("Strong in year_from"),
        "strong_to": flag("Strong in year_to"),
        "transition": one_of(
            TRANSITIONS,
            "entry (becomes strong), exit (stops being strong) or persistent",
        ),
    },
    names=("region_id",),
)


REGIONAL_CLUSTER_INDUSTRIES = table(
    "regional_cluster_industries.parquet",
    "Industry composition of each regional cluster (what the label is computed from).",
    {
        "regional_cluster_id": code("Regional cluster id"),
        "industry_code": code("Industry code at the cluster level"),
        "employment": amount("Its {dataset.measure} in the member regions"),
    },
    names=("industry_code",),
)


REGIONAL_CLUSTERS = table(
    "regional_clusters.parquet",
    "Identified regional clusters (GeoParquet): notable pairs of one cluster merged across "
    "adjacent regions (merge rule {cluster.regional.merge_rule}), "
    "labelled.",
    {**_REGIONAL_CLUSTER_COLUMNS, **_LABEL_COLUMNS, "geometry": _GEOMETRY},
    names=("region_ids", "top_industries"),
    geo=True,
)


INTERIM_REGIONAL_CLUSTERS = table(
    "interim/regional_clusters.parquet",
    "Regional clusters before labelling (cluster stage -> label stage).",
    {**_REGIONAL_CLUSTER_COLUMNS, "geometry": _GEOMETRY},
    geo=True,
)


REGION_GROUPS = table(
    "region_groups.parquet",
    "Specialisation regions (GeoParquet): contiguous groups of regions with a similar "
    "traded-cluster LQ profile (Ward with contiguity; the count chosen by the "
    "{region_groups.score} score).",
    {
        "region_id": code("Region code"),
        "name": text("Region name"),
        "year": year("Reference year of the profile"),
        "group_id": code("<year>-<rank of the group by {dataset.measure}>; contiguous"),
        "group_regions": count("int32", "Regions in the group (1: no neighbours)", "regions"),
        "group_employment": amount("Total {dataset.measure} of the group's regions"),
        "dominant_cluster_codes": column(
            object,
            "The {region_groups.dominant_clusters} clusters with most excess {dataset.measure}",
            "codes",
        ),
        "dominant_cluster_names": column(object, "Their names"),
        "dominant_cluster_lqs": column(object, "Their LQ of the pooled group", LQ_UNIT),
        "dominant_cluster_excess": column(
            object,
            "Their {dataset.measure} above the national share, E_gc - E_g E_c / E",
            MEASURE_UNIT,
        ),
        "kmeans_group": column(
            "int32", "Unconstrained KMeans group, for comparison", "id", nullable=False
        ),
        "geometry": column(Geometry(crs=WGS84), "Region boundary", WGS84),
    },
    geo=True,
)
