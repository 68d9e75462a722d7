"""Typed Parquet at scale: checked one year at a time, the same report and the same tables.

``validate(..., keep_table=False)`` (what ``regclust run`` calls) reads a typed Parquet file
one year at a time (:class:`pipeline.validate.YearFindings`) and must word every problem as
the whole-table path does; :class:`pipeline.sources.typed_parquet.TypedScan` hands out the
same canonical rows as :func:`pipeline.sources.generic.read_generic`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as arrow
import pyarrow.parquet as pq
import pytest

from pipeline.errors import UserError
from pipeline.sources.generic import read_generic, stream_generic
from pipeline.sources.typed_parquet import typed_columns
from pipeline.validate import validate, validate_while_reading

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD, BAD = DATA / "good", DATA / "bad"
TEXT_COLUMNS = {"region_id": str, "industry_code": str, "employment_flag": str}
REPORT_FIELDS = [
    "classification", "rows", "regions", "industries", "years", "coverage",
    "suppressed_share", "imputed_share", "problems", "notes", "boundary_count",
]  # fmt: skip


def _as_typed_parquet(csv: Path, folder: Path, by_year: bool) -> Path | None:
    """The CSV as a typed Parquet file (one row group per year with ``by_year``), or None."""
    try:
        table = pd.read_csv(csv, dtype=TEXT_COLUMNS)
    except Exception:
        return None
    if by_year and "year" in table and pd.api.types.is_integer_dtype(table["year"]):
        table = table.sort_values("year", kind="stable", ignore_index=True)
    path = folder / f"{csv.stem}.parquet"
    arrow_table = arrow.Table.from_pandas(table, preserve_index=False)
    if by_year and "year" in table and pd.api.types.is_integer_dtype(table["year"]):
        with pq.ParquetWriter(path, arrow_table.schema) as writer:
            for year in sorted(table["year"].unique()):
                writer.write_table(
                    arrow_table.filter(arrow.compute.equal(arrow_table["year"], year))
                )
    else:
        pq.write_table(arrow_table, path)
    return path if typed_columns(path) is not None else None


def _report(path: Path, keep_table: bool, regions: Path | None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return validate(path, regions, "naics2017", keep_table=keep_table)
        except UserError as error:
            return str(error)


CSVS = sorted(GOOD.glob("*.csv")) + sorted(BAD.glob("*.csv"))


@pytest.mark.parametrize("by_year", [False, True], ids=["one group", "by year"])
@pytest.mark.parametrize("csv", CSVS, ids=[path.stem for path in CSVS])
def test_year_by_year_report_equals_the_whole_table_report(tmp_path, csv, by_year):
    path = _as_typed_parquet(csv, tmp_path, by_year)
    if path is None:
        pytest.skip("not a typed table")
    for regions in (None, GOOD / "regions.geojson"):
        whole, by_years = _report(path, True, regions), _report(path, False, regions)
        if isinstance(whole, str):
            assert whole == by_years
            continue
        for name in REPORT_FIELDS:
            assert getattr(whole, name) == getattr(by_years, name), name
        assert whole.usable == by_years.usable
        if by_years.checked:
            assert by_years.employment is None
            assert whole.summary() == by_years.summary()


def _report_while_reading(path: Path):
    """The report ingest makes as it reads (validate_while_reading), or the UserError text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            employment = stream_generic(path, "naics2017")
            report = validate_while_reading(employment)
            for _ in employment.years():
                pass
            return report()
        except UserError as error:
            return str(error)


@pytest.mark.parametrize("csv", CSVS, ids=[path.stem for path in CSVS])
def test_the_report_made_while_reading_equals_validate(tmp_path, csv):
    """Ingest checks a typed file as it reads it: the same report as regclust validate."""
    path = _as_typed_parquet(csv, tmp_path, True)
    if path is None:
        pytest.skip("not a typed table")
    expected, while_reading = _report(path, False, None), _report_while_reading(path)
    if isinstance(expected, str) or isinstance(while_reading, str):
        # a reader error (UserError) is raised by both, with the same words
        assert expected == while_reading or (
            not isinstance(expected, str) and expected.errors[0] == while_reading
        )
        return
    for name in REPORT_FIELDS:
        assert getattr(expected, name) == getattr(while_reading, name), name
    assert expected.summary() == while_reading.summary()


def test_year_by_year_finds_every_kind_of_problem(tmp_path):
    """A panel with a short parent, a zero total, a fractional count and a lost boundary."""
    table = read_generic(GOOD / "employment.csv", "naics2017").drop(columns="classification")
    table = table.sample(frac=1.0, random_state=5).reset_index(drop=True)
    parent = table.index[table["industry_code"] == "31-33"][0]
    table.loc[parent, "employment"] = 1.0
    total = table.index[table["industry_level"] == 0][1]
    table.loc[total, "employment"] = 0.0
    table.loc[table.index[table["industry_level"] > 0][2], "establishments"] = 2.5
    table.loc[table["region_id"] == table["region_id"].iloc[0], "region_id"] = "99999"
    path = tmp_path / "problems.parquet"
    table.to_parquet(path, index=False)
    whole = _report(path, True, GOOD / "regions.geojson")
    by_years = _report(path, False, GOOD / "regions.geojson")
    assert by_years.checked and len(by_years.problems) >= 4
    for name in REPORT_FIELDS:
        assert getattr(whole, name) == getattr(by_years, name), name


def test_stream_generic_yields_the_canonical_table_year_by_year(tmp_path):
    table = read_generic(GOOD / "employment.csv", "naics2017").drop(columns="classification")
    table = table[table["industry_code"] != "00"].sample(frac=1.0, random_state=2)
    path = tmp_path / "employment.parquet"
    table.to_parquet(path, index=False)
    expected = read_generic(path, "naics2017")
    stream = stream_generic(path, "naics2017")
    assert stream is not None
    years = [year.to_pandas() for year in stream.years()]
    got = pd.concat(years, ignore_index=True)
    assert [int(frame["year"].iloc[0]) for frame in years] == sorted(expected["year"].unique())
    expected = expected.reset_index(drop=True)
    for column in expected.columns:
        left, right = got[column].to_numpy(), expected[column].to_numpy()
        if left.dtype.kind == "f":
            np.testing.assert_array_equal(left, right)
        else:
            assert left.astype(str).tolist() == right.astype(str).tolist(), column
    assert stream.region_ids() == sorted(expected["region_id"].unique())
