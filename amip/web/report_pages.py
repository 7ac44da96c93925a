"""The page "Berichte": the Monatsbericht and the Arbeitsmarkt- und Integrationsprogramm as PDF
and XLSX from the dashboard, built by the same functions as ``amip report`` and cached per data
state (the first download of a report takes a few seconds). Roles under disclosure control get
the published version with small counts hidden; the programme is always the published one."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from amip.engine.calendar import format_month, parse_month
from amip.reports.figures import programme_year
from amip.web.auth import page_user
from amip.web.pages import _discloses, _render

router = APIRouter(include_in_schema=False)

FILE = re.compile(r"(?P<kind>monatsbericht|programm)-(?P<period>\d{4}(-\d{2})?)\.(?P<fmt>pdf|xlsx)")
MEDIA = {"pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MONTHS, YEARS = 12, 5  # Monatsberichte and programmes offered


def _offered(services) -> tuple[list[int], list[int]]:
    """The months (latest complete month and the eleven before) and programme years (the year
    after the latest complete month's and the four before) the page offers, newest first."""
    latest = services.latest_month()
    if latest is None:
        return [], []
    months = list(range(latest, latest - MONTHS, -1))
    last_year = programme_year(latest)
    return months, list(range(last_year, last_year - YEARS, -1))


@router.get("/berichte", response_class=HTMLResponse)
def reports_page(request: Request, user=Depends(page_user)):
    months, years = _offered(request.app.state.services)
    return _render(request, "berichte.html.j2", user, active="berichte",
                   months=[(m, format_month(m)) for m in months], years=years,
                   public=_discloses(user))


@router.get("/berichte/{name}")
def report_file(request: Request, name: str, user=Depends(page_user)):
    services = request.app.state.services
    m = FILE.fullmatch(name)
    months, years = _offered(services)
    if m is None:
        raise HTTPException(404, f"Unbekannter Bericht {name!r}.")
    kind, fmt = m["kind"], m["fmt"]
    if kind == "monatsbericht" and m["period"].count("-") == 1 \
            and parse_month(m["period"]) in months:
        data = services.report_file("monthly", parse_month(m["period"]), fmt, _discloses(user))
    elif kind == "programm" and m["period"].isdigit() and int(m["period"]) in years:
        data = services.report_file("programme", int(m["period"]), fmt, True)
    else:
        raise HTTPException(404, f"Für {name!r} bietet amip keinen Bericht an (siehe /berichte).")
    return Response(data, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
