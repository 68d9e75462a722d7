"""The ``regclust`` command line: one command per DVC stage.

User errors print one line and exit with code 2 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import difflib
import errno
import json
import os
import shutil
import sys
import tempfile
import traceback
import warnings
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Annotated

import click
import pandas as pd
import typer
from typer._click import exceptions as typer_click_exceptions

from pipeline.config import DatasetSettings, load_settings, project_settings
from pipeline.errors import UserError


class _LazyStages:
    """``pipeline.stages``, imported on first use: it pulls in dask, geopandas and libpysal
    (several seconds), which usage errors, --help and --version do not need."""

    def __getattr__(self, name: str):
        from pipeline import stages as module

        return getattr(module, name)


stages = _LazyStages()

app = typer.Typer(
    help=(
        "regclust finds regional industrial clusters in official statistics.\n\n"
        "Each command is one DVC stage and reads params.yaml; `dvc repro` runs them all in order:\n"
        "ingest -> measure -> cluster -> spatial -> label -> publish. Outputs go to data/processed/<dataset>/."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DatasetOption = Annotated[
    str, typer.Option("--dataset", "-d", help="Dataset name under 'datasets' in params.yaml.")
]
ParamsOption = Annotated[Path, typer.Option("--params", help="The parameters file.")]
DataOption = Annotated[
    Path, typer.Option("--data-root", help="Folder holding processed/ and interim/ outputs.")
]

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Address of a running dask scheduler (tcp://host:8786). Default: "
        "DASK_SCHEDULER_ADDRESS, then compute.scheduler in params.yaml, else a LocalCluster.",
    ),
]


def _version() -> str:
    try:
        return metadata.version("regclust")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"regclust {_version()}")
        raise typer.Exit(0)


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_show_version, is_eager=True
        ),
    ] = False,
) -> None:
    del debug, version  # --debug is read by main() from the arguments; --version is eager


@app.command()
def ingest(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Read the raw files: employment.parquet, regions.parquet (GeoParquet), spatial_weights.parquet."""
    stages.run_ingest(load_settings(params), dataset, stages.Layout.for_dataset(dataset, data_root))


@app.command()
def measure(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
    scheduler: SchedulerOption = None,
) -> None:
    """Location quotients (employment and establishments) on a dask.distributed cluster."""
    stages.run_measure(
        load_settings(params), dataset, stages.Layout.for_dataset(dataset, data_root), scheduler
    )


@app.command()
def relate(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Industry relatedness (co-location, input-output, occupations) and derived clusters."""
    stages.run_relate(load_settings(params), dataset, stages.Layout.for_dataset(dataset, data_root))


@app.command()
def maps(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Offline maps (HTML with Leaflet inlined, PNG), the atlas and a GeoPackage of the layers."""
    stages.run_maps(load_settings(params), dataset, stages.Layout.for_dataset(dataset, data_root))


@app.command("region-groups")
def region_groups(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Contiguous groups of regions with a similar cluster mix (Ward with contiguity)."""
    stages.run_region_groups(
        load_settings(params), dataset, stages.Layout.for_dataset(dataset, data_root)
    )


@app.command()
def cluster(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Benchmark clusters, strong-cluster and star rules, contiguous regional clusters."""
    stages.run_cluster(
        load_settings(params), dataset, stages.Layout.for_dataset(dataset, data_root)
    )


@app.command()
def spatial(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
    scheduler: SchedulerOption = None,
) -> None:
    """Local Moran (LISA quadrants) and Getis-Ord Gi* of every cluster's LQ, per year, on dask."""
    stages.run_spatial(
        load_settings(params), dataset, stages.Layout.for_dataset(dataset, data_root), scheduler
    )


@app.command()
def label(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Label each regional cluster technology / industrial-production / other, with its scores."""
    stages.run_label(load_settings(params), dataset, stages.Layout.for_dataset(dataset, data_root))


@app.command()
def publish(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """metrics.json (dvc metrics) and the data dictionary of every published table."""
    stages.run_publish(
        load_settings(params), dataset, stages.Layout.for_dataset(dataset, data_root)
    )


@app.command()
def validate(
    employment: Annotated[
        Path, typer.Argument(help="Employment table (CSV or Parquet) in the generic schema.")
    ],
    regions: Annotated[
        Path | None,
        typer.Option("--regions", help="Boundaries (GeoJSON, GPKG, Shapefile, GeoParquet)."),
    ] = None,
    classification: Annotated[
        str | None,
        typer.Option(
            "--classification",
            help="naics2017, naics2012, nace_r2, okved2 or custom; default: detected from "
            "the codes when they are unambiguous (the report says so).",
        ),
    ] = None,
    hierarchy: Annotated[
        Path | None,
        typer.Option("--hierarchy", help="custom: CSV industry_code,parent_code,level."),
    ] = None,
    region_id_field: Annotated[
        str, typer.Option("--region-id-field", help="Boundary field holding the region id.")
    ] = "region_id",
    params: ParamsOption = Path("params.yaml"),
) -> None:
    """Check a region x industry table (and its boundaries): exit 0 when usable, 2 when not.

    Warnings leave the table usable; errors make it NOT usable (exit 2), so a script or a CI
    gate can rely on the exit status.
    """
    from pipeline.validate import validate as check

    settings = load_settings(params) if params.exists() else project_settings()
    report = check(
        employment,
        regions,
        classification,
        hierarchy,
        id_field=region_id_field,
        classifications_dir=Path(settings.classifications),
        keep_table=False,  # only the report is printed: a typed Parquet file goes by year
    )
    typer.echo(report.summary())
    if not report.usable:
        raise typer.Exit(2)


@app.command("run")
def run_all(
    employment: Annotated[
        Path,
        typer.Option(
            "--employment", help="Employment table (CSV or Parquet) in the generic schema."
        ),
    ],
    classification: Annotated[
        str,
        typer.Option("--classification", help="naics2017, naics2012, nace_r2, okved2 or custom."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the published tables.")],
    regions: Annotated[
        Path | None,
        typer.Option("--regions", help="Boundaries; without them only non-spatial measures run."),
    ] = None,
    hierarchy: Annotated[
        Path | None,
        typer.Option("--hierarchy", help="custom: CSV industry_code,parent_code,level."),
    ] = None,
    technology: Annotated[
        Path | None, typer.Option("--technology", help="custom: CSV of technology industry codes.")
    ] = None,
    measure_name: Annotated[
        str, typer.Option("--measure", help="What the values measure.")
    ] = "employment",
    unit: Annotated[str, typer.Option("--unit", help="Unit of the values.")] = "jobs",
    params: ParamsOption = Path("params.yaml"),
    scheduler: SchedulerOption = None,
) -> None:
    """Run every stage on your own data, outside DVC; same outputs as the DVC pipeline, in --out."""
    _check_out_folder(out)
    settings = load_settings(params) if params.exists() else project_settings()
    options = {"employment": str(employment), "hierarchy": str(hierarchy) if hierarchy else None}
    if regions is not None:
        options["regions"] = str(regions)
    else:
        typer.echo(
            "regclust: no --regions: spatial weights are empty, so spatial statistics are skipped "
            "and regional clusters are single regions",
            err=True,
        )
    dataset = DatasetSettings(
        name="user",
        source="generic_files",
        raw=str(employment.parent),
        classification=classification,
        measure=measure_name,
        unit=unit,
        technology=str(technology) if technology else "",
        options=options,
    )
    settings = replace(settings, datasets={"user": dataset})
    from pipeline.compute import release_worker_memory, shared_scheduler
    from pipeline.validate import require_usable, validate

    with warnings.catch_warnings():  # the readers warn again during ingest
        warnings.simplefilter("ignore")
        require_usable(
            validate(  # a typed Parquet file is checked one year at a time, not kept
                employment,
                None,
                classification,
                hierarchy,
                classifications_dir=Path(settings.classifications),
                keep_table=False,
            )
        )
    with _all_or_nothing(out) as building:
        layout = stages.Layout(processed=building, interim=building / "interim")
        stages.run_ingest(settings, "user", layout)
        stages.run_relate(settings, "user", layout)
        # one dask cluster for the measure and spatial stages
        with shared_scheduler(settings.compute, scheduler) as address:
            stages.run_measure(settings, "user", layout, address)
            release_worker_memory(address)  # idle during the cluster stage
            stages.run_cluster(settings, "user", layout)
            stages.run_spatial(settings, "user", layout, address)
        stages.run_label(settings, "user", layout)
        stages.run_region_groups(settings, "user", layout)
        stages.run_publish(settings, "user", layout)
    typer.echo(f"regclust: published tables in {out} (see {out / 'data_dictionary.md'})")


RESULT_MARKER = "metrics.json"  # a folder holding it is a previous regclust result


def _check_out_folder(out: Path) -> None:
    """--out must be a new folder, an empty one, or a previous regclust result."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: is an existing file, not a folder; pass a folder path")
    if out.is_dir() and any(out.iterdir()) and not (out / RESULT_MARKER).exists():
        raise UserError(
            f"--out {out}: the folder holds other files and no regclust result "
            f"({RESULT_MARKER}); pass a new or empty folder so nothing of yours is replaced"
        )


class _all_or_nothing:
    """Build into a temporary folder beside ``out``; move it into place only on success.

    On failure the temporary folder is removed and a previous result in ``out`` stays as it
    was. On success the previous result is moved aside, the new one renamed into place
    (a rename within one folder, so no reader sees a half-written result), then the old one
    deleted.
    """

    def __init__(self, out: Path) -> None:
        self.out = out

    def __enter__(self) -> Path:
        parent = self.out.absolute().parent
        parent.mkdir(parents=True, exist_ok=True)
        self.building = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.building-", dir=parent))
        return self.building

    def __exit__(self, kind, error, trace) -> bool:
        if kind is not None:
            shutil.rmtree(self.building, ignore_errors=True)
            return False
        previous = None
        if self.out.exists():
            previous = Path(
                tempfile.mkdtemp(prefix=f".{self.out.name}.previous-", dir=self.building.parent)
            )
            previous.rmdir()
            self.out.rename(previous)
        self.building.rename(self.out)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
        return False


FETCH_KINDS = ("cbp-county", "qcew", "eurostat", "url")


@app.command()
def fetch(
    kind: Annotated[str, typer.Argument(help="cbp-county, qcew, eurostat or url.")],
    year: Annotated[
        int | None, typer.Option("--year", help="Reference year (cbp-county, qcew).")
    ] = None,
    code: Annotated[
        str | None,
        typer.Option("--code", help="Eurostat dataset code (e.g. lfst_r_lfe2en2), or the URL."),
    ] = None,
    cache: Annotated[Path, typer.Option("--cache", help="Download cache folder.")] = Path(
        "data/external"
    ),
    sha256: Annotated[
        str | None,
        typer.Option("--sha256", help="Expected SHA-256 of the file; a mismatch is an error."),
    ] = None,
) -> None:
    """Download an official file into the cache (needs the network; the default pipeline never does).

    The cached file is reused on later calls. Copy it into a dataset's raw folder and add the
    dataset to params.yaml (source cbp_county_file, qcew_files or eurostat for cbp-county, qcew
    or eurostat downloads: pipeline.sources.registry.FETCH_SOURCES).
    """
    from pipeline.sources import download

    if kind == "cbp-county" and year:
        url = download.cbp_county_url(year)
    elif kind == "qcew" and year:
        url = download.qcew_annual_url(year)
    elif kind == "eurostat" and code:
        url = download.eurostat_url(code)
    elif kind == "url" and code:
        url = code
    else:
        raise UserError(
            f"fetch: '{kind}' needs --year (cbp-county, qcew) or --code (eurostat, url); "
            f"kinds: {', '.join(FETCH_KINDS)}"
        )
    path = download.fetch(url, cache, sha256)
    typer.echo(f"regclust: {url} -> {path}")


# ---------------------------------------------------------------------------------------
# Questions: show, top, related (the library is pipeline.profiles; here only I/O and format)

YearOption = Annotated[
    int | None, typer.Option("--year", help="Reference year (default: the latest).")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (for scripts) instead of tables.")
]
TopOption = Annotated[int, typer.Option("--top", "-n", help="Rows listed per table.", min=1)]
MinEmploymentOption = Annotated[
    float,
    typer.Option(
        "--min-employment",
        help="Leave out cells with less employment (LQs of tiny cells are volatile).",
        min=0,
    ),
]
IndustryFlag = Annotated[
    bool,
    typer.Option(
        "--industry",
        help="Read the argument as an industry code or title, not a cluster (cluster codes "
        "1-51 and 101-116 overlap NAICS sectors such as 23 or 111).",
    ),
]


DEFAULT_PARAMS = Path("params.yaml")
DEFAULT_DATA = Path("data")


class _Tables:
    """The published tables of one dataset, read on demand."""

    def __init__(self, dataset: str, data_root: Path, params: Path) -> None:
        from pipeline.config import PROJECT_ROOT

        self.dataset = dataset
        if not dataset.strip() or Path(dataset).name != dataset or dataset in (".", ".."):
            raise UserError(f"--dataset '{dataset}': not a dataset name (e.g. us_cbsa_2019)")
        if data_root == DEFAULT_DATA and not (data_root / "processed").is_dir():
            # Outside the checkout (no data/processed here): the checkout's tables answer.
            data_root = PROJECT_ROOT / DEFAULT_DATA
            if params == DEFAULT_PARAMS and not params.exists():
                params = PROJECT_ROOT / DEFAULT_PARAMS
        self.processed = data_root / "processed" / dataset  # as stages.Layout.for_dataset
        if not self.processed.is_dir():
            built = sorted(
                path.name for path in (data_root / "processed").glob("*") if path.is_dir()
            )
            close = difflib.get_close_matches(dataset, built, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise UserError(
                f"--dataset {dataset}: no tables in {self.processed}; {hint}built: "
                f"{', '.join(built) or 'none'} (dvc repro builds them)"
            )
        if not params.exists() and params != DEFAULT_PARAMS:
            raise UserError(f"--params {params}: not found; check the path")
        self.settings = load_settings(params) if params.exists() else project_settings()

    def read(self, name: str, optional: bool = False) -> pd.DataFrame | None:
        path = self.processed / name
        if not path.exists():
            if optional:
                return None
            raise UserError(f"{path}: not found; run the pipeline first (dvc repro)")
        if name in ("regions.parquet", "regional_clusters.parquet"):
            import geopandas as gpd

            return gpd.read_parquet(path)
        return pd.read_parquet(path)

    def classification(self) -> str:
        if self.dataset in self.settings.datasets:
            return self.settings.dataset(self.dataset).classification
        first = pd.read_parquet(self.processed / "employment.parquet", columns=["classification"])
        return str(first["classification"].iloc[0]) if len(first) else "custom"

    def titles(self) -> pd.Series:
        from pipeline.classifications.titles import industry_titles

        return industry_titles(self.classification(), Path(self.settings.classifications))

    def region_names(self) -> pd.Series:
        regions = self.read("regions.parquet")
        return pd.Series(regions["name"].astype(str).to_numpy(), index=regions["region_id"])

    def region_aliases(self) -> pd.Series | None:
        """Other names of the regions (``name_*`` columns, e.g. the Russian ``name_ru``)."""
        regions = self.read("regions.parquet")
        columns = [column for column in regions.columns if str(column).startswith("name_")]
        if not columns:
            return None
        return pd.concat(
            pd.Series(regions[column].to_numpy(), index=regions["region_id"]) for column in columns
        )

    def base_year(self) -> int | None:
        if self.dataset in self.settings.datasets:
            configured = self.settings.dataset(self.dataset).change_base_year
            return configured or self.settings.change.base_year
        return self.settings.change.base_year


def _print_json(payload) -> None:
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=_json_value))


def _json_value(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _records(table: pd.DataFrame) -> list[dict]:
    return table.astype(object).where(table.notna(), None).to_dict(orient="records")


def _cell(value, whole: bool = False) -> str:
    """A table cell: blanks for missing values, 'yes' for True, numbers rounded to be read
    (``whole``: counts of people or jobs, never with decimals)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:,.0f}" if whole or abs(value) >= 100 else f"{value:.2f}"
    return str(value)


SHORT_LABELS = {"industrial-production": "production", "technology": "tech"}  # tables only
LOW_CONFIDENCE_MARK = "?"  # after a label whose confidence is low (tables only)
WIDE_HEADERS = ("cluster", "industry", "name", "largest region")
WHOLE_HEADERS = ("empl.", "employment", "empl. +/-")
NAME_MIN_WIDTHS = (20, 16, 12, 8)  # characters kept for names, narrower until the table fits
NAME_RATIO = 4  # names take this many shares of the spare width, other columns one


def _print_table(title: str, table: pd.DataFrame, columns: dict[str, str]) -> None:
    """A rich table of ``table[columns]`` (column -> header) for people.

    The title is a plain line (rich crops the title of a table narrower than it); names
    wrap, and their minimum width shrinks until the table fits the terminal (80 columns
    when the output is not a terminal), so no column is ever cut off.
    """
    from rich.console import Console
    from rich.table import Table

    console = Console()
    shown = [column for column in columns if column in table.columns]
    cells = {
        column: [_cell(value, columns[column] in WHOLE_HEADERS) for value in table[column]]
        for column in shown
    }
    fixed = sum(  # columns that do not wrap: their header or widest cell
        max([len(columns[column]), *map(len, cells[column])])
        for column in shown
        if columns[column] not in WIDE_HEADERS
    )
    names = sum(columns[column] in WIDE_HEADERS for column in shown)
    borders = 3 * len(shown) + 1
    for min_width in NAME_MIN_WIDTHS:
        if fixed + names * min_width + borders <= console.width:
            break
    view = Table(show_lines=False)
    for column in shown:
        numeric = pd.api.types.is_numeric_dtype(table[column]) and table[column].dtype != bool
        wide = columns[column] in WIDE_HEADERS  # names wrap; codes and numbers do not
        view.add_column(
            columns[column],
            justify="right" if numeric else "left",
            min_width=min_width if wide else None,
            ratio=NAME_RATIO if wide else 1,
            overflow="fold",
        )
    for row in zip(*(cells[column] for column in shown), strict=True):
        view.add_row(*row)
    console.print(title, markup=False, highlight=False, soft_wrap=True)
    console.print(view)


def _marked_labels(table: pd.DataFrame) -> pd.Series:
    """Short labels, with LOW_CONFIDENCE_MARK where the label's confidence is low."""
    labels = table["label"].replace(SHORT_LABELS)
    if "label_confidence" in table.columns:
        low = table["label_confidence"].eq("low") & labels.notna()
        labels = labels.where(~low, labels.astype(str) + LOW_CONFIDENCE_MARK)
    return labels


def _group_line(group: dict, measure: str) -> str:
    """A region group (region_groups.parquet row) in one readable line."""
    parts = [f"region group {group.get('group_id', '?')}"]
    if group.get("group_regions") is not None:
        parts.append(f"{int(group['group_regions'])} regions")
    if group.get("group_employment") is not None:
        parts.append(f"{measure} {group['group_employment']:,.0f}")
    line = ": " + ", ".join(parts[1:]) if len(parts) > 1 else ""
    names = list(group.get("dominant_cluster_names") or [])
    lqs = list(group.get("dominant_cluster_lqs") or [])
    if names:
        listed = ", ".join(
            f"{name} (LQ {lq:.2f})" if lq is not None else str(name)
            for name, lq in zip(names, lqs + [None] * (len(names) - len(lqs)), strict=True)
        )
        line += f"; dominant clusters: {listed}"
    return parts[0] + line


def _resolve_region(tables: _Tables, query: str):
    from pipeline.lq_dataset import lq_dataset_path, read_quotients
    from pipeline.profiles import find_code

    quotients = read_quotients(lq_dataset_path(tables.processed))
    size = quotients.groupby("region_id")["region_employment"].max()
    names, aliases = tables.region_names(), tables.region_aliases()
    return find_code(query, names, "region", size, aliases), quotients


@app.command()
def show(
    region: Annotated[str, typer.Argument(help="Region code or name (e.g. 19820, 'Detroit').")],
    dataset: DatasetOption = "us_cbsa_2019",
    year: YearOption = None,
    as_json: JsonOption = False,
    top: TopOption = 10,
    min_employment: MinEmploymentOption = 100.0,
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """A region's profile: strongest clusters, most specialised industries, group, change."""
    from pipeline.profiles import region_profile

    tables = _Tables(dataset, data_root, params)
    match, quotients = _resolve_region(tables, region)
    strength = tables.read("cluster_strength.parquet")
    base_year = None
    if strength["year"].nunique() > 1:
        base_year = tables.base_year() or int(strength["year"].min())
    profile = region_profile(
        match.code,
        match.name,
        strength,
        quotients,
        tables.titles(),
        year=year,
        regional=tables.read("regional_clusters.parquet", optional=True),
        groups=tables.read("region_groups.parquet", optional=True),
        base_year=base_year,
        top=top,
        min_employment=min_employment,
    )
    if match.others:
        names = tables.region_names()
        also = "; ".join(f"{code} {names[code]}" for code in match.others[:5])
        profile.notes.append(f"'{region}' also matches: {also} (pass the code to pick one)")
    if as_json:
        _print_json(profile.to_dict())
        return
    total = f"{profile.total_employment:,.0f}" if profile.total_employment is not None else "?"
    measure = (
        tables.settings.dataset(dataset).measure
        if dataset in tables.settings.datasets
        else "employment"
    )
    typer.echo(f"{profile.region_name} ({profile.region_id}), {dataset} {profile.year}")
    typer.echo(f"total {measure}: {total}")
    if profile.group:
        typer.echo(_group_line(profile.group, measure))
    shown = profile.clusters.assign(
        stars=[
            f"{stars}{'*' if strong else ''}"
            for stars, strong in zip(
                profile.clusters["stars"], profile.clusters["strong"], strict=True
            )
        ]
    )
    if "label" in shown.columns:
        shown["label"] = _marked_labels(shown)
    change = f"LQ +/-: change since {profile.base_year}" if profile.base_year else ""
    _print_table(
        "Strongest clusters (* strong; then by stars and LQ; label of its regional cluster, "
        f"{LOW_CONFIDENCE_MARK} low confidence)" + (f"; {change}" if change else ""),
        shown,
        {
            "cluster_code": "code",
            "cluster_name": "cluster",
            "lq": "LQ",
            "employment": "empl.",
            "stars": "stars",
            "label": "label",
            "lq_change": "LQ +/-",
        },
    )
    _print_table(
        f"Most specialised industries (LQ, at least {min_employment:g} employed)",
        profile.industries,
        {
            "industry_code": "code",
            "industry_name": "industry",
            "lq": "LQ",
            "employment": "employment",
        },
    )
    for note in profile.notes:
        typer.echo(f"note: {note}")


def _resolve_cluster_or_industry(tables: _Tables, query: str, industry: bool):
    """('cluster' | 'industry', Match, cluster names) for a code or a name.

    Clusters are tried first (unless ``industry``): a cluster code, else a cluster name when
    the query is not all digits; then industry codes and titles of the dataset. When neither
    matches, the one-line error lists the closest cluster and industry names.
    """
    from pipeline.lq_dataset import lq_dataset_path, read_quotients
    from pipeline.profiles import find_code

    clusters = tables.read("industry_clusters.parquet")
    cluster_names = clusters.drop_duplicates("cluster_code").set_index("cluster_code")[
        "cluster_name"
    ]
    codes = read_quotients(lq_dataset_path(tables.processed), columns=["industry_code"])[
        "industry_code"
    ].unique()
    titles = tables.titles()
    titles = titles[titles.index.isin(codes)]
    untitled = pd.Index(codes).difference(titles.index)
    titles = pd.concat([titles, pd.Series(untitled.to_numpy(), index=untitled)])
    if not industry and (query in cluster_names.index or not query.strip().isdigit()):
        try:
            return "cluster", find_code(query, cluster_names, "cluster"), cluster_names
        except UserError:
            pass
    try:
        return "industry", find_code(query, titles, "industry"), cluster_names
    except UserError:
        if industry:
            raise
    labelled = pd.concat([cluster_names.rename(index=lambda code: f"cluster {code}"), titles])
    find_code(query, labelled, "cluster or industry")  # raises with the closest names
    raise UserError(f"no cluster or industry '{query}'")


@app.command()
def top(
    query: Annotated[
        str | None,
        typer.Argument(
            help="Cluster or industry: code or name (e.g. 4, 3364, 'aerospace'); "
            "omit it with --label.",
            show_default=False,
        ),
    ] = None,
    dataset: DatasetOption = "us_cbsa_2019",
    year: YearOption = None,
    as_json: JsonOption = False,
    count: TopOption = 10,
    min_employment: MinEmploymentOption = 100.0,
    industry: IndustryFlag = False,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            help="List the largest regional clusters with this label instead: technology "
            "(tech), industrial-production (production), other, or all.",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Rank by lq (specialisation) or employment (size); default lq for a "
            "cluster or industry, employment with --label.",
        ),
    ] = None,
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Leading regions of a cluster or an industry (highest LQ or employment), or with
    --label the largest regional clusters (e.g. `regclust top --label technology`)."""
    from pipeline.lq_dataset import lq_dataset_path, read_quotients
    from pipeline.profiles import leading_regions

    if query is not None and label is not None:
        raise UserError(
            "top: pass a cluster or industry, or --label for the largest regional clusters, "
            "not both"
        )
    if query is None and label is None:
        raise UserError(
            "top: pass a cluster or industry (code or name, e.g. 'regclust top aerospace'), "
            "or --label technology for the largest technology clusters"
        )
    tables = _Tables(dataset, data_root, params)
    if label is not None:
        _top_regional_clusters(tables, label, year, count, by or "employment", as_json)
        return
    by = by or "lq"
    kind, match, _ = _resolve_cluster_or_industry(tables, query, industry)
    table = (
        tables.read("cluster_strength.parquet")
        if kind == "cluster"
        else read_quotients(lq_dataset_path(tables.processed))
    )
    leaders = leading_regions(
        match.code,
        kind,
        table,
        tables.region_names(),
        year=year,
        top=count,
        min_employment=min_employment,
        order_by=by,
    )
    used_year = int(table["year"].max()) if year is None else year
    if as_json:
        _print_json(
            {
                "kind": kind,
                "code": match.code,
                "name": match.name,
                "year": used_year,
                "dataset": dataset,
                "order_by": by,
                "regions": _records(leaders),
            }
        )
        return
    leaders = leaders.assign(share=leaders["share"].map(lambda share: f"{share:.1%}"))
    if kind == "cluster":
        leaders["stars"] = [
            f"{stars}{'*' if strong else ''}"
            for stars, strong in zip(leaders["stars"], leaders["strong"], strict=True)
        ]
    _print_table(
        f"Leading regions of {kind} {match.code} {match.name}, {dataset} {used_year} "
        f"(by {'LQ' if by == 'lq' else 'employment'}, at least {min_employment:g} employed; "
        "share: of the national total" + ("; * strong)" if kind == "cluster" else ")"),
        leaders,
        {
            "rank": "#",
            "region_id": "region",
            "region_name": "name",
            "lq": "LQ",
            "employment": "employment",
            "share": "share",
            "stars": "stars",
        },
    )


def _top_regional_clusters(
    tables: _Tables, label: str, year: int | None, count: int, by: str, as_json: bool
) -> None:
    """`regclust top --label LABEL`: the largest regional clusters with that label."""
    from pipeline.profiles import label_name, largest_regional_clusters

    wanted = None if label.strip().lower() == "all" else label_name(label)
    regional = tables.read("regional_clusters.parquet")
    largest = largest_regional_clusters(
        regional,
        tables.region_names(),
        label=wanted,
        year=year,
        top=count,
        order_by=by,
        strength=tables.read("cluster_strength.parquet", optional=True),
    )
    used_year = int(regional["year"].max()) if year is None else year
    if as_json:
        _print_json(
            {
                "kind": "regional_clusters",
                "label": wanted,
                "year": used_year,
                "dataset": tables.dataset,
                "order_by": by,
                "clusters": _records(largest),
            }
        )
        return
    which = "every label" if wanted is None else wanted
    if largest.empty:
        typer.echo(f"no regional clusters labelled {which} in {tables.dataset} {used_year}")
        return
    from pipeline.maps import short_place_name

    first = largest["regions"].str.split("; ").str[0].map(short_place_name)  # Seattle, WA
    more = largest["n_regions"].astype(int) - 1
    largest = largest.assign(
        label=_marked_labels(largest),
        largest=[f"{name} +{n} more" if n else name for name, n in zip(first, more, strict=True)],
    )
    _print_table(
        f"Largest regional clusters ({which}), {tables.dataset} {used_year} "
        f"(by {'LQ' if by == 'lq' else 'employment'}; {LOW_CONFIDENCE_MARK} low label "
        "confidence; --json lists every region)",
        largest,
        {
            "rank": "#",
            "cluster_name": "cluster",
            "label": "label",
            "employment": "employment",
            "lq": "LQ",
            "max_stars": "stars",
            "largest": "largest region",
        },
    )


@app.command()
def related(
    query: Annotated[
        str, typer.Argument(help="Cluster (or, with --industry, industry): code or name.")
    ],
    dataset: DatasetOption = "us_cbsa_2019",
    as_json: JsonOption = False,
    count: TopOption = 10,
    industry: IndustryFlag = False,
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Related clusters (US Cluster Mapping) or related industries (relatedness table)."""
    from pipeline.profiles import related_clusters, related_industries

    tables = _Tables(dataset, data_root, params)
    kind, match, cluster_names = _resolve_cluster_or_industry(tables, query, industry)
    relatedness = tables.read("industry_relatedness.parquet", optional=True)
    if kind == "industry":
        if relatedness is None:
            raise UserError(
                f"industry {match.code}: no industry relatedness table for {dataset} "
                f"({tables.processed / 'industry_relatedness.parquet'} does not exist); "
                "`regclust related` on a cluster uses the US Cluster Mapping related clusters"
            )
        result = related_industries(match.code, relatedness, tables.titles(), count)
        source = "industry_relatedness.parquet"
    else:
        from pipeline.classifications.tables import RELATED_CLUSTERS_FILE

        path = Path(tables.settings.classifications) / RELATED_CLUSTERS_FILE
        if tables.classification() not in ("naics2017", "naics2012") or not path.exists():
            raise UserError(
                f"cluster {match.code} {match.name}: no cluster relatedness exists for "
                f"{dataset} (related clusters are published for the US benchmark clusters only)"
            )
        table = pd.read_csv(path, dtype={"cluster_code": str, "related_cluster_code": str})
        result = related_clusters(match.code, table, cluster_names).head(count)
        source = "US Cluster Mapping related clusters (Delgado, Porter & Stern 2016)"
    if as_json:
        _print_json(
            {
                "kind": kind,
                "code": match.code,
                "name": match.name,
                "source": source,
                "related": _records(result),
            }  # fmt: skip
        )
        return
    if result.empty:
        hint = ""
        if kind == "industry":
            covered = pd.Index(relatedness["industry_code"].astype(str).unique())
            finer = sorted(covered[covered.str.startswith(match.code)])
            levels = sorted({len(code) for code in covered})
            hint = (
                f"; it relates {len(covered):,} industries of {'/'.join(map(str, levels))} digits"
            )
            if finer:
                more = f" (+{len(finer) - 6} more)" if len(finer) > 6 else ""
                hint += f"; those within {match.code}: {', '.join(finer[:6])}{more}"
        typer.echo(f"{kind} {match.code} {match.name}: no related {kind} listed in {source}{hint}")
        return
    _print_table(
        f"Related to {kind} {match.code} {match.name} ({source})",
        result,
        {
            "related_cluster_code": "code",
            "related_cluster_name": "cluster",
            "related_code": "code",
            "related_name": "industry",
            "related_percentage": "percentile",
            "related_avg": "mean relatedness",
            "related_90": "top decile",
            "combined": "relatedness",
        },
    )


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Input warnings print as one line, like errors."""
    print(f"regclust: warning: {message}", file=sys.stderr)


USAGE_ERRORS = (click.exceptions.UsageError, typer_click_exceptions.UsageError)
CLICK_ERRORS = (click.exceptions.ClickException, typer_click_exceptions.ClickException)
NO_ARGS = (click.exceptions.NoArgsIsHelpError, typer_click_exceptions.NoArgsIsHelpError)
ABORTS = (click.exceptions.Abort, typer.Abort)


PYDANTIC_WORDING = {  # typer's validation message -> said of the value typed
    "Input should be a valid integer, unable to parse string as an integer": "is not a whole number",
    "Input should be a valid number, unable to parse string as a number": "is not a number",
}


def _with_typed_value(message: str, error: Exception, arguments: list[str]) -> str:
    """Name the value the user typed in typer's "Input should be ..." messages.

    ``Invalid value for '--year': Input should be a valid integer, ...`` becomes
    ``Invalid value for '--year': 'abc' is not a whole number``.
    """
    detail = getattr(error, "message", "")
    options = getattr(getattr(error, "param", None), "opts", None) or []
    if not detail.startswith("Input should be") or detail not in message:
        return message
    typed = None
    for position, word in enumerate(arguments):
        name, equals, value = word.partition("=")
        if name in options:  # --year abc, --year=abc
            typed = value if equals else next(iter(arguments[position + 1 :]), None)
        elif any(len(option) == 2 and word.startswith(option) for option in options):
            typed = word[2:]  # -n0
    if typed is None:
        return message
    wording = PYDANTIC_WORDING.get(detail, detail.replace("Input should", "should", 1))
    return message.replace(detail, f"'{typed}' {wording}")


def usage_message(error: Exception, arguments: list[str] | None = None) -> str:
    """One line for a usage error: what is wrong, a 'did you mean', and where help is.

    ``arguments`` (the command line) names the command in the help hint when the error
    carries no context (e.g. an option missing its value).
    """
    message = error.format_message() if hasattr(error, "format_message") else str(error)
    message = " ".join(message.split())
    message = _with_typed_value(message, error, arguments or [])
    context = getattr(error, "ctx", None)
    command = getattr(context, "command", None)
    commands = getattr(command, "commands", None)
    if message.startswith("No such command") and commands and "did you mean" not in message.lower():
        typed = message.split("'")[1] if "'" in message else ""
        close = difflib.get_close_matches(typed, list(commands), n=1, cutoff=0.5)
        if close:
            message = message.rstrip(".") + f"; did you mean '{close[0]}'?"
        else:
            message = message.rstrip(".") + f"; commands: {', '.join(sorted(commands))}"
    possibilities = getattr(error, "possibilities", None)
    if possibilities:
        option = getattr(error, "option_name", "")
        close = difflib.get_close_matches(option, list(possibilities), n=1, cutoff=0.5)
        base = getattr(error, "message", message)
        message = f"{base}; did you mean {close[0]}?" if close else message
    path = getattr(context, "command_path", None)
    if not path:
        known = typer.main.get_command(app).commands if arguments else {}
        named = next((word for word in arguments or [] if word in known), None)
        path = f"regclust {named}" if named else "regclust"
    return f"{message} (see '{path} --help')"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``regclust`` console script; returns the exit status.

    0 success; 2 a user error or a usage error (one line on stderr, never a traceback;
    ``--debug`` adds the traceback of a user error); 1 an unexpected failure (traceback;
    one line for a full disk); 130 interrupted.
    """
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    warnings.showwarning = _one_line_warning
    arguments = list(argv if argv is not None else sys.argv[1:])
    debug = "--debug" in arguments
    try:
        result = app(args=arguments, standalone_mode=False, prog_name="regclust")
    except UserError as error:
        if debug:
            traceback.print_exc()
        print(f"regclust: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("regclust: interrupted; outputs already written are intact", file=sys.stderr)
        return 130
    except NO_ARGS as error:  # bare `regclust` (or a group without its command): help
        context = getattr(error, "ctx", None)
        typer.echo(context.get_help() if context is not None else "regclust --help")
        return 0
    except USAGE_ERRORS as error:
        print(f"regclust: error: {usage_message(error, arguments)}", file=sys.stderr)
        return 2
    except CLICK_ERRORS as error:  # e.g. a file option that cannot be opened
        print(f"regclust: error: {usage_message(error, arguments)}", file=sys.stderr)
        return 2
    except ABORTS:
        print("regclust: aborted", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk is no bug of regclust: one line, like a user error
        if debug or error.errno != errno.ENOSPC:
            raise
        where = f" ({error.filename})" if error.filename else ""
        print(f"regclust: error: no space left on the device{where}; free some", file=sys.stderr)
        return 1
    except (typer.Exit, click.exceptions.Exit, SystemExit) as stop:
        return int(getattr(stop, "exit_code", getattr(stop, "code", 0)) or 0)
    return result if isinstance(result, int) else 0


def entry_point() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
