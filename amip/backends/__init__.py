"""One small adapter per query backend: what differs between DuckDB, PostgreSQL (and later
Spark) is said here, once, so the engine never asks which backend it runs on.

An adapter wraps an Ibis backend and offers: caching an intermediate table (Ibis
``Table.cache()``) and releasing it, the backend's capabilities as properties, and reading the
import log. :func:`adapter_for` finds the adapter of an Ibis backend by its name: the module
``amip.backends.<name>`` (``duckdb``, ``postgres``), so a new backend is one new file.
"""

from __future__ import annotations

import importlib

import ibis
import ibis.expr.types as ir


class Adapter:
    """The defaults; a backend's module subclasses it as ``Adapter`` and overrides what differs."""

    def __init__(self, backend: ibis.BaseBackend) -> None:
        self.backend = backend
        # Ibis 12 builds its DROP TABLE with sqlglot's former argument name: with the pinned
        # sqlglot 30 it reads "DROP TABLE IF EXISTS" without a name. Releasing a cached table
        # (explicitly or when Ibis collects it) drops it through drop_temp instead.
        backend._drop_cached_table = self.drop_temp

    def cache(self, expr: ir.Table) -> ir.Table:
        """Compute ``expr`` once into a temporary table of the backend (Ibis ``Table.cache()``);
        later expressions over it stay small and the work is not repeated. Release it with
        :meth:`release`. Ibis shares one cached table between equal expressions on one backend,
        so release only what no other live computation of the same backend still reads."""
        return expr.cache()

    def release(self, table: ir.Table) -> None:
        """Drop a table returned by :meth:`cache` (no-op if already released)."""
        table.release()

    def drop_temp(self, name: str) -> None:
        """Drop a temporary table (DB-API backends: ``raw_sql`` returns a cursor to close)."""
        self.backend.raw_sql(f'DROP TABLE IF EXISTS "{name}"').close()

    def imports(self) -> list[dict]:
        """The import log, oldest first, with per-file hashes and row counts."""
        t = self.backend.table("amip_imports")
        rows = t.order_by("import_id").to_pyarrow().to_pylist()
        f = self.backend.table("amip_import_files")
        files = f.order_by("import_id", "table_name").to_pyarrow().to_pylist()
        described = {}  # each import's extract.toml (stores from before it have none)
        if "amip_import_descriptions" in self.backend.list_tables():
            d = self.backend.table("amip_import_descriptions").to_pyarrow().to_pylist()
            described = {x["import_id"]: x["text"] for x in d}
        return [dict(import_id=r["import_id"], imported_at=r["imported_at"], source=r["source"],
                     fingerprint=r["fingerprint"], amip_version=r["amip_version"],
                     rows_added=r["rows_added"], description=described.get(r["import_id"]),
                     files=[dict(table=x["table_name"], file=x["file_name"], sha256=x["sha256"],
                                 rows=x["rows_in_file"], rows_added=x["rows_added"])
                            for x in files if x["import_id"] == r["import_id"]])
                for r in rows]

    def data_state(self) -> str:
        """Changes whenever an import (or a publish) adds data: the latest import's id and
        fingerprint from the import log. Caches key on it."""
        t = self.backend.table("amip_imports")
        row = t.aggregate(i=t.import_id.max(), f=t.fingerprint.max()).to_pyarrow().to_pylist()[0]
        return f"{row['i'] or 0}:{row['f'] or ''}"


def adapter_for(backend: ibis.BaseBackend) -> Adapter:
    """The adapter of an Ibis backend (module ``amip.backends.<backend.name>``)."""
    try:
        module = importlib.import_module(f"{__name__}.{backend.name}")
    except ModuleNotFoundError as e:
        raise LookupError(f"amip hat keinen Adapter für das Backend {backend.name!r}") from e
    return module.Adapter(backend)
