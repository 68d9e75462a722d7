"""Which cluster definitions and technology weights apply to a dataset's classification.

* NAICS (2017 or 2012) data use the US Cluster Mapping benchmark clusters on six-digit
  industries and the BLS high-tech list (prefix weights 1).
* NACE Rev.2 and OKVED 2 section-level data use each section as its own cluster (typed
  traded or local, :func:`pipeline.classifications.nace.section_clusters`) and weight each
  section by the technology share of its divisions (Eurostat high-tech aggregation).
* A custom classification has no published cluster definitions: each top-level industry is
  its own (traded) cluster, and only industries listed in the dataset's technology table
  (option ``technology``) count as technology; without one every cluster is 'other'.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pipeline.classifications.benchmark_clusters import industry_clusters, read_crosswalk
from pipeline.classifications.codes import TOTAL_CODE
from pipeline.classifications.nace import (
    NACE_MAX_DIGITS,
    read_division_aggregates,
    read_nace_sections,
    section_clusters,
    section_technology,
)
from pipeline.classifications.naics import NAICS_CLASSIFICATIONS
from pipeline.classifications.naics_vintages import read_naics_concordance
from pipeline.classifications.tables import CONCORDANCE_FILE, CROSSWALK_FILE, TECHNOLOGY_LISTS_FILE
from pipeline.classifications.technology import read_technology_lists, technology_prefixes
from pipeline.config import LabelSettings
from pipeline.errors import UserError

NAICS = NAICS_CLASSIFICATIONS
SECTIONS = tuple(NACE_MAX_DIGITS)
CUSTOM = "custom"
NAICS_CLUSTER_LEVEL = 6  # benchmark clusters are made of six-digit industries
SECTION_CLUSTER_LEVEL = 1


def _check(classification: str) -> None:
    if classification not in (*NAICS, *SECTIONS, CUSTOM):
        raise UserError(
            f"classification '{classification}' has no cluster definitions; "
            f"use one of {', '.join((*NAICS, *SECTIONS, CUSTOM))}"
        )


def cluster_level(classification: str, levels: pd.Series | None = None) -> int:
    """The industry level clusters are built from: 6 for NAICS, 1 for sections, and the
    top level present (lowest positive ``levels``) for a custom classification."""
    _check(classification)
    if classification in NAICS:
        return NAICS_CLUSTER_LEVEL
    if classification in SECTIONS or levels is None or not (levels > 0).any():
        return SECTION_CLUSTER_LEVEL
    return int(levels[levels > 0].min())


def cluster_mapping(codes, classification: str, tables: Path) -> pd.DataFrame:
    """industry_code -> cluster_code, cluster_name, cluster_type, mapped_via."""
    _check(classification)
    if classification in NAICS:
        return industry_clusters(
            codes,
            read_crosswalk(tables / CROSSWALK_FILE),
            read_naics_concordance(tables / CONCORDANCE_FILE),
            classification=classification,
        )
    if classification in SECTIONS:
        return section_clusters(codes, section_table=read_nace_sections(tables))
    unique = sorted(set(pd.Series(list(codes), dtype=str)) - {TOTAL_CODE})
    return pd.DataFrame(
        {
            "industry_code": pd.Series(unique, dtype=str),
            "cluster_code": pd.Series(unique, dtype=str),
            "cluster_name": pd.Series(unique, dtype=str),
            "cluster_type": "traded",
            "mapped_via": "custom",
        }
    )


def label_weights(
    classification: str,
    label: LabelSettings,
    tables: Path,
    technology_codes: Iterable[str],
) -> tuple[dict[str, float], dict[str, float]]:
    """Technology and goods-production weights by industry code prefix.

    ``technology_codes`` (a custom classification's technology industries, as read from the
    table the dataset's ``technology`` option in params.yaml names, by
    :func:`pipeline.sources.custom_classification.read_technology_table`; empty when the
    dataset names none) are used only for 'custom'.

    Returns
    -------
    (technology, production) : dicts of prefix -> weight in [0, 1]
    """
    _check(classification)
    if classification == CUSTOM:
        return dict.fromkeys(technology_codes, 1.0), {}
    if classification in NAICS:
        prefixes = technology_prefixes(
            read_technology_lists(tables / TECHNOLOGY_LISTS_FILE),
            label.technology_list,
            label.technology_levels,
            exclude=label.technology_exclude,
        )
        return dict.fromkeys(prefixes, 1.0), dict.fromkeys(label.production_sectors, 1.0)
    sections = section_technology(
        read_division_aggregates(tables),
        technology_aggregates=label.section_technology_aggregates,
        production_sections=label.production_sections,
        section_table=read_nace_sections(tables),
    )
    technology = {
        section: float(share)
        for section, share in zip(sections["section"], sections["technology_share"], strict=True)
        if share > 0
    }
    return technology, dict.fromkeys(label.production_sections, 1.0)
