"""One ``regclust <stage>`` command per DVC stage: ingest ... publish.

Each command imports only its own stage module (:mod:`pipeline.stages`), inside the
function, so a stage process loads only what that stage needs and ``regclust --help``,
``--version`` and usage errors load none of them.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.cli.app import DataOption, DatasetOption, ParamsOption, SchedulerOption, app
from pipeline.config import load_settings


def _layout(dataset: str, data_root: Path):
    """The dataset's folders under ``data_root`` (imported here, like the stages)."""
    from pipeline.stages.common import Layout

    return Layout.for_dataset(dataset, data_root)


@app.command()
def ingest(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Read the raw files: employment.parquet, regions.parquet (GeoParquet), spatial_weights.parquet."""
    from pipeline.stages import ingest as stage

    stage.run_ingest(load_settings(params), dataset, _layout(dataset, data_root))


@app.command()
def measure(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
    scheduler: SchedulerOption = None,
) -> None:
    """Location quotients (employment and establishments) on a dask.distributed cluster."""
    from pipeline.stages import measure as stage

    stage.run_measure(load_settings(params), dataset, _layout(dataset, data_root), scheduler)


@app.command()
def relate(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Industry relatedness (co-location, input-output, occupations) and derived clusters."""
    from pipeline.stages import relate as stage

    stage.run_relate(load_settings(params), dataset, _layout(dataset, data_root))


@app.command()
def maps(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Offline maps (HTML with Leaflet inlined, PNG), the atlas and a GeoPackage of the layers."""
    from pipeline.stages import maps as stage

    stage.run_maps(load_settings(params), dataset, _layout(dataset, data_root))


@app.command("region-groups")
def region_groups(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Contiguous groups of regions with a similar cluster mix (Ward with contiguity)."""
    from pipeline.stages import region_groups as stage

    stage.run_region_groups(load_settings(params), dataset, _layout(dataset, data_root))


@app.command()
def cluster(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Benchmark clusters, strong-cluster and star rules, contiguous regional clusters."""
    from pipeline.stages import cluster as stage

    stage.run_cluster(load_settings(params), dataset, _layout(dataset, data_root))


@app.command()
def spatial(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
    scheduler: SchedulerOption = None,
) -> None:
    """Local Moran (LISA quadrants) and Getis-Ord Gi* of every cluster's LQ, per year, on dask."""
    from pipeline.stages import spatial as stage

    stage.run_spatial(load_settings(params), dataset, _layout(dataset, data_root), scheduler)


@app.command()
def label(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Label each regional cluster technology / industrial-production / other, with its scores."""
    from pipeline.stages import label as stage

    stage.run_label(load_settings(params), dataset, _layout(dataset, data_root))


@app.command()
def publish(
    dataset: DatasetOption = "us_cbsa_2019",
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """metrics.json (dvc metrics) and the data dictionary of every published table."""
    from pipeline.stages import publish as stage

    stage.run_publish(load_settings(params), dataset, _layout(dataset, data_root))
