"""The page "Budget-Szenarien" (``/budget/szenarien``, issue 13 items 4–5): the year's scenarios
side by side with the base plan (table and a chart of Δ Eingliederungen), their assumptions, and
for roles with ``budget = "edit"`` a form to enter, change or withdraw a scenario.

Figures are :mod:`amip.engine.budget_scenario`'s (the CLI's ``amip budget scenario compare``);
the right is checked here on the server whatever a form shows; every form carries the version it
was loaded at (a stale one is refused with 409); every change (and every refused one) is audited
as ``budget.scenario``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from amip.charts import grouped_bars
from amip.engine import budget_scenario as engine
from amip.engine.scenario_changes import parse_changes
from amip.errors import AmipError
from amip.steering import StaleChange
from amip.web.auth import page_user, verify_csrf
from amip.web.pages import _discloses, _render, _services, chart_json
from amip.web.scenarios import compare_json, jobcenter_of, may_edit_budget
from amip.web.target_pages import _audit
from amip.web.targets import OPERATION_LABEL, steering_of

router = APIRouter(include_in_schema=False)
ACTION = "budget.scenario"
PAGE = "/budget/szenarien"


@router.get(PAGE, response_class=HTMLResponse)
def scenarios_page(request: Request, jahr: int | None = None, user=Depends(page_user)):
    return _response(request, user, jahr)


def _response(request: Request, user, jahr: int | None, status: int = 200, **extra):
    context = scenarios_view(_services(request), steering_of(request), user, jahr)
    response = _render(request, "budget_szenarien.html.j2", user, active="budget",
                       **context, **extra)
    response.status_code = status
    return response


def scenarios_view(services, steering, user, jahr: int | None) -> dict:
    """What the page shows: per instrument the base plan and each scenario's plan and
    Δ Eingliederungen, the totals and K2 effects, the chart, the assumptions, the scenarios'
    changes and history."""
    years = services.memoized("budget_plan_years", lambda: services.query(engine.plan_years))
    year = jahr or (years[-1] if years else None)
    if year is not None and not 2000 <= year <= 2099:
        raise HTTPException(422, f"Ungültiges Jahr {year} (erwartet 2000 bis 2099).")
    ctx = dict(year=year, years=years, may_edit=may_edit_budget(user), op_label=OPERATION_LABEL,
               base=None, scenarios=[], rows=[], chart=None, assumptions=[], history=[],
               problem=None, stored=[])
    if year is None:
        ctx["problem"] = "Es gibt keinen Budgetplan (budget_plan) im Datenbestand."
        return ctx
    try:
        jc = jobcenter_of(services, year)
        out = compare_json(services, steering, year, hide=_discloses(user))
    except AmipError as e:
        ctx["problem"] = str(e)
        return ctx
    base, scens = out["base"], out["scenarios"]
    keys = [(ln["title"], ln["instrument"]) for ln in base["lines"]]
    for s in scens:
        keys += [(ln["title"], ln["instrument"]) for ln in s["lines"]
                 if (ln["title"], ln["instrument"]) not in keys]
    rows = []
    for key in keys:
        b = next((ln for ln in base["lines"] if (ln["title"], ln["instrument"]) == key), None)
        rows.append({"title": key[0], "instrument": key[1], "base": b,
                     "cells": [next((ln for ln in s["lines"]
                                     if (ln["title"], ln["instrument"]) == key), None)
                               for s in scens]})
    rows.append({"title": None, "instrument": None, "base": base["total"],
                 "cells": [s["total"] for s in scens], "total": True})
    bars = [{"instrument": r["instrument"], "szenario": s["name"],
             "delta": c["eingliederungen_delta"]}
            for r in rows[:-1] for s, c in zip(scens, r["cells"])
            if c is not None and c["eingliederungen_delta"] is not None]
    assumptions = {(a["title"], a["instrument"]): a for a in base["assumptions"]}
    for s in scens:
        for a in s["assumptions"]:
            assumptions.setdefault((a.get("title"), a["instrument"]), a)
    ctx.update(
        jobcenter_id=jc, base=base, scenarios=scens, rows=rows,
        chart=chart_json(grouped_bars(bars, "instrument", "delta", "szenario", kind="number",
                                      width=720, height=200)) if bars else None,
        assumptions=[a for k, a in assumptions.items() if k[1] is not None],
        k2_assumption=next((a for k, a in assumptions.items() if k[1] is None), None),
        stored={r.name: r for r in steering.scenarios(year, jobcenter_id=jc)},
        history=steering.scenario_history(year, jobcenter_id=jc))
    return ctx


@router.post(PAGE, response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def post_scenario(request: Request, user=Depends(page_user), name: str = Form(...),
                  year: int = Form(...), description: str = Form(""), changes: str = Form(""),
                  reason: str = Form(""), version: int = Form(0), aktion: str = Form("")):
    """Save a new scenario (version 0), change one, or (``aktion=zurueckziehen``) withdraw it;
    refused when the form's version is stale."""
    services, steering = _services(request), steering_of(request)
    scope = f"{year}/{name}"
    if not may_edit_budget(user):
        _audit(request, user, ACTION, scope, "denied")
        raise HTTPException(403, f"Die Rolle {user.rights.label} darf keine Szenarien "
                                 "speichern.")
    try:
        jc = jobcenter_of(services, year)
        if aktion == "zurueckziehen":
            saved = steering.withdraw_scenario(name, year, jc, user.name,
                                               reason.strip() or None, version)
        else:
            saved = steering.save_scenario(jc, year, name, description,
                                           parse_changes(changes.splitlines()), user.name,
                                           reason.strip() or None, version)
    except StaleChange as e:
        _audit(request, user, ACTION, scope, "failed")
        return _response(request, user, year, status=409, error=str(e), form=dict(
            name=name, description=description, changes=changes))
    except AmipError as e:
        _audit(request, user, ACTION, scope, "failed")
        return _response(request, user, year,
                         status=e.http_status if e.http_status < 500 else 400, error=str(e),
                         form=dict(name=name, description=description, changes=changes))
    _audit(request, user, ACTION, f"{jc}/{scope} version={saved.version}", "ok")
    return RedirectResponse(f"{PAGE}?{urlencode({'jahr': year})}#szenarien", status_code=303)
