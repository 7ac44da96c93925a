"""Run an independent part of a command in a forked process while the command goes on.

Threads do not help where the slow part is Python itself (imports, fitting, page layout): the
GIL lets only one run at a time. A forked child shares the modules already imported and runs on
another core. The reports use it twice: the Monatsbericht's forecast (loading statsmodels,
counting five years of facts, fitting) runs beside the engine pass, and the renderer (WeasyPrint,
vl-convert) warms up while the figures are computed, then lays out the pages.

>>> forecast = start(k2_forecast_from_store, store_path, month)  # before opening a store here
>>> renderer = start(render_documents, LATER, formats, warm=warm_renderers)
>>> ...                                   # the command goes on
>>> renderer.send(report)                 # LATER becomes the report; the child renders now
>>> forecast.result(), renderer.result()  # the return values, or the work's own exceptions

Fork only before this process has opened a DuckDB store (a forked copy of an open database
instance has no worker threads and would hang): :func:`start` checks this. Where forking is
unsafe or unavailable (not Linux), or a child dies, ``result()`` runs the work in this process
instead. ``AMIP_BACKGROUND=0`` turns forking off.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import traceback
from typing import Any, Callable

log = logging.getLogger(__name__)


class _Later:
    def __repr__(self) -> str:
        return "LATER"


#: an argument given later with :meth:`Pending.send`
LATER = _Later()
_UNSET = object()


class Pending:
    """The result of ``fn(*args, **kwargs)``, computed in a child process or, failing that, here."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, warm: Callable | None,
                 nice: int = 0) -> None:
        self._fn, self._args, self._kwargs, self._warm = fn, args, kwargs, warm
        self._nice = nice
        self._value: Any = _UNSET
        self._sent: Any = _UNSET
        self._process = None
        self._results = None
        self._inbox = None

    @property
    def in_background(self) -> bool:
        return self._process is not None

    def _fork(self) -> None:
        ctx = multiprocessing.get_context("fork")
        results, child_results = ctx.Pipe(duplex=False)
        child_inbox, inbox = ctx.Pipe(duplex=False) if any(a is LATER for a in self._args) \
            else (None, None)
        self._process = ctx.Process(
            target=_child, daemon=True, name=f"amip-{getattr(self._fn, '__name__', 'work')}",
            args=(child_results, child_inbox, self._fn, self._args, self._kwargs, self._warm,
                  self._nice))
        self._process.start()
        child_results.close()
        if child_inbox is not None:
            child_inbox.close()
        self._results, self._inbox = results, inbox

    def send(self, value: Any) -> None:
        """Give the argument that was ``LATER``; the child starts the work now."""
        if self._sent is not _UNSET:
            raise RuntimeError("the LATER argument was already given")
        self._sent = value
        if self._inbox is not None:
            try:
                self._inbox.send(value)
            except OSError:  # the child is gone: result() runs the work here
                pass
            finally:
                self._inbox.close()

    def _call_here(self) -> Any:
        args = tuple(self._sent if a is LATER else a for a in self._args)
        return self._fn(*args, **self._kwargs)

    def result(self) -> Any:
        """Wait for the child and return its value; re-raise the work's own exception. If the
        child could not deliver (it died), the work runs here instead."""
        if self._value is not _UNSET:
            return self._value
        if self._sent is _UNSET and any(a is LATER for a in self._args):
            raise RuntimeError("result() before send(): the LATER argument is missing")
        if self._process is not None:
            try:
                ok, payload = self._results.recv()
            except (EOFError, OSError):
                ok, payload = None, f"exit code {self._process.exitcode}"
            finally:
                self._results.close()
                self._process.join()
                self._process = None
            if ok:
                self._value = payload
                return payload
            if ok is False and isinstance(payload, BaseException):
                raise payload
            log.debug("background %s failed (%s); running it here", self._fn.__name__, payload)
        self._value = self._call_here()
        return self._value


def _child(results, inbox, fn: Callable, args: tuple, kwargs: dict,
           warm: Callable | None, nice: int) -> None:
    if nice:
        os.nice(nice)
    if warm is not None:
        try:
            warm()
        except Exception:  # only a head start: the work itself will show any real problem
            log.debug("warming up for %s failed:\n%s", fn.__name__, traceback.format_exc())
    try:
        if inbox is not None:
            later = inbox.recv()
            args = tuple(later if a is LATER else a for a in args)
        message = (True, fn(*args, **kwargs))
    except BaseException as e:  # noqa: BLE001 — handed to the parent, which re-raises it
        message = (False, e)
    try:
        results.send(message)
    except Exception:  # the value or exception does not pickle: the parent runs it itself
        results.send((None, traceback.format_exc()))
    finally:
        results.close()


def cores() -> int:
    """The processor cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def fork_is_safe() -> bool:
    """Forking is safe here: Linux, not turned off, and no DuckDB store open in this process."""
    from amip.store.store import Store

    return (sys.platform.startswith("linux") and os.environ.get("AMIP_BACKGROUND", "1") != "0"
            and not Store.opened_in_process)


def start(fn: Callable, *args, warm: Callable | None = None, nice: int = 0,
          **kwargs) -> Pending:
    """Start ``fn(*args, **kwargs)`` in a forked child where that is safe; otherwise it runs here
    when its result is asked for. An argument ``LATER`` is given with :meth:`Pending.send`;
    the child runs ``warm()`` (e.g. imports) while it waits for it. ``nice`` lowers the
    child's priority, for a head start that should not slow the command's own work (the
    machine may have two cores). ``fn``, the arguments and the result must pickle; ``fn``
    opens what it needs itself."""
    pending = Pending(fn, args, kwargs, warm, nice)
    if fork_is_safe():
        pending._fork()
    return pending
