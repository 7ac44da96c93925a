"""Budget figures: the plan per title and EGL instrument, payments, and the Mittelabfluss."""

from __future__ import annotations

from collections import Counter

import ibis

from amip.engine.calendar import stichtag

def budget_plan(db, jc: str) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, float]]]:
    """Planned euros per year and title, and per year and EGL instrument."""
    b = db.table("budget_plan")
    b = b.filter(b.jobcenter_id == jc)
    rows = b.group_by("year", "title", "instrument").aggregate(a=b.amount_eur.sum()) \
        .to_pyarrow().to_pylist()
    titles: dict = {}
    instruments: dict = {}
    for r in rows:
        titles.setdefault(r["year"], Counter())[r["title"]] += r["a"]
        if r["title"] == "egl" and r["instrument"]:
            instruments.setdefault(r["year"], Counter())[r["instrument"]] += r["a"]
    return {y: dict(c) for y, c in titles.items()}, {y: dict(c) for y, c in instruments.items()}


def payments(db, jc: str, year: int) -> dict[str, float]:
    b = db.table("budget_bookings")
    b = b.filter((b.jobcenter_id == jc) & (b.kind == "payment") & (b.budget_year == year))
    rows = b.group_by("title").aggregate(a=b.amount_eur.sum()).to_pyarrow().to_pylist()
    return {r["title"]: r["a"] for r in rows}


def budget_burn(db, jc: str, year: int, last_month: int) -> dict:
    """Mittelabfluss of ``year`` up to month index ``last_month``: plan per title, and per
    calendar month the payments and the commitments net of releases (euros)."""
    plan, _ = budget_plan(db, jc)
    b = db.table("budget_bookings")
    b = b.filter((b.jobcenter_id == jc) & (b.budget_year == year)
                 & (b.booked_on <= ibis.literal(stichtag(last_month).replace(day=1), "date")
                    + ibis.interval(months=1) - ibis.interval(days=1)))
    b = b.mutate(mon=b.booked_on.month())
    rows = b.group_by("title", "kind", "mon").aggregate(a=b.amount_eur.sum()).to_pyarrow().to_pylist()
    monthly: dict = {}
    for r in rows:
        monthly.setdefault(r["title"], {}).setdefault(r["mon"], Counter())[r["kind"]] += r["a"]
    return {"plan": plan.get(year, {}), "monthly": monthly}
