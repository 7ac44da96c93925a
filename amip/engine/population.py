"""Populations at a Stichtag that reports and the calibration reuse (backend-neutral Ibis).

Each function takes a store view ``db`` (``db.table(name)`` with corrections applied) and a day,
and returns an Ibis table with one row per person (columns named in the docstring).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from amip.engine.stocks import bg_stock, covering, elb_stock, stichtag, unemployed

__all__ = ["stichtag", "elb_stock", "bg_stock", "unemployed", "with_age", "age_group",
           "lzb", "long_term_unemployed", "latest_prognosis", "employment_class",
           "flagged", "single_parents", "integrations"]

LZB_WINDOW_DAYS = 730
LZB_MIN_DAYS = 638
LZA_MIN_DAYS = 364
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


def lzb(db, day: dt.date) -> ir.Table:
    """ELB in stock at ``day`` with their net ELB days in the 730 days up to ``day`` (§10 item 8).

    Columns: person_id, jobcenter_id, elb_days, is_lzb. Days count across BGs and Jobcenter;
    overlapping spells are counted once (spells of one person are merged first).
    """
    stock = elb_stock(db, day)
    d = ibis.literal(day, "date")
    w0 = ibis.literal(day - dt.timedelta(days=LZB_WINDOW_DAYS - 1), "date")
    s = db.table("elb_spells")
    s = s.filter((s.status == "elb") & (s.valid_from <= d)
                 & (s.valid_to.isnull() | (s.valid_to >= w0)))
    s = s.mutate(a=ibis.greatest(s.valid_from, w0), b=ibis.least(s.valid_to.fill_null(d), d))
    s = s.select("person_id", "a", "b").distinct()
    # merge overlaps: running max of earlier ends per person
    cum = ibis.window(group_by=s.person_id, order_by=[s.a, s.b], preceding=None, following=0)
    s = s.mutate(run_end=s.b.max().over(cum))
    w = ibis.window(group_by=s.person_id, order_by=[s.a, s.b])
    s = s.mutate(prev_end=s.run_end.lag().over(w))
    s = s.mutate(a2=ibis.ifelse(s.prev_end.notnull() & (s.prev_end >= s.a),
                                s.prev_end + ibis.interval(days=1), s.a))
    s = s.filter(s.a2 <= s.b)
    s = s.mutate(days=s.b.delta(s.a2, unit="day") + 1)
    days = s.group_by("person_id").aggregate(elb_days=s.days.sum())
    j = stock.left_join(days, "person_id")
    j = j.mutate(elb_days=j.elb_days.fill_null(0))
    return j.select(j.person_id, j.jobcenter_id, j.elb_days,
                    is_lzb=j.elb_days >= LZB_MIN_DAYS)


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
    """Alleinerziehende at ``day`` (§10 item 18): ELB heads of a single_parent BG."""
    stock = elb_stock(db, day)
    b = covering(db.table("bg_spells"), day)
    b = b.filter(b.bg_type == "single_parent").select("bg_id", "jobcenter_id").distinct()
    j = stock.filter(stock.bg_role == "head").join(b, ["bg_id", "jobcenter_id"])
    return j.select("person_id", "jobcenter_id")


INTEGRATION_KINDS = ("sv", "apprenticeship", "self_employed")
INTEGRATION_FUNDINGS = ("none", "egz", "esg", "16e", "esf_lza")


def integrations(db, year: int, month: int) -> ir.Table:
    """Integrationen of Berichtsmonat (year, month) per §10 item 4: person_id, jobcenter_id.

    Window A: in stock at ST(t-1), start in (ST(t-1), ST(t)]; window B: in stock at ST(t-1) but not
    at ST(t-2), start in (ST(t-2), ST(t-1)]. At most one per person and month.
    """
    def prev(y, m, k):
        i = y * 12 + m - 1 - k
        return i // 12, i % 12 + 1

    st0 = stichtag(year, month)
    st1 = stichtag(*prev(year, month, 1))
    st2 = stichtag(*prev(year, month, 2))
    e = db.table("employment_spells")
    e = e.filter(e.kind.isin(INTEGRATION_KINDS) & e.funding.isin(INTEGRATION_FUNDINGS))
    s1 = elb_stock(db, st1).select("person_id", "jobcenter_id")
    s2 = elb_stock(db, st2).select("person_id", "jobcenter_id")
    new = s1.anti_join(s2, ["person_id", "jobcenter_id"])
    a = e.filter((e.valid_from > ibis.literal(st1, "date")) & (e.valid_from <= ibis.literal(st0, "date")))
    b = e.filter((e.valid_from > ibis.literal(st2, "date")) & (e.valid_from <= ibis.literal(st1, "date")))
    wa = s1.semi_join(a, "person_id")
    wb = new.semi_join(b, "person_id")
    return wa.union(wb).distinct()
