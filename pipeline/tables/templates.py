"""Description templates: params.yaml values and the dataset's measure and unit filled in.

``{dataset.measure}`` and ``{dataset.unit}`` become the dataset's measure and unit (params
``datasets.<name>.measure`` / ``unit``); ``{section.key}`` becomes the value of that params.yaml
key, e.g. ``{measure.specialised_lq}`` -> ``1.25 (params measure.specialised_lq)``
(:func:`render`). So a threshold is written in params.yaml only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import pandera.pandas as pa

_TOKEN = re.compile(r"\{([a-z_]+(?:\.[A-Za-z_]+)+)\}")
_DATASET_FALLBACK = {"measure": "the dataset's measure", "unit": "the dataset's unit"}


def params_context(settings: Any) -> dict[str, str]:
    """params.yaml values as ``{"params.spatial.alpha": "0.05", ...}`` for :func:`render`.

    ``settings`` is a :class:`pipeline.config.Settings`; datasets and compute are left out
    (the dataset's own keys come from the writer's metadata).
    """
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if dataclasses.is_dataclass(value):
            for item in dataclasses.fields(value):
                walk(f"{prefix}.{item.name}", getattr(value, item.name))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}.{key}", item)
        elif isinstance(value, tuple | list):
            flat[prefix] = ", ".join(str(v) for v in value)
        else:
            flat[prefix] = "null" if value is None else str(value)

    for item in dataclasses.fields(settings):
        if item.name not in ("datasets", "compute", "classifications"):
            walk(f"params.{item.name}", getattr(settings, item.name))
    return flat


def referenced_params(text: str) -> list[str]:
    """The params keys a description template refers to (``spatial.alpha`` ...)."""
    return [key for key in _TOKEN.findall(text) if not key.startswith("dataset.")]


def render(text: str, context: Mapping[str, str] | None = None) -> str:
    """Fill a description template from a writer's metadata (see the module docstring).

    ``context`` maps ``measure``, ``unit`` (the dataset's) and ``params.<key>`` to values; a
    key it lacks reads as ``params <key>`` (or "the dataset's measure / unit").

    Examples
    --------
    >>> render("LQ >= {measure.specialised_lq}", {"params.measure.specialised_lq": "1.25"})
    'LQ >= 1.25 (params measure.specialised_lq)'
    >>> render("{dataset.measure} ({dataset.unit})", {"measure": "employment"})
    "employment (the dataset's unit)"
    >>> render("LQ >= {measure.specialised_lq}")
    'LQ >= params measure.specialised_lq'
    """
    context = context or {}

    def value(match: re.Match) -> str:
        key = match.group(1)
        if key.startswith("dataset."):
            name = key.split(".", 1)[1]
            return str(context.get(name) or _DATASET_FALLBACK.get(name, key))
        known = context.get(f"params.{key}")
        return f"{known} (params {key})" if known is not None else f"params {key}"

    return _TOKEN.sub(value, text)


def unit_of(column_schema: pa.Column, context: Mapping[str, str] | None = None) -> str:
    """A column's unit with its tokens replaced by bare values (``{dataset.unit}`` -> the
    dataset's unit, ``{label.patents_per_jobs}`` -> ``1000``); unknown tokens stay as names."""
    context = context or {}

    def value(match: re.Match) -> str:
        key = match.group(1)
        if key.startswith("dataset."):
            return str(context.get(key.split(".", 1)[1]) or "")
        return str(context.get(f"params.{key}", key))

    return _TOKEN.sub(value, (column_schema.metadata or {}).get("unit", ""))
