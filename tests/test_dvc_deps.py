"""dvc.yaml's code deps are what each stage runs: derived from the source, compared exactly."""

from __future__ import annotations

import pytest

from tests.stage_deps import (
    ROOT,
    declared_code,
    dvc_stages,
    folded,
    stage_code,
    stage_command,
    stage_deps,
)

STAGES = dvc_stages()


@pytest.mark.parametrize("name", sorted(STAGES))
def test_code_deps_match_what_the_stage_runs(name):
    stage = STAGES[name]
    runs = stage_code(stage_command(stage))
    declared = declared_code(stage_deps(stage))
    missing = sorted(str(p.relative_to(ROOT)) for p in runs - declared)
    extra = sorted(str(p.relative_to(ROOT)) for p in declared - runs)
    assert not missing and not extra, (
        f"stage {name}: deps miss {missing}, list unused {extra}; "
        f"derived deps: {folded(runs)} (python -m tests.stage_deps)"
    )


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_dep_exists(name):
    for dep in stage_deps(STAGES[name]):
        if "${" in dep:
            continue  # per-dataset paths are checked by the dvc runs
        assert (ROOT / dep).exists(), f"stage {name}: dep {dep} does not exist"


def test_derivation_sees_function_level_imports():
    """A module imported only inside a function still counts (the spatial stage's esda code)."""
    spatial = {str(p.relative_to(ROOT)) for p in stage_code("spatial")}
    assert "pipeline/measures/spatial.py" in spatial
    assert "pipeline/stages.py" in spatial and "pipeline/config.py" in spatial
    assert "pipeline/clusters/strength.py" not in spatial
