"""Customer groups and profiles of the ELB stock: the Kundengruppen of the programme and the
dashboard, the unemployed's profile, earnings classes, Integrationsprognose by age group,
Geflüchtete and Unterbeschäftigung. Backend-neutral Ibis expressions; numbers only."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import ibis

from amip.catalogue import load
from amip.engine import population as pop
from amip.engine.calendar import days, end_days, epoch_day, stichtag
from amip.engine.facts import Facts
from amip.engine.stocks import count, covering

AGE_GROUPS = ("15-24", "25-54", "55+")
PROGNOSES = ("marktnah", "nicht_marktnah", "integriert", "nicht_erforderlich", None)


def customer_groups(db, jc: str, day: dt.date) -> dict[str, dict[str, int]]:
    """Stocks of the programme's customer groups among ELB and among Arbeitslose at ``day``
    (the programme's texts; the groups' figures come from :mod:`amip.engine.group_monitor`)."""
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
