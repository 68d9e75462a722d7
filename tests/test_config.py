"""params.yaml is the only source of the thresholds: every key is required, none has a default."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from pipeline import config
from pipeline.config import load_settings, project_params, project_settings, settings_from_dict
from pipeline.errors import UserError

SECTIONS = [
    config.ComputeSettings,
    config.MeasureSettings,
    config.SpatialSettings,
    config.ChangeSettings,
    config.StrongRule,
    config.StarRule,
    config.RegionalRule,
    config.ClusterSettings,
    config.LabelSettings,
    config.MapSettings,
    config.RegionGroupSettings,
    config.RelatednessSettings,
    config.IndustryClusterSettings,
    config.ImputationHoldoutSettings,
    config.Settings,
]


@pytest.mark.parametrize("section", SECTIONS, ids=lambda cls: cls.__name__)
def test_no_setting_has_a_default_in_the_code(section):
    defaults = [
        item.name
        for item in dataclasses.fields(section)
        if item.default is not dataclasses.MISSING
        or item.default_factory is not dataclasses.MISSING
    ]
    assert not defaults, f"{section.__name__}: {defaults} have defaults; set them in params.yaml"


def test_the_checkout_params_load():
    settings = project_settings()
    assert settings.spatial.permutations == project_params()["spatial"]["permutations"]
    assert (
        settings.cluster.strong.lq_percentile
        == project_params()["cluster"]["strong"]["lq_percentile"]
    )


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (("spatial", "seed"), "spatial.seed"),
        (("cluster", "strong", "lq_min"), "cluster.strong.lq_min"),
        (("cluster", "lq_base"), "cluster.lq_base"),
        (("measure",), "measure"),
        (("classifications",), "classifications"),
    ],
)
def test_a_missing_key_is_a_one_line_error_naming_it(path, key):
    params = project_params()
    parent = params
    for name in path[:-1]:
        parent = parent[name]
    del parent[path[-1]]
    with pytest.raises(UserError) as error:
        settings_from_dict(params)
    message = str(error.value)
    assert message.startswith("params.yaml: missing key") and key in message
    assert "\n" not in message


def test_a_params_file_without_a_section_fails_on_load(tmp_path):
    params = project_params()
    del params["label"]
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(UserError, match="missing key label"):
        load_settings(path)


def test_unknown_keys_are_still_rejected():
    params = project_params()
    params["spatial"]["permutation"] = 99
    with pytest.raises(UserError, match="unknown key"):
        settings_from_dict(params)
