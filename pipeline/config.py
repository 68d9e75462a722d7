"""params.yaml -> one typed settings object.

Every threshold the pipeline uses is read here once; library functions take the typed
sections they need, never the raw dictionary.
"""

from __future__ import annotations

import functools
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
    licence: str = ""  # the source's licence, stamped into every published table's metadata


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
    local_over: str = "clusters"  # clusters, or industries (also every finest-level industry)

    def __post_init__(self) -> None:
        if self.local_over not in ("clusters", "industries"):
            raise UserError(
                f"params.yaml: spatial.local_over is '{self.local_over}'; "
                "use clusters or industries"
            )


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
    strict_lq_percentile: float = 90.0  # the US Cluster Mapping's stricter variant
    by_region_type: bool = True  # rank within a region type (metro vs micro) where regions have one


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
    merge_rule: str = "auto"  # auto, csa, distance or contiguity (pipeline/clusters/regional.py)
    max_distance_km: float = 120.0
    isolate_distance_km: float = 120.0


@dataclass(frozen=True)
class ClusterSettings:
    definitions: str = "benchmark"
    lq_base: str = "cmp"  # cmp: traded/local employment (US Cluster Mapping); all: all industries
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
    technology_generic: tuple[str, ...] = ("5511", "5611", "5613", "5614", "5616")
    robustness_shift: float = 0.20
    patents_per_jobs: float = 1000.0


@dataclass(frozen=True)
class MapSettings:
    leading_clusters: int = 6
    simplify_tolerance: float = 0.01
    coordinate_decimals: int = 3
    lq_breaks: tuple[float, ...] = (0.5, 0.8, 1.25, 2.0, 4.0)
    fill_opacity: float = 0.35
    static_labels: int = 8
    static_dpi: int = 110
    label_spacing: float = 0.1
    focus_extent: dict[str, Any] = field(default_factory=dict)
    atlas_clusters: int = 10
    atlas_industries: int = 10
    atlas_industry_min_employment: float = 100.0
    popup_regions: int = 12


@dataclass(frozen=True)
class RegionGroupSettings:
    """Contiguous specialisation regions (pipeline.clusters.region_groups)."""

    transform: str = "log_lq"
    standardise: bool = False
    cluster_types: tuple[str, ...] = ("traded",)
    n_groups: tuple[int, ...] = (5, 40)
    min_mean_size: float = 3.0
    max_group_share: float = 0.5
    score: str = "calinski_harabasz"
    linkage: str = "ward"
    years: str = "last"
    dominant_clusters: int = 3
    kmeans_n_init: int = 10
    random_state: int = 0

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


def _default_relatedness_weights() -> dict[str, float]:
    return {
        "colocation_employment": 1.0,
        "colocation_establishments": 1.0,
        "coagglomeration": 0.0,
        "input_output": 1.0,
        "occupation": 1.0,
    }


@dataclass(frozen=True)
class RelatednessSettings:
    """Industry relatedness (pipeline.clusters.relatedness, pipeline.sources.linkages)."""

    linkages: str = "data/raw/linkages"
    colocation_transform: str = "level"
    margin_prefixes: tuple[str, ...] = ()
    occupation_method: str = "correlation"
    standardise: str = "zscore"
    weights: dict[str, float] = field(default_factory=_default_relatedness_weights)
    top_k: int | None = 50
    tables: dict[str, dict[str, str]] = field(default_factory=dict)

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

    methods: tuple[str, ...] = ("agglomerative", "spectral", "kmeans")
    n_clusters: tuple[int, ...] = (30, 35, 40, 45, 50, 55, 60, 70)
    linkages: tuple[str, ...] = ("average", "complete", "ward")
    standardise: str = "rank"
    n_neighbors: int | None = 15
    max_cluster_share: float = 0.15
    random_state: int = 0
    traded_only: bool = True
    name_industries: int = 2
    proximity_digits: tuple[int, ...] = (3, 4)
    proximity_weight: float = 1.0


@dataclass(frozen=True)
class ImputationHoldoutSettings:
    """Hold-out check of the unpublished-cell estimates (pipeline.sources.suppression)."""

    fraction: float = 0.2  # share of the eligible published cells hidden
    hide_max_establishments: float = 3.0  # eligible: published cells with at most this many
    seed: int = 12345


@dataclass(frozen=True)
class Settings:
    compute: ComputeSettings
    datasets: dict[str, DatasetSettings]
    measure: MeasureSettings
    cluster: ClusterSettings
    label: LabelSettings
    spatial: SpatialSettings = field(default_factory=SpatialSettings)
    change: ChangeSettings = field(default_factory=ChangeSettings)
    industry_clusters: IndustryClusterSettings = field(default_factory=IndustryClusterSettings)
    classifications: str = "data/raw/classifications"
    maps: MapSettings = field(default_factory=MapSettings)
    region_groups: RegionGroupSettings = field(default_factory=RegionGroupSettings)
    relatedness: RelatednessSettings = field(default_factory=RelatednessSettings)
    imputation_holdout: ImputationHoldoutSettings = field(default_factory=ImputationHoldoutSettings)

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
        definitions=_definitions(cluster.get("definitions", "benchmark")),
        lq_base=str(cluster.get("lq_base", "cmp")),
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
        industry_clusters=_build(
            IndustryClusterSettings, params.get("industry_clusters"), "industry_clusters"
        ),
        maps=_build(MapSettings, params.get("maps"), "maps"),
        region_groups=_build(RegionGroupSettings, params.get("region_groups"), "region_groups"),
        relatedness=_build(
            RelatednessSettings,
            {
                **(params.get("relatedness") or {}),
                "linkages": _tables_folder(
                    str((params.get("relatedness") or {}).get("linkages", "data/raw/linkages"))
                ),
            },
            "relatedness",
        ),
        classifications=_tables_folder(
            str(params.get("classifications", "data/raw/classifications"))
        ),
        imputation_holdout=_build(
            ImputationHoldoutSettings, params.get("imputation_holdout"), "imputation_holdout"
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


@functools.lru_cache(maxsize=1)
def default_classifications_dir() -> Path:
    """The classification tables folder that the checkout's params.yaml names (``classifications``).

    Library functions read their code tables from it when no folder is passed; stages and the
    CLI pass ``Settings.classifications`` of the params file in use. A relative path is taken
    from the repository root, where params.yaml lives.
    """
    folder = Path(load_settings(PROJECT_ROOT / "params.yaml").classifications)
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
