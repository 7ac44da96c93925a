"""The page "Datenqualität" (``/datenqualitaet``, issue 14 items 3–4): the declared rules with
counts and lights, the trend per rule, the case-file error rates against the 5 % target, and the
follow-up list per team with state changes.

Numbers come from :mod:`amip.web.quality` (``run_quality``, exactly the CLI's and the API's);
person-level rows only for roles whose ``persons`` right allows them, every read of rows audited
(``quality.read``), every change (and refused change) audited (``quality.followup``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from amip import charts
from amip.catalogue.monitors import followup_states, quality_rules
from amip.engine.calendar import format_month, month_start
from amip.engine.quality_rules import rule_light
from amip.errors import AmipError
from amip.steering import StaleChange
from amip.web.auth import page_user, verify_csrf
from amip.web.pages import _month_arg, _render, _services, _units, chart_json, month_choices
from amip.web.quality import audit, followups_view, quality_report, set_state
from amip.web.targets import LIGHT_CLASS, LIGHT_LABEL, steering_of

router = APIRouter(include_in_schema=False)
SEVERITY_ORDER = {"hoch": 0, "mittel": 1, "niedrig": 2}


@router.get("/datenqualitaet", response_class=HTMLResponse)
def quality_page(request: Request, monat: str | None = None, einheit: str | None = None,
                 status: str | None = None, regel: str | None = None,
                 user=Depends(page_user)):
    return _page(request, user, monat, einheit, status, regel)


def _page(request: Request, user, monat, einheit, status, regel, code: int = 200, **extra):
    services = _services(request)
    context = quality_view(services, steering_of(request), user, monat, einheit or None,
                           status or None, regel or None)
    if context["items"] is not None:
        audit(request, user, "quality.read",
              f"persons rows={len(context['items'])} month={format_month(context['month'])}"
              + (f" unit={einheit}" if einheit else "") + f" scope={context['scope'].label}",
              "ok")
    response = _render(request, "datenqualitaet.html.j2", user, active="datenqualitaet",
                       **context, **extra)
    response.status_code = code
    return response


def quality_view(services, steering, user, monat, einheit, status, regel) -> dict:
    """What the page shows: rules, trend charts, case-file error rates and the follow-up list
    (rows or, for roles without person rights, counts only)."""
    m = _month_arg(services, monat)
    report = quality_report(services, m)
    units = _units(services)
    rules = []
    for r in report.results:
        light, why = rule_light(r)
        rules.append({"r": r, "rule": r.rule, "light": LIGHT_CLASS[light],
                      "light_label": LIGHT_LABEL[light], "light_reason": why,
                      "last": None if r.flagged is None else r.trend.get(report.m_hi, 0)})
    try:
        items, counts, scope = followups_view(services, steering, user, m, status, einheit,
                                              regel)
        error = None
    except AmipError as e:
        items, counts, scope, error = None, {}, None, str(e)
    states = followup_states()
    team_units = sorted((u for u in units.values() if u["level"] == "team"
                         and (scope is None or scope.units is None
                              or u["unit_id"] in scope.units)), key=lambda u: u["unit_id"])
    return dict(month=m, report=report, rules=rules,
                rates=[x for x in rules if x["r"].rates is not None],
                charts=trend_charts(services, report), items=items, counts=counts,
                scope=scope, list_error=error, states=states, rule_names={
                    k: v.name for k, v in quality_rules().items()},
                units=units, team_units=team_units, unit_filter=einheit, state_filter=status,
                rule_filter=regel, month_choices=month_choices(services),
                may_change=items is not None, ym=format_month(m))


def trend_charts(services, report) -> dict[str, str]:
    """rule id → a small Vega-Lite line chart of its flagged rows per month (the case-file
    rules: the error rate with the target as a line); cached per data state."""
    def make(*_):
        out = {}
        for r in report.results:
            if r.flagged is None:
                continue
            if r.rates is not None:
                actual = [{"monat": month_start(m), "wert": r.error_rate(m)} for m in r.trend]
                target = [{"monat": month_start(m), "wert": float(r.rule.params["target_pct"])}
                          for m in r.trend]
                chart = charts.line_series(actual, target, kind="pct", zero=True, width=260,
                                           height=110, plan_label="Ziel")
            else:
                actual = [{"monat": month_start(m), "wert": n} for m, n in r.trend.items()]
                chart = charts.line_series(actual, kind="count", zero=True, width=260,
                                           height=110)
            out[r.rule.id] = chart_json(chart)
        return out
    return services.memoized("quality_charts", make, report.m_hi)


@router.post("/datenqualitaet/nachverfolgung", response_class=HTMLResponse,
             dependencies=[Depends(verify_csrf)])
def post_followup(request: Request, user=Depends(page_user), rule_id: str = Form(...),
                  row_key: str = Form(...), state: str = Form(...), reason: str = Form(""),
                  note: str = Form(""), version: int = Form(0), monat: str = Form(""),
                  einheit: str = Form(""), status: str = Form(""), regel: str = Form("")):
    """Set a row's follow-up state; refused (403) for rows the role may not read, 409 when
    the form's version is stale (the page shows the current state)."""
    services, steering = _services(request), steering_of(request)
    scope = f"{rule_id}/{row_key} state={state}"
    m = _month_arg(services, monat or None)
    try:
        saved = set_state(services, steering, user, m, rule_id, row_key, state,
                          reason.strip() or None, version, note.strip() or None)
    except StaleChange as e:
        audit(request, user, "quality.followup", scope, "failed")
        return _page(request, user, monat or None, einheit, status, regel, 409, error=str(e))
    except AmipError as e:
        outcome = "denied" if e.http_status == 403 else "failed"
        audit(request, user, "quality.followup", scope, outcome)
        return _page(request, user, monat or None, einheit, status, regel,
                     e.http_status if e.http_status < 500 else 400, error=str(e))
    audit(request, user, "quality.followup", f"{scope} version={saved['version']}", "ok")
    query = {k: v for k, v in (("monat", monat), ("einheit", einheit), ("status", status),
                               ("regel", regel)) if v}
    return RedirectResponse("/datenqualitaet" + (f"?{urlencode(query)}" if query else "")
                            + "#nachverfolgung", status_code=303)


__all__ = ["router", "quality_view"]
