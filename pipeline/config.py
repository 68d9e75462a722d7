"""params.yaml -> one typed settings object.

Every threshold the pipeline uses is read here once; library functions take the typed
sections they need, never the raw dictionary.
"""

from __future__ import annotations

import functools
from dataclasses import MISSING, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import UserError


@dataclass(frozen=True)
class ComputeSettings:
    scheduler: str | None
    n_workers: int
    threads_per_worker: int


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
    licence: str = ""  # the source's licence, stamped into every published table's metadata


@dataclass(frozen=True)
class MeasureSettings:
    lq_denominator: str
    use_imputed: bool
    specialised_lq: float


@dataclass(frozen=True)
class SpatialSettings:
    permutations: int
    seed: int
    alpha: float
    missing: str
    local_over: str  # clusters, or industries (also every finest-level industry)
    moran_levels: str  # cluster: global Moran's I at the cluster level only; all: every level

    def __post_init__(self) -> None:
        if self.local_over not in ("clusters", "industries"):
            raise UserError(
                f"params.yaml: spatial.local_over is '{self.local_over}'; "
                "use clusters or industries"
            )
        if self.moran_levels not in ("cluster", "all"):
            raise UserError(
                f"params.yaml: spatial.moran_levels is '{self.moran_levels}'; use cluster or all"
            )


@dataclass(frozen=True)
class ChangeSettings:
    base_year: int | None
    end_year: int | None
    specialisation_lq: float
    stable_tolerance: float


@dataclass(frozen=True)
class StrongRule:
    lq_percentile: float
    size_percentile: float
    lq_min: float
    strict_lq_percentile: float  # the US Cluster Mapping's stricter variant
    by_region_type: bool  # rank within a region type (metro vs micro) where regions have one


@dataclass(frozen=True)
class StarRule:
    size_top_share: float
    lq_min: float
    focus_top_share: float


@dataclass(frozen=True)
class RegionalRule:
    min_stars: int
    stars_lq_min: float
    top_industries: int
    cluster_types: tuple[str, ...]
    merge_rule: str  # auto, csa, distance or contiguity (pipeline/clusters/regional.py)
    max_distance_km: float
    isolate_distance_km: float


@dataclass(frozen=True)
class ClusterSettings:
    definitions: str
    lq_base: str  # cmp: traded/local employment (US Cluster Mapping); all: all industries
    strong: StrongRule
    stars: StarRule
    regional: RegionalRule


@dataclass(frozen=True)
class LabelSettings:
    technology_list: str
    technology_levels: tuple[str, ...]
    technology_exclude: tuple[str, ...]
    technology_share_min: float
    production_sectors: tuple[str, ...]
    production_share_min: float
    section_technology_aggregates: tuple[str, ...]
    production_sections: tuple[str, ...]
    technology_generic: tuple[str, ...]
    robustness_shift: float
    patents_per_jobs: float


@dataclass(frozen=True)
class MapSettings:
    leading_clusters: int
    simplify_tolerance: float
    coordinate_decimals: int
    lq_breaks: tuple[float, ...]
    fill_opacity: float
    static_labels: int
    static_dpi: int
    label_spacing: float
    focus_extent: dict[str, Any]
    atlas_clusters: int
    atlas_industries: int
    atlas_industry_min_employment: float
    popup_regions: int


@dataclass(frozen=True)
class RegionGroupSettings:
    """Contiguous specialisation regions (pipeline.clusters.region_groups)."""

    transform: str
    standardise: bool
    cluster_types: tuple[str, ...]
    n_groups: tuple[int, ...]
    min_mean_size: float
    max_group_share: float
    score: str
    linkage: str
    years: str
    dominant_clusters: int
    kmeans_n_init: int
    random_state: int

    def __post_init__(self) -> None:
        if isinstance(self.n_groups, int):  # one fixed count
            object.__setattr__(self, "n_groups", (self.n_groups,))
        choices = {
            "transform": ("log_lq", "share"),
            "score": ("calinski_harabasz", "silhouette"),
            "linkage": ("ward", "complete", "average", "single"),
            "years": ("last", "all"),
        }
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise UserError(
                    f"params.yaml: region_groups.{key} is '{getattr(self, key)}'; "
                    f"use {', '.join(allowed)}"
                )
        if len(self.n_groups) not in (1, 2) or min(self.n_groups) < 1:
            raise UserError(
                f"params.yaml: region_groups.n_groups is {list(self.n_groups)}; "
                "give [lowest, highest] group counts (or [k]), each at least 1"
            )


RELATEDNESS_MEASURES = (
    "colocation_employment",
    "colocation_establishments",
    "coagglomeration",
    "input_output",
    "occupation",
)


@dataclass(frozen=True)
class RelatednessSettings:
    """Industry relatedness (pipeline.clusters.relatedness, pipeline.sources.linkages)."""

    linkages: str
    colocation_transform: str
    margin_prefixes: tuple[str, ...]
    occupation_method: str
    standardise: str
    weights: dict[str, float]
    top_k: int | None
    tables: dict[str, dict[str, str]]

    def __post_init__(self) -> None:
        choices = {
            "colocation_transform": ("level", "share"),
            "occupation_method": ("correlation", "cosine"),
            "standardise": ("zscore", "percentile"),
        }
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                raise UserError(
                    f"params.yaml: relatedness.{key} is '{getattr(self, key)}'; "
                    f"use {', '.join(allowed)}"
                )
        unknown = sorted(set(self.weights) - set(RELATEDNESS_MEASURES))
        if unknown:
            raise UserError(
                f"params.yaml: relatedness.weights has unknown measure(s) {', '.join(unknown)}; "
                f"known: {', '.join(RELATEDNESS_MEASURES)}"
            )
        if any(float(weight) < 0 for weight in self.weights.values()):
            raise UserError(
                "params.yaml: relatedness.weights must be >= 0 (0 leaves a measure out)"
            )
        if self.top_k is not None and int(self.top_k) < 1:
            raise UserError(
                f"params.yaml: relatedness.top_k is {self.top_k}; use a positive integer or null"
            )
        for dataset, tables in self.tables.items():
            extra = sorted(set(tables or {}) - {"input_output", "occupations"})
            if extra:
                raise UserError(
                    f"params.yaml: relatedness.tables.{dataset} has unknown key(s) "
                    f"{', '.join(extra)}; allowed: input_output, occupations"
                )
        object.__setattr__(self, "margin_prefixes", tuple(str(p) for p in self.margin_prefixes))
        object.__setattr__(self, "weights", {k: float(v) for k, v in self.weights.items()})


@dataclass(frozen=True)
class IndustryClusterSettings:
    """Derived industry clusters (pipeline.clusters.derived): the grid scored by DPS VS scores."""

    methods: tuple[str, ...]
    n_clusters: tuple[int, ...]
    linkages: tuple[str, ...]
    standardise: str
    n_neighbors: int | None
    max_cluster_share: float
    random_state: int
    traded_only: bool
    name_industries: int
    proximity_digits: tuple[int, ...]
    proximity_weight: float


@dataclass(frozen=True)
class ImputationHoldoutSettings:
    """Hold-out check of the unpublished-cell estimates (pipeline.sources.unpublished)."""

    fraction: float  # share of the eligible published cells hidden
    hide_max_establishments: float  # eligible: published cells with at most this many
    seed: int


@dataclass(frozen=True)
class Settings:
    compute: ComputeSettings
    datasets: dict[str, DatasetSettings]
    measure: MeasureSettings
    cluster: ClusterSettings
    label: LabelSettings
    spatial: SpatialSettings
    change: ChangeSettings
    industry_clusters: IndustryClusterSettings
    classifications: str
    maps: MapSettings
    region_groups: RegionGroupSettings
    relatedness: RelatednessSettings
    imputation_holdout: ImputationHoldoutSettings

    def dataset(self, name: str) -> DatasetSettings:
        if name not in self.datasets:
            known = ", ".join(sorted(self.datasets)) or "none"
            raise UserError(
                f"params.yaml: dataset '{name}' is not defined under 'datasets' (known: {known}); "
                "add it there or pick a known one"
            )
        return self.datasets[name]


def _build(cls: type, values: dict[str, Any] | None, where: str) -> Any:
    """``cls`` from the params section ``where``; every field without a default is required."""
    if values is not None and not isinstance(values, dict):
        raise UserError(f"params.yaml: '{where}' must be a mapping of keys, not {values!r}")
    values = dict(values or {})
    known = set(cls.__dataclass_fields__)
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(
            f"params.yaml: unknown key(s) {', '.join(unknown)} in '{where}'; "
            f"allowed: {', '.join(sorted(known))}"
        )
    missing = [
        name
        for name, spec in cls.__dataclass_fields__.items()
        if name not in values and spec.default is MISSING and spec.default_factory is MISSING
    ]
    if missing:
        raise UserError(
            f"params.yaml: missing key {', '.join(f'{where}.{name}' for name in missing)}; "
            "add it (every threshold is set in params.yaml, see the repository's copy)"
        )
    for key, value in values.items():
        if isinstance(value, list):
            values[key] = tuple(str(v) if cls is LabelSettings else v for v in value)
    try:
        return cls(**values)
    except TypeError as error:
        raise UserError(f"params.yaml: section '{where}' is invalid: {error}") from error


def _required(params: dict[str, Any], key: str, where: str = "") -> Any:
    """``params[key]``; a missing key is a one-line UserError naming params.yaml and the key."""
    if not isinstance(params, dict) or key not in params:
        raise UserError(
            f"params.yaml: missing key {where}{key}; add it (see the repository's params.yaml)"
        )
    return params[key]


PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _tables_folder(path: str) -> str:
    """The classification tables folder; a relative path missing from the working directory
    falls back to the regclust checkout, so `regclust run` works from any folder."""
    folder = Path(path)
    if not folder.is_absolute() and not folder.exists() and (PROJECT_ROOT / folder).exists():
        return str(PROJECT_ROOT / folder)
    return path


def settings_from_dict(params: dict[str, Any]) -> Settings:
    """Type a parsed params.yaml dictionary; every section and key is required (no defaults)."""
    cluster = _required(params, "cluster")
    cluster_settings = ClusterSettings(
        definitions=_definitions(_required(cluster, "definitions", "cluster.")),
        lq_base=str(_required(cluster, "lq_base", "cluster.")),
        strong=_build(StrongRule, _required(cluster, "strong", "cluster."), "cluster.strong"),
        stars=_build(StarRule, _required(cluster, "stars", "cluster."), "cluster.stars"),
        regional=_build(
            RegionalRule, _required(cluster, "regional", "cluster."), "cluster.regional"
        ),
    )
    datasets = {
        name: _build(DatasetSettings, {"name": name, **(values or {})}, f"datasets.{name}")
        for name, values in (params.get("datasets") or {}).items()
    }
    relatedness = dict(_required(params, "relatedness") or {})
    if "linkages" in relatedness:
        relatedness["linkages"] = _tables_folder(str(relatedness["linkages"]))

    def section(cls: type, key: str) -> Any:
        return _build(cls, _required(params, key), key)

    settings = Settings(
        compute=section(ComputeSettings, "compute"),
        datasets=datasets,
        measure=section(MeasureSettings, "measure"),
        cluster=cluster_settings,
        label=section(LabelSettings, "label"),
        spatial=section(SpatialSettings, "spatial"),
        change=section(ChangeSettings, "change"),
        industry_clusters=section(IndustryClusterSettings, "industry_clusters"),
        maps=section(MapSettings, "maps"),
        region_groups=section(RegionGroupSettings, "region_groups"),
        relatedness=_build(RelatednessSettings, relatedness, "relatedness"),
        classifications=_tables_folder(str(_required(params, "classifications"))),
        imputation_holdout=section(ImputationHoldoutSettings, "imputation_holdout"),
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


PROJECT_PARAMS = PROJECT_ROOT / "params.yaml"
"""The checkout's params.yaml: the settings of commands run without a params file of their own."""


def project_params() -> dict[str, Any]:
    """The checkout's params.yaml, parsed (a fresh copy to modify, e.g. in tests)."""
    return yaml.safe_load(PROJECT_PARAMS.read_text(encoding="utf-8")) or {}


@functools.lru_cache(maxsize=1)
def project_settings() -> Settings:
    """The checkout's params.yaml, typed (cached): for commands without their own params file
    and for tests that need one typed section (``project_settings().cluster.strong``).

    Its folders are absolute (taken from the repository root), so the cached settings stay
    right when the working directory changes.
    """
    settings = load_settings(PROJECT_PARAMS)

    def rooted(path: str) -> str:
        return path if Path(path).is_absolute() else str(PROJECT_ROOT / path)

    return replace(
        settings,
        classifications=rooted(settings.classifications),
        relatedness=replace(settings.relatedness, linkages=rooted(settings.relatedness.linkages)),
    )


def default_classifications_dir() -> Path:
    """The classification tables folder that the checkout's params.yaml names (``classifications``).

    Library functions read their code tables from it when no folder is passed; stages and the
    CLI pass ``Settings.classifications`` of the params file in use. A relative path is taken
    from the repository root, where params.yaml lives.
    """
    folder = Path(project_settings().classifications)
    return folder if folder.is_absolute() else PROJECT_ROOT / folder


def _definitions(value: str) -> str:
    """cluster.definitions: benchmark (US Cluster Mapping; 'uscmp' is read as it) or derived."""
    value = "benchmark" if value == "uscmp" else value
    if value not in ("benchmark", "derived"):
        raise UserError(
            f"params.yaml: cluster.definitions is '{value}'; use benchmark (published definitions) "
            "or derived (clusters from the data's relatedness, regclust relate)"
        )
    return value
