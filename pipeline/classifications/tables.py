"""Where the classification tables live: one folder, named in params.yaml, and its file names.

Every code table of ``pipeline.classifications`` is a CSV in the folder that params.yaml names
under ``classifications`` (default ``data/raw/classifications``; provenance and licences in
``data/raw/README.md``). Stages and the CLI pass ``Settings.classifications``; a library call
given no folder reads the checkout's params.yaml through
:func:`pipeline.config.default_classifications_dir`. No module spells the folder out itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pipeline.config import default_classifications_dir
from pipeline.errors import UserError

CROSSWALK_FILE = "uscmp_cluster_naics_crosswalk.csv"  # NAICS -> benchmark cluster (USCMP)
CLUSTERS_FILE = "uscmp_clusters.csv"  # benchmark cluster codes and names
RELATED_CLUSTERS_FILE = "uscmp_related_clusters.csv"  # USCMP related-cluster pairs
CONCORDANCE_FILE = "naics_2017_to_2012.csv"  # NAICS 2017 -> 2012, changed codes only
NACE_SECTIONS_FILE = "nace_r2_sections.csv"  # NACE Rev. 2 sections and their divisions
EUROSTAT_DIVISIONS_FILE = "eurostat_nace_r2_tech_knowledge_intensity.csv"  # technology
TECHNOLOGY_LISTS_FILE = "hightech_naics_lists.csv"  # BLS / Brookings technology lists
TITLES_FILE = "industry_titles.csv"  # official industry titles


def tables_dir(directory: str | Path | None = None) -> Path:
    """The classification tables folder: ``directory``, or the one params.yaml names.

    Examples
    --------
    >>> tables_dir("elsewhere")
    PosixPath('elsewhere')
    >>> (tables_dir() / TITLES_FILE).exists()
    True
    """
    return Path(directory) if directory is not None else default_classifications_dir()


def table_path(name: str, directory: str | Path | None = None) -> Path:
    """Path of the table file ``name`` (one of the ``*_FILE`` names) in :func:`tables_dir`."""
    return tables_dir(directory) / name


def read_code_table(
    path: str | Path, columns: Iterable[str] = (), *, keep_default_na: bool = True
) -> pd.DataFrame:
    """Read one classification table, every column as text (codes keep their leading zeros).

    A missing file, or a missing one of ``columns``, is a one-line
    :class:`~pipeline.errors.UserError` naming the file. ``keep_default_na=False`` keeps
    empty cells as empty strings.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=keep_default_na)
    except FileNotFoundError as error:
        raise UserError(f"{path}: not found; restore it from git (data/raw is tracked)") from error
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}")
    return table
