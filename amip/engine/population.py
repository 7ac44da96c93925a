"""Populations at a Stichtag that reports and the calibration reuse (backend-neutral Ibis).

Each function takes a store view ``db`` (``db.table(name)`` with corrections applied) and a day,
and returns an Ibis table with one row per person (columns named in the docstring).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from amip.catalogue import load
from amip.engine.calendar import month_index
from amip.engine.calendar import stichtag as calendar_stichtag
from amip.engine.facts import Facts
from amip.engine.stocks import bg_stock, covering, elb_stock, stichtag, unemployed

__all__ = ["stichtag", "elb_stock", "bg_stock", "unemployed", "with_age", "age_group",
           "lzb", "long_term_unemployed", "latest_prognosis", "employment_class",
           "flagged", "single_parents", "integrations", "monthly_stocks", "jahresdurchschnitte"]

LZA_MIN_DAYS = 364  # § 18 SGB III: arbeitslos for one year (statistically ≥ 364 days)
AGE_GROUPS = ((15, 25, "15-24"), (25, 55, "25-54"), (55, 200, "55+"))


def with_age(db, t: ir.Table, day: dt.date) -> ir.Table:
    """``t`` (with person_id) plus sex and age in completed years at ``day``."""
    p = db.table("persons")
    d = ibis.literal(day, "date")
    j = t.join(p, "person_id")
    years = d.year() - j.birth_date.year()
    before_birthday = (d.month() < j.birth_date.month()) | (
        (d.month() == j.birth_date.month()) & (d.day() < j.birth_date.day()))
    age = years - ibis.ifelse(before_birthday, 1, 0)
    return j.mutate(age=age).drop("birth_date", "citizenship", "education")


def age_group(t: ir.Table) -> ir.Table:
    """Adds ``age_group`` ('15-24', '25-54', '55+') to a table with ``age``."""
    case = ibis.cases(*[((t.age >= lo) & (t.age < hi), label) for lo, hi, label in AGE_GROUPS],
                      else_=None)
    return t.mutate(age_group=case)


def _facts(db, day: dt.date) -> tuple[Facts, int]:
    """The engine's facts around the month of ``day`` (a Stichtag), as pure expressions; the
    two months before are included because the search windows look back to ST(m−2)."""
    cat = load()
    m = month_index(day)
    if day != calendar_stichtag(m):
        raise ValueError(f"{day} is not the Stichtag of its month")
    return Facts(db, cat.rules_for(day), cat.parameters, m - 2, m, materialize=False), m


def lzb(db, day: dt.date) -> ir.Table:
    """ELB in stock at the Stichtag ``day`` with ``is_lzb`` (the engine's LZB, §10 item 8).

    Columns: person_id, jobcenter_id, is_lzb.
    """
    facts, m = _facts(db, day)
    stock, long = facts.elb, facts.lzb
    stock = stock.filter(stock.m == m)
    long = long.filter(long.m == m).select("person_id", "jobcenter_id", flag=ibis.literal(True))
    j = stock.left_join(long, ["person_id", "jobcenter_id"])
    return j.select(stock.person_id, stock.jobcenter_id, is_lzb=j.flag.fill_null(False))


def long_term_unemployed(db, day: dt.date) -> ir.Table:
    """Arbeitslose at ``day`` with ``is_lza`` (unemployed for at least 364 days, §18 SGB III)."""
    u = unemployed(db, day)
    d = ibis.literal(day, "date")
    return u.mutate(is_lza=d.delta(u.since, unit="day") >= LZA_MIN_DAYS)


def latest_prognosis(db, day: dt.date) -> ir.Table:
    """ELB in stock at ``day`` with their latest Integrationsprognose on or before it
    (``prognosis`` null = "X Fehlende Werte")."""
    stock = elb_stock(db, day)
    p = db.table("prognoses")
    p = p.filter(p.assessed_on <= ibis.literal(day, "date"))
    w = ibis.window(group_by=p.person_id, order_by=ibis.desc(p.assessed_on))
    p = p.mutate(_n=ibis.row_number().over(w))
    p = p.filter(p._n == 0).select("person_id", "prognosis")
    return stock.left_join(p, "person_id").select(stock.person_id, stock.jobcenter_id,
                                                  "prognosis")


def employment_class(db, day: dt.date) -> ir.Table:
    """Erwerbstätige ELB at ``day`` by earnings class (BA 'Eckwerte'): one row per person.

    ``self_employed``: any self-employment; ``gross``: sum of dependent gross monthly earnings;
    ``income_class``: 'le450', 'le850', 'le1200', 'gt1200' (null when only self-employed).
    """
    stock = elb_stock(db, day)
    e = covering(db.table("employment_spells"), day)
    agg = e.group_by("person_id").aggregate(
        self_employed=(e.kind == "self_employed").any(),
        gross=ibis.ifelse(e.kind != "self_employed", e.gross_monthly_eur.fill_null(0), 0).sum(),
        dependent=(e.kind != "self_employed").any())
    j = stock.join(agg, "person_id")
    cls = ibis.cases((~j.dependent, None), (j.gross <= 450, "le450"), (j.gross <= 850, "le850"),
                     (j.gross <= 1200, "le1200"), else_="gt1200")
    return j.select(j.person_id, j.jobcenter_id, j.self_employed, j.gross, income_class=cls)


def flagged(db, day: dt.date, flag: str) -> ir.Table:
    """person_id of persons with ``flag`` valid at ``day``."""
    f = covering(db.table("person_flags"), day)
    return f.filter(f.flag == flag).select("person_id").distinct()


def single_parents(db, day: dt.date) -> ir.Table:
    """Alleinerziehende at the Stichtag ``day`` (the engine's reading, §10 item 18)."""
    facts, m = _facts(db, day)
    sp = facts.single_parents
    return sp.filter(sp.m == m).select("person_id", "jobcenter_id")


def integrations(db, year: int, month: int) -> ir.Table:
    """Integrationen of Berichtsmonat (year, month) as the engine counts them (§10 item 4):
    person_id, jobcenter_id; at most one per person and month."""
    day = calendar_stichtag(year * 12 + month - 1)
    facts, m = _facts(db, day)
    i = facts.integrations
    return i.filter(i.m == m).select("person_id", "jobcenter_id")


def monthly_stocks(db, jc: str, m_lo: int, m_hi: int) -> dict[int, dict[str, int]]:
    """ELB and BG stock of Jobcenter ``jc`` at every Stichtag m_lo..m_hi (the engine's facts
    ``elb`` and ``bg``; one query each)."""
    cat = load()
    facts = Facts(db, cat.rules_for(calendar_stichtag(m_hi)), cat.parameters, m_lo, m_hi, jc,
                  materialize=False)
    out = {m: {"elb": 0, "bg": 0} for m in range(m_lo, m_hi + 1)}
    for key in ("elb", "bg"):
        t = getattr(facts, key)
        for r in t.group_by("m").aggregate(n=t.count()).to_pyarrow().to_pylist():
            out[r["m"]][key] = r["n"]
    return out


def jahresdurchschnitte(db, jc: str, first: int, last: int) -> dict[int, dict[str, float]]:
    """Jahresdurchschnitt (mean of the 12 Stichtag stocks) of ELB and BG per calendar year."""
    stocks = monthly_stocks(db, jc, first * 12, last * 12 + 11)
    return {y: {k: sum(stocks[y * 12 + i][k] for i in range(12)) / 12 for k in ("elb", "bg")}
            for y in range(first, last + 1)}
