"""Check that a build's measure tables equal a reference build's, to 1e-12.

Usage::

    python benchmarks/check_equality.py REFERENCE_ROOT CANDIDATE_ROOT [DATASET ...]

Each root holds ``<dataset>/location_quotients.parquet`` (a file or a year-partitioned
folder ``location_quotients/``), ``concentration.parquet``, ``region_specialization.parquet``
and ``lq_change.parquet``. Rows are compared after sorting on their keys, numbers with a
relative and absolute tolerance of 1e-12, codes and categories exactly. Exit status 1 on
any difference.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

TOLERANCE = 1e-12
TABLES = {
    "location_quotients": ["year", "region_id", "industry_code"],
    "concentration": ["year", "industry_code"],
    "region_specialization": ["year", "region_id"],
    "lq_change": ["region_id", "industry_code"],
}


def read_table(root: Path, dataset: str, name: str) -> pd.DataFrame:
    """One table of a build: ``name.parquet`` or the year-partitioned folder ``name/``."""
    folder = root / dataset / name
    table = pd.read_parquet(folder if folder.is_dir() else root / dataset / f"{name}.parquet")
    if "year" in table and isinstance(table["year"].dtype, pd.CategoricalDtype):
        table["year"] = table["year"].astype("int16")
    for column in table.columns:  # the str flavour (NaN or NA) is not part of the result
        if isinstance(table[column].dtype, pd.StringDtype):
            table[column] = table[column].astype(object)
    return table


def compare(reference: Path, candidate: Path, dataset: str) -> list[str]:
    """Differences between the two builds of ``dataset`` (empty when equal)."""
    problems = []
    for name, keys in TABLES.items():
        expected = read_table(reference, dataset, name)
        got = read_table(candidate, dataset, name)[list(expected.columns)]
        expected = expected.sort_values(keys, ignore_index=True)
        got = got.sort_values(keys, ignore_index=True)
        try:
            pd.testing.assert_frame_equal(got, expected, rtol=TOLERANCE, atol=TOLERANCE)
        except AssertionError as error:
            problems.append(f"{dataset}/{name}: {str(error).splitlines()[0:6]}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    reference, candidate = Path(argv[0]), Path(argv[1])
    datasets = argv[2:] or sorted(path.name for path in reference.iterdir() if path.is_dir())
    problems = [
        problem for dataset in datasets for problem in compare(reference, candidate, dataset)
    ]
    for dataset in datasets:
        print(
            f"{dataset}: {'DIFFERENT' if any(p.startswith(dataset + '/') for p in problems) else 'equal to 1e-12'}"
        )
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
