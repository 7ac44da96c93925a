"""The figures of the Arbeitsmarkt- und Integrationsprogramm, computed from a store view.

Numbers only (no formatting): counts, euro sums and percentages that the programme's chapters,
tables and charts show. Every stock is counted by the engine (:mod:`amip.engine`), so the
programme shows the same numbers as ``amip indicators`` and the dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import ibis

from amip.catalogue import load
from amip.engine import population as pop
from amip.engine.calendar import (calendar, days, end_days, epoch_day, format_month,
                                  month_index, stichtag)
from amip.engine.facts import Facts
from amip.engine.horizon import NoFigures, horizon
from amip.engine.indicators import Record, compute
from amip.engine.stocks import count, covering

AGE_GROUPS = ("15-24", "25-54", "55+")
PROGNOSES = ("marktnah", "nicht_marktnah", "integriert", "nicht_erforderlich", None)
#: the customer groups of :func:`customer_groups`, with their German names
GROUP_LABELS = {
    "u25": "Junge Menschen unter 25 Jahren", "lza": "Langzeitarbeitslose",
    "lzb": "Langzeitleistungsbeziehende", "severely_disabled": "Schwerbehinderte Menschen",
    "rehabilitant": "Rehabilitandinnen und Rehabilitanden", "single_parents": "Alleinerziehende",
    "returner": "Berufsrückkehrende", "no_vocational_training": "ohne Berufsabschluss",
    "refugees": "Geflüchtete",
}


@dataclass
class Programme:
    """Everything the programme for ``year`` shows; reference year = year − 1."""

    year: int
    jobcenter_id: str
    jobcenter_name: str
    data_date: dt.date | None
    jdw: dict[int, dict[str, float]]  # year -> {"elb": …, "bg": …}
    unemployed: dict[str, dict[str, int]]  # "now"/"before" -> profile
    refugees_jdw: float
    employment: dict[str, dict[str, int]]  # "now"/"before" -> class counts
    prognosis_by_age: dict[str | None, dict[str, float]]  # prognosis -> age group -> JDW
    indicators: dict[tuple[str, str], Record]  # (code, sex) -> record, December of ref year
    indicators_before: dict[tuple[str, str], Record]
    budget: dict[int, dict[str, float]]  # year -> title -> planned euros
    egl_by_instrument: dict[str, float]  # planned EGL of the programme year per instrument
    payments: dict[str, float]  # title -> payments in the reference year
    groups: dict[str, dict[str, int]]  # customer group -> {"elb", "unemployed", "elb_before", …}
    quality: dict[str, tuple[int, int]]  # area -> (errors, items) in the reference year
    underemployment: dict[str, int]  # unemployed, measures (not unemployed), total

    @property
    def ref_year(self) -> int:
        return self.year - 1

    @property
    def ref_day(self) -> dt.date:
        return stichtag(month_index(dt.date(self.ref_year, 12, 1)))


def monthly_stocks(db, jc: str, m_lo: int, m_hi: int) -> dict[int, dict[str, int]]:
    """ELB and BG stock at every Stichtag m_lo..m_hi (one query each)."""
    cat = load()
    facts = Facts(db, cat.rules_for(stichtag(m_hi)), cat.parameters, m_lo, m_hi, jc,
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


def unemployed_profile(db, jc: str, day: dt.date) -> dict[str, int]:
    u = pop.long_term_unemployed(db, day)
    u = u.filter(u.jobcenter_id == jc)
    u = pop.with_age(db, u, day).join(db.table("persons").select("person_id", "citizenship"),
                                      "person_id")
    sb = pop.flagged(db, day, "severely_disabled").select("person_id", sb=ibis.literal(1))
    ae = pop.single_parents(db, day).filter(lambda t: t.jobcenter_id == jc) \
        .select("person_id", ae=ibis.literal(1))
    u = u.left_join(sb, "person_id").drop("person_id_right")
    u = u.left_join(ae, "person_id").drop("person_id_right")
    r = u.aggregate(
        total=u.count(), men=(u.sex == "m").sum(), women=(u.sex == "w").sum(),
        u25=(u.age < 25).sum(), lza=u.is_lza.sum(), foreign=(u.citizenship != "de").sum(),
        severely_disabled=u.sb.notnull().sum(), single_parents=u.ae.notnull().sum(),
    ).to_pyarrow().to_pylist()[0]
    return {k: int(v or 0) for k, v in r.items()}


def employment_classes(db, jc: str, day: dt.date) -> dict[str, int]:
    """Erwerbstätige ELB by earnings class at ``day`` (BA Eckwerte), plus all ELB."""
    e = pop.employment_class(db, day)
    e = e.filter(e.jobcenter_id == jc)
    rows = e.to_pyarrow().to_pylist()
    out = Counter(r["income_class"] for r in rows if r["income_class"])
    stock = count(pop.elb_stock(db, day, jc))
    return {"elb": stock, "employed": len(rows),
            "dependent": sum(1 for r in rows if r["income_class"]),
            "self_employed": sum(1 for r in rows if r["self_employed"]),
            **{k: out.get(k, 0) for k in ("le450", "le850", "le1200", "gt1200")}}


def _stock_months(db, jc: str, year: int):
    """ELB stock at the 12 Stichtage of ``year`` with the Stichtag and the birth-date limits
    of the age groups (as epoch days): person_id, m, st, age_group."""
    cat = load()
    m_lo, m_hi = year * 12, year * 12 + 11
    facts = Facts(db, cat.rules_for(stichtag(m_hi)), cat.parameters, m_lo, m_hi, jc,
                  materialize=False)
    limits = ibis.memtable({
        "m": list(range(m_lo, m_hi + 1)),
        "b25": [epoch_day(_years_before(stichtag(m), 25)) for m in range(m_lo, m_hi + 1)],
        "b55": [epoch_day(_years_before(stichtag(m), 55)) for m in range(m_lo, m_hi + 1)],
    }, schema={"m": "int64", "b25": "int64", "b55": "int64"})
    stock = facts.elb.join(facts.cal, "m").join(limits, "m")
    persons = db.table("persons")
    persons = persons.select("person_id", born=days(persons.birth_date))
    stock = stock.join(persons, "person_id")
    group = ibis.cases((stock.born > stock.b25, "15-24"), (stock.born > stock.b55, "25-54"),
                       else_="55+")
    return stock.select("person_id", "m", "st", age_group=group)


def _years_before(day: dt.date, years: int) -> dt.date:
    """The latest birth date of a person who is ``years`` old on ``day``."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def prognosis_by_age(db, jc: str, year: int) -> dict[str | None, dict[str, float]]:
    """ELB by latest Integrationsprognose (on or before the Stichtag) × age group,
    Jahresdurchschnitt of ``year`` (one query)."""
    stock = _stock_months(db, jc, year)
    p = db.table("prognoses")
    p = p.select(p_person="person_id", ad=days(p.assessed_on), prognosis=p.prognosis)
    j = stock.left_join(p, (stock.person_id == p.p_person) & (p.ad <= stock.st))
    w = ibis.window(group_by=[j.person_id, j.m], order_by=[ibis.desc(j.ad), j.prognosis])
    j = j.mutate(_n=ibis.row_number().over(w))
    j = j.filter(j._n == 0)
    rows = j.group_by("prognosis", "age_group").aggregate(n=j.count()).to_pyarrow().to_pylist()
    out = {pr: {a: 0.0 for a in AGE_GROUPS} for pr in PROGNOSES}
    for r in rows:
        out[r["prognosis"]][r["age_group"]] = r["n"] / 12
    return out


def refugees_jdw(db, jc: str, year: int) -> float:
    """Geflüchtete (flag ``refugee_context``) among the ELB, Jahresdurchschnitt (one query)."""
    stock = _stock_months(db, jc, year)
    f = db.table("person_flags")
    f = f.filter(f.flag == "refugee_context")
    f = f.select(f_person="person_id", vf=days(f.valid_from), vt=end_days(f.valid_to))
    j = stock.join(f, (stock.person_id == f.f_person) & (f.vf <= stock.st) & (f.vt >= stock.st))
    return count(j.select("person_id", "m").distinct()) / 12


def customer_groups(db, jc: str, day: dt.date) -> dict[str, dict[str, int]]:
    """Stocks of the programme's customer groups among ELB and among Arbeitslose at ``day``."""
    stock = pop.with_age(db, pop.elb_stock(db, day, jc), day)
    persons = db.table("persons").select("person_id", "education")
    stock = stock.join(persons, "person_id")
    al = pop.long_term_unemployed(db, day)
    al = al.filter(al.jobcenter_id == jc).select("person_id", "is_lza")
    lzb = pop.lzb(db, day)
    lzb = lzb.filter((lzb.jobcenter_id == jc) & lzb.is_lzb).select("person_id")
    single = pop.single_parents(db, day)
    single = single.filter(single.jobcenter_id == jc).select("person_id")

    def flag(name):
        return pop.flagged(db, day, name)

    groups = {
        "u25": stock.filter(stock.age < 25).select("person_id"),
        "lza": al.filter(al.is_lza).select("person_id"),
        "lzb": lzb,
        "severely_disabled": stock.semi_join(flag("severely_disabled"), "person_id").select("person_id"),
        "rehabilitant": stock.semi_join(flag("rehabilitant"), "person_id").select("person_id"),
        "single_parents": single,
        "returner": stock.semi_join(flag("returner"), "person_id").select("person_id"),
        "no_vocational_training": stock.filter(stock.education == "none").select("person_id"),
        "refugees": stock.semi_join(flag("refugee_context"), "person_id").select("person_id"),
    }
    tagged = ibis.union(*[g.select("person_id", group=ibis.literal(name))
                          for name, g in groups.items()], distinct=False)
    tagged = tagged.distinct()
    in_stock = tagged.semi_join(stock, "person_id")
    al_ids = al.select(al_person="person_id")
    j = in_stock.left_join(al_ids, in_stock.person_id == al_ids.al_person)
    rows = j.group_by("group").aggregate(elb=j.count(), unemployed=j.al_person.count()) \
        .to_pyarrow().to_pylist()
    out = {name: {"elb": 0, "unemployed": 0} for name in groups}
    for r in rows:
        out[r["group"]] = {"elb": int(r["elb"]), "unemployed": int(r["unemployed"])}
    return out


def underemployment(db, jc: str, day: dt.date) -> dict[str, int]:
    """Arbeitslose plus ELB in a measure of active labour-market policy (the rule version's
    activation list) who are not arbeitslos; Sonderstatus is not in the data."""
    al = pop.unemployed(db, day, jc)
    ms = covering(db.table("measure_spells"), day)
    ms = ms.filter(ms.instrument.isin(load().rules_for(day).activation_instruments))
    participants = pop.elb_stock(db, day, jc).semi_join(ms, "person_id") \
        .anti_join(al, "person_id")
    n_al, n_m = count(al), count(participants)
    return {"unemployed": n_al, "measures": n_m, "total": n_al + n_m}


def budget_plan(db, jc: str) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, float]]]:
    """Planned euros per year and title, and per year and EGL instrument."""
    b = db.table("budget_plan")
    b = b.filter(b.jobcenter_id == jc)
    rows = b.group_by("year", "title", "instrument").aggregate(a=b.amount_eur.sum()) \
        .to_pyarrow().to_pylist()
    titles: dict = {}
    instruments: dict = {}
    for r in rows:
        titles.setdefault(r["year"], Counter())[r["title"]] += r["a"]
        if r["title"] == "egl" and r["instrument"]:
            instruments.setdefault(r["year"], Counter())[r["instrument"]] += r["a"]
    return {y: dict(c) for y, c in titles.items()}, {y: dict(c) for y, c in instruments.items()}


def payments(db, jc: str, year: int) -> dict[str, float]:
    b = db.table("budget_bookings")
    b = b.filter((b.jobcenter_id == jc) & (b.kind == "payment") & (b.budget_year == year))
    rows = b.group_by("title").aggregate(a=b.amount_eur.sum()).to_pyarrow().to_pylist()
    return {r["title"]: r["a"] for r in rows}


def quality(db, year: int) -> dict[str, tuple[int, int]]:
    c = db.table("casefile_checks")
    c = c.filter(c.checked_on.year() == year)
    rows = c.group_by("area").aggregate(e=c.errors.sum(), i=c["items"].sum()).to_pyarrow().to_pylist()
    return {r["area"]: (int(r["e"]), int(r["i"])) for r in rows}


def programme_year(latest_month: int) -> int:
    """The newest programme year the data allow when ``latest_month`` (an index) is the latest
    complete month: the year after the last complete December (programme Y uses Y − 1)."""
    return latest_month // 12 + 1 if latest_month % 12 == 11 else latest_month // 12


def report_jobcenter(db, jobcenter_id: str | None = None) -> dict:
    """``{"jobcenter_id", "name"}`` of the Jobcenter asked for, or of the first one."""
    jcs = db.table("jobcenters").select("jobcenter_id", "name").order_by("jobcenter_id") \
        .to_pyarrow().to_pylist()
    jc = next((j for j in jcs if j["jobcenter_id"] == jobcenter_id), None) if jobcenter_id \
        else (jcs[0] if jcs else None)
    if jc is None:
        raise ValueError(f"unknown Jobcenter {jobcenter_id!r}" if jobcenter_id
                         else "the store holds no Jobcenter: import an extract first")
    return jc


def programme_figures(db, year: int, jobcenter_id: str | None = None) -> Programme:
    """All figures of the programme for ``year`` (reference year ``year − 1``)."""
    jc = report_jobcenter(db, jobcenter_id)
    jc_id, ref = jc["jobcenter_id"], year - 1
    day = stichtag(month_index(dt.date(ref, 12, 1)))
    before = stichtag(month_index(dt.date(ref - 1, 12, 1)))
    dec = month_index(dt.date(ref, 12, 1))
    reach = horizon(db)
    try:  # the programme stands on December of the reference year (§10.2 item 30)
        reach.check_months([dec])
    except NoFigures:
        raise NoFigures(f"Für das Programm {year} gibt es keine Kennzahlen des Bezugsjahres "
                        f"{ref}: {reach.covered_text()}") from None
    # the Jahresdurchschnitte: the years whose twelve Stichtage the ELB data reach
    elb = reach.tables["elb_spells"]
    first_year = max(ref - 10, elb.first.year + (elb.first > dt.date(elb.first.year, 1, 15))) \
        if elb.first else ref - 10
    records = compute(db, [dec - 12, dec], jobcenter_id=jc_id)
    titles, instruments = budget_plan(db, jc_id)
    return Programme(
        year=year, jobcenter_id=jc_id, jobcenter_name=jc["name"],
        data_date=db.latest_recorded_on(("elb_spells",)),
        jdw=jahresdurchschnitte(db, jc_id, min(first_year, ref), ref),
        unemployed={"now": unemployed_profile(db, jc_id, day),
                    "before": unemployed_profile(db, jc_id, before)},
        refugees_jdw=refugees_jdw(db, jc_id, ref),
        employment={"now": employment_classes(db, jc_id, day),
                    "before": employment_classes(db, jc_id, before)},
        prognosis_by_age=prognosis_by_age(db, jc_id, ref),
        indicators={(r.code, r.sex): r for r in records if r.month == format_month(dec)},
        indicators_before={(r.code, r.sex): r for r in records if r.month == format_month(dec - 12)},
        budget={y: titles.get(y, {}) for y in (year - 1, year)},
        egl_by_instrument=instruments.get(year, {}),
        payments=payments(db, jc_id, ref),
        groups=customer_groups(db, jc_id, day),
        quality=quality(db, ref),
        underemployment=underemployment(db, jc_id, day),
    )



def budget_burn(db, jc: str, year: int, last_month: int) -> dict:
    """Mittelabfluss of ``year`` up to month index ``last_month``: plan per title, and per
    calendar month the payments and the commitments net of releases (euros)."""
    plan, _ = budget_plan(db, jc)
    b = db.table("budget_bookings")
    b = b.filter((b.jobcenter_id == jc) & (b.budget_year == year)
                 & (b.booked_on <= ibis.literal(stichtag(last_month).replace(day=1), "date")
                    + ibis.interval(months=1) - ibis.interval(days=1)))
    b = b.mutate(mon=b.booked_on.month())
    rows = b.group_by("title", "kind", "mon").aggregate(a=b.amount_eur.sum()).to_pyarrow().to_pylist()
    monthly: dict = {}
    for r in rows:
        monthly.setdefault(r["title"], {}).setdefault(r["mon"], Counter())[r["kind"]] += r["a"]
    return {"plan": plan.get(year, {}), "monthly": monthly}


def data_quality(db, jc: str, day: dt.date) -> dict[str, int]:
    """Counts a team can act on at ``day``: ELB without an Integrationsprognose, ELB without a
    team (caseload), unemployed without a counselling contact in the last three months."""
    stock = pop.elb_stock(db, day, jc)
    prog = db.table("prognoses")
    prog = prog.filter(prog.assessed_on <= ibis.literal(day, "date"))
    teams = covering(db.table("caseload"), day)
    elb = stock.aggregate(
        elb=stock.count(),
        no_prognosis=(~stock.person_id.isin(prog.person_id)).sum().coalesce(0),
        no_team=(~stock.person_id.isin(teams.person_id)).sum().coalesce(0))
    al = pop.unemployed(db, day, jc)
    c = db.table("contacts")
    c = c.filter((c.contact_on <= ibis.literal(day, "date"))
                 & (c.contact_on > ibis.literal(day - dt.timedelta(days=91), "date")))
    unemployed = al.aggregate(unemployed=al.count(),
                              no_contact=(~al.person_id.isin(c.person_id)).sum().coalesce(0))
    row = elb.cross_join(unemployed).to_pyarrow().to_pylist()[0]  # one query for all five
    return {k: int(v) for k, v in row.items()}
