"""Smoke test of the benchmark: generate a ~50k-row panel, run the three engines, compare."""

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
    for key in ["regclust_s", "duckdb_s", "pandas_s"]:
        assert report[key] > 0
    for key in ["regclust_peak_mb", "duckdb_peak_mb", "pandas_peak_mb"]:
        assert report[key] > 0
    assert report["agreement"]["duckdb"]["agree"]
    assert report["agreement"]["pandas"]["agree"]
    assert report["agreement"]["duckdb"]["concentration_rows"] > 1000
    assert "not regenerated" in finished.stdout  # the panel made above is reused
