"""Stocks at a Stichtag: ELB, BG, Arbeitslose. Backend-neutral Ibis expressions.

Readings (domain reference §10): the Stichtag of month t is the 15th (item 1); the ELB stock at a
Stichtag is the distinct persons with an ``elb`` spell covering it, per Jobcenter (items 2, 17);
the BG stock the Bedarfsgemeinschaften of those spells. Stated once here: which spells count
(:func:`elb_spells`) and what covering a Stichtag means, for one day (:func:`covering`) and for
the Stichtage of a range of months (:func:`at_stichtage`, used by :class:`amip.engine.facts.Facts`
for its monthly ``elb`` and ``bg``).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir


def stichtag(year: int, month: int) -> dt.date:
    """The statistical counting day of a Berichtsmonat (by default the 15th; catalogue)."""
    from amip.engine.calendar import stichtag as of_month

    return of_month(year * 12 + month - 1)


def covering(t: ir.Table, day: dt.date, start: str = "valid_from", end: str = "valid_to") -> ir.Table:
    """Rows of a spell table whose period (both ends inclusive, open end allowed) covers ``day``."""
    d = ibis.literal(day, "date")
    return t.filter((t[start] <= d) & (t[end].isnull() | (t[end] >= d)))


def at_stichtage(spells: ir.Table, cal: ir.Table) -> ir.Table:
    """Rows of ``spells`` (with day numbers ``vf``, ``vt``, both ends inclusive) joined to each
    month ``m`` of the calendar ``cal`` (:func:`amip.engine.calendar.calendar`) whose Stichtag
    ``st`` they cover: :func:`covering` for many Stichtage in one join."""
    return spells.join(cal, (spells.vf <= cal.st) & (spells.vt >= cal.st))


def counting(spells: ir.Table) -> ir.Table:
    """The rows of ``elb_spells`` that make a person an ELB (status ``elb``): the rows every
    ELB and BG stock counts."""
    return spells.filter(spells.status == "elb")


def elb_spells(db, jobcenter_id: str | None = None) -> ir.Table:
    """:func:`counting` spells of one Jobcenter or of all."""
    s = counting(db.table("elb_spells"))
    return s if jobcenter_id is None else s.filter(s.jobcenter_id == jobcenter_id)


def elb_stock(db, day: dt.date, jobcenter_id: str | None = None) -> ir.Table:
    """ELB in stock at ``day``: one row per person and Jobcenter.

    Columns: person_id, jobcenter_id, bg_id, bg_role (of the covering spell that began last).
    """
    s = covering(elb_spells(db, jobcenter_id), day)
    w = ibis.window(group_by=[s.person_id, s.jobcenter_id],
                    order_by=[ibis.desc(s.valid_from), s.bg_id])
    s = s.mutate(_n=ibis.row_number().over(w))
    return s.filter(s._n == 0).select("person_id", "jobcenter_id", "bg_id", "bg_role")


def bg_stock(db, day: dt.date, jobcenter_id: str | None = None) -> ir.Table:
    """Bedarfsgemeinschaften with at least one ELB at ``day``: one row per BG and Jobcenter."""
    return covering(elb_spells(db, jobcenter_id), day).select("bg_id", "jobcenter_id").distinct()


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
