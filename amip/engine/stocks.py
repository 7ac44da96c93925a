"""Stocks at a Stichtag: ELB, BG, Arbeitslose. Backend-neutral Ibis expressions.

Readings (domain reference §10): the Stichtag of month t is the 15th (item 1); the ELB stock at a
Stichtag is the distinct persons with an ``elb`` spell covering it, per Jobcenter (items 2, 17).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from amip.catalogue import load
from amip.engine.calendar import calendar, days, end_days
from amip.engine.calendar import stichtag as stichtag_of
from amip.engine.facts import Facts

def stichtag(year: int, month: int) -> dt.date:
    """The statistical counting day of a Berichtsmonat (by default the 15th; catalogue)."""
    from amip.engine.calendar import stichtag as of_month

    return of_month(year * 12 + month - 1)


def covering(t: ir.Table, day: dt.date, start: str = "valid_from", end: str = "valid_to") -> ir.Table:
    """Rows of a spell table whose period (both ends inclusive, open end allowed) covers ``day``."""
    d = ibis.literal(day, "date")
    return t.filter((t[start] <= d) & (t[end].isnull() | (t[end] >= d)))


def elb_stock(db, day: dt.date, jobcenter_id: str | None = None) -> ir.Table:
    """ELB in stock at ``day``: one row per person and Jobcenter.

    Columns: person_id, jobcenter_id, bg_id, bg_role (of the covering spell that began last).
    """
    s = covering(db.table("elb_spells"), day)
    s = s.filter(s.status == "elb")
    if jobcenter_id is not None:
        s = s.filter(s.jobcenter_id == jobcenter_id)
    w = ibis.window(group_by=[s.person_id, s.jobcenter_id],
                    order_by=[ibis.desc(s.valid_from), s.bg_id])
    s = s.mutate(_n=ibis.row_number().over(w))
    return s.filter(s._n == 0).select("person_id", "jobcenter_id", "bg_id", "bg_role")


def bg_stock(db, day: dt.date, jobcenter_id: str | None = None) -> ir.Table:
    """Bedarfsgemeinschaften with at least one ELB at ``day``: one row per BG and Jobcenter."""
    s = covering(db.table("elb_spells"), day)
    s = s.filter(s.status == "elb")
    if jobcenter_id is not None:
        s = s.filter(s.jobcenter_id == jobcenter_id)
    return s.select("bg_id", "jobcenter_id").distinct()


def unemployed(db, day: dt.date, jobcenter_id: str | None = None) -> ir.Table:
    """SGB II-Arbeitslose at ``day``: ELB in stock with a registered unemployment spell covering it.

    Columns: person_id, jobcenter_id, since (start of the covering unemployment spell).
    """
    u = covering(db.table("unemployment_spells"), day)
    u = u.group_by("person_id").aggregate(since=u.valid_from.min())
    e = elb_stock(db, day, jobcenter_id)
    return e.join(u, "person_id").select(e.person_id, e.jobcenter_id, u.since)


def count(t: ir.Table) -> int:
    """The number of rows (via Arrow: ``execute()`` would load pandas for one number)."""
    return int(t.count().to_pyarrow().as_py())


def monthly_stocks(db, jc: str, m_lo: int, m_hi: int) -> dict[int, dict[str, int]]:
    """ELB and BG stock at every Stichtag m_lo..m_hi (one query each)."""
    cat = load()
    facts = Facts(db, cat.rules_for(stichtag_of(m_hi)), cat.parameters, m_lo, m_hi, jc,
                  materialize=False)
    elb = facts.elb
    elb_n = elb.group_by("m").aggregate(n=elb.count()).to_pyarrow().to_pylist()
    s = db.table("elb_spells")
    s = s.filter((s.status == "elb") & (s.jobcenter_id == jc))
    s = s.select("bg_id", vf=days(s.valid_from), vt=end_days(s.valid_to))
    c = calendar(m_lo, m_hi)
    bg = s.join(c, (s.vf <= c.st) & (s.vt >= c.st)).select("bg_id", "m").distinct()
    bg_n = bg.group_by("m").aggregate(n=bg.count()).to_pyarrow().to_pylist()
    out = {m: {"elb": 0, "bg": 0} for m in range(m_lo, m_hi + 1)}
    for r in elb_n:
        out[r["m"]]["elb"] = r["n"]
    for r in bg_n:
        out[r["m"]]["bg"] = r["n"]
    return out


def jahresdurchschnitte(db, jc: str, first: int, last: int) -> dict[int, dict[str, float]]:
    """Jahresdurchschnitt (mean of the 12 Stichtag stocks) of ELB and BG per calendar year."""
    stocks = monthly_stocks(db, jc, first * 12, last * 12 + 11)
    return {y: {k: sum(stocks[y * 12 + i][k] for i in range(12)) / 12 for k in ("elb", "bg")}
            for y in range(first, last + 1)}
