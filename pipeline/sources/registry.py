"""Dataset sources: a name in params.yaml -> a reader of the raw folder.

A reader returns the three ingest products: the canonical employment table, the region
boundaries (GeoDataFrame, EPSG:4326; may be None when a dataset has none) and the
binary contiguity weights (focal, neighbor, weight).

Every official file ``regclust fetch`` downloads has a source that reads it
(:data:`FETCH_SOURCES`): a CBP complete county file (``cbp_county_file``), QCEW annual CSVs
(``qcew_files``) and a Eurostat dataset (``eurostat``); copy the download into the
dataset's raw folder and name the source in params.yaml.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pipeline.errors import UserError
from pipeline.sources.schema import IngestResult

# The readers are imported when a source is read, not with this module: the publish stage
# needs only source_metrics, and the readers pull in libpysal and the geography stack (~1 s).


def _need(raw: Path, name: str) -> Path:
    path = raw / name
    if not path.exists():
        raise UserError(f"{path}: not found; the dataset's raw folder must hold {name}")
    return path


def ingest_cbp_cbsa(raw: Path, *, estimate_unpublished: bool, **unpublished) -> IngestResult:
    """CBP 2019 metro/micro areas, with CBSA boundaries and contiguity from counties.

    ``estimate_unpublished`` and the ``unpublished_*`` options (params.yaml
    ``datasets.<name>.options``, required when estimating) go to
    :func:`pipeline.sources.us_cbp.read_cbp_cbsa`.
    """
    from pipeline.geography.contiguity import adjacency_graph, merged_contiguity, weights_table
    from pipeline.sources import cbsa_vintages, us_geography
    from pipeline.sources.us_cbp import read_cbp_cbsa

    employment = read_cbp_cbsa(
        _need(raw, "cbp2019_cbsa_naics.parquet"),
        estimate_unpublished_cells=estimate_unpublished,
        **unpublished,
    )
    counties = us_geography.read_county_geometry(_need(raw, "us_counties_2010_20m.geojson"))
    delineation = us_geography.read_delineation(_need(raw, "cbsa_county_delineation_2020.csv"))
    region_ids = pd.Index(employment["region_id"].unique())
    if (raw / cbsa_vintages.CODE_CHANGES_FILE).exists():  # old codes CBP still tabulates
        changes = cbsa_vintages.read_code_changes(raw / cbsa_vintages.CODE_CHANGES_FILE)
        delineation = cbsa_vintages.delineation_as_tabulated(delineation, changes, region_ids)
    regions = us_geography.cbsa_regions(region_ids, counties, delineation)
    adjacency = pd.read_csv(_need(raw, "county_adjacency_2023.csv"), dtype=str)
    county_to_region = delineation.rename(columns={"cbsa_code": "region_id"})[
        ["county_fips", "region_id"]
    ]
    known = regions.loc[regions.geometry.notna(), "region_id"]
    weights = weights_table(
        merged_contiguity(adjacency_graph(adjacency, counties), county_to_region, known)
    )
    return IngestResult(employment, regions, weights)


def ingest_generic_files(
    raw: Path,
    employment: str,
    regions: str | None = None,
    classification: str | None = None,
    hierarchy: str | None = None,
    id_field: str = "region_id",
) -> IngestResult:
    """A generic employment table and optional boundaries named by path (``regclust run``).

    A typed Parquet table is read one year at a time (:func:`stream_generic`): the result's
    employment is then an :class:`~pipeline.sources.generic.EmploymentYears`.
    """
    from pipeline.geography.boundaries import read_boundaries
    from pipeline.sources.generic import (
        ingest_generic,
        ingest_generic_years,
        read_generic,
        stream_generic,
    )

    hierarchy_path = Path(hierarchy) if hierarchy else None
    boundaries = read_boundaries(Path(regions), id_field) if regions else None
    years = stream_generic(Path(employment), classification, hierarchy_path)
    if years is not None:
        return ingest_generic_years(years, boundaries)
    table = read_generic(Path(employment), classification, hierarchy_path)
    return ingest_generic(table, boundaries)


def ingest_cbp_county_files(
    raw: Path,
    impute: bool = True,
    keep_statewide: bool = False,
    estimate_unpublished: bool = False,
    **unpublished,
) -> IngestResult:
    """Census CBP complete county files (``cbpYYco.txt`` or ``.zip``, one per year) in ``raw``.

    A source for a user's own dataset (``regclust fetch cbp-county``): its options are the
    file format's choices, with defaults. Withheld cells are imputed from size classes and
    parent residuals unless ``impute`` is false (they then stay null, flagged suppressed).
    With ``estimate_unpublished``, files from 2017 on (when CBP stopped publishing cells of
    fewer than 3 establishments) also get estimates for their absent cells
    (:func:`pipeline.sources.unpublished.estimate_unpublished`), with the thresholds of the
    then required options ``unpublished_weight``, ``unpublished_selection`` and
    ``max_unpublished_establishments`` (:func:`pipeline.sources.us_cbp.unpublished_keywords`).
    County boundaries and contiguity come
    from ``us_counties_2017_10m.topojson.json`` and ``county_adjacency_2023.csv`` in the same
    folder, as for the CBP county panel.
    """
    from pipeline.sources import us_counties
    from pipeline.sources.cbp_files import read_cbp_county_file
    from pipeline.sources.unpublished import UNPUBLISHED_FIRST_YEAR
    from pipeline.sources.unpublished import estimate_unpublished as estimate_unpublished_cells
    from pipeline.sources.us_cbp import unpublished_keywords
    from pipeline.sources.withheld_cbp import impute_suppressed

    keywords = unpublished_keywords(unpublished, estimate=estimate_unpublished)
    files = sorted(raw.glob("cbp??co.txt")) + sorted(raw.glob("cbp??co.zip"))
    if not files:
        raise UserError(
            f"{raw}: holds no cbpYYco.txt or cbpYYco.zip; download one with regclust fetch"
        )
    tables = []
    for path in files:
        county_file = read_cbp_county_file(path, keep_statewide=keep_statewide)
        employment = county_file.employment
        if impute:
            employment = impute_suppressed(
                employment, county_file.size_classes, county_file.employment_ranges
            )
        if estimate_unpublished and employment["year"].min() >= UNPUBLISHED_FIRST_YEAR:
            employment = estimate_unpublished_cells(employment, **keywords)
        tables.append(employment)
    employment = pd.concat(tables, ignore_index=True)
    boundaries = us_counties.read_county_boundaries(_need(raw, us_counties.BOUNDARY_FILE))
    names = boundaries[["county_fips", "name"]] if "name" in boundaries.columns else None
    if names is None:
        names = pd.DataFrame(
            {"county_fips": boundaries["county_fips"], "name": boundaries["county_fips"]}
        )
    names = names[names["county_fips"].isin(employment["region_id"])]
    regions = us_counties.county_regions(names, boundaries)
    adjacency = pd.read_csv(_need(raw, us_counties.ADJACENCY_FILE), dtype=str)
    weights = us_counties.county_contiguity(adjacency, boundaries, regions["region_id"])
    return IngestResult(employment, regions, weights)


# source name -> "module:function" of its reader (imported by :func:`reader`)
SOURCES: dict[str, str] = {
    "cbp_county_file": f"{__name__}:ingest_cbp_county_files",
    "generic": "pipeline.sources.generic:ingest_generic_folder",
    "generic_files": f"{__name__}:ingest_generic_files",
    "cbp_cbsa": f"{__name__}:ingest_cbp_cbsa",
    "qcew_states": "pipeline.sources.us_qcew:ingest_qcew_states",
    "cbp_counties": "pipeline.sources.us_counties:ingest_cbp_counties",
    "gb_bres": "pipeline.sources.gb_bres:ingest_gb_bres",
    "ru_rosstat": "pipeline.sources.ru_rosstat:ingest_ru_shipments",
    "qcew_files": "pipeline.sources.qcew_files:ingest_qcew_files",
    "eurostat": "pipeline.sources.eurostat:ingest_eurostat_files",
}


def reader(source: str) -> Callable[..., IngestResult]:
    """The reader registered for ``source`` (imported on first use)."""
    if source not in SOURCES:
        raise UserError(
            f"params.yaml: unknown dataset source '{source}'; known: {', '.join(sorted(SOURCES))}"
        )
    module, name = SOURCES[source].split(":")
    return getattr(importlib.import_module(module), name)


# `regclust fetch` kind -> the source that reads what it downloads (kind 'url' is any file).
FETCH_SOURCES = {"cbp-county": "cbp_county_file", "qcew": "qcew_files", "eurostat": "eurostat"}


def ingest(
    source: str, raw: Path, options: dict | None = None, classification: str | None = None
) -> IngestResult:
    """Run the reader registered for ``source`` on the raw folder.

    ``options`` (params.yaml ``datasets.<name>.options``) go to the reader as keywords, as
    they are: nothing is filled in here. A reader's required keyword-only arguments are the
    thresholds params.yaml must set (e.g. ``cbp_counties``: ``impute_withheld``,
    ``estimate_unpublished``, ``unpublished_*``); a missing or unknown option is a one-line
    UserError. The dataset's ``classification`` goes to readers that take one (the generic
    ones).
    """
    read = reader(source)
    keywords = dict(options or {})
    if classification and "classification" in inspect.signature(read).parameters:
        keywords.setdefault("classification", classification)
    try:
        inspect.signature(read).bind(Path(raw), **keywords)
        return read(Path(raw), **keywords)
    except TypeError as error:
        if "unexpected keyword" in str(error):
            raise UserError(
                f"params.yaml: dataset option not understood by source '{source}': {error}"
            ) from error
        if "missing" in str(error) and "required" in str(error):
            raise UserError(
                f"params.yaml: dataset option missing for source '{source}': {error}; "
                "set it in datasets.<name>.options"
            ) from error
        raise


def _qcew_agreement(raw: Path, location_quotients: pd.DataFrame) -> dict:
    from pipeline.sources.us_qcew import bls_lq_agreement, read_published_lq

    return {"bls_lq_agreement": bls_lq_agreement(location_quotients, read_published_lq(raw))}


# Checks against published figures that only some sources can make (metrics.json).
SOURCE_METRICS: dict[str, Callable[[Path, pd.DataFrame], dict]] = {
    "qcew_states": _qcew_agreement,
}


def _cbsa_holdout(raw: Path, options: dict, holdout) -> dict:
    from pipeline.sources.unpublished import holdout_unpublished
    from pipeline.sources.us_cbp import read_cbp_cbsa, unpublished_keywords

    published = read_cbp_cbsa(
        _need(Path(raw), "cbp2019_cbsa_naics.parquet"), estimate_unpublished_cells=False
    )
    unpublished = {name: value for name, value in options.items() if name != "estimate_unpublished"}
    table = holdout_unpublished(
        published,
        holdout.fraction,
        holdout.hide_max_establishments,
        holdout.seed,
        **unpublished_keywords(unpublished, estimate=True),
    )
    return {
        str(row.pop("industry_level")): {
            key: round(value, 4) if isinstance(value, float) else value
            for key, value in row.items()
        }
        for row in table.to_dict("records")
    }


# Hold-out checks of the unpublished-cell estimates, for sources that make them.
HOLDOUT_METRICS: dict[str, Callable[..., dict]] = {"cbp_cbsa": _cbsa_holdout}


def needs_quotients(source: str) -> bool:
    """Whether :func:`source_metrics` of ``source`` reads the LQ table."""
    return source in SOURCE_METRICS


def source_metrics(
    source: str,
    raw: Path,
    location_quotients: pd.DataFrame | None,
    employment: pd.DataFrame | None = None,
    options: dict | None = None,
    holdout=None,
) -> dict:
    """Source-specific validation metrics (e.g. agreement with BLS's published LQs).

    With ``employment``, also ``imputed_employment_by_level``
    (:func:`pipeline.sources.suppression.imputed_employment_by_level`) when it has imputed
    rows; with ``holdout`` (params ``imputation_holdout``) and a source whose unpublished
    cells are estimated (``options['estimate_unpublished']``), ``unpublished_holdout``: the
    error of :func:`pipeline.sources.unpublished.holdout_unpublished` by industry level.
    """
    check = SOURCE_METRICS.get(source)
    metrics = check(Path(raw), location_quotients) if check else {}
    if employment is not None and (employment["employment_flag"] == "imputed").any():
        from pipeline.sources.suppression import imputed_employment_by_level

        metrics["imputed_employment_by_level"] = imputed_employment_by_level(employment)
    options = dict(options or {})
    if holdout is not None and source in HOLDOUT_METRICS and options.get("estimate_unpublished"):
        metrics["unpublished_holdout"] = HOLDOUT_METRICS[source](Path(raw), options, holdout)
    return metrics
