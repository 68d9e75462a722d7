"""End to end on a small real subset (Washington, Oregon, Idaho metros): every stage, then DVC."""

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml

from pipeline.cli import main
from pipeline.lq_dataset import lq_dataset_path, read_quotients
from tests.stage_deps import dvc_stages, stage_code, stage_command

ROOT = Path(__file__).resolve().parents[1]


def test_all_stages_on_a_real_subset(subset_project, subset_cbsas, cbp_subset, monkeypatch):
    project = subset_project
    monkeypatch.chdir(project)
    for stage in ["ingest", "measure", "cluster", "spatial", "label", "publish"]:
        assert main([stage, "--dataset", "subset"]) == 0, stage
    out = project / "data" / "processed" / "subset"

    employment = pd.read_parquet(out / "employment.parquet")
    assert {
        "region_id",
        "industry_code",
        "industry_level",
        "year",
        "employment",
        "establishments",
        "classification",
    } <= set(employment.columns)
    assert set(employment["region_id"]) == set(subset_cbsas) & set(cbp_subset["region_id"])

    regions = gpd.read_parquet(out / "regions.parquet")
    assert regions.crs.to_epsg() == 4326 and {"region_id", "name", "geometry"} <= set(
        regions.columns
    )
    weights = pd.read_parquet(out / "spatial_weights.parquet")
    seattle = set(weights.loc[weights["focal"] == "42660", "neighbor"])
    assert "14740" in seattle  # Bremerton borders Seattle-Tacoma-Bellevue

    quotients = read_quotients(lq_dataset_path(out))
    assert {
        "region_id",
        "industry_code",
        "year",
        "employment",
        "establishments",
        "lq",
        "lq_establishments",
    } <= set(quotients.columns)
    aerospace = quotients.set_index(["region_id", "industry_code"]).loc[("42660", "3364"), "lq"]
    assert aerospace > 2  # relative to the three-state subset; about 11 against the whole US

    industry_clusters = pd.read_parquet(out / "industry_clusters.parquet")
    assert {"industry_code", "cluster_code", "cluster_name", "cluster_type"} <= set(
        industry_clusters.columns
    )
    strength = pd.read_parquet(out / "cluster_strength.parquet")
    assert {
        "region_id",
        "cluster_code",
        "year",
        "employment",
        "establishments",
        "lq",
        "strong",
        "stars",
    } <= set(strength.columns)

    regional = gpd.read_parquet(out / "regional_clusters.parquet")
    expected = {
        "regional_cluster_id",
        "cluster_code",
        "cluster_name",
        "region_ids",
        "employment",
        "lq",
        "top_industries",
        "geometry",
        "label",
        "technology_score",
    }
    assert expected <= set(regional.columns)
    assert set(regional["label"]) <= {"technology", "industrial-production", "other"}
    with_seattle = regional[regional["region_ids"].apply(lambda ids: "42660" in ids)].set_index(
        "cluster_name"
    )
    # Boeing's Puget Sound is an aerospace cluster: industrial production in the policy typology.
    assert with_seattle.loc["Aerospace Vehicles and Defense", "label"] == "industrial-production"
    assert (
        with_seattle.loc["Information Technology and Analytical Instruments", "label"]
        == "technology"
    )
    assert list(with_seattle.loc["Aerospace Vehicles and Defense", "top_industries"])[0].startswith(
        "3364"
    )

    concentration = pd.read_parquet(out / "concentration.parquet")
    assert {"gini", "hoover", "herfindahl", "eg_gamma", "moran_i", "moran_p_sim"} <= set(
        concentration.columns
    )
    assert concentration["gini"].between(0, 1).all()
    specialization = pd.read_parquet(out / "region_specialization.parquet")
    assert specialization["krugman"].between(0, 2).all()
    local = pd.read_parquet(out / "local_spatial.parquet")
    assert set(local["quadrant"]) <= {"HH", "HL", "LH", "LL", "ns"}

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["clusters"] == len(regional)
    assert metrics["unmapped"] < 0.01
    assert "## `location_quotients/`" in (out / "data_dictionary.md").read_text()


def _dvc(project: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["dvc", *args], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.mark.slow
def test_dvc_repro_is_incremental(subset_project):
    project = subset_project
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    _dvc(project, "init", "-q")
    _dvc(project, "config", "core.analytics", "false")
    first = _dvc(project, "repro")
    assert "Running stage 'publish@subset'" in first
    second = _dvc(project, "repro")
    assert "Running stage" not in second
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["label"]["technology_share_min"] = 0.9
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    third = _dvc(project, "repro")
    ran = {line.split("'")[1] for line in third.splitlines() if line.startswith("Running stage")}
    assert ran == {"label@subset", "publish@subset", "maps@subset"}
    # an edit to a module a stage runs (not only the module named after it) makes it stale
    stale_after = {}
    for module in (
        "pipeline/measures/change.py",
        "pipeline/config.py",
        "pipeline/stages/label.py",  # one stage module: only its stage reruns
    ):
        edited = project / module
        original = edited.read_text()
        edited.write_text(original + "\n# edited\n")
        status = json.loads(_dvc(project, "status", "--json").splitlines()[-1] or "{}")
        edited.write_text(original)
        stale = {stage.split("@")[0] for stage in status}
        expected = {
            name
            for name, stage in dvc_stages().items()
            if (ROOT / module) in stage_code(stage_command(stage))
        }
        assert stale == expected, (module, stale, expected)
        stale_after[module] = stale
    assert "cluster" in stale_after["pipeline/measures/change.py"]
    assert stale_after["pipeline/config.py"] == set(dvc_stages())
    assert stale_after["pipeline/stages/label.py"] == {"label"}


def test_user_errors_exit_2_without_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", "--dataset", "nope", "--params", str(ROOT / "params.yaml")]) == 2
    err = capsys.readouterr().err
    assert "dataset 'nope'" in err and "Traceback" not in err
    assert (
        main(["measure", "--dataset", "us_cbsa_2019", "--params", str(ROOT / "params.yaml")]) == 2
    )
    assert "employment.parquet: not found" in capsys.readouterr().err
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["label"]["technology_share"] = params["label"].pop("technology_share_min")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert main(["label", "--params", "params.yaml"]) == 2
    assert "unknown key(s) technology_share" in capsys.readouterr().err


@pytest.mark.parametrize("moran_levels", ["cluster", "all"])
def test_moran_levels_chooses_where_global_moran_is_tested(
    subset_project, monkeypatch, moran_levels
):
    """spatial.moran_levels: cluster tests only six-digit industries (the permutations are
    most of the measure stage on counties), all tests every level; the rest is unchanged."""
    project = subset_project
    monkeypatch.chdir(project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["spatial"]["moran_levels"] = moran_levels
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for stage in ["ingest", "measure"]:
        assert main([stage, "--dataset", "subset"]) == 0, stage
    concentration = pd.read_parquet(project / "data/processed/subset/concentration.parquet")
    six = concentration["industry_level"] == 6
    assert concentration.loc[six, "moran_i"].notna().mean() > 0.9
    tested_elsewhere = concentration.loc[~six, "moran_i"].notna()
    if moran_levels == "cluster":
        assert not tested_elsewhere.any()
    else:
        assert tested_elsewhere.mean() > 0.9
    assert concentration["gini"].notna().all()
