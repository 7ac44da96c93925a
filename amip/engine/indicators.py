"""Compute the § 48a measures: the one function every shell (CLI, API, web, reports) calls.

>>> records = compute(store.view(), months=[parse_month("2020-06")])

Each record is ``code, month, jobcenter_id, sex, numerator, denominator, value`` (``value`` in
percent, unrounded, None when not computable) and ``reason``, plus ``unit_id`` for a unit, the
rule version used and the basis (``month`` or ``jfw``, the Jahresfortschrittswert). A figure
whose data do not reach (:mod:`amip.engine.horizon`) has value, numerator and denominator None
and a German ``reason``; every shell shows that reason instead of a number.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal

from amip.catalogue import Catalogue, RuleVersion, load
from amip.engine import kept_facts
from amip.engine.calendar import format_month, month_end, stichtag
from amip.engine.drilldown import Outside, descendants, parent_of_unassigned, unassigned_scope
from amip.engine.horizon import horizon
from amip.engine.measures import JFW_FORMS, SEXES, fact_months, measure, roll_up
from amip.errors import NotFound


#: the keys of a record as JSON (CLI `--format json` and the API): one list for both shells
JSON_KEYS = ("code", "month", "jobcenter_id", "sex", "numerator", "denominator", "value",
             "reason")


@dataclass(frozen=True)
class Record:
    code: str
    month: str
    jobcenter_id: str
    sex: str
    numerator: float | int | None
    denominator: float | int | None
    value: float | None
    unit_id: str | None = None
    rules: str = ""
    basis: str = "month"
    reason: str | None = None  # German: why the figure does not exist (value None)

    def as_json(self, with_unit: bool = False) -> dict:
        d = asdict(self)
        if not with_unit:
            d.pop("unit_id")
        return d


class UnknownUnit(NotFound, ValueError):
    pass


def published_as_of(m: int, catalogue: Catalogue | None = None) -> dt.date:
    """The as-of date of the published figure for month m: end of the Wartezeit (item 3)."""
    wait = (catalogue or load()).parameters.wartezeit_months
    return month_end(m + wait)


def unit_scope(db, unit_id: str) -> tuple[str, set[str] | Outside | None]:
    """The Jobcenter of a unit and the teams below it (None: the unit is the whole Jobcenter).
    An "ohne Zuordnung" row (:mod:`amip.engine.drilldown`) has the teams of its parent that
    none of the parent's children covers."""
    units = db.table("units").select("unit_id", "jobcenter_id", "parent_unit_id", "level")
    rows = units.to_pyarrow().to_pylist()
    by_id = {r["unit_id"]: r for r in rows}
    parent = parent_of_unassigned(unit_id)
    if parent is not None and parent in by_id:
        return by_id[parent]["jobcenter_id"], unassigned_scope(rows, by_id[parent])
    if unit_id not in by_id:
        raise UnknownUnit(f"Einheit {unit_id!r} gibt es im Datenbestand nicht "
                          "(die Einheiten stehen in der Tabelle units).")
    unit = by_id[unit_id]
    if unit["level"] == "jobcenter":
        return unit["jobcenter_id"], None
    return unit["jobcenter_id"], descendants(rows, unit_id)


def compute(db, months: list[int], jobcenter_id: str | None = None, unit_id: str | None = None,
            published: bool = False, rules: str | None = None, jfw: bool = False,
            codes: list[str] | None = None, unit_ids: list[str] | None = None,
            include_total: bool = False, bases: tuple[str, ...] | None = None) -> list[Record]:
    """All requested measures × months × Jobcenter × sex (``all``, ``m``, ``w``).

    ``db`` is a store view (its ``as_of`` applies); ``published`` instead uses for each month the
    data as of the end of its Wartezeit. ``rules`` forces a rule version (e.g. ``vo2010``).
    ``unit_id`` restricts to a Standort or team; ``unit_ids`` gives several units (of one
    Jobcenter) from one computation, with ``include_total`` also the whole Jobcenter.
    ``bases`` (``month``, ``jfw``) chooses the monthly values, the Jahresfortschrittswerte of
    the quotas, or both from the same counts; ``jfw=True`` is ``bases=("jfw",)``.
    """
    cat = load()
    bases = bases or (("jfw",) if jfw else ("month",))
    indicators = [cat.indicators[c] for c in (codes or cat.indicators)]
    wanted = ([unit_id] if unit_id is not None else []) + list(unit_ids or [])
    scopes: list[tuple[str | None, set[str] | Outside | None]] = \
        [(None, None)] if not wanted or include_total else []
    for u in wanted:
        unit_jc, scope = unit_scope(db, u)
        if jobcenter_id not in (None, unit_jc):
            raise UnknownUnit(f"Einheit {u!r} gehört zum Jobcenter {unit_jc}, nicht zu {jobcenter_id}.")
        jobcenter_id = unit_jc
        scopes.append((u, scope))
    # in Jobcenter order: a backend returns rows in any order (Spark), the records must not
    jcs = sorted(db.table("jobcenters").jobcenter_id.to_pyarrow().to_pylist())
    if jobcenter_id is not None:
        if jobcenter_id not in jcs:
            raise UnknownUnit(f"Jobcenter {jobcenter_id!r} gibt es im Datenbestand nicht.")
        jcs = [jobcenter_id]

    groups: dict[tuple, list[int]] = defaultdict(list)
    for m in sorted(set(months)):
        version = cat.rules[rules] if rules else cat.rules_for(stichtag(m))
        as_of = published_as_of(m, cat) if published else db.as_of
        groups[(as_of, version.key)].append(m)

    records: list[Record] = []
    for (as_of, version_key), ms in groups.items():
        view = db.at(as_of) if as_of != db.as_of else db
        version = cat.rules[version_key]
        counts = kept_facts.counts(view, version, cat.parameters,
                                   fact_months(indicators, ms, bases), jobcenter_id,
                                   by_team=bool(wanted))
        reach = horizon(view)
        for unit, scope in scopes:
            totals = roll_up(counts, scope)
            for t in ms:
                for jc in jcs:
                    for sex in SEXES:
                        def get(fact: str, m: int, jc=jc, sex=sex):
                            return totals.get((fact, jc, sex, m), 0)

                        for basis in bases:
                            for ind in indicators:
                                if basis == "jfw" and ind.form not in JFW_FORMS:
                                    continue
                                why = reach.reason(ind, t, version, jfw=basis == "jfw")
                                if why:  # the data do not reach (§10.2 item 29)
                                    records.append(Record(
                                        ind.code, format_month(t), jc, sex, None, None, None,
                                        unit, version.key, basis, why))
                                    continue
                                v = measure(ind, get, t, jfw=basis == "jfw")
                                records.append(Record(
                                    ind.code, format_month(t), jc, sex, _plain(v.numerator),
                                    _plain(v.denominator), v.value, unit, version.key, basis))
    return records


def _plain(x):
    """Counts stay int, euro sums become float with cents, means float."""
    if isinstance(x, Decimal):
        return float(x)
    return x
