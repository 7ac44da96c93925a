"""The customer-group monitor: the groups of ``amip/catalogue/groups.toml`` per month, Standort
and team — stock, Zugänge, Abgänge, Integrationen and integration rate, LZB share and activation
(backend-neutral Ibis; one query for all groups, measures, months and teams).

Readings (domain reference §10): a group is a subset of the Jobcenter's ELB stock at ST(m)
(item 2); Zugang/Abgang are stock comparisons of the group at ST(m) and ST(m−1) (items 9, 17);
Integrationen are the K2 Integrationen (item 4) of persons in the group at ST(m−1) (as K2E4,
item 18); the integration rate is K2-style: Integrationen of m−11..m ÷ mean group stock at
ST(m−12)..ST(m−1) × 100 (item 5); the LZB share is LZB among the group at ST(m) (item 8); the
activation rate K3E2-style: group members at ST(m) in a measure of the rule version's activation
list covering ST(m) (items 10, 24). A person's team is the caseload's at the Stichtag the figure
is taken from (stock, Zugang: ST(m); Abgang, Integration: ST(m−1)).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Callable

import ibis
import ibis.expr.types as ir

from amip.catalogue import load
from amip.catalogue.monitors import GroupDef, customer_groups
from amip.engine.aggregate import team_assignment
from amip.engine.calendar import days, end_days, epoch_day, format_month, stichtag
from amip.engine.drilldown import descendants, unassigned_scope, unassigned_unit
from amip.engine.facts import Facts
from amip.engine.groups import _years_before
from amip.engine.indicators import UnknownUnit
from amip.engine.lru import LRU, view_key
from amip.engine.stocks import at_stichtage

TREND_MONTHS = 12
MEASURES = ("stock", "inflows", "outflows", "integrations", "lzb", "active")
NO_STOCK = "kein Bestand der Gruppe am Stichtag"
NO_MEAN = "kein Bestand der Gruppe in den zwölf Vormonaten"
_CACHE = LRU(8)


class _Base:
    """What several group kinds read, computed once: the ELB stock with birth-date limit and
    education, and the person flags at each Stichtag."""

    def __init__(self, facts: Facts, groups: dict[str, GroupDef]) -> None:
        db, self.facts = facts.db, facts
        elb = facts.elb.select("person_id", "jobcenter_id", "m")
        persons = db.table("persons")
        persons = persons.select(p_person="person_id", born=days(persons.birth_date),
                                 education=persons.education)
        j = elb.join(persons, elb.person_id == persons.p_person)
        # read by three kinds: joined to persons (and its correction) once
        self.elb = facts._materialize(j.select("person_id", "jobcenter_id", "m", "born",
                                               "education"))
        flags = sorted({f for g in groups.values() if g.kind == "flags" for f in g.params["flags"]})
        # flag is a key column: select the flags before the correction (exact, and fast)
        f = db.table("person_flags", key_filter=lambda t: t.flag.isin(flags or [""]))
        f = f.select(f_person="person_id", flag="flag", vf=days(f.valid_from),
                     vt=end_days(f.valid_to))
        self.flags = at_stichtage(f, facts.cal).select("f_person", "flag", fm="m")


def _tagged(pairs: list[tuple[str, object]], name: str, dtype: str) -> ir.Table:
    """A small table ``group, <name>`` of (group id, parameter) pairs."""
    return ibis.memtable({"t_group": [g for g, _ in pairs], name: [v for _, v in pairs]},
                         schema={"t_group": "string", name: dtype})


def _members(base: _Base, groups: dict[str, GroupDef]) -> ir.Table:
    """group, person_id, jobcenter_id, m of every group's members in the ELB stock at ST(m):
    one query per ``kind`` for all groups of that kind (a parameter table joined once)."""
    facts, elb = base.facts, base.elb
    keys = ("person_id", "jobcenter_id", "m")
    by_kind: dict[str, list[GroupDef]] = defaultdict(list)
    for g in groups.values():
        by_kind[g.kind].append(g)
    parts = []

    def tag(t: ir.Table, group) -> None:
        parts.append(t.select(group=group, person_id=t.person_id, jobcenter_id=t.jobcenter_id,
                              m=t.m))

    for kind, gs in by_kind.items():
        if kind == "lzb":
            for g in gs:
                tag(facts.lzb, ibis.literal(g.id))
        elif kind == "single_parent":
            for g in gs:
                tag(facts.single_parents, ibis.literal(g.id))
        elif kind == "age_below":
            ms = range(facts.m_lo, facts.m_hi + 1)
            rows = [(g.id, m, epoch_day(_years_before(stichtag(m), g.params["years"])))
                    for g in gs for m in ms]
            limits = ibis.memtable({"t_group": [r[0] for r in rows], "lm": [r[1] for r in rows],
                                    "lim": [r[2] for r in rows]},
                                   schema={"t_group": "string", "lm": "int64", "lim": "int64"})
            j = elb.join(limits, (elb.m == limits.lm) & (elb.born > limits.lim))
            tag(j, j.t_group)
        elif kind == "education":
            v = _tagged([(g.id, x) for g in gs for x in g.params["values"]], "value", "string")
            j = elb.join(v, elb.education == v.value)
            tag(j, j.t_group)
        elif kind == "flags":
            v = _tagged([(g.id, x) for g in gs for x in g.params["flags"]], "t_flag", "string")
            f = base.flags.join(v, base.flags.flag == v.t_flag)
            f = f.select("t_group", "f_person", "fm").distinct()
            j = elb.join(f, [elb.person_id == f.f_person, elb.m == f.fm])
            tag(j, j.t_group)
        elif kind == "lza":
            u = facts.db.table("unemployment_spells")
            u = u.select(u_person="person_id", vf=days(u.valid_from), vt=end_days(u.valid_to))
            u = at_stichtage(u, facts.cal)
            u = u.group_by("u_person", "m", "st").aggregate(since=u.vf.min())
            d = _tagged([(g.id, g.params["days"]) for g in gs], "t_days", "int64")
            u = u.join(d, u.st - u.since >= d.t_days).select("t_group", "u_person", um="m")
            j = elb.join(u, [elb.person_id == u.u_person, elb.m == u.um])
            tag(j, j.t_group)
        else:
            raise ValueError(f"unknown group kind {kind!r}")
    return ibis.union(*parts, distinct=True)


def _rows(facts: Facts, groups: dict[str, GroupDef]) -> ir.Table:
    """measure, group, m, unit_id for every measure of every group: the members of all groups,
    each with the team at ST(m), are computed once (one cached table), the measures over it.
    Every measure's team is that of a member row: stock, Zugang, LZB and activation of month m
    the row of m; Abgang and Integration (rel_m = m−1 in both search windows) the row of m−1."""
    base = _Base(facts, groups)
    mem = _members(base, groups)
    teams = team_assignment(facts.db, facts.m_lo, facts.m_hi)
    mem = mem.left_join(teams, [mem.person_id == teams.person_id, mem.m == teams.rel_m])
    mem = facts._materialize(mem.select("group", "person_id", "jobcenter_id", "m",
                                        unit_id=mem.unit_id))
    lzb = facts.lzb.select("person_id", "jobcenter_id", "m")
    ms = facts.db.table("measure_spells")
    ms = ms.filter(ms.instrument.isin(facts.rules.activation_instruments))
    ms = ms.select("person_id", vf=days(ms.valid_from), vt=end_days(ms.valid_to))
    active = at_stichtage(ms, facts.cal)
    active = active.select(a_person="person_id", am="m").distinct()
    integ = facts.integrations.select("person_id", "jobcenter_id", "m")

    def out(t: ir.Table, measure: str) -> ir.Table:
        return t.select(measure=ibis.literal(measure), group=t.group, m=t.m, unit_id=t.unit_id)

    prev = mem.view()
    prev = prev.select(p_group="group", p_person="person_id", p_jc="jobcenter_id",
                       pm=prev.m + 1, p_unit="unit_id")
    cur = mem.filter(mem.m > facts.m_lo)
    arr = cur.anti_join(prev, [cur.group == prev.p_group, cur.person_id == prev.p_person,
                               cur.jobcenter_id == prev.p_jc, cur.m == prev.pm])
    before = mem.filter(mem.m < facts.m_hi)
    before = before.select("group", "person_id", "jobcenter_id", "unit_id", m=before.m + 1)
    now = mem.view().select(n_group="group", n_person="person_id", n_jc="jobcenter_id", nm="m")
    dep = before.anti_join(now, [before.group == now.n_group, before.person_id == now.n_person,
                                 before.jobcenter_id == now.n_jc, before.m == now.nm])
    i = integ.join(prev, [integ.person_id == prev.p_person, integ.jobcenter_id == prev.p_jc,
                          integ.m == prev.pm])
    i = i.select(group=i.p_group, m=i.m, unit_id=i.p_unit)
    z = mem.semi_join(lzb, ["person_id", "jobcenter_id", "m"])
    a = mem.semi_join(active, [mem.person_id == active.a_person, mem.m == active.am])
    return ibis.union(out(mem, "stock"), out(arr, "inflows"), out(dep, "outflows"),
                      out(i, "integrations"), out(z, "lzb"), out(a, "active"), distinct=False)


def _counts(db, jobcenter_id: str, first: int, month: int,
            groups: dict[str, GroupDef]) -> dict:
    """(measure, group, unit_id, m) → persons for the months first−1..month (stock from
    first−1, every measure from ``first``), under the rule version of ``month``; kept per data
    state (:data:`_CACHE`): the page, the API, the reports and the targets ask again."""
    key = view_key(db, "group_counts", jobcenter_id, first, month, tuple(groups))
    hit = _CACHE.get(key) if key is not None else None
    if hit is not None:
        return hit
    cat = load()
    # Zugänge of ``first`` compare with ST(first−1); its Integrationen search window B from
    # ST(first−2) (item 4)
    m_lo = first - 2
    out: dict = defaultdict(int)
    with Facts(db, cat.rules_for(stichtag(month)), cat.parameters, m_lo, month,
               jobcenter_id) as facts:
        j = _rows(facts, groups)
        t = j.group_by("measure", "group", "unit_id", "m").aggregate(n=j.count()).to_pyarrow()
        for *k, n in zip(*(t[c].to_pylist() for c in ("measure", "group", "unit_id", "m",
                                                       "n"))):
            out[tuple(k)] += int(n)
    out = dict(out)
    if key is not None:
        _CACHE.put(key, out)
    return out


def _scoped(counts: dict, scope) -> Callable[[str], Callable[[str, int], int]]:
    """group id → get(measure, m) summed over the teams in ``scope`` (None: all)."""
    sums: dict = defaultdict(int)
    for (me, g, u, mm), v in counts.items():
        if scope is None or u in scope:
            sums[(me, g, mm)] += v
    return lambda gid: (lambda measure, m: sums.get((measure, gid, m), 0))


def _figures(get, month: int, with_rate: bool) -> dict:
    """The figures of one scope, group and month from ``get(measure, m)``."""
    stock = get("stock", month)
    f = {"stock": stock, "inflows": get("inflows", month), "outflows": get("outflows", month),
         "integrations": get("integrations", month),
         "lzb_share": _pct(get("lzb", month), stock),
         "activation_rate": _pct(get("active", month), stock)}
    reasons = {}
    if stock == 0:
        reasons["lzb_share"] = reasons["activation_rate"] = NO_STOCK
    if with_rate:
        n = sum(get("integrations", m) for m in range(month - 11, month + 1))
        mean = sum(get("stock", m) for m in range(month - 12, month)) / 12
        f["integrations_12m"] = n
        f["mean_stock_12m"] = mean
        f["integration_rate"] = n / mean * 100 if mean else None
        if not mean:
            reasons["integration_rate"] = NO_MEAN
    f["reasons"] = reasons
    return f


def _pct(n: int, d: int) -> float | None:
    return n / d * 100 if d else None


def group_monitor(db, month: int, jobcenter_id: str | None = None,
                  unit_id: str | None = None) -> dict:
    """The customer-group monitor for Berichtsmonat ``month`` (month index): for the Jobcenter
    (or the unit ``unit_id``) and each unit one level below it (Standorte, or the teams of a
    Standort, and "ohne Zuordnung"), per group the figures of :func:`_figures`, and the trend
    of the selected scope over the twelve months ending with ``month``. English keys; the
    German names travel along (``name``)."""
    units = db.table("units").select("unit_id", "jobcenter_id", "parent_unit_id", "name",
                                     "level").to_pyarrow().to_pylist()
    jcs = db.table("jobcenters").jobcenter_id.to_pyarrow().to_pylist()
    by_id = {u["unit_id"]: u for u in units}
    if unit_id is not None:
        if unit_id not in by_id:
            raise UnknownUnit(f"Unbekannte Einheit {unit_id!r} (siehe Tabelle units)")
        if jobcenter_id not in (None, by_id[unit_id]["jobcenter_id"]):
            raise UnknownUnit(f"Einheit {unit_id!r} gehört nicht zum Jobcenter {jobcenter_id}")
        jobcenter_id = by_id[unit_id]["jobcenter_id"]
    if jobcenter_id is None:
        if len(jcs) != 1:
            raise UnknownUnit("Mehrere Jobcenter im Datenbestand: bitte ein Jobcenter oder eine "
                              "Einheit angeben")
        jobcenter_id = jcs[0]
    if jobcenter_id not in jcs:
        raise UnknownUnit(f"Unbekanntes Jobcenter {jobcenter_id!r}")
    groups = customer_groups()
    counts = _counts(db, jobcenter_id, month - TREND_MONTHS + 1, month, groups)
    own = [u for u in units if u["jobcenter_id"] == jobcenter_id]
    top = by_id.get(unit_id) if unit_id else next(
        (u for u in own if u["level"] == "jobcenter"), None)

    if top is None:  # no org tree: the whole Jobcenter only
        top_scope, children = None, []
    else:
        top_scope = None if top["level"] == "jobcenter" else descendants(own, top["unit_id"])
        kids = sorted((u for u in own if u["parent_unit_id"] == top["unit_id"]),
                      key=lambda u: (u["name"] or "", u["unit_id"]))
        children = [(u, descendants(own, u["unit_id"])) for u in kids]
        if kids:
            children.append((unassigned_unit(top), unassigned_scope(own, top)))

    def block(scope) -> dict:
        get_for = _scoped(counts, scope)
        return {gid: _figures(get_for(gid), month, True) for gid in groups}

    trend_get = _scoped(counts, top_scope)
    trend = {gid: [dict(month=format_month(m), **{k: v for k, v in
                                                   _figures(trend_get(gid), m, False).items()})
                   for m in range(month - TREND_MONTHS + 1, month + 1)] for gid in groups}
    return {
        "month": format_month(month), "jobcenter_id": jobcenter_id,
        "unit_id": unit_id, "unit_name": top["name"] if top else None,
        "groups": [{"id": g.id, "name": g.name, "short": g.short, "kind": g.kind,
                    "definition": g.definition, "source": g.source, "note": g.note}
                   for g in groups.values()],
        "figures": block(top_scope),
        "units": [{"unit_id": u["unit_id"], "name": u["name"], "level": u["level"],
                   "figures": block(scope)} for u, scope in children],
        "trend": trend,
    }


def group_members(db, m_lo: int, m_hi: int, jobcenter_id: str | None = None
                  ) -> dict[tuple[str, int], frozenset[str]]:
    """(person_id, m) → the declared groups (``groups.toml``) the person belongs to at ST(m),
    for m_lo..m_hi: the monitor's membership, for figures split by group elsewhere (the
    outcomes per instrument, :func:`amip.engine.budget.outcomes`)."""
    cat = load()
    groups = customer_groups()
    out: dict = defaultdict(set)
    with Facts(db, cat.rules_for(stichtag(m_hi)), cat.parameters, m_lo, m_hi,
               jobcenter_id) as facts:
        mem = _members(_Base(facts, groups), groups).select("group", "person_id", "m")
        for r in mem.to_pyarrow().to_pylist():
            out[(r["person_id"], int(r["m"]))].add(r["group"])
    return {k: frozenset(v) for k, v in out.items()}


#: months before m whose Stichtag the figure of month m reads (item 46: none before the data
#: start); the LZB share reads the 730-day window (item 47)
READS_BACK = {"stock": 0, "activation_rate": 0, "inflows": 1, "outflows": 1, "integrations": 2,
              "integration_rate": 13}


def _data_start(db) -> dt.date | None:
    """The earliest valid_from in elb_spells (the data start of item 46)."""
    v = db.table("elb_spells").valid_from.min().to_pyarrow().as_py()
    if isinstance(v, str):
        return dt.date.fromisoformat(v)
    return v.date() if isinstance(v, dt.datetime) else v


def _exists(figure: str, m: int, start: dt.date | None) -> bool:
    if start is None:
        return False
    if figure == "lzb_share":
        days_back = load().parameters.lzb_window_days - 1
        return stichtag(m) - dt.timedelta(days=days_back) >= start
    return stichtag(m - READS_BACK[figure]) >= start


#: the figures a target can follow (catalogue.targets: ``<figure>@<group>``)
SERIES_FIGURES = ("stock", "inflows", "outflows", "integrations", "integration_rate",
                  "lzb_share", "activation_rate")


def group_series(db, jobcenter_id: str, first: int, month: int,
                 wanted: list[tuple[str, str]]) -> dict[tuple[str, str], dict[tuple, float | None]]:
    """(group, figure) → {(unit_id, "YYYY-MM"): value} for the months first..month, for the
    Jobcenter (unit_id None) and each of its units (a Standort: its teams; "ohne Zuordnung" is
    not a unit here): the figures of :func:`group_monitor`, from the same counts (one query,
    kept per data state). None where a rate has no denominator or the figure reads a Stichtag
    before the data start (:data:`READS_BACK`)."""
    groups = customer_groups()
    unknown = sorted({g for g, _ in wanted if g not in groups}
                     | {f for _, f in wanted if f not in SERIES_FIGURES})
    if unknown:
        raise ValueError(f"unknown groups or figures {unknown}")
    counts = _counts(db, jobcenter_id, first - 11, month, groups)
    units = db.table("units").select("unit_id", "jobcenter_id", "parent_unit_id", "level") \
        .to_pyarrow().to_pylist()
    own = [u for u in units if u["jobcenter_id"] == jobcenter_id]
    scopes = [(None, None)] + [(u["unit_id"], descendants(own, u["unit_id"])) for u in own
                               if u["level"] != "jobcenter"]
    start = _data_start(db)
    out: dict = {w: {} for w in wanted}
    rate = any(f == "integration_rate" for _, f in wanted)
    for uid, scope in scopes:
        get_for = _scoped(counts, scope)
        for gid in dict.fromkeys(g for g, _ in wanted):
            get = get_for(gid)
            for m in range(first, month + 1):
                f = _figures(get, m, rate)
                for g, fig in wanted:
                    if g == gid:
                        out[(g, fig)][(uid, format_month(m))] = \
                            f[fig] if _exists(fig, m, start) else None
    return out
