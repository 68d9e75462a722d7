"""The three engines the benchmark compares, each run in its own process by ``run.py``.

regclust is timed as users run it: ``regclust run`` end to end (ingest with every check,
measure, cluster, spatial, label, publish) in a child process. DuckDB computes the LQ
table, writes it to Parquet and computes the concentration table; pandas computes both
in memory.

Every engine reads the same Parquet panel and computes the same things:

- the location quotient of every region x industry x year row,
  LQ = (e_ri / e_r) / (e_i / E), with e_r the region's total row (industry_level 0);
- per industry x year over regions: n_regions, employment, establishments, locational
  Gini, Hoover, Herfindahl, Ellison-Glaeser G, H (equal plants in a cell) and gamma;

and hands back small tables: the concentration table, the number of specialised
industries (LQ >= threshold) per region x year x level, and the LQ rows of a few sample
counties. Timing starts after the imports and stops when the results are in the driver's
memory; writing them out for the comparison is not timed.

Usage: ``python benchmarks/engines.py ENGINE PANEL OUT_DIR --threshold 1.25 --sample a,b``
with ENGINE one of regclust, pandas, duckdb.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COLUMNS = ["region_id", "industry_code", "industry_level", "year", "employment", "establishments"]
# glibc malloc settings for every engine process and the dask workers. dask's nanny starts
# workers with MALLOC_TRIM_THRESHOLD_=65536 (to hand freed memory back to the OS); setting
# any such variable stops glibc from adapting its mmap threshold, so every array above
# 128 KiB becomes a fresh mmap that the kernel faults in and zeroes, twice the page faults
# of the default and ~1.5x slower array code here. A high mmap threshold serves the
# yearly arrays from the heap and reuses them; memory is trimmed above 2 GiB free.
MALLOC_ENVIRON = {
    "MALLOC_MMAP_THRESHOLD_": str(256 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(2 * 2**30),
}

COMPARED = [
    "n_regions",
    "employment",
    "establishments",
    "gini",
    "hoover",
    "herfindahl",
    "eg_G",
    "eg_H",
    "eg_gamma",
]


# ---- regclust: what users run, `regclust run` end to end -----------------------------------


REGCLUST_COMPARISON = """
SELECT year, region_id, industry_level, count(*) AS n_industries,
       count(*) FILTER (WHERE lq >= $threshold AND NOT isnan(lq)) AS n_specialised,
       sum(CASE WHEN isfinite(lq) THEN lq ELSE 0 END) AS lq_sum
FROM read_parquet($lq) GROUP BY year, region_id, industry_level
"""


def run_regclust(panel: Path, threshold: float, sample: list[str]) -> dict:
    """``regclust run`` on the panel (every stage; one dask cluster for measure and spatial).

    Timed: the whole command, from the process start to the published tables. Then (not
    timed) the comparison tables are read from what it wrote: concentration.parquet and
    the location_quotients table.
    """
    import subprocess

    out = Path(os.environ.get("REGCLUST_BENCH_OUT") or panel.parent / "regclust_run")
    command = [
        str(Path(sys.executable).parent / "regclust"),
        "run",
        "--employment",
        str(panel),
        "--classification",
        "naics2017",
        "--out",
        str(out),
    ]
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    done = time.perf_counter()
    if finished.returncode != 0:
        raise RuntimeError(f"regclust run failed: {finished.stderr[-2000:]}")
    return {
        "seconds": done - started,
        "stages": [line for line in finished.stderr.splitlines() if ": done in " in line],
        **_published_comparison(out, threshold, sample),
    }


# ---- regclust: the measure stage of a registered dataset -------------------------------------------

MEASURE_DATASET = "bench_panel"


def measure_project(panel: Path, folder: Path, workers: int) -> Path:
    """A params file registering the panel as dataset ``bench_panel`` (source generic_files),
    with ``compute.n_workers = workers``; its data root is ``folder / "data"``."""
    import yaml

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["classifications"] = str(
        ROOT / params.get("classifications", "data/raw/classifications")
    )
    params["compute"] = dict(params.get("compute") or {}, n_workers=workers, scheduler=None)
    params["datasets"] = {
        MEASURE_DATASET: {
            "source": "generic_files",
            "raw": str(panel.parent),
            "classification": "naics2017",
            "description": "benchmark panel (benchmarks/generate_panel.py)",
            "options": {"employment": str(panel)},
        }
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"params_{workers}w.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def run_regclust_measure(panel: Path, threshold: float, sample: list[str]) -> dict:
    """``regclust measure --dataset bench_panel`` (the DVC measure stage) on an ingested panel.

    The project (params file, ingested employment.parquet) is prepared by ``run.py``
    (``REGCLUST_BENCH_PROJECT``, ``REGCLUST_BENCH_WORKERS``); timed: the whole command, its
    dask LocalCluster included. The comparison tables are read from what it wrote.
    """
    import subprocess

    project = Path(os.environ["REGCLUST_BENCH_PROJECT"])
    workers = int(os.environ.get("REGCLUST_BENCH_WORKERS", "2"))
    data_root = project / "data"
    command = [
        str(Path(sys.executable).parent / "regclust"),
        "measure",
        "--dataset",
        MEASURE_DATASET,
        "--params",
        str(project / f"params_{workers}w.yaml"),
        "--data-root",
        str(data_root),
    ]
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    done = time.perf_counter()
    if finished.returncode != 0:
        raise RuntimeError(f"regclust measure failed: {finished.stderr[-2000:]}")
    return {
        "seconds": done - started,
        "workers": workers,
        "stages": [line for line in finished.stderr.splitlines() if ": done in " in line],
        **_published_comparison(data_root / "processed" / MEASURE_DATASET, threshold, sample),
    }


def _published_comparison(out: Path, threshold: float, sample: list[str]) -> dict:
    """The comparison tables from a regclust result folder (not timed): concentration.parquet
    and the LQ table, a year-partitioned dataset (``location_quotients/year=YYYY/``)."""
    import duckdb

    lq = out / "location_quotients"
    source = (
        f"read_parquet('{lq}/*/*.parquet', hive_partitioning = true)"
        if lq.is_dir()
        else f"read_parquet('{out / 'location_quotients.parquet'}')"
    )
    concentration = pd.read_parquet(out / "concentration.parquet")
    connection = duckdb.connect()
    specialised = connection.execute(
        REGCLUST_COMPARISON.replace("read_parquet($lq)", source), {"threshold": threshold}
    ).df()
    lq_sample = connection.execute(
        f"SELECT year, region_id, industry_code, lq FROM {source} "
        "WHERE list_contains($sample, region_id)",
        {"sample": sample},
    ).df()
    connection.close()
    return {
        "concentration": concentration[["year", "industry_code", "industry_level", *COMPARED]],
        "specialised": specialised,
        "lq_sample": lq_sample,
    }


# ---- plain pandas: groupby and merges on the string keys ------------------------------------------


def run_pandas(panel: Path, threshold: float, sample: list[str]) -> dict:
    started = time.perf_counter()
    table = pd.read_parquet(panel, columns=COLUMNS)
    read = time.perf_counter()
    totals = (
        table[table["industry_level"] == 0]
        .groupby(["year", "region_id"], as_index=False)["employment"]
        .sum()
        .rename(columns={"employment": "region_employment"})
    )
    national = (
        totals.groupby("year", as_index=False)["region_employment"]
        .sum()
        .rename(columns={"region_employment": "national_employment"})
    )
    totals = totals.merge(national, on="year")
    totals["x"] = totals["region_employment"] / totals["national_employment"]
    sum_x2 = (totals["x"] ** 2).groupby(totals["year"]).sum().rename("sum_x2").reset_index()
    detail = table[table["industry_level"] > 0]
    industry = (
        detail.groupby(["year", "industry_code"], as_index=False)["employment"]
        .sum()
        .rename(columns={"employment": "industry_employment"})
    )
    cells = detail.merge(totals, on=["year", "region_id"]).merge(
        industry, on=["year", "industry_code"]
    )
    cells["lq"] = (cells["employment"] / cells["region_employment"]) / (
        cells["industry_employment"] / cells["national_employment"]
    )
    specialised = (
        cells.assign(
            specialised=cells["lq"] >= threshold,
            finite=cells["lq"].where(np.isfinite(cells["lq"]), 0.0),
        )
        .groupby(["year", "region_id", "industry_level"], as_index=False)
        .agg(
            n_industries=("lq", "size"),
            n_specialised=("specialised", "sum"),
            lq_sum=("finite", "sum"),
        )
    )
    lq_sample = cells.loc[
        cells["region_id"].isin(sample), ["year", "region_id", "industry_code", "lq"]
    ]
    # Concentration over the cells with employment (zero cells add nothing to any sum).
    cells["share"] = cells["employment"] / cells["industry_employment"]
    cells = cells.sort_values(["year", "industry_code", "lq"])
    cells["share_below"] = (
        cells.groupby(["year", "industry_code"])["share"].cumsum() - cells["share"]
    )
    positive = cells["employment"] > 0
    cells = cells.assign(
        positive=positive,
        lorenz=cells["x"] * (2 * cells["share_below"] + cells["share"]),
        x_covered=cells["x"].where(positive, 0.0),
        gap_covered=(cells["share"] - cells["x"]).abs().where(positive, 0.0),
        share2=cells["share"] ** 2,
        g_term=((cells["share"] - cells["x"]) ** 2 - cells["x"] ** 2).where(positive, 0.0),
        h_term=(cells["share"] ** 2 / cells["establishments"]).where(positive, 0.0),
    )
    concentration = (
        cells.groupby(["year", "industry_code"], as_index=False)
        .agg(
            industry_level=("industry_level", "first"),
            n_regions=("positive", "sum"),
            employment=("employment", "sum"),
            establishments=("establishments", "sum"),
            lorenz=("lorenz", "sum"),
            gap=("gap_covered", "sum"),
            x_covered=("x_covered", "sum"),
            herfindahl=("share2", "sum"),
            g_sum=("g_term", "sum"),
            eg_H=("h_term", "sum"),
        )
        .merge(sum_x2, on="year")
    )
    concentration["gini"] = (1 - concentration["lorenz"]).clip(0, 1)
    concentration["hoover"] = 0.5 * (concentration["gap"] + 1 - concentration["x_covered"])
    concentration["eg_G"] = concentration["g_sum"] + concentration["sum_x2"]
    concentration["eg_gamma"] = (
        concentration["eg_G"] / (1 - concentration["sum_x2"]) - concentration["eg_H"]
    ) / (1 - concentration["eg_H"])
    concentration["eg_gamma"] = concentration["eg_gamma"].where(concentration["eg_H"] < 1)
    done = time.perf_counter()
    return {
        "seconds": done - started,
        "read_s": read - started,
        "concentration": concentration[["year", "industry_code", "industry_level", *COMPARED]],
        "specialised": specialised,
        "lq_sample": lq_sample,
    }


# ---- DuckDB SQL -----------------------------------------------------------------------------------

DUCKDB_CELLS = """
CREATE OR REPLACE TEMP TABLE totals AS
    SELECT year, region_id, sum(employment) AS region_employment
    FROM read_parquet($panel) WHERE industry_level = 0 GROUP BY year, region_id;
CREATE OR REPLACE TEMP TABLE regions AS
    SELECT t.year, t.region_id, t.region_employment, n.national_employment,
           t.region_employment / n.national_employment AS x
    FROM totals t
    JOIN (SELECT year, sum(region_employment) AS national_employment FROM totals GROUP BY year) n
    USING (year);
CREATE OR REPLACE TEMP TABLE cells AS
    WITH detail AS (
        SELECT region_id, industry_code, industry_level, year, employment, establishments
        FROM read_parquet($panel) WHERE industry_level > 0
    ),
    industry AS (
        SELECT year, industry_code, sum(employment) AS industry_employment
        FROM detail GROUP BY year, industry_code
    )
    SELECT d.*, r.x, d.employment / i.industry_employment AS share,
           (d.employment / r.region_employment)
             / (i.industry_employment / r.national_employment) AS lq
    FROM detail d
    JOIN regions r USING (year, region_id)
    JOIN industry i USING (year, industry_code);
"""

DUCKDB_CONCENTRATION = """
WITH ordered AS (
    SELECT *, coalesce(sum(share) OVER (
        PARTITION BY year, industry_code ORDER BY lq
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS share_below
    FROM cells
),
sums AS (
    SELECT year, industry_code, any_value(industry_level) AS industry_level,
        count(*) FILTER (WHERE employment > 0) AS n_regions,
        sum(employment) AS employment,
        sum(establishments) AS establishments,
        sum(x * (2 * share_below + share)) AS lorenz,
        sum(abs(share - x)) FILTER (WHERE employment > 0) AS gap,
        sum(x) FILTER (WHERE employment > 0) AS x_covered,
        sum(share * share) AS herfindahl,
        sum((share - x) * (share - x) - x * x) FILTER (WHERE employment > 0) AS g_sum,
        sum(share * share / establishments) FILTER (WHERE employment > 0) AS eg_H
    FROM ordered GROUP BY year, industry_code
),
sum_x2 AS (SELECT year, sum(x * x) AS sum_x2 FROM regions GROUP BY year)
SELECT year, industry_code, industry_level, n_regions, employment, establishments,
    greatest(least(1 - lorenz, 1), 0) AS gini,
    0.5 * (coalesce(gap, 0) + 1 - coalesce(x_covered, 0)) AS hoover,
    herfindahl,
    coalesce(g_sum, 0) + sum_x2 AS eg_G,
    coalesce(eg_H, 0) AS eg_H,
    CASE WHEN coalesce(eg_H, 0) < 1 THEN
        ((coalesce(g_sum, 0) + sum_x2) / (1 - sum_x2) - coalesce(eg_H, 0))
        / (1 - coalesce(eg_H, 0)) END AS eg_gamma
FROM sums JOIN sum_x2 USING (year)
"""

# DuckDB orders NaN above every number (NaN >= 1.25 is true), hence the isnan guard; an
# industry with no employment anywhere has LQ 0/0 = NaN.
DUCKDB_SPECIALISED = """
SELECT year, region_id, industry_level, count(*) AS n_industries,
       count(*) FILTER (WHERE lq >= $threshold AND NOT isnan(lq)) AS n_specialised,
       sum(CASE WHEN isfinite(lq) THEN lq ELSE 0 END) AS lq_sum
FROM cells GROUP BY year, region_id, industry_level
"""


def run_duckdb(panel: Path, threshold: float, sample: list[str], threads: int = 2) -> dict:
    import duckdb

    started = time.perf_counter()
    connection = duckdb.connect()
    connection.execute(f"SET threads = {int(threads)}")
    connection.execute("SET preserve_insertion_order = false")
    for statement in DUCKDB_CELLS.split(";"):
        if statement.strip():
            parameters = {"panel": str(panel)} if "$panel" in statement else None
            connection.execute(statement, parameters)
    # The LQ table for other teams, written as regclust writes it (Parquet, zstd).
    lq_path = panel.parent / "duckdb_location_quotients.parquet"
    connection.execute(
        f"COPY (SELECT region_id, industry_code, industry_level, year, employment, "
        f"establishments, lq FROM cells) "
        f"TO '{lq_path}' (FORMAT parquet, COMPRESSION zstd)"
    )
    concentration = connection.execute(DUCKDB_CONCENTRATION).df()
    specialised = connection.execute(DUCKDB_SPECIALISED, {"threshold": threshold}).df()
    lq_sample = connection.execute(
        "SELECT year, region_id, industry_code, lq FROM cells WHERE list_contains($sample, region_id)",
        {"sample": sample},
    ).df()
    done = time.perf_counter()
    connection.close()
    return {
        "seconds": done - started,
        "concentration": concentration,
        "specialised": specialised,
        "lq_sample": lq_sample,
    }


ENGINES = {
    "regclust": run_regclust,
    "regclust_measure": run_regclust_measure,
    "pandas": run_pandas,
    "duckdb": run_duckdb,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run one benchmark engine")
    parser.add_argument("engine", choices=sorted(ENGINES))
    parser.add_argument("panel", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--threshold", type=float, default=1.25)
    parser.add_argument("--sample", default="")
    args = parser.parse_args(argv)
    sample = [region for region in args.sample.split(",") if region]
    os.environ["REGCLUST_BENCH_OUT"] = str(args.out / "regclust_run")
    result = ENGINES[args.engine](args.panel, args.threshold, sample)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ["concentration", "specialised", "lq_sample"]:
        frame = result.pop(name)
        frame.to_parquet(args.out / f"{name}.parquet", index=False)
    (args.out / "timing.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
