"""A region's profile (:func:`region_profile`): total employment, strongest clusters with their
regional-cluster label, most specialised industries, its region group and the change since the
base year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipeline.errors import UserError
from pipeline.profiles.lookup import latest_year


@dataclass
class RegionProfile:
    """What :func:`region_profile` returns (tables are plain DataFrames)."""

    region_id: str
    region_name: str
    year: int
    total_employment: float | None
    clusters: pd.DataFrame
    industries: pd.DataFrame
    group: dict | None = None
    base_year: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready: the tables as lists of records, missing values as None."""

        def records(table: pd.DataFrame) -> list[dict]:
            clean = table.astype(object).where(table.notna(), None)
            return clean.to_dict(orient="records")

        return {
            "region_id": self.region_id,
            "region_name": self.region_name,
            "year": self.year,
            "total_employment": self.total_employment,
            "base_year": self.base_year,
            "clusters": records(self.clusters),
            "industries": records(self.industries),
            "group": self.group,
            "notes": self.notes,
        }


def _region_labels(regional: pd.DataFrame | None, region_id: str, year: int) -> pd.DataFrame:
    """The regional cluster (id, label, scores) each of the region's clusters belongs to."""
    columns = ["cluster_code", "regional_cluster_id", "label"]
    if regional is None or regional.empty:
        return pd.DataFrame(columns=columns)
    extra = [
        name
        for name in ("label_confidence", "technology_score", "production_score")
        if name in regional.columns
    ]
    rows = regional[regional["year"] == year]
    holds = rows["region_ids"].map(lambda ids: region_id in list(ids))
    return pd.DataFrame(rows.loc[holds, columns + extra])


def region_profile(
    region_id: str,
    region_name: str,
    strength: pd.DataFrame,
    quotients: pd.DataFrame,
    titles: pd.Series,
    *,
    year: int | None = None,
    regional: pd.DataFrame | None = None,
    groups: pd.DataFrame | None = None,
    base_year: int | None = None,
    industry_level: int | None = None,
    top: int = 10,
    min_employment: float = 0.0,
) -> RegionProfile:
    """A region's profile: its strongest clusters and most specialised industries.

    Parameters
    ----------
    region_id, region_name : str
        The region (see :func:`find_code`).
    strength : DataFrame
        ``cluster_strength.parquet``: region x cluster x year with lq, employment, strong,
        stars.
    quotients : DataFrame
        ``location_quotients.parquet``: region x industry x year with lq, employment and
        region_employment.
    titles : Series
        Industry titles indexed by code (:mod:`pipeline.classifications.titles`).
    year : int, optional
        Default: the latest year.
    regional : DataFrame, optional
        ``regional_clusters.parquet``; adds each cluster's regional cluster, label and
        scores (and ``label_confidence`` when published).
    groups : DataFrame, optional
        ``region_groups.parquet`` (region_id, year optional, group columns).
    base_year : int, optional
        For panels: adds ``lq_base``, ``lq_change`` and ``employment_change`` since it.
    industry_level : int, optional
        Level of the industries listed (default: the deepest level in the data).
    top : int
        Rows per table.
    min_employment : float
        Industries with less employment in the region are not listed (LQs of tiny cells are
        volatile).

    Returns
    -------
    RegionProfile
        ``clusters``: cluster_code, cluster_name, cluster_type, lq, employment, strong,
        stars (+ label columns, change columns), strongest first (strong, then stars, then
        LQ); ``industries``: industry_code, industry_name, lq, employment, by LQ.
    """
    year = latest_year(strength if not strength.empty else quotients, year)
    own = strength[(strength["region_id"] == region_id) & (strength["year"] == year)]
    if own.empty and quotients[quotients["region_id"] == region_id].empty:
        raise UserError(f"region {region_id} has no rows in {year}")
    columns = ["cluster_code", "cluster_name", "cluster_type", "lq", "employment", "strong"]
    columns += ["stars"]
    clusters = own[columns].sort_values(["strong", "stars", "lq"], ascending=[False, False, False])
    labels = _region_labels(regional, region_id, year)
    if not labels.empty:
        clusters = clusters.merge(labels, on="cluster_code", how="left")
    notes: list[str] = []
    if base_year is not None and base_year != year:
        base = strength[(strength["region_id"] == region_id) & (strength["year"] == base_year)]
        base = base[["cluster_code", "lq", "employment"]].rename(
            columns={"lq": "lq_base", "employment": "employment_base"}
        )
        clusters = clusters.merge(base, on="cluster_code", how="left")
        clusters["lq_change"] = clusters["lq"] - clusters["lq_base"]
        clusters["employment_change"] = clusters["employment"] - clusters["employment_base"]
        notes.append(f"change columns compare {year} with {base_year}")
    clusters = clusters.head(top).reset_index(drop=True)

    cells = quotients[(quotients["region_id"] == region_id) & (quotients["year"] == year)]
    total = float(cells["region_employment"].iloc[0]) if len(cells) else None
    measured = cells[cells["industry_level"] > 0]
    level = industry_level if industry_level is not None else int(measured["industry_level"].max())
    listed = measured[
        (measured["industry_level"] == level) & (measured["employment"] >= min_employment)
    ]
    industries = listed.sort_values("lq", ascending=False).head(top)
    industries = pd.DataFrame(
        {
            "industry_code": industries["industry_code"].to_numpy(),
            "industry_name": industries["industry_code"].map(titles).to_numpy(),
            "lq": industries["lq"].to_numpy(),
            "employment": industries["employment"].to_numpy(),
        }
    )
    group = None
    if groups is not None and not groups.empty:
        rows = groups[groups["region_id"] == region_id]
        if "year" in rows.columns and (rows["year"] == year).any():
            rows = rows[rows["year"] == year]
        if len(rows):
            first = rows.iloc[0].drop(labels=["region_id"])
            group = {
                key: (
                    value.tolist()
                    if hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0
                    else value.item()
                    if hasattr(value, "item")
                    else value
                )
                for key, value in first.items()
                if key != "geometry"
            }
    return RegionProfile(
        region_id=region_id,
        region_name=region_name,
        year=year,
        total_employment=total,
        clusters=clusters,
        industries=industries,
        group=group,
        base_year=base_year if base_year != year else None,
        notes=notes,
    )
