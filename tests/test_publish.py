"""Atomic writers: a failed write leaves the previous output intact and no partial file."""

import os
from pathlib import Path

import pandas as pd
import pytest

from pipeline.publish import DATA_DICTIONARY, atomic_path, data_dictionary_markdown, write_table


def test_failed_write_keeps_previous_output(tmp_path):
    target = tmp_path / "table.parquet"
    write_table(pd.DataFrame({"a": [1, 2]}), target)
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_bytes(b"half a parquet file")
        raise RuntimeError("killed mid-write")
    assert pd.read_parquet(target)["a"].tolist() == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["table.parquet"]


def test_data_dictionary_lists_every_table():
    text = data_dictionary_markdown("demo")
    for table in DATA_DICTIONARY:
        assert f"`{table}`" in text
    assert "| `lq` |" in text


def test_columns_carry_their_descriptions_in_the_parquet_schema(tmp_path):
    import pyarrow.parquet as pq

    target = tmp_path / "location_quotients.parquet"
    write_table(pd.DataFrame({"region_id": ["01"], "lq": [1.5], "extra": [1]}), target)
    schema = pq.read_schema(target)
    assert schema.field("lq").metadata[b"unit"] == b"ratio"
    assert b"specialised" in schema.field("lq").metadata[b"description"]
    assert not schema.field("extra").metadata  # unknown columns are left alone
    assert b"regclust.description" in schema.metadata
    assert pd.read_parquet(target)["lq"].tolist() == [1.5]


def test_empty_geometries_are_written_as_null(tmp_path):
    import geopandas as gpd
    from shapely.geometry import GeometryCollection, Point

    from pipeline.publish import write_geotable

    table = gpd.GeoDataFrame(
        {"region_id": ["a", "b"]}, geometry=[Point(0, 0), GeometryCollection()], crs=4326
    )
    target = tmp_path / "regions.parquet"
    write_geotable(table, target)
    back = gpd.read_parquet(target)
    assert back.crs.to_epsg() == 4326
    assert back.geometry.isna().tolist() == [False, True]


PROCESSED = Path(__file__).resolve().parents[1] / "data" / "processed"
BUILT = sorted(PROCESSED.glob("*/*.parquet"))


@pytest.mark.skipif(
    not BUILT and os.environ.get("CI") != "true", reason="run `make run` first to build the tables"
)
def test_every_published_column_is_documented():
    """Each column of each built table has a description in its schema (and the dictionary)."""
    import pyarrow.parquet as pq

    assert BUILT, "no tables in data/processed: `make test` builds them first"
    undocumented = []
    for path in BUILT:
        schema = pq.read_schema(path)
        for field in schema:
            if field.name.startswith("__"):
                continue
            if not (field.metadata or {}).get(b"description"):
                undocumented.append(f"{path.parent.name}/{path.name}:{field.name}")
        about = schema.metadata or {}
        if about.get(b"regclust.dataset") != path.parent.name.encode() or not about.get(
            b"regclust.licence"
        ):
            undocumented.append(f"{path.parent.name}/{path.name}: dataset or licence metadata")
    assert not undocumented, f"columns without a description: {undocumented[:20]}"


def test_dataset_metadata_travels_in_the_schema(tmp_path):
    import pyarrow.parquet as pq

    target = tmp_path / "concentration.parquet"
    about = {"dataset": "demo", "unit": "jobs", "licence": "public domain", "source": ""}
    write_table(pd.DataFrame({"gini": [0.5]}), target, metadata=about)
    meta = pq.read_schema(target).metadata
    assert meta[b"regclust.dataset"] == b"demo" and meta[b"regclust.licence"] == b"public domain"
    assert b"regclust.source" not in meta  # empty values are left out
    assert b"regclust.description" in meta  # the table's own description stays
