"""The page "Berichte": the Monatsbericht and the Arbeitsmarkt- und Integrationsprogramm as PDF
and XLSX from the dashboard, built by the same functions as ``amip report`` and cached per data
state (the first download of a report takes a few seconds). Roles under disclosure control get
the published version with small counts hidden; the programme is always the published one.

Also the "Excel" downloads of the pages (``/excel/…``): what the Übersicht, a Kennzahl page
(series, sexes, units one level below) and Kundengruppen show, as a workbook of the reports'
XLSX writer (real numbers, German formats). Only aggregates, with the cells the page hides for
the role hidden (``*``), so no audit entry: no person-level data leave through them."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from amip import i18n
from amip.disclosure import SUPPRESSED
from amip.engine.calendar import format_month, month_start
from amip.engine.overview import programme_year
from amip.reports.export import write_xlsx
from amip.reports.model import Column, Report, ReportTable, Row, Section
from amip.web.auth import page_user
from amip.web.pages import (SEXES, _discloses, _render, groups_view, indicator_view,
                            overview_view, units_view)

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
    steering = getattr(request.app.state, "steering", None)
    return Response(report_bytes(services, kind, period, fmt, public, steering),
                    media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- Excel downloads of the pages ----------------------------------------------------------------

SOURCE = "Quelle: amip, eigene Berechnung aus den Verfahrensdaten des Jobcenters"


def _row(label: str, values: list, level: int = 0) -> Row:
    """A table row; cells the page shows as ``*`` are suppressed cells of the workbook."""
    return Row(label, [None if v == SUPPRESSED else v for v in values], level=level,
               suppressed={i for i, v in enumerate(values) if v == SUPPRESSED})


def _label(m: int) -> str:
    return i18n.month(month_start(m))


def _workbook(services, name: str, title: str, month: int, public: bool,
              tables: list[ReportTable], jobcenter: dict | None = None) -> Response:
    jc = jobcenter or (services.table("jobcenters") or [{}])[0]
    report = Report("monthly", title, f"Dashboard, Berichtsmonat {_label(month)}",
                    jc.get("jobcenter_id", ""), jc.get("name", ""), format_month(month),
                    services.data_date(), [Section("1", title, list(tables))], public=public)
    with tempfile.TemporaryDirectory(prefix="amip-excel-") as tmp:
        data = write_xlsx(report, Path(tmp) / "seite.xlsx").read_bytes()
    return Response(data, media_type=MEDIA["xlsx"],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/excel/uebersicht.xlsx")
def overview_xlsx(request: Request, month: str | None = None, monat: str | None = None,
                  user=Depends(page_user)):
    """The overview's table as a workbook."""
    services = request.app.state.services
    v = overview_view(services, user, month or monat)
    m = v["month"]
    rows = [_row(f"{r['code']} {r['ind'].name}",
                 [r["value"], r["jfw"] if r["has_jfw"] else None, r["prev"], r["change"]])
            for r in v["rows"]]
    table = ReportTable("kennzahlen", f"Kennzahlen nach § 48a SGB II, {_label(m)}", [
        Column(f"{_label(m)} in %", "number"), Column("JFW in %", "number"),
        Column(f"Vorjahr ({_label(m - 12)}) in %", "number"),
        Column("Veränderung in Pp.", "number")], rows, stub="Kennzahl", source=SOURCE,
        note="JFW: Jahresfortschrittswert (Januar bis Berichtsmonat), nur für Quoten. "
             "K1, K1E1, K1E2: Veränderung gegenüber dem Vorjahresmonat in %.")
    return _workbook(services, f"uebersicht-{format_month(m)}.xlsx", "Übersicht", m, v["hide"],
                     [table], v["jobcenter"])


@router.get("/excel/kennzahl/{code}.xlsx")
def indicator_xlsx(request: Request, code: str, monat: str | None = None,
                   einheit: str | None = None, geschlecht: str = "all",
                   user=Depends(page_user)):
    """A Kennzahl page as a workbook: Zähler/Nenner/Wert per month, by sex, and the units one
    level below (the drill-down)."""
    services = request.app.state.services
    v = indicator_view(services, user, code, monat, einheit, geschlecht)
    u = units_view(services, user, v["code"], monat, einheit, geschlecht)
    code, m, kind, pk = v["code"], v["month"], v["value_kind"], v["pk"]
    place = v["chain"][-1]["name"] if v["chain"] else "Jobcenter"
    title = f"{code} {v['ind'].name}"
    value_cols = [Column("Zähler", kind), Column("Nenner", kind), Column("Wert in %", pk)]
    series = ReportTable(
        "zeitreihe", f"{title}: {place}, {SEXES[geschlecht]}, je Monat",
        value_cols + [Column("Stand", "text")],
        [_row(_label(r["month"]), [r["numerator"], r["denominator"], r["value"],
                                   "endgültig" if r["final"] else "vorläufig"])
         for r in v["series"]], stub="Monat", source=SOURCE)
    sexes = ReportTable(
        "geschlecht", f"{title}: {place}, nach Geschlecht, {_label(m)}",
        value_cols + [Column("Vorjahr in %", pk), Column("Veränderung in Pp.", "number")],
        [_row(s["label"], [s["numerator"], s["denominator"], s["value"], s["prev"],
                           s["change"]]) for s in v["sexes"]], stub="Geschlecht", source=SOURCE)
    tables = [series, sexes]
    if v["has_jfw"]:
        tables.append(ReportTable(
            "jfw", f"{title}: Jahresfortschrittswert, {place}, {SEXES[geschlecht]}",
            [Column("JFW in %", "pct")],
            [_row(_label(m), [v["jfw"]]), _row(_label(m - 12), [v["jfw_prev"]])],
            stub="Monat", source=SOURCE))
    if u["rows"]:
        tables.append(ReportTable(
            "einheiten", f"{title}: {u['child_level']} von {u['parent']['name']}, {_label(m)}",
            value_cols + [Column("Vorjahr in %", pk), Column("Veränderung in Pp.", "number")],
            [_row(r["unit"]["name"], [r["numerator"], r["denominator"], r["value"], r["prev"],
                                      r["change"]])
             for r in u["rows"]], stub=u["child_level"], source=SOURCE,
            note="Werte je Einheit nach der Zuordnung der Personen zum Team am Stichtag."))
    unit = f"-{v['unit']['unit_id']}" if v["unit"] else ""
    return _workbook(services, f"kennzahl-{code}-{format_month(m)}{unit}-{geschlecht}.xlsx",
                     title, m, v["hide"], tables)


@router.get("/excel/kundengruppen.xlsx")
def groups_xlsx(request: Request, monat: str | None = None, einheit: str | None = None,
                gruppe: str | None = None, user=Depends(page_user)):
    """The page Kundengruppen as a workbook: the groups of the unit, the selected group's trend
    and its units."""
    services = request.app.state.services
    v = groups_view(services, user, monat, einheit, gruppe)
    m, figures, scope = v["month"], v["figures"], v["chain"][-1]["name"] if v["chain"] else ""
    cols = [Column(label, kind) for label, kind in figures.values()]

    def values(f: dict) -> list:
        return [SUPPRESSED if k in (f.get("suppressed") or []) else f.get(k) for k in figures]

    groups = ReportTable(
        "kundengruppen", f"Kundengruppen – {scope}, {_label(m)}", cols,
        [_row(g["name"], values(v["data"]["figures"][g["id"]])) for g in v["groups"]],
        stub="Kundengruppe", source=SOURCE,
        note="Die Gruppen überschneiden sich; eine Summe ist daher nicht sinnvoll.")
    trend_keys = [k for k in figures if k != "integration_rate"]
    trend = ReportTable(
        "verlauf", f"{v['group']['name']}: Verlauf bis {_label(m)}",
        [Column(figures[k][0], figures[k][1]) for k in trend_keys],
        [_row(t["month"], [SUPPRESSED if k in (t.get("suppressed") or []) else t.get(k)
                           for k in trend_keys]) for t in v["trend"]],
        stub="Monat", source=SOURCE)
    tables = [groups, trend]
    if v["unit_rows"]:
        tables.append(ReportTable(
            "einheiten", f"{v['group']['name']} nach {v['child_level']}", cols,
            [_row(r["unit"]["name"], values(r["f"])) for r in v["unit_rows"]],
            stub=v["child_level"], source=SOURCE,
            note="Werte je Einheit nach der Zuordnung der Personen zum Team am Stichtag."))
    unit = f"-{v['unit']['unit_id']}" if v["unit"] else ""
    return _workbook(services, f"kundengruppen-{format_month(m)}{unit}.xlsx", "Kundengruppen",
                     m, v["hide"], tables, v["jobcenter"])


def report_bytes(services, kind: str, period: int, fmt: str, public: bool,
                 steering=None) -> bytes:
    """The Monatsbericht (``kind`` "monthly", ``period`` a month index) or the programme
    ("programme", a year) as PDF or XLSX bytes, built by the same functions as
    ``amip report`` and cached per data state and targets (``services.memoized``). ``public``:
    with disclosure control. ``steering``: the steering store whose targets the reports show."""
    from amip.steering.inputs import status_inputs
    from amip.web.targets import inputs_fingerprint

    inputs = None
    if steering is not None:
        inputs = status_inputs(steering, period // 12 if kind == "monthly" else period)
        inputs = inputs if inputs.targets else None
    key = None if inputs is None else inputs_fingerprint(inputs)
    return services.memoized("report_file", lambda *a: _report_bytes(services, *a, inputs),
                             kind, period, fmt, public, key)


def _report_bytes(services, kind: str, period: int, fmt: str, public: bool, key,
                  inputs) -> bytes:
    from amip.reports.disclosure import protect
    from amip.reports.export import render_documents, write_xlsx
    from amip.reports.monthly import monthly
    from amip.reports.programme import programme

    report = services.query(monthly if kind == "monthly" else programme, period, public=public,
                            targets=inputs)
    protect(report)
    if fmt == "pdf":
        return render_documents(report, ("pdf",))["pdf"]
    with tempfile.TemporaryDirectory(prefix="amip-report-") as tmp:
        return write_xlsx(report, Path(tmp) / "report.xlsx").read_bytes()
