"""Backend-neutral views of the store: corrections applied, rows recorded after as-of hidden.

Readings pinned in the domain reference §10.1:
- item 16: with an as-of date D, every table with ``recorded_on`` keeps only rows recorded on or
  before D (inclusive); tables without it (jobcenters, units, persons, caseload, ...) are used whole;
- item 15: among the remaining rows with the same key, the latest ``recorded_on`` wins (ties, which
  only arise across imports, go to the later import). Tables without ``recorded_on`` keep the
  version of the latest import.

The same expressions run on any Ibis backend holding the store's tables (DuckDB, PostgreSQL).

Ranking the rows for the correction rule is the costliest part of reading a large table (at
national size, 19 million ``elb_spells`` rows: 9 s). The import therefore keeps each table's
current rows as of that import (``amip_current_<table>``, :mod:`amip.store.store`); a view of
everything (no as-of date) reads those, when the log says they were kept at the latest import.
As-of views, other backends and stores from before rank the rows as always.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from amip.backends import Adapter, adapter_for
from amip.extract.description import Description
from amip.extract.description import parse as parse_description
from amip.extract.schema import TABLES

DESCRIPTIONS = "amip_import_descriptions"  # as amip.store.store creates it
CURRENT = "amip_current_"  # + a table's name: its current rows, kept by the import
CURRENT_LOG = "amip_current_log"  # (table_name, import_id): the import each was kept at
#: + a name: person-level rows an import prepared for the engine (:mod:`amip.engine.prepared`),
#: kept and published beside the current rows
PREPARED = "amip_prepared_"
PREPARED_LOG = "amip_prepared_log"  # (name, data_state, format): what was prepared, at which state


class StoreView:
    """Tables of the store as known on ``as_of``; ``table(name)`` returns an Ibis table."""

    def __init__(self, backend: ibis.BaseBackend, as_of: dt.date | None = None) -> None:
        self.backend = backend
        self.as_of = as_of
        self._cache: dict[str, ir.Table] = {}
        self._adapter: Adapter | None = None
        self._kept: set[str] | None = None
        #: the folder of the incremental fact store (:mod:`amip.engine.kept_facts`); None:
        #: facts are counted fresh every time
        self.kept_facts = None

    @property
    def adapter(self) -> Adapter:
        """What differs between backends (:mod:`amip.backends`): the engine asks it, never
        which backend it runs on."""
        if self._adapter is None:
            self._adapter = adapter_for(self.backend)
        return self._adapter

    def table(self, name: str, key_filter=None) -> ir.Table:
        """The corrected rows of a table. ``key_filter(t)`` (optional) selects rows by key
        columns *before* the correction, which is exact because rows of other keys never
        correct these, and much faster on large tables (e.g. a range of benefit months)."""
        if name in self.kept_current():
            t = self._cache.get(name)
            if t is None:
                t = self._cache[name] = self.backend.table(CURRENT + name)
            return t if key_filter is None else t.filter(key_filter(t))
        if key_filter is not None:
            return current_rows(self.backend.table(name), name, self.as_of, key_filter)
        if name not in self._cache:
            self._cache[name] = current_rows(self.backend.table(name), name, self.as_of)
        return self._cache[name]

    def kept_current(self) -> set[str]:
        """The tables whose current rows the latest import kept (none for an as-of view)."""
        if self._kept is None:
            self._kept = set()
            if self.as_of is None and CURRENT_LOG in self.backend.list_tables():
                log = self.backend.table(CURRENT_LOG).to_pyarrow().to_pylist()
                i = self.backend.table("amip_imports").import_id.max().to_pyarrow().as_py()
                self._kept = {r["table_name"] for r in log if r["import_id"] == i}
        return self._kept

    def recorded(self, name: str) -> ir.Table:
        """All stored rows of a table known at as-of, corrections *not* applied: for questions a
        correction cannot change, such as the extremes of a key column or of ``recorded_on``
        (every key keeps a current row), without the cost of ranking the rows."""
        t = self.backend.table(name)
        if self.as_of is not None and TABLES[name].has_recorded_on:
            t = t.filter(t.recorded_on <= ibis.literal(self.as_of, "date"))
        return t

    def latest_recorded_on(self, names: tuple[str, ...]) -> dt.date | None:
        """The latest ``recorded_on`` (≤ as-of) in these tables. Corrections never hide the
        latest row of a key, so the raw tables give the same answer as the corrected ones."""
        latest = None
        for name in names:
            t = self.recorded(name)
            value = t.recorded_on.max().to_pyarrow().as_py()  # Arrow: no pandas for one date
            if value is not None:
                value = value.date() if isinstance(value, dt.datetime) else value
                latest = value if latest is None else max(latest, value)
        return latest

    def first_recorded_on(self, name: str) -> dt.date | None:
        """The earliest ``recorded_on`` (≤ as-of) of a table."""
        value = self.recorded(name).recorded_on.min().to_pyarrow().as_py()
        return value.date() if isinstance(value, dt.datetime) else value

    def description(self) -> Description | None:
        """The ``extract.toml`` of the latest import that brought one (None: no import did, or
        the store predates the description)."""
        if DESCRIPTIONS not in self.backend.list_tables():
            return None
        t = self.backend.table(DESCRIPTIONS)
        rows = t.order_by(ibis.desc(t.import_id)).limit(1).to_pyarrow().to_pylist()
        return parse_description(rows[0]["text"])[0] if rows else None

    def data_state(self) -> str:
        """Changes whenever an import (or, on PostgreSQL, a publish) adds data: the latest
        import's id and fingerprint from the import log. Caches key on it."""
        return self.adapter.data_state()

    def imports(self) -> list[dict]:
        """The import log, oldest first (see :meth:`amip.backends.Adapter.imports`)."""
        return self.adapter.imports()

    def at(self, as_of: dt.date | None) -> "StoreView":
        view = StoreView(self.backend, as_of)
        view.kept_facts = self.kept_facts
        return view


def current_rows(t: ir.Table, name: str, as_of: dt.date | None = None,
                 key_filter=None) -> ir.Table:
    """Apply the as-of filter and the correction rule to one stored table."""
    spec = TABLES[name]
    if key_filter is not None:
        t = t.filter(key_filter(t))
    order = []
    if spec.has_recorded_on:
        if as_of is not None:
            t = t.filter(t.recorded_on <= ibis.literal(as_of, "date"))
        order.append(ibis.desc(t.recorded_on))
    order.append(ibis.desc(t._import_id))
    w = ibis.window(group_by=[t[k] for k in spec.key], order_by=order)
    ranked = t.mutate(_rank=ibis.row_number().over(w))
    return ranked.filter(ranked._rank == 0).drop("_rank", "_import_id")
