"""Which cluster definitions and technology weights apply to a dataset's classification.

* NAICS (2017 or 2012) data use the US Cluster Mapping benchmark clusters on six-digit
  industries and the BLS high-tech list (prefix weights 1).
* NACE Rev.2 and OKVED 2 section-level data use each section as its own cluster (typed
  traded or local, :func:`pipeline.classifications.nace.section_clusters`) and weight each
  section by the technology share of its divisions (Eurostat high-tech aggregation).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.classifications.benchmark_clusters import (
    industry_clusters,
    read_concordance,
    read_crosswalk,
)
from pipeline.classifications.nace import (
    read_division_aggregates,
    section_clusters,
    section_technology,
)
from pipeline.classifications.technology import read_technology_lists, technology_prefixes
from pipeline.config import LabelSettings
from pipeline.errors import UserError

NAICS = ("naics2017", "naics2012")
SECTIONS = ("nace_r2", "okved2")


def _check(classification: str) -> None:
    if classification not in NAICS + SECTIONS:
        raise UserError(
            f"classification '{classification}' has no cluster definitions; "
            f"use one of {', '.join(NAICS + SECTIONS)}"
        )


def cluster_level(classification: str) -> int:
    """The industry level the cluster definitions are written at (6 NAICS, 1 sections)."""
    _check(classification)
    return 6 if classification in NAICS else 1


def cluster_mapping(codes, classification: str, tables: Path) -> pd.DataFrame:
    """industry_code -> cluster_code, cluster_name, cluster_type, mapped_via."""
    _check(classification)
    if classification in NAICS:
        return industry_clusters(
            codes,
            read_crosswalk(tables / "uscmp_cluster_naics_crosswalk.csv"),
            read_concordance(tables / "naics_2017_to_2012.csv"),
            classification,
        )
    return section_clusters(codes)


def label_weights(
    classification: str, label: LabelSettings, tables: Path
) -> tuple[dict[str, float], dict[str, float]]:
    """Technology and goods-production weights by industry code prefix.

    Returns
    -------
    (technology, production) : dicts of prefix -> weight in [0, 1]
    """
    _check(classification)
    if classification in NAICS:
        prefixes = technology_prefixes(
            read_technology_lists(tables / "hightech_naics_lists.csv"),
            label.technology_list,
            label.technology_levels,
            label.technology_exclude,
        )
        return dict.fromkeys(prefixes, 1.0), dict.fromkeys(label.production_sectors, 1.0)
    sections = section_technology(
        read_division_aggregates(tables / "eurostat_nace_r2_tech_knowledge_intensity.csv"),
        label.section_technology_aggregates,
        label.production_sections,
    )
    technology = {
        section: float(share)
        for section, share in zip(sections["section"], sections["technology_share"], strict=True)
        if share > 0
    }
    return technology, dict.fromkeys(label.production_sections, 1.0)
