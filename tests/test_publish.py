"""Atomic writers: validated against the table schemas, described, and a failed write leaves the
previous output intact and no partial file."""

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest
from shapely.geometry import GeometryCollection, Point

from pipeline.errors import UserError
from pipeline.publish import (
    atomic_path,
    data_dictionary_markdown,
    described,
    write_geotable,
    write_table,
)
from pipeline.tables import TABLES

ABOUT = {
    "dataset": "demo",
    "measure": "employment",
    "unit": "jobs",
    "licence": "public domain",
    "source": "",
    "params.spatial.permutations": "999",
    "params.spatial.seed": "12345",
    "params.measure.specialised_lq": "1.25",
}


def _weights() -> pd.DataFrame:
    return pd.DataFrame({"focal": ["01", "02"], "neighbor": ["02", "01"], "weight": [1.0, 1.0]})


def test_failed_write_keeps_previous_output(tmp_path):
    target = tmp_path / "table.parquet"
    write_table(pd.DataFrame({"a": [1, 2]}), target)
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_bytes(b"half a parquet file")
        raise RuntimeError("killed mid-write")
    assert pd.read_parquet(target)["a"].tolist() == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["table.parquet"]


def test_data_dictionary_lists_every_table():
    text = data_dictionary_markdown("demo", ABOUT)
    for table in TABLES:
        assert f"`{table}" in text
    assert "| `lq` |" in text
    assert "`location_quotients/`" in text


def test_columns_carry_their_descriptions_in_the_parquet_schema(tmp_path):
    target = tmp_path / "spatial_weights.parquet"
    write_table(_weights(), target, metadata=ABOUT)
    schema = pq.read_schema(target)
    assert b"neighbour" in schema.field("neighbor").metadata[b"description"]
    assert schema.field("focal").metadata[b"unit"] == b"code"
    assert b"regclust.description" in schema.metadata
    assert pd.read_parquet(target)["weight"].tolist() == [1.0, 1.0]


def test_descriptions_cite_the_params_values(tmp_path):
    arrow = pd.DataFrame({"n_specialised": [3], "lq": [1.0]})
    import pyarrow as pa

    table = described(pa.Table.from_pandas(arrow), "region_specialization.parquet", ABOUT)
    text = table.schema.field("n_specialised").metadata[b"description"].decode()
    assert "1.25 (params measure.specialised_lq)" in text
    # only the params a table's descriptions cite travel in its metadata
    assert table.schema.metadata[b"regclust.params.measure.specialised_lq"] == b"1.25"
    assert b"regclust.params.spatial.seed" not in table.schema.metadata


def test_a_table_that_breaks_its_schema_is_not_written(tmp_path):
    target = tmp_path / "spatial_weights.parquet"
    write_table(_weights(), target)
    wrong = _weights().assign(weight=["1", "1"])
    with pytest.raises(UserError, match=r"spatial_weights.parquet: column 'weight'") as error:
        write_table(wrong, target)
    assert "\n" not in str(error.value)
    assert pd.read_parquet(target)["weight"].dtype == "float64"  # the previous file stays


def test_empty_geometries_are_written_as_null(tmp_path):
    table = gpd.GeoDataFrame(
        {"region_id": ["a", "b"], "name": ["A", "B"]},
        geometry=[Point(0, 0), GeometryCollection()],
        crs=4326,
    )
    target = tmp_path / "regions.parquet"
    write_geotable(table, target)
    back = gpd.read_parquet(target)
    assert back.crs.to_epsg() == 4326
    assert back.geometry.isna().tolist() == [False, True]


def test_a_table_without_rows_is_written_with_its_schema(tmp_path):
    target = tmp_path / "derived_cluster_scores.parquet"
    write_table(pd.DataFrame(), target, metadata=ABOUT)
    schema = pq.read_schema(target)
    assert schema.names == list(TABLES["derived_cluster_scores.parquet"].columns)
    assert str(schema.field("selected").type) == "bool"


PROCESSED = Path(
    os.environ.get("REGCLUST_PROCESSED", Path(__file__).resolve().parents[1] / "data" / "processed")
)
BUILT = sorted(PROCESSED.glob("*/*.parquet")) + sorted(PROCESSED.glob("*/location_quotients/*/*"))


@pytest.mark.skipif(
    not BUILT and os.environ.get("CI") != "true", reason="run `make run` first to build the tables"
)
def test_every_published_column_is_documented():
    """Each column of each built table has a description in its schema (and the dictionary)."""
    assert BUILT, "no tables in data/processed: `make test` builds them first"
    undocumented = []
    for path in BUILT:
        schema = pq.read_schema(path)
        for field in schema:
            if field.name.startswith("__"):
                continue
            if not (field.metadata or {}).get(b"description") or b"unit" not in field.metadata:
                undocumented.append(f"{path.parent.name}/{path.name}:{field.name}")
        if path.name == "part-0.parquet":
            path = path.parents[1]
        about = schema.metadata or {}
        if about.get(b"regclust.dataset") != path.parent.name.encode() or not about.get(
            b"regclust.licence"
        ):
            undocumented.append(f"{path.parent.name}/{path.name}: dataset or licence metadata")
    assert not undocumented, f"columns without a description: {undocumented[:20]}"


def test_dataset_metadata_travels_in_the_schema(tmp_path):
    target = tmp_path / "spatial_weights.parquet"
    write_table(_weights(), target, metadata=ABOUT)
    meta = pq.read_schema(target).metadata
    assert meta[b"regclust.dataset"] == b"demo" and meta[b"regclust.licence"] == b"public domain"
    assert b"regclust.source" not in meta  # empty values are left out
    assert b"regclust.description" in meta  # the table's own description stays


def test_headline_metrics_are_short_documented_keys():
    from pipeline.publish import HEADLINE_KEYS, headline_metrics

    report = {
        "regions": 3,
        "industries": 10,
        "strong_pairs": 4,
        "regional_clusters": 2,
        "regional_clusters_by_label": {"technology": 1, "industrial-production": 1},
        "unmapped_employment_share": 0.0,
        "region_groups": {"2018": {"ward": {"n_groups": 9}}, "2019": {"ward": {"n_groups": 2}}},
    }
    headline = headline_metrics(report)
    assert set(headline) <= set(HEADLINE_KEYS)
    assert headline == {
        "regions": 3,
        "industries": 10,
        "strong": 4,
        "clusters": 2,
        "tech": 1,
        "prod": 1,
        "unmapped": 0.0,
        "groups": 2,
    }
    assert max(len(key) for key in HEADLINE_KEYS) <= 10
