"""Every published table, defined once: a pandera schema per table, with its columns' meaning.

Each entry of :data:`TABLES` is a :class:`pandera.pandas.DataFrameSchema` whose columns carry
their dtype, nullability and value checks (validated when the table is written,
:func:`validate_table`), a ``description`` and a ``metadata={"unit": ...}``. The same schemas
give the Arrow field metadata of every Parquet file (``description``, ``unit``;
:func:`pipeline.publish.described`) and ``data_dictionary.md`` (:func:`pipeline.publish.
data_dictionary_markdown`): nothing about a column is written down twice.

Descriptions are templates. ``{dataset.measure}`` and ``{dataset.unit}`` become the dataset's
measure and unit (params ``datasets.<name>.measure`` / ``unit``); ``{section.key}`` becomes the
value of that params.yaml key, e.g. ``{measure.specialised_lq}`` -> ``1.25 (params
measure.specialised_lq)`` (:func:`render`). So a threshold is written in params.yaml only.

Columns with ``required=False`` are written for some datasets only (e.g. ``csa_code`` for US
metros, ``patent_intensity`` for US data); ``region_name`` / ``industry_name`` follow the code
they name in every table that has the code (:func:`pipeline.profiles.with_names`).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.engines.geopandas_engine import Geometry

from pipeline.errors import UserError
from pipeline.measures.change import LQ_CLASSES, TRANSITIONS
from pipeline.sources.schema import EMPLOYMENT_SCHEMA, WGS84

MEASURE_UNIT = "{dataset.unit}"
"""Unit of the columns that hold the dataset's measure (jobs, employees, million RUB ...)."""

# Value vocabularies of the producing modules, repeated here so that the ingest stage does not
# depend on the measure and cluster code; tests/test_tables.py checks they agree.
QUADRANTS = ("HH", "HL", "LH", "LL", "ns")
LABELS = ("technology", "industrial-production", "other")
CLUSTER_TYPES = ("traded", "local")
SELECTED_BY = ("strong", "stars", "stars+strong")
H_METHODS = ("equal_plants_in_cell", "size_class_midpoints", "mixed")

_SHARE = pa.Check.in_range(0.0, 1.0)
_NON_NEGATIVE = pa.Check.ge(0)
_PROBABILITY = pa.Check.in_range(0.0, 1.0)


def column(
    dtype: Any,
    description: str,
    unit: str = "",
    checks: pa.Check | list[pa.Check] | None = None,
    nullable: bool = True,
    required: bool = True,
) -> pa.Column:
    """One published column: dtype, value checks, description and unit (in ``metadata``)."""
    return pa.Column(
        dtype,
        checks=checks,
        nullable=nullable,
        required=required,
        description=description,
        metadata={"unit": unit},
    )


def canonical(name: str, description: str, unit: str = "") -> pa.Column:
    """A column of the canonical employment table (:data:`pipeline.sources.schema.
    EMPLOYMENT_SCHEMA`: its dtype and checks), described."""
    described = copy.deepcopy(EMPLOYMENT_SCHEMA.columns[name])
    described.description = description
    described.metadata = {"unit": unit}
    return described


def code(description: str, required: bool = True) -> pa.Column:
    """A code column (region, industry, cluster): a string with its leading zeros, never null."""
    return column(str, description, "code", nullable=False, required=required)


def text(description: str, nullable: bool = True, required: bool = True) -> pa.Column:
    return column(str, description, nullable=nullable, required=required)


def flag(description: str) -> pa.Column:
    return column(bool, description, nullable=False)


def one_of(values: tuple[str, ...], description: str, nullable: bool = False) -> pa.Column:
    return column(str, description, checks=pa.Check.isin(list(values)), nullable=nullable)


def year(description: str = "Reference year") -> pa.Column:
    return column("int16", description, "year", pa.Check.in_range(1900, 2100), nullable=False)


def level(description: str) -> pa.Column:
    return column("int8", description, "digits", pa.Check.in_range(0, 6), nullable=False)


def amount(description: str, unit: str = MEASURE_UNIT, required: bool = True) -> pa.Column:
    """A non-negative float (employment, establishments, a share's numerator)."""
    return column("float64", description, unit, _NON_NEGATIVE, required=required)


def real(description: str, unit: str = "", required: bool = True, checks=None) -> pa.Column:
    """A float with no range rule (z-scores, changes, indices that can be negative)."""
    return column("float64", description, unit, checks, required=required)


def share(description: str, unit: str = "share", required: bool = True) -> pa.Column:
    return column("float64", description, unit, _SHARE, required=required)


def count(dtype: str, description: str, unit: str) -> pa.Column:
    return column(dtype, description, unit, _NON_NEGATIVE, nullable=False)


def table(
    name: str,
    description: str,
    columns: dict[str, pa.Column],
    names: tuple[str, ...] = (),
    geo: bool = False,
    unique: list[str] | None = None,
) -> pa.DataFrameSchema:
    """The schema of a published table; ``names`` lists the codes it also names (see module)."""
    ordered: dict[str, pa.Column] = {}
    for key, value in columns.items():
        ordered[key] = value
        if key in names:
            ordered[NAME_COLUMNS[key][0]] = NAME_COLUMNS[key][1]
    return pa.DataFrameSchema(
        ordered,
        name=name,
        description=description,
        metadata={"geo": geo},
        strict=True,
        coerce=False,
        unique=unique,
    )


NAME_COLUMNS = {
    "region_id": (
        "region_name",
        text("Region name (regions.parquet), empty where the region has none"),
    ),
    "industry_code": (
        "industry_name",
        text(
            "Official industry title (Census NAICS 2017/2012, Eurostat NACE Rev.2 / OKVED 2 "
            "sections; industry_titles.csv), empty for codes without one (custom)"
        ),
    ),
    "region_ids": (
        "region_names",
        column(
            object,
            "Names of the member regions (regions.parquet), in the order of region_ids; "
            "null for a region without one",
            "names",
            nullable=False,
        ),
    ),
    "top_industries": (
        "top_industry_names",
        column(
            object,
            "Official titles of top_industries, in their order; null for a code without one",
            "names",
            nullable=False,
        ),
    ),
}
"""Names beside codes: each table that has the code documents its name right after it."""

REGION_ID = "Region code (CBSA, county FIPS, state FIPS, NUTS, ISO 3166-2), leading zeros kept"
LQ_UNIT = "ratio"

_MEASURE = (
    "The cell's {dataset.measure} (the dataset's measure, see the top of this dictionary); "
    "null where it is not published and not estimated"
)


def _local_statistics(variable: str) -> dict[str, pa.Column]:
    """The columns of the local statistics of one ``variable``'s LQ (cluster or industry)."""
    return {
        "region_id": code("Region id (regions with a boundary only)"),
        "local_i": real(f"Local Moran I_i of the {variable} LQ (row-standardised contiguity)"),
        "local_p": column(
            "float64",
            "Conditional-permutation pseudo p-value ({spatial.permutations} permutations, "
            "seed {spatial.seed})",
            "probability",
            _PROBABILITY,
        ),
        "quadrant": one_of(
            QUADRANTS,
            "HH, HL, LH, LL (value vs neighbours) when local_p <= {spatial.alpha}, else ns",
        ),
        "gi_star_z": real("Getis-Ord Gi* z-score (binary weights incl. the region itself)", "z"),
        "gi_star_p": column(
            "float64", "One-sided normal p-value of Gi*", "probability", _PROBABILITY
        ),
    }


_TABLES = [
    table(
        "employment.parquet",
        "Canonical region x industry x year counts, as read from the source (ingest).",
        {
            "region_id": canonical("region_id", REGION_ID, "code"),
            "industry_code": canonical(
                "industry_code",
                "Industry code in `classification`; '00' is the all-industry total (for "
                "section data: the sum of the dataset's sections)",
                "code",
            ),
            "industry_level": canonical(
                "industry_level",
                "0 for the total; 1 for NACE/OKVED sections; NAICS 2 (sector, incl. 31-33) to 6",
                "digits",
            ),
            "year": canonical("year", "Reference year", "year"),
            "employment": canonical("employment", _MEASURE, MEASURE_UNIT),
            "establishments": canonical(
                "establishments",
                "Number of establishments; null where the source has none",
                "establishments",
            ),
            "classification": canonical(
                "classification",
                "Industry classification of industry_code (naics2017, nace_r2, okved2, custom)",
            ),
            "employment_flag": canonical(
                "employment_flag",
                "reported: as published; imputed: estimated by regclust (an unpublished or "
                "withheld cell split from its parent's residual, a total summed from the "
                "sections that are published, or a county total carried from its nearest "
                "year); suppressed: withheld and not estimated, employment null",
            ),
        },
        unique=EMPLOYMENT_SCHEMA.unique,
    ),
    table(
        "regions.parquet",
        "Region boundaries (GeoParquet, EPSG:4326); US metros (CBSAs) are unions of their member "
        "counties.",
        {
            "region_id": code("Region code, as in employment.parquet"),
            "name": text("Region name; '(boundary unknown)' when no delineation knows it"),
            "name_ru": text("Russian federal subjects: the name in Russian", required=False),
            "region_type": text(
                "US metros: metropolitan or micropolitan (OMB); the strong rule ranks within a "
                "type (params cluster.strong.by_region_type)",
                required=False,
            ),
            "csa_code": column(
                str,
                "US metros: OMB combined statistical area (2020 delineation); null where none",
                "code",
                required=False,
            ),
            "n_counties": column(
                "int32",
                "US data: member counties (0 when the boundary is unknown)",
                "counties",
                _NON_NEGATIVE,
                nullable=False,
                required=False,
            ),
            "geometry": column(
                Geometry(crs=WGS84),
                "(Multi)polygon; null when the boundary is unknown",
                WGS84,
            ),
        },
        geo=True,
    ),
    table(
        "spatial_weights.parquet",
        "Binary contiguity between regions, used by every spatial statistic (row-standardised "
        "there).",
        {
            "focal": code("Region id"),
            "neighbor": code("A neighbouring region id (both directions listed)"),
            "weight": column(
                "float64",
                "1 for neighbours; a self-pair with 0 marks a region with no neighbour",
                checks=pa.Check.isin([0.0, 1.0]),
                nullable=False,
            ),
        },
    ),
    table(
        "location_quotients",
        "Location quotients for every region x industry x year (measure): a Parquet dataset "
        "partitioned by year (`location_quotients/year=YYYY/part-0.parquet`, schema in "
        "`_common_metadata`), read as one table by pyarrow, DuckDB, pandas, Spark or R arrow.",
        {
            "region_id": code("Region id"),
            "industry_code": code("Industry code"),
            "industry_level": level("Industry code level (0 total, 1 sections; NAICS 2-6)"),
            "year": year("Reference year (the partition key: in the folder names)"),
            "employment": amount("e_ri, {dataset.measure} of the industry in the region"),
            "establishments": amount("Establishments in the cell", "establishments"),
            "region_employment": amount(
                "e_r, the LQ denominator (rule {measure.lq_denominator}; all: the region's "
                "total row '00')"
            ),
            "lq": real(
                "(e_ri / e_r) / (e_i / E); > 1 means specialised", LQ_UNIT, checks=_NON_NEGATIVE
            ),
            "lq_establishments": real(
                "The same quotient computed on establishment counts", LQ_UNIT, checks=_NON_NEGATIVE
            ),
        },
        names=("region_id", "industry_code"),
    ),
    table(
        "concentration.parquet",
        "Geographic concentration of every industry x year over regions (measure).",
        {
            "year": year(),
            "industry_code": code("Industry code (every level)"),
            "industry_level": level("Industry code level"),
            "n_regions": count("int64", "Regions with {dataset.measure} > 0", "regions"),
            "n_suppressed": count(
                "int64", "Cells with unknown {dataset.measure}, left out of every sum", "cells"
            ),
            "employment": amount("e_i, the industry's total over regions"),
            "establishments": amount("The industry's establishments", "establishments"),
            "gini": share(
                "Locational Gini (Krugman 1991): area between diagonal and locational Lorenz "
                "curve / 0.5",
                "ratio 0-1",
            ),
            "hoover": share(
                "Hoover (1936) coefficient of localization, 0.5 sum_r |s_ri - x_r|", "ratio 0-1"
            ),
            "herfindahl": share(
                "sum_r s_ri^2, Herfindahl of the industry's regional shares", "ratio 0-1"
            ),
            "eg_G": real("Ellison & Glaeser (1997) raw concentration sum_r (s_ri - x_r)^2"),
            "eg_H": real("Plant Herfindahl (approximated, see eg_h_method)"),
            "eg_gamma": real("Ellison-Glaeser gamma = (G / (1 - sum x_r^2) - H) / (1 - H)"),
            "eg_h_method": one_of(
                H_METHODS,
                "equal_plants_in_cell (H = sum s_ri^2 / n_ri), size_class_midpoints or mixed",
                nullable=True,
            ),
            "moran_i": real(
                "Global Moran's I of the industry's LQ (row-standardised contiguity; absent = "
                "LQ 0); null without boundaries"
            ),
            "moran_expected_i": real("E[I] = -1 / (n - 1)"),
            "moran_z": real("z-score under normality", "z"),
            "moran_p_sim": column(
                "float64",
                "Permutation pseudo p-value ({spatial.permutations} permutations, seed "
                "{spatial.seed})",
                "probability",
                _PROBABILITY,
            ),
        },
        names=("industry_code",),
    ),
    table(
        "region_specialization.parquet",
        "Specialization of each region x year across the industries of the cluster level "
        "(measure).",
        {
            "year": year(),
            "region_id": code("Region id"),
            "industry_level": level("Industry level measured (6 for NAICS, 1 for sections)"),
            "employment": amount("Sum of the region's industries at that level"),
            "krugman": real(
                "Krugman (1991) specialization index sum_i |e_ri/e_r - e_i/E|",
                "index 0-2",
                checks=pa.Check.in_range(0.0, 2.0 + 1e-9),
            ),
            "herfindahl": share("Herfindahl of the region's industry mix", "ratio 0-1"),
            "n_specialised": count(
                "int64", "Industries with LQ >= {measure.specialised_lq}", "industries"
            ),
            "traded_share": share(
                "Share of the region's {dataset.measure} in traded industries (benchmark "
                "cluster type)"
            ),
        },
        names=("region_id",),
    ),
    table(
        "lq_change.parquet",
        "LQ and {dataset.measure} change of every region x industry between two years "
        "(multi-year datasets; no rows for one year).",
        {
            "region_id": code("Region id"),
            "industry_code": code("Industry code"),
            "industry_level": level("Industry code level"),
            "base_year": year(
                "Base year ({change.base_year}, or the dataset's "
                "change_base_year; null = the first year)"
            ),
            "end_year": year("End year ({change.end_year}; null = the last year)"),
            "published": one_of(
                ("both", "base_only", "end_only"),
                "both, base_only or end_only: the years in which the cell is published",
            ),
            "lq_base": real("LQ in the base year", LQ_UNIT, checks=_NON_NEGATIVE),
            "lq_end": real("LQ in the end year", LQ_UNIT, checks=_NON_NEGATIVE),
            "lq_change": real("lq_end - lq_base", LQ_UNIT),
            "employment_base": amount("The cell's {dataset.measure} in the base year"),
            "employment_end": amount("The cell's {dataset.measure} in the end year"),
            "employment_change": real("employment_end - employment_base", MEASURE_UNIT),
            "employment_cagr": real("Compound annual growth rate of the measure", "per year"),
            "lq_class": one_of(
                LQ_CLASSES,
                "emerging (LQ rises through {change.specialisation_lq}), declining (falls "
                "through it), (un)specialised-rising/stable/falling (stable: relative change "
                "within {change.stable_tolerance}), not-comparable (an LQ is missing)",
            ),
        },
        names=("region_id", "industry_code"),
    ),
    table(
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
    ),
    table(
        "cluster_strength.parquet",
        "Every region x cluster x year with {dataset.measure}, its LQ and the two notability "
        "rules.",
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
    ),
    table(
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
    ),
    table(
        "regional_cluster_industries.parquet",
        "Industry composition of each regional cluster (what the label is computed from).",
        {
            "regional_cluster_id": code("Regional cluster id"),
            "industry_code": code("Industry code at the cluster level"),
            "employment": amount("Its {dataset.measure} in the member regions"),
        },
        names=("industry_code",),
    ),
    table(
        "local_spatial.parquet",
        "Local spatial statistics of each cluster's LQ: local Moran (Anselin 1995) and "
        "Getis-Ord Gi* (Ord & Getis 1995); no rows without boundaries.",
        {
            "year": year(),
            "cluster_code": code("Cluster code"),
            **_local_statistics("cluster"),
            "cluster_name": text("Cluster name"),
        },
        names=("region_id",),
    ),
    table(
        "local_spatial_industries.parquet",
        "The local statistics of local_spatial.parquet for every finest-level industry "
        "(six-digit NAICS, or sections) instead of clusters: rows only when params "
        "spatial.local_over is industries ({spatial.local_over} here).",
        {
            "year": year(),
            "industry_code": code("Industry code at the finest level"),
            **_local_statistics("industry"),
            "industry_name": NAME_COLUMNS["industry_code"][1],
        },
        names=("region_id",),
    ),
]

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
_TABLES.append(
    table(
        "regional_clusters.parquet",
        "Identified regional clusters (GeoParquet): notable pairs of one cluster merged across "
        "adjacent regions (merge rule {cluster.regional.merge_rule}), "
        "labelled.",
        {**_REGIONAL_CLUSTER_COLUMNS, **_LABEL_COLUMNS, "geometry": _GEOMETRY},
        names=("region_ids", "top_industries"),
        geo=True,
    )
)
_TABLES += [
    table(
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
    ),
    table(
        "industry_relatedness.parquet",
        "Relatedness of industry pairs (Delgado, Porter & Stern 2016): each industry's "
        "{relatedness.top_k} strongest links, both directions listed.",
        {
            "industry_code": code("Industry code (finest level of the dataset)"),
            "related_code": code("A related industry's code"),
            "colocation_employment": real(
                "LC-emp: Pearson correlation of the two industries' {dataset.measure} across "
                "regions",
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
    ),
    table(
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
                "VS-industry: share of industries more related to their own cluster than to "
                "any other"
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
    ),
]

TABLES: dict[str, pa.DataFrameSchema] = {schema.name: schema for schema in _TABLES}
"""Every published Parquet table (or dataset folder) by its name in data/processed/<dataset>/."""

INTERIM_TABLES: dict[str, pa.DataFrameSchema] = {
    "interim/regional_clusters.parquet": table(
        "interim/regional_clusters.parquet",
        "Regional clusters before labelling (cluster stage -> label stage).",
        {**_REGIONAL_CLUSTER_COLUMNS, "geometry": _GEOMETRY},
        geo=True,
    ),
}
"""Tables between stages that are validated as they are written (not in the dictionary)."""

OTHER_OUTPUTS: dict[str, str] = {
    "metrics.json": "Headline figures tracked by `dvc metrics show`, short keys: regions, "
    "industries, strong (strong pairs), clusters (regional clusters), tech / prod / other "
    "(clusters by label), low_conf (low-confidence labels), ari (derived vs benchmark "
    "clusters), groups (region groups), unmapped (employment share in no cluster), imputed "
    "(estimated share at the finest level), holdout (hold-out median APE); in full in "
    "report.json.",
    "report.json": "Every figure of the run: the metrics above in full, cells by flag, imputed "
    "{dataset.measure} by level and the hold-out, the derived clusters' validation (VS, ARI, NMI "
    "of derived, benchmark and baselines), relatedness separation, region-group scores, label "
    "robustness, LISA quadrants, strong-cluster transitions.",
    "label_robustness.json": "Labels that flip when a label threshold moves by "
    "+-{label.robustness_shift} (label stage).",
    "region_groups_metrics.json": "Scores of every group count tried for region_groups.parquet.",
    "plots/*.csv": "`dvc plots show` tables: LQ distribution of the finest-level cells, regions "
    "by number of strong traded clusters (latest year).",
    "maps/, atlas/, gis/": "Offline maps (HTML, PNG), the atlas page and a GeoPackage of the "
    "regions and regional clusters (maps stage).",
}
"""Published outputs that are not tables."""

_TOKEN = re.compile(r"\{([a-z_]+(?:\.[A-Za-z_]+)+)\}")
_DATASET_FALLBACK = {"measure": "the dataset's measure", "unit": "the dataset's unit"}


def schema_of(name: str) -> pa.DataFrameSchema | None:
    """The schema of a published (or interim) table by its name, or None for other files."""
    return TABLES.get(name) or INTERIM_TABLES.get(name)


def params_context(settings: Any) -> dict[str, str]:
    """params.yaml values as ``{"params.spatial.alpha": "0.05", ...}`` for :func:`render`.

    ``settings`` is a :class:`pipeline.config.Settings`; datasets and compute are left out
    (the dataset's own keys come from the writer's metadata).
    """
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if dataclasses.is_dataclass(value):
            for item in dataclasses.fields(value):
                walk(f"{prefix}.{item.name}", getattr(value, item.name))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}.{key}", item)
        elif isinstance(value, tuple | list):
            flat[prefix] = ", ".join(str(v) for v in value)
        else:
            flat[prefix] = "null" if value is None else str(value)

    for item in dataclasses.fields(settings):
        if item.name not in ("datasets", "compute", "classifications"):
            walk(f"params.{item.name}", getattr(settings, item.name))
    return flat


def referenced_params(text: str) -> list[str]:
    """The params keys a description template refers to (``spatial.alpha`` ...)."""
    return [key for key in _TOKEN.findall(text) if not key.startswith("dataset.")]


def render(text: str, context: Mapping[str, str] | None = None) -> str:
    """Fill a description template from a writer's metadata (see the module docstring).

    ``context`` maps ``measure``, ``unit`` (the dataset's) and ``params.<key>`` to values; a
    key it lacks reads as ``params <key>`` (or "the dataset's measure / unit").

    Examples
    --------
    >>> render("LQ >= {measure.specialised_lq}", {"params.measure.specialised_lq": "1.25"})
    'LQ >= 1.25 (params measure.specialised_lq)'
    >>> render("{dataset.measure} ({dataset.unit})", {"measure": "employment"})
    "employment (the dataset's unit)"
    >>> render("LQ >= {measure.specialised_lq}")
    'LQ >= params measure.specialised_lq'
    """
    context = context or {}

    def value(match: re.Match) -> str:
        key = match.group(1)
        if key.startswith("dataset."):
            name = key.split(".", 1)[1]
            return str(context.get(name) or _DATASET_FALLBACK.get(name, key))
        known = context.get(f"params.{key}")
        return f"{known} (params {key})" if known is not None else f"params {key}"

    return _TOKEN.sub(value, text)


def unit_of(column_schema: pa.Column, context: Mapping[str, str] | None = None) -> str:
    """A column's unit with its tokens replaced by bare values (``{dataset.unit}`` -> the
    dataset's unit, ``{label.patents_per_jobs}`` -> ``1000``); unknown tokens stay as names."""
    context = context or {}

    def value(match: re.Match) -> str:
        key = match.group(1)
        if key.startswith("dataset."):
            return str(context.get(key.split(".", 1)[1]) or "")
        return str(context.get(f"params.{key}", key))

    return _TOKEN.sub(value, (column_schema.metadata or {}).get("unit", ""))


def typed_empty(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """A table without rows in the schema's dtypes, with every required column.

    Stages write "no rows" tables (one-year datasets, no boundaries, too few industries);
    typing them here keeps their Parquet schema the same as a full table's.
    """
    columns = {}
    for name, spec in schema.columns.items():
        if name in frame.columns or spec.required:
            if name == "geometry" or isinstance(spec.dtype, Geometry):
                continue
            columns[name] = pd.Series([], dtype=spec.dtype.type if spec.dtype else object)
    typed = pd.DataFrame(columns)
    if "geometry" in frame.columns:
        import geopandas as gpd

        return gpd.GeoDataFrame(typed, geometry=frame.geometry.iloc[:0], crs=frame.crs)
    return typed


def validate_table(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check ``frame`` against the schema of table ``name``; a failure is a one-line UserError.

    Vectorised (pandera's built-in checks: dtype, nulls, ranges and allowed values per
    column, no row-wise functions), so a year of the LQ table (a million rows) takes tens of
    milliseconds. A table without rows is first typed (:func:`typed_empty`). Tables with no
    schema pass unchanged.
    """
    schema = schema_of(name)
    if schema is None:
        return frame
    fix = f"fix the stage that builds it (schema: pipeline/tables.py, '{name}')"
    unknown = [str(c) for c in frame.columns if c not in schema.columns]
    if unknown:
        raise UserError(
            f"{name}: column '{unknown[0]}' is not in the table's schema; document it in "
            f"pipeline/tables.py ('{name}') or drop it from the stage that builds the table"
        )
    missing = [c for c, spec in schema.columns.items() if spec.required and c not in frame]
    if missing and len(frame):
        raise UserError(f"{name}: column '{missing[0]}' is missing; {fix}")
    if len(frame) == 0:
        frame = typed_empty(frame, schema)
    try:
        schema.validate(frame, lazy=False)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as error:
        column_name = getattr(getattr(error, "schema", None), "name", None) or "?"
        raise UserError(f"{name}: column '{column_name}' {_reason(error)}; {fix}") from error
    return frame


def _reason(error: pa.errors.SchemaError | pa.errors.SchemaErrors) -> str:
    """A short, one-line reason from a pandera error."""
    reason = str(getattr(error, "reason_code", "") or "")
    message = " ".join(str(error).split())
    if "WRONG_DATATYPE" in reason:
        return "has the wrong dtype (" + message[:160] + ")"
    if "SERIES_CONTAINS_NULLS" in reason:
        return "has null values where none are allowed"
    if "DUPLICATES" in reason:
        return "repeats a key (" + message[:160] + ")"
    return "fails a check (" + message[:200] + ")"
