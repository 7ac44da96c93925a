"""Person-level tables the import prepares once, so that no query has to derive them again.

- ``elb_spells``: the corrected ``elb_spells`` with day numbers ``vf``, ``vt``, the person's
  ``sex`` and, for an ``elb`` spell, its net start ``new``
  (:func:`amip.engine.facts.net_starts`).
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
#: benefit rows prepared by one query at most (unless one month has more): at national size a
#: few months at a time (memory), for one Jobcenter all at once (few queries)
CHUNK_ROWS = 20_000_000

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
    rows = {parse_month(r["month"]): r["n"]
            for r in b.group_by("month").aggregate(n=b.count()).to_pyarrow().to_pylist()}
    chunks = _chunks(rows)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE TABLE IF NOT EXISTS {LOG} (name VARCHAR, data_state VARCHAR, "
                    "format INTEGER)")
        con.execute(f"DELETE FROM {LOG}")
        step("prepared elb_spells", 0, len(chunks) + 1)
        _create(con, "elb_spells", elb_spells)
        # consecutive months up to CHUNK_ROWS rows at a time, sorted by month: a month's rows
        # lie together (a query of two months reads little more than their rows)
        for i, ms in enumerate(chunks):
            step("prepared benefit_months", i + 1, len(chunks) + 1)
            s = spells.filter((spells.vf <= epoch_day(month_end(ms[-1])))
                              & (spells.vt >= epoch_day(month_start(ms[0])))) if ms else spells
            _create(con, "benefit_months", benefit_jobcenter(view, ms, s).order_by("m"),
                    add=i > 0)
        state = view.data_state()
        con.executemany(f"INSERT INTO {LOG} VALUES (?, ?, ?)",
                        [[n, state, FORMAT] for n in PREPARED])
        counts = {n: con.execute(f"SELECT count(*) FROM {TABLE}{n}").fetchone()[0]
                  for n in PREPARED}
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts


def _chunks(rows: dict[int, int]) -> list[list[int]]:
    """The months (with their numbers of rows) in runs of consecutive months of at most
    :data:`CHUNK_ROWS` rows (a month with more is a run of its own); [[]] for none."""
    chunks: list[list[int]] = []
    total = 0
    for m in sorted(rows):
        if chunks and m == chunks[-1][-1] + 1 and total + rows[m] <= CHUNK_ROWS:
            chunks[-1].append(m)
            total += rows[m]
        else:
            chunks.append([m])
            total = rows[m]
    return chunks or [[]]


def _create(con, name: str, rows: ir.Table, add: bool = False) -> None:
    """Create the table ``name`` of the rows (``add``: append them)."""
    sql = ibis.to_sql(rows, dialect="duckdb")
    con.execute(f"INSERT INTO {TABLE}{name} {sql}" if add
                else f"CREATE OR REPLACE TABLE {TABLE}{name} AS {sql}")
