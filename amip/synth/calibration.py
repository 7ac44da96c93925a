"""Calibration: the profile's published targets against the generated data.

Every figure is computed with the population functions of :mod:`amip.engine.population` over a
store view, so the same code runs on any backend the store supports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import ibis

from amip.engine import population as pop
from amip.synth.profile import load


@dataclass(frozen=True)
class CheckRow:
    target: str
    label: str
    reference: str
    target_value: float
    generated: float | None
    deviation_pct: float | None
    tolerance: str
    ok: bool


def _view(source):
    """A store view from tables (imported into a memory store), a Store, or a view."""
    if isinstance(source, dict):
        from amip.store import Store

        store = Store.memory()
        store.import_tables(source, source="synth")
        return store.view()
    if hasattr(source, "view"):
        return source.view()
    return source


class Figures:
    """Cached figures of one Jobcenter."""

    def __init__(self, db, jobcenter_id: str) -> None:
        self.db, self.jc = db, jobcenter_id
        self.cache: dict = {}

    def _n(self, t) -> float:
        return float(t.count().execute())

    def _get(self, key, fn):
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]

    def stock(self, day):
        return pop.elb_stock(self.db, day, self.jc)

    def elb(self, day) -> float:
        return self._get(("elb", day), lambda: self._n(self.stock(day)))

    def bg(self, day) -> float:
        return self._get(("bg", day), lambda: self._n(pop.bg_stock(self.db, day, self.jc)))

    def ages(self, day) -> dict:
        def f():
            t = pop.age_group(pop.with_age(self.db, self.stock(day), day))
            r = t.group_by("age_group").aggregate(n=t.count()).execute()
            return dict(zip(r["age_group"], r["n"]))
        return self._get(("ages", day), f)

    def prognoses(self, day) -> dict:
        def f():
            t = pop.latest_prognosis(self.db, day)
            t = t.filter(t.jobcenter_id == self.jc)
            r = t.group_by("prognosis").aggregate(n=t.count()).execute()
            return {(k if isinstance(k, str) else "missing"): v for k, v in zip(r["prognosis"], r["n"])}
        return self._get(("prog", day), f)

    def lzb(self, day) -> float:
        def f():
            t = pop.lzb(self.db, day)
            t = t.filter((t.jobcenter_id == self.jc) & t.is_lzb)
            return self._n(t)
        return self._get(("lzb", day), f)

    def alo(self, day):
        def f():
            u = pop.long_term_unemployed(self.db, day)
            u = u.filter(u.jobcenter_id == self.jc)
            t = pop.with_age(self.db, u, day)
            r = t.aggregate(n=t.count(), men=(t.sex == "m").sum(), u25=(t.age < 25).sum(),
                            lza=t.is_lza.sum()).execute()
            return {k: float(r[k].iloc[0] or 0) for k in ("n", "men", "u25", "lza")}
        return self._get(("alo", day), f)

    def flag_count(self, day, flag, unemployed=False) -> float:
        base = pop.unemployed(self.db, day, self.jc) if unemployed else self.stock(day)
        return self._n(base.semi_join(pop.flagged(self.db, day, flag), "person_id"))

    def employed(self, day) -> dict:
        def f():
            t = pop.employment_class(self.db, day)
            t = t.filter(t.jobcenter_id == self.jc)
            r = t.aggregate(all=t.count(), self_=t.self_employed.sum(),
                            le450=(t.income_class == "le450").sum(),
                            le850=(t.income_class == "le850").sum(),
                            le1200=(t.income_class == "le1200").sum(),
                            gt1200=(t.income_class == "gt1200").sum()).execute()
            return {k.rstrip("_"): float(r[k].iloc[0] or 0) for k in r.columns}
        return self._get(("emp", day), f)


def _months(year):
    return [pop.stichtag(year, m) for m in range(1, 13)]


def _day(text: str) -> dt.date:
    y, m = text.split("-")
    return pop.stichtag(int(y), int(m))


def compute(fig: Figures, t: dict) -> float:
    kind = t["kind"]
    db = fig.db
    if kind == "elb_jdw":
        return sum(fig.elb(d) for d in _months(t["year"])) / 12
    if kind == "elb_stock":
        return fig.elb(_day(t["date"]))
    if kind == "bg_jdw":
        return sum(fig.bg(d) for d in _months(t["year"])) / 12
    if kind == "alo":
        return fig.alo(_day(t["date"]))["n"]
    if kind == "alo_men_share":
        a = fig.alo(_day(t["date"]))
        return 100 * a["men"] / a["n"] if a["n"] else 0.0
    if kind == "alo_u25":
        return fig.alo(_day(t["date"]))["u25"]
    if kind == "lza_share":
        a = fig.alo(_day(t["date"]))
        return 100 * a["lza"] / a["n"] if a["n"] else 0.0
    if kind == "lzb_share_jdw":
        days = _months(t["year"])
        elb = sum(fig.elb(d) for d in days)
        return 100 * sum(fig.lzb(d) for d in days) / elb if elb else 0.0
    if kind == "elb_age_jdw":
        label = {15: "15-24", 25: "25-54", 55: "55+"}[t["age"][0]]
        return sum(fig.ages(d).get(label, 0) for d in _months(t["year"])) / 12
    if kind == "prognosis_jdw":
        return sum(fig.prognoses(d).get(t["prognosis"], 0) for d in _months(t["year"])) / 12
    if kind == "employed":
        return fig.employed(_day(t["date"]))[t["class"]]
    if kind == "integrations":
        return float(sum(fig._n(_jc(pop.integrations(db, t["year"], m), fig.jc))
                         for m in range(1, 13)))
    if kind == "flag_elb":
        return fig.flag_count(_day(t["date"]), t["flag"])
    if kind == "flag_alo":
        return fig.flag_count(_day(t["date"]), t["flag"], unemployed=True)
    if kind == "flag_elb_jdw":
        return sum(fig.flag_count(d, t["flag"]) for d in _months(t["year"])) / 12
    if kind == "single_parent_alo":
        d = _day(t["date"])
        sp = _jc(pop.single_parents(db, d), fig.jc)
        return fig._n(sp.semi_join(pop.unemployed(db, d, fig.jc), "person_id"))
    if kind == "budget_plan":
        p = db.table("budget_plan")
        p = p.filter((p.jobcenter_id == fig.jc) & (p.year == t["year"]) & (p.title == t["title"]))
        return _num(p.amount_eur.sum().execute())
    if kind == "budget_paid":
        b = db.table("budget_bookings")
        b = b.filter((b.jobcenter_id == fig.jc) & (b.budget_year == t["year"])
                     & (b.title == t["title"]) & (b.kind == "payment"))
        return _num(b.amount_eur.sum().execute())
    if kind == "check_error_rate":
        c = db.table("casefile_checks")
        c = c.filter((c.area == t["area"]) & (c.checked_on.year() == t["year"]))
        c = c.join(db.table("persons"), "person_id")
        r = c.aggregate(e=c.errors.sum(), i=c["items"].sum()).execute()
        return 100 * float(r["e"].iloc[0]) / float(r["i"].iloc[0]) if r["i"].iloc[0] else 0.0
    raise ValueError(f"unknown target kind {kind!r}")


def _jc(t, jc):
    return t.filter(t.jobcenter_id == jc)


def _num(v) -> float:
    if v is None or (isinstance(v, float) and v != v):
        return 0.0
    return float(Decimal(str(v)))


def reference(t: dict) -> str:
    if "date" in t:
        y, m = t["date"].split("-")
        return f"{m}/{y}"
    return str(t["year"])


def tolerance_text(t: dict) -> str:
    if "tolerance_abs" in t:
        return f"± {t['tolerance_abs']:g}"
    return f"± {100 * t['tolerance']:g} %"


def check(source, profile: str = "elbe-elster", jobcenter_id: str | None = None) -> list[CheckRow]:
    """Compare every target of the profile with the generated figures."""
    prof = load(profile)
    db = _view(source)
    fig = Figures(db, jobcenter_id or prof["jobcenter"]["id"])
    rows = []
    for t in prof.get("targets", []):
        value = compute(fig, t)
        target = float(t["value"])
        dev = (value / target - 1) * 100 if target else None
        if "tolerance_abs" in t:
            ok = abs(value - target) <= t["tolerance_abs"]
        else:
            ok = target != 0 and abs(value / target - 1) <= t["tolerance"]
        rows.append(CheckRow(t["id"], t["label"], reference(t), target, value, dev,
                             tolerance_text(t), bool(ok)))
    return rows


__all__ = ["CheckRow", "check", "compute", "Figures", "ibis"]
