"""Compute and keep the tables of :mod:`amip.engine.prepared` for a store's data state: right
after an import (``amip import``), inside its swap, or for a store from before
(``bench/bench_national_month.py`` for its scaled copies)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from amip.engine.calendar import epoch_day, month_end, month_start, parse_month
from amip.engine.facts import (benefit_jobcenter, net_starts, single_spells, spell_days,
                               with_sex)
from amip.engine.prepared import FORMAT, LOG, PREPARED, TABLE
from amip.engine.stocks import counting

#: benefit rows prepared by one query at most (unless one month has more): at national size a
#: few months at a time (memory), for one Jobcenter all at once (few queries)
CHUNK_ROWS = 20_000_000


def keep(store, progress=None) -> dict[str, int]:
    """Compute the prepared tables of a read-write DuckDB store (:class:`amip.store.Store`)
    for its current data state and keep them, replacing those of an earlier state; right
    after an import, inside its swap. Returns the rows kept per table."""
    step = progress or (lambda *_: None)
    view = store.view()
    con = store.con
    spells = spell_days(view, "elb_spells", "person_id", "jobcenter_id", "bg_id", "bg_role",
                        "status")
    others = spells.filter(spells.status != "elb").mutate(new=ibis.null("int64"),
                                                          single=ibis.null("boolean"))
    elb_spells = with_sex(view, ibis.union(single_spells(net_starts(counting(spells))), others,
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
