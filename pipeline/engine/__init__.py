"""engine: how the measures run on a big panel (Parquet reads by year, dask tasks by year).

The measures themselves (:mod:`pipeline.measures`) are pure functions of tables; this
package reads one year of a Parquet employment table (:mod:`pipeline.engine.panel`) and
runs the measure kernels one year per task on a dask cluster
(:mod:`pipeline.engine.distributed`).
"""
