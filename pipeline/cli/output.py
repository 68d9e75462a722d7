"""How the question commands print: JSON for scripts, rich tables for people."""

from __future__ import annotations

import json

import pandas as pd
import typer


def _print_json(payload) -> None:
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=_json_value))


def _json_value(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _records(table: pd.DataFrame) -> list[dict]:
    return table.astype(object).where(table.notna(), None).to_dict(orient="records")


def _cell(value, whole: bool = False) -> str:
    """A table cell: blanks for missing values, 'yes' for True, numbers rounded to be read
    (``whole``: counts of people or jobs, never with decimals)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:,.0f}" if whole or abs(value) >= 100 else f"{value:.2f}"
    return str(value)


SHORT_LABELS = {"industrial-production": "production", "technology": "tech"}  # tables only
LOW_CONFIDENCE_MARK = "?"  # after a label whose confidence is low (tables only)
WIDE_HEADERS = ("cluster", "industry", "name", "largest region")
WHOLE_HEADERS = ("empl.", "employment", "empl. +/-")
NAME_MIN_WIDTHS = (20, 16, 12, 8)  # characters kept for names, narrower until the table fits
NAME_RATIO = 4  # names take this many shares of the spare width, other columns one


def _print_table(title: str, table: pd.DataFrame, columns: dict[str, str]) -> None:
    """A rich table of ``table[columns]`` (column -> header) for people.

    The title is a plain line (rich crops the title of a table narrower than it); names
    wrap, and their minimum width shrinks until the table fits the terminal (80 columns
    when the output is not a terminal), so no column is ever cut off.
    """
    from rich.console import Console
    from rich.table import Table

    console = Console()
    shown = [column for column in columns if column in table.columns]
    cells = {
        column: [_cell(value, columns[column] in WHOLE_HEADERS) for value in table[column]]
        for column in shown
    }
    fixed = sum(  # columns that do not wrap: their header or widest cell
        max([len(columns[column]), *map(len, cells[column])])
        for column in shown
        if columns[column] not in WIDE_HEADERS
    )
    names = sum(columns[column] in WIDE_HEADERS for column in shown)
    borders = 3 * len(shown) + 1
    for min_width in NAME_MIN_WIDTHS:
        if fixed + names * min_width + borders <= console.width:
            break
    view = Table(show_lines=False)
    for column in shown:
        numeric = pd.api.types.is_numeric_dtype(table[column]) and table[column].dtype != bool
        wide = columns[column] in WIDE_HEADERS  # names wrap; codes and numbers do not
        view.add_column(
            columns[column],
            justify="right" if numeric else "left",
            min_width=min_width if wide else None,
            ratio=NAME_RATIO if wide else 1,
            overflow="fold",
        )
    for row in zip(*(cells[column] for column in shown), strict=True):
        view.add_row(*row)
    console.print(title, markup=False, highlight=False, soft_wrap=True)
    console.print(view)


def _marked_labels(table: pd.DataFrame) -> pd.Series:
    """Short labels, with LOW_CONFIDENCE_MARK where the label's confidence is low."""
    labels = table["label"].replace(SHORT_LABELS)
    if "label_confidence" in table.columns:
        low = table["label_confidence"].eq("low") & labels.notna()
        labels = labels.where(~low, labels.astype(str) + LOW_CONFIDENCE_MARK)
    return labels


def _group_line(group: dict, measure: str) -> str:
    """A region group (region_groups.parquet row) in one readable line."""
    parts = [f"region group {group.get('group_id', '?')}"]
    if group.get("group_regions") is not None:
        parts.append(f"{int(group['group_regions'])} regions")
    if group.get("group_employment") is not None:
        parts.append(f"{measure} {group['group_employment']:,.0f}")
    line = ": " + ", ".join(parts[1:]) if len(parts) > 1 else ""
    names = list(group.get("dominant_cluster_names") or [])
    lqs = list(group.get("dominant_cluster_lqs") or [])
    if names:
        listed = ", ".join(
            f"{name} (LQ {lq:.2f})" if lq is not None else str(name)
            for name, lq in zip(names, lqs + [None] * (len(names) - len(lqs)), strict=True)
        )
        line += f"; dominant clusters: {listed}"
    return parts[0] + line
