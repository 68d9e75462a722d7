"""Write the good and bad input files of tests/data (run from the repository root).

    .venv/bin/python tests/data/make_corpus.py

The CSV files are small enough to read by eye; the Parquet, GeoParquet and Latin-1 files are
binary, so this script is how they were made. tests/test_validate.py lists the message
expected from each bad file.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Polygon, box

HERE = Path(__file__).resolve().parent
GOOD = HERE / "good"
BAD = HERE / "bad"

HEADER = "region_id,industry_code,year,employment,establishments\n"

# name -> text; row numbers in tests count the header as row 1.
BAD_CSV = {
    "missing_column.csv": (
        "region_id,industry_code,year,jobs\n001,00,2019,1000\n001,54,2019,200\n"
    ),
    "misspelt_column.csv": (
        "region_id,industry_code,year,employmnet\n001,00,2019,1000\n001,54,2019,200\n"
    ),
    "text_in_year.csv": HEADER
    + "001,00,2019,1000,90\n001,54,2019,200,30\n002,00,twenty19,2000,150\n002,54,2019,600,70\n",
    "negative_employment.csv": HEADER
    + "001,00,2019,1000,90\n001,54,2019,-15,30\n002,00,2019,2000,150\n",
    "non_numeric_employment.csv": HEADER
    + "001,00,2019,1000,90\n001,54,2019,200,30\n002,00,2019,2000,150\n002,54,2019,(D),70\n",
    "duplicate_rows.csv": HEADER
    + "001,00,2019,1000,90\n002,311,2019,50,3\n002,00,2019,2000,150\n001,54,2019,200,30\n"
    + "002,311,2019,55,3\n",
    "unknown_industry_code.csv": HEADER
    + "001,00,2019,1000,90\n001,54,2019,200,30\n001,3399X,2019,20,2\n",
    "totals_inconsistent.csv": HEADER
    + "001,00,2019,1000,90\n001,31-33,2019,100,10\n001,311,2019,130,5\n001,54,2019,200,30\n"
    + "002,00,2019,2000,150\n002,31-33,2019,200,9\n002,311,2019,50,3\n",
    "region_not_in_boundaries.csv": HEADER
    + "001,00,2019,1000,90\n001,54,2019,200,30\n002,00,2019,2000,150\n002,54,2019,600,70\n"
    + "003,00,2019,500,40\n003,54,2019,40,6\n004,00,2019,700,60\n004,54,2019,90,9\n",
    "header_only.csv": HEADER,
    "zero_total_region.csv": HEADER
    + "001,00,2019,1000,90\n001,54,2019,200,30\n003,00,2019,0,0\n003,54,2019,0,0\n",
    "semicolon.csv": HEADER.replace(",", ";") + "001;00;2019;1000;90\n",
    "nace_lost_leading_zero.csv": "region_id,industry_code,year,employment\n"
    + "AT11,00,2019,1000\nAT11,1,2019,40\nAT11,C,2019,300\n",
}


def boxes(crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    """Three adjacent one-degree boxes, ids 001-003, as in good/regions.geojson."""
    return gpd.GeoDataFrame(
        {"region_id": ["001", "002", "003"], "name": ["West", "Centre", "East"]},
        geometry=[box(10, 50, 11, 51), box(11, 50, 12, 51), box(12, 50, 13, 51)],
        crs=crs,
    )


def main() -> None:
    for name, text in BAD_CSV.items():
        (BAD / name).write_text(text, encoding="utf-8")
    (BAD / "empty.csv").write_bytes(b"")
    latin1 = "region_id,region_name,industry_code,year,employment\n"
    latin1 += "001,West,00,2019,1000\n002,Montréal,00,2019,2000\n"
    (BAD / "latin1.csv").write_bytes(latin1.encode("latin-1"))

    good = pd.read_csv(GOOD / "employment.csv", dtype=str)
    without_totals = good[good["industry_code"] != "00"].copy()
    without_totals["year"] = without_totals["year"].astype("int64")
    for column in ("employment", "establishments"):
        without_totals[column] = pd.to_numeric(without_totals[column])
    without_totals.to_parquet(GOOD / "employment_no_totals.parquet", index=False)
    whole = (GOOD / "employment_no_totals.parquet").read_bytes()
    (BAD / "truncated.parquet").write_bytes(whole[: len(whole) // 2])

    bowtie = boxes()
    bowtie.loc[1, "geometry"] = Polygon([(11, 50), (12, 51), (12, 50), (11, 51)])
    bowtie.to_file(BAD / "self_intersecting.geojson", driver="GeoJSON")
    boxes().rename(columns={"region_id": "regionid"}).to_file(
        BAD / "wrong_id_field.geojson", driver="GeoJSON"
    )
    boxes(crs=None).to_parquet(BAD / "no_crs_lonlat.parquet")
    projected = boxes().to_crs("EPSG:3035")
    projected.to_parquet(GOOD / "regions_epsg3035.parquet")
    projected.set_crs(None, allow_override=True).to_parquet(BAD / "no_crs_projected.parquet")


if __name__ == "__main__":
    main()
