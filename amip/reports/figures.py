"""The figures of the Arbeitsmarkt- und Integrationsprogramm, gathered from the engine.

Numbers only (no formatting): counts, euro sums and percentages that the programme's chapters,
tables and charts show. Every figure is computed by the engine (:mod:`amip.engine`: stocks,
groups, budget, quality), so the programme shows the same numbers as ``amip indicators`` and the
dashboard; this module only collects them for one programme year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from amip.engine.budget import ComparisonRow, Share, comparison, distribution, status
from amip.engine.calendar import format_month, month_index, stichtag
from amip.engine.group_monitor import group_monitor
from amip.engine.groups import (customer_groups, employment_classes, prognosis_by_age,
                                refugees_jdw, underemployment, unemployed_profile)
from amip.engine.horizon import NoFigures, horizon
from amip.engine.indicators import Record, compute
from amip.engine.overview import jobcenter, latest_complete_month
from amip.engine.population import jahresdurchschnitte
from amip.engine.quality_rules import QualityReport, run_quality
from amip.errors import NotFound
from amip.reports.targets import TargetFigures, month_of_year, target_figures


@dataclass
class Programme:
    """Everything the programme for ``year`` shows; reference year = year − 1."""

    year: int
    jobcenter_id: str
    jobcenter_name: str
    data_date: dt.date | None
    jdw: dict[int, dict[str, float]]  # year -> {"elb": …, "bg": …}
    unemployed: dict[str, dict[str, int]]  # "now"/"before" -> profile
    refugees_jdw: float
    employment: dict[str, dict[str, int]]  # "now"/"before" -> class counts
    prognosis_by_age: dict[str | None, dict[str, float]]  # prognosis -> age group -> JDW
    indicators: dict[tuple[str, str], Record]  # (code, sex) -> record, December of ref year
    indicators_before: dict[tuple[str, str], Record]
    budget: list[ComparisonRow]  # allocations of the reference year and the programme year
    egl: list[Share]  # the programme year's EGL plan over the instruments
    groups: dict[str, dict[str, int]]  # customer group -> {"elb", "unemployed", "elb_before", …}
    #: the data-quality rules over the reference year's twelve months (None: nothing to check)
    quality: QualityReport | None
    underemployment: dict[str, int]  # unemployed, measures (not unemployed), total
    #: the targets of the year and their status in its latest month (None: none kept)
    targets: TargetFigures | None = None
    #: the customer-group monitor of December of the reference year (chapter 5)
    group_monitor: dict | None = None

    @property
    def ref_year(self) -> int:
        return self.year - 1

    @property
    def ref_day(self) -> dt.date:
        return stichtag(month_index(dt.date(self.ref_year, 12, 1)))


def programme_figures(db, year: int, jobcenter_id: str | None = None,
                      targets=None) -> Programme:
    """All figures of the programme for ``year`` (reference year ``year − 1``). ``targets``:
    the steering store's :class:`~amip.steering.inputs.StatusInputs` of ``year`` (the shell
    reads them); their status is taken in the latest month of the year the data hold."""
    jc = jobcenter(db, jobcenter_id)
    jc_id, ref = jc["jobcenter_id"], year - 1
    day = stichtag(month_index(dt.date(ref, 12, 1)))
    before = stichtag(month_index(dt.date(ref - 1, 12, 1)))
    dec = month_index(dt.date(ref, 12, 1))
    reach = horizon(db)
    try:  # the programme stands on December of the reference year (§10.2 item 30)
        reach.check_months([dec])
    except NoFigures:
        raise NoFigures(f"Für das Programm {year} gibt es keine Kennzahlen des Bezugsjahres "
                        f"{ref}: {reach.covered_text()}") from None
    # the Jahresdurchschnitte: the years whose twelve Stichtage the ELB data reach
    elb = reach.tables["elb_spells"]
    first_year = max(ref - 10, elb.first.year + (elb.first > dt.date(elb.first.year, 1, 15))) \
        if elb.first else ref - 10
    records = compute(db, [dec - 12, dec], jobcenter_id=jc_id)
    plan = status(db, year, jobcenter_id=jc_id)
    return Programme(
        year=year, jobcenter_id=jc_id, jobcenter_name=jc["name"],
        data_date=db.latest_recorded_on(("elb_spells",)),
        jdw=jahresdurchschnitte(db, jc_id, min(first_year, ref), ref),
        unemployed={"now": unemployed_profile(db, jc_id, day),
                    "before": unemployed_profile(db, jc_id, before)},
        refugees_jdw=refugees_jdw(db, jc_id, ref),
        employment={"now": employment_classes(db, jc_id, day),
                    "before": employment_classes(db, jc_id, before)},
        prognosis_by_age=prognosis_by_age(db, jc_id, ref),
        indicators={(r.code, r.sex): r for r in records if r.month == format_month(dec)},
        indicators_before={(r.code, r.sex): r for r in records if r.month == format_month(dec - 12)},
        budget=comparison(db, ref, year, jc_id),
        egl=distribution(plan, "egl", jc_id) if plan else [],
        groups=customer_groups(db, jc_id, day),
        quality=_quality(db, dec, jc_id),
        underemployment=underemployment(db, jc_id, day),
        targets=target_figures(db, targets, jc_id, _status_month(db, year),
                               with_expectation=False),
        group_monitor=group_monitor(db, dec, jc_id),
    )


def _quality(db, dec: int, jc_id: str) -> QualityReport | None:
    """The data-quality rules for January..December of the reference year (the same
    ``run_quality`` as ``amip quality`` and the page Datenqualität)."""
    try:
        return run_quality(db, dec, jc_id, 12, by_team=False)
    except NotFound:
        return None


def _status_month(db, year: int) -> int | None:
    latest = latest_complete_month(db)
    return month_of_year(None if latest is None else month_index(latest), year)
