"""Answers to the questions users ask of the published tables, by code or by name.

* :func:`find_code` - a code or a (partial, misspelt) name -> the code; an unknown name raises
  :class:`~pipeline.errors.UserError` with the closest names (``difflib``).
* :func:`region_profile` - a region's total employment, strongest clusters (LQ, employment,
  stars, regional-cluster label and its scores), most specialised industries with titles,
  its region group and the change since the base year where the dataset is a panel.
* :func:`leading_regions` - the regions where a cluster or an industry is most concentrated.
* :func:`largest_regional_clusters` - the largest regional clusters, of one label (e.g. the
  largest technology clusters) or of all.
* :func:`related_clusters` - the clusters related to a cluster (US Cluster Mapping related
  clusters, Delgado, Porter & Stern 2016), or the industries related to an industry when an
  industry relatedness table exists.
* :func:`compare_definitions` - how the derived clusters split and join the benchmark ones.

Every function takes and returns DataFrames (the CLI reads the tables and formats the
results), so the same calls work in a notebook.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.clusters.labels import LABELS
from pipeline.errors import UserError

SUGGESTIONS = 5  # close names listed when a name is unknown
CLOSE_CUTOFF = 0.7  # difflib similarity needed to suggest a name


@dataclass(frozen=True)
class Match:
    """A resolved query: the code, its name, and other codes the query also matched."""

    code: str
    name: str
    others: tuple[str, ...] = ()


ABBREVIATIONS = {"saint": "st", "sainte": "ste"}  # as official names spell them (St. Louis)


def _normalised(text: str) -> str:
    """Lower case, accents and punctuation dropped, "saint" as "st".

    >>> _normalised("Cañon City, CO"), _normalised("Saint Louis")
    ('canon city co', 'st louis')
    """
    folded = unicodedata.normalize("NFKD", str(text).lower())
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    words = re.sub(r"[^\w]+", " ", folded).split()
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


def find_code(
    query: str,
    names: pd.Series,
    what: str,
    weight: pd.Series | None = None,
    aliases: pd.Series | None = None,
) -> Match:
    """Resolve ``query`` (a code or a name) among ``names`` (code -> name).

    Order of tests: the code itself; the whole name (case and punctuation ignored); names
    containing the query as whole words (e.g. "Detroit" in "Detroit-Warren-Dearborn, MI"),
    then as a part of a word. When several names match, the one with the largest ``weight``
    (e.g. employment) wins and the others are reported in ``Match.others``.

    Parameters
    ----------
    query : str
        What the user typed.
    names : Series
        Names indexed by code (str).
    what : str
        What the codes are ("region", "cluster", ...), for the error message.
    weight : Series, optional
        Tie-breaker indexed by code; larger first.
    aliases : Series, optional
        Other names of the codes, indexed by code (e.g. ``name_ru``, the Russian names of
        the Russian subjects); matched like ``names``, reported by their ``names`` entry.

    Returns
    -------
    Match

    Raises
    ------
    UserError
        No code or name matches; the message lists the closest names (difflib ratio
        >= ``CLOSE_CUTOFF``), or says that there are none.

    Examples
    --------
    >>> names = pd.Series({"19820": "Detroit-Warren-Dearborn, MI", "12060": "Atlanta, GA"})
    >>> find_code("detroit", names, "region").code
    '19820'
    """
    query = str(query).strip()
    codes = names.index.astype(str)
    names = pd.Series(names.astype(str).to_numpy(), index=codes)
    if query in names.index:
        return Match(query, names[query])
    wanted = _normalised(query)
    if not wanted:
        raise UserError(f"no {what} given; pass a {what} code or name")
    searched = names  # code -> every name it answers to (a code repeats with aliases)
    if aliases is not None:
        other = aliases.dropna().astype(str)
        other = pd.Series(other.to_numpy(), index=other.index.astype(str))
        searched = pd.concat([names, other[other.index.isin(codes) & (other != "")]])
    normalised = searched.map(_normalised)
    for matches in (
        normalised == wanted,
        normalised.str.contains(rf"\b{re.escape(wanted)}\b", regex=True),
        normalised.str.contains(wanted, regex=False),
    ):
        if matches.any():
            found = pd.Index(searched.index[matches.to_numpy()]).unique()
            if weight is not None:
                order = weight.reindex(found).fillna(-np.inf).sort_values(ascending=False)
                found = pd.Index(order.index)
            return Match(found[0], names[found[0]], tuple(found[1:]))
    raise UserError(_unknown_message(query, searched, what, names))


def _unknown_message(
    query: str, searched: pd.Series, what: str, names: pd.Series | None = None
) -> str:
    """One line: the query is unknown, and the closest names (or none).

    ``searched`` may repeat a code (its aliases); ``names`` (one per code) names the codes.
    """
    names = searched if names is None else names
    wanted = _normalised(query)
    scored: dict[str, float] = {}
    for code, name in searched.items():
        full = _normalised(name)
        parts = [full, *re.split(r"[ ,]+", full)]
        head = full.split(" ")[: len(wanted.split(" "))]
        parts.append(" ".join(head))
        score = max(difflib.SequenceMatcher(None, wanted, part).ratio() for part in parts)
        scored[code] = max(score, scored.get(code, 0.0))
    close = sorted(
        (code for code, score in scored.items() if score >= CLOSE_CUTOFF),
        key=lambda code: -scored[code],
    )[:SUGGESTIONS]
    if close:
        listed = "; ".join(f"{code} {names[code]}" for code in close)
        return f"no {what} '{query}'; did you mean: {listed}?"
    return f"no {what} '{query}' and no close name; pass a {what} code (see --help)"


def latest_year(table: pd.DataFrame, year: int | None) -> int:
    """``year`` if the table has it, the latest year when None; else a UserError."""
    years = sorted(int(value) for value in table["year"].unique())
    if not years:
        raise UserError("the table has no rows; run the pipeline first (dvc repro)")
    if year is None:
        return years[-1]
    if year not in years:
        listed = ", ".join(str(value) for value in years)
        raise UserError(f"--year {year}: not in the data; years: {listed}")
    return year


@dataclass
class RegionProfile:
    """What :func:`region_profile` returns (tables are plain DataFrames)."""

    region_id: str
    region_name: str
    year: int
    total_employment: float | None
    clusters: pd.DataFrame
    industries: pd.DataFrame
    group: dict | None = None
    base_year: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready: the tables as lists of records, missing values as None."""

        def records(table: pd.DataFrame) -> list[dict]:
            clean = table.astype(object).where(table.notna(), None)
            return clean.to_dict(orient="records")

        return {
            "region_id": self.region_id,
            "region_name": self.region_name,
            "year": self.year,
            "total_employment": self.total_employment,
            "base_year": self.base_year,
            "clusters": records(self.clusters),
            "industries": records(self.industries),
            "group": self.group,
            "notes": self.notes,
        }


def _region_labels(regional: pd.DataFrame | None, region_id: str, year: int) -> pd.DataFrame:
    """The regional cluster (id, label, scores) each of the region's clusters belongs to."""
    columns = ["cluster_code", "regional_cluster_id", "label"]
    if regional is None or regional.empty:
        return pd.DataFrame(columns=columns)
    extra = [
        name
        for name in ("label_confidence", "technology_score", "production_score")
        if name in regional.columns
    ]
    rows = regional[regional["year"] == year]
    holds = rows["region_ids"].map(lambda ids: region_id in list(ids))
    return pd.DataFrame(rows.loc[holds, columns + extra])


def region_profile(
    region_id: str,
    region_name: str,
    strength: pd.DataFrame,
    quotients: pd.DataFrame,
    titles: pd.Series,
    *,
    year: int | None = None,
    regional: pd.DataFrame | None = None,
    groups: pd.DataFrame | None = None,
    base_year: int | None = None,
    industry_level: int | None = None,
    top: int = 10,
    min_employment: float = 0.0,
) -> RegionProfile:
    """A region's profile: its strongest clusters and most specialised industries.

    Parameters
    ----------
    region_id, region_name : str
        The region (see :func:`find_code`).
    strength : DataFrame
        ``cluster_strength.parquet``: region x cluster x year with lq, employment, strong,
        stars.
    quotients : DataFrame
        ``location_quotients.parquet``: region x industry x year with lq, employment and
        region_employment.
    titles : Series
        Industry titles indexed by code (:mod:`pipeline.classifications.titles`).
    year : int, optional
        Default: the latest year.
    regional : DataFrame, optional
        ``regional_clusters.parquet``; adds each cluster's regional cluster, label and
        scores (and ``label_confidence`` when published).
    groups : DataFrame, optional
        ``region_groups.parquet`` (region_id, year optional, group columns).
    base_year : int, optional
        For panels: adds ``lq_base``, ``lq_change`` and ``employment_change`` since it.
    industry_level : int, optional
        Level of the industries listed (default: the deepest level in the data).
    top : int
        Rows per table.
    min_employment : float
        Industries with less employment in the region are not listed (LQs of tiny cells are
        volatile).

    Returns
    -------
    RegionProfile
        ``clusters``: cluster_code, cluster_name, cluster_type, lq, employment, strong,
        stars (+ label columns, change columns), strongest first (strong, then stars, then
        LQ); ``industries``: industry_code, industry_name, lq, employment, by LQ.
    """
    year = latest_year(strength if not strength.empty else quotients, year)
    own = strength[(strength["region_id"] == region_id) & (strength["year"] == year)]
    if own.empty and quotients[quotients["region_id"] == region_id].empty:
        raise UserError(f"region {region_id} has no rows in {year}")
    columns = ["cluster_code", "cluster_name", "cluster_type", "lq", "employment", "strong"]
    columns += ["stars"]
    clusters = own[columns].sort_values(["strong", "stars", "lq"], ascending=[False, False, False])
    labels = _region_labels(regional, region_id, year)
    if not labels.empty:
        clusters = clusters.merge(labels, on="cluster_code", how="left")
    notes: list[str] = []
    if base_year is not None and base_year != year:
        base = strength[(strength["region_id"] == region_id) & (strength["year"] == base_year)]
        base = base[["cluster_code", "lq", "employment"]].rename(
            columns={"lq": "lq_base", "employment": "employment_base"}
        )
        clusters = clusters.merge(base, on="cluster_code", how="left")
        clusters["lq_change"] = clusters["lq"] - clusters["lq_base"]
        clusters["employment_change"] = clusters["employment"] - clusters["employment_base"]
        notes.append(f"change columns compare {year} with {base_year}")
    clusters = clusters.head(top).reset_index(drop=True)

    cells = quotients[(quotients["region_id"] == region_id) & (quotients["year"] == year)]
    total = float(cells["region_employment"].iloc[0]) if len(cells) else None
    measured = cells[cells["industry_level"] > 0]
    level = industry_level if industry_level is not None else int(measured["industry_level"].max())
    listed = measured[
        (measured["industry_level"] == level) & (measured["employment"] >= min_employment)
    ]
    industries = listed.sort_values("lq", ascending=False).head(top)
    industries = pd.DataFrame(
        {
            "industry_code": industries["industry_code"].to_numpy(),
            "industry_name": industries["industry_code"].map(titles).to_numpy(),
            "lq": industries["lq"].to_numpy(),
            "employment": industries["employment"].to_numpy(),
        }
    )
    group = None
    if groups is not None and not groups.empty:
        rows = groups[groups["region_id"] == region_id]
        if "year" in rows.columns and (rows["year"] == year).any():
            rows = rows[rows["year"] == year]
        if len(rows):
            first = rows.iloc[0].drop(labels=["region_id"])
            group = {
                key: (
                    value.tolist()
                    if hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0
                    else value.item()
                    if hasattr(value, "item")
                    else value
                )
                for key, value in first.items()
                if key != "geometry"
            }
    return RegionProfile(
        region_id=region_id,
        region_name=region_name,
        year=year,
        total_employment=total,
        clusters=clusters,
        industries=industries,
        group=group,
        base_year=base_year if base_year != year else None,
        notes=notes,
    )


def leading_regions(
    code: str,
    kind: str,
    table: pd.DataFrame,
    region_names: pd.Series,
    *,
    year: int | None = None,
    top: int = 10,
    min_employment: float = 0.0,
    order_by: str = "lq",
) -> pd.DataFrame:
    """The regions where a cluster (``kind='cluster'``) or an industry is most concentrated.

    Parameters
    ----------
    code : str
        Cluster code (``cluster_strength``) or industry code (``location_quotients``).
    kind : {'cluster', 'industry'}
        Which table ``table`` is.
    table : DataFrame
        ``cluster_strength.parquet`` or ``location_quotients.parquet``.
    region_names : Series
        Region names indexed by region_id.
    year : int, optional
        Default: the latest year.
    top : int
        Regions listed.
    min_employment : float
        Regions with less employment in it are left out (volatile LQs of tiny cells).
    order_by : {'lq', 'employment'}
        Rank by specialisation (LQ) or by size (employment), highest first.

    Returns
    -------
    DataFrame
        rank, region_id, region_name, lq, employment, share (of the national employment in
        it), and strong, stars for clusters.
    """
    if order_by not in ("lq", "employment"):
        raise UserError(f"order '{order_by}' is not known; use lq or employment")
    column = "cluster_code" if kind == "cluster" else "industry_code"
    year = latest_year(table, year)
    rows = table[(table[column] == code) & (table["year"] == year)]
    if rows.empty:
        raise UserError(f"{kind} {code} has no rows in {year}")
    national = float(rows["employment"].sum())
    rows = rows[rows["employment"] >= min_employment]
    second = "employment" if order_by == "lq" else "lq"
    rows = rows.sort_values([order_by, second], ascending=[False, False]).head(top)
    result = pd.DataFrame(
        {
            "rank": np.arange(1, len(rows) + 1),
            "region_id": rows["region_id"].to_numpy(),
            "region_name": rows["region_id"].map(region_names).to_numpy(),
            "lq": rows["lq"].to_numpy(),
            "employment": rows["employment"].to_numpy(),
            "share": (rows["employment"] / national).to_numpy() if national else np.nan,
        }
    )
    if kind == "cluster":
        result["strong"] = rows["strong"].to_numpy()
        result["stars"] = rows["stars"].to_numpy()
    return result


LABEL_ALIASES = {"tech": "technology", "production": "industrial-production"}
"""Short label names (as the CLI tables print them) -> the published labels."""


def label_name(label: str) -> str:
    """The published label for ``label`` (a label or its short form); else a UserError.

    >>> label_name("tech")
    'technology'
    """
    wanted = LABEL_ALIASES.get(label.strip().lower(), label.strip().lower())
    if wanted not in LABELS:
        close = difflib.get_close_matches(wanted, [*LABELS, *LABEL_ALIASES], n=1, cutoff=0.5)
        hint = f"did you mean '{LABEL_ALIASES.get(close[0], close[0])}'? " if close else ""
        raise UserError(f"--label {label}: not a label; {hint}labels: {', '.join(LABELS)}")
    return wanted


def largest_regional_clusters(
    regional: pd.DataFrame,
    region_names: pd.Series,
    *,
    label: str | None = None,
    year: int | None = None,
    top: int = 10,
    order_by: str = "employment",
    strength: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The largest regional clusters of one label (``None``: of every label).

    Parameters
    ----------
    regional : DataFrame
        ``regional_clusters.parquet``: one row per regional cluster and year with
        cluster_code, cluster_name, region_ids, employment, lq, max_stars, label (and
        label_confidence when published).
    region_names : Series
        Region names indexed by region_id.
    label : {'technology', 'industrial-production', 'other'}, optional
        Only regional clusters with this label ('tech' and 'production' also work).
    year : int, optional
        Default: the latest year.
    top : int
        Regional clusters listed.
    order_by : {'employment', 'lq'}
        Rank by size (employment) or by specialisation (LQ of the pooled regions).
    strength : DataFrame, optional
        ``cluster_strength.parquet``: when given, each cluster's regions are listed by their
        employment in the cluster, largest first (else in the order of ``region_ids``).

    Returns
    -------
    DataFrame
        rank, regional_cluster_id, cluster_code, cluster_name, label, label_confidence
        (when published), employment, lq, max_stars, n_regions, regions (the region names,
        "; "-separated, the region id where a name is unknown), largest first.

    Examples
    --------
    >>> regional = pd.DataFrame({"regional_cluster_id": ["a", "b"], "year": 2019,
    ...     "cluster_code": ["59", "4"], "cluster_name": ["IT", "Automotive"],
    ...     "region_ids": [["42660"], ["19820"]], "n_regions": 1, "employment": [9e4, 1e5],
    ...     "lq": [2.0, 5.0], "max_stars": [3, 3], "label": ["technology", "other"]})
    >>> largest_regional_clusters(regional, pd.Series({"42660": "Seattle"}),
    ...     label="technology")[["cluster_name", "regions"]].values.tolist()
    [['IT', 'Seattle']]
    """
    if order_by not in ("lq", "employment"):
        raise UserError(f"order '{order_by}' is not known; use lq or employment")
    label = label_name(label) if label is not None else None
    if regional is None or regional.empty:
        raise UserError("no regional clusters in the data; run the pipeline first (dvc repro)")
    year = latest_year(regional, year)
    rows = regional[regional["year"] == year]
    if label is not None:
        rows = rows[rows["label"] == label]
    second = "lq" if order_by == "employment" else "employment"
    rows = rows.sort_values([order_by, second], ascending=[False, False]).head(top)
    names = region_names.astype(str)
    size = pd.Series(dtype=float)
    if strength is not None:
        cells = strength[strength["year"] == year]
        size = cells.set_index(["cluster_code", "region_id"])["employment"]

    def listed(cluster_code: str, ids) -> str:
        ids = [str(code) for code in list(ids)]
        if len(size):
            jobs = [size.get((cluster_code, code), -np.inf) for code in ids]
            ids = [ids[i] for i in np.argsort(jobs, kind="stable")[::-1]]
        return "; ".join(names.get(code, code) for code in ids)

    result = pd.DataFrame(
        {
            "rank": np.arange(1, len(rows) + 1),
            "regional_cluster_id": rows["regional_cluster_id"].to_numpy(),
            "cluster_code": rows["cluster_code"].to_numpy(),
            "cluster_name": rows["cluster_name"].to_numpy(),
            "label": rows["label"].to_numpy(),
        }
    )
    if "label_confidence" in rows.columns:
        result["label_confidence"] = rows["label_confidence"].to_numpy()
    for column in ("employment", "lq", "max_stars", "n_regions"):
        result[column] = rows[column].to_numpy()
    result["regions"] = [
        listed(code, ids)
        for code, ids in zip(rows["cluster_code"], rows["region_ids"], strict=True)
    ]
    return result


def related_clusters(
    cluster_code: str,
    related: pd.DataFrame,
    cluster_names: pd.Series,
) -> pd.DataFrame:
    """Clusters related to ``cluster_code`` in the US Cluster Mapping definitions.

    Delgado, Porter & Stern (2016, *J. Econ. Geogr.* 16(1) 1-38) link two clusters when
    their industries are related by co-location, input-output and occupation ties; the CMP
    publishes for each pair ``related_percentage`` (the percentile of the pair's
    relatedness among all cluster pairs), ``related_avg`` and ``related_min`` (the mean and
    minimum relatedness of their industry pairs) and ``related_90`` (1 when the pair is in
    the top decile).

    Returns
    -------
    DataFrame
        related_cluster_code, related_cluster_name, related_percentage, related_avg,
        related_min, related_90, strongest first.
    """
    rows = related[related["cluster_code"] == cluster_code]
    rows = rows.sort_values(["related_percentage", "related_avg"], ascending=False)
    result = pd.DataFrame(
        {
            "related_cluster_code": rows["related_cluster_code"].to_numpy(),
            "related_cluster_name": rows["related_cluster_code"].map(cluster_names).to_numpy(),
        }
    )
    for column in ("related_percentage", "related_avg", "related_min", "related_90"):
        result[column] = rows[column].to_numpy()
    return result


def related_industries(
    industry_code: str,
    relatedness: pd.DataFrame,
    titles: pd.Series,
    top: int = 10,
) -> pd.DataFrame:
    """Industries related to ``industry_code`` in an industry relatedness table.

    ``relatedness`` has one row per industry pair: industry_code, related_code, combined
    (and the component measures), as written by the relatedness stage.

    Returns
    -------
    DataFrame
        related_code, related_name, combined (and any other numeric columns), by combined.
    """
    rows = relatedness[relatedness["industry_code"] == industry_code]
    rows = rows.sort_values("combined", ascending=False).head(top)
    result = rows.drop(columns=["industry_code"]).reset_index(drop=True)
    result.insert(1, "related_name", result["related_code"].map(titles).to_numpy())
    return result


def with_names(
    table: pd.DataFrame, titles: pd.Series, region_names: pd.Series | None = None
) -> pd.DataFrame:
    """``table`` with ``industry_name`` after ``industry_code`` and ``region_name`` after
    ``region_id``, and for the list columns ``top_industries`` and ``region_ids`` the lists
    ``top_industry_names`` and ``region_names`` (where those code columns exist and the
    name column does not).

    Codes without a name get a missing name, never a made-up one.

    Examples
    --------
    >>> table = pd.DataFrame({"region_id": ["19820"], "industry_code": ["3361"]})
    >>> named = with_names(table, pd.Series({"3361": "Motor Vehicle Manufacturing"}),
    ...                    pd.Series({"19820": "Detroit-Warren-Dearborn, MI"}))
    >>> named.columns.tolist()
    ['region_id', 'region_name', 'industry_code', 'industry_name']
    """
    result = table
    for code, name, names, listed in (
        ("industry_code", "industry_name", titles, False),
        ("region_id", "region_name", region_names, False),
        ("top_industries", "top_industry_names", titles, True),
        ("region_ids", "region_names", region_names, True),
    ):
        if names is None or code not in result.columns or name in result.columns:
            continue
        if listed:
            lookup = names.to_dict()
            values = pd.Series(
                [[lookup.get(str(item)) for item in codes] for codes in result[code]],
                index=result.index,
                dtype=object,
            )
        else:
            values = result[code].astype(str).map(names).astype("str")
        result = result.copy()
        result.insert(list(result.columns).index(code) + 1, name, values.to_numpy())
    return result


@dataclass(frozen=True)
class DefinitionComparison:
    """Benchmark vs derived clusters over the traded industries both assign.

    ``pairs``: one row per industry (industry_code, industry_name, cluster_code_benchmark,
    cluster_name_benchmark, cluster_code_derived, cluster_name_derived); ``counts``: the
    industries each derived (rows) x benchmark (columns) pair shares; ``derived`` and
    ``benchmark``: one row per cluster of each side (see :func:`compare_definitions`);
    ``identical``: the derived clusters equal to one benchmark cluster.
    """

    pairs: pd.DataFrame
    counts: pd.DataFrame
    derived: pd.DataFrame
    benchmark: pd.DataFrame
    identical: int


def _composition(counts: pd.Series, names: pd.Series, parts: int) -> str:
    """'name (n); name (n); ...' of the ``parts`` largest non-zero counts."""
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    listed = "; ".join(f"{names[code]} ({count})" for code, count in counts.head(parts).items())
    return listed + (f"; +{len(counts) - parts} more" if len(counts) > parts else "")


def compare_definitions(clusters: pd.DataFrame, parts: int = 4) -> DefinitionComparison:
    """How the derived clusters split and join the benchmark clusters (traded industries).

    For a derived cluster *d*, with n(d, b) the industries it shares with benchmark
    cluster *b*: ``purity`` = max_b n(d, b) / sum_b n(d, b) (1: a subset of one benchmark
    cluster); for a benchmark cluster, ``kept together`` = max_d n(d, b) / sum_d n(d, b)
    (1: all in one derived cluster). A pair is identical when n(d, b) is all of both.

    Parameters
    ----------
    clusters : DataFrame
        ``industry_clusters.parquet``: industry_code, industry_name, method ('benchmark' or
        'derived'), cluster_code, cluster_name, cluster_type.
    parts : int
        Parts listed in the composition columns.

    Examples
    --------
    >>> clusters = pd.DataFrame({"industry_code": ["1", "2", "3"] * 2,
    ...     "industry_name": ["a", "b", "c"] * 2, "method": ["benchmark"] * 3 + ["derived"] * 3,
    ...     "cluster_code": ["B1", "B1", "B2", "D1", "D1", "D1"],
    ...     "cluster_name": ["Bx", "Bx", "By", "Dz", "Dz", "Dz"], "cluster_type": "traded"})
    >>> compare_definitions(clusters).derived[["purity", "benchmark clusters"]].round(2).values.tolist()
    [[0.67, 2.0]]
    """
    traded = clusters[clusters["cluster_type"] == "traded"]
    columns = ["industry_code", "cluster_code", "cluster_name"]
    benchmark = traded[traded["method"] == "benchmark"]
    pairs = benchmark[["industry_code", "industry_name", *columns[1:]]].merge(
        traded[traded["method"] == "derived"][columns],
        on="industry_code",
        suffixes=("_benchmark", "_derived"),
    )
    counts = pd.crosstab(pairs["cluster_code_derived"], pairs["cluster_code_benchmark"])
    names = {
        side: pairs.drop_duplicates(f"cluster_code_{side}").set_index(f"cluster_code_{side}")[
            f"cluster_name_{side}"
        ]
        for side in ("derived", "benchmark")
    }
    derived = pd.DataFrame(
        {
            "derived cluster": names["derived"].reindex(counts.index),
            "industries": counts.sum(axis=1),
            "benchmark clusters": (counts > 0).sum(axis=1),
            "purity": counts.max(axis=1) / counts.sum(axis=1),
            "made of (benchmark cluster (industries))": counts.apply(
                _composition, axis=1, names=names["benchmark"], parts=parts
            ),
        }
    )
    kept = pd.DataFrame(
        {
            "benchmark cluster": names["benchmark"].reindex(counts.columns),
            "industries": counts.sum(axis=0),
            "derived clusters": (counts > 0).sum(axis=0),
            "kept together": counts.max(axis=0) / counts.sum(axis=0),
            "split into (derived cluster (industries))": counts.apply(
                _composition, axis=0, names=names["derived"], parts=parts
            ),
        }
    )
    whole = (counts == counts.sum(axis=1).to_numpy()[:, None]) & (
        counts == counts.sum(axis=0).to_numpy()[None, :]
    )
    return DefinitionComparison(pairs, counts, derived, kept, int(whole.to_numpy().sum()))
