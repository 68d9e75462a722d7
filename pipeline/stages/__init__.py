"""Stage entry points: read a stage's inputs, call the library, write its outputs atomically.

One module per DVC stage (``ingest``, ``measure``, ``relate``, ``cluster``, ``spatial``,
``label``, ``region_groups``, ``publish``, ``maps``), each importing only what its stage
needs; :mod:`pipeline.stages.common` holds what they share (:class:`Layout`, the readers)
and :mod:`pipeline.stages.names` the region and industry names of published tables. These
modules (with the CLI) are the only code that touches disk; ``regclust <stage>`` imports
just its own (this package imports none of them).
"""
