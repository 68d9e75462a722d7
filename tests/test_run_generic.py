"""`regclust run` and `regclust validate` on the user's own files (the generic schema)."""

import geopandas as gpd
import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.sources import us_geography
from tests.conftest import RAW_US


@pytest.fixture
def user_files(tmp_path, cbp_subset):
    """The real Pacific Northwest subset written as a user would bring it: CSV + GeoJSON."""
    table = cbp_subset.rename(columns={})[
        ["region_id", "industry_code", "year", "employment", "establishments"]
    ]
    employment = tmp_path / "pnw_employment.csv"
    table.to_csv(employment, index=False)
    counties = us_geography.read_county_geometry(RAW_US / "us_counties_2010_20m.geojson")
    delineation = us_geography.read_delineation(RAW_US / "cbsa_county_delineation_2020.csv")
    regions = us_geography.cbsa_regions(table["region_id"].unique(), counties, delineation)
    boundaries = tmp_path / "pnw_regions.geojson"
    regions[["region_id", "name", "geometry"]].to_file(boundaries, driver="GeoJSON")
    return employment, boundaries


@pytest.mark.slow
def test_run_on_user_files_publishes_every_table(tmp_path, user_files, monkeypatch):
    employment, boundaries = user_files
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)  # no params.yaml here: defaults apply
    code = main(
        [
            "run",
            "--employment",
            str(employment),
            "--regions",
            str(boundaries),
            "--classification",
            "naics2017",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    for table in [
        "employment.parquet",
        "location_quotients",
        "cluster_strength.parquet",
        "regional_clusters.parquet",
        "local_spatial.parquet",
        "metrics.json",
        "data_dictionary.md",
    ]:
        assert (out / table).exists(), table
    regional = gpd.read_parquet(out / "regional_clusters.parquet")
    seattle = regional[regional["region_ids"].apply(lambda ids: "42660" in ids)].set_index(
        "cluster_name"
    )
    assert seattle.loc["Aerospace Vehicles and Defense", "label"] == "industrial-production"
    assert len(pd.read_parquet(out / "spatial_weights.parquet")) > 0


def test_validate_reports_usable_and_bad_files(user_files, capsys):
    employment, boundaries = user_files
    assert (
        main(
            [
                "validate",
                str(employment),
                "--regions",
                str(boundaries),
                "--classification",
                "naics2017",
            ]
        )
        == 0
    )
    assert "usable" in capsys.readouterr().out
    bad = RAW_US.parents[2] / "tests" / "data" / "bad" / "misspelt_column.csv"
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "employmnet" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_run_needs_six_digit_codes_for_benchmark_clusters(tmp_path, capsys):
    good = RAW_US.parents[2] / "tests" / "data" / "good" / "employment.csv"
    code = main(
        [
            "run",
            "--employment",
            str(good),
            "--classification",
            "naics2017",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "no industries at level 6" in capsys.readouterr().err


@pytest.mark.slow
def test_run_without_boundaries_skips_only_spatial_statistics(
    tmp_path, user_files, monkeypatch, capsys
):
    employment, _ = user_files
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "run",
                "--employment",
                str(employment),
                "--classification",
                "naics2017",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "no --regions" in capsys.readouterr().err
    assert pd.read_parquet(out / "local_spatial.parquet").empty
    concentration = pd.read_parquet(out / "concentration.parquet")
    assert concentration["moran_i"].isna().all() and concentration["gini"].notna().any()
    regional = gpd.read_parquet(out / "regional_clusters.parquet")
    assert (regional["n_regions"] == 1).all()


def test_run_on_typed_parquet_checks_it_while_ingesting(tmp_path, capsys):
    """A typed Parquet file is read once: ingest makes validate's table-wide checks as it
    reads, so an error only they find (a fractional establishment count) still stops the
    run with one line and exit 2, and a previous result in --out stays as it was."""
    from pipeline.sources.generic import read_generic

    good = RAW_US.parents[2] / "tests" / "data" / "good" / "employment.csv"
    table = read_generic(good, "naics2017").drop(columns="classification")
    table.loc[table.index[table["industry_level"] > 0][2], "establishments"] = 2.5
    path = tmp_path / "employment.parquet"
    table.to_parquet(path, index=False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.json").write_text('{"previous": true}')
    arguments = ["run", "--employment", str(path), "--classification", "naics2017"]
    assert main([*arguments, "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "2.5" in error and "establishments" in error and "Traceback" not in error
    assert (out / "metrics.json").read_text() == '{"previous": true}'
    assert not list(tmp_path.glob(".out.building-*"))
