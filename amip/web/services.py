"""What the web pages and the API ask of the core, with a cache per data state.

Every figure comes from the same engine functions as the CLI and the reports. Computed records
are cached by their arguments and the store's data state (the latest import), so twenty users
opening the overview cost one computation. DuckDB connections are not shared between threads:
queries run under a lock (the cache makes this cheap).
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
from collections import OrderedDict

from amip.catalogue import load
from amip.engine.indicators import Record, compute
from amip.engine.calendar import month_index, parse_month
from amip.engine.overview import latest_complete_month
from amip.reports.disclosure import protect_records
from amip.store import Store
from amip.web.settings import Settings


_MISSING = object()


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        if settings.postgres_url:
            from amip.store.postgres import postgres_view

            self._store = None
            self._view = postgres_view(settings.postgres_url, settings.postgres_schema)
        else:
            self._store = Store.open(settings.store, read_only=True)
            self._view = self._store.view()
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._cache_size = 512
        self.closed = False
        self._state: tuple[float, str] | None = None  # (checked at, data state)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            if self._store is not None:
                self._store.close()
            else:
                self._view.close()  # the PostgreSQL connection

    # -- data state -----------------------------------------------------------------------------

    #: seconds a looked-up data state is reused (a new import shows within this time)
    STATE_TTL = 2.0

    def data_state(self) -> str:
        """Changes whenever an import changes the data (the cache key's first part)."""
        cached = self._state
        if cached is not None and time.monotonic() - cached[0] < self.STATE_TTL:
            return cached[1]
        state = self._lookup_state()
        self._state = (time.monotonic(), state)
        return state

    def memoized(self, name: str, fn, *args):
        """``fn(*args)`` once per data state (measures, reference data, derived page rows);
        least recently used entries go first. Computations run one at a time under the lock: a
        second asker of the same key waits, then finds it."""
        key = (self.data_state(), name, args)
        value = self._cache.get(key, _MISSING)
        if value is _MISSING:
            with self._lock:
                value = self._cache.get(key, _MISSING)
                if value is _MISSING:
                    value = fn(*args)
                    self._cache[key] = value
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return value

    def _lookup_state(self) -> str:
        with self._lock:
            return self._view.data_state()  # DuckDB: a new import; PostgreSQL: a new publish

    def latest_month(self) -> int | None:
        return self.memoized("latest_month", self._latest_month)

    def _latest_month(self) -> int | None:
        with self._lock:
            month = latest_complete_month(self._view)
        return None if month is None else month_index(month)

    def data_date(self) -> dt.date | None:
        return self.memoized("data_date", self._data_date)

    def _data_date(self) -> dt.date | None:
        with self._lock:
            return self._view.latest_recorded_on(("elb_spells",))

    # -- measures -------------------------------------------------------------------------------

    def indicators(self, months: tuple[int, ...], jobcenter_id: str | None = None,
                   unit_id: str | None = None, as_of: dt.date | None = None,
                   published: bool = False, rules: str | None = None,
                   jfw: bool = False) -> list[Record]:
        """The engine's records (cached); raises the engine's errors (e.g. UnknownUnit)."""
        return self.memoized("indicators", self._compute, tuple(months), jobcenter_id, unit_id,
                             as_of, published, rules, jfw)

    def _at(self, as_of: dt.date | None):
        """The view as known on ``as_of``; the open view itself (with its table cache) for None."""
        return self._view.at(as_of) if as_of is not None else self._view

    def _compute(self, months, jobcenter_id, unit_id, as_of, published, rules, jfw):
        view = self._at(as_of)
        return compute(view, list(months), jobcenter_id, unit_id, published, rules, jfw)

    # -- disclosure control -----------------------------------------------------------------------

    def disclosed(self, records: list[Record], as_of: dt.date | None = None,
                  published: bool = False, rules: str | None = None,
                  jfw: bool = False) -> list[dict]:
        """The records (computed with these options) as dicts under disclosure control, for
        roles without person-level access. The pattern is worked out once for the whole
        organisation tree of their months (:func:`amip.reports.disclosure.protect_records`), so
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
        view = self._at(as_of)
        rows = []
        for jc in jcs:
            ids = [u["unit_id"] for u in units
                   if u["jobcenter_id"] == jc and u["level"] != "jobcenter"]
            with self._lock:
                records = compute(view, list(months), jc, None, published, rules, jfw,
                                  unit_ids=ids or None, include_total=True)
            rows += [r.as_json(with_unit=True) for r in records]
        return {(r["code"], r["month"], r["jobcenter_id"], r["unit_id"], r["sex"], r["basis"]): r
                for r in protect_records(rows, units)}

    # -- reports --------------------------------------------------------------------------------

    def report_file(self, kind: str, period: int, fmt: str, public: bool) -> bytes:
        """The Monatsbericht (``kind`` "monthly", ``period`` a month index) or the programme
        ("programme", a year) as PDF or XLSX bytes, built by the same functions as
        ``amip report`` (in this process: a store is open here, so no helper processes) and
        cached per data state. ``public``: with disclosure control."""
        return self.memoized("report_file", self._report_file, kind, period, fmt, public)

    def _report_file(self, kind: str, period: int, fmt: str, public: bool) -> bytes:
        import tempfile
        from pathlib import Path

        from amip.reports.disclosure import protect
        from amip.reports.export import render_documents, write_xlsx
        from amip.reports.monthly import monthly
        from amip.reports.programme import programme

        with self._lock:
            report = monthly(self._view, period, public=public) if kind == "monthly" \
                else programme(self._view, period, public=public)
        protect(report)
        if fmt == "pdf":
            return render_documents(report, ("pdf",))["pdf"]
        with tempfile.TemporaryDirectory(prefix="amip-report-") as tmp:
            return write_xlsx(report, Path(tmp) / "report.xlsx").read_bytes()

    def warm(self) -> None:
        """Compute what the overview shows (the latest month and the twelve before it, for the
        sparklines; also as roles under disclosure control see it) once, in a background thread
        at start-up."""
        m = self.latest_month()
        if m is not None and not self.closed:
            self.indicators((m,))
            year = self.indicators(tuple(range(m - 12, m + 1)))
            if not self.closed:
                self.disclosed(year)

    # -- person-level data (callers check the scope and write the audit trail) -------------------

    def persons(self, month: int, jobcenter_id: str, units: frozenset[str] | None,
                caseworker_id: str | None = None) -> list[dict]:
        """ELB in stock at the Stichtag of ``month`` in ``jobcenter_id``, assigned to one of
        ``units`` (None: all) and to ``caseworker_id`` (when given): pseudonymous person_id,
        sex, age group, team, LZB flag, latest Integrationsprognose, unemployed flag."""
        with self._lock:
            return person_rows(self._view, month, jobcenter_id, units, caseworker_id)

    # -- reference data -------------------------------------------------------------------------

    def table(self, name: str) -> list[dict]:
        """Rows of a (corrected) store table as dicts; for small tables (units, jobcenters).
        Cached per data state; each caller gets its own copy."""
        return copy.deepcopy(self.memoized("table", self._table, name))

    def _table(self, name: str) -> list[dict]:
        with self._lock:
            return self._view.table(name).to_pyarrow().to_pylist()

    def imports(self) -> list[dict]:
        return copy.deepcopy(self.memoized("imports", self._imports))

    def _imports(self) -> list[dict]:
        with self._lock:
            return self._store.imports() if self._store is not None else []

    def catalogue(self):
        return load()

    def query(self, fn, *args, **kwargs):
        """Run ``fn(view, *args, **kwargs)`` under the lock (for person-level queries)."""
        with self._lock:
            return fn(self._view, *args, **kwargs)


def person_rows(db, month: int, jobcenter_id: str, units, caseworker_id=None) -> list[dict]:
    import ibis

    from amip.engine.aggregate import team_assignment
    from amip.engine.calendar import stichtag
    from amip.engine.population import (age_group, elb_stock, latest_prognosis, lzb, unemployed,
                                        with_age)
    from amip.engine.stocks import covering

    day = stichtag(month)
    stock = elb_stock(db, day, jobcenter_id).select("person_id")
    teams = team_assignment(db, month, month).select("person_id", "unit_id")
    t = stock.left_join(teams, "person_id").select(stock.person_id, teams.unit_id)
    if units is not None:
        t = t.filter(t.unit_id.isin(sorted(units)))
    if caseworker_id is not None:
        c = covering(db.table("caseload"), day)
        mine = c.filter(c.caseworker_id == caseworker_id).select("person_id").distinct()
        t = t.filter(t.person_id.isin(mine.person_id))
    t = age_group(with_age(db, t, day))
    long = lzb(db, day).select("person_id", is_lzb="is_lzb")
    prog = latest_prognosis(db, day).select("person_id", "prognosis")
    unemp = unemployed(db, day).select("person_id", flag=ibis.literal(True))
    t = t.left_join(long, "person_id").select(*[t[c] for c in t.columns], long.is_lzb)
    t = t.left_join(prog, "person_id").select(*[t[c] for c in t.columns], prog.prognosis)
    t = t.left_join(unemp, "person_id").select(*[t[c] for c in t.columns],
                                               unemployed=unemp.flag.fill_null(False))
    t = t.select("person_id", "sex", "age_group", "unit_id",
                 is_lzb=t.is_lzb.fill_null(False), prognosis=t.prognosis,
                 unemployed=t.unemployed).order_by("person_id")
    return t.to_pyarrow().to_pylist()
