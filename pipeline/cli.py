"""The ``regclust`` command line: one command per DVC stage.

User errors print one line and exit with code 2 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from pipeline import stages
from pipeline.config import load_settings
from pipeline.errors import UserError

app = typer.Typer(
    help=(
        "regclust finds regional industrial clusters in official statistics.\n\n"
        "Each command is one DVC stage and reads params.yaml; `dvc repro` runs them all in order:\n"
        "ingest -> measure -> cluster -> label -> publish. Outputs go to data/processed/<dataset>/."
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
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of a running dask scheduler (tcp://host:8786). Default: DASK_SCHEDULER_ADDRESS, "
            "then compute.scheduler in params.yaml, else a LocalCluster.",
        ),
    ] = None,
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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``regclust`` console script."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
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


def run() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())


if __name__ == "__main__":
    run()
