"""Every published table, defined once: a pandera schema per table, with its columns' meaning.

Each entry of :data:`TABLES` is a :class:`pandera.pandas.DataFrameSchema` whose columns carry
their dtype, nullability and value checks (validated when the table is written,
:func:`validate_table`), a ``description`` and a ``metadata={"unit": ...}``. The same schemas
give the Arrow field metadata of every Parquet file (``description``, ``unit``;
:func:`pipeline.publish.described`) and ``data_dictionary.md`` (:func:`pipeline.publish.
data_dictionary_markdown`): nothing about a column is written down twice.

Descriptions are templates. ``{dataset.measure}`` and ``{dataset.unit}`` become the dataset's
measure and unit (params ``datasets.<name>.measure`` / ``unit``); ``{section.key}`` becomes the
value of that params.yaml key, e.g. ``{measure.specialised_lq}`` -> ``1.25 (params
measure.specialised_lq)`` (:func:`render`). So a threshold is written in params.yaml only.

Columns with ``required=False`` are written for some datasets only (e.g. ``csa_code`` for US
metros, ``patent_intensity`` for US data); ``region_name`` / ``industry_name`` follow the code
they name in every table that has the code (:func:`pipeline.profiles.with_names`).

Where things are:

- :mod:`~pipeline.tables.columns`: column constructors (``code``, ``amount``, ``share`` ...),
  value vocabularies, the name columns, :func:`~pipeline.tables.columns.table`;
- the schemas by table family, one constant per table (``EMPLOYMENT``, ``LOCATION_QUOTIENTS``
  ...): :mod:`~pipeline.tables.inputs` (employment, regions, spatial weights),
  :mod:`~pipeline.tables.measures` (LQs, concentration, specialization, LQ change, local
  spatial statistics), :mod:`~pipeline.tables.industry_clusters` (cluster definitions,
  relatedness, derived-cluster scores), :mod:`~pipeline.tables.regional_clusters` (strength,
  transitions, regional clusters, region groups);
- :mod:`~pipeline.tables.catalog`: :data:`TABLES` in the dictionary's order, the interim tables,
  the other outputs;
- :mod:`~pipeline.tables.templates`: description templates (:func:`render`, :func:`unit_of`);
- :mod:`~pipeline.tables.validation`: :func:`validate_table`, :func:`typed_empty`.
"""

from pipeline.tables.catalog import INTERIM_TABLES, OTHER_OUTPUTS, TABLES, schema_of
from pipeline.tables.columns import CLUSTER_TYPES, H_METHODS, LABELS, QUADRANTS, SELECTED_BY
from pipeline.tables.templates import params_context, referenced_params, render, unit_of
from pipeline.tables.validation import typed_empty, validate_table

__all__ = [
    "CLUSTER_TYPES",
    "H_METHODS",
    "INTERIM_TABLES",
    "LABELS",
    "OTHER_OUTPUTS",
    "QUADRANTS",
    "SELECTED_BY",
    "TABLES",
    "params_context",
    "referenced_params",
    "render",
    "schema_of",
    "typed_empty",
    "unit_of",
    "validate_table",
]
