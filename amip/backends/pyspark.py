"""The Apache Spark adapter (PySpark): a store published as Parquet, read by a Spark session
(:mod:`amip.store.parquet`, :mod:`amip.backends.spark_session`).

Where the time went on Spark (docs/spark.md, "Speed"): not in reading, but in the engine's one
large count query. Ibis' ``Table.cache()`` on Spark is lazy (``DataFrame.cache()``), so the big
query first computed every cached intermediate inside itself, and Spark analysed and optimised
the whole lineage of each cached table again in every later query. This adapter computes a
cached table at once and cuts its lineage (``localCheckpoint``): later queries read a small
in-memory relation, their plans stay small.
"""

from __future__ import annotations

import os

import ibis.expr.types as ir

from amip.backends import Adapter as _Base

#: how a cached table is kept: ``checkpoint`` (computed now, lineage cut), ``eager`` (computed
#: now, lineage kept), ``lazy`` (Ibis' default: computed by the first query that reads it).
#: $AMIP_SPARK_CACHE chooses another for measurements (bench/bench_spark.py).
CACHE_MODE = "checkpoint"


class Adapter(_Base):
    """Spark: a cached table is a computed DataFrame under a temporary view."""

    def __init__(self, backend) -> None:
        super().__init__(backend)
        self.mode = os.environ.get("AMIP_SPARK_CACHE", CACHE_MODE)
        backend._create_cached_table = self._create_cached

    def cache(self, expr: ir.Table) -> ir.Table:
        # Ibis 12 compiles the query of a cached table without registering the in-memory
        # tables it reads (the calendar): register them first
        self.backend._register_in_memory_tables(expr)
        return expr.cache()

    def _create_cached(self, name: str, expr: ir.Table) -> ir.Table:
        backend = self.backend
        frame = backend._session.sql(backend.compile(expr))
        if self.mode == "checkpoint":
            frame = frame.localCheckpoint(eager=True)
        else:
            frame = frame.cache()
            if self.mode == "eager":
                frame.count()
        frame.createOrReplaceTempView(name)
        backend._cached_dataframes[name] = frame
        return backend.table(name)

    def drop_temp(self, name: str) -> None:
        self.backend._session.catalog.dropTempView(name)
        frame = self.backend._cached_dataframes.pop(name, None)
        if frame is not None:
            frame.unpersist()
            if self.mode == "checkpoint":  # the checkpointed blocks are the RDD's
                frame._jdf.queryExecution().analyzed().rdd().unpersist(False)
