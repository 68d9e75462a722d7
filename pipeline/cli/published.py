"""The published tables of one dataset, read on demand by the question commands
(``show``, ``top``, ``related``)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from pipeline.config import load_settings, project_settings
from pipeline.errors import UserError

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
        self.processed = data_root / "processed" / dataset  # as pipeline.stages.common.Layout
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
        self._read: dict[str, pd.DataFrame] = {}

    def read(self, name: str, optional: bool = False) -> pd.DataFrame | None:
        """A published table, read once per command (a shallow copy each time: under
        pandas' copy-on-write a caller's changes never reach the next caller)."""
        if name not in self._read:
            path = self.processed / name
            if not path.exists():
                if optional:
                    return None
                raise UserError(f"{path}: not found; run the pipeline first (dvc repro)")
            if name in ("regions.parquet", "regional_clusters.parquet"):
                import geopandas as gpd

                self._read[name] = gpd.read_parquet(path)
            else:
                self._read[name] = pd.read_parquet(path)
        return self._read[name].copy(deep=False)

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
