"""Person-level tables the import prepares once, so that no query has to derive them again.

- ``elb_spells``: the corrected ``elb_spells`` with day numbers ``vf``, ``vt``, the person's
  ``sex`` and, for an ``elb`` spell, its net start ``new``
  (:func:`amip.engine.facts.net_starts`) and whether it is the person's only one (``single``,
  :func:`amip.engine.facts.single_spells`).
  The net ELB days of any window (LZB, item 8) are then one grouped pass over the persons of
  several spells, without a window function over each person's spells, and the facts carry the
  sex their counts are split by, without joining the persons.
- ``benefit_months``: every benefit month with the Jobcenter of the person's month (item 22,
  :func:`amip.engine.facts.benefit_jobcenter`) and sex: person_id, jobcenter_id, sex, m, llu,
  luh. A month's money sums then read its rows. Without them, each month pairs its benefit
  rows with the spells and ranks them. At national size that is 5 million rows a month and
  13 s of the next month's 30.

They are kept in the store (``amip_prepared_<name>``) under the data state they were computed
at (``amip_prepared_log``). Only a view of that state without an as-of date reads them; any other
view (an as-of date, another backend, a store from before) computes the same rows on the fly.
Both ways give the same figures (tests/engine/test_prepared.py; the spec cases of the facts run
both ways). Like the current rows, they hold person-level rows and stay inside the store.

This module finds them (:func:`prepared`, read by :mod:`amip.engine.facts`);
:mod:`amip.engine.prepare` computes and keeps them.
"""

from __future__ import annotations

import weakref

import ibis.expr.types as ir

from amip.store.views import PREPARED as TABLE
from amip.store.views import PREPARED_LOG as LOG

#: bump when what a table holds or how it is computed changes: tables of another format are
#: then not read
FORMAT = 3
PREPARED = ("elb_spells", "benefit_months")

#: the prepared tables each view found (looked up once per view)
_found: "weakref.WeakKeyDictionary[object, dict[str, ir.Table]]" = weakref.WeakKeyDictionary()


def prepared(db, name: str) -> ir.Table | None:
    """The prepared table ``name`` of a view, if the import kept it for the view's data state
    and the view has no as-of date; None: compute the rows on the fly."""
    if name not in PREPARED:
        raise KeyError(f"unknown prepared table {name!r}")
    if getattr(db, "as_of", None) is not None or not hasattr(db, "backend") \
            or not hasattr(db, "data_state"):
        return None
    found = _found.get(db)
    if found is None:
        found = _found[db] = _read(db)
    return found.get(name)


def _read(db) -> dict[str, ir.Table]:
    backend = db.backend
    tables = set(backend.list_tables())
    if LOG not in tables:
        return {}
    log = backend.table(LOG)
    rows = log.filter((log.data_state == db.data_state()) & (log.format == FORMAT))
    names = {r["name"] for r in rows.select("name").to_pyarrow().to_pylist()}
    return {n: backend.table(TABLE + n) for n in PREPARED if n in names and TABLE + n in tables}
