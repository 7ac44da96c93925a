"""The steering store's API (:class:`Steering`): targets, user-defined measures and their monthly
values, team plans and planning rounds — every change a new version with who, when and why
(domain reference §11 items 31, 36, 37; §12.1 item 44). See amip/steering/README.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amip import i18n
from amip.catalogue.targets import (DIRECTIONS, KINDS, UNITS, MeasureDef, computations,
                                    measure_definitions, measure_from_row)
from amip.errors import ConfigurationError, DataError, NotFound
from amip.steering import csvin, db
from amip.steering.models import (MeasureValueVersion, MeasureVersion, PlanRoundVersion,
                                  PlanVersion, TargetVersion, Versioned)
from amip.steering.rows import (PLAN_KEYS, SEXES, STATUSES, ImportSummary, PlanRound, PlanRow,
                                StaleChange, TargetInput, TargetRow, UnitInfo)

LABELS = {TargetVersion: "Der Zielwert", PlanVersion: "Der Plan",
          PlanRoundVersion: "Die Planungsrunde", MeasureVersion: "Die Messgröße",
          MeasureValueVersion: "Der Monatswert"}
MEASURE_ID = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
YEARS = range(2000, 2100)
TARGET_COLUMNS = (("jobcenter_id", "year", "measure", "value", "status"),
                  ("unit_id", "sex", "source", "note"))
PLAN_COLUMNS = ("unit_id", "year", "measure", "value")
VALUE_COLUMNS = (("measure", "jobcenter_id", "month", "value"), ("unit_id",))
STATUS_ALIASES = {"in abstimmung": "in_abstimmung", "in_abstimmung": "in_abstimmung",
                  "vereinbart": "vereinbart"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def moment(as_of: dt.datetime | dt.date | None) -> dt.datetime | None:
    """An as-of as a UTC moment: a date means the end of that day in German local time; a naive
    datetime counts as UTC."""
    if as_of is None:
        return None
    if isinstance(as_of, dt.datetime):
        return as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.timezone.utc)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), ZoneInfo(i18n.TIMEZONE))
    return (end - dt.timedelta(microseconds=1)).astimezone(dt.timezone.utc)


def target_key(jobcenter_id, unit_id, year, measure, sex) -> str:
    return f"{jobcenter_id}|{unit_id or ''}|{year}|{measure}|{sex}"


def plan_key(unit_id, year, measure) -> str:
    return f"{unit_id}|{year}|{measure}"


def round_key(jobcenter_id, year, measure) -> str:
    return f"{jobcenter_id}|{year}|{measure}"


def value_key(measure, jobcenter_id, unit_id, month) -> str:
    return f"{measure}|{jobcenter_id}|{unit_id or ''}|{month}"


def _blank(text: str | None) -> str | None:
    return text.strip() or None if text is not None else None


def _target_row(v: TargetVersion) -> TargetRow:
    return TargetRow(v.jobcenter_id, v.unit_id, v.year, v.measure, v.sex, v.value, v.status,
                     v.source, v.note, v.version, v.recorded_at, v.recorded_by, v.reason,
                     v.operation == "withdraw", v.operation)


def _plan_row(v: PlanVersion) -> PlanRow:
    return PlanRow(v.jobcenter_id, v.unit_id, v.year, v.measure, v.value, v.accepted, v.version,
                   v.recorded_at, v.recorded_by, v.reason, v.operation)


def _round(v: PlanRoundVersion) -> PlanRound:
    return PlanRound(v.jobcenter_id, v.year, v.measure, v.key, v.state, v.version, v.recorded_at,
                     v.recorded_by, v.reason, v.operation)


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return "leer"
    return i18n.num(value, max(0, -value.normalize().as_tuple().exponent))


class Steering:
    """The steering store (see the module and amip/steering/README.md)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(write=True)

    @classmethod
    def open(cls, store: str | Path | None = None, url: str | None = None) -> "Steering":
        """Open (create, migrate) the steering store: ``url`` or ``$AMIP_STEERING``, else the
        SQLite file beside the extract store ``store``."""
        return cls(db.create(db.resolve_url(store, url)))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Steering":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- versions ------------------------------------------------------------------------------

    def _read(self) -> Session:
        return Session(self.engine)

    def _write(self, work: Callable[[Session], object], what: str = "Eintrag"):
        """Run ``work`` in one write transaction; a concurrent version wins, this one is stale."""
        try:
            with Session(self._writer) as s, s.begin():
                return work(s)
        except IntegrityError:
            raise StaleChange(f"{what} wurde gleichzeitig von jemand anderem geändert; "
                              "bitte neu laden und erneut versuchen.") from None

    @staticmethod
    def _current(model, s: Session, where=(), as_of=None):
        """The latest version of each entity (as of a moment), withdrawn ones included."""
        sub = select(model.entity_key, func.max(model.version).label("v")).where(*where)
        if as_of is not None:
            sub = sub.where(model.recorded_at <= as_of)
        sub = sub.group_by(model.entity_key).subquery()
        return s.scalars(select(model).join(sub, and_(model.entity_key == sub.c.entity_key,
                                                      model.version == sub.c.v))).all()

    @staticmethod
    def _latest(model, s: Session, key: str, as_of=None):
        q = select(model).where(model.entity_key == key)
        if as_of is not None:
            q = q.where(model.recorded_at <= as_of)
        return s.scalars(q.order_by(model.version.desc()).limit(1)).first()

    @staticmethod
    def _check_version(model, current: Versioned | None, expected: int | None) -> None:
        have = current.version if current is not None else 0
        if (expected or 0) == have:
            return
        label = LABELS[model]
        if current is None:
            raise StaleChange(f"{label} existiert nicht (mehr); bitte neu laden.")
        verb = "angelegt" if current.operation == "create" else (
            "zurückgezogen" if current.operation == "withdraw" else "geändert")
        raise StaleChange(f"{label} wurde inzwischen von {current.recorded_by} am "
                          f"{i18n.local_time(current.recorded_at)} {verb}; bitte neu laden.")

    @staticmethod
    def _append(model, s: Session, ekey: str, current, actor: str, reason: str | None,
                operation: str | None = None, **fields):
        if not actor or not actor.strip():
            raise ConfigurationError("Wer ändert? Ein Benutzername fehlt (--user).")
        if operation is None:
            operation = "create" if current is None or current.operation == "withdraw" \
                else "change"
        row = model(entity_key=ekey, version=(current.version if current else 0) + 1,
                    recorded_at=_now(), recorded_by=actor.strip(), reason=_blank(reason),
                    operation=operation, **fields)
        s.add(row)
        s.flush()
        return row

    # -- measures ------------------------------------------------------------------------------

    def measures(self, as_of=None) -> dict[str, MeasureDef]:
        """The catalogue's measures (:func:`measure_definitions`) and the user-defined ones."""
        out = dict(measure_definitions())
        with self._read() as s:
            for v in self._current(MeasureVersion, s, as_of=moment(as_of)):
                if v.operation != "withdraw":
                    out[v.measure_id] = measure_from_row(_MeasureRow(v))
        return out

    def add_measure(self, measure_id: str, name: str, kind: str, unit: str, direction: str,
                    actor: str, source: str = "entered", scope: str = "lokal",
                    reason: str | None = None, expected_version: int | None = None) -> MeasureDef:
        """Define (or, with ``expected_version``, change) a user-defined measure."""
        errors = []
        if not MEASURE_ID.match(measure_id or ""):
            errors.append(f"Kennung {measure_id!r}: nur Kleinbuchstaben, Ziffern und _, "
                          "beginnend mit einem Buchstaben (2–60 Zeichen)")
        elif measure_id in measure_definitions():
            errors.append(f"Kennung {measure_id!r} ist eine Messgröße des Katalogs")
        if not (name or "").strip():
            errors.append("Bezeichnung fehlt")
        for label, value, allowed in (("Art", kind, KINDS), ("Einheit", unit, UNITS),
                                      ("Richtung", direction, DIRECTIONS),
                                      ("Quelle", source, ("entered", *computations())),
                                      ("Bereich", scope, ("lokal", "kommunal"))):
            if value not in allowed:
                errors.append(f"{label} {value!r} unbekannt (erlaubt: {', '.join(allowed)})")
        if errors:
            raise DataError("Messgröße nicht angelegt: " + "; ".join(errors) + ".")

        def work(s):
            key = measure_id
            current = self._latest(MeasureVersion, s, key)
            self._check_version(MeasureVersion, current, expected_version)
            v = self._append(MeasureVersion, s, key, current, actor, reason,
                             measure_id=measure_id, name=name.strip(), kind=kind, unit=unit,
                             direction=direction, source=source, scope=scope)
            return measure_from_row(_MeasureRow(v))
        return self._write(work, "Die Messgröße")

    def measure_values(self, measure: str, as_of=None) -> dict[tuple[str, str | None, str], Decimal]:
        """Entered monthly values of a measure: (jobcenter_id, unit_id, "YYYY-MM") → value."""
        with self._read() as s:
            rows = self._current(MeasureValueVersion, s, (MeasureValueVersion.measure == measure,),
                                 moment(as_of))
            return {(v.jobcenter_id, v.unit_id, v.month): v.value for v in rows
                    if v.operation != "withdraw" and v.value is not None}

    def import_measure_values(self, path, actor: str, reason: str | None = None,
                              known_units: dict[str, UnitInfo] | None = None,
                              known_jobcenters: set[str] | None = None) -> ImportSummary:
        """Monthly values from a CSV (columns measure, jobcenter_id, unit_id, month, value) of
        measures whose source is ``entered``; all or nothing."""
        f = csvin.read(path, *VALUE_COLUMNS)
        measures = self.measures()
        errors, rows, seen = [], {}, {}
        for line in f.lines:
            c, at = line.cells, f"{f.path}, Zeile {line.number}"
            m = measures.get(c["measure"])
            if m is None:
                errors.append(f"{at}: Messgröße {c['measure']!r} unbekannt")
                continue
            if m.source != "entered":
                errors.append(f"{at}: Messgröße {c['measure']!r} wird aus dem Datenbestand "
                              "berechnet, nicht erfasst")
                continue
            unit = c.get("unit_id") or None
            errors += _scope_errors(at, c["jobcenter_id"], unit, known_units, known_jobcenters)
            if not MONTH.match(c["month"]):
                errors.append(f"{at}: Monat {c['month']!r} ungültig (erwartet JJJJ-MM)")
                continue
            try:
                value = f.number(c["value"])
            except ValueError as e:
                errors.append(f"{at}: Wert {e}")
                continue
            key = value_key(m.id, c["jobcenter_id"], unit, c["month"])
            if key in seen:
                errors.append(f"{at}: derselbe Monatswert steht schon in Zeile {seen[key]}")
                continue
            seen[key] = line.number
            rows[key] = dict(measure=m.id, jobcenter_id=c["jobcenter_id"], unit_id=unit,
                             month=c["month"], value=value)
        _raise(errors)

        def work(s):
            counts = [0, 0, 0]
            for key, fields in rows.items():
                current = self._latest(MeasureValueVersion, s, key)
                if current is not None and current.operation != "withdraw" \
                        and current.value == fields["value"]:
                    counts[2] += 1
                    continue
                counts[0 if current is None else 1] += 1
                self._append(MeasureValueVersion, s, key, current, actor, reason, **fields)
            return ImportSummary(*counts)
        return self._write(work, "Ein Monatswert")

    # -- targets -------------------------------------------------------------------------------

    def targets(self, year: int | None = None, as_of=None,
                jobcenter_id: str | None = None) -> list[TargetRow]:
        """The targets in force (as of a date or moment), withdrawn ones left out."""
        where = []
        if year is not None:
            where.append(TargetVersion.year == year)
        if jobcenter_id is not None:
            where.append(TargetVersion.jobcenter_id == jobcenter_id)
        with self._read() as s:
            rows = [_target_row(v) for v in self._current(TargetVersion, s, where, moment(as_of))
                    if v.operation != "withdraw"]
        return sorted(rows, key=_target_order)

    def target(self, key: tuple, as_of=None) -> TargetRow | None:
        """The current version of one target (withdrawn included), None if never entered."""
        with self._read() as s:
            v = self._latest(TargetVersion, s, target_key(*key), moment(as_of))
            return _target_row(v) if v is not None else None

    def target_history(self, year: int | None = None, measure: str | None = None,
                       jobcenter_id: str | None = None) -> list[TargetRow]:
        """Every version of the targets, oldest first."""
        q = select(TargetVersion)
        if year is not None:
            q = q.where(TargetVersion.year == year)
        if measure is not None:
            q = q.where(TargetVersion.measure == measure)
        if jobcenter_id is not None:
            q = q.where(TargetVersion.jobcenter_id == jobcenter_id)
        with self._read() as s:
            return [_target_row(v) for v in
                    s.scalars(q.order_by(TargetVersion.recorded_at, TargetVersion.id))]

    def _target_errors(self, row: TargetInput, measures: dict, at: str,
                       known_units: dict[str, UnitInfo] | None,
                       known_jobcenters: set[str] | None) -> list[str]:
        errors = _scope_errors(at, row.jobcenter_id, row.unit_id, known_units, known_jobcenters)
        if row.measure not in measures:
            errors.append(f"{at}: Messgröße {row.measure!r} unbekannt (amip measures list)")
        if row.sex not in SEXES:
            errors.append(f"{at}: Geschlecht {row.sex!r} ungültig (erlaubt: all, m, w)")
        if row.status not in STATUSES:
            errors.append(f"{at}: Status {row.status!r} ungültig (erlaubt: vereinbart, "
                          "in_abstimmung)")
        elif row.value is None and row.status == "vereinbart":
            errors.append(f"{at}: Zielwert leer bei Status vereinbart (leer nur „in_abstimmung“)")
        if not isinstance(row.year, int) or row.year not in YEARS:
            errors.append(f"{at}: Jahr {row.year!r} ungültig (erwartet 2000 bis 2099)")
        return errors

    def set_target(self, row: TargetInput, actor: str, reason: str | None,
                   expected_version: int | None,
                   known_units: dict[str, UnitInfo] | None = None,
                   known_jobcenters: set[str] | None = None) -> TargetRow:
        """Enter or change one target. ``expected_version``: the version the change is based on
        (None or 0 for a new target); another current version raises :class:`StaleChange`. A
        change to an agreed target needs a ``reason``. Unchanged input writes no version."""
        row = _clean(row)
        _raise(self._target_errors(row, self.measures(), "Ziel", known_units, known_jobcenters))

        def work(s):
            current = self._latest(TargetVersion, s, target_key(*row.key))
            self._check_version(TargetVersion, current, expected_version)
            if _same_target(current, row):
                return _target_row(current)
            _raise([_reason_error(current, reason, "Ziel")])
            return _target_row(self._append(TargetVersion, s, target_key(*row.key), current,
                                            actor, reason, **_target_fields(row)))
        return self._write(work, LABELS[TargetVersion])

    def withdraw_target(self, key: tuple, actor: str, reason: str | None,
                        expected_version: int | None) -> TargetRow:
        """Withdraw a target (a new version marked withdrawn; its history stays)."""
        def work(s):
            current = self._latest(TargetVersion, s, target_key(*key))
            if current is None or current.operation == "withdraw":
                raise NotFound(f"Ziel {_key_text(key)} gibt es nicht (oder es ist schon "
                               "zurückgezogen).")
            self._check_version(TargetVersion, current, expected_version)
            _raise([_reason_error(current, reason, "Ziel")])
            fields = {k: getattr(current, k) for k in _TARGET_FIELDS}
            return _target_row(self._append(TargetVersion, s, current.entity_key, current, actor,
                                            reason, "withdraw", **fields))
        return self._write(work, LABELS[TargetVersion])

    def import_targets(self, path, actor: str, reason: str | None,
                       known_units: dict[str, UnitInfo], known_jobcenters: set[str]
                       ) -> ImportSummary:
        """Targets from a ``targets.csv`` (data contract "Targets"; German or plain CSV): all or
        nothing. An identical row is no change; targets not in the file stay as they are."""
        f = csvin.read(path, *TARGET_COLUMNS)
        measures = self.measures()
        errors, rows, seen = [], {}, {}
        for line in f.lines:
            c, at = line.cells, f"{f.path}, Zeile {line.number}"
            try:
                row, problems = _target_from_cells(c, f), []
            except ValueError as e:
                errors.append(f"{at}: {e}")
                continue
            problems = self._target_errors(row, measures, at, known_units, known_jobcenters)
            key = target_key(*row.key)
            if key in seen:
                problems.append(f"{at}: doppeltes Ziel ({_key_text(row.key)} steht schon in "
                                f"Zeile {seen[key]})")
            seen.setdefault(key, line.number)
            errors += problems
            if not problems:
                rows[key] = (at, row)
        _raise(errors)

        def work(s):
            counts, problems = [0, 0, 0], []
            for key, (at, row) in rows.items():
                current = self._latest(TargetVersion, s, key)
                if _same_target(current, row):
                    counts[2] += 1
                    continue
                error = _reason_error(current, reason, at)
                if error:
                    problems.append(error)
                    continue
                counts[0 if current is None or current.operation == "withdraw" else 1] += 1
                self._append(TargetVersion, s, key, current, actor, reason, **_target_fields(row))
            _raise(problems)
            return ImportSummary(*counts)
        return self._write(work, "Ein Zielwert")

    # -- plans ---------------------------------------------------------------------------------

    def plans(self, year: int, measure: str, jobcenter_id: str | None = None,
              as_of=None) -> list[PlanRow]:
        """The teams' current plans for a year and measure."""
        where = [PlanVersion.year == year, PlanVersion.measure == measure]
        if jobcenter_id is not None:
            where.append(PlanVersion.jobcenter_id == jobcenter_id)
        with self._read() as s:
            rows = [_plan_row(v) for v in self._current(PlanVersion, s, where, moment(as_of))
                    if v.operation != "withdraw"]
        return sorted(rows, key=lambda r: (r.jobcenter_id, r.unit_id))

    def plan_history(self, year: int, measure: str,
                     jobcenter_id: str | None = None) -> list[PlanRow]:
        """Every version of the plans of a year and measure, oldest first."""
        q = select(PlanVersion).where(PlanVersion.year == year, PlanVersion.measure == measure)
        if jobcenter_id is not None:
            q = q.where(PlanVersion.jobcenter_id == jobcenter_id)
        with self._read() as s:
            return [_plan_row(v) for v in
                    s.scalars(q.order_by(PlanVersion.recorded_at, PlanVersion.id))]

    def _plan_errors(self, at, unit_id, year, measure, measures, known_units) -> list[str]:
        errors = []
        unit = known_units.get(unit_id) if known_units is not None else None
        if known_units is not None and unit is None:
            errors.append(f"{at}: Einheit {unit_id!r} unbekannt")
        elif unit is not None and unit.level != "team":
            errors.append(f"{at}: Einheit {unit_id!r} ist kein Team (Ebene {unit.level}); "
                          "geplant wird je Team, Standorte und Jobcenter summieren ihre Teams")
        if measure not in measures:
            errors.append(f"{at}: Messgröße {measure!r} unbekannt (amip measures list)")
        if not isinstance(year, int) or year not in YEARS:
            errors.append(f"{at}: Jahr {year!r} ungültig (erwartet 2000 bis 2099)")
        return errors

    def import_plans(self, path, actor: str, known_units: dict[str, UnitInfo],
                     reason: str | None = None) -> ImportSummary:
        """Team plans from a CSV (columns unit_id, year, measure, value; teams only): all or
        nothing; an identical value is no change. A plan of an agreed round changes only with a
        ``reason``."""
        f = csvin.read(path, PLAN_COLUMNS)
        measures = self.measures()
        errors, rows, seen = [], {}, {}
        for line in f.lines:
            c, at = line.cells, f"{f.path}, Zeile {line.number}"
            year = _year(c["year"])
            problems = self._plan_errors(at, c["unit_id"], year, c["measure"], measures,
                                         known_units)
            try:
                value = f.number(c["value"])
            except ValueError as e:
                problems.append(f"{at}: Planwert {e}")
            key = plan_key(c["unit_id"], year, c["measure"])
            if key in seen:
                problems.append(f"{at}: doppelter Plan (Team {c['unit_id']}, {c['year']}, "
                                f"{c['measure']} steht schon in Zeile {seen[key]})")
            seen.setdefault(key, line.number)
            errors += problems
            if not problems:
                rows[key] = (at, dict(jobcenter_id=known_units[c["unit_id"]].jobcenter_id,
                                      unit_id=c["unit_id"], year=year, measure=c["measure"],
                                      value=value))
        _raise(errors)

        def work(s):
            counts, problems = [0, 0, 0], []
            for key, (at, fields) in rows.items():
                current = self._latest(PlanVersion, s, key)
                if current is not None and current.operation != "withdraw" \
                        and current.value == fields["value"]:
                    counts[2] += 1
                    continue
                problems += self._agreed_plan_error(s, fields, reason, at)
                counts[0 if current is None else 1] += 1
                self._append(PlanVersion, s, key, current, actor, reason,
                             accepted=current.accepted if current else None, **fields)
            _raise(problems)
            return ImportSummary(*counts)
        return self._write(work, "Ein Plan")

    def _agreed_plan_error(self, s, fields, reason, at) -> list[str]:
        r = self._latest(PlanRoundVersion, s, round_key(fields["jobcenter_id"], fields["year"],
                                                        fields["measure"]))
        if r is not None and r.state == "vereinbart" and not _blank(reason):
            return [f"{at}: die Planungsrunde {fields['year']} für {fields['measure']} ist "
                    "vereinbart; eine Änderung braucht eine Begründung (--reason)"]
        return []

    def set_plan(self, unit_id: str, year: int, measure: str, value, actor: str,
                 expected_version: int | None, reason: str | None = None,
                 known_units: dict[str, UnitInfo] | None = None,
                 jobcenter_id: str | None = None) -> PlanRow:
        """Enter or change one team's plan (``expected_version`` as for :meth:`set_target`).
        The team's Jobcenter comes from ``known_units``, ``jobcenter_id`` or its earlier plan."""
        value = Decimal(value)
        _raise(self._plan_errors("Plan", unit_id, year, measure, self.measures(), known_units))
        if known_units is not None:
            jobcenter_id = known_units[unit_id].jobcenter_id

        def work(s):
            key = plan_key(unit_id, year, measure)
            current = self._latest(PlanVersion, s, key)
            self._check_version(PlanVersion, current, expected_version)
            jc = jobcenter_id or (current.jobcenter_id if current else None)
            if jc is None:
                raise ConfigurationError(f"Plan für Team {unit_id}: das Jobcenter ist unbekannt.")
            if current is not None and current.operation != "withdraw" and current.value == value:
                return _plan_row(current)
            fields = dict(jobcenter_id=jc, unit_id=unit_id, year=year, measure=measure,
                          value=value)
            _raise(self._agreed_plan_error(s, fields, reason, "Plan"))
            return _plan_row(self._append(PlanVersion, s, key, current, actor, reason,
                                          accepted=current.accepted if current else None,
                                          **fields))
        return self._write(work, LABELS[PlanVersion])

    # -- planning rounds -----------------------------------------------------------------------

    def plan_round(self, jobcenter_id: str, year: int, measure: str,
                   as_of=None) -> PlanRound | None:
        """The round's current version (as of a date or moment), None if none was opened."""
        with self._read() as s:
            v = self._latest(PlanRoundVersion, s, round_key(jobcenter_id, year, measure),
                             moment(as_of))
            return _round(v) if v is not None else None

    def round_history(self, jobcenter_id: str, year: int, measure: str) -> list[PlanRound]:
        """Every version of a round, oldest first."""
        with self._read() as s:
            q = select(PlanRoundVersion).where(
                PlanRoundVersion.entity_key == round_key(jobcenter_id, year, measure))
            return [_round(v) for v in s.scalars(q.order_by(PlanRoundVersion.version))]

    def _round_change(self, jobcenter_id, year, measure, actor, expected_version, reason,
                      check: Callable, **fields) -> PlanRound:
        def work(s):
            key = round_key(jobcenter_id, year, measure)
            current = self._latest(PlanRoundVersion, s, key)
            self._check_version(PlanRoundVersion, current, expected_version)
            check(current)
            base = dict(key=current.key, state=current.state) if current else {}
            v = self._append(PlanRoundVersion, s, key, current, actor, reason,
                             jobcenter_id=jobcenter_id, year=year, measure=measure,
                             **{**base, **fields})
            return _round(v)
        return self._write(work, LABELS[PlanRoundVersion])

    def open_round(self, jobcenter_id: str, year: int, measure: str, actor: str,
                   key: str = "elb", expected_version: int | None = None,
                   reason: str | None = None) -> PlanRound:
        """Open a planning round, or reopen an agreed one (needs a reason)."""
        _check_key(key)
        if measure not in self.measures():
            raise DataError(f"Messgröße {measure!r} unbekannt (amip measures list).")

        def check(current):
            if current is not None and current.state == "offen":
                raise DataError(f"Die Planungsrunde {year} für {measure} ist schon offen.")
            if current is not None and not _blank(reason):
                raise DataError(f"Die Planungsrunde {year} für {measure} ist vereinbart; sie "
                                "wieder zu öffnen braucht eine Begründung.")
        return self._round_change(jobcenter_id, year, measure, actor, expected_version, reason,
                                  check, key=key, state="offen")

    def choose_key(self, jobcenter_id: str, year: int, measure: str, key: str, actor: str,
                   expected_version: int | None, reason: str | None = None) -> PlanRound:
        """Choose the key that distributes the planning gap (elb, marktnah, equal, manual)."""
        _check_key(key)
        return self._round_change(jobcenter_id, year, measure, actor, expected_version, reason,
                                  _must_be_open(year, measure), key=key)

    def agree_round(self, jobcenter_id: str, year: int, measure: str,
                    accepted: dict[str, int], actor: str, expected_version: int | None,
                    reason: str | None = None) -> PlanRound:
        """Agree a round: store each team's accepted share of the gap (a new plan version; a
        team without a plan gets the plan 0) and the round's state ``vereinbart``, in one
        transaction."""
        must_be_open = _must_be_open(year, measure)

        def work(s):
            rkey = round_key(jobcenter_id, year, measure)
            current = self._latest(PlanRoundVersion, s, rkey)
            self._check_version(PlanRoundVersion, current, expected_version)
            must_be_open(current)
            for unit_id, share in sorted(accepted.items()):
                key = plan_key(unit_id, year, measure)
                plan = self._latest(PlanVersion, s, key)
                if plan is not None and plan.jobcenter_id != jobcenter_id:
                    raise DataError(f"Team {unit_id} gehört zu Jobcenter {plan.jobcenter_id}, "
                                    f"nicht zu {jobcenter_id}.")
                self._append(PlanVersion, s, key, plan, actor, reason,
                             jobcenter_id=jobcenter_id, unit_id=unit_id, year=year,
                             measure=measure, value=plan.value if plan else Decimal(0),
                             accepted=Decimal(share))
            v = self._append(PlanRoundVersion, s, rkey, current, actor, reason,
                             jobcenter_id=jobcenter_id, year=year, measure=measure,
                             key=current.key, state="vereinbart")
            return _round(v)
        return self._write(work, LABELS[PlanRoundVersion])


# -- helpers ------------------------------------------------------------------------------------

_TARGET_FIELDS = ("jobcenter_id", "unit_id", "year", "measure", "sex", "value", "status",
                  "source", "note")


class _MeasureRow:
    """A measure version as the row measure_from_row reads (``id`` = measure_id)."""

    def __init__(self, v: MeasureVersion) -> None:
        self.id, self.name, self.kind, self.unit = v.measure_id, v.name, v.kind, v.unit
        self.direction, self.source, self.scope = v.direction, v.source, v.scope


def _target_order(r: TargetRow):
    return (r.jobcenter_id, r.year, r.unit_id or "", r.measure, SEXES.index(r.sex)
            if r.sex in SEXES else 9)


def _target_fields(row: TargetInput) -> dict:
    return {k: getattr(row, k) for k in _TARGET_FIELDS}


def _clean(row: TargetInput) -> TargetInput:
    return TargetInput(row.jobcenter_id.strip(), _blank(row.unit_id), row.year,
                       row.measure.strip(), row.sex, None if row.value is None
                       else Decimal(row.value), row.status, _blank(row.source), _blank(row.note))


def _same_target(current: TargetVersion | None, row: TargetInput) -> bool:
    return (current is not None and current.operation != "withdraw"
            and current.value == row.value and current.status == row.status
            and current.source == row.source and current.note == row.note)


def _reason_error(current: TargetVersion | None, reason: str | None, at: str) -> str | None:
    if current is not None and current.operation != "withdraw" \
            and current.status == "vereinbart" and not _blank(reason):
        return (f"{at}: das Ziel {_key_text(_version_key(current))} ist vereinbart "
                f"({_fmt(current.value)}); eine Änderung braucht eine Begründung (--reason)")
    return None


def _version_key(v: TargetVersion) -> tuple:
    return (v.jobcenter_id, v.unit_id, v.year, v.measure, v.sex)


def _key_text(key: tuple) -> str:
    jc, unit, year, measure, sex = key
    return (f"{measure} {year}, Jobcenter {jc}" + (f", Einheit {unit}" if unit else "")
            + ("" if sex == "all" else f", Geschlecht {sex}"))


def _year(text: str):
    return int(text) if re.fullmatch(r"\d{4}", text.strip()) else text


def _target_from_cells(c: dict[str, str], f: csvin.CsvFile) -> TargetInput:
    value = None
    if c["value"]:
        try:
            value = f.number(c["value"])
        except ValueError as e:
            raise ValueError(f"Zielwert {e}") from None
    status = STATUS_ALIASES.get(c["status"].strip().lower(), c["status"])
    return TargetInput(c["jobcenter_id"], c.get("unit_id") or None, _year(c["year"]), c["measure"],
                       (c.get("sex") or "all").strip().lower(), value, status,
                       c.get("source") or None, c.get("note") or None)


def _scope_errors(at, jobcenter_id, unit_id, known_units, known_jobcenters) -> list[str]:
    errors = []
    if known_jobcenters is not None and jobcenter_id not in known_jobcenters:
        errors.append(f"{at}: Jobcenter {jobcenter_id!r} unbekannt (nicht im Datenbestand)")
    if unit_id and known_units is not None:
        unit = known_units.get(unit_id)
        if unit is None:
            errors.append(f"{at}: Einheit {unit_id!r} unbekannt (nicht im Datenbestand)")
        elif unit.jobcenter_id != jobcenter_id:
            errors.append(f"{at}: Einheit {unit_id!r} gehört zu Jobcenter {unit.jobcenter_id}, "
                          f"nicht zu {jobcenter_id}")
    return errors


def _raise(errors: Iterable[str | None]) -> None:
    errors = [e for e in errors if e]
    if errors:
        head = "Nichts geändert. " if len(errors) == 1 else \
            f"Nichts geändert, {len(errors)} Fehler:\n"
        raise DataError(head + "\n".join(errors) + ("." if len(errors) == 1 else ""))


def _check_key(key: str) -> None:
    if key not in PLAN_KEYS:
        raise DataError(f"Schlüssel {key!r} unbekannt (erlaubt: {', '.join(PLAN_KEYS)}).")


def _must_be_open(year, measure):
    def check(current):
        if current is None:
            raise NotFound(f"Die Planungsrunde {year} für {measure} ist nicht eröffnet.")
        if current.state != "offen":
            raise DataError(f"Die Planungsrunde {year} für {measure} ist schon vereinbart; "
                            "erst wieder öffnen.")
    return check
