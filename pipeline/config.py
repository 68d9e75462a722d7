"""params.yaml -> one typed settings object.

Every threshold the pipeline uses is read here once; library functions take the typed
sections they need, never the raw dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import UserError


@dataclass(frozen=True)
class ComputeSettings:
    scheduler: str | None = None
    n_workers: int = 2
    threads_per_worker: int = 1


@dataclass(frozen=True)
class DatasetSettings:
    name: str
    source: str
    raw: str
    classification: str = "naics2017"
    description: str = ""
    change_base_year: int | None = None
    technology: str = ""  # custom classifications: CSV of technology industry codes
    measure: str = "employment"
    unit: str = "jobs"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MeasureSettings:
    lq_denominator: str = "all"
    use_imputed: bool = True
    specialised_lq: float = 1.25


@dataclass(frozen=True)
class SpatialSettings:
    permutations: int = 999
    seed: int = 12345
    alpha: float = 0.05
    missing: str = "drop"


@dataclass(frozen=True)
class ChangeSettings:
    base_year: int | None = None
    end_year: int | None = None
    specialisation_lq: float = 1.0
    stable_tolerance: float = 0.05


@dataclass(frozen=True)
class StrongRule:
    lq_percentile: float = 75.0
    size_percentile: float = 25.0
    lq_min: float = 1.0


@dataclass(frozen=True)
class StarRule:
    size_top_share: float = 0.10
    lq_min: float = 2.0
    focus_top_share: float = 0.10


@dataclass(frozen=True)
class RegionalRule:
    min_stars: int = 2
    stars_lq_min: float = 1.0
    top_industries: int = 5
    cluster_types: tuple[str, ...] = ("traded",)


@dataclass(frozen=True)
class ClusterSettings:
    definitions: str = "uscmp"
    strong: StrongRule = field(default_factory=StrongRule)
    stars: StarRule = field(default_factory=StarRule)
    regional: RegionalRule = field(default_factory=RegionalRule)


@dataclass(frozen=True)
class LabelSettings:
    technology_list: str = "bls_hecker2005_hightech"
    technology_levels: tuple[str, ...] = ("Level I",)
    technology_exclude: tuple[str, ...] = ("3364",)
    technology_share_min: float = 0.40
    production_sectors: tuple[str, ...] = ("11", "21", "22", "31", "32", "33", "486")
    production_share_min: float = 0.50
    section_technology_aggregates: tuple[str, ...] = ("C_HTC", "KIS_HTC")
    production_sections: tuple[str, ...] = ("A", "B", "C", "D", "E")


@dataclass(frozen=True)
class Settings:
    compute: ComputeSettings
    datasets: dict[str, DatasetSettings]
    measure: MeasureSettings
    cluster: ClusterSettings
    label: LabelSettings
    spatial: SpatialSettings = field(default_factory=SpatialSettings)
    change: ChangeSettings = field(default_factory=ChangeSettings)
    classifications: str = "data/raw/classifications"

    def dataset(self, name: str) -> DatasetSettings:
        if name not in self.datasets:
            known = ", ".join(sorted(self.datasets)) or "none"
            raise UserError(
                f"params.yaml: dataset '{name}' is not defined under 'datasets' (known: {known}); "
                "add it there or pick a known one"
            )
        return self.datasets[name]


def _build(cls: type, values: dict[str, Any] | None, where: str) -> Any:
    values = dict(values or {})
    known = set(cls.__dataclass_fields__)
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(
            f"params.yaml: unknown key(s) {', '.join(unknown)} in '{where}'; "
            f"allowed: {', '.join(sorted(known))}"
        )
    for key, value in values.items():
        if isinstance(value, list):
            values[key] = tuple(str(v) if cls is LabelSettings else v for v in value)
    try:
        return cls(**values)
    except TypeError as error:
        raise UserError(f"params.yaml: section '{where}' is invalid: {error}") from error


PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _tables_folder(path: str) -> str:
    """The classification tables folder; a relative path missing from the working directory
    falls back to the regclust checkout, so `regclust run` works from any folder."""
    folder = Path(path)
    if not folder.is_absolute() and not folder.exists() and (PROJECT_ROOT / folder).exists():
        return str(PROJECT_ROOT / folder)
    return path


def settings_from_dict(params: dict[str, Any]) -> Settings:
    """Type a parsed params.yaml dictionary."""
    cluster = dict(params.get("cluster") or {})
    cluster_settings = ClusterSettings(
        definitions=cluster.get("definitions", "uscmp"),
        strong=_build(StrongRule, cluster.get("strong"), "cluster.strong"),
        stars=_build(StarRule, cluster.get("stars"), "cluster.stars"),
        regional=_build(RegionalRule, cluster.get("regional"), "cluster.regional"),
    )
    datasets = {
        name: _build(DatasetSettings, {"name": name, **(values or {})}, f"datasets.{name}")
        for name, values in (params.get("datasets") or {}).items()
    }
    settings = Settings(
        compute=_build(ComputeSettings, params.get("compute"), "compute"),
        datasets=datasets,
        measure=_build(MeasureSettings, params.get("measure"), "measure"),
        cluster=cluster_settings,
        label=_build(LabelSettings, params.get("label"), "label"),
        spatial=_build(SpatialSettings, params.get("spatial"), "spatial"),
        change=_build(ChangeSettings, params.get("change"), "change"),
        classifications=_tables_folder(
            str(params.get("classifications", "data/raw/classifications"))
        ),
    )
    if settings.measure.lq_denominator not in {"all", "level", "private", "traded"}:
        raise UserError(
            f"params.yaml: measure.lq_denominator is '{settings.measure.lq_denominator}'; "
            "use all, level, private or traded"
        )
    return settings


def load_settings(path: str | Path = "params.yaml") -> Settings:
    """Read and type params.yaml."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: not found; run from the repository root or pass --params")
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise UserError(
            f"{path}: not valid YAML ({error.__class__.__name__}); fix the syntax"
        ) from error
    return settings_from_dict(params)
