"""The steering store's API (:class:`Steering`): targets, user-defined measures and their monthly
values — and, from :mod:`amip.steering.planning`, team plans and planning rounds; every change a
new version with who, when and why (domain reference §11 items 31, 36, 37; §12.1 item 44).
See amip/steering/README.md.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from amip import i18n
from amip.catalogue.targets import (DIRECTIONS, KINDS, UNITS, MeasureDef, computations,
                                    measure_definitions, measure_from_row)
from amip.errors import DataError, NotFound
from amip.steering import csvin
from amip.steering.care import Care
from amip.steering.models import MeasureValueVersion, MeasureVersion, TargetVersion
from amip.steering.planning import Planning, _year
from amip.steering.quality import QualityFollowups
from amip.steering.risk import RiskDecisions
from amip.steering.rows import (SEXES, STATUSES, ImportSummary, TargetInput, TargetRow,
                                UnitInfo)
from amip.steering.scenarios import Scenarios
from amip.steering.versions import LABELS, YEARS, _blank, _raise, moment

MEASURE_ID = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
TARGET_COLUMNS = (("jobcenter_id", "year", "measure", "value", "status"),
                  ("unit_id", "sex", "source", "note"))
VALUE_COLUMNS = (("measure", "jobcenter_id", "month", "value"), ("unit_id",))
STATUS_ALIASES = {"in abstimmung": "in_abstimmung", "in_abstimmung": "in_abstimmung",
                  "vereinbart": "vereinbart"}


def target_key(jobcenter_id, unit_id, year, measure, sex) -> str:
    return f"{jobcenter_id}|{unit_id or ''}|{year}|{measure}|{sex}"


def value_key(measure, jobcenter_id, unit_id, month) -> str:
    return f"{measure}|{jobcenter_id}|{unit_id or ''}|{month}"


def _target_row(v: TargetVersion) -> TargetRow:
    return TargetRow(v.jobcenter_id, v.unit_id, v.year, v.measure, v.sex, v.value, v.status,
                     v.source, v.note, v.version, v.recorded_at, v.recorded_by, v.reason,
                     v.operation == "withdraw", v.operation)


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return "leer"
    return i18n.num(value, max(0, -value.normalize().as_tuple().exponent))


class Steering(Care, RiskDecisions, Scenarios, QualityFollowups, Planning):
    """The steering store (see the module and amip/steering/README.md)."""

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
        if measure_id in measure_definitions():
            errors.append(f"Kennung {measure_id!r} ist eine Messgröße des Katalogs")
        elif not MEASURE_ID.match(measure_id or ""):
            errors.append(f"Kennung {measure_id!r}: nur Kleinbuchstaben, Ziffern und _, "
                          "beginnend mit einem Buchstaben (2–60 Zeichen)")
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

    def measure_values(self, measure: str,
                       as_of=None) -> dict[tuple[str, str | None, str], Decimal]:
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
            errors.append(f"{at}: Zielwert leer bei Status vereinbart "
                          "(leer nur bei „in_abstimmung“)")
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
                row = _target_from_cells(c, f)
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
