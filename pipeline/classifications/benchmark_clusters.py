"""US Cluster Mapping Project benchmark cluster definitions (Delgado, Porter & Stern 2016).

The published definitions assign NAICS 2012 six-digit industries to 51 traded and 16
local clusters. NAICS 2017 data are mapped through a 2017 -> 2012 concordance of the
codes that changed (``naics_2017_to_2012.csv``); codes unchanged between vintages map
directly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.classifications.tables import read_code_table
from pipeline.errors import UserError

CROSSWALK_COLUMNS = [
    "naics_vintage",
    "naics",
    "naics_title",
    "cluster_code",
    "cluster_name",
    "cluster_type",
]


def read_crosswalk(path: Path) -> pd.DataFrame:
    """The long NAICS -> cluster crosswalk, codes as strings."""
    return read_code_table(path, CROSSWALK_COLUMNS)


def industry_clusters(
    industry_codes: pd.Series | list[str],
    crosswalk: pd.DataFrame,
    concordance: pd.DataFrame,
    *,
    classification: str,
) -> pd.DataFrame:
    """Benchmark cluster of each six-digit industry code.

    Parameters
    ----------
    industry_codes : sequence of str
        Six-digit NAICS codes to map.
    crosswalk : DataFrame
        :func:`read_crosswalk` output.
    concordance : DataFrame
        :func:`pipeline.classifications.naics_vintages.read_naics_concordance` output, used
        when ``classification`` is naics2017.
    classification : {'naics2017', 'naics2012'}
        The codes' vintage: the dataset's ``classification`` in params.yaml.

    Returns
    -------
    DataFrame
        industry_code, cluster_code (string: '1'..'51' traded, '101'..'116' local),
        cluster_name, cluster_type, mapped_via ('naics2012' direct, 'concordance', or
        'prefix': a code unknown to both vintages whose five-digit parent lies in one
        cluster only, as BLS's QCEW splits of construction, 238211/238212 of 238210),
        for every input code that maps; unmapped codes are left out.
    """
    if classification not in {"naics2017", "naics2012"}:
        raise UserError(f"benchmark clusters need NAICS 2012 or 2017 codes, not '{classification}'")
    clusters_2012 = crosswalk[crosswalk["naics_vintage"] == "2012"].set_index("naics")
    codes = pd.Index(pd.unique(pd.Series(list(industry_codes), dtype=str)))
    direct = codes.intersection(clusters_2012.index)
    mapped = pd.DataFrame({"industry_code": direct, "naics2012": direct, "mapped_via": "naics2012"})
    if classification == "naics2017":
        # A 2017 code made of several 2012 codes takes the cluster of its primary source.
        changed = concordance[
            concordance["primary"] & concordance["naics2017"].isin(codes.difference(direct))
        ]
        via = pd.DataFrame(
            {
                "industry_code": changed["naics2017"].to_numpy(),
                "naics2012": changed["naics2012"].to_numpy(),
                "mapped_via": "concordance",
            }
        )
        mapped = pd.concat([mapped, via], ignore_index=True)
    mapped = pd.concat(
        [mapped, _prefix_matches(codes.difference(mapped["industry_code"]), clusters_2012)],
        ignore_index=True,
    )
    mapped = mapped.merge(
        clusters_2012[["cluster_code", "cluster_name", "cluster_type"]],
        left_on="naics2012",
        right_index=True,
        how="inner",
    )
    columns = ["industry_code", "cluster_code", "cluster_name", "cluster_type", "mapped_via"]
    return mapped[columns].sort_values("industry_code", ignore_index=True)


def _prefix_matches(codes: pd.Index, clusters_2012: pd.DataFrame) -> pd.DataFrame:
    """Unknown six-digit codes whose five-digit parent maps to a single cluster."""
    parents = pd.Series(clusters_2012.index.str[:5], index=clusters_2012.index)
    by_parent = clusters_2012.groupby(parents.to_numpy())["cluster_code"].nunique()
    single = by_parent[by_parent == 1].index
    first_code = pd.Series(clusters_2012.index, index=parents.to_numpy()).groupby(level=0).first()
    candidates = pd.Series(codes, dtype=str)
    candidates = candidates[(candidates.str.len() == 6) & candidates.str[:5].isin(single)]
    return pd.DataFrame(
        {
            "industry_code": candidates.to_numpy(),
            "naics2012": candidates.str[:5].map(first_code).to_numpy(),
            "mapped_via": "prefix",
        }
    )
