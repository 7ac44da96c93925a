"""Person-level tables the import prepares once, so that no query has to derive them again.

- ``elb_spells``: the corrected ``elb_spells`` with day numbers ``vf``, ``vt``, the person's
  ``sex`` and, for an ``elb`` spell, its net start ``new`` (:func:`amip.engine.facts.net_starts`).
  The net ELB days of any window (LZB, item 8) are then one grouped pass, without a window
  function over each person's spells, and the facts carry the sex their counts are split by,
  without joining the persons.
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
"""

from __future__ import annotations

import weakref

import ibis
import ibis.expr.types as ir

from amip.store.views import PREPARED as TABLE
from amip.store.views import PREPARED_LOG as LOG

#: bump when what a table holds or how it is computed changes: tables of another format are
#: then not read
FORMAT = 2
PREPARED = ("elb_spells", "benefit_months")

_found: "weakref.WeakKeyDictionary[object, dict[str, ir.Table | None]]" = weakref.WeakKeyDictionary()


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


def keep(store, progress=None) -> dict[str, int]:
    """Compute the prepared tables of a read-write DuckDB store (:class:`amip.store.Store`)
    for its current data state and keep them, replacing those of an earlier state; right
    after an import, inside its swap. Returns the rows kept per table."""
    from amip.engine.calendar import epoch_day, month_end, month_start, parse_month
    from amip.engine.facts import benefit_jobcenter, net_starts, spell_days, with_sex
    from amip.engine.stocks import counting

    step = progress or (lambda *_: None)
    view = store.view()
    con = store.con
    spells = spell_days(view, "elb_spells", "person_id", "jobcenter_id", "bg_id", "bg_role",
                        "status")
    others = spells.filter(spells.status != "elb").mutate(new=ibis.null("int64"))
    elb_spells = with_sex(view, ibis.union(net_starts(counting(spells)), others,
                                           distinct=False))
    b = view.table("benefit_months")
    months = sorted(parse_month(r["month"])
                    for r in b.select("month").distinct().to_pyarrow().to_pylist())
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE TABLE IF NOT EXISTS {LOG} (name VARCHAR, data_state VARCHAR, "
                    "format INTEGER)")
        con.execute(f"DELETE FROM {LOG}")
        step("prepared elb_spells", 0, len(months) + 1)
        _create(con, "elb_spells", elb_spells)
        # month by month: the rows of a month lie together (a query of two months reads
        # little more than their rows), and each ranking is a month's
        for i, m in enumerate(months or [None]):
            step("prepared benefit_months", i + 1, len(months) + 1)
            ms = [] if m is None else [m]
            s = spells if m is None else spells.filter(
                (spells.vf <= epoch_day(month_end(m))) & (spells.vt >= epoch_day(month_start(m))))
            _create(con, "benefit_months", benefit_jobcenter(view, ms, s), add=i > 0)
        state = view.data_state()
        con.executemany(f"INSERT INTO {LOG} VALUES (?, ?, ?)",
                        [[n, state, FORMAT] for n in PREPARED])
        counts = {n: con.execute(f"SELECT count(*) FROM {TABLE}{n}").fetchone()[0]
                  for n in PREPARED}
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    _found.pop(view, None)
    return counts


def _create(con, name: str, rows: ir.Table, add: bool = False) -> None:
    """Create the table ``name`` of the rows (``add``: append them)."""
    sql = ibis.to_sql(rows, dialect="duckdb")
    con.execute(f"INSERT INTO {TABLE}{name} {sql}" if add
                else f"CREATE OR REPLACE TABLE {TABLE}{name} AS {sql}")
