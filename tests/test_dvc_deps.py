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
    """The stage module a command imports inside its function counts, and only that one."""
    spatial = {str(p.relative_to(ROOT)) for p in stage_code("spatial")}
    assert "pipeline/stages/spatial.py" in spatial and "pipeline/config.py" in spatial
    assert any(path.startswith("pipeline/measures/spatial") for path in spatial)
    assert "pipeline/clusters/strength.py" not in spatial
    assert "pipeline/stages/cluster.py" not in spatial


@pytest.mark.parametrize("name", sorted(STAGES))
def test_a_stage_runs_only_its_own_stage_module(name):
    command = stage_command(STAGES[name])
    stage_modules = {
        p.name for p in stage_code(command) if p.parent == ROOT / "pipeline" / "stages"
    }
    shared = {"__init__.py", "common.py", "names.py"}
    assert stage_modules - shared == {f"{command.replace('-', '_')}.py"}


def test_later_stages_do_not_run_the_measure_code():
    for command in ("label", "publish", "maps"):
        runs = {str(p.relative_to(ROOT)) for p in stage_code(command)}
        assert not runs & {"pipeline/compute.py", "pipeline/engine/distributed.py"}, command
