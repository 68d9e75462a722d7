"""Commands for your own data, outside DVC: ``validate`` a table, ``run`` every stage on it
(all or nothing into --out), ``fetch`` an official file into the download cache."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.app import ParamsOption, SchedulerOption, app
from pipeline.config import DatasetSettings, load_settings, project_settings
from pipeline.errors import UserError


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
    from pipeline.compute import release_memory, release_worker_memory, scheduler_address
    from pipeline.sources.typed_parquet import typed_columns

    if typed_columns(employment) is None:
        # A CSV (or untyped Parquet) is checked whole first; a typed Parquet file is checked
        # by ingest as it reads it, one year at a time (one pass over the file).
        from pipeline.validate import require_usable, validate

        with warnings.catch_warnings():  # the readers warn again during ingest
            warnings.simplefilter("ignore")
            require_usable(
                validate(
                    employment,
                    None,
                    classification,
                    hierarchy,
                    classifications_dir=Path(settings.classifications),
                    keep_table=False,
                )
            )
    from pipeline.stages import (
        cluster,
        ingest,
        label,
        measure,
        publish,
        region_groups,
        relate,
        spatial,
    )
    from pipeline.stages.common import Layout

    # Without an address the measure and spatial stages each start a LocalCluster and close
    # it at their end, so no idle worker holds a stage's memory during the next stage (the
    # measure workers kept 1.7 GB each through the cluster stage of a 37.5M-row panel).
    address = scheduler_address(settings.compute, scheduler)
    with _all_or_nothing(out) as building:
        layout = Layout(processed=building, interim=building / "interim")
        on_dask = {measure.run_measure, spatial.run_spatial}
        for run_stage in (
            ingest.run_ingest,
            relate.run_relate,
            measure.run_measure,
            cluster.run_cluster,
            spatial.run_spatial,
            label.run_label,
            region_groups.run_region_groups,
            publish.run_publish,
        ):
            if run_stage in on_dask:
                run_stage(settings, "user", layout, address)
                if address:
                    release_worker_memory(address)  # the workers idle until the next dask stage
            else:
                run_stage(settings, "user", layout)
            release_memory()  # each stage's frames are gone: give their heap back
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
