"""Importing into a store file that others read: into a copy, then an atomic rename.

``amip import`` never writes the store file in place. Under a lock file beside the store (one
importer at a time) it copies the file into a private folder beside it (mode 0700, so the copy
and DuckDB's write-ahead log stay unreadable to others), imports into the copy, checkpoints
and closes it, syncs it to disk and renames it onto the store file (then syncs the folder).
Readers that have the old file open keep reading it until they close it; new readers get the
new file. A failed or killed import leaves the store file as it was, byte for byte; a failed
first import leaves no store file. Leftovers of killed imports go at the next import.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from amip.files import FILE_MODE
from amip.store.store import ImportResult, Progress, Store, StoreLocked


class ImportRunning(StoreLocked):
    """Another process is importing into the same store file."""


def import_swapped(path: str | Path, work: Callable[[Store], ImportResult],
                   progress: Progress | None = None) -> ImportResult:
    """Run ``work`` (an import on a read-write Store) on a copy of the store file at ``path``
    and put the copy in its place if ``work`` imported something."""
    # invalid extracts raise; an import_id of None: the same extract again, nothing to swap in
    return _swapped(path, work, lambda result: result.import_id is not None, progress)


def change_swapped(path: str | Path, work: Callable[[Store], bool]) -> bool:
    """A change to a store that is no import (the counts kept for the target status after new
    targets, :mod:`amip.engine.kept`), made the way an import is: ``work`` on a copy under the
    import lock, swapped in when it returns True. Returns that."""
    return _swapped(path, work, bool)


def _swapped(path, work, changed, progress=None):
    path = Path(path)
    step = progress or (lambda *_: None)
    with _import_lock(path):
        _remove_leftovers(path)
        folder = Path(tempfile.mkdtemp(prefix=_leftover_prefix(path), dir=path.parent))
        try:
            copy = folder / path.name
            step("copy", 0, 1)
            _copy_store(path, copy)
            with Store.open(copy) as store:
                result = work(store)
                if not changed(result):
                    return result
                store.con.execute("CHECKPOINT")
            step("swap", 0, 1)
            os.chmod(copy, FILE_MODE)
            _fsync(copy)
            os.replace(copy, path)
            _fsync(path.parent)
            return result
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _import_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``.NAME.lock`` beside the store (released when the process ends,
    also by ``kill -9``)."""
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise ImportRunning(
                f"In den Datenbestand {path} importiert gerade ein anderer Vorgang; "
                f"nichts wurde geändert. Bitte nach dessen Ende erneut starten.") from None
        yield
    finally:
        os.close(fd)


def _leftover_prefix(path: Path) -> str:
    return f".{path.name}.import-"


def _remove_leftovers(path: Path) -> None:
    """Folders of imports that were killed (only called under the import lock)."""
    for leftover in path.parent.glob(_leftover_prefix(path) + "*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _copy_store(path: Path, copy: Path) -> None:
    """Copy the store file while holding it open read-only, so that no process writes it
    meanwhile (DuckDB refuses a writer then). A new store starts empty."""
    if not path.exists():
        return
    _settle_wal(path)
    con = _connect(path, read_only=True)
    try:
        shutil.copyfile(path, copy)
    finally:
        con.close()


def _settle_wal(path: Path) -> None:
    """A write-ahead log beside the store (left by a process that wrote the file directly and
    was killed) holds committed data: move it into the file (open read-write and close), as a
    stale log would be replayed onto the swapped-in file."""
    if path.with_name(path.name + ".wal").exists():
        _connect(path, read_only=False).close()


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as e:
        if "lock" not in str(e).lower():
            raise
        raise StoreLocked(
            f"Der Datenbestand {path} ist von einem anderen Prozess "
            + ("zum Schreiben geöffnet" if read_only else "geöffnet und muss einmal allein "
               "geöffnet werden, um ein Schreibprotokoll (.wal) abzuschließen")
            + "; nichts wurde importiert.") from e


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
