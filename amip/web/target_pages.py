"""The pages "Ziele" (``/ziele``) and "Planung" (``/planung``) with their forms (issue 12 item 6).

Numbers come from :mod:`amip.web.targets` (the CLI's ``target_status``/``plan_status`` records);
who may change what is read from ``roles.toml`` (``targets``, ``plans``, ``agree_plans``) and
checked here on the server, whatever a form shows. Every form carries the version it was loaded
at: a change based on an older version is refused (:class:`amip.steering.StaleChange`) with the
current value shown. Every change (and every refused one) goes into the audit trail.
"""

from __future__ import annotations

import html
import json
from decimal import Decimal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from amip import i18n
from amip.disclosure import is_number, protect_status
from amip.engine.calendar import format_month, month_start
from amip.errors import AmipError
from amip.steering import StaleChange, TargetInput
from amip.steering.rows import SEXES, STATUSES
from amip.web.auth import client_address, page_user, verify_csrf
from amip.web.templating import templates
from amip.web.pages import (LEVELS, _discloses, _latest, _month_arg, _render, _services,
                            _unit_arg, _unit_chain, _units, month_choices)
from amip.web.targets import (KEY_LABEL, LIGHT_CLASS, LIGHT_LABEL, OPERATION_LABEL, PLAN_KEYS,
                              SEX_LABEL, STATUS_LABEL, counts_persons, input_value,
                              jobcenter_target, light_title, may_agree, may_edit_targets,
                              may_plan, org, parse_value, plan_records, statuses, steering_of,
                              target_kind, the_jobcenter, value_kind)

router = APIRouter(include_in_schema=False)


def _audit(request: Request, user, action: str, scope: str, outcome: str) -> None:
    request.app.state.users.audit.record(user.name, action, scope, outcome,
                                         client_address(request))


# -- Ziele -----------------------------------------------------------------------------------


@router.get("/ziele", response_class=HTMLResponse)
def targets_page(request: Request, monat: str | None = None, einheit: str | None = None,
                 user=Depends(page_user)):
    return _targets_response(request, user, monat, einheit)


def _targets_response(request: Request, user, monat, einheit, status: int = 200, **extra):
    context = targets_view(_services(request), steering_of(request), user, monat, einheit)
    response = _render(request, "ziele.html.j2", user, active="ziele", **context, **extra)
    response.status_code = status
    return response


def targets_view(services, steering, user, monat: str | None, einheit: str | None) -> dict:
    """What the page Ziele shows: every target of the month's year for the chosen unit with
    light, gap and the year-end expectation, its chart, the units one level below and the
    targets' history."""
    m = _month_arg(services, monat)
    latest = _latest(services)
    units = _units(services)
    unit = _unit_arg(units, einheit)
    scope = None if unit is None or unit["level"] == "jobcenter" else unit["unit_id"]
    hide = _discloses(user)
    if hide and scope is not None:  # small counts of Standorte and teams: not for this role
        raise HTTPException(403, f"Die Rolle {user.rights.label} sieht Ziele nur für das "
                                 "Jobcenter (Geheimhaltung kleiner Fallzahlen).")
    chain = _unit_chain(units, unit["unit_id"] if unit else None) or \
        [u for u in units.values() if u["level"] == "jobcenter"][:1]
    measures = steering.measures()
    year = m // 12
    records = statuses(services, steering, m, scope)
    here = [r for r in records if r.unit_id == scope]
    if hide:  # small counts of persons as the rest of the web hides them
        here = [protect_status(r, counts_persons(measures.get(r.measure))) for r in here]
    children = [u for u in units.values() if u["parent_unit_id"] == (
        unit["unit_id"] if unit else chain[0]["unit_id"] if chain else None)
        and u["level"] in ("standort", "team")]
    child_ids = {u["unit_id"] for u in children}
    below = [] if hide else [r for r in records if r.unit_id in child_ids]
    targets = {t.key: t for t in steering.targets(year=year)}
    jc = the_jobcenter(services)
    history = [h for h in steering.target_history(year=year)]
    rows = []
    for r in here:
        md = measures.get(r.measure)
        own = targets.get((r.jobcenter_id, scope, r.year, r.measure, r.sex))
        base = targets.get((r.jobcenter_id, None, r.year, r.measure, r.sex))
        rows.append({
            "r": r, "md": md, "name": md.name if md else r.measure,
            "vk": value_kind(md), "tk": target_kind(md),
            "light": LIGHT_CLASS[r.light], "light_label": LIGHT_LABEL[r.light],
            "title": light_title(r, md), "row": own or (base if scope is None else None),
            "units": [{"unit": units[x.unit_id], "r": x, "light": LIGHT_CLASS[x.light],
                       "title": light_title(x, md),
                       "has_children": any(u["parent_unit_id"] == x.unit_id
                                           for u in units.values())}
                      for x in below if x.measure == r.measure and x.sex == r.sex],
            "history": [h for h in history if h.measure == r.measure and h.sex == r.sex
                        and h.unit_id == (own.unit_id if own else None)],
        })
    chart_url = "/ziele/verlauf?" + urlencode({"monat": format_month(m),
                                               **({"einheit": unit["unit_id"]} if unit else {})})
    return dict(rows=rows, month=m, year=year, latest=latest, chart_url=chart_url,
                month_choices=month_choices(services), unit=unit,
                chain=chain, level_label=LEVELS, scope=scope, measures=measures,
                may_edit=may_edit_targets(user), sexes=SEXES, statuses=STATUSES,
                sex_label=SEX_LABEL, status_label=STATUS_LABEL, op_label=OPERATION_LABEL,
                input_value=input_value, jobcenter_id=jc, fmt=i18n.by_kind,
                all_units=sorted((u for u in units.values() if u["level"] in
                                  ("standort", "team")), key=lambda u: u["unit_id"]))


@router.get("/ziele/verlauf", response_class=HTMLResponse)
def target_charts_partial(request: Request, monat: str | None = None,
                          einheit: str | None = None, user=Depends(page_user)):
    """The htmx partial of the page's charts, loaded after the page (one status per month of
    the year; the same cache as the overview's lights): each chart swapped out of band into
    its target's section."""
    if einheit and _discloses(user):
        raise HTTPException(403, f"Die Rolle {user.rights.label} sieht Ziele nur für das "
                                 "Jobcenter (Geheimhaltung kleiner Fallzahlen).")
    charts = target_charts_view(_services(request), steering_of(request), monat, einheit,
                                _discloses(user))
    parts = []
    for (measure, sex), (chart, lights) in charts.items():
        body = '<p class="muted">Kein Verlauf: weder Ist noch Zielpfad.</p>' if chart is None \
            else f'<div class="chart" data-spec="{html.escape(chart)}"></div>'
        body += _month_lights(lights)
        parts.append(f'<div id="verlauf-{html.escape(measure)}-{sex}" class="target-chart" '
                     f'hx-swap-oob="true">{body}</div>')
    return HTMLResponse("".join(parts))


def _month_lights(lights: list[tuple[int, str, str]]) -> str:
    """The light of every month of the year up to the chosen one, as a strip of dots."""
    dots = "".join(
        f'<span class="month-light"><span class="light {LIGHT_CLASS[light]}" '
        f'title="{html.escape(title)}"></span>{html.escape(i18n.month_short(month_start(k)))}</span>'
        for k, light, title in lights)
    return f'<p class="month-lights" aria-label="Ampel je Monat">{dots}</p>' if dots else ""


def target_charts_view(services, steering, monat, einheit,
                       hide: bool = False) -> dict[tuple, tuple]:
    """(measure, sex) → (Ist and Zielpfad Jan..month and the year-end expectation of each
    target of the unit as a Vega-Lite spec (JSON) or None, the light of every month Jan..month
    as (month, light, German title)); ``hide``: small counts of persons withheld in every
    month, as on the page (:func:`amip.disclosure.protect_status`)."""
    m = _month_arg(services, monat)
    units = _units(services)
    unit = _unit_arg(units, einheit)
    scope = None if unit is None or unit["level"] == "jobcenter" else unit["unit_id"]
    measures = steering.measures()
    months = list(range(m // 12 * 12, m + 1))
    current = statuses(services, steering, m, scope)  # first: earlier months reuse its counts
    past = {k: statuses(services, steering, k, None, expectation=False) for k in months[:-1]}
    out = {}
    for last in current:
        if last.unit_id != scope:
            continue
        series = [next((x for x in past[k] if x.unit_id == scope and x.measure == last.measure
                        and x.sex == last.sex), None) for k in months[:-1]] + [last]
        md = measures.get(last.measure)
        if hide:
            series = [x and protect_status(x, counts_persons(md)) for x in series]
            last = series[-1]
        lights = [(k, x.light, f"{i18n.month(month_start(k))}: {LIGHT_LABEL[x.light]} – "
                                + light_title(x, md))
                  for k, x in zip(months, series) if x is not None]
        out[(last.measure, last.sex)] = (_target_chart(series, months, last, md), lights)
    return out


def _target_chart(series, months, r, md) -> str | None:
    """Ist and Zielpfad Jan..m and the year-end expectation (80 % band) as a Vega-Lite spec."""
    vk = value_kind(md)
    values = []
    for k, x in zip(months, series):
        if x is None:
            continue
        day = month_start(k).isoformat()
        if is_number(x.actual):  # not a withheld small count
            values.append({"monat": day, "wert": x.actual, "reihe": "Ist",
                           "text": f"Ist {i18n.month(month_start(k))}: {i18n.by_kind(x.actual, vk)}"})
        if x.path is not None:
            values.append({"monat": day, "wert": x.path, "reihe": "Zielpfad",
                           "text": f"Zielpfad {i18n.month(month_start(k))}: "
                                   f"{i18n.by_kind(x.path, vk)}"})
    if not values:
        return None
    band = []
    last = max(months)
    if r.expected is not None and is_number(r.actual):
        dec = month_start(r.year * 12 + 11).isoformat()
        start = month_start(last).isoformat()
        band = [{"monat": start, "u": r.actual, "o": r.actual, "wert": r.actual,
                 "reihe": "Erwartung"},
                {"monat": dec, "u": r.expected_lower, "o": r.expected_upper, "wert": r.expected,
                 "reihe": "Erwartung",
                 "text": f"Erwartung Dezember: {i18n.by_kind(r.expected, vk)} "
                         f"({i18n.by_kind(r.expected_lower, vk)} bis "
                         f"{i18n.by_kind(r.expected_upper, vk)})"}]
    x = {"field": "monat", "type": "temporal", "title": None,
         "axis": {"format": "%b", "labelAngle": 0, "grid": False},
         "scale": {"domain": [month_start(r.year * 12).isoformat(),
                              month_start(r.year * 12 + 11).isoformat()]}}
    y = {"field": "wert", "type": "quantitative", "title": None, "scale": {"zero": False},
         "axis": {"format": ",.1f" if vk == "pct" else ",.0f", "tickCount": 5}}
    color = {"field": "reihe", "type": "nominal", "title": None,
             "scale": {"domain": ["Ist", "Zielpfad", "Erwartung"],
                       "range": ["#1f3a5a", "#b0433a", "#7a7a7a"]},
             "legend": {"orient": "bottom"}}
    layers = []
    if band:
        layers.append({"data": {"values": band}, "mark": {"type": "area", "opacity": 0.25,
                                                          "color": "#9aa7b5"},
                       "encoding": {"x": x, "y": {**y, "field": "u"}, "y2": {"field": "o"}}})
        layers.append({"data": {"values": band},
                       "mark": {"type": "line", "strokeDash": [4, 3], "point": True},
                       "encoding": {"x": x, "y": y, "color": color,
                                    "tooltip": {"field": "text", "type": "nominal"}}})
    layers.append({"data": {"values": values}, "mark": {"type": "line", "point": True},
                   "encoding": {"x": x, "y": y, "color": color,
                                "strokeDash": {"field": "reihe", "type": "nominal",
                                               "legend": None,
                                               "scale": {"domain": ["Ist", "Zielpfad"],
                                                         "range": [[1, 0], [6, 3]]}},
                                "tooltip": {"field": "text", "type": "nominal"}}})
    spec = {"width": 420, "height": 180, "background": None,
            "config": {"view": {"stroke": None}}, "layer": layers}
    return json.dumps(spec, ensure_ascii=False, separators=(",", ":"))


@router.post("/ziele", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def post_target(request: Request, user=Depends(page_user), measure: str = Form(...),
                year: int = Form(...), jobcenter_id: str = Form(""), unit_id: str = Form(""),
                sex: str = Form("all"), value: str = Form(""), status: str = Form("vereinbart"),
                note: str = Form(""), reason: str = Form(""), version: int = Form(0),
                monat: str = Form(""), einheit: str = Form(""), aktion: str = Form("")):
    """Enter (version 0), change or (``aktion=zurueckziehen``) withdraw a target; refused when
    the form's version is stale."""
    services, steering = _services(request), steering_of(request)
    scope = f"{jobcenter_id or '-'}/{unit_id or '-'}/{year}/{measure}/{sex}"
    withdraw = aktion == "zurueckziehen"
    action = "target.withdraw" if withdraw else "target.set"
    if not may_edit_targets(user):
        _audit(request, user, action, scope, "denied")
        raise HTTPException(403, f"Die Rolle {user.rights.label} darf keine Ziele eintragen.")
    units, jcs = org(services)
    try:
        jc = the_jobcenter(services, jobcenter_id or None)
        if withdraw:
            saved = steering.withdraw_target((jc, unit_id or None, year, measure, sex),
                                             user.name, reason.strip() or None, version)
        else:
            row = TargetInput(jc, unit_id or None, year, measure, sex, parse_value(value),
                              status, None, note.strip() or None)
            saved = steering.set_target(row, user.name, reason.strip() or None, version, units,
                                        jcs)
    except StaleChange as e:
        _audit(request, user, action, scope, "failed")
        current = steering.target((jc, unit_id or None, year, measure, sex))
        return _targets_response(request, user, monat or None, einheit or None, status=409,
                                 error=str(e), current=current)
    except AmipError as e:
        _audit(request, user, action, scope, "failed")
        return _targets_response(request, user, monat or None, einheit or None,
                                 status=e.http_status if e.http_status < 500 else 400,
                                 error=str(e))
    _audit(request, user, action, f"{scope} version={saved.version}", "ok")
    query = {k: v for k, v in (("monat", monat), ("einheit", einheit)) if v}
    return RedirectResponse("/ziele" + (f"?{urlencode(query)}" if query else "") + "#ziele",
                            status_code=303)


# -- Planung -------------------------------------------------------------------------------


@router.get("/planung", response_class=HTMLResponse)
def planning_page(request: Request, jahr: int | None = None, kennzahl: str = "integrations",
                  schluessel: str | None = None, user=Depends(page_user)):
    return _planning_response(request, user, jahr, kennzahl, schluessel)


def _planning_response(request, user, jahr, kennzahl, schluessel, status: int = 200, **extra):
    context = planning_view(_services(request), steering_of(request), user, jahr, kennzahl,
                            schluessel)
    response = _render(request, "planung.html.j2", user, active="planung", **context, **extra)
    response.status_code = status
    return response


def _proposal(services, year: int, measure: str, jc: str):
    """The Zielwerterwartung (:func:`amip.engine.backtest.proposed_target`) or (None, reason)."""
    from amip.engine.backtest import PROPOSAL_MEASURES, proposed_target

    if measure not in PROPOSAL_MEASURES:
        return None, f"Für „{measure}“ gibt es keine Zielwerterwartung."

    try:  # not through the memo: the engine caches the backtest per data state itself, and
        # its seconds must not hold the user's compute slot against the page's other requests
        return services.query(proposed_target, year, measure, jobcenter_id=jc), None
    except AmipError as e:
        return None, str(e)


def planning_view(services, steering, user, jahr: int | None, kennzahl: str,
                  schluessel: str | None) -> dict:
    """What the page Planung shows: the round of a year and measure (teams' plans, sums,
    planning gap, proposal, Zielwerterwartung) and its history."""
    latest = _latest(services)
    year = jahr or latest // 12 + 1
    if not 2000 <= year <= 2099:
        raise HTTPException(422, f"Ungültiges Jahr {year} (erwartet 2000 bis 2099).")
    measures = steering.measures()
    md = measures.get(kennzahl)
    if md is None:
        raise HTTPException(404, f"Unbekannte Messgröße {kennzahl!r}.")
    jc = the_jobcenter(services)
    rnd = steering.plan_round(jc, year, kennzahl)
    key = schluessel or (rnd.key if rnd and rnd.key in PLAN_KEYS else "elb")
    if key not in PLAN_KEYS:
        raise HTTPException(422, "Schlüssel: elb, marktnah oder equal.")
    records = plan_records(services, steering, year, kennzahl, key, jc)
    plans = {p.unit_id: p for p in steering.plans(year, kennzahl, jc)}
    units = _units(services)
    target = jobcenter_target(steering, jc, year, kennzahl)
    total = records[0] if records else None
    planned_sum = total.planned if total else None
    gap = None if target is None or target.value is None else \
        float(target.value) - (planned_sum or 0)
    rows = [{"r": r, "unit": units.get(r.unit_id, {"name": r.unit_id, "unit_id": r.unit_id}),
             "plan": plans.get(r.unit_id), "editable": r.level == "team" and
             may_plan(user, r.unit_id)} for r in records]
    return dict(year=year, measure=kennzahl, md=md, key=key, keys=PLAN_KEYS,
                key_label=KEY_LABEL, round=rnd, rows=rows, target=target, total=total,
                gap=gap,
                plan_history=steering.plan_history(year, kennzahl, jc),
                round_history=steering.round_history(jc, year, kennzahl),
                may_agree=may_agree(user), may_plan_any=user.rights.plans != "none",
                vk=value_kind(md), input_value=input_value, level_label=LEVELS,
                op_label=OPERATION_LABEL, jobcenter_id=jc,
                count_measures=sorted(k for k, m in measures.items() if m.kind == "count"),
                measures=measures)


@router.get("/planung/erwartung", response_class=HTMLResponse)
def proposal_partial(request: Request, jahr: int, kennzahl: str, user=Depends(page_user)):
    """The htmx partial of the Zielwerterwartung (a forecast: loaded after the page)."""
    services, steering = _services(request), steering_of(request)
    md = steering.measures().get(kennzahl)
    if md is None or not 2000 <= jahr <= 2099:
        raise HTTPException(404, f"Unbekannte Messgröße {kennzahl!r} oder Jahr {jahr}.")
    proposal, reason = _proposal(services, jahr, kennzahl, the_jobcenter(services))
    return templates.TemplateResponse(request, "_erwartung.html.j2", {
        "request": request, "proposal": proposal, "reason": reason, "vk": value_kind(md)})


def _back(year: int, measure: str, key: str | None = None) -> RedirectResponse:
    query = {"jahr": year, "kennzahl": measure, **({"schluessel": key} if key else {})}
    return RedirectResponse(f"/planung?{urlencode(query)}", status_code=303)


@router.post("/planung/plan", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def post_plan(request: Request, user=Depends(page_user), unit_id: str = Form(...),
              year: int = Form(...), measure: str = Form(...), value: str = Form(...),
              version: int = Form(0), reason: str = Form("")):
    """A team's plan; only for a team the role may plan (``plans`` in roles.toml)."""
    services, steering = _services(request), steering_of(request)
    scope = f"{unit_id}/{year}/{measure}"
    if not may_plan(user, unit_id):
        _audit(request, user, "plan.set", scope, "denied")
        raise HTTPException(403, f"Die Rolle {user.rights.label} darf den Plan des Teams "
                                 f"{unit_id} nicht eintragen.")
    units, _ = org(services)
    try:
        amount = parse_value(value, "Planwert")
        if amount is None:
            from amip.errors import DataError
            raise DataError("Planwert fehlt.")
        saved = steering.set_plan(unit_id, year, measure, amount, user.name, version,
                                  reason.strip() or None, units)
    except StaleChange as e:
        _audit(request, user, "plan.set", scope, "failed")
        return _planning_response(request, user, year, measure, None, status=409, error=str(e))
    except AmipError as e:
        _audit(request, user, "plan.set", scope, "failed")
        return _planning_response(request, user, year, measure, None,
                                  status=e.http_status if e.http_status < 500 else 400,
                                  error=str(e))
    _audit(request, user, "plan.set", f"{scope} version={saved.version}", "ok")
    return _back(year, measure)


@router.post("/planung/runde", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def post_round(request: Request, user=Depends(page_user), year: int = Form(...),
               measure: str = Form(...), key: str = Form("elb"), version: int = Form(0),
               reason: str = Form("")):
    """Open the round with a key, or change the key of an open one (``agree_plans``)."""
    services, steering = _services(request), steering_of(request)
    scope = f"{year}/{measure} key={key}"
    if not may_agree(user):
        _audit(request, user, "plan.round", scope, "denied")
        raise HTTPException(403, f"Die Rolle {user.rights.label} darf keine Planungsrunde "
                                 "steuern.")
    jc = the_jobcenter(services)
    try:
        current = steering.plan_round(jc, year, measure)
        if current is not None and current.state == "offen":
            steering.choose_key(jc, year, measure, key, user.name, version,
                                reason.strip() or None)
        else:
            steering.open_round(jc, year, measure, user.name, key, version,
                                reason.strip() or None)
    except AmipError as e:
        _audit(request, user, "plan.round", scope, "failed")
        return _planning_response(request, user, year, measure, None,
                                  status=e.http_status if e.http_status < 500 else 400,
                                  error=str(e))
    _audit(request, user, "plan.round", scope, "ok")
    return _back(year, measure)


@router.post("/planung/vereinbaren", response_class=HTMLResponse,
             dependencies=[Depends(verify_csrf)])
async def post_agree(request: Request, user=Depends(page_user)):
    """Agree the round: each team's accepted share of the gap (fields ``accepted:<team>``,
    prefilled with the proposal) and the round's version."""
    form = await request.form()
    try:
        year, measure = int(form.get("year", "")), str(form.get("measure", ""))
        version = int(form.get("version") or 0)
    except ValueError:
        raise HTTPException(422, "Jahr oder Version fehlt.") from None
    return await _run(agree_round_form, request, user, year, measure, version, form)


async def _run(fn, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def agree_round_form(request: Request, user, year: int, measure: str, version: int, form):
    services, steering = _services(request), steering_of(request)
    scope = f"{year}/{measure}"
    if not may_agree(user):
        _audit(request, user, "plan.agree", scope, "denied")
        raise HTTPException(403, f"Die Rolle {user.rights.label} darf keine Planungsrunde "
                                 "vereinbaren.")
    jc = the_jobcenter(services)
    try:
        accepted = {}
        for name, text in form.multi_items():
            if name.startswith("accepted:"):
                v = parse_value(str(text), f"Anteil von {name[9:]}")
                accepted[name[9:]] = v if v is not None else Decimal(0)
        steering.agree_round(jc, year, measure, accepted, user.name, version,
                             str(form.get("reason") or "").strip() or None)
    except AmipError as e:
        _audit(request, user, "plan.agree", scope, "failed")
        return _planning_response(request, user, year, measure, None,
                                  status=e.http_status if e.http_status < 500 else 400,
                                  error=str(e))
    _audit(request, user, "plan.agree", scope, "ok")
    return _back(year, measure)


__all__ = ["router", "targets_view", "planning_view"]
