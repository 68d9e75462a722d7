"""Change over time: location-quotient trajectories and strong-cluster entries and exits.

Pure functions of multi-year tables (a region x industry x year LQ table, a region x
cluster x year strength table). They classify change by the LQ alone, without a shift-share
decomposition, in the way of the cluster "growth matrix" (bubble chart) of US cluster
practice: the end-year LQ on one axis, the change in LQ on the other, employment as the
bubble (Purdue Center for Regional Development, Indiana Business Research Center &
Strategic Development Group 2007, *Unlocking Rural Competitiveness: The Role of Regional
Clusters*, report to the US EDA; a regional adaptation of the BCG growth-share matrix,
Henderson 1970).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.errors import UserError

LQ_CLASSES = (
    "emerging",
    "declining",
    "specialised-rising",
    "specialised-stable",
    "specialised-falling",
    "unspecialised-rising",
    "unspecialised-stable",
    "unspecialised-falling",
    "not-comparable",
)

TRANSITIONS = ("entry", "exit", "persistent")

CHANGE_KEYS = ["region_id", "industry_code"]
LQ_CHANGE_COLUMNS = [
    "region_id", "industry_code", "industry_level", "base_year", "end_year", "published",
    "lq_base", "lq_end", "lq_change", "employment_base", "employment_end",
    "employment_change", "employment_cagr", "lq_class",
]  # fmt: skip


def _pick_years(years: pd.Series, base_year: int | None, end_year: int | None) -> tuple[int, int]:
    available = sorted(int(year) for year in pd.unique(years))
    if not available:
        raise UserError("location_quotients: the table is empty; run the measure stage first")
    base = available[0] if base_year is None else int(base_year)
    end = available[-1] if end_year is None else int(end_year)
    for label, year in (("base_year", base), ("end_year", end)):
        if year not in available:
            raise UserError(
                f"location_quotients: {label} {year} is not in the table (years: "
                f"{', '.join(map(str, available))}); pick one of those"
            )
    if base >= end:
        raise UserError(
            f"location_quotients: base_year {base} must be before end_year {end}; swap or change them"
        )
    return base, end


def compound_annual_growth(start: np.ndarray, end: np.ndarray, years: float) -> np.ndarray:
    """Compound annual growth rate ``(end / start) ** (1 / years) - 1``.

    NaN where ``start`` is zero or missing, or ``end`` is missing. ``end == 0`` gives -1
    (everything lost).

    Examples
    --------
    >>> round(float(compound_annual_growth(np.array([100.0]), np.array([121.0]), 2)[0]), 12)
    0.1
    """
    start = np.asarray(start, dtype=float)
    end = np.asarray(end, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.power(end / start, 1.0 / years) - 1.0
    return np.where(start > 0, growth, np.nan)


def classify_lq_change(
    lq_base: np.ndarray | pd.Series,
    lq_end: np.ndarray | pd.Series,
    specialisation_lq: float,
    stable_tolerance: float,
) -> np.ndarray:
    """Label each LQ trajectory from ``lq_base`` to ``lq_end`` (see :data:`LQ_CLASSES`).

    Parameters
    ----------
    lq_base, lq_end : array-like
        LQ in the base and the end year; NaN where it is unknown.
    specialisation_lq : float
        The LQ at and above which a region counts as specialised (1.0: the region's share
        of the industry equals its share of all employment).
    stable_tolerance : float
        Relative LQ change ``|lq_end / lq_base - 1|`` treated as no change (params
        ``change.stable_tolerance``; 0.05 there, the upper bound of CBP's "medium" noise band (2-5 %; Census Bureau, CBP
        noise flags G/H/J), so smaller moves may be noise alone).

    Returns
    -------
    ndarray of str
        With t = ``specialisation_lq``, *rising* = relative change above the tolerance and
        *falling* = below minus the tolerance:

        * 'emerging': rising and ``lq_base < t <= lq_end`` (rises through t);
        * 'declining': falling and ``lq_base >= t > lq_end`` (falls through t);
        * 'specialised-rising' / '-falling': ``lq_end >= t`` otherwise, by direction;
        * 'unspecialised-rising' / '-falling': ``lq_end < t`` otherwise, by direction;
        * 'specialised-stable' / 'unspecialised-stable': within the tolerance, by the side
          of t the end year is on (a move through t within the tolerance is not a crossing);
        * 'not-comparable': either LQ is NaN.

    Notes
    -----
    In the growth matrix of Purdue CRD / IBRC (2007), whose quadrants are the end-year LQ
    (above or below 1) by the sign of the LQ change, 'Stars' are 'emerging' plus
    'specialised-rising', 'Mature' is 'specialised-falling', their 'Emerging' is
    'unspecialised-rising', and 'Transforming' is 'declining' plus 'unspecialised-falling'.
    The crossings are split out because they are the transitions a cluster policy watches.
    A base LQ of 0 (a reported zero) and a positive end LQ count as rising.

    Examples
    --------
    >>> classify_lq_change([0.8, 1.2, 1.2, 0.99], [1.1, 0.9, 1.5, 1.01], 1.0, 0.05).tolist()
    ['emerging', 'declining', 'specialised-rising', 'specialised-stable']
    """
    base = np.asarray(lq_base, dtype=float)
    end = np.asarray(lq_end, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(base > 0, end / base - 1.0, np.where(end > 0, np.inf, 0.0))
    rising = relative > stable_tolerance
    falling = relative < -stable_tolerance
    specialised_end = end >= specialisation_lq
    specialised_base = base >= specialisation_lq
    # integer classes, then their names: string arithmetic per row is slow on millions
    direction = np.where(rising, 0, np.where(falling, 1, 2))
    classes = np.where(specialised_end, 0, 3) + direction
    classes = np.where(rising & ~specialised_base & specialised_end, 6, classes)
    classes = np.where(falling & specialised_base & ~specialised_end, 7, classes)
    classes = np.where(np.isnan(base) | np.isnan(end), 8, classes)
    return _CLASS_NAMES[classes]


_CLASS_NAMES = np.array(
    [
        "specialised-rising",
        "specialised-falling",
        "specialised-stable",
        "unspecialised-rising",
        "unspecialised-falling",
        "unspecialised-stable",
        "emerging",
        "declining",
        "not-comparable",
    ],
    dtype=object,
)


def lq_change(
    location_quotients: pd.DataFrame,
    base_year: int | None,
    end_year: int | None,
    specialisation_lq: float,
    stable_tolerance: float,
) -> pd.DataFrame:
    """LQ and employment change of every region x industry between two years.

    Parameters
    ----------
    location_quotients : DataFrame
        :func:`pipeline.measures.specialization.location_quotients` output (pandas) for
        several years: region_id, industry_code, industry_level, year, employment, lq.
    base_year, end_year : int or None
        The years compared; None: the first (last) year of the table.
    specialisation_lq, stable_tolerance : float
        Passed to :func:`classify_lq_change`.

    Returns
    -------
    DataFrame
        One row per region x industry published in either year: region_id,
        industry_code, industry_level, base_year, end_year, published ('both',
        'base_only', 'end_only'), lq_base, lq_end, lq_change (lq_end - lq_base),
        employment_base, employment_end, employment_change, employment_cagr
        (``(e_end / e_base) ** (1 / (end_year - base_year)) - 1``), lq_class.

    Notes
    -----
    A cell missing in one year is not a zero: CBP leaves out cells with fewer than three
    establishments and withholds others, so its LQ, employment change and CAGR are NaN and
    its class is 'not-comparable' (``published`` tells which year lacks it). LQs compare
    like with like only when both years use the same regions, since e_i and E are sums
    over the regions in the table.

    Examples
    --------
    A region whose LQ goes from 0.8 to 1.25 while its employment goes from 80 to 125
    over two years is 'emerging', with a CAGR of 25 %.
    """
    base, end = _pick_years(location_quotients["year"], base_year, end_year)
    columns = ["region_id", "industry_code", "industry_level", "employment", "lq"]
    year = location_quotients["year"].astype(int)
    at_base = location_quotients.loc[year == base, columns]
    at_end = location_quotients.loc[year == end, columns]
    for name, table in (("base", at_base), ("end", at_end)):
        if table.duplicated(CHANGE_KEYS).any():
            raise UserError(
                f"location_quotients: duplicate region_id x industry_code rows in the {name} "
                "year; pass one LQ table per dataset"
            )
    merged = at_base.merge(
        at_end, on=CHANGE_KEYS, how="outer", suffixes=("_base", "_end"), indicator=True
    )
    published = merged["_merge"].map(
        {"both": "both", "left_only": "base_only", "right_only": "end_only"}
    )
    span = end - base
    change = pd.DataFrame(
        {
            "region_id": merged["region_id"].astype(str),
            "industry_code": merged["industry_code"].astype(str),
            "industry_level": merged["industry_level_base"]
            .fillna(merged["industry_level_end"])
            .astype("int8"),
            "base_year": np.int16(base),
            "end_year": np.int16(end),
            "published": published.astype(str),
            "lq_base": merged["lq_base"].astype(float),
            "lq_end": merged["lq_end"].astype(float),
        }
    )
    change["lq_change"] = change["lq_end"] - change["lq_base"]
    change["employment_base"] = merged["employment_base"].astype(float)
    change["employment_end"] = merged["employment_end"].astype(float)
    change["employment_change"] = change["employment_end"] - change["employment_base"]
    change["employment_cagr"] = compound_annual_growth(
        change["employment_base"].to_numpy(), change["employment_end"].to_numpy(), span
    )
    change["lq_class"] = pd.Series(
        classify_lq_change(
            change["lq_base"], change["lq_end"], specialisation_lq, stable_tolerance
        ),
        index=change.index,
        dtype=str,
    )
    return change.sort_values(CHANGE_KEYS, ignore_index=True)


def strong_cluster_transitions(
    cluster_strength: pd.DataFrame, flag: str = "strong"
) -> pd.DataFrame:
    """Entries into, exits from and persistence in the strong-cluster set, year to year.

    Parameters
    ----------
    cluster_strength : DataFrame
        :func:`pipeline.clusters.strength.score_clusters` output for several years:
        region_id, cluster_code, year and the boolean ``flag`` column (cluster_name and
        cluster_type are carried along when present).
    flag : str
        The column that marks a notable pair ('strong' by default).

    Returns
    -------
    DataFrame
        One row per region x cluster x pair of consecutive years (year_from, year_to) in
        which the pair is flagged in at least one of the two years: region_id,
        cluster_code, [cluster_name, cluster_type,] year_from, year_to, strong_from,
        strong_to, transition ('entry': not flagged -> flagged; 'exit': flagged -> not
        flagged; 'persistent': flagged in both).

    Notes
    -----
    "Consecutive" means consecutive among the years in the table (2017 -> 2019 if 2018 is
    missing). A region x cluster row absent in a year (no published employment) counts as
    not flagged. The flag is the US Cluster Mapping strong-cluster rule (Delgado, Porter &
    Stern 2016; :mod:`pipeline.clusters.strength`); the transitions are the cells of a
    two-state transition table of that flag between consecutive years (the discrete
    distribution-dynamics view of Quah 1993, *Scand. J. Econ.* 95(4)). The rule is
    relative (percentiles per cluster and year), so with noisy data one-year flips near
    the cut-offs are common: read a single entry or exit with care.
    """
    needed = ["region_id", "cluster_code", "year", flag]
    missing = [column for column in needed if column not in cluster_strength.columns]
    if missing:
        raise UserError(
            f"cluster_strength: missing column(s) {', '.join(missing)}; pass score_clusters output"
        )
    keys = ["region_id", "cluster_code"]
    labels = [c for c in ("cluster_name", "cluster_type") if c in cluster_strength.columns]
    flagged = cluster_strength[needed].copy()
    flagged["year"] = flagged["year"].astype(int)
    flagged[flag] = flagged[flag].astype("boolean").fillna(False).astype(bool)
    if flagged.duplicated(["region_id", "cluster_code", "year"]).any():
        raise UserError("cluster_strength: duplicate region x cluster x year rows")
    years = sorted(flagged["year"].unique())
    steps = pd.DataFrame({"year_from": years[:-1], "year_to": years[1:]})
    strong = flagged.loc[flagged[flag], ["region_id", "cluster_code", "year"]]
    as_from = strong.merge(steps, left_on="year", right_on="year_from")
    as_to = strong.merge(steps, left_on="year", right_on="year_to")
    step_keys = keys + ["year_from", "year_to"]
    transitions = as_from[step_keys].merge(
        as_to[step_keys], on=step_keys, how="outer", indicator=True
    )
    transitions["strong_from"] = transitions["_merge"] != "right_only"
    transitions["strong_to"] = transitions["_merge"] != "left_only"
    transitions["transition"] = np.select(
        [
            transitions["strong_from"] & transitions["strong_to"],
            transitions["strong_to"],
        ],
        ["persistent", "entry"],
        default="exit",
    )
    transitions["transition"] = transitions["transition"].astype(str)
    if labels:
        names = cluster_strength[["cluster_code", *labels]].drop_duplicates("cluster_code")
        transitions = transitions.merge(names, on="cluster_code", how="left")
    transitions["year_from"] = transitions["year_from"].astype("int16")
    transitions["year_to"] = transitions["year_to"].astype("int16")
    columns = [*keys, *labels, "year_from", "year_to", "strong_from", "strong_to", "transition"]
    return transitions[columns].sort_values(
        ["year_from", "cluster_code", "region_id"], ignore_index=True
    )


def transition_counts(transitions: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Count entries, exits and persistent pairs per pair of years (optionally per group).

    Parameters
    ----------
    transitions : DataFrame
        :func:`strong_cluster_transitions` output.
    by : list of str, optional
        Extra grouping columns, e.g. ``["cluster_code"]`` or ``["cluster_type"]``.

    Returns
    -------
    DataFrame
        year_from, year_to, [by...], entries, exits, persistent, strong_from
        (= persistent + exits), strong_to (= persistent + entries), net (entries - exits)
        and churn = (entries + exits) / strong_from, the turnover relative to the
        base-year strong set (it can exceed 1; NaN when strong_from is 0).
    """
    keys = ["year_from", "year_to", *(by or [])]
    counts = (
        transitions.groupby([*keys, "transition"], observed=True)
        .size()
        .unstack("transition")
        .reindex(columns=list(TRANSITIONS), fill_value=0)
        .fillna(0)
        .astype("int64")
        .rename(columns={"entry": "entries", "exit": "exits"})
        .reset_index()
    )
    counts.columns.name = None
    counts["strong_from"] = counts["persistent"] + counts["exits"]
    counts["strong_to"] = counts["persistent"] + counts["entries"]
    counts["net"] = counts["entries"] - counts["exits"]
    counts["churn"] = (counts["entries"] + counts["exits"]) / counts["strong_from"].where(
        counts["strong_from"] > 0
    )
    return counts.sort_values(keys, ignore_index=True)
