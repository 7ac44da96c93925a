"""Where an engine computation reads its data, and which backend computes (issue 16).

Every engine command offers the same choice (``--backend duckdb|postgres|spark``): the data come
from a DuckDB store file, an extract directory (validated, imported in memory), a store published
into PostgreSQL, or a store published as Parquet (read by Spark). :func:`open_source` yields a
:class:`~amip.store.views.StoreView` on the chosen backend, so the engine runs unchanged.

What each combination reads:

- duckdb, ``--data`` extract: validated and imported into an in-memory store;
- duckdb, ``--store`` (or the default): the store file, read only;
- postgres, ``--pg`` alone: the store published into ``--schema`` (``amip publish --pg``);
- postgres, ``--data`` or ``--store``: published into a temporary schema, dropped afterwards;
- spark, ``--data`` Parquet store: the store published with ``amip publish --parquet``;
- spark, ``--data`` extract: imported in memory, published to temporary Parquet;
- spark, ``--store`` (or the default): the store file published to temporary Parquet.

The temporary copies are said on ``note`` (the CLI prints it on stderr), never silently.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from amip.store.views import StoreView

BACKENDS = ("duckdb", "postgres", "spark")

Note = Callable[[str], None]


class SourceError(ValueError):
    """The source and the backend do not go together (German message for the user)."""


@dataclass(frozen=True)
class Source:
    """What a command was asked to read: one of ``data_dir``, ``store_path`` (None: the default
    store, $AMIP_STORE or amip.duckdb), and the backend with its connection (``pg_url``,
    ``schema`` for PostgreSQL)."""

    backend: str = "duckdb"
    data_dir: str | None = None
    store_path: str | None = None
    pg_url: str | None = None
    schema: str = "amip"

    def resolved_store(self) -> str:
        """The store file this source names (explicitly or by default)."""
        from amip.store.store import DEFAULT_STORE

        return self.store_path or os.environ.get("AMIP_STORE", DEFAULT_STORE)


@contextlib.contextmanager
def open_source(source: Source, as_of: dt.date | None = None,
                note: Note | None = None) -> Iterator[StoreView]:
    """The view of ``source`` on its backend as known on ``as_of``; closed (and any temporary
    copy removed) on exit. Raises :class:`SourceError` for a combination that cannot work,
    :class:`~amip.extract.errors.ExtractInvalid` for an invalid extract."""
    say = note or (lambda _: None)
    if source.data_dir and source.store_path:
        raise SourceError("--data oder --store angeben, nicht beides")
    if source.backend not in BACKENDS:
        raise SourceError(f"Backend {source.backend!r} gibt es nicht: {', '.join(BACKENDS)}")
    opener = {"duckdb": _duckdb, "postgres": _postgres, "spark": _spark}[source.backend]
    with opener(source, as_of, say) as view:
        yield view


def _store_of(source: Source):
    """The DuckDB store of a duckdb-style source: the extract imported in memory, or the file."""
    from amip.store import Store

    if source.data_dir:
        from amip.store.parquet import is_parquet_store

        if is_parquet_store(source.data_dir):
            raise SourceError(f"{source.data_dir} ist ein mit amip publish --parquet "
                              f"veröffentlichter Datenbestand, kein Auszug: mit --backend spark "
                              f"lesen")
        store = Store.memory()
        try:
            store.import_extract(source.data_dir)
        except BaseException:
            store.close()
            raise
        return store
    path = source.resolved_store()
    if not Path(path).exists():
        raise SourceError(f"Datenbestand {path} nicht gefunden: zuerst einen Auszug importieren "
                          "(amip import) oder --data angeben")
    return Store.open(path, read_only=True)


@contextlib.contextmanager
def _duckdb(source: Source, as_of, say: Note) -> Iterator[StoreView]:
    store = _store_of(source)
    try:
        yield store.view(as_of)
    finally:
        store.close()


@contextlib.contextmanager
def _postgres(source: Source, as_of, say: Note) -> Iterator[StoreView]:
    from amip.store.postgres import postgres_view, publish_to_postgres, redact

    if not source.pg_url:
        raise SourceError("--backend postgres braucht eine Verbindung: --pg URL oder $AMIP_PG_URL")
    if not (source.data_dir or source.store_path):
        try:
            view = postgres_view(source.pg_url, source.schema, as_of)
        except LookupError as e:
            raise SourceError(str(e)) from None
        try:
            yield view
        finally:
            view.close()
        return
    # a store or an extract: published into a temporary schema, dropped afterwards
    import psycopg
    from psycopg import sql

    schema = f"amip_tmp_{os.getpid()}_{secrets.token_hex(4)}"
    what = source.data_dir or source.store_path
    say(f"Hinweis: {what} wird für PostgreSQL in das temporäre Schema {schema} in "
        f"{redact(source.pg_url)} veröffentlicht und danach gelöscht.")
    store = _store_of(source)
    try:
        try:
            publish_to_postgres(store, source.pg_url, schema)
        finally:
            store.close()
        view = postgres_view(source.pg_url, schema, as_of)
        try:
            yield view
        finally:
            view.close()
    finally:
        with contextlib.suppress(psycopg.Error), \
                psycopg.connect(source.pg_url, autocommit=True) as pg:
            pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@contextlib.contextmanager
def _spark(source: Source, as_of, say: Note) -> Iterator[StoreView]:
    from amip.store.parquet import is_parquet_store, publish_to_parquet, spark_view

    if source.data_dir and is_parquet_store(source.data_dir):
        view = spark_view(source.data_dir, as_of)
        try:
            yield view
        finally:
            view.close()
        return
    what = source.data_dir or source.resolved_store()
    kind = "Der Auszug" if source.data_dir else "Der Datenbestand"
    store = _store_of(source)
    tmp = tempfile.mkdtemp(prefix="amip-parquet-")
    say(f"Hinweis: {kind} {what} ist kein Parquet-Datenbestand; er wird für Spark "
        f"vorübergehend als Parquet veröffentlicht ({tmp}, danach gelöscht). Für wiederholte "
        f"Läufe einmal amip publish --parquet DIR ausführen und --data DIR angeben.")
    try:
        target = Path(tmp) / "store"
        try:
            publish_to_parquet(store, target)
        finally:
            store.close()
        view = spark_view(target, as_of)
        try:
            yield view
        finally:
            view.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
