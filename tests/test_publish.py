"""Atomic writers: a failed write leaves the previous output intact and no partial file."""

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
