"""Rebuild the embedded linkage tables from the source CSVs (documentation of the copy).

Usage: ``python data/raw/linkages/build_linkages.py SOURCE_FOLDER``, where SOURCE_FOLDER holds
``bea_detail_use_2012.csv``, ``bea_detail_make_2012.csv``, ``bea_naics_crosswalk_2012.csv`` and
``oews_2025_national_industry_occupation.csv`` as described in README.md. The product never runs
this script; it reads only the Parquet files it writes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
# BEA rows with no producing or no NAICS industry (README "What was dropped").
SPECIAL_COMMODITIES = {"S00300", "S00401", "S00402", "S00900"}
SECTOR_RANGE = re.compile(r"^(\d{2})--(\d{2})$")
AGGREGATE_MEMBERS = re.compile(r"\(([\d, and]+) only\)")


def build_use(source: Path) -> pd.DataFrame:
    use = pd.read_csv(source / "bea_detail_use_2012.csv", dtype=str)
    intermediate = use[
        (use["commodity_type"] == "commodity") & (use["industry_type"] == "industry")
    ]
    intermediate = intermediate[~intermediate["commodity_code"].isin(SPECIAL_COMMODITIES)]
    return pd.DataFrame(
        {
            "commodity_code": intermediate["commodity_code"],
            "industry_code": intermediate["industry_code"],
            "value_musd": intermediate["value_musd"].astype("int64"),
        }
    ).reset_index(drop=True)


def build_make(source: Path) -> pd.DataFrame:
    make = pd.read_csv(source / "bea_detail_make_2012.csv", dtype=str)
    return pd.DataFrame(
        {
            "industry_code": make["industry_code"],
            "commodity_code": make["commodity_code"],
            "value_musd": make["value_musd"].astype("int64"),
        }
    )


def build_crosswalk(source: Path) -> pd.DataFrame:
    crosswalk = pd.read_csv(source / "bea_naics_crosswalk_2012.csv", dtype=str)
    six = crosswalk[
        (crosswalk["naics_2012_digits"] == "6")
        & crosswalk["naics_2012_code"].str.fullmatch(r"\d{6}")
        & crosswalk["naics_2017_code"].fillna("").str.fullmatch(r"\d{6}")
    ]
    return (
        six[["bea_detail_code", "naics_2012_code", "naics_2017_code"]]
        .drop_duplicates()
        .sort_values(["naics_2017_code", "bea_detail_code"], ignore_index=True)
    )


def member_prefixes(row: pd.Series) -> str:
    """NAICS 2022 prefixes an OEWS industry row stands for (space separated)."""
    if row["industry_kind"] == "naics":
        return row["naics_prefix"]
    if row["industry_kind"] == "sector":
        bounds = SECTOR_RANGE.match(row["naics_code"])
        first, stop = int(bounds.group(1)), int(bounds.group(2))
        return " ".join(str(code) for code in range(first, stop))
    members = AGGREGATE_MEMBERS.search(row["naics_title"])
    return " ".join(re.findall(r"\d{4}", members.group(1)))


def build_oews(source: Path) -> pd.DataFrame:
    oews = pd.read_csv(
        source / "oews_2025_national_industry_occupation.csv", dtype=str, keep_default_na=False
    )
    kept = oews[oews["industry_kind"].isin(["naics", "special_aggregate", "sector"])]
    kept = kept[~kept["naics_code"].eq("99-100")].copy()  # government ownership, not a NAICS range
    industries = kept.drop_duplicates("naics_code").copy()
    industries["member_prefixes"] = industries.apply(member_prefixes, axis=1)
    kept = kept.merge(industries[["naics_code", "member_prefixes"]], on="naics_code")
    return pd.DataFrame(
        {
            "naics_code": kept["naics_code"],
            "naics_prefix": kept["naics_prefix"],
            "member_prefixes": kept["member_prefixes"],
            "industry_kind": kept["industry_kind"],
            "naics_level": kept["naics_level"].astype("int8"),
            "occ_code": kept["occ_code"],
            "employment": pd.to_numeric(kept["employment"].replace("", None)).astype("float64"),
            "industry_total_employment": pd.to_numeric(kept["industry_total_employment"]).astype(
                "float64"
            ),
        }
    ).reset_index(drop=True)


def main(source: Path) -> None:
    build_use(source).to_parquet(HERE / "bea_use_2012_intermediate.parquet", index=False)
    build_make(source).to_parquet(HERE / "bea_make_2012.parquet", index=False)
    build_crosswalk(source).to_parquet(HERE / "bea_naics_crosswalk_2012.parquet", index=False)
    build_oews(source).to_parquet(HERE / "oews_2025_industry_occupation.parquet", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
