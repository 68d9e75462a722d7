"""Checks of the boundaries against the employment table: region ids without a boundary (or no
id matching at all) and boundaries without employment rows.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.sources.raw_schema import Problem
from pipeline.validate.wording import _more


def _boundary_problems(
    employment: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    source_rows: pd.DataFrame | None,
    employment_path: Path,
    regions_path: Path,
) -> tuple[list[Problem], list[str]]:
    region_ids = pd.Index(employment["region_id"].unique())
    known = pd.Index(boundaries["region_id"])
    missing = region_ids.difference(known)
    problems: list[Problem] = []
    notes: list[str] = []
    if len(missing) == len(region_ids):
        padded = region_ids.str.zfill(int(known.str.len().max())).isin(known).any()
        hint = (
            "the employment ids lost their leading zeros - store them as text"
            if padded
            else f"check that the boundary id field holds the same codes as region_id "
            f"(e.g. '{region_ids[0]}' vs '{known[0]}')"
        )
        problems.append(
            Problem(
                "error",
                f"{employment_path}: column 'region_id': no region id is in {regions_path}; {hint}",
            )
        )
        return problems, notes
    if len(missing):
        first_rows = (
            source_rows[source_rows["region_id"].isin(missing)].groupby("region_id")["row"].min()
            if source_rows is not None
            else pd.Series(dtype="int64")
        )
        ordered = sorted(missing, key=lambda region: first_rows.get(region, 0))
        row = first_rows.get(ordered[0])
        where = f", row {int(row)}" if row is not None else ""
        others = [f"'{region}'" for region in ordered[1:]]
        problems.append(
            Problem(
                "warning",
                f"{employment_path}: column 'region_id'{where}: region '{ordered[0]}' has no "
                f"boundary in {regions_path}{_more(len(ordered) - 1, 'regions', others)}; it is "
                "measured but left out of maps and spatial statistics - add its boundary or "
                "correct the id",
            )
        )
    unused = known.difference(region_ids)
    if len(unused):
        notes.append(
            f"{regions_path}: {len(unused)} boundaries have no employment rows (e.g. "
            f"'{unused[0]}'); they are not used"
        )
    return problems, notes
