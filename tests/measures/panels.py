"""Small employment tables the measure and engine tests share (hand-worked and random)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

COLUMNS = ["region_id", "industry_code", "industry_level", "employment", "establishments"]


def table(rows, year: int = 2019) -> pd.DataFrame:
    """Canonical-typed employment table from (region, industry, level, employment, plants)."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.assign(
        industry_level=frame["industry_level"].astype("int8"),
        year=np.int16(year),
        employment=frame["employment"].astype("float64"),
        establishments=frame["establishments"].astype("float64"),
        classification="naics2017",
    )


def four_regions() -> pd.DataFrame:
    # Totals 100, 200, 300, 400 (E = 1000, x = .1 .2 .3 .4). Industry 'A': 30, 10, 0, 10
    # employees (e_i = 50) in 3, 2, -, 1 plants. Industry 'B' fills the rest of each region.
    return table(
        [
            ("R1", "00", 0, 100, 10),
            ("R2", "00", 0, 200, 10),
            ("R3", "00", 0, 300, 10),
            ("R4", "00", 0, 400, 10),
            ("R1", "A", 6, 30, 3),
            ("R2", "A", 6, 10, 2),
            ("R4", "A", 6, 10, 1),
            ("R1", "B", 6, 70, 7),
            ("R2", "B", 6, 190, 8),
            ("R3", "B", 6, 300, 10),
            ("R4", "B", 6, 390, 9),
        ]
    )


def three_years() -> pd.DataFrame:
    """:func:`four_regions` in 2017-2019 with changing counts, and a level-5 industry in 2018."""
    frames = []
    for offset, year in enumerate([2017, 2018, 2019]):
        frame = four_regions().assign(year=np.int16(year))
        frame["employment"] = frame["employment"] * (1 + offset) + np.where(
            frame["industry_code"] == "A", offset * 3, 0
        )
        frames.append(frame)
    more = table([("R1", "C", 5, 5, 1), ("R3", "C", 5, 7, 2)], year=2018)
    return pd.concat([*frames, more], ignore_index=True)


def with_public_sector(employment: pd.DataFrame) -> pd.DataFrame:
    """The three years with a public-administration sector '92' in two regions."""
    public = employment[employment["industry_code"] == "A"].head(4).copy()
    public["industry_code"] = "92"
    public["employment"] = public["employment"] + 7.0
    return pd.concat([employment, public], ignore_index=True)


def write_by_year(employment: pd.DataFrame, path: Path) -> Path:
    # One row group per year, region and industry dictionary-encoded as in the benchmark.
    with pq.ParquetWriter(path, pa.Schema.from_pandas(employment, preserve_index=False)) as writer:
        for _, part in employment.groupby("year"):
            writer.write_table(pa.Table.from_pandas(part, preserve_index=False))
    return path


def toy_employment() -> pd.DataFrame:
    # Region A: total 100 = X 30 + Y 70; region B: total 300 = X 10 + Y 290.
    return table(
        [
            ("A", "00", 0, 100, 10),
            ("A", "11", 2, 30, 3),
            ("A", "22", 2, 70, 7),
            ("B", "00", 0, 300, 20),
            ("B", "11", 2, 10, 1),
            ("B", "22", 2, 290, 19),
        ]
    )


@st.composite
def employment_tables(draw):
    """Random region x industry tables with all-industry totals at least the sum of parts."""
    n_regions = draw(st.integers(2, 6))
    n_industries = draw(st.integers(1, 5))
    cells = draw(
        st.lists(
            st.integers(0, 10**6).map(float),  # job counts
            min_size=n_regions * n_industries,
            max_size=n_regions * n_industries,
        )
    )
    slack = draw(st.lists(st.floats(1, 1e5), min_size=n_regions, max_size=n_regions))
    rows = []
    for r in range(n_regions):
        parts = cells[r * n_industries : (r + 1) * n_industries]
        rows.append((f"R{r}", "00", 0, sum(parts) + slack[r]))
        rows += [(f"R{r}", f"{11 + i}", 2, value) for i, value in enumerate(parts)]
    frame = pd.DataFrame(
        rows, columns=["region_id", "industry_code", "industry_level", "employment"]
    )
    frame["industry_level"] = frame["industry_level"].astype("int8")
    frame["year"] = np.int16(2020)
    frame["establishments"] = 1.0
    frame["classification"] = "naics2017"
    return frame


@st.composite
def concentration_panels(draw):
    """Random tables with their dense region x industry matrix and region totals."""
    n_regions = draw(st.integers(2, 7))
    n_industries = draw(st.integers(1, 4))
    cells = draw(
        st.lists(
            st.integers(0, 500),
            min_size=n_regions * n_industries,
            max_size=n_regions * n_industries,
        )
    )
    matrix = np.array(cells, dtype=float).reshape(n_regions, n_industries)
    if matrix.sum(axis=0).min() == 0:
        matrix[0, matrix.sum(axis=0) == 0] = 1.0
    extra = draw(st.lists(st.integers(0, 300), min_size=n_regions, max_size=n_regions))
    totals = matrix.sum(axis=1) + np.array(extra, dtype=float)
    totals[totals == 0] = 1.0
    rows = [(f"R{r}", "00", 0, totals[r], 1) for r in range(n_regions)]
    rows += [
        (f"R{r}", f"I{i}", 6, matrix[r, i], 1 + matrix[r, i] // 40)
        for r in range(n_regions)
        for i in range(n_industries)
        if matrix[r, i] > 0
    ]
    return table(rows), matrix, totals
