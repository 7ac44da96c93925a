"""Zielnachhaltung for a month and the planning round's status (domain reference §11 items
32–36, §12.1 items 44–51; issue 12 item 7): the one place every shell gets them from.

>>> target_status(view, steering.targets(year=2020), "2020-06")      # list[StatusRecord]
>>> plan_status(view, steering.plans(2021, "integrations"), target, 2021, "integrations")

**Units.** Every target of the Jobcenter (unit empty) is followed for the Jobcenter, each
Standort and each team. A unit without its own target (same measure, year and sex):
- quota, stock and level measures inherit the Jobcenter's target value (a rate or a change in %
  applies to every part of the Jobcenter alike);
- count measures take the unit's agreed plan: a team's plan value plus its accepted share of the
  planning gap (``PlanRow.value + accepted``, item 36), a Standort the sum of its teams' plans; a
  unit without a plan (and any sex other than ``all``: plans are for all persons) has no target
  (grey light, Ist still shown) — a count target of the Jobcenter is no target of each team.
A unit's own target wins over both. ``target_origin`` of a record says which applied.

**Targets in Abstimmung** without a value (item 44): target, path, gap, gap % null, light grey,
the Ist shown. **Entered measures** take their monthly values from ``measure_values``
(measure → {(jobcenter_id, unit_id, "YYYY-MM"): value}, as the steering store hands them out);
entered values exist for all persons only. **Group measures** (``<figure>@<group>``, source
``group``) are followed like entered values whose monthly values come from the group monitor
(:func:`group_values`), for every unit; no year-end expectation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import Iterable, Mapping

from amip.attainment import PlanLike, TargetLike
from amip.attainment.arithmetic import gap, gap_percent, light, seasonal_share, zielpfad
from amip.attainment.planning import split_amount
from amip.attainment.records import PlanRecord, StatusRecord, as_float
from amip.catalogue.targets import MeasureDef, light_thresholds, measure_definitions
from amip.engine.calendar import format_month, parse_month
from amip.engine.drilldown import descendants
from amip.engine.followed import Followed, _units, follow_cached, key_sums
from amip.engine.indicators import UnknownUnit
from amip.errors import DataError, NotFound

NO_VALUE = "Zielwert derzeit in Abstimmung"
#: sources whose monthly values are handed in (``measure_values``) rather than counted
HANDED_IN = ("entered", "group")


def target_status(db, targets: Iterable[TargetLike], month: str | int,
                  unit_id: str | None = None,
                  measure_values: Mapping[str, Mapping[tuple, Decimal]] | None = None,
                  plans: Iterable[PlanLike] | None = None, with_expectation: bool = True,
                  measures: Mapping[str, MeasureDef] | None = None,
                  expectation_units: str = "asked", reach=None) -> list[StatusRecord]:
    """Ist, Zielpfad, gap, gap %, light and year-end expectation of every target of the month's
    year (item 59) for the Jobcenter, each Standort and each team; ``unit_id`` keeps that unit
    and the units below it (a unit of level ``jobcenter``: all of its Jobcenter). ``measures``
    adds user-defined measures (the steering store's ``measures()``).

    The expectation fits a model per fact series and scope (about 0.1 s each): with
    ``expectation_units="asked"`` (default) only the Jobcenter's records and those of
    ``unit_id`` itself get one (the others: null with a reason), with ``"all"`` every record.
    ``reach``: the view's data horizon if the caller holds it (the web caches it)."""
    m = month if isinstance(month, int) else _parse(month)
    return target_status_months(db, targets, [m], unit_id, measure_values, plans,
                                with_expectation, measures, expectation_units, reach)


def target_status_months(db, targets: Iterable[TargetLike], months: list[str | int],
                         unit_id: str | None = None,
                         measure_values: Mapping[str, Mapping[tuple, Decimal]] | None = None,
                         plans: Iterable[PlanLike] | None = None, with_expectation: bool = True,
                         measures: Mapping[str, MeasureDef] | None = None,
                         expectation_units: str = "asked", reach=None) -> list[StatusRecord]:
    """:func:`target_status` for several months (e.g. the lights of every month of a year),
    month by month in order: the facts are counted once per Jobcenter and year, up to the
    year's latest month asked."""
    ms = sorted({k if isinstance(k, int) else _parse(k) for k in months})
    defs = dict(measure_definitions())
    defs.update(measures or {})
    targets = [t for t in targets if not getattr(t, "withdrawn", False)]
    for t in targets:
        if t.measure not in defs:
            raise NotFound(f"Ziel auf unbekannte Messgröße {t.measure!r} (Jobcenter "
                           f"{t.jobcenter_id}, {t.year})")
    plans = list(plans or [])
    measure_values = {**group_values(db, targets, defs, ms), **(measure_values or {})}
    keep_jc, keep_units = _unit_filter(db, unit_id)
    followed: dict[tuple[str, int], Followed] = {}
    records: list[StatusRecord] = []
    for m in ms:
        year = m // 12
        by_jc: dict[str, list] = defaultdict(list)
        for t in targets:
            if int(t.year) == year and (keep_jc is None or t.jobcenter_id == keep_jc):
                by_jc[t.jobcenter_id].append(t)
        for jc, ts in by_jc.items():
            if (jc, year) not in followed:
                mds = followed_measures(targets, defs, jc, year)
                last = max(k for k in ms if k // 12 == year)
                followed[(jc, year)] = follow_cached(db, jc, last, mds, reach)
            f = followed[(jc, year)].at(m)
            records += _records(f, ts, defs, unit_id, keep_units, measure_values,
                                [p for p in plans if int(p.year) == year],
                                with_expectation, expectation_units)
    return records


def _records(f: Followed, ts: list, defs: dict, unit_id, keep_units, measure_values, plans,
             with_expectation: bool, expectation_units: str) -> list[StatusRecord]:
    """The records of one Jobcenter and month (module docstring: which units, which target)."""
    jc = f.jobcenter_id
    for t in ts:
        if t.unit_id is not None and t.unit_id not in f.by_id:
            raise NotFound(f"Ziel für unbekannte Einheit {t.unit_id!r} (Jobcenter {jc}, "
                           f"Messgröße {t.measure})")
    order = _tree_order(f.units)
    own = {(t.unit_id, t.measure, t.sex): t for t in ts}
    keys = list(dict.fromkeys((t.measure, t.sex) for t in ts))
    team_plans = _team_plans(plans, jc)
    records = []
    for measure, sex in keys:
        md = defs[measure]
        base = own.get((None, measure, sex))
        scopes = [None] + order if base is not None else \
            [u for u in [None] + order if (u, measure, sex) in own]
        for u in scopes:
            if keep_units is not None and u not in keep_units:
                continue
            target, origin = _target_for(f, own, base, md, u, measure, sex, team_plans)
            entered = _entered(measure_values, measure, jc, u) if md.source in HANDED_IN \
                else None
            expect = with_expectation and (expectation_units == "all" or u is None
                                           or u == unit_id)
            records.append(_record(f, md, u, sex, target, origin, entered, expect,
                                   with_expectation))
    return records


def followed_measures(targets: list, defs: Mapping[str, MeasureDef], jc: str,
                      year: int) -> list[MeasureDef]:
    """The measures followed for the targets of Jobcenter ``jc`` in ``year`` (the key of the
    counts, :func:`amip.engine.followed.follow_cached`)."""
    return list({t.measure: followed_def(defs[t.measure]) for t in targets
                 if t.jobcenter_id == jc and int(t.year) == year}.values())


def follow_jobs(targets: Iterable[TargetLike], month: int,
                measures: Mapping[str, MeasureDef] | None = None) -> list[tuple]:
    """[(jobcenter_id, month, measures, expected)]: what :func:`target_status` counts for
    ``month`` and the (measure, sex) whose year-end expectation it simulates for the Jobcenter
    (the targets of the Jobcenter itself; group measures have none), for the import to keep
    (:func:`amip.engine.kept.keep`)."""
    defs = dict(measure_definitions())
    defs.update(measures or {})
    year = month // 12
    targets = [t for t in targets if not getattr(t, "withdrawn", False)
               and int(t.year) == year and t.measure in defs]
    jobs = []
    for jc in sorted({t.jobcenter_id for t in targets}):
        expected = list(dict.fromkeys(
            (followed_def(defs[t.measure]), t.sex) for t in targets
            if t.jobcenter_id == jc and t.unit_id is None and defs[t.measure].source != "group"
            and (defs[t.measure].source not in HANDED_IN or t.sex == "all")))
        jobs.append((jc, month, followed_measures(targets, defs, jc, year), expected))
    return jobs


def followed_def(md: MeasureDef) -> MeasureDef:
    """What :mod:`amip.engine.followed` follows: a group measure as an entered one."""
    return replace(md, source="entered") if md.source == "group" else md


def group_values(db, targets: Iterable[TargetLike], defs: Mapping[str, MeasureDef],
                 months: list[int]) -> dict[str, dict[tuple, Decimal | None]]:
    """measure → {(jobcenter_id, unit_id, "YYYY-MM"): value} of the group measures the targets
    name, from the group monitor (:func:`amip.engine.group_monitor.group_series`): the months
    of each target year up to the latest asked, from January y−3 for the seasonal share of a
    count and December y−1 for a stock's base."""
    from amip.engine.group_monitor import group_series

    wanted: dict = defaultdict(set)
    for t in targets:
        md = defs.get(t.measure)
        if md is not None and md.source == "group":
            wanted[(t.jobcenter_id, int(t.year))].add(md)
    out: dict = defaultdict(dict)
    for (jc, year), mds in sorted(wanted.items()):
        asked = [k for k in months if k // 12 == year]
        if not asked:
            continue
        back = 3 * 12 if any(md.kind == "count" for md in mds) else 1
        series = group_series(db, jc, year * 12 - back, max(asked),
                              sorted({(md.group, md.fact) for md in mds}))
        for md in mds:
            for (u, month), v in series[(md.group, md.fact)].items():
                out[md.id][(jc, u, month)] = None if v is None else Decimal(str(v))
    return dict(out)


def _parse(month: str) -> int:
    try:
        return parse_month(month)
    except ValueError:
        raise DataError(f"Monat {month!r} ungültig (erwartet JJJJ-MM)") from None


def _unit_filter(db, unit_id: str | None) -> tuple[str | None, set | None]:
    """(Jobcenter, units kept: None for the Jobcenter row, unit ids) of ``--unit``."""
    if unit_id is None:
        return None, None
    u = db.table("units").select("unit_id", "jobcenter_id", "parent_unit_id", "level")
    rows = u.to_pyarrow().to_pylist()
    unit = next((r for r in rows if r["unit_id"] == unit_id), None)
    if unit is None:
        raise UnknownUnit(f"Einheit {unit_id!r} gibt es nicht (siehe Tabelle units)")
    if unit["level"] == "jobcenter":
        return unit["jobcenter_id"], None
    return unit["jobcenter_id"], descendants(rows, unit_id)


def _tree_order(units: list[dict]) -> list[str]:
    """Standorte and teams depth first (each level by unit_id); the Jobcenter's own unit left
    out (its row is the one with unit_id None)."""
    children = defaultdict(list)
    for u in units:
        children[u["parent_unit_id"]].append(u)
    out, seen = [], set()

    def walk(parent):
        for u in sorted(children.get(parent, []), key=lambda r: r["unit_id"]):
            if u["unit_id"] in seen:
                continue
            seen.add(u["unit_id"])
            if u["level"] != "jobcenter":
                out.append(u["unit_id"])
            walk(u["unit_id"])
    roots = [u for u in units if u["parent_unit_id"] not in {x["unit_id"] for x in units}]
    for r in sorted(roots, key=lambda r: r["unit_id"]):
        if r["unit_id"] not in seen:
            seen.add(r["unit_id"])
            if r["level"] != "jobcenter":
                out.append(r["unit_id"])
            walk(r["unit_id"])
    return out


def _team_plans(plans: list, jc: str) -> dict[str, dict[str, Decimal]]:
    """measure → team → agreed plan (value + accepted share of the gap)."""
    out: dict = defaultdict(dict)
    for p in plans:
        if p.jobcenter_id == jc:
            out[p.measure][p.unit_id] = Decimal(p.value) + Decimal(p.accepted or 0)
    return out


def _target_for(f: Followed, own: dict, base, md: MeasureDef, u: str | None, measure: str,
                sex: str, team_plans: dict) -> tuple:
    """(the target row or a value, origin) of a scope (module docstring)."""
    if (u, measure, sex) in own:
        return own[(u, measure, sex)], "own"
    if md.kind != "count":
        return base, "jobcenter"
    if sex != "all":
        return None, None
    plans = team_plans.get(measure, {})
    teams = [t for t in f.scope(u) if t in plans]
    if not teams:
        return None, None
    return sum((plans[t] for t in teams), Decimal(0)), "plan"


def _entered(measure_values, measure: str, jc: str, u: str | None) -> dict:
    values = (measure_values or {}).get(measure, {})
    return {k[2]: v for k, v in values.items() if k[0] == jc and k[1] == u}


def _record(f: Followed, md: MeasureDef, u: str | None, sex: str, target, origin,
            entered, with_expectation: bool, asked: bool = True) -> StatusRecord:
    reasons: list[str] = []
    if target is None:
        value = None
        reasons.append("kein Ziel für diese Einheit" if u is not None else "kein Ziel")
    elif isinstance(target, Decimal):
        value = target
    else:
        value = target.value
        if value is None:
            reasons.append(NO_VALUE)
    handed_in = md.source in HANDED_IN and sex != "all"
    label, md = md, followed_def(md)
    if handed_in:
        actual, why = None, ("eingegebene Werte gibt es nur für alle Personen"
                             if label.source == "entered"
                             else "Kundengruppen gibt es nur für alle Personen")
    else:
        actual, why = f.actual(md, u, sex, entered)
    if why:
        reasons.append(f"Ist: {why}")
    moy = f.month_of_year
    path = None
    if value is not None:
        share, prev = None, None
        if md.kind in ("quota", "count"):
            share = seasonal_share(f.yearly_counts(md, u, sex, entered), moy)
        if md.kind == "stock":
            prev, pwhy = f.stock_prev_dec(md, u, sex, entered)
            if pwhy:
                reasons.append(f"Zielpfad: Dezember des Vorjahres: {pwhy}")
        path = zielpfad(md, value, moy, share, prev)
    expected = (None, None, None, None)
    if label.source == "group":
        if with_expectation and asked:
            reasons.append("Erwartung: keine Jahresendprognose für Kundengruppen")
    elif with_expectation and not handed_in:
        expected = f.expectation(md, u, sex)
        if expected[3]:
            reasons.append(f"Erwartung: {expected[3]}")
    elif asked and u is not None:
        reasons.append("Erwartung: Jahresendprognose nur für das Jobcenter und die gewählte "
                       "Einheit")
    return StatusRecord(
        jobcenter_id=f.jobcenter_id, unit_id=u, year=f.year, month=format_month(f.m),
        measure=md.id, sex=sex, target=as_float(value), actual=as_float(actual),
        path=as_float(path), gap=as_float(gap(actual, path)),
        gap_percent=as_float(gap_percent(actual, path)),
        light=light(md.direction, actual, path, light_thresholds()),
        expected=expected[0], expected_lower=expected[1], expected_upper=expected[2],
        reason="; ".join(reasons) or None, level=f.level(u), target_origin=origin)


# -- planning (items 36, 50, 51) ----------------------------------------------------------------

def plan_status(db, plans: Iterable[PlanLike], target, year: int, measure: str,
                key: str = "elb", jobcenter_id: str | None = None) -> list[PlanRecord]:
    """One record per unit of the planning round: the Jobcenter row first (its unit of level
    ``jobcenter``; ``target`` only here), then each Standort followed by its teams.

    ``target``: the Jobcenter's target (a row with ``value``, or a number, or None). Gap G =
    target − Σ team plans (a team without a plan counts 0 and has ``planned`` null); the
    proposal splits G over the teams by the key (:func:`amip.engine.followed.key_sums`) with the
    largest-remainder method in units of G's last decimal place (whole persons for counts).
    Without a target value there is no gap: ``proposed`` and ``total`` are null."""
    tv = getattr(target, "value", target)
    plans = list(plans)
    jc = jobcenter_id or getattr(target, "jobcenter_id", None) or \
        next((p.jobcenter_id for p in plans), None)
    plans = [p for p in plans if int(p.year) == year and p.measure == measure
             and (jc is None or p.jobcenter_id == jc)]
    if jc is None:
        jcs = db.table("jobcenters").jobcenter_id.to_pyarrow().to_pylist()
        if len(jcs) != 1:
            raise DataError("Planung: bitte ein Jobcenter angeben (der Datenbestand hat "
                            f"{len(jcs)})")
        jc = jcs[0]
    units = _units(db, jc)
    by_id = {u["unit_id"]: u for u in units}
    planned: dict[str, Decimal] = {}
    for p in plans:
        if p.unit_id not in by_id or by_id[p.unit_id]["level"] != "team":
            raise DataError(f"Plan für Einheit {p.unit_id!r}: das ist kein Team des Jobcenters "
                            f"{jc}")
        planned[p.unit_id] = Decimal(p.value)
    sums, n = key_sums(db, jc, year, key)
    teams = sorted(sums)
    if not teams:
        raise DataError(f"Planung: das Jobcenter {jc} hat keine Teams (Tabelle units)")
    reason = None
    if tv is None:
        proposed = {t: None for t in teams}
        reason = "kein Zielwert des Jobcenters: keine Planungslücke"
    else:
        g = Decimal(tv) - sum(planned.values(), Decimal(0))
        proposed = split_amount(g, {t: Decimal(s) for t, s in sums.items()})

    def row(u: str | None, level: str, ts: list[str], tgt=None) -> PlanRecord:
        pl = [planned[t] for t in ts if t in planned]
        prop = [proposed[t] for t in ts]
        p_sum = None if any(p is None for p in prop) else sum(prop, Decimal(0))
        plan_sum = sum(pl, Decimal(0)) if pl else None
        total = None if p_sum is None else (plan_sum or 0) + p_sum
        return PlanRecord(u, level, year, measure, as_float(plan_sum),
                          as_float(Decimal(sum(sums[t] for t in ts)) / n), as_float(p_sum),
                          as_float(total), as_float(tgt), reason)

    jc_unit = next((u["unit_id"] for u in units if u["level"] == "jobcenter"), None)
    out = [row(jc_unit, "jobcenter", teams, tv)]
    for u in _tree_order(units):
        level = by_id[u]["level"]
        below = [t for t in descendants(units, u) if t in sums]
        if level == "team":
            out.append(row(u, "team", [u]))
        elif below:
            out.append(row(u, level, sorted(below)))
    return out
