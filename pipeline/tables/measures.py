"""Tables of the measure stage: location quotients, concentration, region specialization, LQ
change, and the local spatial statistics of clusters and industries.
"""

from __future__ import annotations

import pandera.pandas as pa

from pipeline.measures.change import LQ_CLASSES
from pipeline.tables.columns import (
    _NON_NEGATIVE,
    _PROBABILITY,
    H_METHODS,
    LQ_UNIT,
    MEASURE_UNIT,
    NAME_COLUMNS,
    QUADRANTS,
    amount,
    code,
    column,
    count,
    level,
    one_of,
    real,
    share,
    table,
    text,
    year,
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


LOCATION_QUOTIENTS = table(
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
)


CONCENTRATION = table(
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
            "LQ 0); null without boundaries, and at levels other than the cluster level unless "
            "spatial.moran_levels is all ({spatial.moran_levels} here)"
        ),
        "moran_expected_i": real("E[I] = -1 / (n - 1)"),
        "moran_z": real("z-score under normality", "z"),
        "moran_p_sim": column(
            "float64",
            "Permutation pseudo p-value ({spatial.permutations} permutations, seed {spatial.seed})",
            "probability",
            _PROBABILITY,
        ),
    },
    names=("industry_code",),
)


REGION_SPECIALIZATION = table(
    "region_specialization.parquet",
    "Specialization of each region x year across the industries of the cluster level (measure).",
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
            "Share of the region's {dataset.measure} in traded industries (benchmark cluster type)"
        ),
    },
    names=("region_id",),
)


LQ_CHANGE = table(
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
)


LOCAL_SPATIAL = table(
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
)


LOCAL_SPATIAL_INDUSTRIES = table(
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
)
