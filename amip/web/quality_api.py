"""The REST API of the data-quality monitor under /api/v1 (issue 14 item 4): the same records as
``amip quality --format json``, ``amip quality trend --format json`` and ``amip quality followup
list --format json``. Follow-up rows are person-level: only for roles whose ``persons`` right
allows them (Teamleitung: the own team), each read audited (``quality.read``); other roles get
the counts. A state change names the version it is based on (409 when stale) and is audited
(``quality.followup``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from amip.engine.calendar import format_month
from amip.engine.quality_rules import report_json, trend_records
from amip.errors import AmipError
from amip.steering import StaleChange
from amip.web.api import month_param, services
from amip.web.auth import current_user
from amip.web.problems import Problem, problem_responses
from amip.web.quality import audit, followups_view, quality_report, set_state
from amip.web.targets import steering_of
from amip.web.users import User

router = APIRouter(prefix="/api/v1", tags=["api"])
MONTH = Query(None, description="letzter Monat des Zeitraums YYYY-MM (Standard: der letzte "
                                "Berichtsmonat) / last month of the period", max_length=7)


class QualityOut(BaseModel):
    from_: str = Field(alias="from", description="erster Monat / first month YYYY-MM")
    to: str
    jobcenter_id: str | None
    total: int = Field(description="Auffälligkeiten aller Regeln / flagged rows of all rules")
    rules: list[dict] = Field(description="je Regel: id, name, severity, source, checks, kind, "
                                          "unit, params, flagged (null: nicht prüfbar), reason, "
                                          "light, light_reason, trend, by_team; Fallprüfungen "
                                          "auch error_rate, target_pct, error_rates")


class TrendOut(BaseModel):
    from_: str = Field(alias="from")
    to: str
    trend: list[dict] = Field(description="je Regel und Monat: rule_id, month, flagged, errors, "
                                          "items, rate, target_pct")


class FollowupsOut(BaseModel):
    month: str
    scope: str = Field(description="welche Zeilen die Rolle sieht / rows the role may read")
    counts: dict[str, dict[str, int]] = Field(description="Regel → Status → Anzahl")
    rows: list[dict] | None = Field(description="null: die Rolle sieht nur Zahlen / counts only")


class FollowupIn(BaseModel):
    rule_id: str = Field(min_length=1, max_length=60)
    row_key: str = Field(min_length=1, max_length=300)
    state: str = Field(min_length=1, max_length=40, description="offen | in_klaerung | erledigt")
    reason: str | None = Field(None, max_length=500)
    note: str | None = Field(None, max_length=500)
    version: int = Field(0, ge=0, description="die Version, auf der die Änderung beruht "
                                              "(0: noch kein Status erfasst)")


def _month(request: Request, month: str | None) -> int:
    m = month_param("month", month)
    if m is None:
        m = services(request).latest_month()
        if m is None:
            raise Problem(404, "Der Datenbestand enthält noch keine Daten")
    return m


def _row_json(i: dict) -> dict:
    return {"rule_id": i.get("rule_id"), "row_key": i.get("row_key"),
            "person_id": i.get("person_id"), "jobcenter_id": i.get("jobcenter_id"),
            "unit_id": i.get("unit_id"),
            "month": None if i.get("m") is None else format_month(i["m"]),
            "flagged": i.get("flagged"), "state": i.get("state"), "version": i.get("version"),
            "recorded_at": i["recorded_at"].isoformat() if i.get("recorded_at") else None,
            "recorded_by": i.get("recorded_by"), "reason": i.get("reason"),
            "note": i.get("note")}


@router.get("/quality", response_model=QualityOut, responses=problem_responses(400, 401, 404, 500),
            summary="Prüfregeln der Datenqualität mit Auffälligkeiten / data-quality rules "
                    "with counts (as `amip quality --format json`)")
def quality(request: Request, month: str | None = MONTH, user: User = Depends(current_user)):
    out = report_json(quality_report(services(request), _month(request, month)))
    if user.rights.disclosure:  # counts per team are small: not for roles under disclosure control
        for r in out["rules"]:
            r["by_team"] = None
    return JSONResponse(out)


@router.get("/quality/trend", response_model=TrendOut,
            responses=problem_responses(400, 401, 404, 500),
            summary="Verlauf je Regel und Monat / trend per rule and month (as `amip quality "
                    "trend --format json`)")
def quality_trend(request: Request, month: str | None = MONTH,
                  user: User = Depends(current_user)):
    report = quality_report(services(request), _month(request, month))
    return JSONResponse({"from": format_month(report.m_lo), "to": format_month(report.m_hi),
                         "trend": trend_records(report)})


@router.get("/quality/followups", response_model=FollowupsOut,
            responses=problem_responses(400, 401, 403, 404, 422, 500),
            summary="Nachverfolgung der Auffälligkeiten (personenbezogen: protokolliert) / "
                    "follow-up list (person-level rows audited)",
            description="Controlling und Geschäftsführung: alle Zeilen; Teamleitung: das eigene "
                        "Team; Integrationsfachkraft: der eigene Bestand; Lesezugriff: nur "
                        "Zahlen (rows = null).")
def followups(request: Request, month: str | None = MONTH,
              unit: str | None = Query(None, max_length=200, description="nur dieses Team"),
              state: str | None = Query(None, max_length=40,
                                        description="offen | in_klaerung | erledigt | behoben"),
              rule: str | None = Query(None, max_length=60, description="nur diese Regel"),
              user: User = Depends(current_user)):
    m = _month(request, month)
    try:
        items, counts, scope = followups_view(services(request), steering_of(request), user, m,
                                              state, unit, rule)
    except AmipError as e:
        if e.http_status == 403:
            audit(request, user, "quality.read", f"unit={unit}", "denied")
        raise Problem(e.http_status if 400 <= e.http_status < 500 else 400, str(e)) from None
    if items is not None:
        audit(request, user, "quality.read", f"persons rows={len(items)} month="
              f"{format_month(m)} scope={scope.label}" + (f" unit={unit}" if unit else ""), "ok")
    return JSONResponse({"month": format_month(m), "scope": scope.label, "counts": counts,
                         "rows": None if items is None else [_row_json(i) for i in items]})


@router.post("/quality/followups", response_model=dict,
             responses=problem_responses(400, 401, 403, 404, 409, 422, 500),
             summary="Status einer auffälligen Zeile setzen / set a flagged row's follow-up "
                     "state (409 when the version is stale)")
def post_followup(request: Request, body: FollowupIn, month: str | None = MONTH,
                  user: User = Depends(current_user)):
    m = _month(request, month)
    scope = f"{body.rule_id}/{body.row_key} state={body.state}"
    try:
        saved = set_state(services(request), steering_of(request), user, m, body.rule_id,
                          body.row_key, body.state, body.reason, body.version, body.note)
    except StaleChange as e:
        audit(request, user, "quality.followup", scope, "failed")
        raise Problem(409, str(e), title="Conflict") from None
    except AmipError as e:
        audit(request, user, "quality.followup", scope,
              "denied" if e.http_status == 403 else "failed")
        raise Problem(e.http_status if 400 <= e.http_status < 500 else 400, str(e)) from None
    audit(request, user, "quality.followup", f"{scope} version={saved['version']}", "ok")
    return JSONResponse(_row_json(saved))
