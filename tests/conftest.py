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
    employment = read_cbp_cbsa(RAW_US / "cbp2019_cbsa_naics.parquet")
    return employment[employment["region_id"].isin(subset_cbsas)].reset_index(drop=True)
