"""What the web pages and the API ask of the core, with a cache per data state.

Every figure comes from the same engine functions as the CLI and the reports. Computed records
are cached by their arguments and the store's data state (the latest import), so twenty users
opening the overview cost one computation. DuckDB connections are not shared between threads:
queries run under a lock (the cache makes this cheap).
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import lru_cache

from amip.catalogue import load
from amip.engine.indicators import Record, compute
from amip.engine.overview import latest_month
from amip.store import Store
from amip.web.settings import Settings


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
        self._cached = lru_cache(maxsize=512)(self._compute)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    # -- data state -----------------------------------------------------------------------------

    def data_state(self) -> str:
        """Changes whenever an import changes the data (the cache key's first part)."""
        with self._lock:
            if self._store is None:
                return "postgres"
            rows = self._store.con.sql(
                "SELECT coalesce(max(import_id), 0), coalesce(max(fingerprint), '') "
                "FROM amip_imports").fetchall()
        return f"{rows[0][0]}:{rows[0][1]}"

    def latest_month(self) -> int | None:
        with self._lock:
            month = latest_month(self._view)
        return None if month is None else month.year * 12 + month.month - 1

    def data_date(self) -> dt.date | None:
        with self._lock:
            return self._view.latest_recorded_on(("elb_spells",))

    # -- measures -------------------------------------------------------------------------------

    def indicators(self, months: tuple[int, ...], jobcenter_id: str | None = None,
                   unit_id: str | None = None, as_of: dt.date | None = None,
                   published: bool = False, rules: str | None = None,
                   jfw: bool = False) -> list[Record]:
        """The engine's records (cached); raises the engine's errors (e.g. UnknownUnit)."""
        return self._cached(self.data_state(), tuple(months), jobcenter_id, unit_id, as_of,
                            published, rules, jfw)

    def _compute(self, _state, months, jobcenter_id, unit_id, as_of, published, rules, jfw):
        with self._lock:
            view = self._view.at(as_of) if as_of is not None else self._view
            return compute(view, list(months), jobcenter_id, unit_id, published, rules, jfw)

    # -- reference data -------------------------------------------------------------------------

    def table(self, name: str) -> list[dict]:
        """Rows of a (corrected) store table as dicts; for small tables (units, jobcenters)."""
        with self._lock:
            return self._view.table(name).to_pyarrow().to_pylist()

    def imports(self) -> list[dict]:
        with self._lock:
            return self._store.imports() if self._store is not None else []

    def catalogue(self):
        return load()

    def query(self, fn, *args, **kwargs):
        """Run ``fn(view, *args, **kwargs)`` under the lock (for person-level queries)."""
        with self._lock:
            return fn(self._view, *args, **kwargs)
