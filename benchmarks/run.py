"""Benchmark regclust's measure path against plain pandas and DuckDB on one Parquet panel.

Generates the county x NAICS x 20-year panel once (``generate_panel.py``), then runs each
engine (``engines.py``) in its own subprocess on the same file, polling the memory of the
subprocess and all its children (dask workers included). Checks that the three agree,
prints wall time, peak memory and ratios, and writes ``benchmarks/results.json``.

    python benchmarks/run.py                 # the full panel (about 37 million rows)
    python benchmarks/run.py --rows 2000000  # a quick run on a subset of counties
    python benchmarks/run.py --profile       # also: where regclust's time goes, by phase

See benchmarks/README.md for what is measured and the figures we got.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (HERE, ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from engines import COMPARED, MALLOC_ENVIRON, MEASURE_DATASET, measure_project  # noqa: E402
from generate_panel import DATA, PanelSettings, ensure_panel  # noqa: E402

ENGINE_ORDER = ["regclust", "regclust_measure", "duckdb", "pandas"]
# the measure stage is also timed with these numbers of dask workers (scaling)
MEASURE_WORKERS = (2, 1)
SAMPLE_REGIONS = 6  # counties whose LQ rows are compared in full
RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-10
POLL_SECONDS = 0.05
# Issue 9: the whole `regclust run` no slower than DuckDB's LQ table + concentration + write
# (DuckDB time / regclust time >= 1), the measure stage at most half DuckDB's time
# (DuckDB time / measure time >= 2), and the process tree under 4 GB.
TARGETS = {
    "duckdb_over_regclust_min": 1.0,
    "duckdb_over_measure_min": 2.0,
    "peak_mb_max": 4096,
}

try:
    import psutil
except ImportError:  # pragma: no cover - distributed depends on psutil
    psutil = None


# ---- running one engine and watching its memory -----------------------------------------------------


def _tree_memory(process) -> tuple[float, float]:
    """RSS and PSS (bytes) of a process and all its descendants."""
    rss = pss = 0.0
    members = [process]
    try:
        members += process.children(recursive=True)
    except psutil.NoSuchProcess:
        return rss, pss
    for member in members:
        try:
            rss += member.memory_info().rss
            pss += getattr(member.memory_full_info(), "pss", 0.0)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return rss, pss


def engine_environment(cache: Path) -> dict[str, str]:
    """The engines' environment: Python's bytecode cache on, glibc malloc settings.

    A normal install keeps compiled bytecode (pip and ``make setup`` write it); with
    PYTHONDONTWRITEBYTECODE set, every process, dask workers included, compiles pandas,
    dask and distributed again on import, which adds seconds to the cluster start and
    nothing to the work measured. The cache goes to ``cache`` (PYTHONPYCACHEPREFIX), the
    venv is left untouched. ``MALLOC_ENVIRON`` (see engines.py) applies to every engine.
    """
    environment = dict(os.environ) | MALLOC_ENVIRON
    if (
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        and "PYTHONPYCACHEPREFIX" not in environment
    ):
        environment["PYTHONPYCACHEPREFIX"] = str(cache)
    return environment


def warm_imports(environment: dict[str, str]) -> None:
    """Compile (once) and load the engines' imports, so no engine pays for that."""
    modules = "duckdb, pandas, distributed, pipeline.measures.concentration, engines"
    subprocess.run(
        [sys.executable, "-c", f"import {modules}"],
        cwd=HERE,
        env=environment | {"PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])},
        check=True,
    )


def wait_for_quiet(max_load: float | None, max_wait: float) -> float:
    """Wait (up to ``max_wait`` s) until the 1-minute load average is at most ``max_load``."""
    waited = 0.0
    while max_load is not None and os.getloadavg()[0] > max_load and waited < max_wait:
        time.sleep(5.0)
        waited += 5.0
    return os.getloadavg()[0]


def run_engine(
    engine: str,
    panel: Path,
    out: Path,
    threshold: float,
    sample: list[str],
    environment: dict[str, str] | None = None,
) -> dict:
    """Run ``engines.py ENGINE`` in a subprocess; return its timing plus peak memory.

    ``regclust_measure_<n>w`` runs the ``regclust_measure`` engine with n dask workers.
    """
    if engine.startswith("regclust_measure"):
        workers = engine.removeprefix("regclust_measure_").removesuffix("w")
        environment = dict(environment or os.environ) | {"REGCLUST_BENCH_WORKERS": workers}
        engine_name = "regclust_measure"
    else:
        engine_name = engine
    command = [
        sys.executable,
        str(HERE / "engines.py"),
        engine_name,
        str(panel),
        str(out),
        "--threshold",
        str(threshold),
        "--sample",
        ",".join(sample),
    ]
    started = time.perf_counter()
    peak_rss = peak_pss = 0.0
    if psutil is not None:
        process = psutil.Popen(command, cwd=ROOT, env=environment)
        while process.poll() is None:
            rss, pss = _tree_memory(process)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(POLL_SECONDS)
        returncode = process.returncode
    else:  # the largest single child only: a lower bound for multi-process engines
        returncode = subprocess.call(command, cwd=ROOT, env=environment)
        peak_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024.0
    if returncode != 0:
        raise RuntimeError(f"engine {engine} failed with exit code {returncode}")
    timing = json.loads((out / "timing.json").read_text())
    timing["process_s"] = time.perf_counter() - started
    timing["peak_rss_mb"] = peak_rss / 2**20
    timing["peak_pss_mb"] = peak_pss / 2**20 if peak_pss else None
    return timing


# ---- agreement ---------------------------------------------------------------------------------------


def _read(out: Path, name: str) -> pd.DataFrame:
    frame = pd.read_parquet(out / f"{name}.parquet")
    for column in ("region_id", "industry_code"):
        if column in frame.columns:
            frame[column] = frame[column].astype(str)
    return frame


def _close(left: pd.Series, right: pd.Series) -> tuple[bool, float]:
    a, b = left.to_numpy(dtype=float), right.to_numpy(dtype=float)
    ok = bool(np.allclose(a, b, rtol=RELATIVE_TOLERANCE, atol=ABSOLUTE_TOLERANCE, equal_nan=True))
    difference = np.abs(a - b)
    return ok, float(np.nanmax(difference)) if len(difference) else 0.0


def compare(reference: Path, other: Path) -> dict:
    """Do two engines' outputs agree? Concentration and specialised counts in full, LQ on the sample."""
    report: dict = {}
    keys = ["year", "industry_code"]
    mine, theirs = _read(reference, "concentration"), _read(other, "concentration")
    mine = mine[mine["n_regions"] > 0]
    theirs = theirs[theirs["n_regions"] > 0]
    joined = mine.merge(theirs, on=keys, suffixes=("", "_other"))
    report["concentration_rows"] = len(joined)
    report["concentration_same_keys"] = len(joined) == len(mine) == len(theirs)
    differences = {}
    agree = report["concentration_same_keys"]
    for column in COMPARED:
        ok, largest = _close(joined[column], joined[f"{column}_other"])
        differences[column] = largest
        agree &= ok
    report["concentration_max_abs_diff"] = differences
    keys = ["year", "region_id", "industry_level"]
    mine, theirs = _read(reference, "specialised"), _read(other, "specialised")
    joined = mine.merge(theirs, on=keys, suffixes=("", "_other"))
    same_counts = bool(
        (joined["n_specialised"] == joined["n_specialised_other"]).all()
        and (joined["n_industries"] == joined["n_industries_other"]).all()
    )
    sums_ok, _ = _close(joined["lq_sum"], joined["lq_sum_other"])
    report["specialised_rows"] = len(joined)
    report["specialised_agree"] = (
        len(joined) == len(mine) == len(theirs) and same_counts and sums_ok
    )
    keys = ["year", "region_id", "industry_code"]
    mine, theirs = _read(reference, "lq_sample"), _read(other, "lq_sample")
    joined = mine.merge(theirs, on=keys, suffixes=("", "_other"))
    lq_ok, lq_largest = _close(joined["lq"], joined["lq_other"])
    report["lq_sample_rows"] = len(joined)
    report["lq_sample_max_abs_diff"] = lq_largest
    report["lq_sample_agree"] = len(joined) == len(mine) == len(theirs) and lq_ok
    report["agree"] = bool(agree and report["specialised_agree"] and report["lq_sample_agree"])
    return report


# ---- where regclust's time goes -------------------------------------------------------------------


def profile_regclust(panel: Path, threshold: float, sample: list[str], repeats: int = 2) -> dict:
    """Phase timings of the per-year task, in this process, one year after another.

    Each phase of each year is timed ``repeats`` times and the fastest kept (the machine
    is shared); "other" is the whole task (read plus
    :func:`pipeline.measures.concentration.year_measures`, what the measure stage runs per
    year) minus the phases: mostly building the sorted LQ Arrow table.
    """
    from pipeline.measures import concentration as measures

    def fastest(step, *arguments, **keywords):
        times = []
        for _ in range(repeats):
            clock = time.perf_counter()
            result = step(*arguments, **keywords)
            times.append(time.perf_counter() - clock)
        return min(times), result

    names = ["read_parquet", "integer_codes", "totals_and_gathers", "concentration"]
    phases = dict.fromkeys([*names, "location_quotients"], 0.0)
    whole_tasks = 0.0
    for year in measures.parquet_years(panel):
        seconds, table = fastest(measures.read_year, panel, year)
        whole, _ = fastest(measures.year_measures, table, year)
        whole += seconds
        phases["read_parquet"] += seconds
        seconds, coded = fastest(measures.CodedYear.from_arrow, table, year)
        phases["integer_codes"] += seconds
        totals = measures._totals_from_codes(coded)
        seconds, rows = fastest(measures._industry_rows, coded, totals)
        phases["totals_and_gathers"] += seconds
        seconds, _ = fastest(measures._concentration_arrays, coded, totals, industry_rows=rows)
        phases["concentration"] += seconds
        seconds, _ = fastest(measures._location_quotient_arrays, coded, "all", rows)
        phases["location_quotients"] += seconds
        whole_tasks += whole
    phases["other"] = max(0.0, whole_tasks - sum(phases.values()))
    phases["whole_tasks"] = whole_tasks
    return {name: round(seconds, 3) for name, seconds in phases.items()}


# ---- main ----------------------------------------------------------------------------------------------


def sample_regions(panel: Path, count: int = SAMPLE_REGIONS) -> list[str]:
    """A few counties spread over the sorted county list of the last year."""
    metadata = pq.ParquetFile(panel).metadata
    last = pq.ParquetFile(panel).read_row_group(
        metadata.num_row_groups - 1, columns=["region_id", "industry_level"]
    )
    regions = sorted(
        set(
            last.filter(last.column("industry_level").to_numpy() == 0)
            .column("region_id")
            .to_pylist()
        )
    )
    picks = np.linspace(0, len(regions) - 1, min(count, len(regions))).round().astype(int)
    return [regions[i] for i in picks]


def prepare_measure_project(panel: Path, folder: Path, environment: dict[str, str]) -> float:
    """Register the panel as dataset ``bench_panel`` and ingest it (not timed in the
    comparison): params files for each of :data:`MEASURE_WORKERS`, then ``regclust ingest``.
    Returns the ingest's wall time."""
    for workers in MEASURE_WORKERS:
        measure_project(panel, folder, workers)
    command = [
        str(Path(sys.executable).parent / "regclust"),
        "ingest",
        "--dataset",
        MEASURE_DATASET,
        "--params",
        str(folder / f"params_{MEASURE_WORKERS[0]}w.yaml"),
        "--data-root",
        str(folder / "data"),
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=environment, check=True, capture_output=True)
    return time.perf_counter() - started


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=None, help="approximate panel rows (default: all counties)"
    )
    parser.add_argument("--seed", type=int, default=PanelSettings.seed)
    parser.add_argument("--engines", default=",".join(ENGINE_ORDER))
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per engine; the median is reported"
    )
    parser.add_argument("--threshold", type=float, default=1.25, help="LQ counted as specialised")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the generated panel")
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    parser.add_argument("--profile", action="store_true", help="also time regclust's phases")
    parser.add_argument(
        "--max-load",
        type=float,
        default=None,
        help="before each run, wait until the 1-minute load average is at most this",
    )
    parser.add_argument("--max-wait", type=float, default=600.0, help="longest wait, seconds")
    args = parser.parse_args(argv)
    engines = []
    for engine in (engine for engine in args.engines.split(",") if engine):
        if engine == "regclust_measure":
            engines += [f"regclust_measure_{workers}w" for workers in MEASURE_WORKERS]
        else:
            engines.append(engine)

    panel = ensure_panel(PanelSettings(seed=args.seed, rows=args.rows), args.data)
    rows = pq.ParquetFile(panel).metadata.num_rows
    sample = sample_regions(panel)
    load_before = os.getloadavg()
    print(f"panel: {panel.name}, {rows:,} rows; load average {load_before[0]:.2f}")
    environment = engine_environment(args.data / "pycache")
    warm_imports(environment)
    runs: dict[str, list[dict]] = {engine: [] for engine in engines}
    measure_ingest_s = None
    with tempfile.TemporaryDirectory(prefix="regclust-bench-") as scratch:
        outputs = {}
        if any(engine.startswith("regclust_measure") for engine in engines):
            project = Path(scratch) / "measure_project"
            wait_for_quiet(args.max_load, args.max_wait)
            measure_ingest_s = prepare_measure_project(panel, project, environment)
            environment = environment | {"REGCLUST_BENCH_PROJECT": str(project)}
            print(f"  registered and ingested {MEASURE_DATASET} in {measure_ingest_s:.1f} s")
        for repeat in range(args.repeat):
            for engine in engines:
                out = Path(scratch) / f"{engine}-{repeat}"
                load = wait_for_quiet(args.max_load, args.max_wait)
                timing = run_engine(engine, panel, out, args.threshold, sample, environment)
                timing["load_average_at_start"] = round(load, 2)
                timing["load_average_at_end"] = round(os.getloadavg()[0], 2)
                timing["uptime"] = subprocess.run(
                    ["uptime"], capture_output=True, text=True
                ).stdout.strip()
                runs[engine].append(timing)
                outputs[engine] = out
                print(
                    f"  {engine:9s} run {repeat + 1}: {timing['seconds']:7.2f} s, "
                    f"peak RSS {timing['peak_rss_mb']:7.0f} MB (load {load:.1f})"
                )
        agreement = {}
        reference = next((engine for engine in engines if engine.startswith("regclust")), None)
        if reference is not None:
            for engine in engines:
                if engine != reference:
                    agreement[engine] = compare(outputs[reference], outputs[engine])

    def median(engine: str, key: str):
        values = [run[key] for run in runs.get(engine, []) if run.get(key) is not None]
        return round(statistics.median(values), 3) if values else None

    results: dict = {
        "rows": rows,
        "panel": str(panel.relative_to(ROOT) if panel.is_relative_to(ROOT) else panel),
    }
    reported = (
        ENGINE_ORDER[:1]
        + [f"regclust_measure_{workers}w" for workers in MEASURE_WORKERS]
        + ENGINE_ORDER[2:]
    )
    for engine in reported:
        results[f"{engine}_s"] = median(engine, "seconds")
        fastest = [run["seconds"] for run in runs.get(engine, [])]
        results[f"{engine}_min_s"] = round(min(fastest), 3) if fastest else None
        results[f"{engine}_peak_mb"] = median(engine, "peak_rss_mb")
        results[f"{engine}_peak_pss_mb"] = median(engine, "peak_pss_mb")
    results["pandas_read_s"] = median("pandas", "read_s")
    results["measure_ingest_s"] = round(measure_ingest_s, 3) if measure_ingest_s else None
    measure = f"regclust_measure_{MEASURE_WORKERS[0]}w"
    results["duckdb_over_measure"] = _ratio(results["duckdb_s"], results.get(f"{measure}_s"))
    results["pandas_over_measure"] = _ratio(results["pandas_s"], results.get(f"{measure}_s"))
    results["measure_speedup_2_over_1_workers"] = _ratio(
        results.get("regclust_measure_1w_s"), results.get("regclust_measure_2w_s")
    )
    results["duckdb_over_regclust"] = _ratio(results["duckdb_s"], results["regclust_s"])
    results["pandas_over_regclust"] = _ratio(results["pandas_s"], results["regclust_s"])
    results["duckdb_over_regclust_fastest"] = _ratio(
        results["duckdb_min_s"], results["regclust_min_s"]
    )
    results["pandas_over_regclust_fastest"] = _ratio(
        results["pandas_min_s"], results["regclust_min_s"]
    )
    results["targets"] = {
        **TARGETS,
        "duckdb_ratio_met": (results["duckdb_over_regclust"] or 0)
        >= TARGETS["duckdb_over_regclust_min"],
        "measure_ratio_met": (results["duckdb_over_measure"] or 0)
        >= TARGETS["duckdb_over_measure_min"],
        "regclust_peak_met": (results["regclust_peak_mb"] or np.inf) <= TARGETS["peak_mb_max"],
    }
    results["agreement"] = agreement
    results["runs"] = runs
    results["repeat"] = args.repeat
    results["machine"] = {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1) if psutil else None,
        "python": platform.python_version(),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }
    if args.profile:
        results["regclust_profile_s"] = profile_regclust(panel, args.threshold, sample)

    print(
        f"\n{'engine':19s} {'median s':>9s} {'fastest s':>10s} {'peak RSS MB':>12s} {'x regclust':>11s}"
    )
    for engine in reported:
        seconds = results[f"{engine}_s"]
        if seconds is None:
            continue
        ratio = _ratio(seconds, results["regclust_s"])
        print(
            f"{engine:19s} {seconds:9.2f} {results[f'{engine}_min_s']:10.2f} "
            f"{results[f'{engine}_peak_mb']:12.0f} {ratio!s:>11s}"
        )
    for run in runs.get("regclust", []):
        print("regclust stages:", "; ".join(run.get("stages", [])))
    for engine, report in agreement.items():
        print(f"agreement regclust vs {engine}: {'yes' if report['agree'] else 'NO'}")
    if args.profile:
        print("regclust phases (one process, all years):", results["regclust_profile_s"])
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2, default=float) + "\n")
    print(f"wrote {args.results}")
    return 0 if all(report["agree"] for report in agreement.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
