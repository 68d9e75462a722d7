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


# Gates (issue 10): bad files a new user produces, one fault each.
GATE_BAD_CSV = {
    "empty_year.csv": HEADER + "001,00,,1000,90\n001,54,2019,200,30\n",
    "five_digit_year.csv": HEADER + "001,00,20190,1000,90\n001,54,20190,200,30\n",
    "nace_codes_as_naics.csv": HEADER
    + "001,00,2019,1000,90\n001,C,2019,200,30\n001,J,2019,100,3\n",
    "all_zero_employment.csv": HEADER
    + "001,00,2019,0,0\n001,54,2019,0,0\n002,00,2019,0,0\n002,54,2019,0,0\n",
    "zero_totals_everywhere.csv": HEADER
    + "001,00,2019,0,0\n001,54,2019,10,3\n002,00,2019,0,0\n002,54,2019,5,1\n",
    "extra_field.csv": HEADER + "001,00,2019,1000,90,7\n001,54,2019,200,30\n",
    "short_row.csv": HEADER + "001,00,2019\n001,54,2019,200,30\n",
    "fractional_establishments.csv": HEADER + "001,00,2019,1000,90.5\n001,54,2019,200,30\n",
    "thousands_separator.csv": HEADER + '001,00,2019,"1,000",90\n001,54,2019,200,30\n',
    "unknown_flag.csv": "region_id,industry_code,year,employment,employment_flag\n"
    + "001,00,2019,1000,reported\n001,54,2019,200,estimated\n",
    "tab_separated.csv": HEADER.replace(",", "\t") + "001\t00\t2019\t1000\t90\n",
    "date_as_year.csv": HEADER + "001,00,2019-01-01,1000,90\n001,54,2019,200,30\n",
    "html_error_page.csv": "<html><body>404 Not Found</body></html>\n",
}


def odd_but_valid(good_text: str) -> dict[str, bytes]:
    """The good table as spreadsheets and other tools write it: each must validate as usable."""
    lines = good_text.splitlines()
    header = lines[0].split(",")
    counts = [header.index(name) for name in ("year", "employment", "establishments")]

    def with_floats(line: str) -> str:
        fields = line.split(",")
        for position in counts:
            if fields[position]:
                fields[position] += ".0"
        return ",".join(fields)

    text = "\n".join(lines) + "\n"
    return {
        "bom.csv": text.encode("utf-8-sig"),
        "crlf.csv": text.replace("\n", "\r\n").encode(),
        "bom_crlf.csv": text.replace("\n", "\r\n").encode("utf-8-sig"),
        "float_counts.csv": ("\n".join([lines[0], *map(with_floats, lines[1:])]) + "\n").encode(),
        "quoted.csv": (
            "\n".join('"' + '","'.join(line.split(",")) + '"' for line in lines) + "\n"
        ).encode(),
        "spaces_after_commas.csv": (
            "\n".join(", ".join(line.split(",")) for line in lines) + "\n"
        ).encode(),
        "upper_case_header.csv": ("\n".join([lines[0].upper(), *lines[1:]]) + "\n").encode(),
        "no_final_newline.csv": text.rstrip("\n").encode(),
        "trailing_blank_lines.csv": (text + "\n\n").encode(),
    }


def write_gate_corpus() -> None:
    """The files of the gate tests (tests/test_cli.py): bad/ additions and odd/."""
    for name, text in GATE_BAD_CSV.items():
        (BAD / name).write_text(text, encoding="utf-8")
    odd = HERE / "odd"
    odd.mkdir(exist_ok=True)
    for name, data in odd_but_valid((GOOD / "employment.csv").read_text()).items():
        (odd / name).write_bytes(data)
    good = pd.read_csv(GOOD / "employment.csv", dtype={"region_id": str, "industry_code": str})
    good.astype({"employment": "float64", "establishments": "float64"}).to_parquet(
        odd / "float_counts.parquet", index=False
    )


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
    write_gate_corpus()


if __name__ == "__main__":
    main()
