"""USPTO utility patent grants by county: a second technology signal for US regions.

Patents count inventive output where technology-industry employment (the BLS list) counts
jobs; the two disagree where a region's engineers work in an industry the list leaves
out, or where technology jobs are sales and support offices. The file holds grants by
county of the first-named inventor, 2000-2015 (USPTO Patent Technology Monitoring Team
county tables); a region's signal is its mean annual grants, summed over its counties.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.errors import UserError
from pipeline.sources.schema import read_raw_parquet

PATENTS_FILE = "uspto_utility_patents_county_2000_2015.parquet"
DELINEATION_FILE = "cbsa_county_delineation_2020.csv"


def read_county_patents(path: Path) -> pd.DataFrame:
    """county_fips (5-digit string), year, patents_issued."""
    patents = read_raw_parquet(path)
    missing = {"county_fips", "year", "patents_issued"} - set(patents.columns)
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    patents["county_fips"] = patents["county_fips"].astype(str).str.zfill(5)
    return patents


def region_patents(
    patents: pd.DataFrame, county_to_region: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Mean annual patent grants per region.

    Parameters
    ----------
    patents : DataFrame
        :func:`read_county_patents` output.
    county_to_region : DataFrame, optional
        county_fips, region_id (e.g. the CBSA delineation); without it, regions are counties.

    Returns
    -------
    DataFrame
        region_id, patents_per_year = (sum of grants over the region's counties and the
        file's years) / number of years in the file.
    """
    years = patents["year"].nunique()
    by_county = patents.groupby("county_fips", as_index=False)["patents_issued"].sum()
    if county_to_region is None:
        by_county = by_county.rename(columns={"county_fips": "region_id"})
    else:
        by_county = by_county.merge(
            county_to_region[["county_fips", "region_id"]], on="county_fips"
        )
    result = by_county.groupby("region_id", as_index=False)["patents_issued"].sum()
    result["patents_per_year"] = result.pop("patents_issued").astype("float64") / years
    result["region_id"] = result["region_id"].astype(str)
    return result


def dataset_patents(raw: Path, source: str) -> pd.DataFrame | None:
    """The patent signal of a US dataset's regions, or None when its raw folder has no file.

    Metro datasets (``cbp_cbsa``) sum counties into CBSAs with the folder's delineation;
    county datasets use counties as they are; other sources get None.
    """
    path = raw / PATENTS_FILE
    if not path.exists() or source not in ("cbp_cbsa", "cbp_counties", "cbp_county_file"):
        return None
    patents = read_county_patents(path)
    if source != "cbp_cbsa":
        return region_patents(patents)
    delineation = pd.read_csv(raw / DELINEATION_FILE, dtype=str)
    return region_patents(patents, delineation.rename(columns={"cbsa_code": "region_id"}))
