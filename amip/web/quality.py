"""Data quality in the web (issue 14 items 3–5): the rules' counts, trend and lights
(:func:`amip.engine.quality_rules.run_quality`, cached per data state) and the follow-up list
(:func:`amip.steering.quality.followup_list`) scoped by the role's ``persons`` right — shared by
the page "Datenqualität" (:mod:`amip.web.quality_pages`) and the API
(:mod:`amip.web.quality_api`).

Person-level rows (row keys hold pseudonymous person ids): ``persons = "all"`` sees every row,
``team`` the rows of the own team (and the units below it), ``caseload`` the rows of the own
caseload's persons, ``none`` only counts. Callers audit each read of rows (``quality.read``) and
each change (``quality.followup``).
"""

from __future__ import annotations

from dataclasses import dataclass

from amip.catalogue.monitors import quality_rules
from amip.engine.quality_rules import QualityReport, flagged_rows, run_quality, still_flagged
from amip.errors import AmipError, DataError
from amip.steering.quality import followup_counts, followup_list, with_state
from amip.web.auth import client_address


class Forbidden(AmipError):
    http_status = 403


@dataclass(frozen=True)
class RowScope:
    """Which flagged rows a user may read: ``rows`` False = none (counts only); ``units`` None =
    every team; ``persons`` None = every person of those teams."""
    rows: bool
    units: frozenset[str] | None = None
    persons: frozenset[str] | None = None
    label: str = "alle"


def quality_report(services, month: int) -> QualityReport:
    """All rules for the 12 months ending with ``month``, with trend and teams (cached per
    data state: the rules take seconds)."""
    return services.memoized("quality_report", lambda m: services.query(run_quality, m), month)


def _flagged(services, month: int) -> list[dict]:
    return services.memoized("quality_rows", lambda m: services.query(flagged_rows, None, m),
                             month)


def _still(services, month: int):
    def check(rule_id: str, keys: set[str]) -> set[str]:
        return services.query(still_flagged, rule_id, keys, month)
    return check


def row_scope(services, user, month: int) -> RowScope:
    """The rows ``user`` may read (the role's ``persons`` right, roles.toml)."""
    persons = user.rights.persons
    if persons == "all":
        return RowScope(True)
    if persons in ("team", "caseload") and user.unit_id:
        try:
            jc, units = services.unit_scope(user.unit_id)
        except AmipError:
            return RowScope(False, label="keine")
        if units is None:  # a unit above the teams gives no persons (as /api/v1/persons)
            return RowScope(False, label="keine")
        if persons == "team":
            return RowScope(True, frozenset(units), label=f"Team {user.unit_id}")
        if not user.caseworker_id:
            return RowScope(False, label="keine")
        mine = services.persons(month, jc, frozenset(units), user.caseworker_id)
        return RowScope(True, frozenset(units), frozenset(r["person_id"] for r in mine),
                        label=f"eigener Bestand ({user.caseworker_id})")
    return RowScope(False, label="keine")


def followups_view(services, steering, user, month: int, state: str | None = None,
                   unit_id: str | None = None, rule_id: str | None = None
                   ) -> tuple[list[dict] | None, dict, RowScope]:
    """(the follow-up rows the user may read, None for counts only; counts per rule and
    state of the rows in the user's scope (for ``none``: the whole Jobcenter); the scope)."""
    if rule_id is not None and rule_id not in quality_rules():
        raise DataError(f"Unbekannte Prüfregel {rule_id!r}.")
    scope = row_scope(services, user, month)
    flagged = _flagged(services, month)
    if rule_id is not None:
        flagged = [r for r in flagged if r["rule_id"] == rule_id]
    fus = steering.followups(rule_id=rule_id)
    units = scope.units
    if unit_id:
        if units is not None and unit_id not in units:
            raise Forbidden(f"Die Rolle {user.rights.label} sieht die Nachverfolgung nur für "
                            f"{scope.label}.")
        units = frozenset({unit_id})
    if scope.persons is not None:
        flagged = [r for r in flagged if r["person_id"] in scope.persons]
        keys = {(r["rule_id"], r["row_key"]) for r in flagged}
        fus = [f for f in fus if f.key in keys]
    items = followup_list(flagged, fus, None, None if units is None else set(units),
                          _still(services, month))
    counts = followup_counts(items)
    items = with_state(items, state)
    return (items if scope.rows else None), counts, scope


def set_state(services, steering, user, month: int, rule_id: str, row_key: str, state: str,
              reason: str | None, version: int, note: str | None = None) -> dict:
    """Record a row's follow-up state for ``user``: only a row the user may read (else
    Forbidden); returns the row's new list entry. StaleChange / DataError pass through."""
    scope = row_scope(services, user, month)
    if not scope.rows:
        raise Forbidden(f"Die Rolle {user.rights.label} darf die Nachverfolgung nicht ändern "
                        "(keine personenbezogenen Zeilen).")
    rows, _, _ = followups_view(services, steering, user, month, rule_id=rule_id
                                if rule_id in quality_rules() else None)
    row = next((r for r in rows if r["rule_id"] == rule_id and r["row_key"] == row_key), None)
    if row is None and rule_id in quality_rules():
        raise Forbidden(f"Die Zeile {row_key!r} der Regel {rule_id!r} ist nicht in der Liste "
                        f"für {scope.label}.")
    saved = steering.set_followup_state(rule_id, row_key, state, user.name, reason, version,
                                        (row or {}).get("jobcenter_id"),
                                        (row or {}).get("unit_id"), note)
    return {**(row or {}), "state": saved.state, "version": saved.version,
            "recorded_by": saved.recorded_by, "recorded_at": saved.recorded_at,
            "reason": saved.reason, "note": saved.note}


def audit(request, user, action: str, scope: str, outcome: str) -> None:
    request.app.state.users.audit.record(user.name, action, scope, outcome,
                                         client_address(request))
