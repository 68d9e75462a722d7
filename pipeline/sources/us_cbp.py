"""US Census County Business Patterns (CBP) readers -> the canonical employment table.

Since 2017 CBP publishes no cell with fewer than 3 establishments: the metro (CBSA) extract
simply has no row for it. With ``estimate_unpublished`` the reader adds estimates for those
cells from their parents' residuals (:func:`pipeline.sources.suppression.estimate_unpublished`,
flag 'imputed'); ``measure.use_imputed: false`` leaves them out again.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.errors import UserError
from pipeline.sources.schema import TOTAL_CODE, canonical_employment, read_raw_parquet
from pipeline.sources.suppression import estimate_unpublished

CBSA_COLUMNS = ["year", "cbsa_code", "naics_code", "naics_level", "emp", "est"]


def naics_level(codes: pd.Series) -> pd.Series:
    """NAICS level of each code: 0 for the total '00', 2 for ranges such as '31-33', else digits.

    Examples
    --------
    >>> naics_level(pd.Series(["00", "31-33", "336", "336411"])).tolist()
    [0, 2, 3, 6]
    """
    codes = codes.astype(str)
    level = codes.str.len().where(~codes.str.contains("-", regex=False), 2)
    return level.where(codes != TOTAL_CODE, 0).astype("int8")


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
    path: Path,
    estimate_unpublished_cells: bool = False,
    unpublished_weight: str = "national_employment",
    unpublished_selection: str = "fewest_cells",
    max_unpublished_establishments: float = 2.0,
) -> pd.DataFrame:
    """Read the CBP CBSA Parquet extract and return the canonical employment table.

    Parameters
    ----------
    path : Path
        The extract (columns :data:`CBSA_COLUMNS`).
    estimate_unpublished_cells : bool
        Add estimates for the cells CBP does not publish (flag 'imputed'), see
        :func:`pipeline.sources.suppression.estimate_unpublished`.
    unpublished_weight, unpublished_selection, max_unpublished_establishments
        Its ``weight``, ``selection`` and ``max_establishments`` (params.yaml
        ``datasets.<name>.options``).
    """
    cbp = read_raw_parquet(path)
    try:
        employment = cbsa_employment(cbp)
        if estimate_unpublished_cells:
            employment = estimate_unpublished(
                employment,
                weight=unpublished_weight,
                selection=unpublished_selection,
                max_establishments=max_unpublished_establishments,
            )
        return employment
    except UserError as error:
        raise UserError(f"{path}: {error}") from error
