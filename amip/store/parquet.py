"""The store as Parquet files, for Apache Spark: publish a DuckDB store into a directory, and read
it back as a :class:`~amip.store.views.StoreView` on Spark.

Layout of a published directory (docs/spark.md)::

    DIR/amip_meta/meta.parquet                  the store format (written by the first publish)
    DIR/<table>/import-000001.parquet           the rows each import brought (with _import_id)
    DIR/amip_imports/import-000001.parquet      the import log, one file per import
    DIR/amip_import_files/import-000001.parquet
    DIR/amip_import_descriptions/import-000001.parquet
    DIR/amip_current_<table>/import-000001.parquet   its current rows as of that import
    DIR/amip_current_log/import-000001.parquet       the tables whose current rows it holds

Every stored table gets a file for every import (possibly without rows), so a later publish only
adds the files of the imports the directory has not seen. The directory is a copy of exactly one
store: one whose import log is not a prefix of the store's log is refused, as
:mod:`amip.store.postgres` refuses a schema. All or nothing: the new files are written into a
temporary directory beside ``DIR`` and then renamed into place, the import log last; a reader
uses only the rows of imports in the log, so a publish killed while renaming is invisible, and
the next publish replaces its leftovers. Nothing published is ever overwritten.

Each publish also writes every table's current rows as of the store's latest import (what the
store itself keeps, :mod:`amip.store.views`), so that Spark reads them instead of ranking every
row by its key. A reader of an older directory, or one asked for an as-of date, ranks as before.
Snapshots of earlier imports are no longer read and may be deleted by hand.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq

from amip.errors import StoreError
from amip.extract.schema import TABLES
from amip.store.published import disagreement
from amip.store.store import DESCRIPTIONS, Store
from amip.store.views import CURRENT, CURRENT_LOG, PREPARED, PREPARED_LOG, StoreView

Progress = Callable[[str, int, int], None]  # (step, done, total), as in Store

#: the import log tables, in the order a publish renames them into place (amip_imports last)
LOG_TABLES = ("amip_import_files", DESCRIPTIONS, "amip_imports")
META = "amip_meta"


class PublishRefused(StoreError, RuntimeError):
    """The target directory holds data that is not an earlier state of this store."""


def file_name(import_id: int) -> str:
    return f"import-{import_id:06d}.parquet"


def is_parquet_store(directory: str | Path) -> bool:
    """Whether ``directory`` holds a store published by :func:`publish_to_parquet`."""
    return (Path(directory) / "amip_imports").is_dir() and (Path(directory) / META).is_dir()


def published_log(directory: str | Path) -> list[tuple]:
    """(import_id, imported_at, fingerprint, rows_added) of every import published into
    ``directory``, oldest first (empty for a new directory)."""
    d = Path(directory) / "amip_imports"
    if not d.is_dir():
        return []
    rows = []
    for f in sorted(d.glob("import-*.parquet")):
        for r in pq.read_table(f).to_pylist():
            rows.append((r["import_id"], r["imported_at"], r["fingerprint"], r["rows_added"]))
    return sorted(rows)


# -- publish ----------------------------------------------------------------------------------

def publish_to_parquet(store: Store, directory: str | Path,
                       progress: Progress | None = None) -> dict[str, int]:
    """Write the store's imports that ``directory`` does not hold yet as Parquet files; returns
    rows written per table (``amip_imports``: imports published). Raises
    :class:`PublishRefused` if the directory holds other data."""
    step = progress or (lambda *_: None)
    target = Path(directory).absolute()
    names = list(TABLES) + list(LOG_TABLES)
    written = dict.fromkeys(names, 0)
    step("connect", 0, 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target):
        duck = store.con
        duck.execute("BEGIN TRANSACTION")  # one consistent snapshot of the store
        try:
            log = duck.sql("SELECT import_id, imported_at, fingerprint, rows_added "
                           "FROM amip_imports ORDER BY import_id").fetchall()
            meta = dict(duck.sql("SELECT key, value FROM amip_meta").fetchall())
            fresh, done = _check_target(target, log, meta)
            last = log[-1][0] if log else 0
            current = last and not (target / CURRENT_LOG / file_name(last)).exists()
            prepared = _prepared_names(store) if last and not (
                target / PREPARED_LOG / file_name(last)).exists() else []
            if not fresh and done == last and not current and not prepared:
                step("up to date", 1, 1)
                return written
            new = [row[0] for row in log if done < row[0] <= last]
            stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.publish-", dir=target.parent))
            try:
                for i, name in enumerate(names):
                    step(f"copy {name}", i, len(names))
                    if name == DESCRIPTIONS and not store._has_table(name):
                        continue  # a store from before extract.toml
                    written[name] = _write(duck, stage, name, new)
                if current:
                    step("current", len(names) - 1, len(names))
                    _write_current(store, stage, last)
                if prepared:
                    step("prepared", len(names) - 1, len(names))
                    _write_prepared(store, stage, last, prepared)
                if fresh:
                    (stage / META).mkdir()
                    duck.execute(f"COPY (SELECT key, value FROM amip_meta ORDER BY key) TO "
                                 f"'{stage / META / 'meta.parquet'}' (FORMAT parquet)")
            except BaseException:
                shutil.rmtree(stage, ignore_errors=True)
                raise
        finally:
            duck.execute("ROLLBACK")
        step("commit", len(names), len(names))
        _move_into_place(stage, target, fresh)
    return written


@contextlib.contextmanager
def _lock(target: Path):
    """One publisher per directory at a time (a lock file beside it)."""
    path = target.parent / f".{target.name}.lock"
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _check_target(target: Path, log: list[tuple], meta: dict) -> tuple[bool, int]:
    """(the directory is new, the last import it holds); refuses another store's data."""
    if not target.exists():
        return True, 0
    if not target.is_dir():
        raise PublishRefused(f"{target} ist keine Verzeichnis; nichts wurde geändert.")
    entries = sorted(p.name for p in target.iterdir())
    if not entries:
        return True, 0
    if not is_parquet_store(target):
        raise PublishRefused(
            f"Verzeichnis {target} enthält schon Dateien ({', '.join(entries[:5])}), aber kein "
            f"Importprotokoll von amip: es wurde nicht von amip publish geschrieben. Nichts wurde "
            f"geändert; ein anderes Verzeichnis wählen oder dieses selbst löschen.")
    theirs = published_log(target)
    if len(theirs) > len(log) or theirs != [tuple(r) for r in log[:len(theirs)]]:
        raise PublishRefused(disagreement(f"Verzeichnis {target}", "das Verzeichnis",
                                          "in ein anderes Verzeichnis veröffentlichen",
                                          theirs, log))
    their_meta = {r["key"]: r["value"]
                  for r in pq.read_table(target / META / "meta.parquet").to_pylist()}
    if their_meta.get("store_format") != meta.get("store_format"):
        raise PublishRefused(
            f"Verzeichnis {target} hat das Speicherformat {their_meta.get('store_format')}, der "
            f"Datenbestand das Format {meta.get('store_format')}; nichts wurde geändert, in ein "
            f"neues Verzeichnis veröffentlichen.")
    return False, theirs[-1][0] if theirs else 0


def _copy(duck, query: str, path: Path) -> int:
    """Write a query's rows to one Parquet file (zstd); its number of rows."""
    duck.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
    return pq.ParquetFile(path).metadata.num_rows


def _write(duck, stage: Path, name: str, imports: list[int]) -> int:
    """One Parquet file per import of table ``name`` (stored tables: with ``_import_id``)."""
    key = "_import_id" if name in TABLES else "import_id"
    order = {"amip_import_files": "import_id, table_name", DESCRIPTIONS: "import_id",
             "amip_imports": "import_id"}.get(name)
    (stage / name).mkdir()
    rows = 0
    for i in imports:
        path = stage / name / file_name(i)
        query = f"SELECT * FROM main.{name} WHERE {key} = {int(i)}"
        if order:
            query += f" ORDER BY {order}"
        rows += _copy(duck, query, path)
    return rows


def _write_current(store: Store, stage: Path, last: int) -> None:
    """Every table's current rows as of import ``last`` (kept by the store or ranked now),
    and the log naming them, as the store keeps them in ``amip_current_<table>``."""
    import ibis

    view = store.view()
    for name in TABLES:
        (stage / f"{CURRENT}{name}").mkdir()
        _copy(store.con, ibis.to_sql(view.table(name), dialect="duckdb"),
              stage / f"{CURRENT}{name}" / file_name(last))
    (stage / CURRENT_LOG).mkdir()
    pq.write_table(pa.table({"table_name": list(TABLES), "import_id": [last] * len(TABLES)},
                            schema=pa.schema([("table_name", pa.string()),
                                              ("import_id", pa.int32())])),
                   stage / CURRENT_LOG / file_name(last))


def _prepared_names(store: Store) -> list[str]:
    """The tables the import prepared for the store's data state
    (:mod:`amip.engine.prepared`)."""
    if not store._has_table(PREPARED_LOG):
        return []
    return [r[0] for r in store.con.execute(
        f"SELECT name FROM {PREPARED_LOG} WHERE data_state = ?",
        [store.view().data_state()]).fetchall()]


def _write_prepared(store: Store, stage: Path, last: int, names: list[str]) -> None:
    """The prepared tables ``names`` and their log, beside the current rows of import
    ``last``: Spark then reads them as a store's view does (also for a directory published
    before they were)."""
    for name in names:
        (stage / f"{PREPARED}{name}").mkdir()
        _copy(store.con, f"SELECT * FROM main.{PREPARED}{name}",
              stage / f"{PREPARED}{name}" / file_name(last))
    (stage / PREPARED_LOG).mkdir()
    _copy(store.con, f"SELECT * FROM main.{PREPARED_LOG}",
          stage / PREPARED_LOG / file_name(last))


def _move_into_place(stage: Path, target: Path, fresh: bool) -> None:
    """Rename the staged files into ``target``: a new directory in one rename; else the data
    files first and the import log last (amip_imports the very last)."""
    try:
        if fresh:
            if target.exists():
                target.rmdir()  # empty (checked): the staged directory takes its place
            os.chmod(stage, 0o755 & ~_umask())
            stage.rename(target)
            return
        order = [p for p in stage.iterdir() if p.name not in LOG_TABLES] + \
            [stage / n for n in LOG_TABLES if (stage / n).exists()]
        for table_dir in order:
            (target / table_dir.name).mkdir(exist_ok=True)
            for f in sorted(table_dir.iterdir()):
                os.replace(f, target / table_dir.name / f.name)  # leftovers of a killed publish
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# -- reading on Spark -------------------------------------------------------------------------

class SparkView(StoreView):
    """A StoreView over a Parquet-published store, read by Spark (temporary views of its own
    Spark session, so views of two directories never mix)."""

    def __init__(self, backend, as_of: dt.date | None = None, directory: str = "") -> None:
        super().__init__(backend, as_of)
        self.directory = directory

    def at(self, as_of: dt.date | None) -> "SparkView":
        return SparkView(self.backend, as_of, self.directory)

    def close(self) -> None:
        session = self.backend._session
        for name in list(self.backend._cached_dataframes):
            self.adapter.drop_temp(name)
        for t in session.catalog.listTables():
            if t.isTemporary:
                session.catalog.dropTempView(t.name)

    def __enter__(self) -> "SparkView":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def spark_view(directory: str | Path, as_of: dt.date | None = None,
               session=None) -> SparkView:
    """The store published into ``directory`` (a local path, or any URI Spark reads, such as
    ``hdfs://`` or ``s3a://``) as known on ``as_of``, read by Spark (same API as
    ``Store.view``). Only rows of imports in the directory's import log are read."""
    import ibis

    from amip.backends.spark_session import get_session

    directory = str(directory)
    local = "://" not in directory
    if local and not is_parquet_store(directory):
        raise LookupError(f"{directory} enthält keinen mit amip publish --parquet "
                          f"veröffentlichten Datenbestand")
    spark = (session or get_session()).newSession()  # its own temporary views
    root = directory.rstrip("/")
    log = spark.read.parquet(f"{root}/amip_imports")
    last = log.agg({"import_id": "max"}).collect()[0][0] or 0
    log.createOrReplaceTempView("amip_imports")
    for name in ("amip_import_files", DESCRIPTIONS):
        frame = spark.read.parquet(f"{root}/{name}")
        frame.where(frame.import_id <= last).createOrReplaceTempView(name)
    spark.read.parquet(f"{root}/{META}").createOrReplaceTempView(META)
    for name in TABLES:
        frame = spark.read.parquet(f"{root}/{name}")
        frame.where(frame._import_id <= last).createOrReplaceTempView(name)
    current = f"{root}/{CURRENT_LOG}/{file_name(last)}"
    if last and (not local or Path(current).exists()):
        _read_current(spark, root, last, current)
    return SparkView(ibis.pyspark.connect(spark), as_of, directory)


def _read_current(spark, root: str, last: int, log_path: str) -> None:
    """The current rows published for import ``last`` as the temporary views a store keeps
    them in; a view without as-of date reads them (:meth:`StoreView.kept_current`). A
    directory published before there were current rows has none: its views rank the rows.
    Likewise the tables prepared for the engine (:mod:`amip.engine.prepared`)."""
    from pyspark.errors import AnalysisException

    try:
        log = spark.read.parquet(log_path)
        names = [r["table_name"] for r in log.collect()]
        for name in names:
            spark.read.parquet(f"{root}/{CURRENT}{name}/{file_name(last)}") \
                .createOrReplaceTempView(CURRENT + name)
    except AnalysisException:  # a remote directory from before: no current rows there
        return
    log.createOrReplaceTempView(CURRENT_LOG)
    try:  # the prepared tables, if the store had them for this import's state
        prepared = spark.read.parquet(f"{root}/{PREPARED_LOG}/{file_name(last)}")
        for r in prepared.collect():
            spark.read.parquet(f"{root}/{PREPARED}{r['name']}/{file_name(last)}") \
                .createOrReplaceTempView(PREPARED + r["name"])
        prepared.createOrReplaceTempView(PREPARED_LOG)
    except AnalysisException:  # none prepared (or published before there were any)
        return
