"""What every stage shares: where a dataset's tables live, the metadata stamped into them,
and the readers of earlier stages' tables (a missing table is a user error).

The stage modules (:mod:`pipeline.stages.ingest` ... :mod:`pipeline.stages.relate`) and the
CLI are the only code that touches disk; each DVC stage runs one of them through
``regclust <stage>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline import __version__, tables
from pipeline.config import Settings
from pipeline.errors import UserError


@dataclass(frozen=True)
class Layout:
    """Where a dataset's tables live."""

    processed: Path
    interim: Path

    @classmethod
    def for_dataset(cls, dataset: str, root: Path = Path("data")) -> Layout:
        return cls(processed=root / "processed" / dataset, interim=root / "interim" / dataset)

    def table(self, name: str) -> Path:
        return self.processed / name


def _about(settings: Settings, dataset: str) -> dict[str, str]:
    """Dataset-level metadata stamped into every published Parquet schema (``regclust.*``)."""
    config = settings.dataset(dataset)
    return {
        "dataset": dataset,
        "dataset_description": config.description,
        "classification": config.classification,
        "measure": config.measure,
        "unit": config.unit,
        "source": config.source,
        "licence": config.licence,
        "version": __version__,
        **tables.params_context(settings),  # the thresholds the column descriptions cite
    }


def _built(path: Path) -> Path:
    """``path``, a table an earlier stage writes; a one-line UserError when it is missing."""
    if not path.exists():
        raise UserError(f"{path}: not found; run the earlier stages first (dvc repro)")
    return path


def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(_built(path))


def _read_geo(path: Path) -> gpd.GeoDataFrame:
    return gpd.read_parquet(_built(path))


# employment columns the cluster and relate stages use
CLUSTER_COLUMNS = [
    "region_id", "industry_code", "industry_level", "year", "employment", "establishments",
]  # fmt: skip


def _read_columns(path: Path, columns: list[str], **options) -> pd.DataFrame:
    """Some columns of a table in file order (pyarrow ``filters`` read only some rows)."""
    return pd.read_parquet(_built(path), columns=columns, **options)
