"""US Census County Business Patterns (CBP) readers -> the canonical employment table.

Since 2017 CBP publishes no cell with fewer than 3 establishments: the metro (CBSA) extract
simply has no row for it. With ``estimate_unpublished`` the reader adds estimates for those
cells from their parents' residuals (:func:`pipeline.sources.unpublished.estimate_unpublished`,
flag 'imputed'); ``measure.use_imputed: false`` leaves them out again.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.classifications.naics import naics_level
from pipeline.errors import UserError
from pipeline.sources.schema import canonical_employment, read_raw_parquet
from pipeline.sources.unpublished import estimate_unpublished

CBSA_COLUMNS = ["year", "cbsa_code", "naics_code", "naics_level", "emp", "est"]
# Dataset options (params.yaml ``datasets.<name>.options``) -> the keywords of
# :func:`pipeline.sources.unpublished.estimate_unpublished`; every one is required.
UNPUBLISHED_OPTIONS = {
    "unpublished_weight": "weight",
    "unpublished_selection": "selection",
    "max_unpublished_establishments": "max_establishments",
}


def unpublished_keywords(options: Mapping[str, Any], *, estimate: bool) -> dict[str, Any]:
    """The :func:`~pipeline.sources.unpublished.estimate_unpublished` keywords of the
    dataset options ``unpublished_weight``, ``unpublished_selection`` and
    ``max_unpublished_establishments``: all three when ``estimate``, none otherwise.

    Raises
    ------
    TypeError
        For any other option, or (when ``estimate``) a missing one, as a function given an
        unexpected keyword or called without a required one would (the registry reports it
        as a dataset option the source does not understand, or lacks).

    Examples
    --------
    >>> unpublished_keywords(
    ...     {
    ...         "unpublished_weight": "establishment_size",
    ...         "unpublished_selection": "fewest_cells",
    ...         "max_unpublished_establishments": 2,
    ...     },
    ...     estimate=True,
    ... )
    {'weight': 'establishment_size', 'selection': 'fewest_cells', 'max_establishments': 2}
    """
    unknown = sorted(set(options) - set(UNPUBLISHED_OPTIONS))
    if unknown:
        raise TypeError(f"got an unexpected keyword argument '{unknown[0]}'")
    if not estimate:
        return {}
    missing = [name for name in UNPUBLISHED_OPTIONS if name not in options]
    if missing:
        raise TypeError(
            f"missing required keyword argument(s): {', '.join(repr(name) for name in missing)}"
        )
    return {keyword: options[name] for name, keyword in UNPUBLISHED_OPTIONS.items()}


def cbsa_employment(cbp: pd.DataFrame) -> pd.DataFrame:
    """Turn the CBP metro/micro (CBSA) extract into the canonical employment table.

    Parameters
    ----------
    cbp : DataFrame
        Columns ``year, cbsa_code, naics_code, naics_level, emp, est`` as published by the
        Census CBP API (``naics_code`` '00' is the all-sector total; range sectors such as
        '31-33' are level 2).

    Returns
    -------
    DataFrame
        The canonical table: region_id (5-digit CBSA code), industry_code (NAICS 2017),
        industry_level (0 for the total), year, employment, establishments, classification.
    """
    missing = [column for column in CBSA_COLUMNS if column not in cbp.columns]
    if missing:
        raise UserError(
            f"CBP CBSA table: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(CBSA_COLUMNS)}"
        )
    industry_code = cbp["naics_code"].astype(str)
    # The level follows from the code: the extract marks range sectors (31-33) as level 5.
    industry_level = naics_level(industry_code)
    return canonical_employment(
        pd.DataFrame(
            {
                "region_id": cbp["cbsa_code"].astype(str).str.zfill(5),
                "industry_code": industry_code,
                "industry_level": industry_level,
                "year": cbp["year"],
                "employment": cbp["emp"].astype("float64"),
                "establishments": cbp["est"].astype("float64"),
                "classification": "naics2017",
            }
        )
    )


def read_cbp_cbsa(
    path: Path, *, estimate_unpublished_cells: bool, **unpublished: Any
) -> pd.DataFrame:
    """Read the CBP CBSA Parquet extract and return the canonical employment table.

    Parameters
    ----------
    path : Path
        The extract (columns :data:`CBSA_COLUMNS`).
    estimate_unpublished_cells : bool
        Add estimates for the cells CBP does not publish (flag 'imputed'), see
        :func:`pipeline.sources.unpublished.estimate_unpublished`.
    **unpublished
        ``unpublished_weight``, ``unpublished_selection``, ``max_unpublished_establishments``
        (params.yaml ``datasets.<name>.options``): its ``weight``, ``selection`` and
        ``max_establishments`` (:func:`unpublished_keywords`), all three required when
        ``estimate_unpublished_cells`` is true.
    """
    keywords = unpublished_keywords(unpublished, estimate=estimate_unpublished_cells)
    cbp = read_raw_parquet(path)
    try:
        employment = cbsa_employment(cbp)
        if estimate_unpublished_cells:
            employment = estimate_unpublished(employment, **keywords)
        return employment
    except UserError as error:
        raise UserError(f"{path}: {error}") from error
