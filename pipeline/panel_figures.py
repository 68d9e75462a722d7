"""The counts metrics.json reports of an employment panel, gathered one year at a time.

:class:`PanelFigures` takes the employment table a year at a time (Arrow, as
:func:`pipeline.engine.panel.read_year` returns it) and keeps only small things: the set of
region ids and industry codes, row and flag counts, and per-level employment sums. The
publish stage so never holds the panel in memory (a 37.5M-row panel was the largest memory
peak of ``regclust run``, 7.8 GB, when it was read whole into pandas).

The figures are those of :func:`panel_figures` on the whole table, which is the definition
(the tests prove the two equal):

- ``regions``: distinct region ids; ``industries``: distinct codes above level 0; ``years``;
  ``rows_employment``;
- ``unmapped_employment_share``: of the employment at the finest industry level, the share in
  codes that no industry cluster holds (0 when the level has no employment);
- ``cells_by_flag``: rows by ``employment_flag`` (null flags not counted);
- ``imputed_employment_by_level`` (only when a row is flagged 'imputed'):
  :func:`pipeline.sources.suppression.imputed_share_by_level`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.sources.suppression import imputed_share_by_level

FIGURE_COLUMNS = [
    "region_id",
    "industry_code",
    "industry_level",
    "year",
    "employment",
    "employment_flag",
]
"""The employment columns :class:`PanelFigures` reads."""

_LEVELS = 128  # industry_level is int8: levels 0 .. 127


class PanelFigures:
    """metrics.json's panel counts, from one year's rows at a time.

    Parameters
    ----------
    mapped_codes : iterable of str
        The industry codes some cluster holds (``industry_clusters.parquet``).

    Examples
    --------
    >>> import pyarrow as pa
    >>> year = pa.table({"region_id": ["a", "a", "b"], "industry_code": ["00", "11", "11"],
    ...     "industry_level": pa.array([0, 2, 2], pa.int8()), "year": [2019] * 3,
    ...     "employment": [10.0, 4.0, 6.0], "employment_flag": ["published"] * 3})
    >>> figures = PanelFigures(["11"])
    >>> figures.add(year)
    >>> figures.figures()["unmapped_employment_share"], figures.figures()["regions"]
    (0.0, 2)
    """

    def __init__(self, mapped_codes: Iterable[str]) -> None:
        self.mapped = pa.array(sorted(set(mapped_codes)), pa.large_string())
        self.regions: set[str] = set()
        self.industries: set[str] = set()
        self.years: set[int] = set()
        self.rows = 0
        self.flags: Counter[str] = Counter()
        self.seen_levels = np.zeros(_LEVELS, dtype=bool)
        self.employment = np.zeros(_LEVELS)  # NaN as 0, as pandas' sum skips it
        self.unmapped = np.zeros(_LEVELS)
        self.imputed_cells = np.zeros(_LEVELS, dtype=np.int64)
        self.imputed_employment = np.zeros(_LEVELS)
        self.any_imputed = False

    def add(self, table: pa.Table) -> None:
        """Take some rows (typically one year's)."""
        if len(table) == 0:
            return
        self.rows += len(table)
        self.years.update(int(year) for year in pc.unique(table.column("year")).to_pylist())
        self.regions.update(_distinct(table.column("region_id")))
        level = table.column("industry_level").to_numpy().astype(np.intp)
        above = pa.array(level > 0)
        self.industries.update(_distinct(table.column("industry_code").filter(above)))
        self.seen_levels[np.unique(level)] = True
        employment = np.nan_to_num(
            table.column("employment").to_numpy(zero_copy_only=False).astype(np.float64)
        )
        self.employment += np.bincount(level, employment, minlength=_LEVELS)
        codes = table.column("industry_code").cast(pa.large_string())
        unmapped = pc.invert(pc.is_in(codes, value_set=self.mapped)).to_numpy(zero_copy_only=False)
        self.unmapped += np.bincount(level[unmapped], employment[unmapped], minlength=_LEVELS)
        flags = table.column("employment_flag").cast(pa.large_string())
        counts = pc.value_counts(flags.drop_null())
        for entry in counts.to_pylist():
            self.flags[entry["values"]] += int(entry["counts"])
        imputed = pc.fill_null(pc.equal(flags, "imputed"), False).to_numpy(zero_copy_only=False)
        if imputed.any():
            self.any_imputed = True
            self.imputed_cells += np.bincount(level[imputed], minlength=_LEVELS)
            self.imputed_employment += np.bincount(
                level[imputed], employment[imputed], minlength=_LEVELS
            )

    def figures(self) -> dict:
        """The counts (see the module docstring)."""
        finest = int(np.flatnonzero(self.seen_levels).max()) if self.seen_levels.any() else 0
        total = float(self.employment[finest])
        figures = {
            "regions": len(self.regions),
            "industries": len(self.industries),
            "years": sorted(self.years),
            "rows_employment": self.rows,
            "unmapped_employment_share": (
                round(float(self.unmapped[finest]) / total, 6) if total else 0.0
            ),
            "cells_by_flag": dict(self.flags.most_common()),
        }
        if self.any_imputed:
            levels = np.flatnonzero(self.imputed_cells)
            figures["imputed_employment_by_level"] = imputed_share_by_level(
                pd.Series(self.employment[levels], index=levels),
                pd.Series(self.imputed_cells[levels], index=levels),
                pd.Series(self.imputed_employment[levels], index=levels),
            )
        return figures


def panel_figures(employment: pd.DataFrame, mapped_codes: Iterable[str]) -> dict:
    """:class:`PanelFigures` of a whole employment table (pandas), in one go."""
    figures = PanelFigures(mapped_codes)
    table = pa.Table.from_pandas(employment[FIGURE_COLUMNS], preserve_index=False)
    figures.add(table)
    return figures.figures()


def _distinct(column: pa.ChunkedArray) -> list[str]:
    """The distinct non-null values of a (possibly dictionary-encoded) string column."""
    if pa.types.is_dictionary(column.type):
        present = [
            chunk.dictionary.take(pc.unique(chunk.indices).drop_null()) for chunk in column.chunks
        ]
        values = pa.chunked_array(present, column.type.value_type) if present else column
        return pc.unique(values).drop_null().to_pylist()
    return pc.unique(column).drop_null().to_pylist()
