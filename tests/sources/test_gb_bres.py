"""ONS BRES GB NUTS-2 sections: the embedded extract, NUTS 2016 polygons and contiguity."""

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from pipeline.errors import UserError
from pipeline.geography.contiguity import isolates
from pipeline.sources.gb_bres import (
    BOUNDARY_FILE,
    BRES_FILE,
    bres_employment,
    ingest_gb_bres,
    nuts_regions,
)
from pipeline.sources.schema import check_employment

RAW_GB = Path(__file__).resolve().parents[2] / "data" / "raw" / "gb"
SCOTLAND = ["UKM5", "UKM6", "UKM7", "UKM8", "UKM9"]


@pytest.fixture(scope="module")
def gb():
    return ingest_gb_bres(RAW_GB)


@pytest.fixture(scope="module")
def raw_bres() -> pd.DataFrame:
    return pd.read_csv(RAW_GB / BRES_FILE, dtype={"nuts2016_id": str})


def neighbours(weights: pd.DataFrame, region: str) -> set[str]:
    linked = weights[(weights["focal"] == region) & (weights["weight"] > 0)]
    return set(linked["neighbor"])


def test_row_counts_and_schema(gb):
    employment = gb.employment
    # 40 regions x (19 sections + the derived total) x 8 years.
    assert len(employment) == 40 * 20 * 8 == 6400
    assert employment["region_id"].nunique() == 40
    assert sorted(employment["year"].unique()) == list(range(2015, 2023))
    assert set(employment["classification"]) == {"nace_r2"}
    assert set(employment.loc[employment["industry_code"] == "00", "industry_level"]) == {0}
    assert set(employment.loc[employment["industry_code"] != "00", "industry_level"]) == {1}
    assert employment["establishments"].isna().all()
    check_employment(employment, "gb")


def test_west_midlands_manufacturing_2019(gb):
    employment = gb.employment
    manufacturing = employment[(employment["industry_code"] == "C") & (employment["year"] == 2019)]
    top = manufacturing.nlargest(3, "employment")
    # README section 7: UKG3 West Midlands 122,553; UKF1 117,727; UKE4 99,827.
    assert top["region_id"].tolist() == ["UKG3", "UKF1", "UKE4"]
    assert top["employment"].tolist() == pytest.approx([122553.3, 117726.9, 99826.8])


def test_empty_agriculture_cells_are_suppressed_not_zero(gb):
    employment = gb.employment
    suppressed = employment[employment["employment_flag"] == "suppressed"]
    assert len(suppressed) == 15
    assert set(suppressed["industry_code"]) == {"A"}
    assert sorted(suppressed["region_id"].unique()) == SCOTLAND
    assert sorted(suppressed["year"].unique()) == [2015, 2016, 2017]
    assert suppressed["employment"].isna().all()
    # Their totals are sums of the 18 published sections: flagged, never null.
    imputed = employment[employment["employment_flag"] == "imputed"]
    assert len(imputed) == 15 and set(imputed["industry_code"]) == {"00"}
    assert imputed["employment"].notna().all()


def test_total_row_is_the_sum_of_sections_read_independently(gb, raw_bres):
    totals = gb.employment[gb.employment["industry_code"] == "00"]
    by_year = totals.groupby("year")["employment"].sum()
    expected = raw_bres.groupby("year")["fulltime_employees"].sum()
    assert by_year.to_numpy() == pytest.approx(expected.to_numpy())
    # README: about 19.7M (2015) to 21.3M (2022).
    assert round(by_year[2015] / 1e6, 1) == 19.7 and round(by_year[2022] / 1e6, 1) == 21.3
    west_midlands = raw_bres[(raw_bres["nuts2016_id"] == "UKG3") & (raw_bres["year"] == 2019)]
    row = totals[(totals["region_id"] == "UKG3") & (totals["year"] == 2019)]
    assert row["employment"].item() == pytest.approx(west_midlands["fulltime_employees"].sum())


def test_regions_are_the_40_gb_nuts2_polygons(gb):
    regions = gb.regions
    assert len(regions) == 40
    assert regions.crs.to_epsg() == 4326
    assert set(regions["region_id"]) == set(gb.employment["region_id"])
    assert regions.geometry.is_valid.all() and not regions.geometry.is_empty.any()
    assert "UKN0" not in set(regions["region_id"])
    assert regions.set_index("region_id").loc["UKM6", "name"] == "Highlands and Islands"
    assert (RAW_GB / BOUNDARY_FILE).stat().st_size < 2_000_000


def test_contiguity_makes_geographic_sense(gb):
    weights = gb.weights
    assert isolates(weights) == []
    pairs = set(zip(weights["focal"], weights["neighbor"], strict=True))
    assert all((b, a) in pairs for a, b in pairs)
    assert len(weights) == 172  # 86 borders, both ways
    # The five London regions touch each other as the map says: Inner West touches both
    # outer-west and outer-south rings and Inner East; Kent touches London, not Essex.
    assert neighbours(weights, "UKI3") == {"UKI4", "UKI6", "UKI7"}
    assert "UKI5" in neighbours(weights, "UKI4")
    assert neighbours(weights, "UKJ4") == {"UKJ2", "UKI5", "UKI6"}
    # Highlands and Islands reaches its neighbours through the mainland.
    assert neighbours(weights, "UKM6") == {"UKM5", "UKM7", "UKM8"}
    assert neighbours(weights, "UKK3") == {"UKK4"}
    assert neighbours(weights, "UKG3") == {"UKG1", "UKG2"}
    # Scotland meets England only through Southern Scotland.
    across_border = {region: neighbours(weights, region) - set(SCOTLAND) for region in SCOTLAND}
    assert {region: found for region, found in across_border.items() if found} == {
        "UKM9": {"UKC2", "UKD1"}
    }


def test_missing_column_is_a_user_error(raw_bres):
    with pytest.raises(UserError, match="fulltime_employees"):
        bres_employment(raw_bres.drop(columns="fulltime_employees"))


def test_region_without_polygon_is_a_user_error():
    nuts = gpd.read_file(RAW_GB / BOUNDARY_FILE)
    with pytest.raises(UserError, match="UKN0"):
        nuts_regions(nuts, ["UKG3", "UKN0"])


def test_ingest_names_the_missing_file(tmp_path):
    with pytest.raises(UserError, match=BRES_FILE):
        ingest_gb_bres(tmp_path)
