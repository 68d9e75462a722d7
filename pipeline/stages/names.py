"""Region and industry names added to the published tables of the measure, cluster, spatial
and label stages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.classifications.titles import industry_titles
from pipeline.config import Settings
from pipeline.profiles import with_names
from pipeline.stages.common import Layout


def _names_for(settings: Settings, config, layout: Layout):
    """A function adding ``industry_name`` (official titles) and ``region_name`` (from
    regions.parquet) to a published table (:func:`pipeline.profiles.with_names`)."""
    titles = (
        industry_titles(config.classification, Path(settings.classifications))
        if config.classification != "custom"
        else pd.Series(dtype="str")
    )
    regions_path = layout.table("regions.parquet")
    region_names = None
    if regions_path.exists():
        regions = pd.read_parquet(regions_path, columns=["region_id", "name"])
        region_names = pd.Series(regions["name"].to_numpy(), index=regions["region_id"])
    return lambda table: with_names(table, titles, region_names)
