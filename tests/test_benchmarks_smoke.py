"""Smoke test of the benchmark: generate a ~50k-row panel, run every engine, compare."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate_panel import PanelSettings, ensure_panel  # noqa: E402

ROWS = 50_000


def test_benchmark_runs_and_engines_agree(tmp_path):
    panel = ensure_panel(PanelSettings(rows=ROWS), tmp_path, log=lambda message: None)
    metadata = pq.ParquetFile(panel).metadata
    assert metadata.num_row_groups == 20  # one row group per year
    assert {"region_id", "industry_code", "industry_level", "year", "employment"} <= set(
        pq.ParquetFile(panel).schema_arrow.names
    )
    results = tmp_path / "results.json"
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "run.py"),
        "--rows",
        str(ROWS),
        "--data",
        str(tmp_path),
        "--results",
        str(results),
    ]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads(results.read_text())
    assert 40_000 <= report["rows"] <= 80_000
    engines = ["regclust", "regclust_measure_2w", "regclust_measure_1w", "duckdb", "pandas"]
    for engine in engines:
        assert report[f"{engine}_s"] > 0
        assert report[f"{engine}_peak_mb"] > 0
    for engine in engines[1:]:  # each against `regclust run`
        assert report["agreement"][engine]["agree"], engine
    assert report["duckdb_over_measure"] > 0 and report["measure_speedup_2_over_1_workers"] > 0
    assert report["agreement"]["duckdb"]["concentration_rows"] > 1000
    assert "not regenerated" in finished.stdout  # the panel made above is reused
