"""Prove two builds equal: every published table, value by value (not byte by byte).

Usage::

    python scripts/compare_builds.py REFERENCE_ROOT CANDIDATE_ROOT [DATASET ...] [--tables a,b]

Each root is a ``data/processed`` folder (one sub-folder per dataset). Without DATASET every
dataset of REFERENCE_ROOT is compared. For each dataset:

* every Parquet / GeoParquet table (a ``name.parquet`` file or a year-partitioned folder
  ``name/year=YYYY/...``: either form on either side) is read, its columns put in the
  reference's order, rows sorted on all non-float columns, and compared with pandas:
  numbers to a relative and absolute tolerance of 1e-12, everything else exactly;
  geometries by their WKB after normalisation (``shapely.normalize``);
* every JSON file (metrics, reports) is compared recursively, numbers to 1e-12, except keys
  that hold timings or versions (``seconds``, ``elapsed``, ``version``, ...);
* every CSV (DVC plot tables) is compared as a table;
* files present on one side only are reported.

Maps, atlas pages and the GeoPackage are not compared (HTML/PNG are renderings of the tables
above, and a GeoPackage holds the same layers as the GeoParquet files).

Exit status 0 when equal, 1 with one line per difference otherwise. Written for the layout
refactor of issue #7 ("before you start, save the published tables of all five datasets;
after, prove every table equal").
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

TOLERANCE = 1e-12
SKIPPED_KEYS = {"seconds", "elapsed", "elapsed_seconds", "version", "generated", "created"}
NOT_COMPARED = {".html", ".png", ".gpkg", ".md"}


def _tables(folder: Path) -> dict[str, Path]:
    """Parquet tables of a dataset folder: ``name -> path`` (a file or a partitioned folder)."""
    found = {path.stem: path for path in folder.glob("*.parquet")}
    for path in folder.iterdir():
        if path.is_dir() and any(path.glob("*=*")):
            found[path.name] = path
    return found


def _others(folder: Path) -> dict[str, Path]:
    """JSON and CSV files below a dataset folder, by relative path."""
    return {
        str(path.relative_to(folder)): path
        for path in folder.rglob("*")
        if path.is_file() and path.suffix in {".json", ".csv"}
    }


def read_table(path: Path) -> pd.DataFrame:
    """A table as a plain DataFrame: geometry as normalised WKB, categories as values."""
    if path.is_dir():
        table = pd.read_parquet(path)
    else:
        metadata = pq.read_schema(path).metadata or {}
        if b"geo" in metadata:
            import geopandas as gpd
            import shapely

            frame = gpd.read_parquet(path)
            geometry = frame.geometry.name
            normalised = shapely.normalize(frame.geometry.values)
            table = pd.DataFrame(frame.drop(columns=geometry))
            table[geometry] = [None if g is None else shapely.to_wkb(g) for g in normalised]
        else:
            table = pd.read_parquet(path)
    for column in table.columns:
        dtype = table[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            table[column] = table[column].astype(dtype.categories.dtype)
        if isinstance(table[column].dtype, pd.StringDtype) or table[column].dtype == object:
            table[column] = table[column].astype(object).where(table[column].notna(), None)
        if column == "year":
            table[column] = pd.to_numeric(table[column]).astype("int64")
    return table


def compare_tables(expected: pd.DataFrame, got: pd.DataFrame) -> str | None:
    """None when equal, else the first lines of pandas' message."""
    missing = [c for c in expected.columns if c not in got.columns]
    extra = [c for c in got.columns if c not in expected.columns]
    if missing or extra:
        return f"columns differ: missing {missing}, extra {extra}"
    got = got[list(expected.columns)]
    if len(got) != len(expected):
        return f"{len(expected)} rows expected, {len(got)} found"
    keys = [
        c
        for c in expected.columns
        if not pd.api.types.is_float_dtype(expected[c]) and expected[c].map(type).ne(bytes).all()
    ]
    if keys:
        try:
            expected = expected.sort_values(keys, ignore_index=True, na_position="first")
            got = got.sort_values(keys, ignore_index=True, na_position="first")
        except TypeError:  # mixed types in a key: compare in file order
            expected, got = expected.reset_index(drop=True), got.reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(
            got, expected, rtol=TOLERANCE, atol=TOLERANCE, check_dtype=False
        )
    except AssertionError as error:
        return " ".join(str(error).split())[:400]
    return None


def compare_json(expected: Any, got: Any, where: str = "") -> list[str]:
    """Differences between two JSON values, numbers to the tolerance."""
    if isinstance(expected, dict) and isinstance(got, dict):
        problems = []
        for key in sorted(set(expected) | set(got)):
            if key in SKIPPED_KEYS:
                continue
            if key not in got or key not in expected:
                problems.append(
                    f"{where}/{key}: only in {'reference' if key in expected else 'candidate'}"
                )
                continue
            problems += compare_json(expected[key], got[key], f"{where}/{key}")
        return problems
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [f"{where}: {len(expected)} items expected, {len(got)} found"]
        return [
            p
            for i, (e, g) in enumerate(zip(expected, got, strict=True))
            for p in compare_json(e, g, f"{where}[{i}]")
        ]
    numbers = (int, float)
    if (
        isinstance(expected, numbers)
        and isinstance(got, numbers)
        and not isinstance(expected, bool)
    ):
        if math.isnan(expected) and math.isnan(got):
            return []
        if math.isclose(expected, got, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
            return []
    elif expected == got:
        return []
    return [f"{where}: {expected!r} expected, {got!r} found"]


def compare_dataset(reference: Path, candidate: Path, only: set[str] | None = None) -> list[str]:
    """Every difference between one dataset's two builds."""
    problems = []
    expected_tables, got_tables = _tables(reference), _tables(candidate)
    for name, path in sorted(expected_tables.items()):
        if only and name not in only:
            continue
        if name not in got_tables:
            problems.append(f"{name}: missing from the candidate")
            continue
        difference = compare_tables(read_table(path), read_table(got_tables[name]))
        if difference:
            problems.append(f"{name}: {difference}")
    if not only:
        problems += [
            f"{name}: only in the candidate"
            for name in sorted(set(got_tables) - set(expected_tables))
        ]
        expected_files, got_files = _others(reference), _others(candidate)
        for name, path in sorted(expected_files.items()):
            if name not in got_files:
                problems.append(f"{name}: missing from the candidate")
            elif path.suffix == ".json":
                problems += [
                    f"{name}{p}"
                    for p in compare_json(
                        json.loads(path.read_text()), json.loads(got_files[name].read_text())
                    )
                ]
            else:
                difference = compare_tables(pd.read_csv(path), pd.read_csv(got_files[name]))
                if difference:
                    problems.append(f"{name}: {difference}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("datasets", nargs="*")
    parser.add_argument(
        "--tables", help="comma-separated table names (default: every table and file)"
    )
    options = parser.parse_args(argv)
    datasets = options.datasets or sorted(p.name for p in options.reference.iterdir() if p.is_dir())
    only = set(options.tables.split(",")) if options.tables else None
    failed = False
    for dataset in datasets:
        problems = compare_dataset(options.reference / dataset, options.candidate / dataset, only)
        for problem in problems:
            print(f"{dataset}/{problem}")
        print(f"{dataset}: {'equal' if not problems else f'{len(problems)} differences'}")
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
