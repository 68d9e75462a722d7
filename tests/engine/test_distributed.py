"""The measures one year per task: Parquet files and dask frames give the pandas results."""

from __future__ import annotations

import logging

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings

from pipeline.engine.distributed import (
    industry_concentration_distributed,
    location_quotients_by_year,
    location_quotients_distributed,
    year_measures,
)
from pipeline.errors import UserError
from pipeline.measures.concentration import H_EQUAL_PLANTS, H_MIXED, industry_concentration
from pipeline.measures.specialization import location_quotients
from tests.measures.panels import (
    employment_tables,
    three_years,
    toy_employment,
    with_public_sector,
    write_by_year,
)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def test_distributed_equals_pandas(client, tmp_path):
    employment = three_years()
    expected = industry_concentration(employment)
    from_file = industry_concentration_distributed(
        write_by_year(employment, tmp_path / "panel.parquet"), client
    )
    pd.testing.assert_frame_equal(from_file, expected, check_exact=False, rtol=1e-12)
    # A hive-partitioned directory, and a dask frame whose partitions split the years.
    employment.to_parquet(tmp_path / "by_year", partition_cols=["year"], index=False)
    from_directory = industry_concentration_distributed(tmp_path / "by_year", client)
    pd.testing.assert_frame_equal(from_directory, expected, check_exact=False, rtol=1e-12)
    scattered = dd.from_pandas(employment.sample(frac=1.0, random_state=1), npartitions=3)
    from_frame = industry_concentration_distributed(scattered, client)
    pd.testing.assert_frame_equal(from_frame, expected, check_exact=False, rtol=1e-12)


def test_by_year_from_parquet_with_size_classes(tmp_path):
    # No client: the yearly tasks run in this process; size classes reach their year.
    employment = three_years()
    size_classes = pd.DataFrame(
        {
            "region_id": ["R1", "R1", "R4"],
            "industry_code": ["A", "A", "B"],
            "year": [2018, 2018, 2019],
            "size_class": ["n5_9", "n20_49", "n250_499"],
            "establishments": [2, 1, 1],
        }
    )
    expected = industry_concentration(employment, size_classes=size_classes)
    assert set(expected["eg_h_method"]) == {H_EQUAL_PLANTS, H_MIXED}
    got = industry_concentration_distributed(
        write_by_year(employment, tmp_path / "panel.parquet"), size_classes=size_classes
    )
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_lq_by_year_equal_pandas(client, tmp_path):
    employment = three_years()
    path = write_by_year(employment, tmp_path / "panel.parquet")
    expected_lq = location_quotients(employment, "all")
    lazy = location_quotients_by_year(path, "all")
    assert lazy.npartitions == 3
    got = client.compute(lazy).result()
    got = got.astype({"region_id": "str", "industry_code": "str"})
    got = got.sort_values(["year", "region_id", "industry_code"], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected_lq, check_exact=False, rtol=1e-12)
    level = location_quotients_by_year(path, denominator="level").compute()
    expected_level = location_quotients(employment, denominator="level")
    assert np.allclose(
        level.sort_values(["year", "region_id", "industry_code"])["lq"], expected_level["lq"]
    )


@pytest.mark.parametrize(
    ("denominator", "traded"),
    [("all", ()), ("level", ()), ("private", ()), ("traded", ("A", "92"))],
)
def test_year_measures_equal_the_pandas_definitions(denominator, traded):
    # year_measures is what the measure stage runs (one task per year, integer codes,
    # bincounts); it must equal the pandas definitions of LQ and concentration.
    employment = with_public_sector(three_years())
    employment.loc[employment.index[2], "employment"] = np.nan  # a suppressed cell
    expected_lq = location_quotients(employment, denominator, list(traded))
    expected_concentration = industry_concentration(employment)
    table = pa.Table.from_pandas(employment, preserve_index=False)
    top_level = int(employment.loc[employment["industry_level"] > 0, "industry_level"].min())
    quotients, concentration = [], []
    for year in sorted(employment["year"].unique()):
        part = table.filter(pa.compute.equal(table["year"], year)).combine_chunks()
        part = part.set_column(0, "region_id", part["region_id"].dictionary_encode())
        year_quotients, year_concentration = year_measures(
            part, int(year), denominator, traded, top_level=top_level
        )
        quotients.append(year_quotients)
        concentration.append(year_concentration)
    got = pa.concat_tables(quotients).to_pandas()
    expected_lq = expected_lq.astype({"region_id": "str", "industry_code": "str"})
    assert got["lq"].notna().sum() >= 6  # some LQs are defined under every base
    pd.testing.assert_frame_equal(got, expected_lq, check_exact=False, rtol=1e-12, atol=1e-12)
    got_concentration = pd.concat(concentration, ignore_index=True).sort_values(
        ["year", "industry_code"], ignore_index=True
    )
    pd.testing.assert_frame_equal(
        got_concentration, expected_concentration, check_exact=False, rtol=1e-12
    )


# ---- LQs of a dask DataFrame ---------------------------------------------------------------


def test_dask_equals_pandas():
    employment = toy_employment()
    expected = location_quotients(employment)
    got = location_quotients_distributed(dd.from_pandas(employment, npartitions=2), "all")
    got = got.compute().sort_values(["year", "region_id", "industry_code"], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


@settings(max_examples=30, deadline=None)
@given(employment_tables())
def test_property_schedulers_agree(employment):
    lq = location_quotients(employment)
    single = location_quotients_distributed(dd.from_pandas(employment, npartitions=3), "all")
    with dask.config.set({"dataframe.shuffle.method": "tasks"}):  # no p2p off the cluster
        single = single.compute(scheduler="synchronous")
    single = single.sort_values(["year", "region_id", "industry_code"], ignore_index=True)
    pd.testing.assert_frame_equal(single, lq, check_dtype=False)


@pytest.mark.parametrize(
    ("denominator", "traded"),
    [("all", ()), ("level", ()), ("private", ()), ("traded", ("A", "92"))],
)
def test_dask_years_split_over_partitions_equal_pandas(denominator, traded):
    employment = with_public_sector(three_years())
    expected = location_quotients(employment, denominator, traded)
    scattered = dd.from_pandas(employment.sample(frac=1.0, random_state=2), npartitions=4)
    with dask.config.set({"dataframe.shuffle.method": "tasks"}):  # no p2p off the cluster
        got = location_quotients_distributed(scattered, denominator, traded).compute(
            scheduler="synchronous"
        )
    got = got.sort_values(["year", "region_id", "industry_code"], ignore_index=True)
    # string columns: pandas' NA-backed or nan-backed StringDtype, the same values
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, check_dtype=False)
    with pytest.raises(UserError, match="lq_denominator"):
        location_quotients_distributed(scattered, "traded-ish")
