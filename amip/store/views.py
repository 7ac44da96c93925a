"""Backend-neutral views of the store: corrections applied, rows recorded after as-of hidden.

Readings pinned in the domain reference §10.1:
- item 16: with an as-of date D, every table with ``recorded_on`` keeps only rows recorded on or
  before D (inclusive); tables without it (jobcenters, units, persons, caseload, ...) are used whole;
- item 15: among the remaining rows with the same key, the latest ``recorded_on`` wins (ties, which
  only arise across imports, go to the later import). Tables without ``recorded_on`` keep the
  version of the latest import.

The same expressions run on any Ibis backend holding the store's tables (DuckDB, PostgreSQL).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from amip.extract.schema import TABLES


class StoreView:
    """Tables of the store as known on ``as_of``; ``table(name)`` returns an Ibis table."""

    def __init__(self, backend: ibis.BaseBackend, as_of: dt.date | None = None) -> None:
        self.backend = backend
        self.as_of = as_of
        self._cache: dict[str, ir.Table] = {}

    def table(self, name: str) -> ir.Table:
        if name not in self._cache:
            self._cache[name] = current_rows(self.backend.table(name), name, self.as_of)
        return self._cache[name]

    def at(self, as_of: dt.date | None) -> "StoreView":
        return StoreView(self.backend, as_of)


def current_rows(t: ir.Table, name: str, as_of: dt.date | None = None) -> ir.Table:
    """Apply the as-of filter and the correction rule to one stored table."""
    spec = TABLES[name]
    order = []
    if spec.has_recorded_on:
        if as_of is not None:
            t = t.filter(t.recorded_on <= ibis.literal(as_of, "date"))
        order.append(ibis.desc(t.recorded_on))
    order.append(ibis.desc(t._import_id))
    w = ibis.window(group_by=[t[k] for k in spec.key], order_by=order)
    ranked = t.mutate(_rank=ibis.row_number().over(w))
    return ranked.filter(ranked._rank == 0).drop("_rank", "_import_id")
