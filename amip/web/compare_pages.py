"""The page "Vergleich" (``/vergleich``, issue 16 item 5): all Jobcenter of a month for one
measure, grouped by Vergleichstyp or Land — value, rank within the group, expected value with
its interval, residual and verdict — as a table sortable on the server (header links: works
without JavaScript) and a dot plot of actual against expected; the aggregates of Bund, Länder
and Vergleichstypen. ``/vergleich/{jobcenter_id}``: one Jobcenter among its peers.

Every figure comes from :mod:`amip.web.compare` (exactly the API's). Expected values are
descriptive: a regression on framework conditions the Jobcenter cannot influence, not a
verdict on causes; the page says so.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from amip.catalogue import load
from amip.compare.config import config
from amip.engine.calendar import format_month, month_start, parse_month
from amip.errors import AmipError
from amip.web import compare as cmp
from amip.web.auth import page_user
from amip.web.pages import _month_arg, _render, _services, month_choices

router = APIRouter(include_in_schema=False)

GROUPINGS = {"vergleichstyp": "Vergleichstyp", "land": "Land"}
#: sortable columns: key → (German header, value of a table row to sort by)
COLUMNS = {
    "name": ("Jobcenter", lambda r: r["name"]),
    "gruppe": ("Gruppe", lambda r: r["group"] or ""),
    "wert": ("Wert", lambda r: r["value"]),
    "rang": ("Rang", lambda r: r["rank"]),
    "erwartet": ("Erwartet", lambda r: r["expected"]),
    "abweichung": ("Abweichung", lambda r: r["residual"]),
}
MAX_PLOT = 60  # Jobcenter at most in the dot plot (more: choose one group)
DESCRIPTIVE = ("Erwartet: was die Rahmenbedingungen (Arbeitslosenquote, Verstädterung, "
               "Ausländeranteil), auf die das Jobcenter keinen Einfluss hat, über alle Jobcenter "
               "hinweg erwarten lassen (Regression). Die Abweichung beschreibt, sie erklärt "
               "nicht: sie ist kein Urteil über die Arbeit des Jobcenters.")


def _measure(kennzahl: str | None) -> str:
    cat = load()
    if not kennzahl:
        return config().measures[0]
    if kennzahl not in cat.indicators:
        raise HTTPException(404, f"Unbekannte Kennzahl {kennzahl!r}.")
    return kennzahl


def _kind(code: str) -> str:
    return "change_pct" if load().indicators[code].is_change else "pct"


@router.get("/vergleich", response_class=HTMLResponse)
def compare_page(request: Request, monat: str | None = None, kennzahl: str | None = None,
                 gruppe: str = "vergleichstyp", sortierung: str = "rang",
                 richtung: str = "auf", nur: str | None = None, user=Depends(page_user)):
    services = _services(request)
    m = _month_arg(services, monat)
    code = _measure(kennzahl)
    if gruppe not in GROUPINGS:
        raise HTTPException(422, f"Unbekannte Gruppierung {gruppe!r} (Vergleichstyp oder Land).")
    if sortierung not in COLUMNS or richtung not in ("auf", "ab"):
        raise HTTPException(422, f"Unbekannte Sortierung {sortierung!r} {richtung!r}.")
    context = compare_view(services, user, m, code, gruppe, sortierung, richtung, nur or None)
    return _render(request, "vergleich.html.j2", user, active="vergleich", **context)


def compare_view(services, user, m: int, code: str, by: str, sort: str, order: str,
                 only: str | None = None) -> dict:
    """What the page shows (see the module docstring); ``only``: the Jobcenter of one group
    (a Vergleichstyp or Land) in the table and the dot plot."""
    cat = load()
    jcs = services.table("jobcenters")
    base = dict(month=m, code=code, by=by, groupings=GROUPINGS, sort=sort, order=order,
                indicators=cat.indicators, month_choices=month_choices(services),
                kind=_kind(code), ind=cat.indicators[code], descriptive=DESCRIPTIVE,
                benchmarked_codes=", ".join(cmp.benchmarked()),
                jobcenter_list=jcs, scope=cmp.scope_label(services, user))
    if len(jcs) < 2:
        return {**base, "single": True}
    v = cmp.view_of(services, user, m, (code,))
    c = v["comparison"]
    exp = v["expected"].get(code)
    rows = []
    for r in c.rows:
        fig = r.figures.get(code)
        rank = v["ranks"][by].get((r.jobcenter_id, code))
        e = exp.get(r.jobcenter_id) if exp is not None else None
        rows.append({"jobcenter_id": r.jobcenter_id, "name": r.name, "land": r.land,
                     "vergleichstyp": r.vergleichstyp, "group": getattr(r, by),
                     "value": None if fig is None else fig.value,
                     "reason": "kein Wert" if fig is None else fig.reason,
                     "rank": None if rank is None else rank.rank,
                     "of": None if rank is None else rank.of,
                     "rank_reason": None if rank is None else rank.reason,
                     "expected": None if e is None else e.expected,
                     "lower": None if e is None else e.lower,
                     "upper": None if e is None else e.upper,
                     "residual": None if e is None else e.residual,
                     "verdict": None if e is None else e.verdict,
                     "exp_reason": None if e is None else e.reason})
    keys = sorted({r["group"] for r in rows if r["group"]})
    only = only if only in keys else None  # a key of the other grouping: all
    if only is not None:
        rows = [r for r in rows if r["group"] == only]
    rows = sort_rows(rows, sort, order, by)
    aggs = [a for a in c.aggregates if a.level in ("national", by)]
    plotted = rows if len(rows) <= MAX_PLOT else []
    return {**base, "single": False, "rows": rows, "aggregates": aggs, "comparison": c,
            "benchmarked": exp is not None, "fit": v["fits"].get(code),
            "labels": config().labels, "level": config().level,
            "jobcenters": v["jobcenters"], "group_keys": keys, "only": only,
            "max_plot": MAX_PLOT, "sort_links": sort_links(m, code, by, sort, order, only),
            "chart": dot_plot(plotted, code, exp is not None,
                              next((a.figures[code].value for a in aggs
                                    if a.level == "national" and code in a.figures), None))}


def sort_rows(rows: list[dict], sort: str, order: str, by: str) -> list[dict]:
    """Rows by the column ``sort`` (``auf`` ascending, ``ab`` descending); rows without a value
    last either way; ``rang`` sorts within the groups."""
    key = COLUMNS[sort][1]
    have = [r for r in rows if key(r) is not None]
    rest = [r for r in rows if key(r) is None]
    have.sort(key=key, reverse=order == "ab")
    if sort == "rang":
        have.sort(key=lambda r: r["group"] or "")
        rest.sort(key=lambda r: (r["group"] or "", r["name"]))
    return have + rest


def sort_links(m: int, code: str, by: str, sort: str, order: str,
               only: str | None = None) -> dict[str, dict]:
    """Per column: its header, the URL that sorts by it (again: the other way) and aria-sort."""
    out = {}
    for col, (label, _) in COLUMNS.items():
        now = col == sort
        nxt = ("ab" if order == "auf" else "auf") if now else "auf"
        q = urlencode({"monat": format_month(m), "kennzahl": code, "gruppe": by,
                       **({"nur": only} if only else {}), "sortierung": col, "richtung": nxt})
        out[col] = {"label": label, "url": f"/vergleich?{q}#tabelle",
                    "aria": ("ascending" if order == "auf" else "descending") if now else None}
    return out


def dot_plot(rows: list[dict], code: str, benchmarked: bool, national: float | None) -> str | None:
    """Vega-Lite: per Jobcenter its value (filled dot) and, for the benchmarked measures, the
    expected value (open dot) with its prediction interval (line); the Bund as a rule."""
    values = []
    for r in rows:
        if r["value"] is None and r["expected"] is None:
            continue
        values.append({"jc": f"{r['name']} ({r['jobcenter_id']})", "wert": r["value"],
                       "erwartet": r["expected"], "unten": r["lower"], "oben": r["upper"],
                       "einordnung": r["verdict"] or ""})
    if not values:
        return None
    order = [v["jc"] for v in values]
    y = {"field": "jc", "type": "nominal", "sort": order, "title": None}
    x_title = f"{code} in %"
    layers = []
    if benchmarked:
        layers += [
            {"mark": {"type": "rule", "color": "#8a9bb0", "strokeWidth": 2},
             "encoding": {"y": y, "x": {"field": "unten", "type": "quantitative",
                                        "title": x_title, "scale": {"zero": False}},
                          "x2": {"field": "oben"}}},
            {"mark": {"type": "point", "shape": "circle", "filled": False, "color": "#51657d",
                      "size": 60},
             "encoding": {"y": y, "x": {"field": "erwartet", "type": "quantitative"},
                          "tooltip": [{"field": "jc", "title": "Jobcenter"},
                                      {"field": "erwartet", "title": "Erwartet",
                                       "format": ",.1f"},
                                      {"field": "unten", "title": "Intervall von",
                                       "format": ",.1f"},
                                      {"field": "oben", "title": "bis", "format": ",.1f"}]}},
        ]
    layers.append(
        {"mark": {"type": "point", "shape": "circle", "filled": True, "color": "#1f3a5a",
                  "size": 70},
         "encoding": {"y": y, "x": {"field": "wert", "type": "quantitative", "title": x_title,
                                    "scale": {"zero": False}},
                      "tooltip": [{"field": "jc", "title": "Jobcenter"},
                                  {"field": "wert", "title": "Wert", "format": ",.1f"},
                                  {"field": "einordnung", "title": "Einordnung"}]}})
    spec = {"width": 520, "height": max(120, 22 * len(values)), "data": {"values": values},
            "layer": layers, "config": {"axis": {"labelFontSize": 11}}}
    if national is not None:
        spec["layer"].append({"data": {"values": [{"bund": national}]},
                              "mark": {"type": "rule", "color": "#b0602a",
                                       "strokeDash": [4, 3]},
                              "encoding": {"x": {"field": "bund", "type": "quantitative"}}})
    return json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# -- one Jobcenter among its peers --------------------------------------------------------------

@router.get("/vergleich/{jobcenter_id}", response_class=HTMLResponse)
def jobcenter_page(request: Request, jobcenter_id: str, monat: str | None = None,
                   kennzahl: str | None = None, user=Depends(page_user)):
    services = _services(request)
    m = _month_arg(services, monat)
    code = _measure(kennzahl)
    if code not in cmp.benchmarked():
        raise HTTPException(404, f"Für die Kennzahl {code} wird kein Erwartungswert geschätzt "
                                 f"(eine von {', '.join(cmp.benchmarked())}).")
    if jobcenter_id not in {j["jobcenter_id"] for j in services.table("jobcenters")}:
        raise HTTPException(404, f"Unbekanntes Jobcenter {jobcenter_id!r}.")
    try:
        cmp.require_visible(request, services, user, jobcenter_id)
    except AmipError as e:
        raise HTTPException(403, str(e)) from None
    context = peer_context(services, user, m, jobcenter_id, code)
    return _render(request, "vergleich_jobcenter.html.j2", user, active="vergleich", **context)


def peer_context(services, user, m: int, jobcenter_id: str, code: str) -> dict:
    cat = load()
    p = cmp.peer_view(services, user, m, jobcenter_id)
    months = tuple(services.horizon().check_months(list(cmp.months_back(m))))
    b = cmp.benchmark_view(services, user, months, code)
    series = [e for e in b.rows if e.jobcenter_id == jobcenter_id]
    return dict(month=m, p=p, jc=p.jobcenter, indicators=cat.indicators, code=code,
                benchmarked=cmp.benchmarked(), month_choices=month_choices(services),
                kinds={c: _kind(c) for c in cat.indicators}, level=b.level,
                series=series, chart=series_chart(series, code), descriptive=DESCRIPTIVE,
                single=len(services.table("jobcenters")) < 2)


def series_chart(series, code: str) -> str | None:
    """Vega-Lite: the actual value over the months (line) against the expected value with its
    prediction interval (band)."""
    values = [{"monat": month_start(parse_month(e.month)).isoformat(), "wert": e.actual,
               "erwartet": e.expected, "unten": e.lower, "oben": e.upper} for e in series]
    if not any(v["erwartet"] is not None or v["wert"] is not None for v in values):
        return None
    x = {"field": "monat", "type": "temporal", "title": None,
         "axis": {"format": "%b %Y", "labelAngle": 0}}
    spec = {"width": 560, "height": 200, "data": {"values": values}, "layer": [
        {"mark": {"type": "area", "color": "#c9d3df", "opacity": 0.7},
         "encoding": {"x": x, "y": {"field": "unten", "type": "quantitative",
                                    "title": f"{code} in %", "scale": {"zero": False}},
                      "y2": {"field": "oben"}}},
        {"mark": {"type": "line", "color": "#51657d", "strokeDash": [4, 3]},
         "encoding": {"x": x, "y": {"field": "erwartet", "type": "quantitative"}}},
        {"mark": {"type": "line", "color": "#1f3a5a", "point": True},
         "encoding": {"x": x, "y": {"field": "wert", "type": "quantitative"},
                      "tooltip": [{"field": "monat", "type": "temporal", "title": "Monat",
                                   "format": "%B %Y"},
                                  {"field": "wert", "title": "Wert", "format": ",.1f"},
                                  {"field": "erwartet", "title": "Erwartet", "format": ",.1f"}]}},
    ]}
    return json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


__all__ = ["router", "compare_view", "peer_context"]
