"""Questions: ``show`` (a region's profile), ``top`` (leading regions, largest regional
clusters) and ``related`` (related clusters or industries).

The library is :mod:`pipeline.profiles`; here only reading the tables and formatting.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from pipeline.cli.app import DataOption, DatasetOption, ParamsOption, app
from pipeline.cli.output import (
    LOW_CONFIDENCE_MARK,
    _group_line,
    _marked_labels,
    _print_json,
    _print_table,
    _records,
)
from pipeline.cli.published import _Tables
from pipeline.errors import UserError

YearOption = Annotated[
    int | None, typer.Option("--year", help="Reference year (default: the latest).")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (for scripts) instead of tables.")
]
TopOption = Annotated[int, typer.Option("--top", "-n", help="Rows listed per table.", min=1)]
MinEmploymentOption = Annotated[
    float,
    typer.Option(
        "--min-employment",
        help="Leave out cells with less employment (LQs of tiny cells are volatile).",
        min=0,
    ),
]
IndustryFlag = Annotated[
    bool,
    typer.Option(
        "--industry",
        help="Read the argument as an industry code or title, not a cluster (cluster codes "
        "1-51 and 101-116 overlap NAICS sectors such as 23 or 111).",
    ),
]


class RelatedSource(StrEnum):
    """Where ``regclust related`` takes related clusters from."""

    auto = "auto"
    cmp = "cmp"
    data = "data"


RelatedSourceOption = Annotated[
    RelatedSource,
    typer.Option(
        "--source",
        help="Related clusters from: cmp (the US Cluster Mapping list), data (the dataset's "
        "industry relatedness aggregated to clusters) or auto (cmp where it lists the cluster).",
    ),
]


def _resolve_region(tables: _Tables, query: str):
    from pipeline.lq_dataset import lq_dataset_path, read_quotients
    from pipeline.profiles import find_code

    quotients = read_quotients(lq_dataset_path(tables.processed))
    size = quotients.groupby("region_id")["region_employment"].max()
    names, aliases = tables.region_names(), tables.region_aliases()
    return find_code(query, names, "region", size, aliases), quotients


@app.command()
def show(
    region: Annotated[str, typer.Argument(help="Region code or name (e.g. 19820, 'Detroit').")],
    dataset: DatasetOption = "us_cbsa_2019",
    year: YearOption = None,
    as_json: JsonOption = False,
    top: TopOption = 10,
    min_employment: MinEmploymentOption = 100.0,
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """A region's profile: strongest clusters, most specialised industries, group, change."""
    from pipeline.profiles import region_profile

    tables = _Tables(dataset, data_root, params)
    match, quotients = _resolve_region(tables, region)
    strength = tables.read("cluster_strength.parquet")
    base_year = None
    if strength["year"].nunique() > 1:
        base_year = tables.base_year() or int(strength["year"].min())
    profile = region_profile(
        match.code,
        match.name,
        strength,
        quotients,
        tables.titles(),
        year=year,
        regional=tables.read("regional_clusters.parquet", optional=True),
        groups=tables.read("region_groups.parquet", optional=True),
        base_year=base_year,
        top=top,
        min_employment=min_employment,
    )
    if match.others:
        names = tables.region_names()
        also = "; ".join(f"{code} {names[code]}" for code in match.others[:5])
        profile.notes.append(f"'{region}' also matches: {also} (pass the code to pick one)")
    if as_json:
        _print_json(profile.to_dict())
        return
    total = f"{profile.total_employment:,.0f}" if profile.total_employment is not None else "?"
    measure = (
        tables.settings.dataset(dataset).measure
        if dataset in tables.settings.datasets
        else "employment"
    )
    typer.echo(f"{profile.region_name} ({profile.region_id}), {dataset} {profile.year}")
    typer.echo(f"total {measure}: {total}")
    if profile.group:
        typer.echo(_group_line(profile.group, measure))
    shown = profile.clusters.assign(
        stars=[
            f"{stars}{'*' if strong else ''}"
            for stars, strong in zip(
                profile.clusters["stars"], profile.clusters["strong"], strict=True
            )
        ]
    )
    if "label" in shown.columns:
        shown["label"] = _marked_labels(shown)
    change = f"LQ +/-: change since {profile.base_year}" if profile.base_year else ""
    _print_table(
        "Strongest clusters (* strong; then by stars and LQ; label of its regional cluster, "
        f"{LOW_CONFIDENCE_MARK} low confidence)" + (f"; {change}" if change else ""),
        shown,
        {
            "cluster_code": "code",
            "cluster_name": "cluster",
            "lq": "LQ",
            "employment": "empl.",
            "stars": "stars",
            "label": "label",
            "lq_change": "LQ +/-",
        },
    )
    _print_table(
        f"Most specialised industries (LQ, at least {min_employment:g} employed)",
        profile.industries,
        {
            "industry_code": "code",
            "industry_name": "industry",
            "lq": "LQ",
            "employment": "employment",
        },
    )
    for note in profile.notes:
        typer.echo(f"note: {note}")


def _resolve_cluster_or_industry(tables: _Tables, query: str, industry: bool):
    """('cluster' | 'industry', Match, cluster names) for a code or a name.

    Clusters are tried first (unless ``industry``): a cluster code, else a cluster name when
    the query is not all digits; then industry codes and titles of the dataset. When neither
    matches, the one-line error lists the closest cluster and industry names.
    """
    from pipeline.lq_dataset import lq_dataset_path, read_quotients
    from pipeline.profiles import find_code

    clusters = tables.read("industry_clusters.parquet")
    cluster_names = clusters.drop_duplicates("cluster_code").set_index("cluster_code")[
        "cluster_name"
    ]
    codes = read_quotients(lq_dataset_path(tables.processed), columns=["industry_code"])[
        "industry_code"
    ].unique()
    titles = tables.titles()
    titles = titles[titles.index.isin(codes)]
    untitled = pd.Index(codes).difference(titles.index)
    titles = pd.concat([titles, pd.Series(untitled.to_numpy(), index=untitled)])
    if not industry and (query in cluster_names.index or not query.strip().isdigit()):
        try:
            return "cluster", find_code(query, cluster_names, "cluster"), cluster_names
        except UserError:
            pass
    try:
        return "industry", find_code(query, titles, "industry"), cluster_names
    except UserError:
        if industry:
            raise
    labelled = pd.concat([cluster_names.rename(index=lambda code: f"cluster {code}"), titles])
    find_code(query, labelled, "cluster or industry")  # raises with the closest names
    raise UserError(f"no cluster or industry '{query}'")


@app.command()
def top(
    query: Annotated[
        str | None,
        typer.Argument(
            help="Cluster or industry: code or name (e.g. 4, 3364, 'aerospace'); "
            "omit it with --label.",
            show_default=False,
        ),
    ] = None,
    dataset: DatasetOption = "us_cbsa_2019",
    year: YearOption = None,
    as_json: JsonOption = False,
    count: TopOption = 10,
    min_employment: MinEmploymentOption = 100.0,
    industry: IndustryFlag = False,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            help="List the largest regional clusters with this label instead: technology "
            "(tech), industrial-production (production), other, or all.",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Rank by lq (specialisation) or employment (size); default lq for a "
            "cluster or industry, employment with --label.",
        ),
    ] = None,
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Leading regions of a cluster or an industry (highest LQ or employment), or with
    --label the largest regional clusters (e.g. `regclust top --label technology`)."""
    from pipeline.lq_dataset import lq_dataset_path, read_quotients
    from pipeline.profiles import leading_regions

    if query is not None and label is not None:
        raise UserError(
            "top: pass a cluster or industry, or --label for the largest regional clusters, "
            "not both"
        )
    if query is None and label is None:
        raise UserError(
            "top: pass a cluster or industry (code or name, e.g. 'regclust top aerospace'), "
            "or --label technology for the largest technology clusters"
        )
    tables = _Tables(dataset, data_root, params)
    if label is not None:
        _top_regional_clusters(tables, label, year, count, by or "employment", as_json)
        return
    by = by or "lq"
    kind, match, _ = _resolve_cluster_or_industry(tables, query, industry)
    table = (
        tables.read("cluster_strength.parquet")
        if kind == "cluster"
        else read_quotients(lq_dataset_path(tables.processed))
    )
    leaders = leading_regions(
        match.code,
        kind,
        table,
        tables.region_names(),
        year=year,
        top=count,
        min_employment=min_employment,
        order_by=by,
    )
    used_year = int(table["year"].max()) if year is None else year
    if as_json:
        _print_json(
            {
                "kind": kind,
                "code": match.code,
                "name": match.name,
                "year": used_year,
                "dataset": dataset,
                "order_by": by,
                "regions": _records(leaders),
            }
        )
        return
    leaders = leaders.assign(share=leaders["share"].map(lambda share: f"{share:.1%}"))
    if kind == "cluster":
        leaders["stars"] = [
            f"{stars}{'*' if strong else ''}"
            for stars, strong in zip(leaders["stars"], leaders["strong"], strict=True)
        ]
    _print_table(
        f"Leading regions of {kind} {match.code} {match.name}, {dataset} {used_year} "
        f"(by {'LQ' if by == 'lq' else 'employment'}, at least {min_employment:g} employed; "
        "share: of the national total" + ("; * strong)" if kind == "cluster" else ")"),
        leaders,
        {
            "rank": "#",
            "region_id": "region",
            "region_name": "name",
            "lq": "LQ",
            "employment": "employment",
            "share": "share",
            "stars": "stars",
        },
    )


def _top_regional_clusters(
    tables: _Tables, label: str, year: int | None, count: int, by: str, as_json: bool
) -> None:
    """`regclust top --label LABEL`: the largest regional clusters with that label."""
    from pipeline.profiles import label_name, largest_regional_clusters

    wanted = None if label.strip().lower() == "all" else label_name(label)
    regional = tables.read("regional_clusters.parquet")
    largest = largest_regional_clusters(
        regional,
        tables.region_names(),
        label=wanted,
        year=year,
        top=count,
        order_by=by,
        strength=tables.read("cluster_strength.parquet", optional=True),
    )
    used_year = int(regional["year"].max()) if year is None else year
    if as_json:
        _print_json(
            {
                "kind": "regional_clusters",
                "label": wanted,
                "year": used_year,
                "dataset": tables.dataset,
                "order_by": by,
                "clusters": _records(largest),
            }
        )
        return
    which = "every label" if wanted is None else wanted
    if largest.empty:
        typer.echo(f"no regional clusters labelled {which} in {tables.dataset} {used_year}")
        return
    from pipeline.maps import short_place_name

    first = largest["regions"].str.split("; ").str[0].map(short_place_name)  # Seattle, WA
    more = largest["n_regions"].astype(int) - 1
    largest = largest.assign(
        label=_marked_labels(largest),
        largest=[f"{name} +{n} more" if n else name for name, n in zip(first, more, strict=True)],
    )
    _print_table(
        f"Largest regional clusters ({which}), {tables.dataset} {used_year} "
        f"(by {'LQ' if by == 'lq' else 'employment'}; {LOW_CONFIDENCE_MARK} low label "
        "confidence; --json lists every region)",
        largest,
        {
            "rank": "#",
            "cluster_name": "cluster",
            "label": "label",
            "employment": "employment",
            "lq": "LQ",
            "max_stars": "stars",
            "largest": "largest region",
        },
    )


@app.command()
def related(
    query: Annotated[
        str, typer.Argument(help="Cluster (or, with --industry, industry): code or name.")
    ],
    dataset: DatasetOption = "us_cbsa_2019",
    as_json: JsonOption = False,
    count: TopOption = 10,
    industry: IndustryFlag = False,
    source: RelatedSourceOption = RelatedSource.auto,
    params: ParamsOption = Path("params.yaml"),
    data_root: DataOption = Path("data"),
) -> None:
    """Related clusters or related industries.

    Clusters: the US Cluster Mapping related clusters (Delgado, Porter & Stern 2016) where
    they list the cluster, else the dataset's own industry relatedness aggregated to clusters
    (the share of the two clusters' industry pairs that are linked); --source chooses.
    Industries (--industry): the relatedness table of the relate stage.
    """
    from pipeline.profiles import related_clusters, related_industries

    tables = _Tables(dataset, data_root, params)
    kind, match, cluster_names = _resolve_cluster_or_industry(tables, query, industry)
    relatedness = tables.read("industry_relatedness.parquet", optional=True)
    if kind == "industry":
        if relatedness is None:
            raise UserError(
                f"industry {match.code}: no industry relatedness table for {dataset} "
                f"({tables.processed / 'industry_relatedness.parquet'} does not exist); "
                "`regclust related` on a cluster uses the US Cluster Mapping related clusters"
            )
        result = related_industries(match.code, relatedness, tables.titles(), count)
        source = "industry_relatedness.parquet"
    else:
        from pipeline.classifications.tables import RELATED_CLUSTERS_FILE

        path = Path(tables.settings.classifications) / RELATED_CLUSTERS_FILE
        published = None
        if tables.classification() in ("naics2017", "naics2012") and path.exists():
            published = pd.read_csv(path, dtype={"cluster_code": str, "related_cluster_code": str})
        listed = published is not None and match.code in set(published["cluster_code"])
        if source is RelatedSource.cmp or (source is RelatedSource.auto and listed):
            if published is None:
                raise UserError(
                    f"cluster {match.code} {match.name}: the US Cluster Mapping related clusters "
                    f"cover US NAICS datasets only, not {dataset}; use --source data"
                )
            result = related_clusters(match.code, published, cluster_names).head(count)
            source = "US Cluster Mapping related clusters (Delgado, Porter & Stern 2016)"
        else:
            if relatedness is None:
                raise UserError(
                    f"cluster {match.code} {match.name}: no cluster relatedness for {dataset}: "
                    "the US Cluster Mapping does not list it and there is no "
                    f"{tables.processed / 'industry_relatedness.parquet'} (run `regclust relate`)"
                )
            from pipeline.clusters.cluster_relatedness import cluster_relatedness

            clusters = tables.read("industry_clusters.parquet")
            method = clusters.loc[clusters["cluster_code"] == match.code, "method"]
            clusters = clusters[clusters["method"].isin(method)]
            result = cluster_relatedness(relatedness, clusters, cluster_names)
            result = result[result["cluster_code"] == match.code].drop(columns="cluster_code")
            result = result.head(count).reset_index(drop=True)
            source = "industry_relatedness.parquet, industry pairs linked"
    if as_json:
        _print_json(
            {
                "kind": kind,
                "code": match.code,
                "name": match.name,
                "source": source,
                "related": _records(result),
            }  # fmt: skip
        )
        return
    if result.empty:
        hint = ""
        if kind == "industry":
            covered = pd.Index(relatedness["industry_code"].astype(str).unique())
            finer = sorted(covered[covered.str.startswith(match.code)])
            levels = sorted({len(code) for code in covered})
            hint = (
                f"; it relates {len(covered):,} industries of {'/'.join(map(str, levels))} digits"
            )
            if finer:
                more = f" (+{len(finer) - 6} more)" if len(finer) > 6 else ""
                hint += f"; those within {match.code}: {', '.join(finer[:6])}{more}"
        typer.echo(f"{kind} {match.code} {match.name}: no related {kind} listed in {source}{hint}")
        return
    _print_table(
        f"Related to {kind} {match.code} {match.name} ({source})",
        result,
        {
            "related_cluster_code": "code",
            "related_cluster_name": "cluster",
            "related_code": "code",
            "related_name": "industry",
            "related_percentage": "percentile",
            "related_avg": "mean relatedness",
            "related_90": "top decile",
            "combined": "relatedness",
            "linked_share": "share of pairs linked",
            "mean_relatedness": "mean relatedness",
            "related_percentile": "percentile",
        },
    )
