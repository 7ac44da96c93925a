"""The store on PostgreSQL: publish a DuckDB store into a PostgreSQL schema, and read it back.

``publish_to_postgres`` copies every stored table (with ``_import_id``) and the import log into one
PostgreSQL schema, in one PostgreSQL transaction: a failed or interrupted publish leaves the
schema exactly as it was. The schema is a copy of exactly one store. A later publish of the same
store appends only the rows of imports the schema has not seen; a schema whose import log is not
a prefix of the store's log (another store, or a store that was rebuilt) is refused, so no
command ever overwrites data in PostgreSQL.

``postgres_view`` gives the same :class:`~amip.store.views.StoreView` as ``Store.view``, so every
engine function runs unchanged on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

from amip.backends.postgres import check_schema_name, connect
from amip.errors import StoreError
from amip.store.published import disagreement
from amip.extract.schema import TABLES
from amip.store.store import DESCRIPTIONS, Store
from amip.store.views import StoreView

Progress = Callable[[str, int, int], None]  # (step, done, total), as in Store

#: DuckDB/SQL type of a store column (schema.SQL_TYPES) -> PostgreSQL type.
PG_TYPES: dict[str, str] = {
    "VARCHAR": "text",
    "DATE": "date",
    "DECIMAL(18,2)": "numeric(18,2)",
    "INTEGER": "integer",
}

#: The import log, as created by Store._ensure_schema, in PostgreSQL types.
LOG_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "amip_meta": (("key", "text PRIMARY KEY"), ("value", "text")),
    "amip_imports": (("import_id", "integer PRIMARY KEY"), ("imported_at", "timestamp"),
                     ("source", "text"), ("fingerprint", "text"), ("amip_version", "text"),
                     ("rows_added", "bigint")),
    "amip_import_files": (("import_id", "integer NOT NULL"), ("table_name", "text"),
                          ("file_name", "text"), ("sha256", "text"), ("rows_in_file", "bigint"),
                          ("rows_added", "bigint")),
    DESCRIPTIONS: (("import_id", "integer NOT NULL"), ("text", "text")),
}

BATCH_ROWS = 500_000  # rows per CSV chunk sent to COPY: bounds the memory of one publish


class PublishRefused(StoreError, RuntimeError):
    """The target schema holds data that is not an earlier state of this store."""


def pg_type(duck_type: str) -> str:
    try:
        return PG_TYPES[duck_type]
    except KeyError:
        raise ValueError(f"no PostgreSQL type for store type {duck_type}") from None


def _table_columns(name: str) -> list[tuple[str, str]]:
    """(column, PostgreSQL type) of a stored table or log table, in store order."""
    if name in LOG_TABLES:
        return list(LOG_TABLES[name])
    return [(c.name, pg_type(c.sql_type)) for c in TABLES[name].columns] + \
        [("_import_id", "integer NOT NULL")]


def _indexes(name: str) -> list[tuple[str, ...]]:
    """Column lists worth an index for the engine's joins and Stichtag filters."""
    if name in LOG_TABLES:
        return [("import_id",)] if name == "amip_import_files" else []
    spec = TABLES[name]
    cols = spec.column_names
    out = []
    if "person_id" in cols:
        out.append(("person_id",))
    if spec.period:
        out.append(spec.period)
    if "month" in cols:
        out.append(("month",))
    if name == "elb_spells":
        out.append(("bg_id",))
    return out


def redact(url: str) -> str:
    """The URL (or key=value conninfo) with its password replaced by ***, for messages."""
    url = re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)
    return re.sub(r"(password=)[^&\s]*", r"\1***", url)


# -- publish ----------------------------------------------------------------------------------

def publish_to_postgres(store: Store, url: str, schema: str = "amip",
                        progress: Progress | None = None) -> dict[str, int]:
    """Copy the store into PostgreSQL schema ``schema``; returns rows copied per table.

    All or nothing, in one PostgreSQL transaction. Only imports the schema does not hold yet are
    copied; raises :class:`PublishRefused` if the schema holds other data.
    """
    check_schema_name(schema)
    step = progress or (lambda *_: None)
    duck = store.con
    names = list(TABLES) + list(LOG_TABLES)
    copied = dict.fromkeys(names, 0)

    step("connect", 0, 1)
    with psycopg.connect(url, autocommit=True) as pg:
        # the whole publish is one transaction: an exception or a lost connection rolls it back
        with pg.transaction():
            cur = pg.cursor()
            # one publisher per schema at a time (released at commit or rollback)
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"amip publish {schema}"])
            duck.execute("BEGIN TRANSACTION")  # one consistent snapshot of the store
            try:
                log = duck.sql("SELECT import_id, imported_at, fingerprint, rows_added "
                               "FROM amip_imports ORDER BY import_id").fetchall()
                meta = dict(duck.sql("SELECT key, value FROM amip_meta").fetchall())
                fresh, done = _prepare_schema(cur, schema, log, meta)
                last = log[-1][0] if log else 0
                if not fresh and done == last:
                    step("up to date", 1, 1)
                    return copied
                where = f"_import_id > {done} AND _import_id <= {last}"
                for i, name in enumerate(TABLES):
                    step(f"copy {name}", i, len(names))
                    copied[name] = _copy(duck, cur, schema, name, where)
                log_where = f"import_id > {done} AND import_id <= {last}"
                for name in ("amip_import_files", DESCRIPTIONS, "amip_imports"):
                    if name == DESCRIPTIONS and not store._has_table(name):
                        continue  # a store from before extract.toml
                    copied[name] = _copy(duck, cur, schema, name, log_where)
                if fresh:
                    copied["amip_meta"] = _copy(duck, cur, schema, "amip_meta", "true")
            finally:
                duck.execute("ROLLBACK")
            step("index", len(names) - 1, len(names))
            for name in names:
                for cols in _indexes(name):
                    index = f"{name}_{'_'.join(cols)}_idx"
                    cur.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                        sql.Identifier(index), sql.Identifier(schema, name),
                        sql.SQL(", ").join(map(sql.Identifier, cols))))
            step("analyze", len(names) - 1, len(names))
            for name in names:
                if copied[name]:
                    cur.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, name)))
            step("commit", len(names), len(names))
    return copied


def _prepare_schema(cur: psycopg.Cursor, schema: str, log: list[tuple],
                    meta: dict) -> tuple[bool, int]:
    """Check (or create) the schema's tables: (newly created, last import id it holds)."""
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                [schema])
    existing = {r[0] for r in cur.fetchall()}
    ours = set(TABLES) | set(LOG_TABLES)
    if existing and "amip_imports" not in existing:
        raise PublishRefused(
            f"Schema {schema} enthält schon Tabellen ({', '.join(sorted(existing)[:5])}), aber kein "
            f"Importprotokoll von amip: es wurde nicht von amip publish geschrieben. Nichts wurde "
            f"geändert; ein anderes Schema wählen (--schema) oder dieses selbst löschen.")
    done = 0
    if "amip_imports" in existing:
        ident = sql.Identifier(schema, "amip_imports")
        cur.execute(sql.SQL("SELECT import_id, imported_at, fingerprint, rows_added FROM {} "
                            "ORDER BY import_id").format(ident))
        theirs = cur.fetchall()
        if len(theirs) > len(log) or [tuple(r) for r in theirs] != \
                [tuple(r) for r in log[:len(theirs)]]:
            raise PublishRefused(disagreement(f"Schema {schema}", "das Schema",
                                              "in ein anderes Schema veröffentlichen (--schema)",
                                              theirs, log))
        cur.execute(sql.SQL("SELECT key, value FROM {}").format(
            sql.Identifier(schema, "amip_meta")))
        their_meta = dict(cur.fetchall())
        if their_meta.get("store_format") != meta.get("store_format"):
            raise PublishRefused(
                f"Schema {schema} hat das Speicherformat {their_meta.get('store_format')}, der "
                f"Datenbestand das Format {meta.get('store_format')}; nichts wurde geändert, in "
                f"ein neues Schema veröffentlichen (--schema).")
        done = theirs[-1][0] if theirs else 0
    cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    for name in ours:
        cols = _table_columns(name)
        if name in existing:
            _check_columns(cur, schema, name, cols)
            continue
        cur.execute(sql.SQL("CREATE TABLE {} ({})").format(
            sql.Identifier(schema, name),
            sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
                               for c, t in cols)))
    return "amip_imports" not in existing, done


def _check_columns(cur: psycopg.Cursor, schema: str, name: str,
                   cols: list[tuple[str, str]]) -> None:
    cur.execute("SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                [schema, name])
    have = [r[0] for r in cur.fetchall()]
    want = [c for c, _ in cols]
    if have != want:
        raise PublishRefused(
            f"Tabelle {schema}.{name} hat die Spalten {have}, diese amip-Version speichert {want}; "
            f"nichts wurde geändert, in ein neues Schema veröffentlichen (--schema).")


def _copy(duck, cur: psycopg.Cursor, schema: str, name: str, where: str) -> int:
    """COPY the rows of one table matching ``where`` from DuckDB into PostgreSQL (CSV chunks)."""
    cols = [c for c, _ in _table_columns(name)]
    select = ", ".join(f'"{c}"' for c in cols)
    reader = duck.sql(f"SELECT {select} FROM main.{name} WHERE {where}").to_arrow_reader(
        BATCH_ROWS)
    options = pacsv.WriteOptions(include_header=False)
    rows = 0
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(schema, name), sql.SQL(", ").join(map(sql.Identifier, cols)))
    with cur.copy(copy_sql) as copy:
        for batch in reader:
            if not batch.num_rows:
                continue
            sink = pa.BufferOutputStream()
            # strings are always quoted, NULLs are written as nothing: COPY reads "" as an empty
            # string and an unquoted empty field as NULL
            pacsv.write_csv(batch, sink, options)
            copy.write(memoryview(sink.getvalue()))
            rows += batch.num_rows
    return rows


# -- reading ----------------------------------------------------------------------------------

#: connecting and the session options are the PostgreSQL adapter's (:mod:`amip.backends.postgres`)
connect_ibis = connect

class PostgresView(StoreView):
    """A StoreView over a PostgreSQL schema written by :func:`publish_to_postgres`."""

    def __init__(self, backend, as_of: dt.date | None = None, schema: str = "amip") -> None:
        super().__init__(backend, as_of)
        self.schema = schema

    def table(self, name: str, key_filter=None):
        if name not in TABLES:
            raise KeyError(f"{name} is not a store table")
        return super().table(name, key_filter)

    def at(self, as_of: dt.date | None) -> "PostgresView":
        return PostgresView(self.backend, as_of, self.schema)

    def close(self) -> None:
        self.backend.disconnect()

    def __enter__(self) -> "PostgresView":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def postgres_view(url: str, schema: str = "amip", as_of: dt.date | None = None) -> PostgresView:
    """The store published into ``schema`` as known on ``as_of`` (same API as ``Store.view``)."""
    backend = connect_ibis(url, schema)
    present = set(backend.list_tables(database=schema))
    if "amip_imports" not in present:
        backend.disconnect()
        raise LookupError(f"Schema {schema} in {redact(url)} enthält keinen amip-Datenbestand: "
                          f"zuerst amip publish ausführen")
    return PostgresView(backend, as_of, schema)
