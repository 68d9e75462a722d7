"""The ``regclust`` typer app, its global options (--debug, --version) and the options
every command shares (--dataset, --params, --data-root, --scheduler).

The commands are registered by the modules that define them, imported by
:mod:`pipeline.cli` (in the order ``regclust --help`` lists them).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer

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
