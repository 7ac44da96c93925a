"""Named budget scenarios (issue 13 item 4; storage side): per Jobcenter, year and name a
description and the list of plan-line changes (:mod:`amip.engine.scenario_changes`), each change
a new version with who, when and why. The result of a scenario is computed by
:mod:`amip.engine.budget_scenario`, never stored."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select

from amip.engine.scenario_changes import Change, change_from_json
from amip.errors import DataError, NotFound
from amip.steering.models import BudgetScenarioVersion
from amip.steering.versions import LABELS, YEARS, VersionedStore, _blank, moment

LABELS.setdefault(BudgetScenarioVersion, "Das Szenario")
NAME_MAX = 100


def scenario_key(jobcenter_id: str, year: int, name: str) -> str:
    return f"{jobcenter_id}|{year}|{name}"


@dataclass(frozen=True)
class ScenarioRow:
    """One version of a scenario."""
    jobcenter_id: str
    year: int
    name: str
    description: str | None
    changes: tuple[Change, ...]
    version: int
    recorded_at: dt.datetime
    recorded_by: str
    reason: str | None
    operation: str  # create | change | withdraw

    @property
    def withdrawn(self) -> bool:
        return self.operation == "withdraw"

    def as_json(self) -> dict:
        return {"jobcenter_id": self.jobcenter_id, "year": self.year, "name": self.name,
                "description": self.description, "changes": [c.text for c in self.changes],
                "version": self.version, "recorded_at": self.recorded_at.isoformat(),
                "recorded_by": self.recorded_by, "reason": self.reason,
                "operation": self.operation}


def _row(v: BudgetScenarioVersion) -> ScenarioRow:
    return ScenarioRow(v.jobcenter_id, v.year, v.name, v.description,
                       tuple(change_from_json(d) for d in json.loads(v.changes)), v.version,
                       v.recorded_at, v.recorded_by, v.reason, v.operation)


def _dump(changes) -> str:
    return json.dumps([c.as_json() for c in changes], ensure_ascii=False, sort_keys=True)


class Scenarios(VersionedStore):
    """The scenario part of :class:`amip.steering.Steering`."""

    def scenarios(self, year: int, as_of=None,
                  jobcenter_id: str | None = None) -> list[ScenarioRow]:
        """The scenarios of a year in force (as of a date or moment), by name."""
        where = [BudgetScenarioVersion.year == year]
        if jobcenter_id is not None:
            where.append(BudgetScenarioVersion.jobcenter_id == jobcenter_id)
        with self._read() as s:
            rows = [_row(v) for v in self._current(BudgetScenarioVersion, s, where,
                                                   moment(as_of))
                    if v.operation != "withdraw"]
        return sorted(rows, key=lambda r: (r.jobcenter_id, r.name.casefold(), r.name))

    def scenario(self, name: str, year: int, jobcenter_id: str,
                 as_of=None) -> ScenarioRow | None:
        """The current version of one scenario (withdrawn included), None if never saved."""
        with self._read() as s:
            v = self._latest(BudgetScenarioVersion, s, scenario_key(jobcenter_id, year, name),
                             moment(as_of))
            return _row(v) if v is not None else None

    def save_scenario(self, jobcenter_id: str, year: int, name: str, description: str | None,
                      changes: list[Change], actor: str, reason: str | None = None,
                      expected_version: int | None = None) -> ScenarioRow:
        """Save a new scenario (``expected_version`` None/0) or change one (the version it is
        based on; another current version raises StaleChange). Unchanged input writes nothing."""
        name = (name or "").strip()
        errors = []
        if not name or len(name) > NAME_MAX or "|" in name or "/" in name:
            errors.append(f"Name {name!r}: 1 bis {NAME_MAX} Zeichen, ohne | und /")
        if year not in YEARS:
            errors.append(f"Jahr {year!r} ungültig (erwartet 2000 bis 2099)")
        if not changes:
            errors.append("das Szenario enthält keine Änderung")
        if errors:
            raise DataError("Szenario nicht gespeichert: " + "; ".join(errors) + ".")
        for c in changes:  # stored changes must read back: the same checks as the text form
            change_from_json(c.as_json())
        text, description = _dump(changes), _blank(description)
        key = scenario_key(jobcenter_id, year, name)

        def work(s):
            current = self._latest(BudgetScenarioVersion, s, key)
            self._check_version(BudgetScenarioVersion, current, expected_version)
            if current is not None and current.operation != "withdraw" \
                    and current.changes == text and current.description == description:
                return _row(current)
            return _row(self._append(BudgetScenarioVersion, s, key, current, actor, reason,
                                     jobcenter_id=jobcenter_id, year=year, name=name,
                                     description=description, changes=text))
        return self._write(work, LABELS[BudgetScenarioVersion])

    def withdraw_scenario(self, name: str, year: int, jobcenter_id: str, actor: str,
                          reason: str | None, expected_version: int | None) -> ScenarioRow:
        """Withdraw a scenario (a new version marked withdrawn; its history stays)."""
        key = scenario_key(jobcenter_id, year, name)

        def work(s):
            current = self._latest(BudgetScenarioVersion, s, key)
            if current is None or current.operation == "withdraw":
                raise NotFound(f"Szenario {name!r} {year} gibt es nicht (oder es ist schon "
                               "zurückgezogen).")
            self._check_version(BudgetScenarioVersion, current, expected_version)
            return _row(self._append(BudgetScenarioVersion, s, key, current, actor, reason,
                                     "withdraw", jobcenter_id=jobcenter_id, year=year,
                                     name=current.name, description=current.description,
                                     changes=current.changes))
        return self._write(work, LABELS[BudgetScenarioVersion])

    def scenario_history(self, year: int | None = None, name: str | None = None,
                         jobcenter_id: str | None = None) -> list[ScenarioRow]:
        """Every version of the scenarios, oldest first."""
        model = BudgetScenarioVersion
        q = select(model).where(*(getattr(model, col) == value for col, value in
                                  (("year", year), ("name", name), ("jobcenter_id", jobcenter_id))
                                  if value is not None))
        with self._read() as s:
            return [_row(v) for v in s.scalars(q.order_by(BudgetScenarioVersion.recorded_at,
                                                          BudgetScenarioVersion.id))]

    def scenario_targets(self, jobcenter_id: str, year: int, as_of=None) -> dict:
        """The Jobcenter's own K2 and integrations targets of the year (all persons) that a
        scenario's K2 effect is shown against: {"K2": value|None, "integrations": value|None}."""
        out: dict = {"K2": None, "integrations": None}
        for t in self.targets(year, as_of, jobcenter_id):  # Steering.targets
            if t.measure in out and t.unit_id is None and t.sex == "all" and t.value is not None:
                out[t.measure] = float(t.value)
        return out
