"""CBP county panel 2017-2021: published spot values, suppression, totals, boundaries, contiguity."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from libpysal.graph import Graph

from pipeline.config import project_settings
from pipeline.errors import UserError
from pipeline.sources.schema import check_employment
from pipeline.sources.us_counties import (
    ADJACENCY_FILE,
    BOUNDARY_FILE,
    CBP_FILE,
    county_contiguity,
    county_employment,
    estimate_county_cells,
    impute_region_totals,
    ingest_cbp_counties,
    read_cbp_counties,
    read_county_boundaries,
    suppressed_cells,
)

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "data" / "raw" / "us_counties"
# States of the spot values: AL, ID, NV (Eureka), NJ, OR, WA.
SPOT_STATES = ["01", "16", "32", "34", "41", "53"]
DATASET = "us_counties_2017_2021"
# Withheld cells left null, no unpublished estimates; the split stated as for CBP metros.
UNPUBLISHED_OFF = {
    "impute_withheld": False,
    "estimate_unpublished": False,
    "unpublished_weight": "national_employment",
    "unpublished_selection": "fewest_cells",
    "max_unpublished_establishments": 2,
}


@pytest.fixture(scope="module")
def spot_employment() -> pd.DataFrame:
    return county_employment(read_cbp_counties(RAW / CBP_FILE, state_fips=SPOT_STATES))


@pytest.fixture(scope="module")
def boundaries():
    return read_county_boundaries(RAW / BOUNDARY_FILE)


@pytest.mark.parametrize(
    ("county", "naics", "employment"),
    [
        ("53061", "3364", 37_608),  # Snohomish WA, aerospace
        ("53033", "3364", 29_061),  # King WA, aerospace
        ("53033", "5112", 76_751),  # King WA, software publishers
        ("41067", "3344", 12_027),  # Washington County OR, semiconductors
        ("16001", "3344", 6_458),  # Ada ID
        ("01089", "3364", 1_923),  # Madison AL
        ("34011", "3272", 2_701),  # Cumberland NJ, glass
    ],
)
def test_published_2019_values(spot_employment, county, naics, employment):
    # Values read from the Census CBP API extract (shared data README, section 6).
    row = spot_employment.query("region_id == @county and industry_code == @naics and year == 2019")
    assert row["employment"].tolist() == [employment]
    assert row["employment_flag"].tolist() == ["reported"]


def test_snohomish_aerospace_establishments(spot_employment):
    row = spot_employment.query("region_id == '53061' and industry_code == '3364' and year == 2019")
    assert row["establishments"].tolist() == [31.0]


def test_canonical_codes_levels_and_one_total_per_county_year(spot_employment):
    check_employment(spot_employment, "spot subset")
    assert set(spot_employment["year"].unique()) == {2017, 2018, 2019, 2020, 2021}
    assert (spot_employment["classification"] == "naics2017").all()
    levels = spot_employment.drop_duplicates("industry_code").set_index("industry_code")
    assert levels.loc["00", "industry_level"] == 0
    assert levels.loc["31-33", "industry_level"] == 2
    assert levels.loc["336411", "industry_level"] == 6
    totals = spot_employment[spot_employment["industry_level"] == 0]
    assert set(totals["industry_code"]) == {"00"}
    assert not totals.duplicated(["region_id", "year"]).any()
    assert len(totals) == spot_employment[["region_id", "year"]].drop_duplicates().shape[0]
    assert totals["employment"].notna().all()
    assert spot_employment["region_id"].str.fullmatch(r"\d{5}").all()


def test_withheld_cells_are_suppressed_not_zero():
    cbp = pd.DataFrame(
        {
            "year": np.int16([2017, 2017, 2017, 2017]),
            "county_fips": ["01001"] * 4,
            "name": ["Autauga County, Alabama"] * 4,
            "naics": ["00", "11", "21", "114111"],
            "naics_level": np.int8([0, 2, 2, 6]),
            "estab": [50, 3, 4, 3],
            "emp": [500, 0, 0, 40],
            "payann": [20_000, 0, 209, 1_000],
        }
    )
    assert suppressed_cells(cbp).tolist() == [False, True, False, False]
    table = county_employment(cbp).set_index("industry_code")
    # 11: emp 0 and payroll 0 -> withheld; 21: emp 0 with a payroll -> a seasonal true zero.
    assert np.isnan(table.loc["11", "employment"])
    assert table.loc["11", "employment_flag"] == "suppressed"
    assert table.loc["11", "establishments"] == 3
    assert table.loc["21", "employment"] == 0
    assert table.loc["21", "employment_flag"] == "reported"


def test_real_panel_withholds_only_in_2017(spot_employment):
    suppressed = spot_employment[spot_employment["employment_flag"] == "suppressed"]
    assert len(suppressed) > 0
    assert set(suppressed["year"]) == {2017}
    assert suppressed["employment"].isna().all()


def test_eureka_2017_total_is_imputed_from_2018(spot_employment):
    # CBP withholds Eureka NV's 2017 total; its nearest reported total is 2018's 1,572.
    eureka = spot_employment.query("region_id == '32011' and industry_code == '00'").set_index(
        "year"
    )
    assert eureka.loc[2017, "employment"] == 1_572
    assert eureka.loc[2017, "employment_flag"] == "imputed"
    assert eureka.loc[2017, "establishments"] == 32
    assert (eureka.loc[2018:, "employment_flag"] == "reported").all()
    assert (spot_employment["employment_flag"] == "imputed").sum() == 1


def _canonical(rows):
    table = pd.DataFrame(
        rows,
        columns=["region_id", "industry_code", "industry_level", "year", "employment", "flag"],
    )
    return pd.DataFrame(
        {
            "region_id": table["region_id"],
            "industry_code": table["industry_code"],
            "industry_level": table["industry_level"].astype("int8"),
            "year": table["year"].astype("int16"),
            "employment": table["employment"].astype(float),
            "establishments": 1.0,
            "classification": "naics2017",
            "employment_flag": table["flag"],
        }
    )


def test_impute_region_totals_nearest_year_tie_and_absent_row():
    nan = np.nan
    employment = _canonical(
        [
            # A: 2019 total withheld, 2018 (100) and 2020 (300) equally near -> earlier year.
            ("A", "00", 0, 2018, 100, "reported"),
            ("A", "00", 0, 2019, nan, "suppressed"),
            ("A", "00", 0, 2020, 300, "reported"),
            # B: no total row in 2021 at all; its nearest reported total is 2019's 50.
            ("B", "00", 0, 2018, 40, "reported"),
            ("B", "00", 0, 2019, 50, "reported"),
            ("B", "11", 2, 2021, 7, "reported"),
            # C: never reported -> stays null and suppressed.
            ("C", "00", 0, 2019, nan, "suppressed"),
        ]
    )
    filled = impute_region_totals(employment).set_index(["region_id", "industry_code", "year"])
    assert filled.loc[("A", "00", 2019), "employment"] == 100
    assert filled.loc[("A", "00", 2019), "employment_flag"] == "imputed"
    assert filled.loc[("B", "00", 2021), "employment"] == 50
    assert filled.loc[("B", "00", 2021), "employment_flag"] == "imputed"
    assert np.isnan(filled.loc[("B", "00", 2021), "establishments"])
    assert np.isnan(filled.loc[("C", "00", 2019), "employment"])
    assert filled.loc[("C", "00", 2019), "employment_flag"] == "suppressed"
    assert len(filled) == len(employment) + 1


def test_boundaries_are_valid_lonlat_with_2017_codes(boundaries):
    assert boundaries.crs.to_epsg() == 4326
    assert len(boundaries) == 3231
    shaped = boundaries[boundaries.geometry.notna()]
    assert shaped.geometry.is_valid.all()
    assert set(shaped.geom_type) <= {"Polygon", "MultiPolygon"}
    west, south, east, north = shaped.total_bounds
    assert -180 <= west and east <= 180 and -90 <= south and north <= 90
    codes = set(boundaries["county_fips"])
    assert {"02158", "46102", "02261", "09001"} <= codes
    # 51610 Falls Church is empty at 1:10m, so it has no geometry.
    assert boundaries.set_index("county_fips").loc["51610", "geometry"] is None


def _write_topojson(path: Path, arc) -> Path:
    topology = {
        "type": "Topology",
        "objects": {
            "counties": {
                "type": "GeometryCollection",
                "geometries": [{"type": "Polygon", "arcs": [[0]], "id": "01001"}],
            }
        },
        "arcs": [arc],
    }
    path.write_text(json.dumps(topology))
    return path


def test_boundary_reader_sets_wgs84_and_rejects_projected(tmp_path):
    lonlat = _write_topojson(
        tmp_path / "lonlat.json", [[-86.9, 32.4], [-86.4, 32.4], [-86.4, 32.7], [-86.9, 32.4]]
    )
    counties = read_county_boundaries(lonlat)
    assert counties["county_fips"].tolist() == ["01001"]
    assert counties.crs.to_epsg() == 4326
    projected = _write_topojson(
        tmp_path / "metres.json", [[500000, 3_600_000], [550000, 3_600_000], [550000, 3_650_000]]
    )
    with pytest.raises(UserError, match="projected"):
        read_county_boundaries(projected)


def test_contiguity_adjacency_file_and_polygon_fallback(boundaries):
    region_ids = pd.read_parquet(RAW / CBP_FILE, columns=["county_fips"])["county_fips"].unique()
    adjacency = pd.read_csv(RAW / ADJACENCY_FILE, dtype=str)
    weights = county_contiguity(adjacency, boundaries, region_ids)
    assert set(weights["focal"]) == set(region_ids)
    assert set(weights["neighbor"]) <= set(region_ids)
    linked = weights[weights["weight"] > 0]
    neighbours = linked.groupby("focal")["neighbor"].apply(set)
    # King WA, from the Census adjacency file.
    assert neighbours["53033"] == {"53007", "53035", "53037", "53053", "53061", "53077"}
    # Fairfield CT (not in the 2023 file): New Haven and Litchfield from the polygons; its
    # New York neighbours are outside the data.
    assert neighbours["09001"] == {"09005", "09009"}
    # Valdez-Cordova AK (replaced in 2019, not in the 2023 file) still has its neighbours.
    assert {"02020", "02122", "02170"} <= neighbours["02261"]
    isolates = weights[weights["weight"] == 0]
    assert sorted(isolates["focal"]) == ["15001", "15003", "15007", "15009"]
    assert (isolates["focal"] == isolates["neighbor"]).all()
    pairs = set(zip(linked["focal"], linked["neighbor"], strict=True))
    assert all((b, a) in pairs for a, b in pairs)
    graph = Graph.from_arrays(
        weights["focal"].to_numpy(dtype=object),
        weights["neighbor"].to_numpy(dtype=object),
        weights["weight"].to_numpy(),
    )
    assert graph.n == len(region_ids)
    assert sorted(graph.isolates) == ["15001", "15003", "15007", "15009"]


def test_ingest_whole_panel():
    result = ingest_cbp_counties(RAW, **project_settings().dataset(DATASET).options)
    employment = result.employment
    assert len(employment) == 2_829_385
    assert employment["region_id"].nunique() == 1_875
    assert employment["employment_flag"].value_counts().to_dict() == {
        "reported": 2_762_414,
        "suppressed": 66_970,
        "imputed": 1,
    }
    regions = result.regions
    assert len(regions) == 1_875 and regions["region_id"].is_unique
    assert regions.crs.to_epsg() == 4326
    assert regions.geometry.notna().all() and regions.geometry.is_valid.all()
    assert regions.set_index("region_id").loc["53061", "name"] == "Snohomish County, Washington"
    assert set(result.weights["focal"]) == set(regions["region_id"])


def test_missing_raw_file_names_the_file(tmp_path):
    with pytest.raises(UserError, match=CBP_FILE):
        ingest_cbp_counties(tmp_path, **UNPUBLISHED_OFF)


def test_extract_without_payroll_is_refused(tmp_path):
    # Without payann, withheld cells could not be told from reported zeros.
    path = tmp_path / CBP_FILE
    pd.DataFrame({"year": [2019], "county_fips": ["01001"], "emp": [5]}).to_parquet(path)
    with pytest.raises(UserError, match="payann"):
        read_cbp_counties(path)


def test_estimate_county_cells_fills_withheld_and_absent_cells(spot_employment):
    """Withheld 2017 rows get estimates, absent cells get rows; reported rows are unchanged."""
    estimated = estimate_county_cells(
        spot_employment,
        **{**UNPUBLISHED_OFF, "impute_withheld": True, "estimate_unpublished": True},
    )
    assert not (estimated["employment_flag"] == "suppressed").any()
    keys = ["region_id", "year", "industry_code"]
    reported = spot_employment[spot_employment["employment_flag"] == "reported"].set_index(keys)
    again = estimated.set_index(keys).loc[reported.index]
    assert (again["employment_flag"] == "reported").all()
    assert np.allclose(again["employment"], reported["employment"])
    withheld = spot_employment[spot_employment["employment_flag"] == "suppressed"].set_index(keys)
    filled = estimated.set_index(keys).loc[withheld.index]
    assert (filled["employment_flag"] == "imputed").all() and filled["employment"].notna().all()
    known = pd.MultiIndex.from_frame(spot_employment[keys])
    added = estimated[~pd.MultiIndex.from_frame(estimated[keys]).isin(known)]
    assert (added["employment_flag"] == "imputed").all()
    assert len(added) > len(spot_employment) * 0.3
    assert (added["employment"] > 0).all() and (added["establishments"] <= 2).all()
    # Six-digit industries now add up to the county totals (they fall short before).
    for table, low, high in [(spot_employment, 0.8, 0.95), (estimated, 0.995, 1.001)]:
        year = table[table["year"] == 2019]
        share = (
            year.loc[year["industry_level"] == 6, "employment"].sum()
            / year.loc[year["industry_level"] == 0, "employment"].sum()
        )
        assert low < share < high
    # Both steps off (the dataset's params.yaml options) leave the panel as read.
    assert estimate_county_cells(spot_employment, **UNPUBLISHED_OFF).equals(spot_employment)
