"""pipeline.profiles, industry titles and the old-CBSA-code table, on hand-made and real tables."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from pipeline.classifications.tables import tables_dir
from pipeline.classifications.titles import add_industry_names, industry_titles
from pipeline.errors import UserError
from pipeline.lq_dataset import lq_dataset_path, read_quotients
from pipeline.profiles import (
    compare_definitions,
    find_code,
    label_name,
    largest_regional_clusters,
    leading_regions,
    region_profile,
    related_clusters,
    related_industries,
)
from pipeline.sources import cbsa_vintages, us_geography

CLASSIFICATIONS_DIR = tables_dir()

ROOT = Path(__file__).resolve().parents[1]
RAW_US = ROOT / "data" / "raw" / "us"
PROCESSED = ROOT / "data" / "processed" / "us_cbsa_2019"

NAMES = pd.Series(
    {
        "19820": "Detroit-Warren-Dearborn, MI",
        "38900": "Portland-Vancouver-Hillsboro, OR-WA",
        "38860": "Portland-South Portland, ME",
        "19430": "Dayton-Kettering, OH",
        "19420": "Dayton, TN",
    }
)
SIZE = pd.Series({"19820": 1.8e6, "38900": 1.1e6, "38860": 2.2e5, "19430": 3.3e5, "19420": 1.2e4})


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("19820", "19820"),
        ("Detroit", "19820"),
        ("detroit-warren-dearborn, mi", "19820"),
        ("DETROIT", "19820"),
        ("Portland", "38900"),  # two match: the larger wins
        ("South Portland", "38860"),
        ("Dayton", "19430"),
        ("Kettering", "19430"),
        ("Warren", "19820"),
    ],
)
def test_find_code_by_code_or_name(query, code):
    assert find_code(query, NAMES, "region", SIZE).code == code


def test_find_code_reports_the_other_matches():
    match = find_code("Portland", NAMES, "region", SIZE)
    assert match.others == ("38860",)


def test_unknown_name_suggests_close_names_on_one_line():
    with pytest.raises(UserError) as raised:
        find_code("Detriot", NAMES, "region")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("no region 'Detriot'; did you mean: 19820 Detroit-Warren-Dearborn")
    with pytest.raises(UserError, match="no region 'Zzyzx' and no close name"):
        find_code("Zzyzx", NAMES, "region")


def test_find_code_ignores_accents_and_spells_saint_as_st():
    names = pd.Series({"15860": "Cañon City, CO", "41180": "St. Louis, MO-IL"})
    assert find_code("Canon City", names, "region").code == "15860"
    assert find_code("saint louis", names, "region").code == "41180"


def test_find_code_matches_aliases_and_reports_the_main_name():
    names = pd.Series({"RU-MOW": "Moscow", "RU-MOS": "Moscow Oblast"})
    russian = pd.Series({"RU-MOW": "Москва", "RU-MOS": "Московская область"})
    match = find_code("москва", names, "region", aliases=russian)
    assert (match.code, match.name) == ("RU-MOW", "Moscow")
    assert find_code("Московская", names, "region", aliases=russian).code == "RU-MOS"
    with pytest.raises(UserError, match=r"no region 'Масква'; did you mean: RU-MOW Moscow\?"):
        find_code("Масква", names, "region", aliases=russian)


STRENGTH = pd.DataFrame(
    {
        "region_id": ["A", "A", "A", "B", "B", "A"],
        "cluster_code": ["4", "6", "103", "4", "6", "4"],
        "cluster_name": [
            "Automotive",
            "Business Services",
            "Local Health",
            "Automotive",
            "Business Services",
            "Automotive",
        ],  # fmt: skip
        "cluster_type": ["traded", "traded", "local", "traded", "traded", "traded"],
        "year": [2019, 2019, 2019, 2019, 2019, 2018],
        "employment": [100.0, 200.0, 300.0, 10.0, 400.0, 80.0],
        "lq": [5.0, 1.2, 1.1, 0.2, 1.0, 4.0],
        "strong": [True, False, True, False, False, True],
        "stars": [2, 1, 1, 0, 1, 2],
    }
)
QUOTIENTS = pd.DataFrame(
    {
        "region_id": ["A", "A", "A", "A", "B", "B"],
        "industry_code": ["336111", "541511", "3361", "336112", "336111", "541511"],
        "industry_level": [6, 6, 4, 6, 6, 6],
        "year": 2019,
        "employment": [90.0, 150.0, 95.0, 5.0, 10.0, 400.0],
        "region_employment": [1000.0, 1000.0, 1000.0, 1000.0, 2000.0, 2000.0],
        "lq": [4.0, 0.9, 3.9, 8.0, 0.2, 1.2],
    }
)


def test_region_profile_orders_clusters_and_lists_titled_industries():
    titles = industry_titles("naics2017", CLASSIFICATIONS_DIR)
    regional = pd.DataFrame(
        {
            "regional_cluster_id": ["2019-004-01"],
            "year": [2019],
            "cluster_code": ["4"],
            "region_ids": [["A", "C"]],
            "label": ["industrial-production"],
            "technology_score": [0.0],
        }
    )
    profile = region_profile(
        "A", "Region A", STRENGTH, QUOTIENTS, titles, regional=regional, base_year=2018,
        min_employment=10,
    )  # fmt: skip
    assert profile.year == 2019 and profile.total_employment == 1000.0
    # strong first (4, then 103), then the rest; the label joins by cluster.
    assert profile.clusters["cluster_code"].tolist() == ["4", "103", "6"]
    first = profile.clusters.iloc[0]
    assert first["label"] == "industrial-production"
    assert first["lq_base"] == 4.0 and first["lq_change"] == pytest.approx(1.0)
    assert first["employment_change"] == 20.0
    # level-6 industries with >= 10 employed, by LQ: 336112 (5 jobs) is left out.
    assert profile.industries["industry_code"].tolist() == ["336111", "541511"]
    assert profile.industries["industry_name"].iloc[0] == "Automobile Manufacturing"
    payload = profile.to_dict()
    assert payload["clusters"][0]["cluster_name"] == "Automotive"
    assert payload["clusters"][1]["label"] is None


def test_leading_regions_rank_by_lq_with_national_share():
    leaders = leading_regions("336111", "industry", QUOTIENTS, pd.Series({"A": "a", "B": "b"}))
    assert leaders["region_id"].tolist() == ["A", "B"]
    assert leaders["share"].tolist() == pytest.approx([0.9, 0.1])
    clusters = leading_regions("4", "cluster", STRENGTH, pd.Series({"A": "a", "B": "b"}))
    assert clusters[["region_id", "strong", "stars"]].values.tolist() == [
        ["A", True, 2],
        ["B", False, 0],
    ]
    names = pd.Series({"A": "a", "B": "b"})
    by_lq = leading_regions("6", "cluster", STRENGTH, names)
    by_size = leading_regions("6", "cluster", STRENGTH, names, order_by="employment")
    assert by_lq["region_id"].tolist() == ["A", "B"]  # LQ 1.2 > 1.0
    assert by_size["region_id"].tolist() == ["B", "A"]  # 400 > 200 jobs
    with pytest.raises(UserError, match="--year 2017: not in the data; years: 2018, 2019"):
        leading_regions("4", "cluster", STRENGTH, pd.Series(dtype=str), year=2017)


REGIONAL = pd.DataFrame(
    {
        "regional_cluster_id": ["2019-059-01", "2019-059-02", "2019-004-01", "2018-059-01"],
        "year": [2019, 2019, 2019, 2018],
        "cluster_code": ["59", "59", "4", "59"],
        "cluster_name": ["Information Technology"] * 2 + ["Automotive", "Information Technology"],
        "region_ids": [["A", "C"], ["B"], ["A"], ["B"]],
        "n_regions": [2, 1, 1, 1],
        "employment": [500.0, 900.0, 2000.0, 9999.0],
        "lq": [3.0, 1.5, 4.0, 9.0],
        "max_stars": [3, 2, 3, 3],
        "label": ["technology", "technology", "industrial-production", "technology"],
        "label_confidence": ["high", "low", "high", "high"],
    }
)


def test_largest_regional_clusters_of_a_label():
    names = pd.Series({"A": "Alpha, WA", "B": "Beta, OR"})
    tech = largest_regional_clusters(REGIONAL, names, label="technology")
    assert tech["regional_cluster_id"].tolist() == ["2019-059-02", "2019-059-01"]  # by jobs
    assert tech["regions"].tolist() == ["Beta, OR", "Alpha, WA; C"]  # an unnamed id stays
    assert tech["rank"].tolist() == [1, 2] and tech["label_confidence"].iloc[0] == "low"
    by_lq = largest_regional_clusters(REGIONAL, names, label="tech", order_by="lq")
    assert by_lq["regional_cluster_id"].iloc[0] == "2019-059-01"
    every = largest_regional_clusters(REGIONAL, names, top=1)
    assert every["cluster_name"].tolist() == ["Automotive"]
    earlier = largest_regional_clusters(REGIONAL, names, label="technology", year=2018)
    assert earlier["employment"].tolist() == [9999.0]
    jobs = pd.DataFrame(
        {"year": 2019, "cluster_code": "59", "region_id": ["A", "C"], "employment": [1.0, 9.0]}
    )
    ordered = largest_regional_clusters(REGIONAL, names, label="technology", strength=jobs)
    assert ordered["regions"].iloc[1] == "C; Alpha, WA"  # the region with most jobs first


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("technolgy", "--label technolgy: not a label; did you mean 'technology'?"),
        ("prod", "did you mean 'industrial-production'?"),
        ("xyz", "labels: technology, industrial-production, other"),
    ],
)
def test_unknown_label_is_one_line_with_a_suggestion(label, message):
    with pytest.raises(UserError, match=re.escape(message)):
        label_name(label)


def test_related_clusters_from_the_embedded_benchmark_table():
    related = pd.read_csv(
        CLASSIFICATIONS_DIR / "uscmp_related_clusters.csv",
        dtype={"cluster_code": str, "related_cluster_code": str},
    )
    names = pd.read_csv(CLASSIFICATIONS_DIR / "uscmp_clusters.csv", dtype=str).set_index(
        "cluster_code"
    )["cluster_name"]
    automotive = related_clusters("4", related, names)
    assert automotive["related_cluster_name"].iloc[0] == "Metalworking Technology"
    assert automotive["related_percentage"].is_monotonic_decreasing


def test_related_industries_by_combined_relatedness():
    table = pd.DataFrame(
        {
            "industry_code": ["336111", "336111", "541511"],
            "related_code": ["336370", "336112", "336111"],
            "combined": [0.4, 0.9, 0.1],
        }
    )
    titles = industry_titles("naics2017", CLASSIFICATIONS_DIR)
    result = related_industries("336111", table, titles)
    assert result["related_code"].tolist() == ["336112", "336370"]
    assert result["related_name"].iloc[1] == "Motor Vehicle Metal Stamping"


@pytest.mark.parametrize(
    ("classification", "code", "title"),
    [
        ("naics2017", "3364", "Aerospace Product and Parts Manufacturing"),
        ("naics2017", "31-33", "Manufacturing"),
        ("naics2017", "00", "Total, all industries"),
        ("naics2012", "519130", "Internet Publishing and Broadcasting and Web Search Portals"),
        ("nace_r2", "C", "Manufacturing"),
        ("okved2", "D", "Electricity, gas, steam and air conditioning supply"),
    ],
)
def test_official_titles(classification, code, title):
    assert industry_titles(classification, CLASSIFICATIONS_DIR)[code] == title


def test_every_code_of_the_embedded_us_data_has_a_title():
    titles = industry_titles("naics2017", CLASSIFICATIONS_DIR)
    codes = pd.read_parquet(RAW_US / "cbp2019_cbsa_naics.parquet", columns=["naics_code"])
    assert set(codes["naics_code"]) <= set(titles.index)
    named = add_industry_names(pd.DataFrame({"industry_code": ["3364", "9999"]}), titles)
    assert named.columns.tolist() == ["industry_code", "industry_name"]
    assert named["industry_name"].iloc[0].startswith("Aerospace") and pd.isna(
        named["industry_name"].iloc[1]
    )


def test_old_cbsa_codes_get_names_and_non_overlapping_boundaries():
    changes = cbsa_vintages.read_code_changes(RAW_US / cbsa_vintages.CODE_CHANGES_FILE)
    cbp = pd.read_parquet(RAW_US / "cbp2019_cbsa_naics.parquet", columns=["cbsa_code"])
    delineation = us_geography.read_delineation(RAW_US / "cbsa_county_delineation_2020.csv")
    old = sorted(set(cbp["cbsa_code"]) - set(delineation["cbsa_code"]))
    assert len(old) == 21 and sorted(changes["cbsa_code_cbp"].unique()) == old
    tabulated = cbsa_vintages.delineation_as_tabulated(delineation, changes, old + ["11180"])
    assert not tabulated["county_fips"].duplicated().any()
    counties = us_geography.read_county_geometry(RAW_US / "us_counties_2010_20m.geojson")
    regions = us_geography.cbsa_regions(old + ["11180", "19430"], counties, tabulated)
    regions = regions.set_index("region_id")
    assert regions.loc[old, "geometry"].notna().all()
    assert regions.loc["19380", "name"] == "Dayton-Kettering, OH"
    assert regions.loc["14340", "name"] == "Boone, IA (part of Ames, IA since 2018)"
    assert regions.loc["11180", "n_counties"] == 1  # Ames without Boone County
    assert not regions.loc["11180", "geometry"].intersection(regions.loc["14340", "geometry"]).area


def test_old_code_counties_match_county_employment_where_the_counties_are_embedded():
    """Where the embedded county CBP covers an old CBSA's counties, their 2019 totals add up."""
    changes = cbsa_vintages.read_code_changes(RAW_US / cbsa_vintages.CODE_CHANGES_FILE)
    county = pd.read_parquet(
        ROOT / "data" / "raw" / "us_counties" / "cbp_county_naics_2017_2021.parquet",
        columns=["year", "county_fips", "naics", "emp"],
    )
    county = county[(county["year"] == 2019) & (county["naics"] == "00")].set_index("county_fips")[
        "emp"
    ]
    cbp = pd.read_parquet(RAW_US / "cbp2019_cbsa_naics.parquet")
    totals = cbp[cbp["naics_code"] == "00"].set_index("cbsa_code")["emp"]
    checked = 0
    for code, rows in changes.groupby("cbsa_code_cbp"):
        if rows["county_fips"].isin(county.index).all():
            assert county[rows["county_fips"]].sum() == totals[code], code
            checked += 1
    assert checked == 12


@pytest.mark.skipif(not PROCESSED.is_dir(), reason="needs the built us_cbsa_2019 tables")
def test_detroit_profile_on_the_published_tables():
    regions = gpd.read_parquet(PROCESSED / "regions.parquet")
    quotients = read_quotients(lq_dataset_path(PROCESSED))
    strength = pd.read_parquet(PROCESSED / "cluster_strength.parquet")
    names = regions.set_index("region_id")["name"]
    match = find_code("Detroit", names, "region")
    assert match.code == "19820"
    profile = region_profile(
        match.code,
        match.name,
        strength,
        quotients,
        industry_titles("naics2017", CLASSIFICATIONS_DIR),
    )
    assert profile.clusters["cluster_name"].iloc[0] == "Automotive"
    leaders = leading_regions("3364", "industry", quotients, names, min_employment=100, top=5)
    assert {"42660", "48620"} & set(leaders["region_id"])


DEFINITIONS = pd.DataFrame(
    {
        "industry_code": ["1", "2", "3", "4"] * 2,
        "industry_name": ["a", "b", "c", "d"] * 2,
        "method": ["benchmark"] * 4 + ["derived"] * 4,
        "cluster_code": ["B1", "B1", "B2", "B3", "D1", "D1", "D1", "D2"],
        "cluster_name": ["Bx", "Bx", "By", "Bz", "Dx", "Dx", "Dx", "Dy"],
        "cluster_type": "traded",
    }
)


def test_compare_definitions_purity_kept_together_and_identical_pairs():
    comparison = compare_definitions(DEFINITIONS)
    assert comparison.derived.loc["D1", "purity"] == pytest.approx(2 / 3)
    assert comparison.derived.loc["D1", "made of (benchmark cluster (industries))"] == (
        "Bx (2); By (1)"
    )
    assert comparison.benchmark["kept together"].tolist() == [1.0, 1.0, 1.0]
    assert comparison.identical == 1  # D2 == B3
    assert len(comparison.pairs) == 4


def test_compare_definitions_summarises_both_sides_in_full():
    comparison = compare_definitions(DEFINITIONS, parts=1)
    derived = pd.DataFrame(
        {
            "derived cluster": ["Dx", "Dy"],
            "industries": [3, 1],
            "benchmark clusters": [2, 1],
            "purity": [2 / 3, 1.0],
            "made of (benchmark cluster (industries))": ["Bx (2); +1 more", "Bz (1)"],
        },
        index=pd.Index(["D1", "D2"], name="cluster_code_derived"),
    )
    benchmark = pd.DataFrame(
        {
            "benchmark cluster": ["Bx", "By", "Bz"],
            "industries": [2, 1, 1],
            "derived clusters": [1, 1, 1],
            "kept together": [1.0, 1.0, 1.0],
            "split into (derived cluster (industries))": ["Dx (2)", "Dx (1)", "Dy (1)"],
        },
        index=pd.Index(["B1", "B2", "B3"], name="cluster_code_benchmark"),
    )
    pd.testing.assert_frame_equal(comparison.derived, derived)
    pd.testing.assert_frame_equal(comparison.benchmark, benchmark)


@pytest.mark.parametrize("parts", [1, 4])
def test_compare_definitions_sides_mirror_each_other(parts):
    """Swapping the methods swaps the two summaries: one rule builds both sides."""
    swapped = DEFINITIONS.assign(
        method=DEFINITIONS["method"].map({"benchmark": "derived", "derived": "benchmark"})
    )
    comparison = compare_definitions(DEFINITIONS, parts)
    mirrored = compare_definitions(swapped, parts)
    for own, other in (
        (comparison.derived, mirrored.benchmark),
        (comparison.benchmark, mirrored.derived),
    ):
        pd.testing.assert_frame_equal(
            own.set_axis(range(own.shape[1]), axis=1).rename_axis(None),
            other.set_axis(range(other.shape[1]), axis=1).rename_axis(None),
        )
    assert comparison.identical == mirrored.identical == 1


def test_with_names_names_list_columns_in_order_and_leaves_unknown_codes_null():
    from pipeline.profiles import with_names

    table = pd.DataFrame(
        {"region_ids": [["19820", "99999"]], "top_industries": [["3361", "3363", "0000"]]}
    )
    titles = pd.Series({"3361": "Motor Vehicle Manufacturing", "3363": "Motor Vehicle Parts"})
    regions = pd.Series({"19820": "Detroit-Warren-Dearborn, MI"})
    named = with_names(table, titles, regions)
    assert named.columns.tolist() == [
        "region_ids",
        "region_names",
        "top_industries",
        "top_industry_names",
    ]
    assert named.loc[0, "region_names"] == ["Detroit-Warren-Dearborn, MI", None]
    assert named.loc[0, "top_industry_names"] == [
        "Motor Vehicle Manufacturing",
        "Motor Vehicle Parts",
        None,
    ]
