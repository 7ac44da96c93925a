"""The Apache Spark adapter (PySpark): a store published as Parquet, read by a Spark session."""

from __future__ import annotations

import ibis.expr.types as ir

from amip.backends import Adapter as _Base


class Adapter(_Base):
    """Spark: a cached table is a persisted DataFrame under a temporary view."""

    def cache(self, expr: ir.Table) -> ir.Table:
        # Ibis 12 compiles the query of a cached table without registering the in-memory
        # tables it reads (the calendar): register them first
        self.backend._register_in_memory_tables(expr)
        return expr.cache()

    def drop_temp(self, name: str) -> None:
        self.backend._session.catalog.dropTempView(name)
        frame = self.backend._cached_dataframes.pop(name, None)
        if frame is not None:
            frame.unpersist()
