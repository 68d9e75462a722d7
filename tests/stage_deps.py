"""Derive the code each DVC stage runs, from the source, to compare with dvc.yaml's ``deps``.

A stage's command is ``regclust <command> --dataset ...``. The derivation follows what runs:

1. the CLI package ``pipeline/cli/``: every module ``pipeline/cli/__init__.py`` imports (they
   register the commands), followed through their module-level imports only, since a
   command's function-local imports run only for that command;
2. the CLI function of ``<command>`` (and the helpers of its module it calls): its imports,
   function-local ones included, which for a stage command are its stage module
   (``from pipeline.stages import label as stage``);
3. every other ``pipeline`` module whole, stage modules included: all of its ``pipeline.*``
   imports, wherever they appear (function-local imports included), transitively, plus the
   ``__init__.py`` of every package on the way (Python runs them on import).

Each stage module imports only what its stage needs, so ``label`` does not depend on the
modules that only ``measure`` or ``cluster`` import.

Run ``python -m tests.stage_deps`` to print each stage's derived code deps, with whole
package folders folded into one entry, in the form ``dvc.yaml`` uses; ``--write`` puts them
into ``dvc.yaml`` (after a change of imports, then check ``git diff dvc.yaml``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipeline"
CLI = PACKAGE / "cli"
STAGES = PACKAGE / "stages"
ENTRY_PACKAGES = ("pipeline.cli", "pipeline.stages")  # only the CLI imports these


def module_file(name: str) -> Path | None:
    """The file of module ``pipeline.x.y`` (a package's ``__init__.py``), or None."""
    parts = name.split(".")
    if parts[0] != "pipeline":
        return None
    base = ROOT.joinpath(*parts)
    if base.with_suffix(".py").exists():
        return base.with_suffix(".py")
    if (base / "__init__.py").exists():
        return base / "__init__.py"
    return None


def _package_inits(name: str) -> set[Path]:
    parts = name.split(".")
    found = set()
    for end in range(1, len(parts) + 1):
        init = ROOT.joinpath(*parts[:end], "__init__.py")
        if init.exists():
            found.add(init)
    return found


def _imported_modules(node: ast.AST) -> set[str]:
    """pipeline modules imported anywhere under ``node``."""
    modules = set()
    for item in ast.walk(node):
        if isinstance(item, ast.Import):
            modules.update(alias.name for alias in item.names if alias.name.startswith("pipeline"))
        elif isinstance(item, ast.ImportFrom) and item.module and item.level == 0:
            if not item.module.startswith("pipeline"):
                continue
            for alias in item.names:
                child = f"{item.module}.{alias.name}"
                modules.add(child if module_file(child) else item.module)
    return modules


def _is_within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _top_level_modules(tree: ast.Module) -> set[str]:
    """pipeline modules imported at module level (not inside functions or classes)."""
    return _imported_modules(
        ast.Module(
            body=[item for item in tree.body if isinstance(item, ast.Import | ast.ImportFrom)],
            type_ignores=[],
        )
    )


def module_closure(modules: set[str]) -> set[Path]:
    """Files of ``modules`` and of everything they import, transitively.

    A module of the CLI package is followed through its module-level imports only (its
    commands' function-local imports run for those commands); any other module whole.
    """
    files: set[Path] = set()
    pending = list(modules)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_file(name)
        if path is None:
            continue
        files.add(path)
        files.update(_package_inits(name))
        tree = ast.parse(path.read_text())
        if _is_within(name, "pipeline.cli"):
            pending.extend(_top_level_modules(tree))
            continue
        imported = _imported_modules(tree)
        if not any(_is_within(name, package) for package in ENTRY_PACKAGES) and any(
            _is_within(other, package) for other in imported for package in ENTRY_PACKAGES
        ):
            raise AssertionError(
                f"{name} imports pipeline.stages or pipeline.cli (data flows one way)"
            )
        pending.extend(imported)
    return files


def _bindings(tree: ast.Module) -> dict[str, str]:
    """Top-level imported name -> the pipeline module it comes from."""
    bound = {}
    for item in tree.body:
        if isinstance(item, ast.ImportFrom) and item.module and item.module.startswith("pipeline"):
            for alias in item.names:
                child = f"{item.module}.{alias.name}"
                bound[alias.asname or alias.name] = child if module_file(child) else item.module
        elif isinstance(item, ast.Import):
            for alias in item.names:
                if alias.name.startswith("pipeline"):
                    bound[alias.asname or alias.name.split(".")[0]] = alias.name
    return bound


def _definitions(tree: ast.Module) -> dict[str, ast.AST]:
    return {
        item.name: item
        for item in tree.body
        if isinstance(item, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
    }


def _names(node: ast.AST) -> set[str]:
    return {item.id for item in ast.walk(node) if isinstance(item, ast.Name)}


def function_closure(path: Path, start: set[str]) -> tuple[set[str], set[str]]:
    """Definitions of ``path`` reached from ``start`` and the pipeline modules they use."""
    tree = ast.parse(path.read_text())
    definitions, bindings = _definitions(tree), _bindings(tree)
    # module-level constants (e.g. LOCAL_COLUMNS) may use imported names too
    constants = [item for item in tree.body if isinstance(item, ast.Assign | ast.AnnAssign)]
    reached: set[str] = set()
    modules: set[str] = set()
    pending = list(start)
    while pending:
        name = pending.pop()
        if name in reached or name not in definitions:
            continue
        reached.add(name)
        used = _names(definitions[name])
        for constant in constants:
            targets = _names(constant) & used
            if targets:
                used |= _names(constant)
        modules.update(_imported_modules(definitions[name]))
        for other in used:
            if other in bindings:
                modules.add(bindings[other])
            elif other in definitions:
                pending.append(other)
    return reached, modules


def cli_command_functions() -> dict[str, tuple[Path, str]]:
    """CLI command name -> (module file in pipeline/cli/, function name)."""
    commands = {}
    for path in sorted(CLI.glob("*.py")):
        for item in ast.parse(path.read_text()).body:
            if not isinstance(item, ast.FunctionDef):
                continue
            for decorator in item.decorator_list:
                if not (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "command"
                ):
                    continue
                name = item.name.replace("_", "-")
                if decorator.args and isinstance(decorator.args[0], ast.Constant):
                    name = decorator.args[0].value
                commands[name] = (path, item.name)
    return commands


def stage_code(command: str) -> set[Path]:
    """Every pipeline source file that ``regclust <command>`` runs."""
    path, function = cli_command_functions()[command]
    _, command_modules = function_closure(path, {function})  # e.g. its stage module
    return module_closure({"pipeline.cli", *command_modules})


def declared_code(deps: list[str]) -> set[Path]:
    """The Python files under the ``pipeline`` entries of a stage's deps."""
    files: set[Path] = set()
    for dep in deps:
        path = ROOT / dep
        if not dep.startswith("pipeline"):
            continue
        if path.is_dir():
            files.update(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        else:
            files.add(path)
    return files


def dvc_stages() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def stage_command(stage: dict) -> str:
    cmd = stage["do"]["cmd"] if "do" in stage else stage["cmd"]
    return cmd.split()[1]


def stage_deps(stage: dict) -> list[str]:
    body = stage["do"] if "do" in stage else stage
    return [dep if isinstance(dep, str) else next(iter(dep)) for dep in body.get("deps", [])]


def folded(files: set[Path]) -> list[str]:
    """Files as dvc.yaml entries: a package folder whose .py files are all used is one entry."""
    entries = set()
    remaining = set(files)
    for package in sorted({p.parent for p in files if p.parent != PACKAGE}):
        members = {p for p in package.rglob("*.py") if "__pycache__" not in p.parts}
        if members <= files:
            entries.add(str(package.relative_to(ROOT)))
            remaining -= members
    entries.update(str(p.relative_to(ROOT)) for p in remaining)
    return sorted(entries)


def _is_code(entry: str) -> bool:
    """A Python file or a package folder (not package data such as pipeline/vendor)."""
    path = ROOT / entry
    return path.suffix == ".py" or (path / "__init__.py").exists()


def rewrite_dvc_yaml(text: str) -> str:
    """``dvc.yaml`` with each stage's ``pipeline/`` deps replaced by the derived ones.

    Other deps, comments and layout stay as written: only the ``- pipeline...`` lines of a
    stage's ``deps`` list change, and they are placed after its other deps.
    """
    stages = dvc_stages()
    lines, out, stage, in_deps, dep_indent = text.splitlines(), [], None, False, ""
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if indent == 2 and stripped.endswith(":") and stripped[:-1] in stages:
            stage = stripped[:-1]
        if in_deps and not stripped.startswith("- "):
            code = folded(stage_code(stage_command(stages[stage])))
            out.extend(f"{dep_indent}- {entry}" for entry in code)
            in_deps = False
        if stripped == "deps:":
            in_deps, dep_indent = True, " " * (indent + 2)
            out.append(line)
            continue
        if in_deps and stripped.startswith("- pipeline") and _is_code(stripped[2:]):
            continue
        out.append(line)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    if "--write" in sys.argv:
        path = ROOT / "dvc.yaml"
        path.write_text(rewrite_dvc_yaml(path.read_text()))
        print(f"rewrote the pipeline deps of {path}")
        sys.exit(0)
    for name, stage in dvc_stages().items():
        print(f"{name}: regclust {stage_command(stage)}")
        for entry in folded(stage_code(stage_command(stage))):
            print(f"        - {entry}")
    sys.exit(0)
