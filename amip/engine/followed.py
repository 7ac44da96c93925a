"""What a target follows: the Ist series of a measure for a Jobcenter, Standort or team, the
monthly counts behind the Zielpfad, the year-end expectation and the planning keys (domain
reference §11 items 32, 35, 36; §12.1 items 45–50; §10.2 item 29).

>>> f = follow(view, "03504", parse_month("2020-06"), [measure_definitions()["K2"]])
>>> f.actual(measure_definitions()["K2"], unit_id=None, sex="all")   # (JFW(6), None)

One query per Jobcenter: the engine's facts (:class:`amip.engine.facts.Facts`, counted by
:func:`amip.engine.aggregate.count_facts` per team) for Jan y−3 … m, rolled up per scope
(Jobcenter, each Standort = its teams, each team; item 49: an Integration of month t belongs to
the team at ST(t−1), a stock at ST(t) to the team at ST(t)). The quota is never re-derived: the
Jahresfortschrittswert is :func:`amip.engine.measures.measure` with ``jfw=True``.

A value that does not exist (the data do not reach, item 29/47; a month before the data start,
item 46; a benefit month not held for the Jobcenter) is None with a German reason, never 0.

Computed sources (``targets.toml`` [computed]): a ``fact`` (``luh`` for the KdU expenditure;
``integrations`` restricted to persons whose caseload row at ST(t−1) — the row item 49 picks —
has the ``role`` fm) or a casefile_checks ``area``: error rate = Σ errors / Σ items × 100 of the
checks of the month. A check belongs to the Jobcenter of the person's elb_spells row overlapping
the month of ``checked_on`` (as a benefit row, item 22) and to the person's team at ST of that
month (item 49); a check of a person without such a spell is not counted.
"""

from __future__ import annotations

import copy
import datetime as dt
import zlib
from collections import defaultdict
from contextlib import ExitStack
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import Callable, Mapping

import ibis
import ibis.expr.types as ir
import numpy as np

from amip import i18n
from amip.catalogue import load
from amip.catalogue.targets import MeasureDef, computations
from amip.engine.aggregate import count_facts, team_assignment
from amip.engine.calendar import days, format_month, month_start, stichtag
from amip.engine.drilldown import descendants
from amip.engine.facts import KEYS, MONEY_FACTS, Facts
from amip.engine.forecast import DEFAULT_SEED, fit_and_simulate, single_threaded_blas
from amip.engine.horizon import horizon
from amip.engine.kept import kept  # the counts the import kept for a data state
from amip.engine.lru import LRU, view_key
from amip.engine.measures import SEXES, measure, measure_paths, roll_up

#: months before k whose Stichtag must lie on or after the data start for the count of k to
#: exist (item 46: window B searches from ST(t−2); movements compare with ST(t−1))
START_BACK = {"integrations": 2, "sv_integrations": 2, "sv_continued": 2, "marginal_entries": 2,
              "public_entries": 2, "integrations_lzb": 2, "integrations_single_parents": 2,
              "elb_in": 1, "elb_out": 1, "lzb_in": 1, "lzb_out": 1}
#: facts that need the LZB window of days before the Stichtag (item 47)
LZB_FACTS = ("lzb", "lzb_in", "lzb_out", "lzb_active", "integrations_lzb")
ERRORS, ITEMS = "checks_errors", "checks_items"

Val = tuple  # (value or None, German reason or None)


def role_fact(fact: str, role: str | None) -> str:
    """The name of a fact restricted to a caseload role (``integrations|fm``)."""
    return fact if role is None else f"{fact}|{role}"


class _Facts(Facts):
    """The engine's facts plus facts restricted to a caseload role at ST(rel_m) (item 49's row)."""

    def table(self, fact: str) -> ir.Table:
        if "|" not in fact:
            return super().table(fact)
        base, role = fact.split("|", 1)
        rows = super().table(base).select(*KEYS, "rel_m")
        t = self.teams  # the caseload row of ST(rel_m), with its role
        t = t.filter(t.role == role)
        return rows.semi_join(t, [rows.person_id == t.person_id, rows.rel_m == t.rel_m])


def _month_text(k: int) -> str:
    return i18n.month(month_start(k))


class Followed:
    """The counts of one Jobcenter for the year of month ``m`` (Jan y−3 … m), per scope."""

    def __init__(self, db, jobcenter_id: str, m: int, counts, units: list[dict],
                 money_months: set[int], checks, start: dt.date | None,
                 first: dict[str, int], reach=None) -> None:
        cat = load()
        self.db, self.jobcenter_id, self.m = db, jobcenter_id, m
        self.year, self.month_of_year = m // 12, m % 12 + 1
        self.counts, self.units, self.money_months, self.checks = counts, units, money_months, checks
        self.start, self.first = start, first  # first: fact -> first month counted
        self.cat, self.rules = cat, cat.rules_for(stichtag(m))
        self.reach = reach or horizon(db)
        self._totals: dict = {}
        self._reasons: dict = {}
        self._paths: dict = {}
        self._by_team: dict = {}

    def at(self, k: int) -> "Followed":
        """The same counts followed for an earlier month k of the same year (shared caches)."""
        if k // 12 != self.year or k > self.m:
            raise ValueError(f"{format_month(k)} is not a month of {self.year} up to "
                             f"{format_month(self.m)}")
        other = copy.copy(self)
        other.m, other.month_of_year = k, k % 12 + 1
        return other

    # -- scopes -----------------------------------------------------------------------------

    @cached_property
    def by_id(self) -> dict[str, dict]:
        return {u["unit_id"]: u for u in self.units}

    def level(self, unit_id: str | None) -> str:
        return "jobcenter" if unit_id is None else self.by_id[unit_id]["level"]

    def scope(self, unit_id: str | None) -> set[str] | None:
        """The teams (caseload unit ids) of a unit; None: the whole Jobcenter."""
        if unit_id is None or self.by_id[unit_id]["level"] == "jobcenter":
            return None
        return descendants(self.units, unit_id)

    def totals(self, unit_id: str | None) -> dict:
        if unit_id not in self._totals:
            scope = self.scope(unit_id)
            t = roll_up(self._of(self.counts, scope), None)
            t.update(roll_up(self._of(self.checks, scope), None))
            self._totals[unit_id] = t
        return self._totals[unit_id]

    def _of(self, counts: dict, scope: set[str] | None) -> dict:
        """The counts of the teams in ``scope`` (all: None), from an index by team built once
        (a scope reads only its own teams' counts, not all of them)."""
        if scope is None:
            return counts
        index = self._by_team.get(id(counts))
        if index is None:
            index = defaultdict(dict)
            for k, v in counts.items():
                index[k[2]][k] = v
            self._by_team[id(counts)] = index
        return {k: v for u in scope for k, v in index.get(u, {}).items()}

    def getter(self, unit_id: str | None, sex: str) -> Callable[[str, int], int | Decimal]:
        totals, jc = self.totals(unit_id), self.jobcenter_id
        return lambda fact, k: totals.get((fact, jc, sex, k), 0)

    # -- existence (items 29, 46, 47) -------------------------------------------------------

    def fact_reason(self, fact: str, k: int) -> str | None:
        """Why the count of ``fact`` in month k does not exist (None: it does)."""
        key = (fact, k)
        if fact in self.first and k < self.first[fact]:
            raise ValueError(f"{fact} of month {format_month(k)} was not counted")
        if key not in self._reasons:
            self._reasons[key] = self._fact_reason(fact.split("|")[0], k)
        return self._reasons[key]

    def _fact_reason(self, fact: str, k: int) -> str | None:
        need = self.cat.needs[fact]
        months = list(range(k - need.before, k + 1))
        if need.ahead:
            months += [k + a for a in getattr(self.rules, need.ahead)]
        for mm in sorted(months, reverse=True):
            for table in need.tables:
                why = self._month_held(table, mm) if self.cat.tables[table].reach == "month" \
                    else self.reach.table_reason(table, mm)
                if why:
                    return why
        if fact in MONEY_FACTS:
            if k not in self.money_months:
                return (f"Leistungsdaten für {_month_text(k)} fehlen für das Jobcenter "
                        f"{self.jobcenter_id}")
            return None
        if self.start is None:
            return "ELB-Daten: keine Daten im Datenbestand"
        first = stichtag(k - START_BACK.get(fact, 0))
        if fact in LZB_FACTS:
            first = min(first, stichtag(k) - dt.timedelta(days=self.cat.parameters.lzb_window_days - 1))
        if first < self.start:
            return (f"Daten beginnen am {i18n.day(self.start)}: der Wert für {_month_text(k)} "
                    f"braucht Daten ab {i18n.day(first)}")
        return None

    def _month_held(self, table: str, k: int) -> str | None:
        """Item 47: a benefit month is held when the table's Datenstand is on or after its first
        day (and, checked per Jobcenter by the caller, the table has rows of it)."""
        r = self.reach.tables[table]
        if r.last is None:
            return f"{r.label}: keine Daten im Datenbestand"
        if r.last < month_start(k):
            return (f"{r.label} für {_month_text(k)} noch nicht erfasst "
                    f"(Datenstand {i18n.day(r.last)})")
        return None

    # -- the monthly series of a measure ----------------------------------------------------

    def series(self, md: MeasureDef, unit_id: str | None, sex: str,
               entered: Mapping[str, Decimal | None] | None = None) -> Callable[[int], Val]:
        """k → (V(k), reason): the measure's monthly value — the count C(k) of its numerator
        (quota, count), the stock S(k) (stock), the monthly value (level)."""
        if md.source == "entered":
            values = entered or {}

            def entered_value(k: int) -> Val:
                v = values.get(format_month(k))
                return (None, f"Wert für {_month_text(k)} nicht erfasst") if v is None \
                    else (Decimal(v), None)
            return entered_value
        get = self.getter(unit_id, sex)
        comp = computations().get(md.source)
        if comp is not None and comp.area is not None:
            def rate(k: int) -> Val:
                items = get(f"{ITEMS}:{comp.area}", k)
                if not items:
                    return None, f"keine Aktenprüfungen im {_month_text(k)}"
                return Fraction(int(get(f"{ERRORS}:{comp.area}", k)) * 100, int(items)), None
            return rate
        if md.source == "catalogue" and md.id in self.cat.indicators and md.kind == "level":
            ind = self.cat.indicators[md.id]

            def level(k: int) -> Val:
                why = self._reads_reason(ind, k)
                if why:
                    return None, why
                v = measure(ind, get, k).value
                return (None, "Nenner 0: kein Wert") if v is None else (v, None)
            return level
        fact = self.fact_of(md)

        def count(k: int) -> Val:
            why = self.fact_reason(fact, k)
            return (None, why) if why else (get(fact, k), None)
        return count

    def fact_of(self, md: MeasureDef) -> str:
        """The engine fact whose monthly count is C(t) (quota, count) or S(t) (stock)."""
        if md.source == "catalogue":
            if md.id in self.cat.indicators:
                return self.cat.indicators[md.id].numerator
            return md.fact
        comp = computations()[md.source]
        return role_fact(comp.fact, comp.role)

    def _reads_reason(self, ind, k: int, jfw: bool = False) -> str | None:
        for fact, mm in sorted(self.reach.reads(ind, k, jfw), key=lambda x: -x[1]):
            why = self.fact_reason(fact, mm)
            if why:
                return why
        return None

    # -- what is followed (item 32) ---------------------------------------------------------

    def actual(self, md: MeasureDef, unit_id: str | None, sex: str,
               entered: Mapping[str, Decimal | None] | None = None) -> Val:
        """A(m): JFW(m) (quota), Σ Jan..m (count), S(m) (stock), V(m) (level)."""
        m, first = self.m, self.m - self.m % 12
        if md.kind == "quota":
            ind = self.cat.indicators[md.id]
            why = self._reads_reason(ind, m, jfw=True)
            if why:
                return None, why
            v = measure(ind, self.getter(unit_id, sex), m, jfw=True).value
            return (None, "Nenner 0: kein Jahresfortschrittswert") if v is None else (v, None)
        s = self.series(md, unit_id, sex, entered)
        if md.kind == "count":
            total = 0
            for k in range(first, m + 1):
                v, why = s(k)
                if v is None:
                    return None, why
                total += v
            return total, None
        return s(m)

    def stock_prev_dec(self, md: MeasureDef, unit_id: str | None, sex: str,
                       entered: Mapping[str, Decimal | None] | None = None) -> Val:
        """S(Dec y−1), the base of a stock's Zielpfad (item 33)."""
        return self.series(md, unit_id, sex, entered)(self.m - self.m % 12 - 1)

    def yearly_counts(self, md: MeasureDef, unit_id: str | None, sex: str,
                      entered: Mapping[str, Decimal | None] | None = None) -> dict[int, list | None]:
        """C(Jan z..Dec z) for z = y−3..y−1 (item 33, 45, 46); a year with a missing month is
        None (not complete)."""
        if md.kind == "quota":
            fact = self.cat.indicators[md.id].numerator
            get = self.getter(unit_id, sex)

            def s(k):
                why = self.fact_reason(fact, k)
                return (None, why) if why else (get(fact, k), None)
        else:
            s = self.series(md, unit_id, sex, entered)
        out = {}
        for z in range(self.year - 3, self.year):
            vals = [s(z * 12 + i)[0] for i in range(12)]
            out[z] = None if any(v is None for v in vals) else vals
        return out

    # -- year-end expectation (item 35) -----------------------------------------------------

    def expectation(self, md: MeasureDef, unit_id: str | None, sex: str, level: float = 0.8,
                    n_paths: int = 1000, seed: int = DEFAULT_SEED) -> tuple:
        """(median, lower, upper, reason) of the Ist in December, from simulated paths of the
        facts (the engine's models, :func:`amip.engine.forecast.fit_and_simulate`): quota → JFW
        (12) through :func:`measure`; count → actual Jan..cutoff + the simulated rest; stock →
        the simulated S(Dec); level (§ 48a forms) → the value in December. None with a reason
        for entered values and error rates (no model)."""
        if md.source == "entered" or (md.source in computations()
                                      and computations()[md.source].area is not None):
            return None, None, None, "keine Prognose für eingegebene Werte und Fehlerquoten"
        dec = self.m - self.m % 12 + 11
        get = self.getter(unit_id, sex)
        ind = self.cat.indicators.get(md.id) if md.source == "catalogue" else None
        facts = [self.fact_of(md)] if ind is None or md.kind == "stock" \
            else list(dict.fromkeys([ind.numerator, ind.denominator]))
        cut, sims = {}, {}
        for f in facts:
            cut[f] = next((k for k in range(self.m, self.m - 24, -1)
                           if self.fact_reason(f, k) is None), None)
            if cut[f] is None:
                return None, None, None, self.fact_reason(f, self.m)
            sims[f] = self._simulate(unit_id, sex, f, cut[f], dec, n_paths, seed)
            if sims[f] is None:
                return None, None, None, f"zu wenige Monatswerte für eine Prognose ({f})"
        results = np.full(n_paths, np.nan)
        if md.kind == "count":
            f = facts[0]
            first = self.m - self.m % 12
            if any(self.fact_reason(f, k) for k in range(first, cut[f] + 1)):
                return None, None, None, self.fact_reason(f, first)
            known = float(sum(get(f, k) for k in range(first, cut[f] + 1)))
            results = known + sims[f].sum(axis=0) if len(sims[f]) else np.full(n_paths, known)
        elif md.kind == "stock":
            f = facts[0]
            results = sims[f][-1] if len(sims[f]) else np.full(n_paths, float(get(f, dec)))
        elif not any(f in MONEY_FACTS for f in facts):  # all paths at once, as one by one
            def paths_get(fact: str, k: int):
                return get(fact, k) if k <= cut[fact] else sims[fact][k - cut[fact] - 1]
            results = measure_paths(ind, paths_get, dec, n_paths, jfw=md.kind == "quota")
        else:
            for p in range(n_paths):
                def path_get(fact: str, k: int, p=p):
                    if k <= cut[fact]:
                        return get(fact, k)
                    return sims[fact][k - cut[fact] - 1, p]
                v = measure(ind, path_get, dec, jfw=md.kind == "quota").value
                results[p] = np.nan if v is None else v
        ok = results[~np.isnan(results)]
        if len(ok) < n_paths / 2:
            return None, None, None, "Prognose ohne Wert (Nenner 0 in den meisten Pfaden)"
        q = (1 - level) / 2
        lo, med, hi = np.quantile(ok, [q, 0.5, 1 - q])
        return float(med), float(lo), float(hi), None

    def _simulate(self, unit_id, sex, fact, cut, dec, n_paths, seed) -> np.ndarray | None:
        key = (unit_id, sex, fact, cut, n_paths, seed)
        if key not in self._paths:
            get = self.getter(unit_id, sex)
            first = cut
            while first - 1 >= self.first.get(fact, cut) and self.fact_reason(fact, first - 1) is None:
                first -= 1
            y = np.array([float(get(fact, k)) for k in range(first, cut + 1)])
            rng = np.random.default_rng([seed, zlib.crc32(f"{unit_id}|{sex}|{fact}".encode())])
            if len(y) < 3:
                self._paths[key] = None
            else:
                with single_threaded_blas():
                    self._paths[key] = fit_and_simulate(y, dec - cut, n_paths, rng)[1]
        return self._paths[key]


SHORT_MONTHS = 26  # months of history for stocks and levels: their December base, two seasons


def follow(db, jobcenter_id: str, m: int, measures: list[MeasureDef], reach=None) -> Followed:
    """The counts a set of measures needs for month ``m`` of one Jobcenter, all scopes at once
    (one facts query by team for the counts C(t) of Jan y−3 … m, one for the stocks and levels
    of the last SHORT_MONTHS months, one for casefile checks if an error rate is followed).
    ``reach``: the view's :func:`amip.engine.horizon.horizon` if the caller holds it."""
    cat = load()
    y = m // 12
    long_lo = (y - 3) * 12 - 2  # the seasonal share reads Jan y−3.., window B looks back to ST(t−2)
    short_lo = m - SHORT_MONTHS
    long, short, areas = [], [], []
    for md in measures:
        comp = computations().get(md.source)
        if md.source == "entered":
            continue
        if comp is not None and comp.area is not None:
            areas.append(comp.area)
        elif md.source == "catalogue" and md.id in cat.indicators:
            ind = cat.indicators[md.id]
            if md.kind == "quota":
                long.append(ind.numerator)
                short.append(ind.denominator)
            else:
                short += [ind.numerator, ind.denominator]
        elif md.source == "catalogue":
            long.append(md.fact)
        else:
            long.append(role_fact(comp.fact, comp.role))
    long = list(dict.fromkeys(long))
    if long and "elb" in short:  # the windows of the long range count the ELB stock anyway
        long.append("elb")
    short = [x for x in dict.fromkeys(short) if x not in long]
    units = _units(db, jobcenter_id)
    start = _data_start(db)
    counts, money_months, checks, first = {}, set(), {}, {}
    rules = cat.rules_for(stichtag(m))
    with ExitStack() as open_facts:
        wider = None  # the long range holds the short one: its spells and ELB stock are lent
        for names, lo in ((long, long_lo), (short, short_lo)):
            if not names:
                continue
            f = open_facts.enter_context(_Facts(db, rules, cat.parameters, lo, m, jobcenter_id,
                                                within=wider))
            wider = wider or f
            counted = count_facts(f, names, by_team=True)
            counts.update(counted)
            # the months held: those with benefit rows of the Jobcenter (each has a sum)
            money_months |= {k[4] for k in counted if k[0] in MONEY_FACTS}
            first.update({x: lo + 2 for x in names})
    if areas:
        checks = _casefile_checks(db, rules, cat.parameters, jobcenter_id, m, m,
                                  sorted(set(areas)))  # a level of month m: no history
    return Followed(db, jobcenter_id, m, counts, units, money_months, checks, start, first,
                    reach)


_CACHE = LRU(16)


def follow_cached(db, jobcenter_id: str, m: int, measures: list[MeasureDef],
                  reach=None) -> Followed:
    """:func:`follow` once per data state, as-of date, Jobcenter, year and measures (the last
    16 kept): the dashboard, the API and the reports ask for the same months again and again.
    The counts of a later month of the year hold those of every earlier one, so an earlier
    month is read from them (:meth:`Followed.at`); a new import changes the data state. A view
    without a data state is not cached. Before counting, the counts the import kept for exactly
    this data state, month and measures are looked up (:mod:`amip.engine.kept`)."""
    key = view_key(db, jobcenter_id, m // 12, tuple(sorted(set(measures), key=lambda md: md.id)))
    if key is None:
        return follow(db, jobcenter_id, m, measures, reach)
    hit = _CACHE.get(key)
    if hit is not None and hit.m >= m:
        return hit if hit.m == m else hit.at(m)
    result = kept(db, jobcenter_id, m, measures, reach) or follow(db, jobcenter_id, m, measures,
                                                                  reach)
    _CACHE.put(key, result, replace=lambda old: old.m < m)
    return result


def _units(db, jobcenter_id: str) -> list[dict]:
    u = db.table("units")
    u = u.filter(u.jobcenter_id == jobcenter_id)
    return u.select("unit_id", "jobcenter_id", "parent_unit_id", "name", "level") \
        .to_pyarrow().to_pylist()


def _data_start(db) -> dt.date | None:
    """Data start of item 46: the earliest valid_from in elb_spells."""
    s = db.table("elb_spells")
    v = s.valid_from.min().to_pyarrow().as_py()
    return v.date() if isinstance(v, dt.datetime) else v


def _casefile_checks(db, rules, params, jobcenter_id: str, m_lo: int, m_hi: int,
                     areas: list[str]) -> dict:
    """Σ errors and Σ items of the checks per team, sex and month (keys as count_facts:
    (``checks_errors:<area>``, jobcenter_id, unit_id, sex, m))."""
    with Facts(db, rules, params, m_lo, m_hi, jobcenter_id, materialize=False) as f:
        c = db.table("casefile_checks")
        c = c.filter(c.area.isin(areas))
        c = c.mutate(m=c.checked_on.year().cast("int64") * 12 + c.checked_on.month().cast("int64") - 1)
        c = c.filter((c.m >= m_lo) & (c.m <= m_hi))
        c = c.join(f.cal, "m").select("person_id", "m", "area", "errors", "items", "first_day",
                                      "last_day")
        j = f.month_jobcenter(c)
        j = j.filter(j.jobcenter_id == jobcenter_id).select("person_id", "m", "area", "errors",
                                                             "items")
        persons = db.table("persons").select("person_id", "sex")
        teams = team_assignment(db, m_lo, m_hi)
        j = j.join(persons, "person_id")
        j = j.left_join(teams, [j.person_id == teams.person_id, j.m == teams.rel_m])
        g = j.group_by([j.area, j.unit_id, j.sex, j.m]).aggregate(e=j.errors.sum(),
                                                                  i=j["items"].sum())
        out: dict = defaultdict(int)
        for r in g.to_pyarrow().to_pylist():
            out[(f"{ERRORS}:{r['area']}", jobcenter_id, r["unit_id"], r["sex"], r["m"])] += int(r["e"])
            out[(f"{ITEMS}:{r['area']}", jobcenter_id, r["unit_id"], r["sex"], r["m"])] += int(r["i"])
    return out


# -- planning keys (items 36, 50) ---------------------------------------------------------------

PLAN_KEYS = ("elb", "marktnah", "equal")


def key_sums(db, jobcenter_id: str, year: int, key: str = "elb") -> tuple[dict[str, int], int]:
    """Per team of the Jobcenter: the key summed over its Stichtage, and their number (the key
    value is the sum / number). ``elb``: persons of the Jobcenter's ELB stock (status elb) whose
    team at ST is the team, over ST(Dec y−2)..ST(Nov y−1) (item 50); ``marktnah``: of those, the
    persons whose latest prognosis assessed on or before the Stichtag is ``marktnah``;
    ``equal``: 1 per team."""
    if key not in PLAN_KEYS:
        raise ValueError(f"unknown key {key!r} (one of {', '.join(PLAN_KEYS)})")
    teams = sorted(u["unit_id"] for u in _units(db, jobcenter_id) if u["level"] == "team")
    if key == "equal":
        return {t: 1 for t in teams}, 1
    cat = load()
    lo, hi = (year - 2) * 12 + 11, (year - 1) * 12 + 10
    with Facts(db, cat.rules_for(stichtag(hi)), cat.parameters, lo, hi, jobcenter_id,
               materialize=False) as f:
        stock = f.elb
        t = team_assignment(db, lo, hi)
        j = stock.join(t, [stock.person_id == t.person_id, stock.m == t.rel_m])
        j = j.select(stock.person_id, stock.m, t.unit_id)
        if key == "marktnah":
            j = j.join(f.cal.select("m", "st"), "m")
            p = db.table("prognoses")
            p = p.select(p_person="person_id", ad=days(p.assessed_on), prognosis=p.prognosis)
            j = j.join(p, (j.person_id == p.p_person) & (p.ad <= j.st))
            w = ibis.window(group_by=[j.person_id, j.m], order_by=[ibis.desc(j.ad), j.prognosis])
            j = j.mutate(_n=ibis.row_number().over(w))
            j = j.filter((j._n == 0) & (j.prognosis == "marktnah"))
        rows = j.group_by("unit_id").aggregate(n=j.count()).to_pyarrow().to_pylist()
    found = {r["unit_id"]: int(r["n"]) for r in rows}
    return {u: found.get(u, 0) for u in teams}, hi - lo + 1


def planning_keys(db, jobcenter_id: str, year: int, key: str = "elb") -> dict[str, Decimal]:
    """team → key value for the planning round of ``year`` (item 50): the mean over the
    Stichtage (``equal``: 1)."""
    sums, n = key_sums(db, jobcenter_id, year, key)
    return {u: Decimal(s) / n for u, s in sums.items()}


__all__ = ["follow", "Followed", "planning_keys", "key_sums", "PLAN_KEYS", "SEXES"]
