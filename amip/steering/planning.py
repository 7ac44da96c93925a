"""Team plans and planning rounds (domain reference §11 item 36; storage side): each team's
planned value, the round's key and state, and each team's accepted share when it is agreed."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select

from amip.errors import ConfigurationError, DataError, NotFound
from amip.steering import csvin
from amip.steering.models import PlanRoundVersion, PlanVersion
from amip.steering.rows import PLAN_KEYS, ImportSummary, PlanRound, PlanRow, UnitInfo
from amip.steering.versions import LABELS, YEARS, VersionedStore, _blank, _raise, moment

PLAN_COLUMNS = ("unit_id", "year", "measure", "value")


def plan_key(unit_id, year, measure) -> str:
    return f"{unit_id}|{year}|{measure}"


def round_key(jobcenter_id, year, measure) -> str:
    return f"{jobcenter_id}|{year}|{measure}"


def _plan_row(v: PlanVersion) -> PlanRow:
    return PlanRow(v.jobcenter_id, v.unit_id, v.year, v.measure, v.value, v.accepted, v.version,
                   v.recorded_at, v.recorded_by, v.reason, v.operation)


def _round(v: PlanRoundVersion) -> PlanRound:
    return PlanRound(v.jobcenter_id, v.year, v.measure, v.key, v.state, v.version, v.recorded_at,
                     v.recorded_by, v.reason, v.operation)


def _year(text: str):
    return int(text) if re.fullmatch(r"\d{4}", text.strip()) else text


class Planning(VersionedStore):
    """The planning part of :class:`amip.steering.Steering` (which adds ``measures()``)."""

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
