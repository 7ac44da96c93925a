"""What the page "Intensivbetreuung" and its API share: who sees and changes whose
Intensivbetreuung (``care`` and ``care_edit`` in roles.toml), the candidate list and the
enrolments' status of that scope (the engine's records, the CLI's), and the changes with their
checks. The page and the API add forms, JSON and the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from amip.engine.calendar import format_month, month_end
from amip.disclosure import suppress
from amip.engine.care import (PHASES, candidate_rows, care_counts, care_outcomes,
                              care_status, enrolment_facts, filter_candidates)
from amip.errors import AmipError, DataError
from amip.risk.reasons import MAIN_TARGET, candidate_scores
from amip.web.targets import fingerprint, the_jobcenter

#: the most candidate rows a page shows (the API gives all)
PAGE_ROWS = 200


class CareDenied(AmipError):
    http_status = 403


@dataclass(frozen=True)
class CareScope:
    """Whose Intensivbetreuung a user sees: the Jobcenter, and within it the teams ``units``
    (None: all) and the caseworker (None: any); ``persons`` False: counts only."""
    jobcenter_id: str
    units: frozenset[str] | None
    caseworker_id: str | None
    persons: bool
    edit: bool

    def whole(self) -> "CareScope":
        """The whole Jobcenter, counts only."""
        return CareScope(self.jobcenter_id, None, None, False, False)

    def text(self) -> str:
        if self.caseworker_id:
            return f"caseworker={self.caseworker_id}"
        if self.units is not None:
            return "units=" + ",".join(sorted(self.units))
        return f"jobcenter={self.jobcenter_id}"


def care_scope(services, user) -> CareScope:
    """The scope of ``user`` (roles.toml ``care``); a team or caseload role without its unit or
    caseworker id sees no person."""
    rights = user.rights
    jc = the_jobcenter(services)
    scope = rights.care
    if scope == "all":
        return CareScope(jc, None, None, True, rights.care_edit)
    units = None
    if scope in ("team", "caseload") and user.unit_id:
        try:
            own_jc, below = services.unit_scope(user.unit_id)
        except AmipError:
            own_jc, below = None, None
        if own_jc == jc and below is not None:
            units = below
    if scope == "team" and units is not None:
        return CareScope(jc, units, None, True, rights.care_edit)
    if scope == "caseload" and user.caseworker_id:
        return CareScope(jc, units, user.caseworker_id, True, rights.care_edit)
    return CareScope(jc, frozenset(), None, False, False)


def scored_candidates(db, month: int, jobcenter_id: str | None, store) -> list[dict]:
    """:func:`candidate_rows` with the early warning's scores and reasons where a model was
    trained for ``store`` (module level: it runs in a query process)."""
    scores = candidate_scores(db, store, month) if store else None
    return candidate_rows(db, month, jobcenter_id, scores)


def candidates(services, scope: CareScope, month: int) -> list[dict]:
    """The candidate rows of the scope (each person once unless one caseworker is asked)."""
    store = services.settings.store
    rows = services.memoized("care_candidates", lambda m, jc: services.query(
        scored_candidates, m, jc, store), month, scope.jobcenter_id)
    return filter_candidates(rows, scope.caseworker_id, scope.units)


def enrolments(steering, scope: CareScope, month: int):
    """The stored enrolments of the scope that started by the end of ``month``."""
    end = month_end(month)
    return [e for e in steering.enrolments(jobcenter_id=scope.jobcenter_id,
                                           caseworker_id=scope.caseworker_id,
                                           unit_ids=scope.units)
            if e.start_on <= end]


def status(services, steering, scope: CareScope, month: int) -> list[dict]:
    """:func:`amip.engine.care.care_status` of the scope's enrolments."""
    rows = enrolments(steering, scope, month)
    contacts = steering.contacts(person_ids={e.person_id for e in rows})
    return services.query(care_status, rows, contacts, month)


def counts(services, steering, scope: CareScope, month: int, hide: bool = False) -> dict:
    """Counts only (for roles that see no person): candidates and enrolments of the Jobcenter.
    ``hide``: under the disclosure control of published figures (counts of 1–2, and what would
    reveal them through enrolments = laufend + abgelaufen + beendet, are null and listed in
    ``suppressed``)."""
    whole = scope.whole()
    rows = status(services, steering, whole, month)
    out = {"candidates": len(candidates(services, whole, month)), **care_counts(rows)}
    hidden = suppress(out, [("enrolments", list(PHASES))]) if hide else set()
    return {**{k: None if k in hidden else v for k, v in out.items()},
            "suppressed": sorted(hidden)}


def outcomes(services, steering, jobcenter_id: str, month: int) -> dict:
    """:func:`amip.engine.care.care_outcomes` of the Jobcenter's enrolments, cached per data
    state and enrolment versions."""
    rows = [e for e in steering.enrolments(jobcenter_id=jobcenter_id)]
    key = fingerprint([(e.key, e.version) for e in rows])
    return services.memoized("care_outcomes", lambda *_: services.query(
        care_outcomes, rows, month, jobcenter_id), month, jobcenter_id, key)


def quota_used(steering, caseworker_id: str, month: int) -> int:
    """The caseworker's enrolments running (not ended) in ``month``."""
    end = month_end(month)
    return sum(1 for e in steering.enrolments(caseworker_id=caseworker_id)
               if e.state == "enrolled" and e.start_on <= end and e.planned_end >= end)


# -- changes -------------------------------------------------------------------------------------

def _check_edit(scope: CareScope, user) -> None:
    if not scope.edit:
        raise CareDenied(f"Die Rolle {user.rights.label} darf in der Intensivbetreuung nichts "
                         "ändern.")


def enrol(services, steering, scope: CareScope, user, person_id: str, caseworker_id: str | None,
          month: int, reason: str | None):
    """Enrol ``person_id`` with ``caseworker_id`` (an IFK: always their own) from ``month``."""
    _check_edit(scope, user)
    cw = scope.caseworker_id or caseworker_id
    if not cw:
        raise DataError("Nicht eingeschrieben: die Fachkraft fehlt.")
    facts = services.query(enrolment_facts, month, cw, person_id)
    if scope.units is not None and facts["in_caseload"] and facts["unit_id"] not in scope.units:
        raise CareDenied(f"Die Rolle {user.rights.label} darf nur für das eigene Team "
                         "einschreiben.")
    return steering.enrol(scope.jobcenter_id, person_id, cw, month, user.name, reason,
                          facts=facts)


def _own_enrolment(steering, scope: CareScope, user, person_id: str):
    mine = [e for e in steering.enrolments(jobcenter_id=scope.jobcenter_id,
                                           caseworker_id=scope.caseworker_id,
                                           unit_ids=scope.units, person_id=person_id)]
    if not mine:
        raise CareDenied(f"Person {person_id} ist nicht in einer Intensivbetreuung, die die "
                         f"Rolle {user.rights.label} ändern darf.")
    return mine[-1]


def record_contact(steering, scope: CareScope, user, person_id: str, contact_on: dt.date,
                   kind: str, note: str | None):
    _check_edit(scope, user)
    e = _own_enrolment(steering, scope, user, person_id)
    return steering.record_contact(person_id, e.caseworker_id, contact_on, kind, user.name,
                                   note, scope.jobcenter_id)


def end(steering, scope: CareScope, user, person_id: str, reason: str,
        ended_on: dt.date | None = None):
    _check_edit(scope, user)
    _own_enrolment(steering, scope, user, person_id)
    return steering.end_enrolment(person_id, user.name, reason, ended_on)


# -- the caseworker's decision on the early warning (issue 15) -----------------------------------

def decisions(steering, month: int) -> dict[str, object]:
    """person_id → the decision in force on the main target's score of ``month``."""
    return {d.person_id: d for d in steering.decisions(format_month(month))
            if d.target == MAIN_TARGET}


def decide(services, steering, scope: CareScope, user, person_id: str, month: int,
           decision: str, reason: str | None):
    """Record whether ``user`` follows the score shown for ``person_id`` (``folgen``) or not
    (``abweichen``, a reason required), on a scored candidate of the own caseload or team only;
    the score shown is stored with the decision (:meth:`amip.steering.Steering.decide`)."""
    _check_edit(scope, user)
    mine = [c for c in candidates(services, scope, month) if c["person_id"] == person_id]
    if not mine:
        raise CareDenied(f"Person {person_id} steht nicht auf der Kandidatenliste, die die "
                         f"Rolle {user.rights.label} sieht.")
    if mine[0]["score"] is None:
        raise DataError(f"Person {person_id} hat {format_month(month)} keine Frühwarnung "
                        f"({mine[0]['score_reason'] or 'nicht bewertet'}).")
    before = decisions(steering, month).get(person_id)
    return steering.decide(person_id, format_month(month), decision, user.name,
                           reason.strip() if reason else None, mine[0]["score"], MAIN_TARGET,
                           scope.caseworker_id, before.version if before else 0)
