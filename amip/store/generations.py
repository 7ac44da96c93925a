"""Reading a store that is replaced while it is read: one *generation* per version of the file.

``amip import`` renames a new store file onto the old one (:mod:`amip.store.swap`). A reader
such as the web server holds the file open read-only as a :class:`Generation`; each thread reads
through its own cursor (with its own Ibis backend and StoreView), so queries of different
threads run at the same time. :class:`StoreFile` checks the file at most every ``ttl`` seconds;
when it was replaced, the new file is opened and warmed (heavy views computed ahead) in the
background while readers still get the old generation, which then becomes the new one. Each
reader pins a generation with :meth:`StoreFile.acquire` until :meth:`StoreFile.release`; a
replaced generation is closed when its last reader releases it.

On PostgreSQL (:class:`PostgresSource`) there is one connection, used under a lock, and the data
state is looked up again at most every ``ttl`` seconds (a publish changes it in place).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable

import duckdb

from amip.store.store import Store
from amip.store.views import StoreView

log = logging.getLogger("amip.store")

#: DuckDB worker threads of a reader: all cores but one, which stays with the Python code that
#: answers the other requests (on 2 cores an uncached computation otherwise triples their
#: latency)
READER_THREADS = max(1, (os.cpu_count() or 2) - 1)


def file_identity(path: str) -> tuple[int, int, int, int]:
    """Changes when the file is replaced (a new inode) or written."""
    s = os.stat(path)
    return s.st_dev, s.st_ino, s.st_mtime_ns, s.st_size


class Generation:
    """One version of the store file, opened read-only in a DuckDB instance of its own:
    ``duckdb.connect(path)`` would return the instance this process already has for that
    path, i.e. the replaced file."""

    def __init__(self, path: str) -> None:
        self.ident = file_identity(path)  # before opening: a replacement meanwhile shows later
        self.path = path
        self._con = duckdb.connect(config={"threads": READER_THREADS})
        try:
            self._con.execute(f"ATTACH '{path.replace(chr(39), chr(39) * 2)}' AS store "
                              f"(READ_ONLY)")
        except BaseException:
            self._con.close()
            raise
        self._local = threading.local()
        self._cursors: list = []
        self._lock = threading.Lock()
        self.readers = 0
        self.retired = False
        self.state = self.view().data_state()  # fixed: nobody writes an open store file

    def store(self) -> Store:
        """This thread's Store (over its own cursor)."""
        store = getattr(self._local, "store", None)
        if store is None:
            with self._lock:
                cursor = self._con.cursor()
                self._cursors.append(cursor)
            cursor.execute("USE store")
            store = self._local.store = Store(cursor, self.path)
            self._local.view = store.view()
        return store

    def view(self) -> StoreView:
        """This thread's view of the whole store."""
        self.store()
        return self._local.view

    def serial(self):
        """Queries need no lock: each thread has its own cursor."""
        return contextlib.nullcontext()

    def imports(self) -> list[dict]:
        return self.store().imports()

    def close(self) -> None:
        with self._lock:
            for cursor in self._cursors:
                cursor.close()
            self._con.close()


class StoreFile:
    """The generations of one store file; see the module docstring. ``warm(generation)`` runs
    on each new generation before readers get it."""

    def __init__(self, path: str, ttl: float, warm: Callable[[Generation], None]) -> None:
        self.path, self.ttl, self._warm = path, ttl, warm
        self._lock = threading.Lock()
        self._current = Generation(path)
        self._checked = time.monotonic()
        self._following = False  # a new generation is being opened and warmed
        self._closed = False

    def acquire(self) -> Generation:
        with self._lock:
            self._check()
            gen = self._current
            gen.readers += 1
            return gen

    def release(self, gen: Generation) -> None:
        with self._lock:
            gen.readers -= 1
            done = gen.retired and gen.readers == 0
        if done:
            gen.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._retire(self._current)

    def _check(self) -> None:
        """Called under the lock: start following a replaced file (at most every ttl s)."""
        now = time.monotonic()
        if self._following or self._closed or now - self._checked < self.ttl:
            return
        self._checked = now
        try:
            replaced = file_identity(self.path) != self._current.ident
        except OSError:  # moved away: keep reading the open one
            return
        if replaced:
            self._following = True
            threading.Thread(target=self._follow, name="amip-new-store", daemon=True).start()

    def _follow(self) -> None:
        try:
            gen = Generation(self.path)
        except Exception:  # noqa: BLE001 (e.g. not a store: keep serving the open one)
            log.exception("opening the new store file %s failed", self.path)
            with self._lock:
                self._following = False
            return
        try:
            self._warm(gen)
        except Exception:  # noqa: BLE001 (a cold cache is slow, not wrong)
            log.exception("warming the new store file %s failed", self.path)
        with self._lock:
            self._following = False
            old, closed = self._current, self._closed
            if not closed:
                self._current = gen
        self._retire(gen if closed else old)

    def _retire(self, gen: Generation) -> None:
        with self._lock:
            gen.retired = True
            done = gen.readers == 0
        if done:
            gen.close()


class PostgresSource:
    """The published PostgreSQL schema as one generation (same interface as StoreFile and
    Generation): one connection, queries under a lock."""

    def __init__(self, url: str, schema: str, ttl: float) -> None:
        from amip.store.postgres import postgres_view

        self._view = postgres_view(url, schema)
        self._lock = threading.RLock()
        self.ttl = ttl
        self._state: tuple[float, str] | None = None  # (looked up at, data state)

    def acquire(self) -> "PostgresSource":
        return self

    def release(self, gen) -> None:
        pass

    @property
    def state(self) -> str:
        cached = self._state
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        with self._lock:
            state = self._view.data_state()
        self._state = (time.monotonic(), state)
        return state

    def view(self) -> StoreView:
        return self._view

    def serial(self):
        return self._lock

    def imports(self) -> list[dict]:
        with self._lock:  # the import log was published with the data
            return self._view.imports()

    def close(self) -> None:
        with self._lock:
            self._view.close()
