"""The build comparison script of the layout refactor finds equal builds equal and tells differences."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import compare_builds  # noqa: E402


@pytest.fixture
def builds(tmp_path: Path) -> tuple[Path, Path]:
    reference = tmp_path / "before" / "toy"
    reference.mkdir(parents=True)
    table = pd.DataFrame(
        {"year": [2019, 2019, 2020], "region_id": ["a", "b", "a"], "lq": [1.0, 0.5, 2.0 / 3.0]}
    )
    table.to_parquet(reference / "concentration.parquet")
    (reference / "metrics.json").write_text(json.dumps({"strong_pairs": 3, "seconds": 1.5}))
    candidate = tmp_path / "after" / "toy"
    shutil.copytree(reference, candidate)
    return reference.parent, candidate.parent


def test_equal_builds_are_equal_even_in_another_row_order_and_form(builds, capsys) -> None:
    reference, candidate = builds
    table = pd.read_parquet(candidate / "toy" / "concentration.parquet").iloc[::-1]
    (candidate / "toy" / "concentration.parquet").unlink()
    table.to_parquet(candidate / "toy" / "concentration", partition_cols=["year"])
    (candidate / "toy" / "metrics.json").write_text(json.dumps({"strong_pairs": 3, "seconds": 9}))
    assert compare_builds.main([str(reference), str(candidate)]) == 0
    assert "toy: equal" in capsys.readouterr().out


def test_a_changed_value_or_metric_is_reported(builds, capsys) -> None:
    reference, candidate = builds
    table = pd.read_parquet(candidate / "toy" / "concentration.parquet")
    table.loc[2, "lq"] += 1e-9
    table.to_parquet(candidate / "toy" / "concentration.parquet")
    (candidate / "toy" / "metrics.json").write_text(json.dumps({"strong_pairs": 4}))
    assert compare_builds.main([str(reference), str(candidate)]) == 1
    out = capsys.readouterr().out
    assert "toy/concentration:" in out and "strong_pairs" in out
