"""The REST API of the early warning's decisions under /api/v1/risk (issue 15): record a
caseworker's decision on a scored Intensivbetreuung candidate (the same checks and scope as the
page's form, :func:`amip.web.care.decide`, audited as ``risk.decide``), and for Controlling the
decisions and overrides by protected group (:func:`amip.web.risk.overrides`, no person)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from amip.web import care, risk
from amip.web.api import services
from amip.web.auth import current_user
from amip.web.care_api import _change, _month
from amip.web.problems import Problem, problem_responses
from amip.web.targets import steering_of
from amip.web.users import User

router = APIRouter(prefix="/api/v1/risk", tags=["api"])


class DecisionIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=60)
    month: str | None = Field(None, description="Bewertungsmonat YYYY-MM (Standard: der letzte)",
                              examples=["2020-06"])
    decision: str = Field(description="folgen | abweichen")
    reason: str | None = Field(None, max_length=500, description="Pflicht bei abweichen")


@router.post("/decisions", status_code=201,
             responses=problem_responses(400, 401, 403, 404, 409, 422, 500),
             summary="Entscheidung zur Frühwarnung erfassen / record a caseworker's decision",
             description="folgen oder abweichen (mit Grund) zur Bewertung eines Kandidaten der "
                         "Intensivbetreuung im eigenen Bestand oder Team (Rolle mit care_edit).")
def decide(request: Request, body: DecisionIn, user: User = Depends(current_user)):
    m = _month(request, body.month)
    svc, steering = services(request), steering_of(request)
    return _change(request, user, "risk.decide",
                   f"person={body.person_id} month={body.month} decision={body.decision}",
                   lambda scope: care.decide(svc, steering, scope, user, body.person_id, m,
                                             body.decision, body.reason))


@router.get("/decisions", responses=problem_responses(401, 403, 500),
            summary="Entscheidungen und Abweichungen je Gruppe / overrides by group",
            description="Für das Controlling: Entscheidungen der Fachkräfte, davon abweichend, "
                        "je geschütztem Merkmal und Gruppe; kleine Fallzahlen (1–2) sind null "
                        "und unter `suppressed` genannt.")
def decisions(request: Request, user: User = Depends(current_user)):
    if not user.rights.risk_audit:
        raise Problem(403, f"Die Rolle {user.rights.label} sieht die Prüfung der Frühwarnung "
                           "nicht (Recht risk_audit in roles.toml).", title="Forbidden")
    data = risk.overrides(services(request), steering_of(request), bool(user.rights.disclosure))
    return JSONResponse(jsonable_encoder(data))
