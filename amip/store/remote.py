"""Queries of a store file in helper processes, so that long computations do not hold the
interpreter lock of the process that answers requests.

A :class:`QueryProcesses` runs ``fn(view, *args, **kwargs)`` in one of its processes on the same
generation of the store file as the caller (:class:`amip.store.generations.Generation`): each
process opens the file read-only and keeps it open while it is the current one. When the file was
replaced in the meantime (an import), the process cannot read the caller's generation any more
and :class:`Stale` says so: the caller then queries in its own process. ``fn`` must be a
module-level function (it is sent by name) and its result picklable.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import multiprocessing
import threading
from concurrent.futures.process import BrokenProcessPool

log = logging.getLogger("amip.store")


class Stale(Exception):
    """The helper process cannot read the requested generation (the file was replaced)."""


#: in a helper process: the generation it has open
_open: dict[str, object] = {}


def _run(path: str, ident: tuple, as_of: dt.date | None, fn, args: tuple, kwargs: dict):
    """In a helper process: ``fn`` on the view of the generation ``ident`` of ``path``."""
    from amip.store.generations import Generation, file_identity

    gen = _open.get(path)
    if gen is None or gen.ident != ident:
        try:
            if file_identity(path) != ident:
                raise Stale(path)
        except OSError:
            raise Stale(path) from None
        if gen is not None:
            gen.close()
            _open.pop(path)
        gen = Generation(path)
        if gen.ident != ident:  # replaced while it was opened
            gen.close()
            raise Stale(path)
        _open[path] = gen
    view = gen.view()
    return fn(view.at(as_of) if as_of is not None else view, *args, **kwargs)


class QueryProcesses:
    """``processes`` helper processes (started on first use with ``spawn``: the server has
    threads and an open DuckDB, which must not be forked)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    self.processes, mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def run(self, gen, as_of: dt.date | None, fn, *args, **kwargs):
        """``fn(view, *args, **kwargs)`` on generation ``gen`` (as known on ``as_of``) in a
        helper process; raises Stale when that process cannot read ``gen``, and whatever ``fn``
        raises."""
        pool = self._executor()
        try:
            return pool.submit(_run, gen.path, gen.ident, as_of, fn, args, kwargs).result()
        except BrokenProcessPool:  # a helper died (e.g. out of memory): start afresh next time
            log.warning("a query process ended unexpectedly; starting new ones")
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise Stale(gen.path) from None

    def close(self) -> None:
        """Stop the helpers now (the server shuts down): queued queries are cancelled, running
        ones end with their process, and the pool is joined, so that its queues and semaphores
        are released before the interpreter exits (no "leaked semaphore" warning, no wait for a
        long computation)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        pool.shutdown(wait=False, cancel_futures=True)
        for process in list((pool._processes or {}).values()):  # no public API before 3.14
            process.terminate()
        pool.shutdown(wait=True)
