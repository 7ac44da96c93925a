"""The DuckDB adapter: the embedded store (:mod:`amip.store.store`) and its generations."""

from __future__ import annotations

import ibis

from amip.backends import Adapter as _Base


def connect(con) -> ibis.BaseBackend:
    """An Ibis backend over an open DuckDB connection or cursor (the store's)."""
    return ibis.duckdb.from_connection(con)


class Adapter(_Base):
    """DuckDB: it plans range joins well, and a temporary table needs no statistics."""

    def drop_temp(self, name: str) -> None:
        self.backend.raw_sql(f'DROP TABLE IF EXISTS "{name}"')  # returns the connection itself
