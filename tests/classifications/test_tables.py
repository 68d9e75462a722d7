"""One home for classification knowledge: one tables folder (from params.yaml), one reader per
table, and no import from the classifications package back up into the readers."""

import ast
from pathlib import Path

import pytest

from pipeline.classifications import nace, tables, titles
from pipeline.classifications.naics_vintages import read_naics_concordance
from pipeline.config import PROJECT_ROOT, load_settings

PIPELINE = PROJECT_ROOT / "pipeline"
HOMES = ("config.py", "tables.py")  # where the folder is named: params -> config -> tables
TABLE_FILES = [value for name, value in vars(tables).items() if name.endswith("_FILE")]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_default_folder_is_the_one_params_yaml_names():
    named = Path(load_settings(PROJECT_ROOT / "params.yaml").classifications)
    expected = named if named.is_absolute() else PROJECT_ROOT / named
    assert tables.tables_dir().resolve() == expected.resolve()
    assert tables.tables_dir("elsewhere") == Path("elsewhere")


@pytest.mark.parametrize("name", TABLE_FILES)
def test_every_named_table_exists(name):
    assert tables.table_path(name).is_file()


def test_no_module_spells_out_the_folder_or_a_table_file_but_its_home():
    spelled = []
    for path in PIPELINE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name not in HOMES and "raw/classifications" in text.replace('" / "', "/"):
            spelled.append(f"{path.relative_to(PROJECT_ROOT)}: the folder")
        if path.name != "tables.py":
            spelled += [
                f"{path.relative_to(PROJECT_ROOT)}: {name}"
                for name in TABLE_FILES
                if f'"{name}"' in text
            ]
    assert spelled == []


def test_classifications_never_import_the_readers():
    upward = {
        f"{path.name}: {module}"
        for path in (PIPELINE / "classifications").glob("*.py")
        for module in _imports(path)
        if module.startswith(("pipeline.sources", "pipeline.measures", "pipeline.clusters"))
    }
    assert upward == set()


def test_nace_sections_come_from_the_table_once():
    sections = nace.read_nace_sections()
    assert len(sections) == 21 and sections["section"].tolist()[:3] == ["A", "B", "C"]
    assert nace.section_of_division("26", sections) == "C"
    official = titles.industry_titles("nace_r2").reindex(sections["section"])
    assert official.tolist() == sections["section_name"].tolist()  # one wording of each title
    assert nace.read_nace_sections() is not nace.read_nace_sections()  # callers get copies


def test_the_concordance_has_one_reader():
    rows = read_naics_concordance()
    assert rows.columns.tolist() == ["naics2017", "naics2012", "primary"]
    assert rows["primary"].dtype == bool
    readers = [
        str(path.relative_to(PROJECT_ROOT))
        for path in PIPELINE.rglob("*.py")
        if "def read_concordance" in path.read_text(encoding="utf-8")
        or ("def read_naics_concordance" in path.read_text(encoding="utf-8"))
    ]
    assert readers == ["pipeline/classifications/naics_vintages.py"]
