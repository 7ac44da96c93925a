"""The page "Budget" (``/budget``, issue 13 items 1–3 and 5): status per title and instrument as
of a day, the Gesamtbudget and the kommunaler Finanzierungsanteil, burn curves against the plan
path with the year-end landing and its warnings, the outcomes per instrument (descriptive, not
causal) and the year comparison.

Every figure is a record of :mod:`amip.engine.budget` (``status``, ``overview``, ``landing``,
``outcomes``, ``comparison``, ``distribution``), the same the CLI (``amip budget …``), the
programme's chapter 4 and the Monatsbericht show; computed through :class:`Services` (cached per
data state). Everyone may read the page (aggregates); for roles under disclosure control the
small counts of the outcomes and what is derived from them are hidden (:mod:`amip.disclosure`).
The scenarios have their own page (``/budget/szenarien``).
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from amip.catalogue.monitors import customer_groups
from amip.charts import burn_chart, share_bars
from amip.disclosure import protect_changes
from amip.engine import budget as engine
from amip.engine.calendar import month_end, month_index
from amip.extract.schema import INSTRUMENTS
from amip.web.auth import page_user
from amip.web.pages import _cached, _discloses, _render, _services, chart_json

router = APIRouter(include_in_schema=False)

#: counts of an outcome row and what a role under disclosure control may not see with them:
#: derived figure → (count, count) it comes from (amip.disclosure.protect_changes)
OUTCOME_COUNTS = {"eingliederungsquote": ("eingliederungen", "in_horizon"),
                  "verbleibsquote": ("verbleib", "in_horizon"),
                  "cost_per_eingliederung": ("eingliederungen", "austritte"),
                  "cost_per_participant": ("participants", "austritte")}
OUTCOME_FIELDS = ("instrument", "group", "austritte", "in_horizon", "eingliederungen",
                  "verbleib", "participants", "payments", "eingliederungsquote",
                  "verbleibsquote", "cost_per_participant", "cost_per_eingliederung", "reason",
                  "cost_reason")


@router.get("/budget", response_class=HTMLResponse)
def budget_page(request: Request, jahr: str | None = None, stand: str | None = None,
                titel: str | None = None, gruppen: bool = False, user=Depends(page_user)):
    return _render(request, "budget.html.j2", user, active="budget",
                   **budget_view(_services(request), user, jahr, stand, titel, gruppen))


def _year_arg(choices: list[int], default: int, jahr: str | None) -> int:
    if not jahr:
        return default
    try:
        year = int(jahr)
    except ValueError:
        raise HTTPException(422, f"Ungültiges Haushaltsjahr {jahr!r} (erwartet JJJJ).") from None
    if year not in choices:
        raise HTTPException(404, f"Für das Haushaltsjahr {year} gibt es keinen Plan und keine "
                                 f"Buchungen.")
    return year


def _day_arg(stand: str | None, year: int, latest: int | None) -> dt.date:
    """The Buchungsstand: ``stand`` (TT.MM.JJJJ or JJJJ-MM-TT), else the end of the latest
    month with complete data when it lies in the year, else the year's last day."""
    if stand:
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(stand, fmt).date()
            except ValueError:
                pass
        raise HTTPException(422, f"Ungültiger Buchungsstand {stand!r} (erwartet TT.MM.JJJJ).")
    if latest is not None and latest // 12 == year:
        return month_end(latest)
    return dt.date(year, 12, 31)


def landing_month(year: int, day: dt.date) -> int | None:
    """The month whose end the landing stands on: the last month of ``year`` that has ended by
    ``day`` (a day after the year: December); None before the end of January."""
    m = month_index(day)
    if day != month_end(m):
        m -= 1
    m = min(m, year * 12 + 11)
    return m if m // 12 == year else None


def budget_view(services, user, jahr: str | None, stand: str | None, titel: str | None = None,
                gruppen: bool = False) -> dict:
    """What the page Budget shows for budget year ``jahr`` as of the day ``stand``; ``titel``:
    the burn curves of that title's instruments (drill-down); ``gruppen``: the outcomes by
    customer group too."""
    jcs = services.table("jobcenters")
    if not jcs:
        raise HTTPException(404, "Es sind noch keine Daten importiert.")
    jc = jcs[0]["jobcenter_id"]
    choices = _cached(services, "budget_years", (jc,),
                      lambda: services.query(engine.years, jc))
    if not choices:
        return dict(year=None, years=[], jobcenter=jcs[0])
    latest = services.latest_month()
    default = latest // 12 if latest is not None and latest // 12 in choices else choices[-1]
    year = _year_arg(choices, default, jahr)
    day = _day_arg(stand, year, latest)
    cat = engine.budget_catalogue()
    if titel is not None and titel not in cat.titles:
        raise HTTPException(404, f"Unbekannter Titel {titel!r} (erlaubt: "
                                 f"{', '.join(cat.titles)}).")
    hide = _discloses(user)
    return _cached(services, "budget_page", (jc, year, day, titel, gruppen, hide),
                   lambda: _page(services, jcs[0], choices, latest, year, day, titel, gruppen,
                                 hide))


def _page(services, jobcenter: dict, choices: list[int], latest: int | None, year: int,
          day: dt.date, titel: str | None, gruppen: bool, hide: bool) -> dict:
    """The page's figures and charts (once per data state and arguments)."""
    cat = engine.budget_catalogue()
    jc = jobcenter["jobcenter_id"]

    def query(key: tuple, fn, *args, **kw):
        """``fn(view, *args, jobcenter_id=jc, **kw)`` once per data state and ``key``."""
        return _cached(services, f"budget_{fn.__name__}", (jc, *key),
                       lambda: services.query(fn, *args, jobcenter_id=jc, **kw))

    rows = query((year, day), engine.status, year, day)
    overview = next(iter(engine.overview(rows)), None)
    m = landing_month(year, day)
    lands = query((year, m), engine.landing, year, m) if m is not None else []
    results = query((m, False), engine.outcomes, [m]) if m is not None else []
    by_group = query((m, True), engine.outcomes, [m], by_group=True) \
        if gruppen and m is not None else []
    compare = query((year - 1, year), engine.comparison, year - 1, year)
    titles = [r for r in rows if r.instrument is None]
    curves = [r for r in lands if (r.instrument is None) == (titel is None)
              and (titel is None or r.title == titel)]
    shares = engine.distribution(rows, "egl", jc) if rows else []
    groups = customer_groups()
    return dict(
        year=year, years=choices, day=day, jobcenter=jobcenter, titel=titel,
        day_choices=_day_choices(year, latest),
        rows=_status_rows(rows, cat), overview=overview, kfa=cat.kfa_kommune * 100,
        landing_month=m, landings=[dict(r=r, label=_label(r, cat)) for r in lands],
        warnings=[dict(r=r, label=_label(r, cat), text=engine.WARNINGS[r.warning])
                  for r in lands if r.warning],
        charts=[dict(r=r, label=_label(r, cat), spec=chart_json(burn_chart(r, width=520,
                                                                           height=180)))
                for r in curves],
        drill=[t for t in cat.titles if any(r.title == t and r.instrument is not None
                                            for r in lands)],
        outcome_month=m,
        outcomes=_outcome_rows(results, hide), caveat=cat.caveat,
        by_group=_outcome_rows(by_group, hide), gruppen=gruppen,
        group_names={g: d.name for g, d in groups.items()}, no_group_costs=engine.NO_GROUP_COSTS,
        comparison=compare, hide=hide, title_labels=cat.title_labels,
        instruments=INSTRUMENTS,
        share_chart=chart_json(share_bars(
            [{"Instrument": INSTRUMENTS.get(s.instrument, s.instrument), "Anteil": s.percent}
             for s in shares], category="Instrument", value="Anteil", width=520))
        if shares else None)


def _day_choices(year: int, latest: int | None) -> list[dt.date]:
    """The month ends of the year up to the latest month with complete data (all twelve for a
    past year; none for a year still ahead)."""
    last = year * 12 + 11 if latest is None else min(latest, year * 12 + 11)
    return [month_end(k) for k in range(year * 12, last + 1)] or [dt.date(year, 12, 31)]


def _label(r, cat) -> str:
    """German name of a status or landing row: the title's, or the instrument's."""
    if r.instrument is None:
        return cat.title_labels.get(r.title, r.title)
    return INSTRUMENTS.get(r.instrument, r.instrument)


def _status_rows(rows, cat) -> list[dict]:
    """Per title its row first, then its instruments (the engine lists instruments first)."""
    order = {t: i for i, t in enumerate(cat.titles)}
    return [dict(r=r, label=_label(r, cat), total=r.instrument is None)
            for r in sorted(rows, key=lambda r: (r.jobcenter_id, order.get(r.title, 99),
                                                 r.instrument is not None))]


def _outcome_rows(rows, hide: bool) -> list[dict]:
    """Outcome records as dicts; under disclosure control counts of 1–2 become ``*`` and the
    quotas and costs derived from them null."""
    plain = [{k: getattr(r, k) for k in OUTCOME_FIELDS} for r in rows]
    return protect_changes(plain, OUTCOME_COUNTS, hide) if hide else plain
