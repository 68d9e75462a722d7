"""Rosstat industrial shipments by OKVED2 section for the 83 OSM federal subjects."""

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import UserError
from pipeline.geography.contiguity import isolates
from pipeline.sources.ru_rosstat import (
    CODES_FILE,
    ROSSTAT_FILE,
    ingest_ru_shipments,
    subject_codes,
    subject_shipments,
)
from pipeline.sources.schema import check_employment

RAW_RU = Path(__file__).resolve().parents[2] / "data" / "raw" / "ru"


@pytest.fixture(scope="module")
def ru():
    return ingest_ru_shipments(RAW_RU)


@pytest.fixture(scope="module")
def rosstat() -> pd.DataFrame:
    return pd.read_csv(RAW_RU / ROSSTAT_FILE, dtype=str)


@pytest.fixture(scope="module")
def codes() -> pd.Series:
    return subject_codes(pd.read_csv(RAW_RU / CODES_FILE, dtype=str))


def printed(rosstat: pd.DataFrame, region_name: str, section: str, year: str) -> float:
    """The value Rosstat prints for one region row (read straight from the raw table)."""
    row = rosstat[
        (rosstat["indicator"] == "shipments_own_production")
        & (rosstat["region_name"] == region_name)
        & (rosstat["okved2_section"] == section)
        & (rosstat["year"] == year)
    ]
    return float(row["value"].item())


def shipments(ru, region_id: str, section: str, year: int) -> float:
    employment = ru.employment
    row = employment[
        (employment["region_id"] == region_id)
        & (employment["industry_code"] == section)
        & (employment["year"] == year)
    ]
    return float(row["employment"].item())


def neighbours(weights: pd.DataFrame, region: str) -> set[str]:
    linked = weights[(weights["focal"] == region) & (weights["weight"] > 0)]
    return set(linked["neighbor"])


def test_row_counts_and_schema(ru):
    employment = ru.employment
    # 83 polygons x (B, C, D, E + the derived total) x 2017-2021.
    assert len(employment) == 83 * 5 * 5 == 2075
    assert employment["region_id"].nunique() == 83
    assert set(employment["industry_code"]) == {"00", "B", "C", "D", "E"}
    assert set(employment["classification"]) == {"okved2"}
    assert employment.groupby(["region_id", "industry_code", "year"]).size().max() == 1
    check_employment(employment, "ru")


def test_manufacturing_2019_is_russia_less_crimea_and_sevastopol(ru, rosstat):
    employment = ru.employment
    total = employment[(employment["industry_code"] == "C") & (employment["year"] == 2019)]
    # README section 8: the 85 un-nested subjects sum to 47,436,024 in 2019. Crimea and
    # Sevastopol have no polygon and are left out.
    crimea = printed(rosstat, "Республика Крым", "C", "2019") + printed(
        rosstat, "г. Севастополь", "C", "2019"
    )
    assert crimea == 114_951
    # 47,436,024 - 114,951 = 47,321,073; the AO + remainder rows that replace the
    # Tyumen and Arkhangelsk oblast rows are rounded separately and add 1.
    assert total["employment"].sum() == 47_321_074
    assert abs(total["employment"].sum() - (47_436_024 - crimea)) <= 1


def test_autonomous_okrugs_are_not_double_counted(ru, rosstat):
    # The Tyumen polygon holds the oblast *without* its two AOs.
    tyumen_rest = printed(rosstat, "Тюменская область без автономных округов", "C", "2019")
    tyumen_all = printed(rosstat, "Тюменская область", "C", "2019")
    assert shipments(ru, "RU-TYU", "C", 2019) == tyumen_rest
    parts = sum(shipments(ru, code, "C", 2019) for code in ("RU-TYU", "RU-KHM", "RU-YAN"))
    assert abs(parts - tyumen_all) <= 1
    arkhangelsk_rest = printed(rosstat, "Архангельская область без автономного округа", "B", "2019")
    assert shipments(ru, "RU-ARK", "B", 2019) == arkhangelsk_rest
    arkhangelsk_all = printed(rosstat, "Архангельская область", "B", "2019")
    assert (
        abs(
            shipments(ru, "RU-ARK", "B", 2019)
            + shipments(ru, "RU-NEN", "B", 2019)
            - arkhangelsk_all
        )
        <= 1
    )


def test_every_polygon_has_a_value(ru):
    totals = ru.employment[ru.employment["industry_code"] == "00"]
    assert set(ru.regions["region_id"]) == set(totals["region_id"])
    assert totals["employment"].notna().all() and (totals["employment"] > 0).all()
    assert len(totals) == 83 * 5


def test_unpublished_cells_are_suppressed(ru):
    employment = ru.employment
    suppressed = employment[employment["employment_flag"] == "suppressed"]
    # Kalmykia B and E in every year ('...'), Magadan and the Jewish AO B and E in
    # 2020-2021 (confidential '...3)').
    assert len(suppressed) == 18
    assert suppressed["employment"].isna().all()
    assert set(suppressed["industry_code"]) == {"B", "E"}
    assert suppressed.groupby("region_id").size().to_dict() == {
        "RU-KL": 10,
        "RU-MAG": 4,
        "RU-YEV": 4,
    }
    imputed = employment[employment["employment_flag"] == "imputed"]
    assert set(imputed["industry_code"]) == {"00"} and len(imputed) == 9


def test_region_codes_are_iso_3166_2(ru):
    regions = ru.regions
    assert len(regions) == 83 and regions["region_id"].is_unique
    assert regions["region_id"].str.fullmatch(r"RU-[A-Z]{2,3}").all()
    assert not {"RU-CR", "RU-SEV"} & set(regions["region_id"])
    names = regions.set_index("region_id")["name"]
    assert names["RU-MOW"] == "Moscow" and names["RU-YEV"] == "Jewish Autonomous Oblast"
    assert regions.crs.to_epsg() == 4326 and regions.geometry.is_valid.all()


def test_contiguity_makes_geographic_sense(ru):
    weights = ru.weights
    assert isolates(weights) == ["RU-KGD", "RU-SAK"]  # the exclave and the island oblast
    assert weights.loc[weights["focal"] == "RU-KGD", "weight"].tolist() == [0.0]
    pairs = set(zip(weights["focal"], weights["neighbor"], strict=True))
    assert all((b, a) in pairs for a, b in pairs)
    assert int((weights["weight"] > 0).sum()) == 378
    # New Moscow (2012) reaches Kaluga oblast.
    assert neighbours(weights, "RU-MOW") == {"RU-MOS", "RU-KLU"}
    assert neighbours(weights, "RU-SPE") == {"RU-LEN"}
    # Chukotka is split at the antimeridian but keeps its three western neighbours.
    assert neighbours(weights, "RU-CHU") == {"RU-KAM", "RU-MAG", "RU-SA"}
    assert "RU-NGR" in neighbours(weights, "RU-LEN")
    assert {"RU-KHM", "RU-YAN"} <= neighbours(weights, "RU-TYU") | neighbours(weights, "RU-KHM")
    assert "RU-NEN" in neighbours(weights, "RU-ARK")


def test_oblast_row_beside_its_remainder_is_refused(rosstat, codes):
    # Filling the join key of the oblast *including* its AOs would double count them.
    doubled = rosstat.copy()
    oblast = doubled["region_name"] == "Тюменская область"
    doubled.loc[oblast, "geojson_name"] = "Тюменская область"
    with pytest.raises(UserError, match="Тюменская область"):
        subject_shipments(doubled, codes)


def test_row_without_iso_code_is_refused(rosstat, codes):
    with pytest.raises(UserError, match="Москва"):
        subject_shipments(rosstat, codes.drop("Москва"))
