"""Registry sources built on the official-format readers."""

import shutil
from pathlib import Path

import pytest

from pipeline.errors import UserError
from pipeline.sources.registry import ingest

ROOT = Path(__file__).resolve().parents[2]


def test_cbp_complete_county_file_source(tmp_path):
    shutil.copy(ROOT / "tests" / "data" / "official" / "cbp21co.txt", tmp_path)
    for name in ["us_counties_2017_10m.topojson.json", "county_adjacency_2023.csv"]:
        shutil.copy(ROOT / "data" / "raw" / "us_counties" / name, tmp_path)
    result = ingest("cbp_county_file", tmp_path)
    employment = result.employment
    assert set(employment["year"]) == {2021}
    assert (employment["industry_code"] == "00").any()
    assert set(employment["employment_flag"]) <= {"reported", "imputed", "suppressed"}
    assert set(result.regions["region_id"]) == set(employment["region_id"])
    assert result.regions.geometry.notna().all()
    unimputed = ingest("cbp_county_file", tmp_path, {"impute": False})
    assert (unimputed.employment["employment_flag"] != "imputed").all()


def test_unknown_option_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="option not understood"):
        ingest("cbp_county_file", tmp_path, {"imputee": False})


def test_missing_county_file_says_how_to_get_one(tmp_path):
    with pytest.raises(UserError, match="regclust fetch"):
        ingest("cbp_county_file", tmp_path)


def test_fetch_command_caches_a_local_url_and_refuses_bad_checksums(tmp_path, capsys):
    from pipeline.cli import main

    source = tmp_path / "cbp21co.txt"
    source.write_text("fipstate,fipscty\n")
    cache = tmp_path / "cache"
    assert main(["fetch", "url", "--code", source.as_uri(), "--cache", str(cache)]) == 0
    assert (cache / "cbp21co.txt").read_text() == "fipstate,fipscty\n"
    assert (
        main(
            [
                "fetch",
                "url",
                "--code",
                source.as_uri(),
                "--cache",
                str(tmp_path / "c2"),
                "--sha256",
                "0" * 64,
            ]
        )
        == 2
    )
    assert "Traceback" not in capsys.readouterr().err
    assert main(["fetch", "qcew", "--cache", str(cache)]) == 2


def test_generic_folder_source_takes_the_dataset_classification(tmp_path):
    good = ROOT / "tests" / "data" / "good"
    shutil.copy(good / "employment.csv", tmp_path / "employment.csv")
    shutil.copy(good / "regions.geojson", tmp_path / "regions.geojson")
    result = ingest("generic", tmp_path, {}, classification="naics2017")
    assert set(result.employment["classification"]) == {"naics2017"}
    assert result.regions.geometry.notna().all()
    assert (result.weights["weight"] > 0).any()
