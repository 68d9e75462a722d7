"""Shared fixtures: a small real subset of the embedded CBP 2019 metro data."""

from pathlib import Path

import pandas as pd
import pytest

from pipeline.sources.us_cbp import read_cbp_cbsa

ROOT = Path(__file__).resolve().parents[1]
RAW_US = ROOT / "data" / "raw" / "us"
# Pacific Northwest and Idaho: Seattle aerospace and software, Portland semiconductors, Boise.
SUBSET_STATES = ["Washington", "Oregon", "Idaho"]


@pytest.fixture(scope="session")
def subset_cbsas() -> list[str]:
    delineation = pd.read_csv(RAW_US / "cbsa_county_delineation_2020.csv", dtype=str)
    return sorted(
        delineation.loc[delineation["state_name"].isin(SUBSET_STATES), "cbsa_code"].unique()
    )


@pytest.fixture(scope="session")
def cbp_subset(subset_cbsas) -> pd.DataFrame:
    employment = read_cbp_cbsa(
        RAW_US / "cbp2019_cbsa_naics.parquet", estimate_unpublished_cells=False
    )
    return employment[employment["region_id"].isin(subset_cbsas)].reset_index(drop=True)


US_FILES = [
    "us_counties_2010_20m.geojson",
    "cbsa_county_delineation_2020.csv",
    "county_adjacency_2023.csv",
]


@pytest.fixture
def subset_project(tmp_path: Path, subset_cbsas: list[str]) -> Path:
    """A copy of the project's DVC pipeline whose only dataset, 'subset', is the real subset."""
    import shutil

    import yaml

    raw = tmp_path / "data" / "raw" / "subset"
    raw.mkdir(parents=True)
    cbp = pd.read_parquet(RAW_US / "cbp2019_cbsa_naics.parquet")
    cbp[cbp["cbsa_code"].isin(subset_cbsas)].to_parquet(
        raw / "cbp2019_cbsa_naics.parquet", index=False
    )
    for name in US_FILES:
        shutil.copy(RAW_US / name, raw / name)
    for shared in ("classifications", "linkages"):
        shutil.copytree(ROOT / "data" / "raw" / shared, tmp_path / "data" / "raw" / shared)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["datasets"] = {
        "subset": {
            "source": "cbp_cbsa",
            "raw": "data/raw/subset",
            "classification": "naics2017",
            "options": {"estimate_unpublished": False},
        }
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    shutil.copy(ROOT / "dvc.yaml", tmp_path / "dvc.yaml")
    # DVC deps name pipeline/ files: a copy of the package (the installed one runs), so a test
    # can edit a module and watch `dvc status` without touching the real code.
    shutil.copytree(
        ROOT / "pipeline", tmp_path / "pipeline", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path
