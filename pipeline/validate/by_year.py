"""A typed Parquet file checked one year at a time, never whole in memory
(:class:`YearFindings`); its problems are worded as for a whole table.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from pipeline.classifications.codes import TOTAL_CODE
from pipeline.classifications.hierarchy import (
    ancestor_chain,
)
from pipeline.classifications.nace import NACE_MAX_DIGITS, nace_divisions
from pipeline.sources.raw_schema import Problem
from pipeline.sources.typed_parquet import NeedsTextPath, open_typed_scan
from pipeline.validate.boundaries import _boundary_problems
from pipeline.validate.rows import _fractional_problems
from pipeline.validate.totals import (
    _nothing_to_measure_problems,
    _total_problems,
    _zero_total_problems,
)


class YearFindings:
    """What :func:`validate` needs of a file, gathered one year at a time from coded arrays.

    ``add`` takes one year's canonical rows as Arrow (:class:`TypedScan` output: columns
    of the canonical table plus ``row``, the file row number, 0 for a derived total) and
    keeps only small things: counts, the region-year totals, the first file row of every
    region-year and the parent cells smaller than their parts. The problems are then
    worded by the same functions as for a whole table, so both give the same messages.

    The parent check is :func:`inconsistent_totals` on integer codes: for each row, the
    nearest ancestor present in the region-year (a lookup in a region x code bitmap, one
    depth of the ancestor chain at a time), then the parts' sums by ``np.bincount``.
    """

    def __init__(
        self,
        classification: str,
        hierarchy: pd.DataFrame | None,
        tolerance: float,
        directory: Path | None,
    ) -> None:
        self.classification = classification
        self.tolerance = tolerance
        self.divisions = nace_divisions(directory) if classification in NACE_MAX_DIGITS else None
        self.parents = None
        if classification == "custom" and hierarchy is not None:
            self.parents = dict(
                zip(hierarchy["industry_code"], hierarchy["parent_code"], strict=True)
            )
        self.chains: dict[str, list[str]] = {}
        self.region_rows: dict[str, float] = {}  # first-appearance order, first file row
        self.industries: set[str] = set()
        self.years: list[int] = []
        self.rows = self.measured = self.suppressed = self.imputed = 0
        self.any_positive = self.any_total_positive = False
        self.total_rows = 0
        self.first_total_row = np.inf
        self.totals: list[pd.DataFrame] = []
        self.region_year_rows: list[pd.DataFrame] = []
        self.inconsistent: list[pd.DataFrame] = []
        self.fractional = 0
        self.fractional_first: tuple[float, int] | None = None

    def add(self, table: pyarrow.Table) -> None:
        """Take one year's rows (all of one year)."""
        region, region_labels = _coded(table.column("region_id"))
        industry, code_labels = _coded(table.column("industry_code"))
        level = table.column("industry_level").to_numpy()
        employment = _floats(table.column("employment"))
        establishments = _floats(table.column("establishments"))
        rows = table.column("row").to_numpy().astype(np.int64)
        flags = table.column("employment_flag")
        year = int(table.column("year")[0].as_py()) if len(table) else 0
        self.years.append(year)
        self.rows += len(table)

        measured = level > 0
        self.measured += int(measured.sum())
        self.suppressed += int(pc.sum(pc.equal(flags, "suppressed").filter(measured)).as_py() or 0)
        self.imputed += int(pc.sum(pc.equal(flags, "imputed").filter(measured)).as_py() or 0)
        present = np.bincount(industry[measured], minlength=len(code_labels)) > 0
        self.industries.update(code_labels[present].tolist())
        self.any_positive |= bool((employment > 0).any())

        total = level == 0
        self.total_rows += int(total.sum())
        self.any_total_positive |= bool((employment[total] > 0).any())
        code_total = (code_labels == TOTAL_CODE)[industry] & (rows > 0)
        if code_total.any():
            self.first_total_row = min(self.first_total_row, int(rows[code_total].min()))
        self.totals.append(
            pd.DataFrame(
                {
                    "region_id": region_labels[region[total]],
                    "year": year,
                    "employment": employment[total],
                    "industry_level": 0,
                }
            )
        )
        first_rows = _first_rows(region, len(region_labels), rows)
        for label, row in zip(region_labels.tolist(), first_rows.tolist(), strict=True):
            self.region_rows[label] = min(self.region_rows.get(label, np.inf), row)
        known = np.isfinite(first_rows)
        self.region_year_rows.append(
            pd.DataFrame(
                {"region_id": region_labels[known], "year": year, "row": first_rows[known]}
            )
        )

        fractional = ~np.isnan(establishments) & (establishments != np.floor(establishments))
        if fractional.any():
            if self.fractional_first is None:
                first = int(np.flatnonzero(fractional)[0])
                self.fractional_first = (float(establishments[first]), int(rows[first]))
            self.fractional += int(fractional.sum())
        self.inconsistent.append(
            self._short_parents(
                region, region_labels, industry, code_labels, employment, rows, year
            )
        )

    def _short_parents(
        self,
        region: np.ndarray,
        region_labels: np.ndarray,
        industry: np.ndarray,
        code_labels: np.ndarray,
        employment: np.ndarray,
        rows: np.ndarray,
        year: int,
    ) -> pd.DataFrame:
        """:func:`inconsistent_totals` of one year (unsorted), with the parents' file rows."""
        n_codes = max(len(code_labels), 1)
        number_of = {code: number for number, code in enumerate(code_labels.tolist())}
        chains = []
        for code in code_labels.tolist():
            if code not in self.chains:
                self.chains[code] = ancestor_chain(
                    code, self.classification, self.divisions, self.parents
                )
            chains.append(self.chains[code])
        depth = max((len(chain) for chain in chains), default=0)
        ancestors = np.full((n_codes, max(depth, 1)), -1, dtype=np.int64)
        for number, chain in enumerate(chains):
            ancestors[number, : len(chain)] = [number_of.get(code, -1) for code in chain]
        # the row of each (region, code) cell, -1 where absent; int32 halves the memory traffic
        cell = np.full(len(region_labels) * n_codes, -1, dtype=np.int32)
        cell[region * n_codes + industry] = np.arange(len(region), dtype=np.int32)  # unique
        parent = np.full(len(region), -1, dtype=np.int64)  # the row of the nearest present ancestor
        for step in range(depth):
            ancestor = ancestors[industry, step]
            open_rows = (parent < 0) & (ancestor >= 0)
            present = cell[region * n_codes + np.maximum(ancestor, 0)]
            found = open_rows & (present >= 0)
            parent[found] = present[found]
        has_parent = parent >= 0
        keys = parent[has_parent]  # parts summed by their parent's row, in row order
        values = employment[has_parent]
        valued = ~np.isnan(values)
        size = len(region)
        sums = np.bincount(keys[valued], weights=values[valued], minlength=size)
        counts = np.bincount(keys[valued], minlength=size)
        groups = np.flatnonzero(np.bincount(keys, minlength=size))
        parent_cell = groups
        parent_employment = employment[parent_cell]
        short = ~np.isnan(parent_employment) & (
            sums[groups] > parent_employment * (1 + self.tolerance)
        )
        parent_cell, groups = parent_cell[short], groups[short]
        return pd.DataFrame(
            {
                "region_id": region_labels[region[parent_cell]],
                "industry_code": code_labels[industry[parent_cell]],
                "year": year,
                "employment": employment[parent_cell],
                "parts_employment": sums[groups],
                "parts": counts[groups],
                "row": rows[parent_cell],
            }
        )

    def problems(self, path: Path, regions: gpd.GeoDataFrame | None, regions_path) -> tuple:
        """(problems, notes) of the whole file, worded as for a whole table."""
        problems: list[Problem] = []
        notes: list[str] = []
        inconsistent = pd.concat(self.inconsistent, ignore_index=True).sort_values(
            ["year", "region_id", "industry_code"], ignore_index=True
        )
        located = inconsistent[inconsistent["row"] > 0]
        problems += _total_problems(
            inconsistent.drop(columns="row"),
            located[["region_id", "industry_code", "year", "row"]],
            path,
            self.tolerance,
        )
        first_total = int(self.first_total_row) if np.isfinite(self.first_total_row) else None
        nothing = _nothing_to_measure_problems(
            self.rows,
            self.any_positive,
            self.total_rows,
            self.any_total_positive,
            first_total,
            path,
        )
        problems += nothing
        if not nothing:
            problems += _zero_total_problems(
                pd.concat(self.totals, ignore_index=True),
                pd.concat(self.region_year_rows, ignore_index=True),
                path,
            )
        if self.fractional_first is not None:
            value, row = self.fractional_first
            problems += _fractional_problems(value, row or None, self.fractional, path)
        if regions is not None:
            region_ids = pd.DataFrame({"region_id": list(self.region_rows)}, dtype="str")
            first_rows = pd.DataFrame(
                {"region_id": list(self.region_rows), "row": list(self.region_rows.values())}
            )
            first_rows = first_rows[np.isfinite(first_rows["row"])]
            found, noted = _boundary_problems(
                region_ids, regions, first_rows, path, Path(regions_path)
            )
            problems += found
            notes += noted
        return problems, notes


def _first_rows(region: np.ndarray, n_regions: int, rows: np.ndarray) -> np.ndarray:
    """The smallest file row (> 0) of each region; inf where it has none."""
    from_file = np.where(rows > 0, rows, np.iinfo(np.int64).max)
    order = np.argsort(region, kind="stable")  # the rows come sorted by region: cheap
    ordered = region[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else []
    first = np.full(n_regions, np.inf)
    if len(ordered):
        smallest = np.minimum.reduceat(from_file[order], starts).astype(np.float64)
        smallest[smallest == np.iinfo(np.int64).max] = np.inf
        first[ordered[starts]] = smallest
    return first


def _coded(column: pyarrow.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (first-appearance order) and labels (object array) of a text column."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    labels = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    return encoded.indices.to_numpy().astype(np.int64), labels


def _floats(column: pyarrow.ChunkedArray) -> np.ndarray:
    return column.to_numpy().astype(np.float64)


def _typed_findings(
    path: Path,
    classification: str | None,
    hierarchy: str | Path | pd.DataFrame | None,
    tolerance: float,
    classifications_dir: Path | None,
):
    """(check, findings) of a typed Parquet file read one year at a time, or None when the
    file is not typed Parquet or shows a problem the text path must word."""
    scan = open_typed_scan(path, classification, hierarchy, classifications_dir)
    if scan is None:
        return None
    try:
        findings = YearFindings(scan.classification, scan.hierarchy, tolerance, classifications_dir)
        for year_table in scan.years():
            findings.add(year_table)
    except NeedsTextPath:
        return None
    scan.check.note_derived_totals(path, scan.check.derived_totals, scan.region_years)
    return scan.check, findings
