"""The customer-group monitor in the REST API under /api/v1 (issue 14): ``GET /groups`` is the
JSON of ``amip groups --format json`` (:func:`amip.engine.group_monitor.group_monitor`),
``GET /groups/{id}/trend`` one group's twelve months. Roles under disclosure control get the
answer of :func:`amip.disclosure.protect_groups` (small counts null, listed in ``suppressed``);
the page Kundengruppen shows the same (:func:`group_data`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from amip.engine.horizon import NoFigures
from amip.engine.indicators import UnknownUnit
from amip.web.api import month_param, services
from amip.web.auth import current_user
from amip.web.problems import Problem, problem_responses
from amip.web.users import User

router = APIRouter(prefix="/api/v1", tags=["api"])
RESPONSES = problem_responses(400, 401, 404, 500)


def group_data(services, month: int, unit_id: str | None, hide: bool) -> dict:
    """:func:`group_monitor` of the month and unit (cached per data state), as a role under
    disclosure control sees it: the page, its Excel download and the API show the same."""
    from amip.disclosure import protect_groups
    from amip.engine.group_monitor import group_monitor

    data = services.memoized("group_monitor", lambda m, u: services.query(
        group_monitor, m, None, u), month, unit_id)
    return protect_groups(data) if hide else data


def _answer(request: Request, user: User, month: str | None, unit: str | None) -> dict:
    svc = services(request)
    m = month_param("month", month) if month else svc.latest_month()
    if m is None:
        raise Problem(404, "Es sind noch keine Daten importiert.", title="Not Found")
    try:
        svc.horizon().check_months([m])
        units = {u["unit_id"]: u for u in svc.table("units")}
        if unit is not None and unit not in units:
            raise UnknownUnit(f"Unbekannte Einheit {unit!r} (siehe Tabelle units)")
        if unit is not None and units[unit]["level"] == "jobcenter":
            unit = None
        return group_data(svc, m, unit, bool(user.rights.disclosure))
    except (UnknownUnit, NoFigures) as e:
        raise Problem(404, str(e), title="Not Found") from None


@router.get("/groups", responses=RESPONSES,
            summary="Kundengruppen / the customer-group monitor",
            description="Dasselbe JSON wie `amip groups --format json`: je Kundengruppe Bestand, "
                        "Zugänge, Abgänge, Integrationen, Integrationsquote, LZB-Anteil und "
                        "Aktivierungsquote für das Jobcenter oder eine Einheit, die Einheiten "
                        "darunter und den Verlauf über zwölf Monate. The same JSON as the CLI.")
def groups(request: Request,
           month: str | None = Query(None, description="Berichtsmonat YYYY-MM (Standard: der "
                                                       "letzte)", examples=["2020-06"]),
           unit: str | None = Query(None, description="Standort oder Team / a Standort or "
                                                      "team"),
           user: User = Depends(current_user)):
    return JSONResponse(_answer(request, user, month, unit))


@router.get("/groups/{group_id}/trend", responses=RESPONSES,
            summary="Verlauf einer Kundengruppe / one group's trend",
            description="Die zwölf Monate bis zum Berichtsmonat einer Kundengruppe (wie `trend` "
                        "in `/groups`), mit der Definition der Gruppe.")
def group_trend(request: Request,
                group_id: str = Path(description="Kundengruppe (groups.toml), z. B. u25"),
                month: str | None = Query(None, description="Berichtsmonat YYYY-MM"),
                unit: str | None = Query(None, description="Standort oder Team"),
                user: User = Depends(current_user)):
    data = _answer(request, user, month, unit)
    group = next((g for g in data["groups"] if g["id"] == group_id), None)
    if group is None:
        raise Problem(404, f"Unbekannte Kundengruppe {group_id!r} (eine von "
                           f"{', '.join(g['id'] for g in data['groups'])})", title="Not Found")
    return JSONResponse({"month": data["month"], "jobcenter_id": data["jobcenter_id"],
                         "unit_id": data["unit_id"], "group": group,
                         "trend": data["trend"][group_id]})
