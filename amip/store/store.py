"""The embedded store: one DuckDB file holding every extract ever imported.

Rows are only ever added. Each stored row carries the ``_import_id`` of the import that brought
it; ``recorded_on`` still tells what the source system knew when (see :mod:`amip.store.views`).
An import runs in one transaction: if it fails or the process is killed (even with ``kill -9``),
the store is exactly as it was before. ``amip import`` imports into a copy of the file and
renames it into place (:mod:`amip.store.swap`), so the web server can keep reading meanwhile.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow as pa

from amip import __version__
from amip.errors import StoreError
from amip.files import FILE_MODE
from amip.extract.description import parse as parse_description
from amip.extract.errors import ExtractError, ExtractInvalid, excerpt
from amip.extract.reader import RawExtract, RawTable, as_text, read_extract
from amip.extract.schema import TABLES
from amip.extract.validate import payment_warnings, validate

DEFAULT_STORE = "amip.duckdb"
STORE_FORMAT = 1
#: mode of the files amip creates for a store: they hold person-level data, so their owner only
#: the text of each import's extract.toml (data contract), part of the import log
DESCRIPTIONS = "amip_import_descriptions"
#: the data-quality counts after each import (amip.engine.quality_rules)
QUALITY_LOG = "amip_quality_log"
#: the flagged row keys after each import (what changed: new and resolved rows per rule)
QUALITY_ROWS = "amip_quality_rows"
DESCRIPTIONS_DDL = f"CREATE TABLE {DESCRIPTIONS} (import_id INTEGER, text VARCHAR)"

Progress = Callable[[str, int, int], None]  # (step, done, total)


@dataclass
class ImportResult:
    import_id: int | None  # None when nothing was imported (same extract again)
    source: str
    fingerprint: str
    rows_in_files: dict[str, int] = field(default_factory=dict)
    rows_added: dict[str, int] = field(default_factory=dict)
    already_imported_as: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def total_added(self) -> int:
        return sum(self.rows_added.values())


class StoreLocked(StoreError, RuntimeError):
    pass


class Store:
    """A DuckDB store (a file, or in memory for tests and checks)."""

    #: a store was opened in this process: forking it is no longer safe (amip.background)
    opened_in_process = False

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str | None) -> None:
        Store.opened_in_process = True
        self.con = con
        self.path = path
        self._ensure_schema()

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path = DEFAULT_STORE, read_only: bool = False,
             threads: int | None = None) -> "Store":
        """Open a store file (a new one readable by its owner only); ``threads`` caps DuckDB's
        worker threads (default: one per core), for processes that share the machine with
        others (:mod:`amip.background`)."""
        path = str(path)
        new = not Path(path).exists()
        if read_only and new:
            raise FileNotFoundError(f"Datenbestand {path} nicht gefunden: zuerst einen Auszug "
                                    f"importieren (amip import VERZEICHNIS --store {path})")
        try:
            con = duckdb.connect(path, read_only=read_only,
                                 config={"threads": threads} if threads else {})
        except duckdb.IOException as e:
            if "lock" in str(e).lower():
                raise StoreLocked(f"Datenbestand {path} wird gerade von einem anderen "
                                  f"amip-Vorgang geschrieben") from e
            raise
        if new:
            os.chmod(path, FILE_MODE)
        return cls(con, path)

    @staticmethod
    def preload() -> None:
        """Import the Ibis DuckDB backend and what its first query loads (pandas): 0.3 s that
        forked children (:mod:`amip.background`) then need not spend again."""
        import ibis.backends.duckdb  # noqa: F401
        import ibis.backends.duckdb.converter  # noqa: F401

    @classmethod
    def memory(cls) -> "Store":
        return cls(duckdb.connect(), None)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _ensure_schema(self) -> None:
        existing = {r[0] for r in self.con.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        if "amip_imports" in existing:
            if DESCRIPTIONS not in existing and not self._read_only():
                self.con.execute(DESCRIPTIONS_DDL)  # a store from before extract.toml
            return
        self.con.execute("BEGIN")
        self.con.execute(
            "CREATE TABLE amip_meta (key VARCHAR PRIMARY KEY, value VARCHAR);"
            "CREATE TABLE amip_imports (import_id INTEGER PRIMARY KEY, imported_at TIMESTAMP,"
            " source VARCHAR, fingerprint VARCHAR, amip_version VARCHAR, rows_added BIGINT);"
            "CREATE TABLE amip_import_files (import_id INTEGER, table_name VARCHAR,"
            " file_name VARCHAR, sha256 VARCHAR, rows_in_file BIGINT, rows_added BIGINT);"
        )
        self.con.execute(DESCRIPTIONS_DDL)
        self.con.execute("INSERT INTO amip_meta VALUES ('store_format', ?)", [str(STORE_FORMAT)])
        for table in TABLES.values():
            cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in table.columns)
            self.con.execute(f"CREATE TABLE {table.name} ({cols}, _import_id INTEGER NOT NULL)")
        self.con.execute("COMMIT")

    # -- importing ----------------------------------------------------------------------------

    def import_extract(self, directory: str | Path, progress: Progress | None = None) -> ImportResult:
        """Validate and import an extract folder, all or nothing."""
        return self._import(read_extract(directory), progress)

    def import_tables(self, tables: dict[str, pa.Table], source: str = "memory",
                      progress: Progress | None = None,
                      description: str | None = None) -> ImportResult:
        """Import tables held in memory (e.g. from ``amip synth``) through the same checks;
        ``description`` is the text of an ``extract.toml``."""
        raw = RawExtract(source=source, description=description)
        if description is not None:
            raw.errors += parse_description(description)[1]
        for name, data in tables.items():
            text = as_text(data)
            raw.tables[name] = RawTable(name, f"{name} ({source})", text, first_line=1,
                                        sha256=_arrow_sha256(data))
        for name, table in TABLES.items():
            if table.required and name not in raw.tables:
                raw.errors.append(ExtractError(name, None, None, None,
                                               f"Pflichttabelle {name} fehlt"))
        return self._import(raw, progress)

    def _import(self, raw: RawExtract, progress: Progress | None) -> ImportResult:
        step = progress or (lambda *_: None)
        result = ImportResult(None, raw.source, raw.fingerprint,
                              {n: t.num_rows for n, t in raw.tables.items()})
        result.warnings += [f"Datei {excerpt(f)!r} gehört nicht zum Auszugsformat und wurde übergangen"
                            for f in raw.ignored_files]
        for rt in raw.tables.values():
            extra = set(rt.columns) - set(TABLES[rt.name].column_names)
            result.warnings += [f"{rt.file}: Spalte {excerpt(c)!r} gehört nicht zum Format und wurde übergangen"
                                for c in sorted(extra)]
        if not raw.errors:
            previous = self.con.execute(
                "SELECT import_id FROM amip_imports WHERE fingerprint = ?", [raw.fingerprint]
            ).fetchall()
            if previous:
                result.already_imported_as = previous[0][0]
                return result
        step("validate", 0, 1)
        non_empty = {t for t in TABLES if self._has_rows(t)}
        errors = validate(raw, self.con, non_empty)
        if errors:
            raise ExtractInvalid(errors, raw.source)
        result.warnings += payment_warnings(raw)
        staged = self._stage(raw, step)
        try:
            conflicts = self._conflicts(raw, staged)
            if conflicts:
                raise ExtractInvalid(conflicts, raw.source)
            self._commit(raw, staged, result, step)
        finally:
            for name, stage in staged.items():
                self.con.execute(f"DROP VIEW IF EXISTS {stage}")
                raw.tables[name].unregister(self.con, f"_text_{name}")
        return result

    def _read_only(self) -> bool:
        try:
            return self.con.sql("SELECT current_setting('access_mode')").fetchall()[0][0] \
                == "read_only"
        except duckdb.Error:
            return False

    def _has_rows(self, name: str) -> bool:
        return bool(self.con.sql(f"SELECT 1 FROM main.{name} LIMIT 1").fetchall())

    def _stage(self, raw: RawExtract, step: Progress) -> dict[str, str]:
        """Typed views over the (valid) text tables; nothing is copied until the insert."""
        staged = {}
        for i, (name, rt) in enumerate(raw.tables.items()):
            step(f"prepare {name}", i, len(raw.tables))
            table = TABLES[name]
            view, stage = f"_text_{name}", f"_stage_{name}"
            rt.register(self.con, view)
            present = set(rt.columns)
            cols = ", ".join(
                (f'CAST("{c.name}" AS {c.sql_type})' if c.name in present else f"NULL::{c.sql_type}")
                + f' AS "{c.name}"' for c in table.columns)
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {stage} AS SELECT {cols}, _line FROM {view}")
            staged[name] = stage
        return staged

    def _conflicts(self, raw: RawExtract, staged: dict[str, str]) -> list[ExtractError]:
        """Rows whose key and recorded_on are already stored with other content."""
        errors = []
        for name, stage in staged.items():
            table = TABLES[name]
            if not table.has_recorded_on or not self._has_rows(name):
                continue
            on = " AND ".join(f's."{k}" IS NOT DISTINCT FROM m."{k}"' for k in table.unique_key)
            same = " AND ".join(f's."{c}" IS NOT DISTINCT FROM m."{c}"' for c in table.column_names)
            rows = self.con.sql(
                f"SELECT s._line, min(m._import_id) FROM {stage} s JOIN main.{name} m ON {on} "
                f"WHERE NOT ({same}) GROUP BY s._line ORDER BY s._line LIMIT 200").fetchall()
            for line, import_id in rows:
                errors.append(ExtractError(
                    raw.tables[name].file, int(line), table.key[0], None,
                    f"eine Zeile mit demselben Schlüssel und recorded_on, aber anderen Werten ist "
                    f"schon im Datenbestand (Import Nr. {import_id}); eine Korrektur braucht ein "
                    f"späteres recorded_on"))
        return errors

    def _commit(self, raw: RawExtract, staged: dict[str, str], result: ImportResult,
                step: Progress) -> None:
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            import_id = con.sql("SELECT coalesce(max(import_id), 0) + 1 FROM amip_imports"
                                ).fetchall()[0][0]
            for i, (name, stage) in enumerate(staged.items()):
                step(f"import {name}", i, len(staged))
                cols = ", ".join(f'"{c}"' for c in TABLES[name].column_names)
                before = con.sql(f"SELECT count(*) FROM main.{name}").fetchall()[0][0]
                # rows already stored are skipped. With recorded_on, a stored key and recorded_on
                # with other values was rejected above, so comparing those suffices; without it,
                # a changed row is a new version (the latest import wins in the views).
                spec = TABLES[name]
                key = spec.unique_key if spec.has_recorded_on else spec.column_names
                known = " AND ".join(f's."{k}" IS NOT DISTINCT FROM m."{k}"' for k in key)
                con.execute(
                    f"INSERT INTO main.{name} ({cols}, _import_id) SELECT {cols}, {import_id} "
                    f"FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM main.{name} m WHERE {known})")
                added = con.sql(f"SELECT count(*) FROM main.{name}").fetchall()[0][0] - before
                result.rows_added[name] = added
                rt = raw.tables[name]
                con.execute("INSERT INTO amip_import_files VALUES (?, ?, ?, ?, ?, ?)",
                            [import_id, name, rt.file, rt.sha256, rt.num_rows, added])
            self._keep_current(import_id, result.rows_added, step)
            if raw.description is not None:
                con.execute(f"INSERT INTO {DESCRIPTIONS} VALUES (?, ?)",
                            [import_id, raw.description])
            con.execute("INSERT INTO amip_imports VALUES (?, ?, ?, ?, ?, ?)",
                        [import_id, utc_now(), raw.source,
                         raw.fingerprint, __version__, result.total_added])
            step("commit", len(staged), len(staged))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        result.import_id = import_id

    def keep_current(self, progress: Progress | None = None) -> None:
        """Keep every table's current rows as of the latest import, in one transaction: for a
        store whose rows came otherwise than by an import of this version (a store from
        before, the benchmarks' scaled-up copies)."""
        latest = self.con.sql("SELECT max(import_id) FROM amip_imports").fetchall()[0][0]
        if latest is None:
            return
        self.con.execute("BEGIN TRANSACTION")
        try:
            self._keep_current(latest, dict.fromkeys(TABLES, 1), progress or (lambda *_: None))
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _keep_current(self, import_id: int, added: dict[str, int], step: Progress) -> None:
        """Keep each table's current rows as of this import (:mod:`amip.store.views`): rebuilt
        where rows were added (or none are kept yet), logged for every table."""
        import ibis

        from amip.backends.duckdb import connect
        from amip.store.views import CURRENT, CURRENT_LOG, current_rows

        con = self.con
        con.execute(f"CREATE TABLE IF NOT EXISTS {CURRENT_LOG} (table_name VARCHAR, "
                    "import_id INTEGER)")
        backend = connect(con)
        for i, name in enumerate(TABLES):
            if added.get(name) or not self._has_table(CURRENT + name):
                step(f"current {name}", i, len(TABLES))
                sql = ibis.to_sql(current_rows(backend.table(name), name), dialect="duckdb")
                con.execute(f"CREATE OR REPLACE TABLE {CURRENT}{name} AS {sql}")
            con.execute(f"INSERT INTO {CURRENT_LOG} VALUES (?, ?)", [name, import_id])

    # -- reading ------------------------------------------------------------------------------

    def imports(self) -> list[dict]:
        """The import log, oldest first, with per-file hashes and row counts."""
        return self.view().imports()

    def _has_table(self, name: str) -> bool:
        return bool(self.con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_name = ?", [name]).fetchall())

    def row_counts(self) -> dict[str, int]:
        return {name: self.con.sql(f"SELECT count(*) FROM main.{name}").fetchall()[0][0]
                for name in TABLES}

    # -- the data-quality summary of each import (amip.engine.quality_rules) ----------------

    def log_quality(self, import_id: int, counts: dict[str, int | None]) -> None:
        """Keep the data-quality counts (rule id → flagged rows; None: not checkable) computed
        right after import ``import_id``, so the next import can say what changed."""
        self.con.execute(f"CREATE TABLE IF NOT EXISTS {QUALITY_LOG} (import_id INTEGER, "
                         "rule_id VARCHAR, flagged BIGINT)")
        self.con.executemany(f"INSERT INTO {QUALITY_LOG} VALUES (?, ?, ?)",
                             [[import_id, rule, n] for rule, n in counts.items()])

    def log_quality_rows(self, import_id: int,
                         rows: dict[str, dict[str, int] | None]) -> None:
        """Keep the flagged row keys (rule id → {row key: month}; None: not checkable) found
        right after import ``import_id``: the next import says which rows are new and which
        were resolved (person-level keys: in the store, like the rows they point to)."""
        self.con.execute(f"CREATE TABLE IF NOT EXISTS {QUALITY_ROWS} (import_id INTEGER, "
                         "rule_id VARCHAR, row_key VARCHAR, m INTEGER)")
        data = [(import_id, rule, key, m) for rule, keys in rows.items() if keys is not None
                for key, m in keys.items()]
        if data:
            self.con.register("_quality_rows", pa.table(
                {"import_id": pa.array([d[0] for d in data], pa.int32()),
                 "rule_id": [d[1] for d in data], "row_key": [d[2] for d in data],
                 "m": pa.array([d[3] for d in data], pa.int32())}))
            try:
                self.con.execute(f"INSERT INTO {QUALITY_ROWS} SELECT * FROM _quality_rows")
            finally:
                self.con.unregister("_quality_rows")

    def logged_quality_rows(self, before: int) -> dict[str, dict[str, int] | None] | None:
        """The row keys logged for the latest import before ``before`` (None: none logged;
        a rule logged as not checkable then maps to None)."""
        if not self._has_table(QUALITY_ROWS) or not self._has_table(QUALITY_LOG):
            return None
        prev = self.con.execute(f"SELECT max(import_id) FROM {QUALITY_LOG} WHERE import_id < ?",
                                [before]).fetchone()[0]
        if prev is None:
            return None
        counts = self.con.execute(f"SELECT rule_id, flagged FROM {QUALITY_LOG} WHERE "
                                  "import_id = ?", [prev]).fetchall()
        out: dict[str, dict[str, int] | None] = {r: (None if n is None else {})
                                                 for r, n in counts}
        for rule, key, m in self.con.execute(f"SELECT rule_id, row_key, m FROM {QUALITY_ROWS} "
                                             "WHERE import_id = ?", [prev]).fetchall():
            if out.get(rule) is not None:
                out[rule][key] = m
        return out

    def logged_quality(self, before: int) -> dict[str, int | None] | None:
        """The counts logged for the latest import before ``before`` (None: none logged)."""
        if not self._has_table(QUALITY_LOG):
            return None
        rows = self.con.execute(
            f"SELECT rule_id, flagged FROM {QUALITY_LOG} WHERE import_id = (SELECT max(import_id)"
            f" FROM {QUALITY_LOG} WHERE import_id < ?)", [before]).fetchall()
        return {r: n for r, n in rows} if rows else None

    def view(self, as_of: dt.date | None = None):
        """An Ibis view of the store as known on ``as_of`` (default: everything)."""
        from amip.backends.duckdb import connect
        from amip.store.views import StoreView

        view = StoreView(connect(self.con), as_of)
        # the incremental fact store (amip.engine.kept_facts) beside the file: <store>.facts/
        view.kept_facts = f"{self.path}.facts" if self.path not in (None, ":memory:") else None
        return view


def utc_now() -> dt.datetime:
    """Now in UTC, naive, to the second: ``amip_imports.imported_at`` (shown in local time by
    :func:`amip.i18n.local_time`)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _arrow_sha256(data: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()

