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


def test_every_fetch_kind_has_a_source_that_reads_its_download():
    from pipeline.cli.own_data import FETCH_KINDS
    from pipeline.sources.registry import FETCH_SOURCES, SOURCES

    assert set(FETCH_SOURCES) == set(FETCH_KINDS) - {"url"}
    assert set(FETCH_SOURCES.values()) <= set(SOURCES)


def test_qcew_files_source_reads_one_area_level_with_boundaries(tmp_path):
    official = ROOT / "tests" / "data" / "official"
    for name in ["qcew_2019_annual_by_area_53061.csv", "qcew_2019_annual_area_53000.csv"]:
        shutil.copy(official / name, tmp_path)  # a county file and a state file
    counties = ingest("qcew_files", tmp_path)  # counties by default
    assert set(counties.employment["region_id"]) == {"53061"}
    assert (counties.employment["industry_code"] == "00").sum() == 1
    assert counties.regions["region_id"].tolist() == ["53061"]
    assert counties.regions.geometry.isna().all()  # no boundary file in the folder
    states = ingest("qcew_files", tmp_path, {"geography": "state"})
    assert set(states.employment["region_id"]) == {"53"}
    with pytest.raises(UserError, match="QCEW geography 'metro' is unknown"):
        ingest("qcew_files", tmp_path, {"geography": "metro"})


def test_qcew_files_source_refuses_the_same_cells_twice(tmp_path):
    official = ROOT / "tests" / "data" / "official"
    shutil.copy(official / "qcew_2019_annual_area_53000.csv", tmp_path / "a.csv")
    shutil.copy(official / "qcew_2019_annual_area_53000.csv", tmp_path / "b.csv")
    with pytest.raises(UserError, match="is in two of the QCEW files"):
        ingest("qcew_files", tmp_path, {"geography": "state"})


def test_eurostat_source_reads_the_downloaded_dataset(tmp_path):
    official = ROOT / "tests" / "data" / "official"
    shutil.copy(official / "lfst_r_lfe2en2.tsv", tmp_path)
    result = ingest("eurostat", tmp_path, {"dataset": "lfst_r_lfe2en2"})
    employment = result.employment
    assert set(employment["classification"]) == {"nace_r2"}
    assert all(len(region) == 4 for region in employment["region_id"])  # NUTS 2
    assert set(result.regions["region_id"]) == set(employment["region_id"])
    with pytest.raises(UserError, match="regclust fetch eurostat --code sbs_r_nuts06_r2"):
        ingest("eurostat", tmp_path, {"dataset": "sbs_r_nuts06_r2"})


def test_unpublished_options_are_all_required():
    from pipeline.sources.us_cbp import unpublished_keywords

    options = {
        "unpublished_weight": "establishment_size",
        "unpublished_selection": "fewest_cells",
        "max_unpublished_establishments": 1,
    }
    assert unpublished_keywords(options, estimate=True) == {
        "weight": "establishment_size",
        "selection": "fewest_cells",
        "max_establishments": 1,
    }
    with pytest.raises(UserError, match="option not understood by source 'cbp_cbsa'"):
        ingest(
            "cbp_cbsa",
            ROOT / "data" / "raw" / "us",
            {"estimate_unpublished": False, "unpublished_wieght": "x"},
        )
    # Nothing is filled in for the thresholds a dataset leaves out of params.yaml.
    with pytest.raises(
        UserError, match="option missing for source 'cbp_cbsa'.*unpublished_selection"
    ):
        ingest(
            "cbp_cbsa",
            ROOT / "data" / "raw" / "us",
            {"estimate_unpublished": True, "unpublished_weight": "national_employment"},
        )
    with pytest.raises(
        UserError, match="option missing for source 'cbp_counties'.*impute_withheld"
    ):
        ingest("cbp_counties", ROOT / "data" / "raw" / "us_counties", {})
