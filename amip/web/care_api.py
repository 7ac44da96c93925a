"""The REST API of the Intensivbetreuung under /api/v1/care (issue 14 item 4): the same records
as ``amip care candidates|list --format json``; enrolments, contacts and endings as changes.
The scope of ``roles.toml`` (``care``, ``care_edit``) is enforced (:mod:`amip.web.care`): a role
that sees no person gets counts only; every person-level read and every change is audited."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from amip.errors import AmipError
from amip.web import care
from amip.web.api import month_param, services
from amip.web.auth import current_user
from amip.web.problems import Problem, problem_responses
from amip.web.target_pages import _audit
from amip.web.targets import steering_of
from amip.web.users import User

router = APIRouter(prefix="/api/v1/care", tags=["api"])
MONTH = Query(None, description="Monat YYYY-MM (Standard: der letzte vollständige)",
              examples=["2020-06"])


class EnrolIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=60)
    caseworker_id: str | None = Field(None, max_length=60,
                                      description="die Fachkraft (IFK: immer die eigene)")
    month: str = Field(description="Beginn YYYY-MM", examples=["2020-06"])
    reason: str | None = Field(None, max_length=500,
                               description="Pflicht über das Kontingent hinaus")


class ContactIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=60)
    contact_on: dt.date
    kind: str = Field(description="beratung | eingliederungsvereinbarung | nachbetreuung | other")
    note: str | None = Field(None, max_length=500)


class EndIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=60)
    reason: str = Field(min_length=1, max_length=500)
    ended_on: dt.date | None = None


def _month(request: Request, month: str | None) -> int:
    m = month_param("month", month)
    if m is None:
        m = services(request).latest_month()
        if m is None:
            raise Problem(404, "Es sind noch keine Daten importiert.", title="Not Found")
    return m


def _scope(request: Request, user: User, month: str | None) -> tuple[int, care.CareScope]:
    """The month asked for and the user's scope; a person-level read is audited."""
    m = _month(request, month)
    try:
        scope = care.care_scope(services(request), user)
    except AmipError as e:
        raise Problem(e.http_status if 400 <= e.http_status < 500 else 400, str(e)) from None
    if scope.persons:
        _audit(request, user, "care.read", f"month={m} {scope.text()}", "ok")
    return m, scope


@router.get("/candidates", responses=problem_responses(400, 401, 404, 422, 500),
            summary="Kandidaten der Intensivbetreuung / candidates near the LZB threshold",
            description="Wie `amip care candidates --format json`, im Bereich der Rolle; "
                        "Rollen ohne Personenzugriff erhalten nur die Anzahl.")
def candidates(request: Request, month: str | None = MONTH, user: User = Depends(current_user)):
    m, scope = _scope(request, user, month)
    if not scope.persons:
        return JSONResponse({"count": len(care.candidates(services(request), scope.whole(), m))})
    return JSONResponse(jsonable_encoder(care.candidates(services(request), scope, m)))


@router.get("/enrolments", responses=problem_responses(400, 401, 404, 422, 500),
            summary="Intensivbetreuungen mit Kontakten / enrolments with their status",
            description="Wie `amip care list --format json`, im Bereich der Rolle; Rollen ohne "
                        "Personenzugriff erhalten nur Zahlen.")
def enrolments(request: Request, month: str | None = MONTH, user: User = Depends(current_user)):
    m, scope = _scope(request, user, month)
    svc, steering = services(request), steering_of(request)
    if not scope.persons:
        return JSONResponse(care.counts(svc, steering, scope, m, bool(user.rights.disclosure)))
    return JSONResponse(jsonable_encoder(care.status(svc, steering, scope, m)))


def _change(request: Request, user: User, action: str, what: str, work):
    try:
        scope = care.care_scope(services(request), user)
        row = work(scope)
    except care.CareDenied as e:
        _audit(request, user, action, what, "denied")
        raise Problem(403, str(e), title="Forbidden") from None
    except AmipError as e:
        _audit(request, user, action, what, "failed")
        raise Problem(e.http_status if 400 <= e.http_status < 500 else 400, str(e)) from None
    _audit(request, user, action, what, "ok")
    return JSONResponse(jsonable_encoder({k: getattr(row, k) for k in row.__dataclass_fields__}),
                        status_code=201)


@router.post("/enrol", status_code=201, responses=problem_responses(400, 401, 403, 404, 422, 500),
             summary="In Intensivbetreuung aufnehmen / enrol (Rolle mit care_edit)")
def enrol(request: Request, body: EnrolIn, user: User = Depends(current_user)):
    m = _month(request, body.month)
    svc, steering = services(request), steering_of(request)
    return _change(request, user, "care.enrol", f"person={body.person_id} month={body.month}",
                   lambda scope: care.enrol(svc, steering, scope, user, body.person_id,
                                            body.caseworker_id, m, body.reason))


@router.post("/contact", status_code=201, responses=problem_responses(400, 401, 403, 404, 422, 500),
             summary="Kontakt erfassen / record a counselling contact")
def contact(request: Request, body: ContactIn, user: User = Depends(current_user)):
    steering = steering_of(request)
    return _change(request, user, "care.contact", f"person={body.person_id} kind={body.kind}",
                   lambda scope: care.record_contact(steering, scope, user, body.person_id,
                                                     body.contact_on, body.kind, body.note))


@router.post("/end", status_code=201, responses=problem_responses(400, 401, 403, 404, 422, 500),
             summary="Intensivbetreuung beenden / end an enrolment (with a reason)")
def end(request: Request, body: EndIn, user: User = Depends(current_user)):
    steering = steering_of(request)
    return _change(request, user, "care.end", f"person={body.person_id}",
                   lambda scope: care.end(steering, scope, user, body.person_id, body.reason,
                                          body.ended_on))


@router.get("/outcomes", responses=problem_responses(400, 401, 404, 422, 500),
            summary="Ergebnisse der Intensivbetreuung / outcomes (descriptive)",
            description="Wie `amip care outcomes --format json`: Integration während oder nach "
                        "der Betreuung, verglichen mit ähnlichen nicht betreuten Kandidaten "
                        "(beschreibend, kein Wirkungsnachweis). Die Zeilen je Person nur für "
                        "Rollen, die das ganze Jobcenter sehen; sonst nur die Summe.")
def outcomes(request: Request, month: str | None = MONTH, user: User = Depends(current_user)):
    m, scope = _scope(request, user, month)
    data = care.outcomes(services(request), steering_of(request), scope.jobcenter_id, m)
    if not (scope.persons and scope.units is None and scope.caseworker_id is None):
        data = {k: v for k, v in data.items() if k != "rows"}
    return JSONResponse(jsonable_encoder(data))
