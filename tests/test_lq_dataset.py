"""The year-partitioned LQ dataset: one table to pyarrow, DuckDB and pandas; atomic replace."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline.errors import UserError
from pipeline.lq_dataset import (
    COMMON_METADATA,
    lq_dataset_path,
    lq_schema,
    quotient_years,
    quotients_writer,
    read_quotients,
    remove_stale_folders,
)
from pipeline.measures.specialization import location_quotients
from pipeline.stages.measure import LQ_NAMED_SCHEMA, _named_quotients

YEARS = (2017, 2018, 2021)
ABOUT = {"dataset": "toy", "measure": "employment", "unit": "jobs"}


def _employment(year: int) -> pd.DataFrame:
    # Two regions, two sectors and their totals; employment grows with the year.
    grow = year - 2016
    rows = [
        ("A", "00", 0, 100 * grow, 10),
        ("A", "11", 2, 30 * grow, 3),
        ("A", "22", 2, 70, 7),
        ("B", "00", 0, 300, 20),
        ("B", "11", 2, 10, 1),
        ("B", "22", 2, 290, 19),
    ]
    table = pd.DataFrame(
        rows,
        columns=["region_id", "industry_code", "industry_level", "employment", "establishments"],
    )
    return table.astype(
        {"industry_level": "int8", "employment": float, "establishments": float}
    ).assign(year=np.int16(year), classification="naics2017")


def _year_table(year: int) -> pa.Table:
    quotients = pa.Table.from_pandas(location_quotients(_employment(year)), preserve_index=False)
    return _named_quotients(
        quotients,
        lambda keys: keys.assign(
            region_name="Region " + keys["region_id"],
            industry_name="Sector " + keys["industry_code"],
        ),
    )


def _expected() -> pd.DataFrame:
    return pa.concat_tables([_year_table(year) for year in YEARS]).cast(LQ_NAMED_SCHEMA).to_pandas()


def _write(target, years=YEARS, fail_after=None) -> None:
    with quotients_writer(target, LQ_NAMED_SCHEMA, ABOUT) as write:
        for number, year in enumerate(years):
            if number == fail_after:
                raise RuntimeError("forced failure")
            write(_year_table(year))


@pytest.fixture
def written(tmp_path):
    target = lq_dataset_path(tmp_path)
    _write(target)
    return target


def test_layout_is_hive_with_metadata_in_every_part(written):
    assert sorted(p.name for p in written.iterdir()) == [
        COMMON_METADATA,
        *(f"year={year}" for year in YEARS),
    ]
    assert quotient_years(written) == list(YEARS)
    for year in YEARS:
        schema = pq.read_schema(written / f"year={year}" / "part-0.parquet")
        assert "year" not in schema.names  # the partition key lives in the folder name
        assert schema.field("lq").metadata[b"unit"] == b"ratio"
        assert b"specialised" in schema.field("lq").metadata[b"description"]
        assert schema.metadata[b"regclust.dataset"] == b"toy"
    common = pq.read_schema(written / COMMON_METADATA)
    assert common.names == LQ_NAMED_SCHEMA.names and common.field("year").type == pa.int16()
    assert lq_schema(written).metadata[b"regclust.unit"] == b"jobs"


def test_read_quotients_gives_back_what_was_written(written):
    got = read_quotients(written)
    pd.testing.assert_frame_equal(got, _expected())
    assert got["year"].dtype == "int16"
    assert got.loc[(got["region_id"] == "A") & (got["industry_code"] == "11"), "lq"].tolist() == [
        pytest.approx((30 * g / (100 * g)) / ((30 * g + 10) / (100 * g + 300))) for g in (1, 2, 5)
    ]


def test_pyarrow_duckdb_and_pandas_read_the_same_table(written):
    duckdb = pytest.importorskip("duckdb")
    expected = _expected()
    keys = ["year", "region_id", "industry_code"]

    def same(frame: pd.DataFrame) -> None:
        frame = frame.astype({"year": "int16"})[expected.columns]
        pd.testing.assert_frame_equal(
            frame.sort_values(keys, ignore_index=True),
            expected.sort_values(keys, ignore_index=True),
            check_dtype=False,  # DuckDB hands strings to pandas as object
        )

    arrow = ds.dataset(written, format="parquet", partitioning="hive").to_table()
    assert pa.types.is_integer(arrow.schema.field("year").type)
    same(arrow.to_pandas())
    query = f"SELECT * FROM read_parquet('{written}/**/*.parquet', hive_partitioning=true)"
    same(duckdb.sql(query).df())
    from_pandas = pd.read_parquet(written)
    same(from_pandas.assign(year=from_pandas["year"].astype(int)))


def test_years_columns_and_filters_select(written):
    got = read_quotients(
        written, years=[2021, 2017], columns=["year", "lq"], filters=[("industry_code", "==", "11")]
    )
    assert got.columns.tolist() == ["year", "lq"]
    assert got["year"].tolist() == [2017, 2017, 2021, 2021]
    assert read_quotients(written, years=[1999]).empty


@pytest.mark.parametrize("fail_after", [0, 2])
def test_failed_write_leaves_the_previous_dataset_intact(written, fail_after):
    before = read_quotients(written)
    with pytest.raises(RuntimeError, match="forced failure"):
        _write(written, years=(2019, 2020, 2022), fail_after=fail_after)
    pd.testing.assert_frame_equal(read_quotients(written), before)
    assert [p.name for p in written.parent.iterdir()] == [written.name]  # no temporary left


def test_a_new_write_replaces_the_old_dataset_and_the_single_file_form(written):
    legacy = written.with_name("location_quotients.parquet")
    legacy.write_text("the single-file table of earlier versions")
    _write(written, years=(2019,))
    assert quotient_years(written) == [2019]
    assert sorted(p.name for p in written.parent.iterdir()) == [written.name]
    assert oct(os.stat(written).st_mode & 0o077) != "0o0"  # readable by the group, not 0700


def test_a_year_written_twice_is_an_error(tmp_path):
    target = lq_dataset_path(tmp_path)
    with pytest.raises(ValueError, match="2017 written twice"):
        _write(target, years=(2017, 2017))
    assert not target.exists()


def test_missing_dataset_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="run the measure stage first"):
        read_quotients(lq_dataset_path(tmp_path))


def test_stale_temporary_folders_are_removed(tmp_path):
    stale = tmp_path / ".location_quotients.abcd1234.tmp"
    fresh = tmp_path / ".location_quotients.efgh5678.tmp"
    for folder in (stale, fresh):
        (folder / "year=2017").mkdir(parents=True)
    hour_ago = time.time() - 7200
    os.utime(stale, (hour_ago, hour_ago))
    assert remove_stale_folders(tmp_path) == [stale]
    assert fresh.exists() and not stale.exists()
