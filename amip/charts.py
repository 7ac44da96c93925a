"""Charts for the reports and the web pages: Altair (Vega-Lite) specs in one notation,
rendered to SVG offline (reports) or in the browser (web).

The notation follows the spirit of IBCS (International Business Communication Standards):

* **Ist** (actual) — solid dark fill or a thick solid line;
* **Plan / Ziel** (plan, target) — outlined bars without fill, or a thin line;
* **Prognose** (forecast) — hatched bars, or a dashed line with a light band for the interval;
  several forecast scenarios are labelled by name;
* **Vorjahr** (previous year) — light grey fill.

Charts carry no title: the report gives the title (``Abbildung n: …``) and the ``Quelle:`` line.
Numbers use the German format locale (``5.485``, ``23,4 %``), text is set in DejaVu Sans, the font
the PDF embeds. :func:`to_svg` renders with vl-convert, which bundles Vega and Vega-Lite: nothing is
loaded from the network, and the result is checked for URLs.

Every helper takes the data as a list of dicts (the same rows a :class:`~amip.reports.model.Chart`
keeps for download) and returns a finished, configured ``alt.Chart``/``alt.LayerChart``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Iterable

import altair as alt
import vl_convert

FONT = "DejaVu Sans"
INK = "#3a3a3a"  # actual: dark, solid
PLAN_FILL = "#ffffff"
PREVIOUS = "#b3b3b3"  # previous year: light grey
BAND = "#cfcfcf"  # forecast interval
HATCH = "#a0a0a1"  # sentinel colour of forecast fills, replaced by a hatch pattern in to_svg
CATEGORY = ["#3a3a3a", "#8a8a8a", "#c4c4c4", "#5f7f99", "#a9bccc", "#6b6b6b"]  # non-scenario groups
WIDTH = 580  # px at 96 dpi: about 15.5 cm, within the 16.5 cm text width of the A4 page
HEIGHT = 220

#: scenario label → (fill, stroke, dash, line width). Labels are German, as shown in legends.
SCENARIOS: dict[str, tuple[str, str, list[int], float]] = {
    "Ist": (INK, INK, [1, 0], 2.5),
    "Vorjahr": (PREVIOUS, PREVIOUS, [1, 0], 1.5),
    "Plan": (PLAN_FILL, INK, [1, 0], 1.0),
    "Ziel": (PLAN_FILL, INK, [1, 0], 1.0),
    "Zielpfad": (PLAN_FILL, INK, [1, 0], 1.0),
    "Planpfad": (PLAN_FILL, INK, [1, 0], 1.0),
    "Prognose": (HATCH, INK, [5, 3], 1.8),
}

_FORMAT = {  # d3-format specifiers; the de-DE locale turns "," into "." and "." into ","
    "count": (",.0f", ""),
    "number": (",.1f", ""),
    "pct": (",.1f", "\u00a0%"),
    "change_pct": ("+,.1f", "\u00a0%"),
    "eur": (",.0f", "\u00a0€"),
}


def _style(name: str) -> tuple[str, str, list[int], float]:
    if name in SCENARIOS:
        return SCENARIOS[name]
    if name.startswith("Prognose") or name.startswith("Szenario"):
        return SCENARIOS["Prognose"]
    raise KeyError(name)


def _clean(rows: Iterable[dict]) -> list[dict]:
    """JSON-safe copies of the rows: dates as ISO strings, Decimals as floats."""
    out = []
    for r in rows:
        d = {}
        for k, v in r.items():
            if isinstance(v, (dt.date, dt.datetime)):
                v = v.isoformat()
            elif isinstance(v, Decimal):
                v = float(v)
            d[k] = v
        out.append(d)
    return out


def _label_expr(field: str, kind: str) -> str:
    spec, unit = _FORMAT.get(kind, _FORMAT["number"])
    text = f"format(datum[{field!r}], {spec!r})"
    if kind == "change_pct":  # d3 puts a hyphen-minus; print a real minus sign
        text = f"replace({text}, '-', '\u2212')"
    return text + (f" + {unit!r}" if unit else "")


def _axis_format(kind: str) -> str:
    return _FORMAT.get(kind, _FORMAT["number"])[0].replace("+", "")


def _configure(chart, width: int, height: int):
    axis = {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 10, "titleFontSize": 10,
            "labelColor": "#333333", "titleColor": "#333333", "titleFontWeight": "normal",
            "domainColor": "#666666", "tickColor": "#666666", "gridColor": "#e6e6e6"}
    return (chart.properties(width=width, height=height)
            .configure(font=FONT, background="white", padding=4)
            .configure_view(stroke=None)
            .configure_axis(**axis)
            .configure_legend(orient="bottom", title=None, labelFont=FONT, labelFontSize=10,
                              symbolStrokeWidth=1.2, labelColor="#333333")
            .configure_text(font=FONT, fontSize=9.5, color="#333333"))


def _scenario_scales(values: list[str]) -> dict[str, alt.Scale]:
    styles = [_style(v) for v in values]
    return {
        "fill": alt.Scale(domain=values, range=[s[0] for s in styles]),
        "stroke": alt.Scale(domain=values, range=[s[1] for s in styles]),
        "dash": alt.Scale(domain=values, range=[s[2] for s in styles]),
        "width": alt.Scale(type="ordinal", domain=values, range=[s[3] for s in styles]),
    }


def _ordered(values: Iterable[Any]) -> list:
    seen: list = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def _is_scenario(values: list) -> bool:
    try:
        [_style(str(v)) for v in values]
        return True
    except KeyError:
        return False


def bar_series(data: list[dict], x: str, y: str, *, scenario: str | None = None,
               kind: str = "count", x_title: str | None = None, labels: bool = True,
               width: int = WIDTH, height: int = HEIGHT):
    """Vertical bars over an ordered category (years, months), e.g. the ELB Jahresdurchschnitt
    over ten years. ``scenario`` names a field holding ``Ist``/``Plan``/``Prognose``/``Vorjahr``
    per row (a planned last year is then drawn outlined, a forecast hatched). With ``labels``
    each bar carries its value and the y axis is left out (IBCS: label, don't grid)."""
    rows = _clean(data)
    base = alt.Chart(alt.Data(values=rows))
    xenc = alt.X(f"{x}:O", title=x_title, sort=None,
                 axis=alt.Axis(labelAngle=0, ticks=False, domainColor="#333333"))
    if scenario:
        values = _ordered(r[scenario] for r in rows)
        sc = _scenario_scales(values)
        bars = base.mark_bar(strokeWidth=1.2, width={"band": 0.7}).encode(
            x=xenc, y=alt.Y(f"{y}:Q", axis=None if labels else alt.Axis(format=_axis_format(kind))),
            fill=alt.Fill(f"{scenario}:N", scale=sc["fill"],
                          legend=alt.Legend() if len(values) > 1 else None),
            stroke=alt.Stroke(f"{scenario}:N", scale=sc["stroke"], legend=None),
            strokeDash=alt.StrokeDash(f"{scenario}:N", scale=sc["dash"], legend=None),
        )
    else:
        bars = base.mark_bar(color=INK, width={"band": 0.7}).encode(
            x=xenc, y=alt.Y(f"{y}:Q", axis=None if labels else alt.Axis(format=_axis_format(kind))))
    chart = bars
    if labels:
        text = base.mark_text(baseline="bottom", dy=-3).transform_calculate(
            _label=_label_expr(y, kind)).encode(x=xenc, y=alt.Y(f"{y}:Q"), text="_label:N")
        chart = alt.layer(bars, text)
    return _configure(chart, width, height)


def grouped_bars(data: list[dict], x: str, y: str, group: str, *, kind: str = "count",
                 x_title: str | None = None, labels: bool = True,
                 width: int = WIDTH, height: int = HEIGHT):
    """Bars of several groups side by side per ``x`` category, e.g. Arbeitslose by
    Personengruppe for Vorjahr and Ist. Groups named like scenarios (``Vorjahr``, ``Ist``,
    ``Plan``, ``Prognose``) get the scenario notation, other groups shades of grey."""
    rows = _clean(data)
    groups = _ordered(r[group] for r in rows)
    base = alt.Chart(alt.Data(values=rows))
    xenc = alt.X(f"{x}:N", title=x_title, sort=_ordered(r[x] for r in rows),
                 axis=alt.Axis(labelAngle=0, ticks=False, domainColor="#333333", labelLimit=140))
    offset = alt.XOffset(f"{group}:N", sort=groups)
    yenc = alt.Y(f"{y}:Q", axis=None if labels else alt.Axis(format=_axis_format(kind)))
    if _is_scenario(groups):
        sc = _scenario_scales([str(g) for g in groups])
        bars = base.mark_bar(strokeWidth=1.2).encode(
            x=xenc, xOffset=offset, y=yenc,
            fill=alt.Fill(f"{group}:N", scale=sc["fill"], sort=groups, legend=alt.Legend()),
            stroke=alt.Stroke(f"{group}:N", scale=sc["stroke"], legend=None),
            strokeDash=alt.StrokeDash(f"{group}:N", scale=sc["dash"], legend=None))
    else:
        scale = alt.Scale(domain=groups, range=CATEGORY[:len(groups)])
        bars = base.mark_bar().encode(x=xenc, xOffset=offset, y=yenc,
                                      fill=alt.Fill(f"{group}:N", scale=scale, sort=groups))
    chart = bars
    if labels:
        text = base.mark_text(baseline="bottom", dy=-2, fontSize=8.5).transform_calculate(
            _label=_label_expr(y, kind)).encode(x=xenc, xOffset=offset, y=alt.Y(f"{y}:Q"),
                                                text="_label:N")
        chart = alt.layer(bars, text)
    return _configure(chart, width, height)


def line_series(actual: list[dict], plan: list[dict] | None = None,
                forecast: list[dict] | None = None, *, x: str = "monat", y: str = "wert",
                lower: str = "untere", upper: str = "obere", scenario: str = "szenario",
                kind: str = "count", y_title: str | None = None, zero: bool = False,
                width: int | None = None, height: int = HEIGHT,
                marks: list[dict] | None = None, plan_label: str = "Plan"):
    """A monthly series: actual as a thick solid line, plan as a thin line, forecast dashed with
    its interval (``lower``–``upper``) as a light band. Forecast rows may carry a ``scenario``
    name (one dashed line per scenario, labelled ``Prognose: <name>``). Each line is labelled at
    its end (the plan as ``plan_label``, e.g. "Zielpfad"). ``x`` holds dates
    (``datetime.date`` or ISO strings). ``marks`` (``{x: date, "text": label}``, e.g. a rule
    change) are drawn as labelled vertical rules."""
    actual = _clean(actual)
    rows = [{x: r[x], y: r[y], "_reihe": "Ist"} for r in actual]
    if plan:
        rows += [{x: r[x], y: r[y], "_reihe": plan_label} for r in _clean(plan)]
    band = []
    if forecast:
        fc = _clean(forecast)
        names = _ordered(r.get(scenario) for r in fc)
        last = max(actual, key=lambda r: r[x]) if actual else None
        for name in names:
            label = "Prognose" if name is None else f"Prognose: {name}"
            part = [r for r in fc if r.get(scenario) == name]
            if last is not None:  # the forecast line starts where the actual one ends
                rows.append({x: last[x], y: last[y], "_reihe": label})
                if any(lower in r for r in part):
                    band.append({x: last[x], lower: last[y], upper: last[y], "_reihe": label})
            rows += [{x: r[x], y: r[y], "_reihe": label} for r in part]
            band += [{x: r[x], lower: r[lower], upper: r[upper], "_reihe": label}
                     for r in part if r.get(lower) is not None and r.get(upper) is not None]
    series = _ordered(r["_reihe"] for r in rows)
    sc = _scenario_scales(series)
    xenc = alt.X(f"{x}:T", title=None,
                 axis=alt.Axis(format="%b %Y", labelAngle=0, grid=False, tickCount=8))
    yaxis = alt.Axis(format=_axis_format(kind), title=y_title, grid=True, tickCount=5)
    layers = []
    if band:
        layers.append(alt.Chart(alt.Data(values=band)).mark_area(color=BAND, opacity=0.55).encode(
            x=xenc, y=alt.Y(f"{lower}:Q", axis=yaxis, scale=alt.Scale(zero=zero)),
            y2=f"{upper}:Q", detail="_reihe:N"))
    base = alt.Chart(alt.Data(values=rows))
    stroke = alt.Scale(domain=series, range=[INK if s != "Vorjahr" else PREVIOUS for s in series])
    layers.append(base.mark_line(strokeCap="butt").encode(
        x=xenc, y=alt.Y(f"{y}:Q", axis=yaxis, scale=alt.Scale(zero=zero)),
        stroke=alt.Stroke("_reihe:N", scale=stroke, legend=None),
        strokeDash=alt.StrokeDash("_reihe:N", scale=sc["dash"], legend=None),
        strokeWidth=alt.StrokeWidth("_reihe:N", scale=sc["width"], legend=None)))
    last = base.transform_window(_rank="rank()", sort=[alt.SortField(x, order="descending")],
                                 groupby=["_reihe"]).transform_filter("datum._rank == 1")
    if forecast:  # the forecast continues the actual line: label "Ist" above its last point
        layers.append(last.transform_filter("datum._reihe == 'Ist'")
                      .mark_text(align="right", dx=-2, dy=-9, baseline="bottom")
                      .encode(x=xenc, y=alt.Y(f"{y}:Q"), text="_reihe:N"))
        last = last.transform_filter("datum._reihe != 'Ist'")
    layers.append(last.mark_text(align="left", dx=5, baseline="middle")
                  .encode(x=xenc, y=alt.Y(f"{y}:Q"), text="_reihe:N"))
    if marks:
        layers += rule_marks(marks, x, xenc)
    if width is None:
        width = WIDTH - (130 if forecast and len(series) > 3 else 70)
    return _configure(alt.layer(*layers), width, height)


def burn_rows(row) -> tuple[list[dict], list[dict], list[dict]]:
    """The rows of :func:`burn_chart` for a landing record (``year``, ``curve``, ``path``,
    ``landing``, ``landing_low``, ``landing_high``; :class:`amip.engine.budget.LandingRow`):
    cumulative payments (Ist) by month, the plan path, and the landing in December with its
    interval (none once the year is complete)."""
    def day(k):
        return dt.date(row.year, k + 1, 15)

    actual = [{"monat": day(k), "wert": v} for k, v in enumerate(row.curve)]
    plan = [{"monat": day(k), "wert": v} for k, v in enumerate(row.path)]
    landing = [] if len(row.curve) >= 12 else [
        {"monat": day(11), "wert": row.landing, "untere": row.landing_low,
         "obere": row.landing_high}]
    return actual, plan, landing


def burn_chart(row, *, width: int | None = None, height: int = HEIGHT):
    """Mittelabfluss: the burn curve of a title or instrument against its plan path, and the
    year-end landing (dashed, with its interval as a band)."""
    actual, plan, landing = burn_rows(row)
    return line_series(actual, plan, landing or None, kind="eur", zero=True,
                       plan_label="Planpfad", width=width, height=height)


def rule_marks(marks: list[dict], x: str, xenc) -> list:
    """Vertical rules at ``marks`` (``{x: date, "text": label}``) labelled at the top: where a
    rule version redefines the measure ("Regeländerung")."""
    data = alt.Data(values=_clean(marks))
    rule = alt.Chart(data).mark_rule(color=INK, strokeDash=[2, 2], opacity=0.6).encode(x=xenc)
    text = alt.Chart(data).mark_text(align="left", dx=3, dy=2, baseline="top", fontSize=9,
                                     color=INK).encode(x=xenc, y=alt.value(0), text="text:N")
    return [rule, text]


def share_bars(data: list[dict], category: str, value: str, *, kind: str = "pct",
               sort: bool = True, highlight: str | None = None, width: int | None = None,
               bar_height: int = 18):
    """Horizontal bars, largest first, each labelled with its value, e.g. the distribution of
    the Eingliederungstitel by instrument (``kind="pct"``: values in percent units) or in euros
    (``kind="eur"``). ``highlight`` names a category drawn dark while the others are grey."""
    rows = _clean(data)
    label_px = min(max([len(str(r[category])) for r in rows] + [4]) * 6.2 + 8, 300)
    if width is None:  # bars fill what the labels leave of the text width
        width = int(WIDTH - label_px - 50)
    order = [r[category] for r in sorted(rows, key=lambda r: -(r[value] or 0))] if sort \
        else [r[category] for r in rows]
    base = alt.Chart(alt.Data(values=rows))
    yenc = alt.Y(f"{category}:N", sort=order, title=None,
                 axis=alt.Axis(ticks=False, domain=False, labelLimit=300, labelPadding=6))
    color = alt.value(INK)
    if highlight is not None:
        color = alt.condition(f"datum[{category!r}] == {highlight!r}", alt.value(INK),
                              alt.value("#9a9a9a"))
    bars = base.mark_bar(height={"band": 0.72}).encode(
        y=yenc, x=alt.X(f"{value}:Q", axis=None), color=color)
    text = base.mark_text(align="left", dx=4, baseline="middle").transform_calculate(
        _label=_label_expr(value, kind)).encode(y=yenc, x=alt.X(f"{value}:Q"), text="_label:N")
    return _configure(alt.layer(bars, text), width, bar_height * max(len(rows), 1))


# --- rendering -------------------------------------------------------------------------------

_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
_URL = re.compile(r"https?://[^\s\"'<>)]+")


def _strings(spec, key: str = ""):
    """String values in the spec, except the ``$schema`` declaration (never fetched)."""
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k != "$schema":
                yield from _strings(v, k)
    elif isinstance(spec, list):
        for v in spec:
            yield from _strings(v, key)
    elif isinstance(spec, str):
        yield spec


def spec_of(chart, validate: bool = False) -> dict:
    """The Vega-Lite spec (a dict) of an Altair chart or a spec dict. Validation against the
    Vega-Lite schema (0.04 s a chart) is for the tests, which check every helper's output."""
    return chart.to_dict(validate=validate) if hasattr(chart, "to_dict") else dict(chart)


def to_svg(chart, id_prefix: str = "c") -> str:
    """Render an Altair chart or Vega-Lite dict to an SVG string, offline, with the German
    number and time format locale. Forecast fills become a hatch pattern; element ids get
    ``id_prefix`` so that several SVGs can live inline in one HTML page. Raises ``ValueError``
    if the SVG refers to any URL other than the SVG/XLink namespaces."""
    spec = spec_of(chart)
    remote = [u for u in _strings(spec) if _URL.match(u)]
    if remote:
        raise ValueError(f"chart spec refers to remote data: {remote[:3]}")
    svg = vl_convert.vegalite_to_svg(spec, format_locale="de-DE", time_format_locale="de-DE")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{id_prefix}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{id_prefix}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{id_prefix}-{m.group(1)}"', svg)
    if HATCH in svg:
        pid = f"{id_prefix}-hatch"
        pattern = (f'<defs><pattern id="{pid}" patternUnits="userSpaceOnUse" width="5" height="5" '
                   f'patternTransform="rotate(45)"><rect width="5" height="5" fill="#ffffff"/>'
                   f'<line x1="0" y1="0" x2="0" y2="5" stroke="{INK}" stroke-width="1.6"/>'
                   f'</pattern></defs>')
        svg = svg.replace(f'fill="{HATCH}"', f'fill="url(#{pid})"')
        svg = re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + pattern, svg, count=1)
    bad = [u for u in _URL.findall(svg) if u not in _NAMESPACES]
    if bad:
        raise ValueError(f"chart SVG refers to external URLs: {sorted(set(bad))[:3]}")
    return svg
