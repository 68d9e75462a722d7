"""PanelFigures (one year at a time) equals the whole-table definition, on made-up and real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.engine.panel import parquet_years, read_year
from pipeline.panel_figures import FIGURE_COLUMNS, PanelFigures, panel_figures
from pipeline.sources.suppression import imputed_employment_by_level
from tests.rendering import PROCESSED


def _whole_table_figures(employment: pd.DataFrame, mapped: set[str]) -> dict:
    """The figures as the publish stage computed them before, on the whole pandas table."""
    detail = employment[employment["industry_level"] == employment["industry_level"].max()]
    in_cluster = detail["industry_code"].isin(mapped)
    total = float(detail["employment"].sum())
    figures = {
        "regions": int(employment["region_id"].nunique()),
        "industries": int(
            employment.loc[employment["industry_level"] > 0, "industry_code"].nunique()
        ),
        "years": sorted(int(y) for y in employment["year"].unique()),
        "rows_employment": len(employment),
        "unmapped_employment_share": (
            round(float(detail.loc[~in_cluster, "employment"].sum()) / total, 6) if total else 0.0
        ),
        "cells_by_flag": {
            flag: int(n) for flag, n in employment["employment_flag"].value_counts().items()
        },
    }
    if (employment["employment_flag"] == "imputed").any():
        figures["imputed_employment_by_level"] = imputed_employment_by_level(employment)
    return figures


def _panel(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = 3000
    codes = np.array(["00", "31-33", "311", "3111", "541", "5417", "54171"])
    levels = {"00": 0, "31-33": 2, "311": 3, "3111": 4, "541": 3, "5417": 4, "54171": 5}
    code = rng.choice(codes, rows)
    employment = rng.integers(0, 500, rows).astype(float)
    employment[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "region_id": rng.choice([f"{n:05d}" for n in range(40)], rows),
            "industry_code": code,
            "industry_level": pd.Series([levels[c] for c in code], dtype="int8"),
            "year": rng.choice([2017, 2018, 2019], rows).astype("int16"),
            "employment": employment,
            "employment_flag": rng.choice(
                np.array(["published", "imputed", "suppressed", None], dtype=object),
                rows,
                p=[0.7, 0.15, 0.1, 0.05],
            ),
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_year_by_year_equals_the_whole_table(seed):
    employment = _panel(seed)
    mapped = {"3111", "54171"}
    figures = PanelFigures(mapped)
    for _, year_rows in employment.groupby("year"):
        figures.add(pd.DataFrame(year_rows).pipe(_arrow))
    expected = _whole_table_figures(employment, mapped)
    assert figures.figures() == expected
    assert panel_figures(employment, mapped) == expected
    assert expected["imputed_employment_by_level"]  # the imputed branch is exercised


def test_no_imputed_rows_no_imputed_figures():
    employment = _panel(4)
    employment["employment_flag"] = "published"
    assert "imputed_employment_by_level" not in panel_figures(employment, set())
    assert panel_figures(employment, set())["unmapped_employment_share"] == 1.0


def _arrow(frame: pd.DataFrame):
    import pyarrow as pa

    return pa.Table.from_pandas(frame[FIGURE_COLUMNS], preserve_index=False)


@pytest.mark.parametrize("dataset", ["us_cbsa_2019", "us_counties_2017_2021"])
def test_real_panels_read_by_year(dataset):
    folder = PROCESSED / dataset
    if not (folder / "employment.parquet").exists():
        pytest.skip(f"{folder}: not built (make run builds it)")
    source = folder / "employment.parquet"
    mapped = set(pd.read_parquet(folder / "industry_clusters.parquet")["industry_code"])
    figures = PanelFigures(mapped)
    for year in parquet_years(source):
        figures.add(read_year(source, year, FIGURE_COLUMNS))
    employment = pd.read_parquet(source, columns=FIGURE_COLUMNS)
    assert figures.figures() == _whole_table_figures(employment, mapped)
