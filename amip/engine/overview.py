"""The short overview of a store: stocks of ELB, BG and Arbeitslose for the latest month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from amip.engine import stocks
from amip.engine.calendar import month_start, parse_month


@dataclass(frozen=True)
class StockFigures:
    elb: int
    elb_women: int
    bg: int
    unemployed: int


@dataclass(frozen=True)
class OverviewRow:
    jobcenter_id: str
    name: str
    month: dt.date  # first day of the Berichtsmonat
    stichtag: dt.date
    current: StockFigures
    previous_year: StockFigures

    @staticmethod
    def change(now: int, before: int) -> float | None:
        """Change to the Vorjahresmonat in percent, None when there was nothing before."""
        return change_rate(now, before)


def change_rate(now: int, before: int) -> float | None:
    """Change of a count to the Vorjahresmonat in percent, None when there was nothing before."""
    return None if not before else (now / before - 1) * 100


def point_change(now, before) -> float | None:
    """Difference of two percentages in percentage points; None unless both are numbers
    (a hidden or missing value has no change)."""
    return now - before if isinstance(now, float) and isinstance(before, float) else None


def data_date(db) -> dt.date | None:
    """Datenstand: the latest ``recorded_on`` of the ELB spells (None for an empty store)."""
    return db.latest_recorded_on(("elb_spells",))


def latest_month(db) -> dt.date | None:
    """The latest Berichtsmonat whose Stichtag is covered by the data date."""
    known = data_date(db)
    if known is None:
        return None
    year, month = known.year, known.month
    if known < stocks.stichtag(year, month):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return dt.date(year, month, 1)


def last_benefit_month(db) -> dt.date | None:
    """The last month with any ``benefit_months`` row (as known at the view's as-of). Benefit
    rows of a month are recorded after it ends: for later months K1 and K1E1 compare 0 € with
    the previous year (−100 %, exactly as §10 items 11 and 25 define them)."""
    last = db.recorded("benefit_months").month.max().to_pyarrow().as_py()
    return month_start(parse_month(last)) if last else None


def latest_complete_month(db) -> dt.date | None:
    """The latest month for which every measure (but K2E3, which waits six months) exists by
    the data horizon (:mod:`amip.engine.horizon`); where no month has them all (a short
    extract: K1 needs the benefits of twelve months before), the latest month with any figure
    (the missing ones are null with their reason); None when no month has any figure."""
    from amip.engine.horizon import horizon

    reach = horizon(db)
    m = reach.latest_complete()
    if m is None:
        span = reach.figure_range()
        m = span[1] if span else None
    return None if m is None else month_start(m)


def figures_by_jobcenter(db, day: dt.date) -> dict[str, StockFigures]:
    persons = db.table("persons")
    elb = stocks.elb_stock(db, day).join(persons, "person_id")
    elb_counts = elb.group_by("jobcenter_id").aggregate(
        elb=elb.person_id.count(), elb_women=(elb.sex == "w").sum()).execute()
    bg = stocks.bg_stock(db, day)
    bg_counts = bg.group_by("jobcenter_id").aggregate(bg=bg.bg_id.count()).execute()
    al = stocks.unemployed(db, day)
    al_counts = al.group_by("jobcenter_id").aggregate(al=al.person_id.count()).execute()
    out: dict[str, StockFigures] = {}
    ids = set(elb_counts.jobcenter_id) | set(bg_counts.jobcenter_id) | set(al_counts.jobcenter_id)
    for jc in ids:
        e = elb_counts[elb_counts.jobcenter_id == jc]
        b = bg_counts[bg_counts.jobcenter_id == jc]
        a = al_counts[al_counts.jobcenter_id == jc]
        out[jc] = StockFigures(
            elb=int(e.elb.iloc[0]) if len(e) else 0,
            elb_women=int(e.elb_women.iloc[0]) if len(e) else 0,
            bg=int(b.bg.iloc[0]) if len(b) else 0,
            unemployed=int(a.al.iloc[0]) if len(a) else 0,
        )
    return out


def overview(db, month: dt.date | None = None) -> list[OverviewRow]:
    """One row per Jobcenter (also one without data) for ``month`` (default: the latest)."""
    month = month or latest_month(db)
    if month is None:
        return []
    now_day = stocks.stichtag(month.year, month.month)
    before_day = stocks.stichtag(month.year - 1, month.month)
    now = figures_by_jobcenter(db, now_day)
    before = figures_by_jobcenter(db, before_day)
    empty = StockFigures(0, 0, 0, 0)
    jcs = db.table("jobcenters").select("jobcenter_id", "name").order_by("jobcenter_id").execute()
    return [
        OverviewRow(jc, name, month, now_day, now.get(jc, empty), before.get(jc, empty))
        for jc, name in zip(jcs.jobcenter_id, jcs["name"])
    ]


def programme_year(latest_month: int) -> int:
    """The newest programme year the data allow when ``latest_month`` (an index) is the latest
    complete month: the year after the last complete December (programme Y uses Y − 1)."""
    return latest_month // 12 + 1 if latest_month % 12 == 11 else latest_month // 12


def jobcenter(db, jobcenter_id: str | None = None) -> dict:
    """``{"jobcenter_id", "name"}`` of the Jobcenter asked for, or of the first one."""
    jcs = db.table("jobcenters").select("jobcenter_id", "name").order_by("jobcenter_id") \
        .to_pyarrow().to_pylist()
    jc = next((j for j in jcs if j["jobcenter_id"] == jobcenter_id), None) if jobcenter_id \
        else (jcs[0] if jcs else None)
    if jc is None:
        raise ValueError(f"Jobcenter {jobcenter_id!r} gibt es im Datenbestand nicht." if jobcenter_id
                         else "Der Datenbestand enthält kein Jobcenter: zuerst einen Auszug "
                              "importieren (amip import).")
    return jc
