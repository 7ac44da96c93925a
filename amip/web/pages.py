"""The German web pages: Übersicht, Kennzahl detail with drill-down, Kundengruppen, Datenstand.

Server-rendered (Jinja2) with htmx for the drill-down table; charts are Vega-Lite specs from
:mod:`amip.charts` (the same notation as the reports), rendered in the browser by the
vendored vega-embed (``static/amip.js``). Every figure comes from :class:`Services` (the engine's
records, cached per data state); forecasts, unit tables and customer groups go through the same
cache (``Services.memoized``). The JSON twins of these pages are the REST API (``/api/v1``).
"""

from __future__ import annotations

import datetime as dt
import json

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from amip import i18n
from amip.catalogue import load
from amip.engine.calendar import format_month, month_end, month_start, parse_month, stichtag
from amip.engine.comparison import RULE_MARK, incomparable, rule_marks
from amip.engine.drilldown import UNASSIGNED_LEVEL, child_rows
from amip.charts import grouped_bars, line_series, spec_of
from amip.disclosure import SUPPRESSED
from amip.engine.facts import FACT_LABELS
from amip.engine.horizon import NoFigures
from amip.engine.indicators import compute, published_as_of
from amip.engine.measures import JFW_FORMS
from amip.engine.overview import point_change
from amip.errors import AmipError
from amip.web.audit import labels as audit_labels
from amip.web.auth import client_address, csrf_token, page_user
from amip.web.group_api import group_data
from amip.web.templating import templates

router = APIRouter(include_in_schema=False)

SEXES = {"all": "Insgesamt", "m": "Männer", "w": "Frauen"}
SHORT_MONTHS = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")
LEVELS = {"jobcenter": "Jobcenter", "standort": "Standort", "team": "Team",
          UNASSIGNED_LEVEL: "ohne Zuordnung"}
FORM_TEXT = {
    "change": "Veränderung gegenüber dem Vorjahresmonat: (Z / N − 1) × 100; Z im Berichtsmonat, "
              "N im Vorjahresmonat.",
    "rolling_quota": "Quote: Z / N × 100; Z = Summe über die letzten zwölf Monate, N = "
                     "durchschnittlicher Bestand der zwölf Vormonate.",
    "rolling_ratio": "Anteil: Z / N × 100; Z und N jeweils Summe über die letzten zwölf Monate.",
    "month_quota": "Anteil im Berichtsmonat: Z / N × 100.",
    "mean_rate": "Durchschnitt der zwölf Monatsraten Z(m) / N(m) × 100; Z und N als "
                 "Zwölfmonatssummen ausgewiesen.",
}


# -- helpers ----------------------------------------------------------------------------------


def _discloses(user) -> bool:
    """Whether aggregates shown to ``user`` follow the disclosure control of published reports."""
    try:
        return bool(user.rights.disclosure)
    except (AttributeError, KeyError):
        return True


def _rows(services, records, hide: bool, jfw: bool = False) -> list[dict]:
    """The engine's records as dicts; for roles under disclosure control small counts and what
    would reveal them are hidden exactly as in the API (``suppressed``, Services.disclosed).
    ``jfw``: the records are Jahresfortschrittswerte."""
    if hide:
        rows = services.disclosed(records, jfw=jfw)
    else:
        rows = [r.as_json(with_unit=True) for r in records]
    for r in rows:
        if r.get("suppressed"):
            for k in ("numerator", "denominator", "value"):
                if r[k] is None:
                    r[k] = SUPPRESSED
    return rows


def _services(request: Request):
    return request.app.state.services


def _cached(services, name: str, args: tuple, make):
    """``make()`` once per data state and ``args`` (forecasts, unit tables, groups)."""
    return services.memoized(name, lambda *_: make(), *args)


def _latest(services) -> int:
    m = services.latest_month()
    if m is None:
        raise HTTPException(404, "Es sind noch keine Daten importiert.")
    return m


def _month_arg(services, monat: str | None) -> int:
    latest = _latest(services)
    if not monat:
        return latest
    try:
        m = parse_month(monat)
    except ValueError:
        raise HTTPException(422, f"Ungültiger Monat {monat!r} (erwartet JJJJ-MM).") from None
    try:  # any month with a figure: one rule with the CLI and the reports (§10.2)
        services.horizon().check_months([m])
    except NoFigures as e:
        raise HTTPException(404, str(e)) from None
    return m


def signed_pp(value: float | None) -> str:
    """A difference of two percentages: ``+1,2 Pp.``, ``−0,4 Pp.``."""
    return "–" if value is None else i18n.signed_pct(value).replace("%", "Pp.")


def chart_json(chart) -> str:
    """The Vega-Lite spec as JSON for a data attribute (no ``$schema`` URL in the page)."""
    spec = spec_of(chart)
    spec.pop("$schema", None)
    return json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def sparkline(points: list[tuple[str, float | None]]) -> str:
    """A small Vega-Lite line (no axes) over ``(YYYY-MM, value)`` points, last point marked."""
    values = [{"monat": f"{mo}-01", "wert": v,
               "text": f"{i18n.month(dt.date.fromisoformat(mo + '-01'))}: {i18n.by_kind(v, 'pct')}"}
              for mo, v in points if isinstance(v, (int, float))]
    enc = {"x": {"field": "monat", "type": "temporal", "axis": None},
           "y": {"field": "wert", "type": "quantitative", "axis": None,
                 "scale": {"zero": False}}}
    spec = {
        "width": 130, "height": 26, "padding": 2, "background": None,
        "config": {"view": {"stroke": None}},
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "line", "color": "#3a3a3a", "strokeWidth": 1.5}, "encoding": enc},
            {"mark": {"type": "point", "filled": True, "color": "#3a3a3a", "size": 40,
                      "opacity": 0},
             "encoding": {**enc, "tooltip": {"field": "text", "type": "nominal"}}},
            {"transform": [{"window": [{"op": "rank", "as": "r"}],
                            "sort": [{"field": "monat", "order": "descending"}]},
                           {"filter": "datum.r == 1"}],
             "mark": {"type": "circle", "color": "#1f3a5a", "size": 22}, "encoding": enc},
        ],
    }
    return json.dumps(spec, ensure_ascii=False, separators=(",", ":"))


def _render(request: Request, name: str, user, **context) -> HTMLResponse:
    services = _services(request)
    context.update(request=request, user=user, csrf_token=csrf_token(request),
                   data_date=services.data_date())
    return templates.TemplateResponse(request, name, context)


def _units(services) -> dict[str, dict]:
    return {u["unit_id"]: u for u in services.table("units")}


def _unit_arg(units: dict[str, dict], einheit: str | None) -> dict | None:
    """The unit a page's ``einheit`` names (None: none named); 404 for an unknown one."""
    if einheit and einheit not in units:
        raise HTTPException(404, f"Unbekannte Organisationseinheit {einheit!r}.")
    return units.get(einheit) if einheit else None


def _unit_chain(units: dict[str, dict], unit_id: str | None) -> list[dict]:
    """The units from the Jobcenter down to ``unit_id`` (each unit once: bounded even if a
    cycle slipped into the stored tree)."""
    chain: list[dict] = []
    u = units.get(unit_id) if unit_id else None
    while u is not None and u not in chain:
        chain.insert(0, u)
        u = units.get(u["parent_unit_id"]) if u["parent_unit_id"] else None
    return chain


def _is_final(m: int, data_date: dt.date | None) -> bool:
    """The month's Wartezeit has passed: its figures are final (``endgültig``)."""
    return data_date is not None and published_as_of(m) <= data_date


def _digits(rows) -> dict[str, int]:
    """Decimals of the Zähler and Nenner columns: one where any value is fractional (a mean
    stock), none for counts, so that a column is printed uniformly."""
    return {k: int(any(isinstance(r.get(k), float) and not float(r[k]).is_integer()
                       for r in rows if r)) for k in ("numerator", "denominator")}


def _change(now: dict | None, before: dict | None) -> tuple[float | None, str | None]:
    """Value now − Vorjahr in percentage points, or None with the German reason when the two
    values rest on different definitions (a rule change between them)."""
    if now is None or before is None:
        return None, None
    note = incomparable(now["code"], now.get("rules"), before.get("rules"))
    if note:
        return None, note
    return point_change(now["value"], before["value"]), None


def _pct_kind(ind) -> str:
    """Changes carry a sign (``+2,0 %``, ``−3,2 %``) as in the CLI and the reports."""
    return "change_pct" if ind.is_change else "pct"


def _value_kind(ind) -> str:
    return "eur" if ind.unit == "EUR" else "number"


# -- Übersicht --------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, month: str | None = None, monat: str | None = None,
             user=Depends(page_user)):
    """The 15 measures for a Berichtsmonat (``?month=YYYY-MM``, default the latest)."""
    services = _services(request)
    return _render(request, "overview.html.j2", user, active="uebersicht",
                   **overview_view(services, user, month or monat,
                                   getattr(request.app.state, "steering", None)))


def overview_view(services, user, monat: str | None, steering=None) -> dict:
    """What the overview shows (also its Excel download): the rows of the Berichtsmonat and,
    with the steering store, the target lights (:func:`amip.web.targets.overview_lights`)."""
    from amip.web.targets import overview_lights

    m = _month_arg(services, monat)
    latest = _latest(services)
    hide = _discloses(user)
    rows = services.memoized("overview_rows", _overview_rows, services, m, hide)
    return dict(rows=rows, month=m, latest=latest, month_choices=month_choices(services),
                lights=overview_lights(services, steering, m, hide),
                final=_is_final(m, services.data_date()), signed_pp=signed_pp, hide=hide,
                jobcenter=(services.table("jobcenters") or [{}])[0])


def month_choices(services) -> list[int]:
    """The Berichtsmonate a selector offers, newest first: every month with a figure, from the
    last to the first (:meth:`Horizon.figure_range`)."""
    span = services.horizon().figure_range()
    return [] if span is None else list(range(span[1], span[0] - 1, -1))


def _jfw_values(services, months: tuple[int, ...], hide: bool,
                unit_id: str | None = None) -> dict[tuple[str, str, str], object]:
    """(code, YYYY-MM, sex) → the Jahresfortschrittswert of the quotas that have one (the
    engine's ``jfw`` basis), under the role's disclosure control."""
    records = services.indicators(months, unit_id=unit_id, jfw=True)
    return {(r["code"], r["month"], r["sex"]): r["value"]
            for r in _rows(services, records, hide, jfw=True)}


def _overview_rows(services, m: int, hide: bool) -> list[dict]:
    """The overview's rows: value, Jahresfortschrittswert, Vorjahr, change and a sparkline of
    13 months per measure (memoized per data state and month)."""
    months = tuple(range(m - 12, m + 1))
    by = {(r["code"], r["month"]): r for r in _rows(services, services.indicators(months), hide)
          if r["sex"] == "all"}
    jfw = _jfw_values(services, (m,), hide)
    rows = []
    for code, ind in load().indicators.items():
        now, before = by.get((code, format_month(m))), by.get((code, format_month(m - 12)))
        value = now["value"] if now else None
        prev = before["value"] if before else None
        change, change_note = _change(now, before)
        rows.append({
            "code": code, "ind": ind, "value": value, "prev": prev,
            "has_jfw": ind.form in JFW_FORMS, "jfw": jfw.get((code, format_month(m), "all")),
            "change": change, "change_note": change_note,
            "reason": now.get("reason") if now else None,
            "spark": sparkline([(format_month(k), by[(code, format_month(k))]["value"])
                                for k in months if (code, format_month(k)) in by]),
        })
    return rows


# -- Kennzahl detail ---------------------------------------------------------------------------


def _forecast(services, code: str, m: int, unit_id: str | None, sex: str):
    from amip.engine.forecast import forecast

    def make():
        try:
            return services.query(forecast, code, m, None, 0.8, 500, unit_id=unit_id, sex=sex,
                                  history_months=60)
        except AmipError:  # e.g. a scope the forecast does not cover: no forecast band
            return None

    return _cached(services, "forecast", (code, m, unit_id, sex), make)


def _unit_records(services, code: str, months: tuple[int, ...], unit_ids: tuple[str, ...]):
    def make():
        return services.query(compute, list(months), None, None, False, None, False, [code],
                              list(unit_ids))

    return _cached(services, "units", (code, months, unit_ids), make)


@router.get("/kennzahl/{code}", response_class=HTMLResponse)
def indicator(request: Request, code: str, monat: str | None = None, einheit: str | None = None,
              geschlecht: str = "all", user=Depends(page_user)):
    from amip.web.targets import unit_light

    services = _services(request)
    context = indicator_view(services, user, code, monat, einheit, geschlecht)
    unit = context["unit"]
    context["target_light"] = unit_light(
        services, getattr(request.app.state, "steering", None), context["month"],
        context["code"], None if unit is None or unit["level"] == "jobcenter"
        else unit["unit_id"], geschlecht, _discloses(user))
    return _render(request, "indicator.html.j2", user, active="uebersicht", **context)


def indicator_view(services, user, code: str, monat: str | None, einheit: str | None,
                   geschlecht: str) -> dict:
    """What the Kennzahl page shows (also its Excel download)."""
    cat = load()
    ind = cat.indicators.get(code.upper())
    if ind is None:
        raise HTTPException(404, f"Unbekannte Kennzahl {code!r}.")
    code = ind.code
    if geschlecht not in SEXES:
        raise HTTPException(422, "Geschlecht: all, m oder w.")
    m = _month_arg(services, monat)
    latest = _latest(services)
    units = _units(services)
    unit = _unit_arg(units, einheit)
    unit_id = None if unit is None or unit["level"] == "jobcenter" else unit["unit_id"]
    chain = _unit_chain(units, unit["unit_id"] if unit else None) or \
        [u for u in units.values() if u["level"] == "jobcenter"][:1]

    months = tuple(range(m - 23, m + 1))
    hide = _discloses(user)
    records = [r for r in services.indicators(months, unit_id=unit_id) if r.code == code]
    by = {(r["month"], r["sex"]): r for r in _rows(services, records, hide)}

    def cell(r, field):
        return None if r is None else r[field]

    data_date = services.data_date()
    series = []
    for k in reversed(months):
        r = by.get((format_month(k), geschlecht))
        series.append({"month": k, "numerator": cell(r, "numerator"),
                       "denominator": cell(r, "denominator"), "value": cell(r, "value"),
                       "final": _is_final(k, data_date)})
    sexes = []
    for s, label in SEXES.items():
        r, p = by.get((format_month(m), s)), by.get((format_month(m - 12), s))
        v, pv = cell(r, "value"), cell(p, "value")
        change, change_note = _change(r, p)
        sexes.append({"sex": s, "label": label, "value": v, "prev": pv,
                      "numerator": cell(r, "numerator"), "denominator": cell(r, "denominator"),
                      "change": change, "change_note": change_note,
                      "suppressed": bool(r and r.get("suppressed"))})

    actual = [{"monat": month_start(k), "wert": by[(format_month(k), geschlecht)]["value"]}
              for k in months if isinstance(by.get((format_month(k), geschlecht), {})
                                            .get("value"), float)]
    fc = _forecast(services, code, m, unit_id, geschlecht) if not hide else None
    forecast_rows = []
    if fc is not None:
        forecast_rows = [{"monat": month_start(parse_month(p.month)), "wert": p.value,
                          "untere": p.lower, "obere": p.upper}
                         for p in fc.points if parse_month(p.month) > m and p.value is not None]
    breaks = dict(rule_marks(code, list(months)))
    marks = [{"monat": month_start(k), "text": f"{RULE_MARK} ({label})"}
             for k, label in breaks.items()]
    for row in series:
        row["rule_change"] = breaks.get(row["month"])
    # Altair builds the spec in ≈ 85 ms: once per data state and view
    chart = _cached(services, "indicator_chart", (code, m, unit_id, geschlecht, hide),
                    lambda: chart_json(line_series(actual, forecast=forecast_rows or None,
                                                   kind="pct", width=460, height=220,
                                                   marks=marks or None))
                    if actual else None)
    current = by.get((format_month(m), geschlecht))
    jfw = _jfw_values(services, (m - 12, m), hide, unit_id) if ind.form in JFW_FORMS else {}
    return dict(
        ind=ind, code=code, month=m, has_jfw=ind.form in JFW_FORMS,
        jfw=jfw.get((code, format_month(m), geschlecht)),
        jfw_prev=jfw.get((code, format_month(m - 12), geschlecht)),
        latest=latest, month_choices=month_choices(services),
        unit=unit, chain=chain, level_label=LEVELS, sex=geschlecht, sexes_label=SEXES,
        series=series, sexes=sexes, chart=chart, forecast=fc if forecast_rows else None,
        current=current, value_kind=_value_kind(ind), pk=_pct_kind(ind),
        digits=_digits(by.values()), form_text=FORM_TEXT.get(ind.form, ind.form),
        fact_text=FACT_LABELS, signed_pp=signed_pp, hide=hide, final=_is_final(m, data_date),
        marks=marks, benefit=cat.benefit_for(stichtag(m)),
        rules=cat.rules_for(stichtag(m)) if hasattr(cat, "rules_for") else None)


@router.get("/kennzahl/{code}/einheiten", response_class=HTMLResponse)
def indicator_units(request: Request, code: str, monat: str | None = None,
                    einheit: str | None = None, geschlecht: str = "all",
                    user=Depends(page_user)):
    """The htmx partial of the drill-down: the measure for each unit one level below, the
    persons (or euros) of none of them ("ohne Zuordnung", from the engine) and the parent's
    total, for the sex of the page's tab."""
    context = units_view(_services(request), user, code, monat, einheit, geschlecht)
    return templates.TemplateResponse(request, "_units.html.j2", {"request": request, **context})


def units_view(services, user, code: str, monat: str | None, einheit: str | None,
               geschlecht: str = "all") -> dict:
    """The drill-down's rows (also in the Kennzahl page's Excel download)."""
    ind = load().indicators.get(code.upper())
    if ind is None:
        raise HTTPException(404, f"Unbekannte Kennzahl {code!r}.")
    code = ind.code
    if geschlecht not in SEXES:
        raise HTTPException(422, "Geschlecht: all, m oder w.")
    m = _month_arg(services, monat)
    units = _units(services)
    parent = _unit_arg(units, einheit) if einheit else \
        next((u for u in units.values() if u["level"] == "jobcenter"), None)
    children = child_rows(list(units.values()), parent["unit_id"]) if parent else []
    hide = _discloses(user)
    rows, total, notes = [], None, []
    if children:
        months = (m - 12, m)
        ids = tuple(u["unit_id"] for u in children) + (parent["unit_id"],)
        recs = _unit_records(services, code, months, ids)
        by = {(r["unit_id"], r["month"]): r for r in _rows(services, recs, hide)
              if r["sex"] == geschlecht}

        def row(u):
            r = by.get((u["unit_id"], format_month(m)))
            p = by.get((u["unit_id"], format_month(m - 12)))
            change, note = _change(r, p)
            if note and note not in notes:
                notes.append(note)
            has_children = any(c["parent_unit_id"] == u["unit_id"] for c in units.values())
            return {"unit": u, "level": LEVELS.get(u["level"], u["level"]),
                    "value": r["value"] if r else None, "prev": p["value"] if p else None,
                    "numerator": r["numerator"] if r else None,
                    "denominator": r["denominator"] if r else None, "change": change,
                    "has_children": has_children,
                    "unassigned": u["level"] == UNASSIGNED_LEVEL}

        rows = [row(u) for u in children]
        total = row(parent)
    return {
        "rows": rows, "total": total, "parent": parent, "code": code,
        "month": m, "ind": ind, "value_kind": _value_kind(ind), "pk": _pct_kind(ind),
        "signed_pp": signed_pp, "digits": _digits(rows + [total] if total else rows),
        "level_label": LEVELS, "sex": geschlecht, "sex_label": SEXES[geschlecht],
        "notes": notes, "child_level": LEVELS.get(children[0]["level"]) if children else None}


# -- Kundengruppen -----------------------------------------------------------------------------


@router.get("/kundengruppen", response_class=HTMLResponse)
def customer_groups_page(request: Request, monat: str | None = None,
                         einheit: str | None = None, gruppe: str | None = None,
                         user=Depends(page_user)):
    """The customer-group monitor for a Berichtsmonat and unit (``einheit``; default the
    Jobcenter), the units one level below for one group (``gruppe``), its trend and targets."""
    services = _services(request)
    return _render(request, "groups.html.j2", user, active="kundengruppen",
                   **groups_view(services, user, monat, einheit, gruppe,
                                 getattr(request.app.state, "steering", None)))


#: the columns of the monitor's tables: figure key → (German heading, display kind)
GROUP_FIGURES = {
    "stock": ("Bestand", "count"), "inflows": ("Zugänge", "count"),
    "outflows": ("Abgänge", "count"), "integrations": ("Integrationen", "count"),
    "integration_rate": ("Integrationsquote (12 Monate)", "pct"),
    "lzb_share": ("LZB-Anteil", "pct"), "activation_rate": ("Aktivierungsquote", "pct"),
}


def group_targets(services, steering, month: int, unit_id: str | None,
                  hide: bool = False) -> dict[str, list]:
    """group id → the status records of its targets (``<figure>@<group>``, all persons) for
    the unit in the month, with the measure's German figure name; ``hide``: under disclosure
    control (:func:`amip.web.targets.protected`)."""
    from amip.web.targets import LIGHT_CLASS, LIGHT_LABEL, light_title, protected, statuses

    if steering is None:
        return {}
    try:
        records = statuses(services, steering, month, unit_id, expectation=False)
    except AmipError:
        return {}
    measures = steering.measures()
    records = protected(records, measures, hide)
    out: dict[str, list] = {}
    for r in records:
        md = measures.get(r.measure)
        if md is None or md.source != "group" or r.unit_id != unit_id or r.sex != "all":
            continue
        out.setdefault(md.group, []).append({
            "figure": GROUP_FIGURES.get(md.fact, (md.fact,))[0], "record": r, "md": md,
            "cls": LIGHT_CLASS[r.light], "label": LIGHT_LABEL[r.light],
            "title": light_title(r, md)})
    return out


def groups_view(services, user, monat: str | None, einheit: str | None = None,
                gruppe: str | None = None, steering=None) -> dict:
    """What the page Kundengruppen shows (also its Excel download)."""
    m = _month_arg(services, monat)
    units = _units(services)
    unit = _unit_arg(units, einheit)
    unit_id = None if unit is None or unit["level"] == "jobcenter" else unit["unit_id"]
    chain = _unit_chain(units, unit["unit_id"] if unit else None) or \
        [u for u in units.values() if u["level"] == "jobcenter"][:1]
    hide = _discloses(user)
    data = group_data(services, m, unit_id, hide)  # the API's answer (amip.web.group_api)
    groups = data["groups"]
    ids = [g["id"] for g in groups]
    if gruppe is not None and gruppe not in ids:
        raise HTTPException(404, f"Unbekannte Kundengruppe {gruppe!r}.")
    gid = gruppe or ids[0]
    group = next(g for g in groups if g["id"] == gid)
    children = {u["parent_unit_id"] for u in units.values()}
    unit_rows = [{"unit": u, "level": LEVELS.get(u["level"], u["level"]),
                  "unassigned": u["level"] == UNASSIGNED_LEVEL,
                  "has_children": u["unit_id"] in children, "f": u["figures"][gid]}
                 for u in data["units"]]
    trend = data["trend"][gid]
    stock = [{"monat": f"{t['month']}-01", "wert": t["stock"]} for t in trend
             if isinstance(t["stock"], (int, float))]
    chart = _cached(services, "group_chart", (m, unit_id, gid, hide), lambda: chart_json(
        line_series(stock, kind="count", width=380, height=200))) if stock else None
    flows = [{"monat": SHORT_MONTHS[int(t["month"][5:]) - 1],  # the caption gives the years
              "reihe": label, "Personen": t[key]}
             for t in trend for key, label in (("inflows", "Zugänge"), ("outflows", "Abgänge"),
                                              ("integrations", "Integrationen"))
             if isinstance(t[key], (int, float))]
    flow_chart = _cached(services, "group_flow_chart", (m, unit_id, gid, hide), lambda: chart_json(
        grouped_bars(flows, "monat", "Personen", "reihe", labels=False, width=620,
                     height=200))) if flows else None
    return dict(month=m, day=stichtag(m), latest=_latest(services),
                month_choices=month_choices(services), unit=unit, chain=chain,
                level_label=LEVELS, hide=hide, data=data, groups=groups, gid=gid, group=group,
                unit_rows=unit_rows, trend=trend, chart=chart, flow_chart=flow_chart,
                figures=GROUP_FIGURES,
                targets=group_targets(services, steering, m, unit_id, hide),
                child_level=unit_rows[0]["level"] if unit_rows else None,
                jobcenter=(services.table("jobcenters") or [{}])[0])


# -- Datenstand --------------------------------------------------------------------------------


@router.get("/datenstand", response_class=HTMLResponse)
def data_state(request: Request, user=Depends(page_user)):
    services = _services(request)
    data_date = services.data_date()
    latest = services.latest_month()
    wait = load().parameters.wartezeit_months
    imports = []
    for imp in sorted(services.imports(), key=lambda i: i["import_id"], reverse=True):
        files = imp.get("files") or []
        imports.append({**imp, "n_files": len(files),
                        "rows": sum(f.get("rows", 0) for f in files),
                        "tables": ", ".join(sorted({f.get("table", "") for f in files}))})
    months = []
    if latest is not None:
        for k in range(latest, latest - 12, -1):
            months.append({"month": k, "final_on": published_as_of(k),
                           "final": _is_final(k, data_date),
                           "stichtag": stichtag(k), "end": month_end(k)})
    reach = services.horizon()
    return _render(request, "datenstand.html.j2", user, active="datenstand", imports=imports,
                   months=months, latest=latest, wait=wait, today=dt.date.today(),
                   reach=list(reach.tables.values()), covered=reach.covered_text())


# -- Glossar ------------------------------------------------------------------------------------


@router.get("/glossar", response_class=HTMLResponse)
def glossary_page(request: Request, user=Depends(page_user)):
    """The terms of the pages, generated from the catalogue (:mod:`amip.catalogue.glossary`)."""
    from amip.catalogue.glossary import glossary

    return _render(request, "glossar.html.j2", user, active="glossar", sections=glossary())


# -- Protokoll (audit trail, roles with the audit right) ---------------------------------------

AUDIT_OUTCOMES = ("ok", "denied", "failed")


@router.get("/protokoll", response_class=HTMLResponse)
def audit_page(request: Request, user=Depends(page_user), aktion: str | None = None,
               ergebnis: str | None = None):
    """The append-only audit trail, newest first (Controlling). Reading it is recorded too."""
    trail = request.app.state.users.audit
    address = client_address(request)
    if not user.rights.audit:
        trail.record(user.name, "audit.read", "page", "denied", address)
        raise HTTPException(403, f"Die Rolle {user.rights.label} darf das Protokoll nicht lesen.")
    outcome = ergebnis if ergebnis in AUDIT_OUTCOMES else None
    trail.record(user.name, "audit.read", "page", "ok", address)
    entries = trail.entries(200, 0, None, aktion or None, outcome)
    return _render(request, "protokoll.html.j2", user, active="protokoll", entries=entries,
                   action=aktion or "", outcome=outcome or "", outcomes=AUDIT_OUTCOMES,
                   labels=audit_labels())
