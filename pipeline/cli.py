"""The ``regclust`` command line: one command per DVC stage.

User errors print one line and exit with code 2 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from pipeline import stages
from pipeline.config import DatasetSettings, load_settings, settings_from_dict
from pipeline.errors import UserError

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

_debug = False


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    global _debug
    _debug = debug


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
        typer.Option("--classification", help="naics2017, naics2012, nace_r2, okved2 or custom."),
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
    """Check a region x industry table (and its boundaries): summary, problems; exit 0 when usable."""
    from pipeline.validate import validate as check

    settings = load_settings(params) if params.exists() else settings_from_dict({})
    report = check(
        employment,
        regions,
        classification,
        hierarchy,
        id_field=region_id_field,
        classifications_dir=Path(settings.classifications),
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
    settings = load_settings(params) if params.exists() else settings_from_dict({})
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
    layout = stages.Layout(processed=out, interim=out / "interim")
    stages.run_ingest(settings, "user", layout)
    stages.run_measure(settings, "user", layout, scheduler)
    stages.run_cluster(settings, "user", layout)
    stages.run_spatial(settings, "user", layout, scheduler)
    stages.run_label(settings, "user", layout)
    stages.run_publish(settings, "user", layout)
    typer.echo(f"regclust: published tables in {out} (see {out / 'data_dictionary.md'})")


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
    dataset to params.yaml (source cbp_county_file for CBP county files).
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


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Input warnings print as one line, like errors."""
    print(f"regclust: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``regclust`` console script."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    warnings.showwarning = _one_line_warning
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        app(args=argv, standalone_mode=False)
    except UserError as error:
        if debug:
            traceback.print_exc()
        print(f"regclust: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("regclust: interrupted; outputs already written are intact", file=sys.stderr)
        return 130
    except (typer.Exit, SystemExit) as stop:
        return int(getattr(stop, "exit_code", getattr(stop, "code", 0)) or 0)
    except Exception as error:  # click usage errors come through here in non-standalone mode
        import click

        if isinstance(error, click.exceptions.ClickException):
            error.show()
            return 2
        raise
    return 0


def entry_point() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
