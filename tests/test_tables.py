"""The table schemas (pipeline/tables/): one per published table, every column described,
validation at write time, and a data dictionary that is right for each dataset."""

from __future__ import annotations

import os
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pytest
import yaml

from pipeline import tables
from pipeline.config import project_settings
from pipeline.errors import UserError
from pipeline.lq_dataset import lq_dataset_path, quotient_years, quotients_writer, read_quotients
from pipeline.publish import data_dictionary_markdown, write_table
from pipeline.tables import TABLES, render, validate_table

ROOT = Path(__file__).resolve().parents[1]
PROCESSED = Path(os.environ.get("REGCLUST_PROCESSED", ROOT / "data" / "processed"))
SETTINGS = project_settings()


def _about(dataset: str) -> dict[str, str]:
    """The writers' metadata for a dataset of params.yaml (as pipeline.stages.common._about)."""
    config = SETTINGS.dataset(dataset)
    return {
        "dataset": dataset,
        "dataset_description": config.description,
        "measure": config.measure,
        "unit": config.unit,
        "licence": config.licence,
        **tables.params_context(SETTINGS),
    }


def _published_outputs() -> set[str]:
    """The Parquet tables and datasets under data/processed/<dataset>/ in dvc.yaml's outs."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    names = set()
    for stage in stages.values():
        for out in stage["do"].get("outs", []):
            path = next(iter(out)) if isinstance(out, dict) else out
            match = re.fullmatch(r"data/processed/\$\{key\}/([^/]+)", path)
            if match and (
                match.group(1).endswith(".parquet") or match.group(1) == "location_quotients"
            ):
                names.add(match.group(1))
    return names


def test_every_table_the_stages_write_has_a_schema():
    assert _published_outputs() == set(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_column_has_a_description_and_a_unit_entry(name):
    schema = TABLES[name]
    assert schema.description
    for column_name, column in schema.columns.items():
        assert column.description, f"{name}:{column_name}"
        assert "unit" in (column.metadata or {}), f"{name}:{column_name}"


def test_every_params_key_a_description_cites_exists():
    context = tables.params_context(SETTINGS)
    texts = [schema.description for schema in TABLES.values()]
    texts += [c.description for schema in TABLES.values() for c in schema.columns.values()]
    texts += list(tables.OTHER_OUTPUTS.values())
    cited = {key for text in texts for key in tables.referenced_params(text)}
    assert cited and not {key for key in cited if f"params.{key}" not in context}
    rendered = " ".join(render(text, context) for text in texts)
    assert "{" not in rendered


def test_no_description_spells_a_threshold_out():
    """Thresholds come from params.yaml through the templates, never as literals."""
    literal = re.compile(r"\((?:0\.\d+|1\.25|999|12345)\)|>= ?(?:1\.25|2)\b|top 10 %")
    for schema in TABLES.values():
        for name, column in schema.columns.items():
            assert not literal.search(column.description), f"{schema.name}:{name}"


def test_validation_rejects_a_wrong_dtype_in_one_line():
    weights = pd.DataFrame({"focal": ["01"], "neighbor": ["02"], "weight": [1]})  # int64
    with pytest.raises(UserError) as error:
        validate_table(weights, "spatial_weights.parquet")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("spatial_weights.parquet: column 'weight' has the wrong dtype")
    assert "pipeline/tables/" in message


def test_validation_rejects_values_outside_the_rules():
    quadrants = pd.DataFrame({"focal": ["01"], "neighbor": [None], "weight": [1.0]})
    with pytest.raises(UserError, match="column 'neighbor' has null values"):
        validate_table(quadrants, "spatial_weights.parquet")
    with pytest.raises(UserError, match="column 'extra' is not in the table's schema"):
        validate_table(
            pd.DataFrame({"focal": ["01"], "neighbor": ["02"], "weight": [1.0], "extra": [1]}),
            "spatial_weights.parquet",
        )


def test_tables_without_a_schema_are_not_checked():
    frame = pd.DataFrame({"anything": [1]})
    assert validate_table(frame, "derived_clusters.parquet") is frame


def _lq_year(year: int, lq_dtype: str = "float64") -> pa.Table:
    frame = pd.DataFrame(
        {
            "region_id": ["A", "B"],
            "region_name": ["Region A", "Region B"],
            "industry_code": ["11", "11"],
            "industry_name": ["Agriculture", "Agriculture"],
            "industry_level": pd.array([2, 2], dtype="int8"),
            "year": pd.array([year, year], dtype="int16"),
            "employment": [1.0, 2.0],
            "establishments": [1.0, 1.0],
            "region_employment": [10.0, 10.0],
            "lq": pd.array([0.67, 1.33]).astype(lq_dtype),
            "lq_establishments": [1.0, 1.0],
        }
    )
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_the_lq_writer_validates_each_year_and_keeps_the_previous_dataset(tmp_path):
    target = lq_dataset_path(tmp_path)
    schema = _lq_year(2019).schema
    with quotients_writer(target, schema, {"dataset": "toy"}) as write:
        write(_lq_year(2019))
    bad = _lq_year(2020).set_column(9, "lq", pa.array(["0.67", "1.33"]))
    with pytest.raises(UserError, match="location_quotients: column 'lq'"):
        with quotients_writer(target, schema, {"dataset": "toy"}) as write:
            write(bad)
    assert quotient_years(target) == [2019]


def test_a_table_without_rows_gets_the_schema_dtypes(tmp_path):
    target = tmp_path / "lq_change.parquet"
    write_table(pd.DataFrame(columns=list(TABLES["lq_change.parquet"].columns)), target)
    import pyarrow.parquet as pq

    schema = pq.read_schema(target)
    assert str(schema.field("base_year").type) == "int16"
    assert str(schema.field("lq_class").type) in ("string", "large_string")


@pytest.mark.parametrize(
    ("dataset", "unit", "measure"),
    [
        ("gb_nuts2_2015_2022", "employees", "full-time employees"),
        ("ru_subjects_2017_2021", "million RUB, current prices", "industrial shipments"),
        ("us_cbsa_2019", "jobs", "employment"),
    ],
)
def test_the_data_dictionary_says_each_datasets_measure_and_unit(dataset, unit, measure):
    text = data_dictionary_markdown(dataset, _about(dataset))
    assert f"({unit})" in text and measure in text
    assert "mid-March" not in text or dataset.startswith("us_")
    employment_row = next(line for line in text.splitlines() if line.startswith("| `employment` |"))
    assert f"| {unit} |" in employment_row
    assert "1.25 (params measure.specialised_lq)" in text
    for name in ("employment_flag", "selected_by", "cluster_national", "national_employment"):
        assert f"| `{name}` |" in text
    assert "## `local_spatial_industries.parquet`" in text
    assert "## `location_quotients/`" in text


BUILT = sorted(path for path in PROCESSED.glob("*") if (path / "employment.parquet").exists())


def _read(path: Path, name: str) -> list[pd.DataFrame]:
    if name == "location_quotients":
        return [read_quotients(path, [year]) for year in quotient_years(path)]
    if TABLES[name].metadata.get("geo"):
        return [gpd.read_parquet(path)]
    return [pd.read_parquet(path)]


@pytest.mark.skipif(not BUILT, reason=f"no built datasets in {PROCESSED} (dvc repro)")
@pytest.mark.parametrize("dataset", [path.name for path in BUILT])
def test_every_built_table_matches_its_schema(dataset):
    """Each published Parquet table of a built dataset validates (REGCLUST_PROCESSED=<root>)."""
    checked = []
    for name in TABLES:
        path = PROCESSED / dataset / name
        if not path.exists():
            continue
        for frame in _read(path, name):
            validate_table(frame, name)
        checked.append(name)
    assert "employment.parquet" in checked


def test_the_value_vocabularies_agree_with_the_modules_that_write_them():
    from pipeline.clusters.labels import LABELS
    from pipeline.measures import concentration, spatial
    from pipeline.measures.change import LQ_CLASSES, TRANSITIONS
    from pipeline.sources.schema import EMPLOYMENT_FLAGS

    assert tables.LABELS == LABELS
    assert tables.measures.LQ_CLASSES == LQ_CLASSES
    assert tables.regional_clusters.TRANSITIONS == TRANSITIONS
    assert set(tables.QUADRANTS) == {*spatial.QUADRANT_LABELS.values(), spatial.NOT_SIGNIFICANT}
    assert set(tables.H_METHODS) == {
        concentration.H_EQUAL_PLANTS,
        concentration.H_SIZE_CLASSES,
        concentration.H_MIXED,
    }
    flags = TABLES["employment.parquet"].columns["employment_flag"].checks[0]
    assert flags.statistics["allowed_values"] == list(EMPLOYMENT_FLAGS)


def _cited_sections(schema) -> set[str]:
    texts = [schema.description] + [column.description for column in schema.columns.values()]
    return {key.split(".")[0] for text in texts for key in tables.referenced_params(text)}


def test_each_stage_depends_on_the_params_its_descriptions_cite():
    """A threshold's change reruns every stage whose tables (or data_dictionary.md) state it."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for stage_name, stage in stages.items():
        listed = {str(param).split(".")[0] for param in stage["do"].get("params", [])}
        cited = set()
        for out in stage["do"].get("outs", []):
            path = next(iter(out)) if isinstance(out, dict) else out
            match = re.fullmatch(r"data/(processed|interim)/\$\{key\}/([^/]+)", path)
            if not match:
                continue
            name = match.group(2) if match.group(1) == "processed" else f"interim/{match.group(2)}"
            if path.endswith("data_dictionary.md"):
                cited |= {s for schema in TABLES.values() for s in _cited_sections(schema)}
            elif tables.schema_of(name) is not None:
                cited |= _cited_sections(tables.schema_of(name))
        assert cited <= listed, f"{stage_name}: add {sorted(cited - listed)} to its params"
