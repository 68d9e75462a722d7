"""Rankings: the regions where a cluster or an industry is most concentrated
(:func:`leading_regions`) and the largest regional clusters, of one label or of all
(:func:`largest_regional_clusters`).
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from pipeline.clusters.labels import LABELS
from pipeline.errors import UserError
from pipeline.profiles.lookup import latest_year


def leading_regions(
    code: str,
    kind: str,
    table: pd.DataFrame,
    region_names: pd.Series,
    *,
    year: int | None = None,
    top: int = 10,
    min_employment: float = 0.0,
    order_by: str = "lq",
) -> pd.DataFrame:
    """The regions where a cluster (``kind='cluster'``) or an industry is most concentrated.

    Parameters
    ----------
    code : str
        Cluster code (``cluster_strength``) or industry code (``location_quotients``).
    kind : {'cluster', 'industry'}
        Which table ``table`` is.
    table : DataFrame
        ``cluster_strength.parquet`` or ``location_quotients.parquet``.
    region_names : Series
        Region names indexed by region_id.
    year : int, optional
        Default: the latest year.
    top : int
        Regions listed.
    min_employment : float
        Regions with less employment in it are left out (volatile LQs of tiny cells).
    order_by : {'lq', 'employment'}
        Rank by specialisation (LQ) or by size (employment), highest first.

    Returns
    -------
    DataFrame
        rank, region_id, region_name, lq, employment, share (of the national employment in
        it), and strong, stars for clusters.
    """
    if order_by not in ("lq", "employment"):
        raise UserError(f"order '{order_by}' is not known; use lq or employment")
    column = "cluster_code" if kind == "cluster" else "industry_code"
    year = latest_year(table, year)
    rows = table[(table[column] == code) & (table["year"] == year)]
    if rows.empty:
        raise UserError(f"{kind} {code} has no rows in {year}")
    national = float(rows["employment"].sum())
    rows = rows[rows["employment"] >= min_employment]
    second = "employment" if order_by == "lq" else "lq"
    rows = rows.sort_values([order_by, second], ascending=[False, False]).head(top)
    result = pd.DataFrame(
        {
            "rank": np.arange(1, len(rows) + 1),
            "region_id": rows["region_id"].to_numpy(),
            "region_name": rows["region_id"].map(region_names).to_numpy(),
            "lq": rows["lq"].to_numpy(),
            "employment": rows["employment"].to_numpy(),
            "share": (rows["employment"] / national).to_numpy() if national else np.nan,
        }
    )
    if kind == "cluster":
        result["strong"] = rows["strong"].to_numpy()
        result["stars"] = rows["stars"].to_numpy()
    return result


LABEL_ALIASES = {"tech": "technology", "production": "industrial-production"}
"""Short label names (as the CLI tables print them) -> the published labels."""


def label_name(label: str) -> str:
    """The published label for ``label`` (a label or its short form); else a UserError.

    >>> label_name("tech")
    'technology'
    """
    wanted = LABEL_ALIASES.get(label.strip().lower(), label.strip().lower())
    if wanted not in LABELS:
        close = difflib.get_close_matches(wanted, [*LABELS, *LABEL_ALIASES], n=1, cutoff=0.5)
        hint = f"did you mean '{LABEL_ALIASES.get(close[0], close[0])}'? " if close else ""
        raise UserError(f"--label {label}: not a label; {hint}labels: {', '.join(LABELS)}")
    return wanted


def largest_regional_clusters(
    regional: pd.DataFrame,
    region_names: pd.Series,
    *,
    label: str | None = None,
    year: int | None = None,
    top: int = 10,
    order_by: str = "employment",
    strength: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The largest regional clusters of one label (``None``: of every label).

    Parameters
    ----------
    regional : DataFrame
        ``regional_clusters.parquet``: one row per regional cluster and year with
        cluster_code, cluster_name, region_ids, employment, lq, max_stars, label (and
        label_confidence when published).
    region_names : Series
        Region names indexed by region_id.
    label : {'technology', 'industrial-production', 'other'}, optional
        Only regional clusters with this label ('tech' and 'production' also work).
    year : int, optional
        Default: the latest year.
    top : int
        Regional clusters listed.
    order_by : {'employment', 'lq'}
        Rank by size (employment) or by specialisation (LQ of the pooled regions).
    strength : DataFrame, optional
        ``cluster_strength.parquet``: when given, each cluster's regions are listed by their
        employment in the cluster, largest first (else in the order of ``region_ids``).

    Returns
    -------
    DataFrame
        rank, regional_cluster_id, cluster_code, cluster_name, label, label_confidence
        (when published), employment, lq, max_stars, n_regions, regions (the region names,
        "; "-separated, the region id where a name is unknown), largest first.

    Examples
    --------
    >>> regional = pd.DataFrame({"regional_cluster_id": ["a", "b"], "year": 2019,
    ...     "cluster_code": ["59", "4"], "cluster_name": ["IT", "Automotive"],
    ...     "region_ids": [["42660"], ["19820"]], "n_regions": 1, "employment": [9e4, 1e5],
    ...     "lq": [2.0, 5.0], "max_stars": [3, 3], "label": ["technology", "other"]})
    >>> largest_regional_clusters(regional, pd.Series({"42660": "Seattle"}),
    ...     label="technology")[["cluster_name", "regions"]].values.tolist()
    [['IT', 'Seattle']]
    """
    if order_by not in ("lq", "employment"):
        raise UserError(f"order '{order_by}' is not known; use lq or employment")
    label = label_name(label) if label is not None else None
    if regional is None or regional.empty:
        raise UserError("no regional clusters in the data; run the pipeline first (dvc repro)")
    year = latest_year(regional, year)
    rows = regional[regional["year"] == year]
    if label is not None:
        rows = rows[rows["label"] == label]
    second = "lq" if order_by == "employment" else "employment"
    rows = rows.sort_values([order_by, second], ascending=[False, False]).head(top)
    names = region_names.astype(str)
    size = pd.Series(dtype=float)
    if strength is not None:
        cells = strength[strength["year"] == year]
        size = cells.set_index(["cluster_code", "region_id"])["employment"]

    def listed(cluster_code: str, ids) -> str:
        ids = [str(code) for code in list(ids)]
        if len(size):
            jobs = [size.get((cluster_code, code), -np.inf) for code in ids]
            ids = [ids[i] for i in np.argsort(jobs, kind="stable")[::-1]]
        return "; ".join(names.get(code, code) for code in ids)

    result = pd.DataFrame(
        {
            "rank": np.arange(1, len(rows) + 1),
            "regional_cluster_id": rows["regional_cluster_id"].to_numpy(),
            "cluster_code": rows["cluster_code"].to_numpy(),
            "cluster_name": rows["cluster_name"].to_numpy(),
            "label": rows["label"].to_numpy(),
        }
    )
    if "label_confidence" in rows.columns:
        result["label_confidence"] = rows["label_confidence"].to_numpy()
    for column in ("employment", "lq", "max_stars", "n_regions"):
        result[column] = rows[column].to_numpy()
    result["regions"] = [
        listed(code, ids)
        for code, ids in zip(rows["cluster_code"], rows["region_ids"], strict=True)
    ]
    return result
