"""Atomic writers, the data dictionary and the run metrics.

Every output is written to a temporary file in the destination folder, flushed to disk and
renamed over the target (``os.replace`` is atomic on POSIX), so an interrupted or failed
stage leaves the previous output intact and no partial file behind. A temporary left by a
killed writer is hidden (``.<name>.<random>.tmp``) and removed by the next write into that
folder once it is an hour old.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import tables
from pipeline.atomic_cleanup import remove_stale_temporaries

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(target: str | Path):
    """Yield a temporary path beside ``target``; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A writer killed mid-write (SIGKILL) cannot remove its temporary: clear old ones here.
    remove_stale_temporaries(target.parent)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(handle)
    try:
        yield Path(temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; published files are readable
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write(target: str | Path, writer: Callable[[Path], Any]) -> Path:
    with atomic_path(target) as temporary:
        writer(temporary)
    return Path(target)


def described(
    arrow: pa.Table, table_name: str, metadata: Mapping[str, str] | None = None
) -> pa.Table:
    """``arrow`` with its schema's description and unit in each field's metadata.

    Any Arrow reader (pyarrow, DuckDB, R arrow, Spark) then shows what a column holds:
    ``pq.read_schema(path).field("lq").metadata[b"description"]``. The table's own
    description goes into the schema metadata under ``regclust.description``, each entry of
    ``metadata`` (dataset, measure, unit, classification, source, licence ...) under
    ``regclust.<key>``, and the params values the descriptions cite under
    ``regclust.params.<key>`` (``metadata``'s ``params.*`` entries,
    :func:`pipeline.tables.params_context`).
    """
    metadata = dict(metadata or {})
    schema = tables.schema_of(table_name)
    columns = schema.columns if schema is not None else {}
    cited: set[str] = set()
    fields = []
    for field in arrow.schema:
        meta = dict(field.metadata or {})
        if field.name in columns:
            column = columns[field.name]
            meta[b"description"] = tables.render(column.description or "", metadata).encode()
            cited.update(tables.referenced_params(column.description or ""))
            meta[b"unit"] = tables.unit_of(column, metadata).encode()  # "" for text, flags
        fields.append(field.with_metadata(meta))
    schema_meta = dict(arrow.schema.metadata or {})
    if schema is not None and schema.description:
        schema_meta[b"regclust.description"] = tables.render(schema.description, metadata).encode()
        cited.update(tables.referenced_params(schema.description))
    for key, value in metadata.items():
        if key.startswith("params."):
            if key.removeprefix("params.") not in cited:
                continue
        if value:
            schema_meta[f"regclust.{key}".encode()] = str(value).encode()
    return arrow.cast(pa.schema(fields, metadata=schema_meta))


def _write_described(
    arrow: pa.Table, path: Path, table_name: str, metadata: Mapping[str, str] | None = None
) -> None:
    pq.write_table(described(arrow, table_name, metadata), path, compression="zstd")


def write_table(
    table: pd.DataFrame,
    target: str | Path,
    row_group_by: str | None = None,
    metadata: Mapping[str, str] | None = None,
    name: str | None = None,
) -> Path:
    """Validate and write a plain Parquet table atomically (zstd, no pandas index), described.

    ``name`` is the table's entry in :data:`pipeline.tables.TABLES` (default: the target's
    file name); the table is checked against that schema first
    (:func:`pipeline.tables.validate_table`: a failure is a one-line UserError and nothing
    is written) and its columns described from it. ``metadata`` (dataset, measure, unit,
    classification, source, licence, ``params.*``) goes into the schema metadata as
    ``regclust.<key>`` (see :func:`described`).

    With ``row_group_by`` (e.g. ``"year"``), each value of that column gets its own row
    groups, so that a reader of one year reads only that year's groups (their footer
    statistics say which).
    """
    name = name or Path(target).name
    table = tables.validate_table(table, name)
    if row_group_by is not None and len(table):
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        with _table_writer(target, arrow.schema, metadata, name, validate=False) as write:
            keys = arrow.column(row_group_by)
            for value in pc.unique(keys).sort().to_pylist():
                write(arrow.filter(pc.equal(keys, value)))
        return Path(target)
    return _write(
        target,
        lambda path: _write_described(
            pa.Table.from_pandas(table, preserve_index=False), path, name, metadata
        ),
    )


def table_writer(
    target: str | Path,
    schema: pa.Schema,
    metadata: Mapping[str, str] | None = None,
    name: str | None = None,
):
    """Write a Parquet table atomically in pieces: yield ``write(arrow_table)``.

    Each call adds one row group (e.g. one year), so the whole table is never in memory;
    the file appears under ``target`` only when the ``with`` block ends without error.
    Each piece is validated and the columns described as in :func:`write_table`.
    """
    return _table_writer(target, schema, metadata, name or Path(target).name, validate=True)


@contextmanager
def _table_writer(
    target: str | Path,
    schema: pa.Schema,
    metadata: Mapping[str, str] | None,
    name: str,
    validate: bool,
):
    schema = described(schema.empty_table(), name, metadata).schema

    def write(arrow: pa.Table) -> None:
        if validate:
            tables.validate_table(arrow.to_pandas(), name)
        writer.write_table(arrow.cast(schema))

    with (
        atomic_path(target) as temporary,
        pq.ParquetWriter(temporary, schema, compression="zstd") as writer,
    ):
        yield write


def write_geotable(
    table: gpd.GeoDataFrame,
    target: str | Path,
    metadata: Mapping[str, str] | None = None,
    name: str | None = None,
) -> Path:
    """Validate and write a GeoParquet table atomically; the CRS travels in the ``geo`` metadata.

    Empty geometries (e.g. the union of members without a boundary) are written as nulls:
    no geometry is null, not an empty GeometryCollection. Validated and described as in
    :func:`write_table`.
    """
    name = name or Path(target).name
    table = table.copy()
    if len(table) and table.geometry.name in table:
        empty = table.geometry.is_empty
        table.loc[empty, table.geometry.name] = None
    table = tables.validate_table(table, name)

    def writer(path: Path) -> None:
        table.to_parquet(path, index=False, compression="zstd")
        _write_described(pq.read_table(path), path, name, metadata)

    return _write(target, writer)


def write_text(text: str, target: str | Path) -> Path:
    """Write a UTF-8 text file atomically."""
    return _write(target, lambda path: path.write_text(text, encoding="utf-8"))


def write_json(payload: Any, target: str | Path) -> Path:
    """Write JSON atomically (sorted keys, two-space indent)."""
    return write_text(
        json.dumps(payload, indent=2, sort_keys=True, default=_json_default) + "\n", target
    )


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def data_dictionary_markdown(
    dataset: str, about: Mapping[str, str] | None = None, processed: str | Path | None = None
) -> str:
    """The data dictionary of every published table, as Markdown, from :data:`pipeline.tables.
    TABLES`.

    ``about`` is the dataset's metadata (measure, unit, description, licence and the
    ``params.*`` values of :func:`pipeline.tables.params_context`): it fills the
    descriptions' templates. With ``processed`` (the dataset's folder), a table lists only the
    columns its written file has (e.g. no ``csa_code`` outside US metros).
    """
    about = dict(about or {})
    about.setdefault("dataset", dataset)
    measure = about.get("measure") or "employment"
    unit = about.get("unit") or "jobs"
    lines = [
        f"# Data dictionary: `data/processed/{dataset}/`",
        "",
    ]
    if about.get("dataset_description"):
        lines += [f"{about['dataset_description']}.", ""]
    lines += [
        f"In this dataset the `employment` columns hold **{measure}** ({unit}); every LQ and",
        "concentration measure is computed on that measure.",
        "",
    ]
    if about.get("licence"):
        lines += [f"Licence: {about['licence']}.", ""]
    lines += [
        "Written by `regclust publish` from the table schemas (`pipeline/tables.py`), which also",
        "validate every table as it is written. Parquet tables read with pandas/pyarrow;",
        "`*.parquet` with a geometry column are GeoParquet (read with `geopandas.read_parquet`).",
        "Every Parquet field carries its `description` and `unit` in the Arrow field metadata,",
        "and every file the dataset's `regclust.dataset`, `regclust.measure`, `regclust.unit`,",
        "`regclust.classification`, `regclust.source` and `regclust.licence`.",
        "",
    ]
    for name, schema in tables.TABLES.items():
        written = _written_columns(Path(processed) / name) if processed is not None else None
        heading = f"{name}/" if name == "location_quotients" else name
        lines += [f"## `{heading}`", "", tables.render(schema.description or "", about), ""]
        lines += ["| column | type | unit | meaning |", "|---|---|---|---|"]
        for column_name, column in schema.columns.items():
            if written is not None and column_name not in written:
                continue
            optional = "" if column.required else " (not in every dataset)"
            lines.append(
                f"| `{column_name}` | {_type_name(column)} | {tables.unit_of(column, about)} "
                f"| {tables.render(column.description or '', about)}{optional} |"
            )
        lines.append("")
    for name, description in tables.OTHER_OUTPUTS.items():
        lines += [f"## `{name}`", "", tables.render(description, about), ""]
    return "\n".join(lines)


def _written_columns(path: Path) -> set[str] | None:
    """The columns of a written table (None when it is not there)."""
    if path.is_dir():
        path = path / "_common_metadata"
    if not path.exists():
        return None
    return set(pq.read_schema(path).names)


def _type_name(column) -> str:
    dtype = str(column.dtype)
    if "string" in dtype or dtype == "str":
        return "string"
    return {"object": "list"}.get(dtype, dtype)


def run_metrics(
    panel: dict[str, Any],
    rows_location_quotients: int,
    industry_clusters: pd.DataFrame,
    cluster_strength: pd.DataFrame,
    regional: pd.DataFrame,
    regions: gpd.GeoDataFrame,
) -> dict[str, Any]:
    """Counts that summarise a run, for ``dvc metrics show``.

    ``panel`` is :class:`pipeline.panel_figures.PanelFigures` of the employment table
    (regions, industries, years, rows, unmapped share, cells by flag ...), gathered one year
    at a time by the publish stage; the rest come from the small published tables.
    """
    labels = regional["label"].value_counts().to_dict() if len(regional) else {}
    return {
        **panel,
        "regions_without_boundary": int(regions.geometry.isna().sum()),
        "rows_location_quotients": int(rows_location_quotients),
        "mapped_industries": int(industry_clusters["industry_code"].nunique()),
        "strong_pairs": int(cluster_strength["strong"].sum()),
        "pairs_with_2plus_stars": int((cluster_strength["stars"] >= 2).sum()),
        "regional_clusters": int(len(regional)),
        "regional_clusters_by_label": {
            label: int(labels.get(label, 0))
            for label in ("technology", "industrial-production", "other")
        },
    }


HEADLINE_KEYS = {
    "regions": "regions measured",
    "industries": "industry codes measured",
    "strong": "strong region x cluster pairs (latest year)",
    "clusters": "regional clusters",
    "tech": "regional clusters labelled technology",
    "prod": "regional clusters labelled industrial-production",
    "other": "regional clusters labelled other",
    "low_conf": "labels that flip when a label threshold moves (label_confidence low)",
    "ari": "adjusted Rand index of the derived industry clusters vs the benchmark",
    "groups": "region groups (Ward, contiguity-constrained, latest year)",
    "unmapped": "share of employment in codes no cluster holds",
    "imputed": "share of finest-level employment estimated (flag imputed)",
    "holdout": "median absolute percentage error of the unpublished-cell hold-out",
}
"""The short keys of metrics.json, so that ``dvc metrics show`` fits a wide terminal
(report.json holds every figure under its long name)."""


def headline_metrics(report: dict[str, Any]) -> dict[str, Any]:
    """The few figures ``dvc metrics show`` prints per dataset (:data:`HEADLINE_KEYS`).

    Flat, short keys, so ``dvc metrics show`` / ``diff`` stay readable (about 180
    characters wide with the path); a figure a dataset does not have is left out.
    """
    derived = report.get("industry_clusters", {}).get("partitions", {}).get("derived", {})
    groups = report.get("region_groups", {})
    imputed = report.get("imputed_employment_by_level", {})
    by_label = report.get("regional_clusters_by_label", {})
    values = {
        "regions": report.get("regions"),
        "industries": report.get("industries"),
        "strong": report.get("strong_pairs"),
        "clusters": report.get("regional_clusters"),
        "tech": by_label.get("technology"),
        "prod": by_label.get("industrial-production"),
        "other": by_label.get("other"),
        "low_conf": report.get("label_robustness", {}).get("low_confidence"),
        "ari": derived.get("ari"),
        "groups": groups[max(groups)].get("ward", {}).get("n_groups") if groups else None,
        "unmapped": report.get("unmapped_employment_share"),
        "imputed": imputed[max(imputed)].get("share") if imputed else None,
        "holdout": report.get("unpublished_holdout", {}).get("all", {}).get("median_ape"),
    }
    return {key: value for key, value in values.items() if value is not None}


def plot_tables(quotients: pd.DataFrame, strength: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Small CSV tables for ``dvc plots``: the LQ distribution and strong clusters per region.

    ``lq_distribution``: share of the finest-level cells of the latest year in LQ bins
    (log-spaced edges 0, 0.25, 0.5, ..., 16+); ``strong_per_region``: how many regions have
    0, 1, 2, ... strong traded clusters in the latest year.
    """
    year = int(quotients["year"].max())
    level = int(quotients["industry_level"].max())
    cells = quotients.loc[
        (quotients["year"] == year) & (quotients["industry_level"] == level), "lq"
    ].dropna()
    edges = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 8.0, 16.0, float("inf")]
    counts = pd.cut(cells, edges, right=False).value_counts(sort=False)
    lq_distribution = pd.DataFrame(
        {
            "lq_from": edges[:-1],
            "share_of_cells": (counts / max(len(cells), 1)).round(6).to_numpy(),
        }
    )
    latest = strength[(strength["year"] == strength["year"].max())]
    traded = latest[latest["cluster_type"] == "traded"]
    per_region = traded.groupby("region_id")["strong"].sum().astype(int)
    strong_per_region = (
        per_region.value_counts()
        .sort_index()
        .rename_axis("strong_clusters")
        .rename("regions")
        .reset_index()
    )
    return {"lq_distribution": lq_distribution, "strong_per_region": strong_per_region}
