"""Atomic writers, the data dictionary and the run metrics.

Every output is written to a temporary file in the destination folder, flushed to disk and
renamed over the target (``os.replace`` is atomic on POSIX), so an interrupted or failed
stage leaves the previous output intact and no partial file behind. A temporary left by a
killed writer is hidden (``.<name>.<random>.tmp``) and removed by the next write into that
folder once it is an hour old.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.atomic_cleanup import remove_stale_temporaries

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(target: str | Path):
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A writer killed mid-write (SIGKILL) cannot remove its temporary: clear old ones here.
    remove_stale_temporaries(target.parent)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(handle)
    try:
        yield Path(temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; published files are readable
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write(target: str | Path, writer: Callable[[Path], Any]) -> Path:
    with atomic_path(target) as temporary:
        writer(temporary)
    return Path(target)


def described(
    arrow: pa.Table, table_name: str, metadata: Mapping[str, str] | None = None
) -> pa.Table:
    """``arrow`` with the data dictionary's description and unit in each field's metadata.

    Any Arrow reader (pyarrow, DuckDB, R arrow, Spark) then shows what a column holds:
    ``pq.read_schema(path).field("lq").metadata[b"description"]``. The table's own
    description goes into the schema metadata under ``regclust.description``.
    """
    description, columns = DATA_DICTIONARY.get(table_name, ("", {}))
    fields = []
    for field in arrow.schema:
        meta = dict(field.metadata or {})
        if field.name in columns:
            _, unit, meaning = columns[field.name]
            meta[b"description"] = meaning.encode()
            if unit:
                meta[b"unit"] = unit.encode()
        fields.append(field.with_metadata(meta))
    schema_meta = dict(arrow.schema.metadata or {})
    if description:
        schema_meta[b"regclust.description"] = description.encode()
    for key, value in (metadata or {}).items():  # dataset, measure, unit, source, licence ...
        if value:
            schema_meta[f"regclust.{key}".encode()] = str(value).encode()
    return arrow.cast(pa.schema(fields, metadata=schema_meta))


def _write_described(
    arrow: pa.Table, path: Path, table_name: str, metadata: Mapping[str, str] | None = None
) -> None:
    pq.write_table(described(arrow, table_name, metadata), path, compression="zstd")


def write_table(
    table: pd.DataFrame,
    target: str | Path,
    row_group_by: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write a plain Parquet table atomically (zstd, no pandas index), columns described.

    ``metadata`` (dataset, measure, unit, classification, source, licence) goes into the
    schema metadata as ``regclust.<key>``.

    With ``row_group_by`` (e.g. ``"year"``), each value of that column gets its own row
    groups, so that a reader of one year reads only that year's groups (their footer
    statistics say which).
    """
    name = Path(target).name
    if row_group_by is not None and len(table):
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        with table_writer(target, arrow.schema, metadata) as write:
            keys = arrow.column(row_group_by)
            for value in pc.unique(keys).sort().to_pylist():
                write(arrow.filter(pc.equal(keys, value)))
        return Path(target)
    return _write(
        target,
        lambda path: _write_described(
            pa.Table.from_pandas(table, preserve_index=False), path, name, metadata
        ),
    )


@contextmanager
def table_writer(target: str | Path, schema: pa.Schema, metadata: Mapping[str, str] | None = None):
    """Write a Parquet table atomically in pieces: yield ``write(arrow_table)``.

    Each call adds one row group (e.g. one year), so the whole table is never in memory;
    the file appears under ``target`` only when the ``with`` block ends without error.
    Columns are described as in :func:`write_table`.
    """
    name = Path(target).name
    schema = described(schema.empty_table(), name, metadata).schema
    with (
        atomic_path(target) as temporary,
        pq.ParquetWriter(temporary, schema, compression="zstd") as writer,
    ):
        yield lambda arrow: writer.write_table(arrow.cast(schema))


def write_geotable(
    table: gpd.GeoDataFrame, target: str | Path, metadata: Mapping[str, str] | None = None
) -> Path:
    """Write a GeoParquet table atomically; the CRS travels in the ``geo`` metadata.

    Empty geometry collections are written as nulls (no geometry is null, not empty).
    """
    name = Path(target).name
    table = table.copy()
    if len(table) and table.geometry.name in table:
        empty = table.geometry.is_empty
        table.loc[empty, table.geometry.name] = None

    def writer(path: Path) -> None:
        table.to_parquet(path, index=False, compression="zstd")
        _write_described(pq.read_table(path), path, name, metadata)

    return _write(target, writer)


def write_text(text: str, target: str | Path) -> Path:
    """Write a UTF-8 text file atomically."""
    return _write(target, lambda path: path.write_text(text, encoding="utf-8"))


def write_json(payload: Any, target: str | Path) -> Path:
    """Write JSON atomically (sorted keys, two-space indent)."""
    return write_text(
        json.dumps(payload, indent=2, sort_keys=True, default=_json_default) + "\n", target
    )


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")


# Data dictionary: table -> (description, {column: (type, unit, meaning)}).
DATA_DICTIONARY: dict[str, tuple[str, dict[str, tuple[str, str, str]]]] = {
    "employment.parquet": (
        "Canonical region x industry x year counts, as read from the source (ingest).",
        {
            "region_id": (
                "string",
                "code",
                "Region code (CBSA, county FIPS, state FIPS, NUTS, ...), leading zeros kept",
            ),
            "industry_code": (
                "string",
                "code",
                "Industry code in `classification`; '00' is the all-industry total",
            ),
            "industry_level": (
                "int8",
                "digits",
                "0 for the total; 1 for NACE/OKVED sections; NAICS 2 (sector, incl. 31-33) to 6",
            ),
            "year": ("int16", "year", "Reference year"),
            "employment": (
                "float64",
                "jobs",
                "The dataset's measure (see the top of this dictionary: CBP mid-March paid employees, "
                "QCEW annual average employment, BRES full-time employees, Rosstat shipments); "
                "null if not published",
            ),
            "employment_flag": (
                "string",
                "",
                "reported (as published), imputed (estimated by regclust for an unpublished or "
                "suppressed cell) or suppressed (withheld and not estimated: employment null)",
            ),
            "establishments": (
                "float64",
                "establishments",
                "Number of establishments; null if unknown",
            ),
            "classification": (
                "string",
                "",
                "Industry classification of industry_code (naics2017, ...)",
            ),
        },
    ),
    "regions.parquet": (
        "Region boundaries (GeoParquet, EPSG:4326). CBSAs are unions of their member counties.",
        {
            "region_id": ("string", "code", "Region code, as in employment.parquet"),
            "name": (
                "string",
                "",
                "Region name; '(boundary unknown)' when no delineation knows it",
            ),
            "name_ru": ("string", "", "Russian federal subjects: the name in Russian"),
            "region_type": (
                "string",
                "",
                "US metros: metropolitan or micropolitan (OMB); the strong rule ranks within a type",
            ),
            "csa_code": (
                "string",
                "code",
                "US metros: OMB combined statistical area (2020 delineation); null where none",
            ),
            "n_counties": ("int32", "counties", "Member counties (0 when the boundary is unknown)"),
            "geometry": (
                "geometry",
                "EPSG:4326",
                "(Multi)polygon; null when the boundary is unknown",
            ),
        },
    ),
    "spatial_weights.parquet": (
        "Binary contiguity between regions, used by every spatial statistic (row-standardised there).",
        {
            "focal": ("string", "code", "Region id"),
            "neighbor": ("string", "code", "A neighbouring region id (both directions listed)"),
            "weight": (
                "float64",
                "",
                "1 for neighbours; a self-pair with 0 marks a region with no neighbour",
            ),
        },
    ),
    "location_quotients.parquet": (
        "Location quotients for every region x industry x year (measure).",
        {
            "region_id": ("string", "code", "Region id"),
            "industry_code": ("string", "code", "Industry code"),
            "industry_level": ("int8", "digits", "Industry code level (1 sections; NAICS 2-6)"),
            "year": ("int16", "year", "Reference year"),
            "employment": ("float64", "jobs", "e_ri"),
            "establishments": ("float64", "establishments", "Establishments in the cell"),
            "region_employment": (
                "float64",
                "jobs",
                "e_r, the LQ denominator (params measure.lq_denominator)",
            ),
            "lq": ("float64", "ratio", "(e_ri / e_r) / (e_i / E); > 1 means specialised"),
            "lq_establishments": (
                "float64",
                "ratio",
                "The same quotient computed on establishment counts",
            ),
        },
    ),
    "concentration.parquet": (
        "Geographic concentration of every industry x year over regions (measure).",
        {
            "year": ("int16", "year", "Reference year"),
            "industry_code": ("string", "code", "Industry code (every level)"),
            "industry_level": ("int8", "digits", "Industry code level"),
            "n_regions": ("int64", "regions", "Regions with employment > 0"),
            "n_suppressed": (
                "int64",
                "cells",
                "Cells with unknown employment, left out of every sum",
            ),
            "employment": ("float64", "jobs", "e_i, the industry's total over regions"),
            "establishments": ("float64", "establishments", "The industry's establishments"),
            "gini": (
                "float64",
                "ratio 0-1",
                "Locational Gini (Krugman 1991): area between diagonal and locational Lorenz curve / 0.5",
            ),
            "hoover": (
                "float64",
                "ratio 0-1",
                "Hoover (1936) coefficient of localization, 0.5 sum_r |s_ri - x_r|",
            ),
            "herfindahl": (
                "float64",
                "ratio 0-1",
                "sum_r s_ri^2, Herfindahl of the industry's regional shares",
            ),
            "eg_G": (
                "float64",
                "",
                "Ellison & Glaeser (1997) raw concentration sum_r (s_ri - x_r)^2",
            ),
            "eg_H": ("float64", "", "Plant Herfindahl (approximated, see eg_h_method)"),
            "eg_gamma": (
                "float64",
                "",
                "Ellison-Glaeser gamma = (G / (1 - sum x_r^2) - H) / (1 - H)",
            ),
            "eg_h_method": (
                "string",
                "",
                "equal_plants_in_cell (H = sum s_ri^2 / n_ri), size_class_midpoints or mixed",
            ),
            "moran_i": (
                "float64",
                "",
                "Global Moran's I of the industry's LQ (row-standardised contiguity; absent = LQ 0)",
            ),
            "moran_expected_i": ("float64", "", "E[I] = -1 / (n - 1)"),
            "moran_z": ("float64", "z", "z-score under normality"),
            "moran_p_sim": (
                "float64",
                "probability",
                "Permutation pseudo p-value (params spatial: permutations, seed)",
            ),
        },
    ),
    "region_specialization.parquet": (
        "Specialization of each region x year across the industries of the cluster level (measure).",
        {
            "year": ("int16", "year", "Reference year"),
            "region_id": ("string", "code", "Region id"),
            "industry_level": (
                "int8",
                "digits",
                "Industry level measured (6 for NAICS, 1 for sections)",
            ),
            "employment": ("float64", "jobs", "Sum of the region's industries at that level"),
            "krugman": (
                "float64",
                "index 0-2",
                "Krugman (1991) specialization index sum_i |e_ri/e_r - e_i/E|",
            ),
            "herfindahl": ("float64", "ratio 0-1", "Herfindahl of the region's industry mix"),
            "n_specialised": (
                "int64",
                "industries",
                "Industries with LQ >= measure.specialised_lq (1.25)",
            ),
            "traded_share": (
                "float64",
                "share",
                "Employment share in traded industries (benchmark cluster type)",
            ),
        },
    ),
    "lq_change.parquet": (
        "LQ and employment change of every region x industry between two years (multi-year datasets; empty for one year).",
        {
            "region_id": ("string", "code", "Region id"),
            "industry_code": ("string", "code", "Industry code"),
            "industry_level": ("int8", "digits", "Industry code level"),
            "base_year": (
                "int16",
                "year",
                "Base year (params change.base_year or the dataset's change_base_year)",
            ),
            "end_year": ("int16", "year", "End year"),
            "published": ("string", "", "both, base_only or end_only: where the cell is published"),
            "lq_base": ("float64", "ratio", "LQ in the base year"),
            "lq_end": ("float64", "ratio", "LQ in the end year"),
            "lq_change": ("float64", "ratio", "lq_end - lq_base"),
            "employment_base": ("float64", "jobs", "Employment in the base year"),
            "employment_end": ("float64", "jobs", "Employment in the end year"),
            "employment_change": ("float64", "jobs", "employment_end - employment_base"),
            "employment_cagr": ("float64", "per year", "Compound annual growth rate of employment"),
            "lq_class": (
                "string",
                "",
                "emerging, declining, (un)specialised-rising/stable/falling, not-comparable",
            ),
        },
    ),
    "industry_clusters.parquet": (
        "Benchmark cluster of each six-digit industry (US Cluster Mapping definitions).",
        {
            "industry_code": (
                "string",
                "code",
                "Six-digit industry code of the dataset's classification",
            ),
            "cluster_code": ("string", "code", "Benchmark cluster: 1-51 traded, 101-116 local"),
            "cluster_name": ("string", "", "Benchmark cluster name"),
            "cluster_type": ("string", "", "traded or local"),
            "mapped_via": (
                "string",
                "",
                "naics2012 (same code) or concordance (NAICS 2017 code changed)",
            ),
            "method": (
                "string",
                "",
                "benchmark (published definitions: US Cluster Mapping, or NACE/OKVED sections) or "
                "derived (regclust relate: clusters from relatedness; NAICS local industries keep "
                "their benchmark cluster)",
            ),
            "drives": (
                "bool",
                "",
                "This method's clusters drive strength, regional clusters and labels "
                "(params cluster.definitions)",
            ),
        },
    ),
    "cluster_strength.parquet": (
        "Every region x benchmark cluster x year with employment, its LQ and the two notability rules.",
        {
            "region_id": ("string", "code", "Region id"),
            "cluster_code": ("string", "code", "Benchmark cluster code"),
            "cluster_name": ("string", "", "Benchmark cluster name"),
            "cluster_type": ("string", "", "traded or local"),
            "year": ("int16", "year", "Reference year"),
            "employment": (
                "float64",
                "jobs",
                "Sum of the cluster's six-digit industries in the region",
            ),
            "establishments": (
                "float64",
                "establishments",
                "Sum of establishments of those industries",
            ),
            "region_employment": (
                "float64",
                "jobs",
                "The LQ base e_r: the region's traded (local) employment for a traded (local) "
                "cluster with cluster.lq_base cmp, else its all-industry employment",
            ),
            "region_type": (
                "string",
                "",
                "US metros: metropolitan or micropolitan; percentiles of the strong rule are "
                "taken within the type (params cluster.strong.by_region_type)",
            ),
            "cluster_national": (
                "float64",
                "jobs",
                "The cluster's employment summed over all regions (e_c)",
            ),
            "national_employment": (
                "float64",
                "jobs",
                "The LQ base e_r summed over all regions (E)",
            ),
            "lq": ("float64", "ratio", "Cluster LQ (e_rc / e_r) / (e_c / E)"),
            "focus": (
                "float64",
                "share",
                "e_rc / e_r, the cluster's share of the region's employment",
            ),
            "strong": (
                "bool",
                "",
                "US Cluster Mapping strong-cluster rule (params cluster.strong)",
            ),
            "strong_strict": (
                "bool",
                "",
                "The strong rule with the LQ cut at the 90th percentile (CMP's strict variant)",
            ),
            "star_size": (
                "bool",
                "",
                "Employment in the top 10 % of all pairs (params cluster.stars)",
            ),
            "star_specialisation": ("bool", "", "LQ >= 2"),
            "star_focus": ("bool", "", "Focus in the top 10 % of all pairs"),
            "stars": ("int8", "stars", "European Cluster Observatory stars, 0-3"),
        },
    ),
    "regional_clusters.parquet": (
        "Identified regional clusters (GeoParquet): notable pairs of one cluster merged across adjacent regions, labelled.",
        {
            "regional_cluster_id": ("string", "id", "<year>-<cluster code>-<rank by employment>"),
            "year": ("int16", "year", "Reference year"),
            "cluster_code": ("string", "code", "Benchmark cluster code"),
            "cluster_name": ("string", "", "Benchmark cluster name"),
            "cluster_type": ("string", "", "traded or local"),
            "region_ids": ("list<string>", "codes", "Member regions, sorted"),
            "n_regions": ("int32", "regions", "Number of member regions"),
            "employment": ("float64", "jobs", "Cluster employment in the member regions"),
            "establishments": (
                "float64",
                "establishments",
                "Cluster establishments in the member regions",
            ),
            "region_employment": (
                "float64",
                "jobs",
                "All-industry employment of the member regions",
            ),
            "lq": ("float64", "ratio", "LQ of the merged regional cluster"),
            "max_stars": ("int8", "stars", "Most stars of any member pair"),
            "selected_by": (
                "string",
                "",
                "Why members were chosen: strong, stars, or strong+stars",
            ),
            "top_industries": (
                "list<string>",
                "codes",
                "Largest six-digit industries by employment, largest first",
            ),
            "technology_score": (
                "float64",
                "share",
                "Employment share in technology industries (params label)",
            ),
            "production_score": (
                "float64",
                "share",
                "Employment share in goods-producing sectors (params label)",
            ),
            "label": (
                "string",
                "",
                "technology, industrial-production or other (rule in params label)",
            ),
            "label_confidence": (
                "string",
                "",
                "high, or low when the label flips as a label threshold moves by +-20 %",
            ),
            "extent_km": (
                "float64",
                "km",
                "Widest distance between member regions' centres (0 for one region)",
            ),
            "hh_share": (
                "float64",
                "share",
                "Share of member regions in the local Moran High-High quadrant of the cluster's LQ",
            ),
            "mean_gi_star_z": (
                "float64",
                "z",
                "Mean Getis-Ord Gi* z of the cluster's LQ over member regions (null without)",
            ),
            "patent_intensity": (
                "float64",
                "patents per 1,000 jobs",
                "USPTO utility patents a year 2000-2015 in the member counties per "
                "params label.patents_per_jobs jobs (US metros only; descriptive, not in the label)",
            ),
            "geometry": (
                "geometry",
                "EPSG:4326",
                "Union of member regions; null when no member has a boundary",
            ),
        },
    ),
    "regional_cluster_industries.parquet": (
        "Industry composition of each regional cluster (what the label is computed from).",
        {
            "regional_cluster_id": ("string", "id", "Regional cluster id"),
            "industry_code": ("string", "code", "Six-digit industry code"),
            "employment": ("float64", "jobs", "Its employment in the member regions"),
        },
    ),
    "cluster_transitions.parquet": (
        "Strong-cluster entry and exit between consecutive years (multi-year datasets; empty for one year).",
        {
            "region_id": ("string", "code", "Region id"),
            "cluster_code": ("string", "code", "Cluster code"),
            "cluster_name": ("string", "", "Cluster name"),
            "cluster_type": ("string", "", "traded or local"),
            "year_from": ("int16", "year", "Earlier year"),
            "year_to": ("int16", "year", "Next year in the data"),
            "strong_from": ("bool", "", "Strong in year_from"),
            "strong_to": ("bool", "", "Strong in year_to"),
            "transition": (
                "string",
                "",
                "entry (becomes strong), exit (stops being strong) or persistent",
            ),
        },
    ),
    "local_spatial.parquet": (
        "Local spatial statistics of each cluster's LQ: local Moran (Anselin 1995) and Getis-Ord Gi* (Ord & Getis 1995).",
        {
            "year": ("int16", "year", "Reference year"),
            "cluster_code": ("string", "code", "Cluster code"),
            "cluster_name": ("string", "", "Cluster name"),
            "region_id": ("string", "code", "Region id (regions with a boundary only)"),
            "local_i": (
                "float64",
                "",
                "Local Moran I_i of the cluster LQ (row-standardised contiguity)",
            ),
            "local_p": (
                "float64",
                "probability",
                "Conditional-permutation pseudo p-value (params spatial)",
            ),
            "quadrant": (
                "string",
                "",
                "HH, HL, LH, LL (value vs neighbours) when local_p <= alpha, else ns",
            ),
            "gi_star_z": (
                "float64",
                "z",
                "Getis-Ord Gi* z-score (binary weights incl. the region itself)",
            ),
            "gi_star_p": ("float64", "probability", "One-sided normal p-value of Gi*"),
        },
    ),
    "region_groups.parquet": (
        "Specialisation regions (GeoParquet): contiguous groups of regions with a similar traded-"
        "cluster LQ profile (Ward with contiguity; count chosen by params region_groups.score).",
        {
            "region_id": ("string", "code", "Region code"),
            "name": ("string", "", "Region name"),
            "year": ("int16", "year", "Reference year of the profile"),
            "group_id": ("string", "id", "<year>-<rank of the group by employment>; contiguous"),
            "group_regions": ("int32", "regions", "Regions in the group (1: no neighbours)"),
            "group_employment": ("float64", "jobs", "Total employment of the group's regions"),
            "dominant_cluster_codes": ("list<string>", "codes", "Clusters with most excess jobs"),
            "dominant_cluster_names": ("list<string>", "", "Their names"),
            "dominant_cluster_lqs": ("list<float64>", "ratio", "Their LQ of the pooled group"),
            "dominant_cluster_excess": (
                "list<float64>",
                "jobs",
                "Jobs above the national share, E_gc - E_g E_c / E",
            ),
            "kmeans_group": ("int32", "id", "Unconstrained KMeans group, for comparison"),
            "geometry": ("geometry", "EPSG:4326", "Region boundary"),
        },
    ),
    "industry_relatedness.parquet": (
        "Relatedness of industry pairs (Delgado, Porter & Stern 2016): each industry's strongest "
        "links (params relatedness.top_k), both directions listed.",
        {
            "industry_code": ("string", "code", "Industry code (finest level of the dataset)"),
            "related_code": ("string", "code", "A related industry's code"),
            "colocation_employment": (
                "float64",
                "correlation",
                "LC-emp: Pearson correlation of the two industries' employment across regions",
            ),
            "colocation_establishments": (
                "float64",
                "correlation",
                "LC-est: the same on establishment counts (null without establishments)",
            ),
            "coagglomeration": (
                "float64",
                "index",
                "Ellison, Glaeser & Kerr (2010) coagglomeration index (published, not combined)",
            ),
            "input_output": (
                "float64",
                "share",
                "IO: largest of the four input and output shares between the two (BEA 2012 "
                "detailed Use and Make tables; null outside NAICS 2017 or a user's IO table)",
            ),
            "occupation": (
                "float64",
                "correlation",
                "Occ: correlation of occupation-share vectors (BLS OEWS 2025; null where none)",
            ),
            "combined": (
                "float64",
                "z",
                "Weighted mean of the z-scored measures a pair has (params relatedness.weights)",
            ),
            "rank": ("int32", "rank", "1 = the industry's most related industry"),
        },
    ),
    "derived_cluster_scores.parquet": (
        "Every candidate partition of the derived industry clusters, scored by DPS's validation "
        "scores; the selected one drives `method = derived` in industry_clusters.parquet.",
        {
            "method": ("string", "", "agglomerative, spectral or kmeans"),
            "linkage": ("string", "", "Agglomerative linkage (empty for the others)"),
            "n_clusters": ("int32", "clusters", "Clusters asked for"),
            "n_clusters_found": ("int32", "clusters", "Clusters obtained"),
            "vs_cluster": (
                "float64",
                "share",
                "VS-cluster: share of cluster pairs whose within-cluster relatedness exceeds "
                "their between-cluster relatedness",
            ),
            "vs_industry": (
                "float64",
                "share",
                "VS-industry: share of industries more related to their own cluster than to any other",
            ),
            "criterion": (
                "float64",
                "share",
                "(vs_cluster + vs_industry) / 2, the selection score",
            ),
            "largest_share": ("float64", "share", "Industries in the largest cluster / all"),
            "singletons": ("int32", "clusters", "One-industry clusters"),
            "eligible": (
                "bool",
                "",
                "Largest cluster within params industry_clusters.max_cluster_share",
            ),
            "selected": ("bool", "", "The partition chosen (highest criterion among eligible)"),
        },
    ),
    "metrics.json": (
        "Headline figures tracked by `dvc metrics show` (flat: counts, labels, derived-cluster "
        "ARI, region groups, low-confidence labels, imputation share and hold-out error).",
        {},
    ),
    "report.json": (
        "Every figure of the run: the metrics above in full, cells by flag, imputed employment "
        "by level and the hold-out, the derived clusters' validation (VS, ARI, NMI of derived, "
        "benchmark and baselines), relatedness separation, region-group scores, label "
        "robustness, LISA quadrants, strong-cluster transitions.",
        {},
    ),
    "plots/*.csv": (
        "`dvc plots show` tables: LQ distribution of the finest-level cells, regions by number "
        "of strong traded clusters (latest year).",
        {},
    ),
}

# Names beside codes (pipeline.profiles.with_names, written by the stages): each table that
# carries them documents them right after the code they name.
NAME_COLUMNS = {
    "region_id": (
        "region_name",
        ("string", "", "Region name (regions.parquet), empty where the region has none"),
    ),
    "industry_code": (
        "industry_name",
        (
            "string",
            "",
            "Official industry title (Census NAICS 2017/2012, Eurostat NACE Rev.2 / OKVED 2 "
            "sections; industry_titles.csv), empty for codes without one (custom)",
        ),
    ),
}
NAMED_TABLES = {
    "location_quotients.parquet": ("region_id", "industry_code"),
    "concentration.parquet": ("industry_code",),
    "region_specialization.parquet": ("region_id",),
    "lq_change.parquet": ("region_id", "industry_code"),
    "industry_clusters.parquet": ("industry_code",),
    "cluster_strength.parquet": ("region_id",),
    "cluster_transitions.parquet": ("region_id",),
    "regional_cluster_industries.parquet": ("industry_code",),
}
for _table, _codes in NAMED_TABLES.items():
    _description, _columns = DATA_DICTIONARY[_table]
    _named: dict[str, tuple[str, str, str]] = {}
    for _name, _entry in _columns.items():
        _named[_name] = _entry
        if _name in _codes:
            _named[NAME_COLUMNS[_name][0]] = NAME_COLUMNS[_name][1]
    DATA_DICTIONARY[_table] = (_description, _named)


def data_dictionary_markdown(dataset: str, measure: str = "employment", unit: str = "jobs") -> str:
    """The data dictionary of every published table, as Markdown.

    ``measure`` and ``unit`` say what the ``employment`` columns hold for this dataset
    (e.g. industrial shipments in million RUB).
    """
    lines = [
        f"# Data dictionary: `data/processed/{dataset}/`",
        "",
        f"In this dataset the `employment` columns hold **{measure}** ({unit}); every LQ and",
        "concentration measure is computed on that measure.",
        "",
        "Written by `regclust publish`. Parquet tables read with pandas/pyarrow; `*.parquet` with a",
        "geometry column are GeoParquet (read with `geopandas.read_parquet`).",
        "",
    ]
    for table, (description, columns) in DATA_DICTIONARY.items():
        lines += [f"## `{table}`", "", description, ""]
        if columns:
            lines += ["| column | type | unit | meaning |", "|---|---|---|---|"]
            lines += [
                f"| `{name}` | {kind} | {unit if column_unit == 'jobs' else column_unit} | {meaning} |"
                for name, (kind, column_unit, meaning) in columns.items()
            ]
            lines.append("")
    return "\n".join(lines)


def run_metrics(
    employment: pd.DataFrame,
    location_quotients: pd.DataFrame,
    industry_clusters: pd.DataFrame,
    cluster_strength: pd.DataFrame,
    regional: pd.DataFrame,
    regions: gpd.GeoDataFrame,
) -> dict[str, Any]:
    """Counts that summarise a run, for ``dvc metrics show``."""
    detail = employment[employment["industry_level"] == employment["industry_level"].max()]
    mapped = detail["industry_code"].isin(industry_clusters["industry_code"])
    detail_total = float(detail["employment"].sum())
    unmapped_share = (
        float(detail.loc[~mapped, "employment"].sum()) / detail_total if detail_total else 0.0
    )
    labels = regional["label"].value_counts().to_dict() if len(regional) else {}
    return {
        "regions": int(employment["region_id"].nunique()),
        "regions_without_boundary": int(regions.geometry.isna().sum()),
        "industries": int(
            employment.loc[employment["industry_level"] > 0, "industry_code"].nunique()
        ),
        "years": sorted(int(y) for y in employment["year"].unique()),
        "rows_employment": int(len(employment)),
        "rows_location_quotients": int(len(location_quotients)),
        "mapped_industries": int(industry_clusters["industry_code"].nunique()),
        "unmapped_employment_share": round(unmapped_share, 6),
        "strong_pairs": int(cluster_strength["strong"].sum()),
        "pairs_with_2plus_stars": int((cluster_strength["stars"] >= 2).sum()),
        "regional_clusters": int(len(regional)),
        "regional_clusters_by_label": {
            label: int(labels.get(label, 0))
            for label in ("technology", "industrial-production", "other")
        },
    }


def headline_metrics(report: dict[str, Any]) -> dict[str, Any]:
    """The few figures ``dvc metrics show`` prints per dataset (``report.json`` has them all).

    Flat keys, so ``dvc metrics show`` / ``diff`` stay readable: counts, the regional
    clusters by label, the derived clusters' agreement with the benchmark, region groups,
    low-confidence labels and the imputation's share and hold-out error where they exist.
    """
    headline: dict[str, Any] = {
        key: report[key]
        for key in (
            "regions",
            "industries",
            "strong_pairs",
            "regional_clusters",
            "regions_without_boundary",
            "unmapped_employment_share",
        )
        if key in report
    }
    for label, count in report.get("regional_clusters_by_label", {}).items():
        headline[f"clusters_{label.replace('-', '_')}"] = count
    derived = report.get("industry_clusters", {}).get("partitions", {}).get("derived", {})
    if derived:
        headline["derived_clusters"] = derived.get("n_clusters")
        if "ari" in derived:
            headline["derived_ari_vs_benchmark"] = derived["ari"]
    groups = report.get("region_groups", {})
    if groups:
        last = groups[max(groups)]
        headline["region_groups"] = last.get("ward", {}).get("n_groups")
    robustness = report.get("label_robustness", {})
    if "low_confidence" in robustness:
        headline["low_confidence_labels"] = robustness["low_confidence"]
    imputed = report.get("imputed_employment_by_level", {})
    if imputed:
        finest = imputed[max(imputed)]
        headline["imputed_share_finest_level"] = finest.get("share")
    holdout = report.get("unpublished_holdout", {}).get("all", {})
    if "median_ape" in holdout:
        headline["holdout_median_ape"] = holdout["median_ape"]
    bls = report.get("bls_lq_agreement", {})
    if "share_fully_disclosed" in bls:
        headline["bls_lq_share_fully_disclosed"] = bls["share_fully_disclosed"]
    return headline


def plot_tables(quotients: pd.DataFrame, strength: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Small CSV tables for ``dvc plots``: the LQ distribution and strong clusters per region.

    ``lq_distribution``: share of the finest-level cells of the latest year in LQ bins
    (log-spaced edges 0, 0.25, 0.5, ..., 16+); ``strong_per_region``: how many regions have
    0, 1, 2, ... strong traded clusters in the latest year.
    """
    year = int(quotients["year"].max())
    level = int(quotients["industry_level"].max())
    cells = quotients.loc[
        (quotients["year"] == year) & (quotients["industry_level"] == level), "lq"
    ].dropna()
    edges = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 8.0, 16.0, float("inf")]
    counts = pd.cut(cells, edges, right=False).value_counts(sort=False)
    lq_distribution = pd.DataFrame(
        {
            "lq_from": edges[:-1],
            "share_of_cells": (counts / max(len(cells), 1)).round(6).to_numpy(),
        }
    )
    latest = strength[(strength["year"] == strength["year"].max())]
    traded = latest[latest["cluster_type"] == "traded"]
    per_region = traded.groupby("region_id")["strong"].sum().astype(int)
    strong_per_region = (
        per_region.value_counts()
        .sort_index()
        .rename_axis("strong_clusters")
        .rename("regions")
        .reset_index()
    )
    return {"lq_distribution": lq_distribution, "strong_per_region": strong_per_region}
