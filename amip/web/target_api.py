"""The REST API of targets and plans under /api/v1 (issue 12 item 6): the same records as
``amip targets status --format json`` and ``amip plan status --format json``; changes with the
version they are based on (optimistic versioning: 409 with a German detail when stale), the
rights of ``roles.toml`` enforced and every change audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from amip.disclosure import SUPPRESSED
from amip.errors import AmipError
from amip.steering import StaleChange, TargetInput
from amip.web.api import month_param, services
from amip.web.auth import client_address, current_user
from amip.web.problems import Problem, problem_responses
from amip.web.targets import (PLAN_KEYS, jobcenter_target, may_agree, may_edit_targets,
                              may_plan, org, plan_records, protected, statuses, steering_of,
                              the_jobcenter)
from amip.web.users import User

router = APIRouter(prefix="/api/v1", tags=["api"])
YEAR = Query(ge=2000, le=2099, description="Jahr / year", examples=[2020])
YEAR_PATH = Path(ge=2000, le=2099, description="Jahr / year", examples=[2020])


# -- models --------------------------------------------------------------------------------------

class TargetOut(BaseModel):
    jobcenter_id: str
    unit_id: str | None = Field(description="Einheit; null = das Jobcenter / null: the Jobcenter")
    year: int
    measure: str = Field(description="Messgröße (K2, integrations, … see amip measures list)")
    sex: str = Field(description="all | m | w")
    value: float | None = Field(description="Zielwert; null: in Abstimmung ohne Wert")
    status: str = Field(description="vereinbart | in_abstimmung")
    source: str | None
    note: str | None
    version: int = Field(description="Version (for PUT: the version the change is based on)")
    recorded_at: dt.datetime
    recorded_by: str
    reason: str | None


class StatusOut(BaseModel):
    jobcenter_id: str
    unit_id: str | None
    year: int
    month: str
    measure: str
    sex: str
    target: float | None
    actual: float | None = Field(description="Ist")
    path: float | None = Field(description="Zielpfad")
    gap: float | None = Field(description="Abstand Ist − Zielpfad")
    gap_percent: float | None
    light: str = Field(description="green | yellow | red | grey")
    expected: float | None = Field(description="Erwartung Dezember (Median)")
    expected_lower: float | None
    expected_upper: float | None
    suppressed: bool | None = Field(None, description="Geheimhaltung (Rollen mit disclosure): "
                                    "kleine Fallzahl ausgeblendet / small count hidden")


class PlanStatusOut(BaseModel):
    unit_id: str | None
    level: str = Field(description="jobcenter | standort | team")
    year: int
    measure: str
    planned: float | None
    key_value: float | None
    proposed: float | None = Field(description="Anteil an der Planungslücke / share of the gap")
    total: float | None
    target: float | None


class TargetIn(BaseModel):
    measure: str = Field(min_length=1, max_length=60)
    year: int = Field(ge=2000, le=2099)
    unit_id: str | None = Field(None, max_length=200, description="null: das Jobcenter")
    jobcenter_id: str | None = Field(None, max_length=20, description="Standard: das einzige")
    sex: str = Field("all", description="all | m | w")
    value: Decimal | None = Field(None, description="Zielwert (null nur bei in_abstimmung)")
    status: str = Field("vereinbart", description="vereinbart | in_abstimmung")
    note: str | None = Field(None, max_length=500)
    reason: str | None = Field(None, max_length=500, description="Begründung (Pflicht bei "
                                                                  "vereinbarten Zielen)")


class TargetChange(BaseModel):
    value: Decimal | None = None
    status: str = "vereinbart"
    note: str | None = Field(None, max_length=500)
    reason: str | None = Field(None, max_length=500)
    version: int = Field(ge=0, description="die Version, auf der die Änderung beruht")


class TargetWithdrawal(BaseModel):
    reason: str | None = Field(None, max_length=500, description="Begründung (Pflicht bei "
                                                                  "vereinbarten Zielen)")
    version: int = Field(ge=1, description="die Version, auf der das Zurückziehen beruht")


class PlanIn(BaseModel):
    value: Decimal = Field(description="Planwert des Teams")
    version: int = Field(0, ge=0, description="die Version, auf der die Änderung beruht "
                                              "(0: neuer Plan)")
    reason: str | None = Field(None, max_length=500)


class AgreeIn(BaseModel):
    version: int = Field(0, ge=0, description="Version der Planungsrunde (0: noch nicht "
                                              "eröffnet: wird mit dem Schlüssel eröffnet)")
    key: str = Field("elb", description="elb | marktnah | equal")
    accepted: dict[str, Decimal] | None = Field(
        None, description="Anteil je Team; null: der Vorschlag (proposed) je Team")
    reason: str | None = Field(None, max_length=500)


class PlanOut(BaseModel):
    unit_id: str
    year: int
    measure: str
    value: float
    version: int


class RoundOut(BaseModel):
    jobcenter_id: str
    year: int
    measure: str
    key: str
    state: str
    version: int


# -- helpers -----------------------------------------------------------------------------------

def _audit(request: Request, user: User, action: str, scope: str, outcome: str) -> None:
    request.app.state.users.audit.record(user.name, action, scope, outcome,
                                         client_address(request))


def _target_json(t) -> dict:
    return {k: (float(v) if isinstance(v, Decimal) else
                v.isoformat() if isinstance(v, dt.datetime) else v)
            for k, v in ((k, getattr(t, k)) for k in TargetOut.model_fields)}


def _change(request, user, action: str, scope: str, work):
    """Run a change: 409 problem on a stale version, the error's status on bad input; audited
    (ok, failed)."""
    try:
        out = work()
    except StaleChange as e:
        _audit(request, user, action, scope, "failed")
        raise Problem(409, str(e), title="Conflict") from None
    except AmipError as e:
        _audit(request, user, action, scope, "failed")
        status = e.http_status if 400 <= e.http_status < 500 else 400
        raise Problem(status, str(e)) from None
    _audit(request, user, action, scope, "ok")
    return out


def _deny(request, user, action: str, scope: str, detail: str):
    _audit(request, user, action, scope, "denied")
    raise Problem(403, detail, title="Forbidden")


# -- routes --------------------------------------------------------------------------------------

@router.get("/targets", response_model=list[TargetOut], responses=problem_responses(401, 422, 500),
            summary="Ziele eines Jahres / the targets of a year (as `amip targets list`)")
def targets(request: Request, year: int = YEAR, user: User = Depends(current_user)):
    return JSONResponse([_target_json(t) for t in steering_of(request).targets(year=year)])


@router.get("/targets/status", response_model=list[StatusOut],
            responses=problem_responses(400, 401, 404, 422, 500),
            summary="Zielnachhaltung eines Monats / attainment of a month",
            description="Dieselben Datensätze wie `amip targets status --format json`; Rollen "
                        "unter Geheimhaltung (Lesezugriff) nur die des Jobcenters.")
def targets_status(request: Request,
                   month: str = Query(description="Berichtsmonat YYYY-MM", examples=["2020-06"]),
                   unit_id: str | None = Query(None, max_length=200,
                                               description="nur diese Einheit und darunter"),
                   user: User = Depends(current_user)):
    m = month_param("month", month)
    if unit_id is not None:
        units = {u["unit_id"] for u in services(request).table("units")}
        if unit_id not in units:
            raise Problem(404, f"Einheit {unit_id!r} gibt es nicht (siehe /units)",
                          title="Not Found")
    try:
        records = statuses(services(request), steering_of(request), m, unit_id)
    except AmipError as e:
        raise Problem(e.http_status if 400 <= e.http_status < 500 else 400, str(e)) from None
    if not user.rights.disclosure:
        return JSONResponse([r.as_json() for r in records])
    # Standorte and teams may hold small counts: the Jobcenter only, and its small counts of
    # persons hidden as on the Ziele page (null, with what is derived from them; suppressed)
    here = [r for r in records if r.unit_id is None]
    rows = []
    for r, p in zip(here, protected(here, steering_of(request).measures(), True)):
        row = p.as_json()
        if row["actual"] == SUPPRESSED:
            row["actual"] = None
        rows.append({**row, "suppressed": p != r})
    return JSONResponse(rows)


@router.get("/plans/status", response_model=list[PlanStatusOut],
            responses=problem_responses(400, 401, 404, 422, 500),
            summary="Planungsrunde / the planning round (as `amip plan status --format json`)")
def plans_status(request: Request, year: int = YEAR,
                 measure: str = Query(max_length=60, description="Messgröße, z. B. integrations"),
                 key: str = Query("elb", pattern="^(elb|marktnah|equal)$",
                                  description="elb | marktnah | equal"),
                 user: User = Depends(current_user)):
    svc, steering = services(request), steering_of(request)
    if measure not in steering.measures():
        raise Problem(404, f"Messgröße {measure!r} unbekannt", title="Not Found")
    try:
        jc = the_jobcenter(svc)
        records = plan_records(svc, steering, year, measure, key, jc)
    except AmipError as e:
        raise Problem(e.http_status if 400 <= e.http_status < 500 else 400, str(e)) from None
    return JSONResponse([r.as_json() for r in records])


@router.post("/targets", response_model=TargetOut, status_code=201,
             responses=problem_responses(400, 401, 403, 404, 409, 422, 500),
             summary="Ziel eintragen / enter a target (Rolle mit targets = edit)",
             description="Ein neues Ziel; gibt es das Ziel schon: 409 (dann PUT mit version).")
def post_target(request: Request, body: TargetIn, user: User = Depends(current_user)):
    scope = f"{body.jobcenter_id or '-'}/{body.unit_id or '-'}/{body.year}/{body.measure}/" \
            f"{body.sex}"
    if not may_edit_targets(user):
        _deny(request, user, "target.set", scope, f"Die Rolle {user.rights.label} darf keine "
                                                  "Ziele eintragen.")
    svc, steering = services(request), steering_of(request)

    def work():
        units, jcs = org(svc)
        row = TargetInput(the_jobcenter(svc, body.jobcenter_id), body.unit_id, body.year,
                          body.measure, body.sex, body.value, body.status, None, body.note)
        return steering.set_target(row, user.name, body.reason, 0, units, jcs)
    t = _change(request, user, "target.set", scope, work)
    return JSONResponse(_target_json(t), status_code=201)


@router.put("/targets/{year}/{measure}", response_model=TargetOut,
            responses=problem_responses(400, 401, 403, 404, 409, 422, 500),
            summary="Ziel ändern / change a target (with the version it is based on)",
            description="Stimmt `version` nicht mit der aktuellen Version überein: 409 mit "
                        "deutscher Meldung (jemand anderes hat das Ziel inzwischen geändert).")
def put_target(request: Request, body: TargetChange, year: int = YEAR_PATH,
               measure: str = Path(max_length=60),
               unit_id: str | None = Query(None, max_length=200, description="null: Jobcenter"),
               sex: str = Query("all", pattern="^(all|m|w)$"),
               jobcenter_id: str | None = Query(None, max_length=20),
               user: User = Depends(current_user)):
    scope = f"{jobcenter_id or '-'}/{unit_id or '-'}/{year}/{measure}/{sex}"
    if not may_edit_targets(user):
        _deny(request, user, "target.set", scope, f"Die Rolle {user.rights.label} darf keine "
                                                  "Ziele ändern.")
    svc, steering = services(request), steering_of(request)

    def work():
        units, jcs = org(svc)
        jc = the_jobcenter(svc, jobcenter_id)
        current = steering.target((jc, unit_id, year, measure, sex))
        if current is None or current.withdrawn:
            raise Problem(404, f"Ziel {measure} {year} gibt es nicht (POST /targets zum "
                               "Eintragen).", title="Not Found")
        row = TargetInput(jc, unit_id, year, measure, sex, body.value, body.status,
                          current.source, body.note)
        return steering.set_target(row, user.name, body.reason, body.version, units, jcs)
    return JSONResponse(_target_json(_change(request, user, "target.set", scope, work)))


@router.post("/targets/{year}/{measure}/withdraw", response_model=TargetOut,
             responses=problem_responses(400, 401, 403, 404, 409, 422, 500),
             summary="Ziel zurückziehen / withdraw a target (a new version; nothing is deleted)",
             description="Das Ziel gilt danach nicht mehr; seine Versionen bleiben im Verlauf. "
                         "Stimmt `version` nicht: 409.")
def withdraw_target(request: Request, body: TargetWithdrawal, year: int = YEAR_PATH,
                    measure: str = Path(max_length=60),
                    unit_id: str | None = Query(None, max_length=200,
                                                description="null: Jobcenter"),
                    sex: str = Query("all", pattern="^(all|m|w)$"),
                    jobcenter_id: str | None = Query(None, max_length=20),
                    user: User = Depends(current_user)):
    scope = f"{jobcenter_id or '-'}/{unit_id or '-'}/{year}/{measure}/{sex}"
    if not may_edit_targets(user):
        _deny(request, user, "target.withdraw", scope, f"Die Rolle {user.rights.label} darf "
                                                       "keine Ziele zurückziehen.")
    svc, steering = services(request), steering_of(request)

    def work():
        key = (the_jobcenter(svc, jobcenter_id), unit_id, year, measure, sex)
        current = steering.target(key)
        if current is None or current.withdrawn:
            raise Problem(404, f"Ziel {measure} {year} gibt es nicht.", title="Not Found")
        return steering.withdraw_target(key, user.name, body.reason, body.version)
    return JSONResponse(_target_json(_change(request, user, "target.withdraw", scope, work)))


@router.post("/plans/{year}/{measure}/teams/{unit_id}", response_model=PlanOut,
             responses=problem_responses(400, 401, 403, 404, 409, 422, 500),
             summary="Plan eines Teams / a team's plan (Teamleitung: nur das eigene Team)")
def post_plan(request: Request, body: PlanIn, unit_id: str = Path(max_length=200),
              measure: str = Path(max_length=60), year: int = YEAR_PATH,
              user: User = Depends(current_user)):
    scope = f"{unit_id}/{year}/{measure}"
    if not may_plan(user, unit_id):
        _deny(request, user, "plan.set", scope, f"Die Rolle {user.rights.label} darf den Plan "
                                                f"des Teams {unit_id} nicht eintragen.")
    svc, steering = services(request), steering_of(request)

    def work():
        units, _ = org(svc)
        return steering.set_plan(unit_id, year, measure, body.value, user.name, body.version,
                                 body.reason, units)
    p = _change(request, user, "plan.set", scope, work)
    return JSONResponse({"unit_id": p.unit_id, "year": p.year, "measure": p.measure,
                         "value": float(p.value), "version": p.version})


@router.post("/plans/{year}/{measure}/agree", response_model=RoundOut,
             responses=problem_responses(400, 401, 403, 404, 409, 422, 500),
             summary="Planungsrunde vereinbaren / agree the planning round (agree_plans)",
             description="Ohne `accepted`: der Vorschlag je Team. Version 0: die Runde wird mit "
                         "`key` eröffnet und vereinbart.")
def agree(request: Request, body: AgreeIn, measure: str = Path(max_length=60),
          year: int = YEAR_PATH,
          user: User = Depends(current_user)):
    scope = f"{year}/{measure}"
    if not may_agree(user):
        _deny(request, user, "plan.agree", scope, f"Die Rolle {user.rights.label} darf keine "
                                                  "Planungsrunde vereinbaren.")
    if body.key not in PLAN_KEYS:
        raise Problem(422, f"Schlüssel {body.key!r}: elb, marktnah oder equal")
    svc, steering = services(request), steering_of(request)

    def work():
        jc = the_jobcenter(svc)
        version = body.version
        if version == 0 and steering.plan_round(jc, year, measure) is None:
            version = steering.open_round(jc, year, measure, user.name, body.key).version
        accepted = body.accepted
        if accepted is None:
            rnd = steering.plan_round(jc, year, measure)
            key = rnd.key if rnd and rnd.key in PLAN_KEYS else body.key
            accepted = {r.unit_id: Decimal(str(r.proposed or 0))
                        for r in plan_records(svc, steering, year, measure, key, jc)
                        if r.level == "team"}
        return steering.agree_round(jc, year, measure, accepted, user.name, version,
                                    body.reason)
    r = _change(request, user, "plan.agree", scope, work)
    return JSONResponse({k: getattr(r, k) for k in RoundOut.model_fields})


__all__ = ["router", "jobcenter_target"]
