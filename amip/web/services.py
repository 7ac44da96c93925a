"""What the web pages and the API ask of the core, with a cache per data state.

Every figure comes from the same engine functions as the CLI and the reports. Computed records
are cached by their arguments and the store's data state (the latest import), so twenty users
opening the overview cost one computation; a second asker of a key being computed waits for it
(single flight), other keys compute at the same time.

Readers run concurrently: each request pins one generation of the store file from start to end
(:class:`OneGeneration`, :mod:`amip.store.generations`) and each thread queries through its own
cursor, so an import that replaces the file (``amip import`` while the server runs) never shows
a request a mix of two states. Uncached computations are bounded per user and in total
(:class:`ComputeLimits`): one user's slow requests cannot starve the others. With
``Settings.query_processes`` they run in helper processes (:mod:`amip.store.remote`), so their
Python does not slow down the pages that the cache answers.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import anyio
import anyio.from_thread
import anyio.to_thread

from amip.catalogue import load
from amip.disclosure import protect_records
from amip.engine.drilldown import Outside, unassigned_units
from amip.engine.indicators import Record, UnknownUnit, compute, unit_scope
from amip.engine.calendar import month_index, parse_month
from amip.engine.horizon import Horizon, horizon
from amip.engine.overview import latest_complete_month
from amip.engine.persons import caseloads, person_rows
from amip.extract.schema import TABLES
from amip.store.generations import PostgresSource, StoreFile
from amip.store.remote import QueryProcesses, Stale
from amip.web.problems import Problem
from amip.web.settings import Settings


_MISSING = object()


@dataclass(frozen=True)
class ComputeLimits:
    """Bounds on uncached computations (what the cache cannot answer yet), and on requests
    that run Python at the same time."""
    per_user: int = 1  # at a time per user (session or client address; not the server's own)
    total: int = max(2, os.cpu_count() or 2)  # at a time in the server
    wait_seconds: float = 5.0  # a computation waits this long for a free slot, then 429
    retry_after: int = 5  # seconds, in the 429's Retry-After header
    #: request threads running at a time (the width of the thread pool, set at start-up):
    #: under the GIL more threads only slow each other down (20 page users on 2 cores: half the
    #: throughput with 20 threads). A request that computes or waits for a computation steps
    #: aside (:func:`stepped_aside`), so slow requests never hold these.
    running: int = max(2, os.cpu_count() or 2)


_aside = threading.local()


@contextmanager
def stepped_aside() -> Iterator[None]:
    """While this request thread computes or waits for a computation, the thread pool is one
    wider, so that the other requests keep ComputeLimits.running threads. Outside a request's
    worker thread (warm-up, tests calling Services directly) and when nested: nothing to do."""
    if getattr(_aside, "depth", 0):
        _aside.depth += 1
        widened = False
    else:
        try:
            anyio.from_thread.run_sync(_widen, 1)
            widened = True
        except anyio.NoEventLoopError:
            widened = False
        _aside.depth = 1
    try:
        yield
    finally:
        _aside.depth -= 1
        if widened:
            anyio.from_thread.run_sync(_widen, -1)


def _widen(by: int) -> None:
    """In the event loop: the thread pool ``by`` threads wider."""
    anyio.to_thread.current_default_thread_limiter().total_tokens += by


class ComputeSlots:
    """Slots for uncached computations under :class:`ComputeLimits`. A computation nested in
    another one of the same thread (e.g. the overview's rows asking for measures) needs none."""

    def __init__(self, limits: ComputeLimits) -> None:
        self.limits = limits
        self._free = threading.Condition()
        self._running: Counter[str | None] = Counter()
        self._local = threading.local()

    @contextmanager
    def slot(self, who: str | None) -> Iterator[None]:
        if getattr(self._local, "held", False):
            yield
            return
        with stepped_aside():
            self._take(who)
            self._local.held = True
            try:
                yield
            finally:
                self._local.held = False
                with self._free:
                    self._running[who] -= 1
                    if not self._running[who]:
                        del self._running[who]  # one key per user seen would pile up
                    self._free.notify_all()

    def _take(self, who: str | None) -> None:
        limits = self.limits
        deadline = time.monotonic() + limits.wait_seconds
        with self._free:
            while (who is not None and self._running[who] >= limits.per_user) or \
                    self._running.total() >= limits.total:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Problem(429, "Zu viele gleichzeitige Berechnungen (höchstens "
                                       f"{limits.per_user} je Benutzer); bitte in "
                                       f"{limits.retry_after} Sekunden erneut versuchen.",
                                  headers={"Retry-After": str(limits.retry_after)})
                self._free.wait(left)
            self._running[who] += 1


def _one_generation(method):
    """The method reads one generation of the store: the request's, or else the current one
    for the length of the call."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._use():
            return method(self, *args, **kwargs)
    return run


class Services:
    #: seconds between two looks at the store file (a new import shows within this time and
    #: its warm-up) or, on PostgreSQL, at the data state
    STATE_TTL = 2.0
    LIMITS = ComputeLimits()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._remote = None
        if settings.postgres_url:
            self._source = PostgresSource(settings.postgres_url, settings.postgres_schema,
                                          self.STATE_TTL)
        else:
            self._source = StoreFile(settings.store, self.STATE_TTL, self._warm_generation)
            if settings.query_processes:
                self._remote = QueryProcesses(settings.query_processes)
        self._generation: ContextVar = ContextVar(f"amip-generation-{id(self)}", default=None)
        self._who: ContextVar[Callable[[], str | None]] = ContextVar(
            f"amip-requester-{id(self)}", default=lambda: None)
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._flights: dict[tuple, threading.Event] = {}
        self._cache_lock = threading.Lock()
        self._cache_size = 512
        self.slots = ComputeSlots(self.LIMITS)
        self.closed = False

    def close(self) -> None:
        self.closed = True
        if self._remote is not None:
            self._remote.close()
        self._source.close()

    # -- generations ----------------------------------------------------------------------------

    @contextmanager
    def request(self, who: Callable[[], str | None]) -> Iterator[None]:
        """One request: one generation from start to end; ``who()`` names the user whose
        bound its uncached computations count against."""
        token = self._who.set(who)
        try:
            with self._use():
                yield
        finally:
            self._who.reset(token)

    @contextmanager
    def _use(self):
        gen = self._generation.get()
        if gen is not None:
            yield gen
            return
        gen = self._source.acquire()
        token = self._generation.set(gen)
        try:
            yield gen
        finally:
            self._generation.reset(token)
            self._source.release(gen)

    def _warm_generation(self, gen) -> None:
        """Compute the heavy views of a new store file before requests get it."""
        token = self._generation.set(gen)
        try:
            self.warm()
        finally:
            self._generation.reset(token)

    # -- data state -----------------------------------------------------------------------------

    @_one_generation
    def data_state(self) -> str:
        """Changes whenever an import changes the data (the cache key's first part)."""
        return self._generation.get().state

    @_one_generation
    def memoized(self, name: str, fn, *args):
        """``fn(*args)`` once per data state (measures, reference data, derived page rows);
        least recently used entries go first. A second asker of a key being computed waits for
        it; computing needs a slot (:class:`ComputeSlots`)."""
        key = (self.data_state(), name, args)
        while True:
            value, flight = self._lookup(key)
            if value is not _MISSING:
                return value
            if flight is None:
                with self.slots.slot(self._who.get()()):
                    value, flight = self._lookup(key, claim=True)
                    if value is not _MISSING:
                        return value
                    if flight is None:
                        return self._fill(key, fn, args)
            with stepped_aside():
                flight.wait()  # another thread computes it: then look again

    def _lookup(self, key: tuple, claim: bool = False) -> tuple[object, threading.Event | None]:
        """(value or _MISSING, the flight computing it or None); ``claim``: start a flight for
        it (this thread computes, see _fill) when there is neither."""
        with self._cache_lock:
            value = self._cache.get(key, _MISSING)
            if value is not _MISSING:
                self._cache.move_to_end(key)
                return value, None
            flight = self._flights.get(key)
            if flight is None and claim:
                self._flights[key] = threading.Event()
            return _MISSING, flight

    def _fill(self, key: tuple, fn, args: tuple):
        try:
            value = fn(*args)
            with self._cache_lock:
                self._cache[key] = value
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return value
        finally:
            with self._cache_lock:
                flight = self._flights.pop(key)
            flight.set()

    def latest_month(self) -> int | None:
        return self.memoized("latest_month", self._latest_month)

    def _latest_month(self) -> int | None:
        month = self.query(latest_complete_month)
        return None if month is None else month_index(month)

    def horizon(self, as_of: dt.date | None = None) -> Horizon:
        """The data horizon (per-table Datenstand, months with figures) as known on ``as_of``,
        once per data state."""
        return self.memoized("horizon", self._horizon, as_of)

    def _horizon(self, as_of: dt.date | None) -> Horizon:
        reach = self._query_at(as_of, horizon, remote=True)
        reach.figure_range()  # worked out once here, then read from its memo
        return reach

    def data_date(self) -> dt.date | None:
        return self.memoized("data_date", self._data_date)

    def _data_date(self) -> dt.date | None:
        return self._query_at(None, lambda view: view.latest_recorded_on(("elb_spells",)))

    # -- measures -------------------------------------------------------------------------------

    def indicators(self, months: tuple[int, ...], jobcenter_id: str | None = None,
                   unit_id: str | None = None, as_of: dt.date | None = None,
                   published: bool = False, rules: str | None = None,
                   jfw: bool = False) -> list[Record]:
        """The engine's records (cached); raises the engine's errors (e.g. UnknownUnit)."""
        return self.memoized("indicators", self._compute, tuple(months), jobcenter_id, unit_id,
                             as_of, published, rules, jfw)

    def _compute(self, months, jobcenter_id, unit_id, as_of, published, rules, jfw):
        return self._query_at(as_of, compute, list(months), jobcenter_id, unit_id, published,
                              rules, jfw, remote=True)

    # -- disclosure control -----------------------------------------------------------------------

    @_one_generation
    def disclosed(self, records: list[Record], as_of: dt.date | None = None,
                  published: bool = False, rules: str | None = None,
                  jfw: bool = False) -> list[dict]:
        """The records (computed with these options) as dicts under disclosure control, for
        roles without person-level access. The pattern is worked out once for the whole
        organisation tree of their months (:func:`amip.disclosure.protect_records`), so
        no combination of pages or API answers (a Standort and all but one of its teams, a
        total and one sex) reveals a hidden count."""
        months = tuple(sorted({parse_month(r.month) for r in records}))
        jcs = tuple(sorted({r.jobcenter_id for r in records}))
        tree = self.memoized("disclosed", self._disclosed_tree, months, jcs, as_of, published,
                             rules, jfw)
        levels = {u["unit_id"]: u["level"] for u in self.table("units")}
        out = []
        for r in records:
            node = None if levels.get(r.unit_id) == "jobcenter" else r.unit_id
            row = dict(tree[(r.code, r.month, r.jobcenter_id, node, r.sex, r.basis)])
            row["unit_id"] = r.unit_id
            out.append(row)
        return out

    def _disclosed_tree(self, months, jcs, as_of, published, rules, jfw) -> dict[tuple, dict]:
        units = self.table("units")
        rows = []
        for jc in jcs:
            own = [u for u in units if u["jobcenter_id"] == jc]
            ids = [u["unit_id"] for u in own if u["level"] != "jobcenter"] + \
                [u["unit_id"] for u in unassigned_units(own)]
            records = self._query_at(as_of, compute, list(months), jc, None, published, rules,
                                     jfw, unit_ids=ids or None, include_total=True, remote=True)
            rows += [r.as_json(with_unit=True) for r in records]
        return {(r["code"], r["month"], r["jobcenter_id"], r["unit_id"], r["sex"], r["basis"]): r
                for r in protect_records(rows, units)}

    @_one_generation
    def warm(self) -> None:
        """Compute what the overview shows (the latest month and the twelve before it, for the
        sparklines; also as roles under disclosure control see it) and the person list of the
        latest month once: in a background thread at start-up, and for a new store file before
        requests get it."""
        m = self.latest_month()
        if m is None:
            return
        for step in (lambda: self.indicators((m,)),
                     lambda: self.disclosed(self.indicators(tuple(range(m - 12, m + 1)))),
                     *(functools.partial(self._everyone, m, jc["jobcenter_id"])
                       for jc in self.table("jobcenters"))):
            if self.closed:
                return
            step()

    # -- person-level data (callers check the scope and write the audit trail) -------------------

    def persons(self, month: int, jobcenter_id: str, units: frozenset[str] | None,
                caseworker_id: str | None = None) -> list[dict]:
        """ELB in stock at the Stichtag of ``month`` in ``jobcenter_id``, assigned to one of
        ``units`` (None: all) and to ``caseworker_id`` (when given): pseudonymous person_id,
        sex, age group, team, LZB flag, latest Integrationsprognose, unemployed flag. Filtered
        from the whole Jobcenter's list, computed once per data state; the rows are shared
        (read them, do not change them)."""
        rows, caseloads = self._everyone(month, jobcenter_id)
        mine = None if caseworker_id is None else caseloads.get(caseworker_id, frozenset())
        return [r for r in rows if (units is None or r["unit_id"] in units)
                and (mine is None or r["person_id"] in mine)]

    def _everyone(self, month: int, jobcenter_id: str):
        """(every person row of the Jobcenter, caseworker → their persons) at ``month``."""
        return self.memoized("persons", lambda m, jc: (self.query(person_rows, m, jc),
                                                       self.query(caseloads, m)),
                             month, jobcenter_id)

    # -- reference data -------------------------------------------------------------------------

    def table(self, name: str) -> list[dict]:
        """Rows of a (corrected) store table as dicts, in the order of its key; for small
        tables (units, jobcenters). Cached per data state; each caller gets its own copy. The
        order matters: pages show the first Jobcenter, and a store returns its current rows
        in the order a parallel query wrote them."""
        return copy.deepcopy(self.memoized("table", self._table, name))

    def _table(self, name: str) -> list[dict]:
        key = list(TABLES[name].key)
        return self._query_at(None, lambda view: view.table(name).order_by(key).to_pyarrow()
                              .to_pylist())

    def imports(self) -> list[dict]:
        return copy.deepcopy(self.memoized("imports", self._imports))

    def _imports(self) -> list[dict]:
        gen = self._generation.get()
        with gen.serial():
            return gen.imports()

    def unit_scope(self, unit_id: str) -> tuple[str, frozenset[str] | None]:
        """The Jobcenter of a unit and the units below it (:func:`unit_scope`), cached per data
        state; raises UnknownUnit."""
        return self.memoized("unit_scope", self._unit_scope, unit_id)

    def _unit_scope(self, unit_id: str) -> tuple[str, frozenset[str] | None]:
        jc, scope = self.query(unit_scope, unit_id)
        if isinstance(scope, Outside):  # persons without a team: no unit to list them by
            raise UnknownUnit(f"Einheit {unit_id!r} steht für die Personen ohne Team (ohne "
                              "Zuordnung); für sie gibt es keine Personenliste.")
        return jc, None if scope is None else frozenset(scope)

    def catalogue(self):
        return load()

    def query(self, fn, *args, **kwargs):
        """``fn(view, *args, **kwargs)`` on the generation of the store this request reads (for
        person-level queries and the computations): in a helper process when there are any, so
        ``fn`` must be a module-level function with a picklable result."""
        return self._query_at(None, fn, *args, remote=True, **kwargs)

    @_one_generation
    def _query_at(self, as_of: dt.date | None, fn, *args, remote: bool = False, **kwargs):
        """``fn`` on the view as known on ``as_of`` (None: the thread's view itself, with its
        table cache); ``remote``: in a helper process if there are any and it can read this
        generation (not while a new store file is warmed: it reads the new one)."""
        gen = self._generation.get()
        if remote and self._remote is not None:
            try:
                return self._remote.run(gen, as_of, fn, *args, **kwargs)
            except Stale:
                pass
        with gen.serial():
            view = gen.view()
            return fn(view.at(as_of) if as_of is not None else view, *args, **kwargs)


class OneGeneration:
    """ASGI middleware: each HTTP request reads one generation of the store from start to end
    (:meth:`Services.request`); its uncached computations count against its user's bound."""

    def __init__(self, app, services: Services) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        with self.services.request(lambda: requester(scope)):
            await self.app(scope, receive, send)


def requester(scope) -> str:
    """Whose computation a request is: the logged-in user (known once the route read it), else
    the session, else the client address."""
    user = scope.get("state", {}).get("user")
    if user is not None:
        return f"user {user.name}"
    sid = scope.get("session", {}).get("sid")
    if sid:
        return f"session {sid}"
    client = scope.get("client")
    return f"address {client[0] if client else ''}"
