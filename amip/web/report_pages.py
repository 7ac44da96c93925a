"""The page "Berichte": the Monatsbericht and the Arbeitsmarkt- und Integrationsprogramm as PDF
and XLSX from the dashboard, built by the same functions as ``amip report`` and cached per data
state (the first download of a report takes a few seconds). Roles under disclosure control get
the published version with small counts hidden; the programme is always the published one."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from amip.engine.calendar import format_month
from amip.engine.overview import programme_year
from amip.web.auth import page_user
from amip.web.pages import _discloses, _render

router = APIRouter(include_in_schema=False)

MEDIA = {"pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MONTHS, YEARS = 12, 5  # Monatsberichte and programmes offered


def _offered(services) -> dict[str, tuple[str, int, str]]:
    """File name → (kind, period, format) of every report the page offers, newest first: the
    Monatsberichte of the latest complete month and the eleven before, the programmes of the
    newest year the data allow and the four before."""
    latest = services.latest_month()
    if latest is None:
        return {}
    files = {f"monatsbericht-{format_month(m)}.{fmt}": ("monthly", m, fmt)
             for m in range(latest, latest - MONTHS, -1) for fmt in MEDIA}
    newest = programme_year(latest)
    files.update({f"programm-{y}.{fmt}": ("programme", y, fmt)
                  for y in range(newest, newest - YEARS, -1) for fmt in MEDIA})
    return files


@router.get("/berichte", response_class=HTMLResponse)
def reports_page(request: Request, user=Depends(page_user)):
    offered = _offered(request.app.state.services).values()
    months = sorted({p for k, p, _ in offered if k == "monthly"}, reverse=True)
    years = sorted({p for k, p, _ in offered if k == "programme"}, reverse=True)
    return _render(request, "berichte.html.j2", user, active="berichte",
                   months=[(m, format_month(m)) for m in months], years=years,
                   public=_discloses(user))


@router.get("/berichte/{name}")
def report_file(request: Request, name: str, user=Depends(page_user)):
    services = request.app.state.services
    offered = _offered(services).get(name)
    if offered is None:
        raise HTTPException(404, f"Für {name!r} bietet amip keinen Bericht an (siehe /berichte).")
    kind, period, fmt = offered
    # the programme is the published document; the Monatsbericht follows the role
    public = _discloses(user) if kind == "monthly" else True
    return Response(report_bytes(services, kind, period, fmt, public), media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def report_bytes(services, kind: str, period: int, fmt: str, public: bool) -> bytes:
    """The Monatsbericht (``kind`` "monthly", ``period`` a month index) or the programme
    ("programme", a year) as PDF or XLSX bytes, built by the same functions as
    ``amip report`` and cached per data state (``services.memoized``). ``public``: with
    disclosure control."""
    return services.memoized("report_file", lambda *a: _report_bytes(services, *a), kind, period,
                             fmt, public)


def _report_bytes(services, kind: str, period: int, fmt: str, public: bool) -> bytes:
    from amip.reports.disclosure import protect
    from amip.reports.export import render_documents, write_xlsx
    from amip.reports.monthly import monthly
    from amip.reports.programme import programme

    report = services.query(monthly if kind == "monthly" else programme, period, public=public)
    protect(report)
    if fmt == "pdf":
        return render_documents(report, ("pdf",))["pdf"]
    with tempfile.TemporaryDirectory(prefix="amip-report-") as tmp:
        return write_xlsx(report, Path(tmp) / "report.xlsx").read_bytes()
