"""The synthetic Jobcenter's budget: the seed's 2019/2020 table (issue 13, "Done when") and every
kind of booking the figures need."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amip.engine.budget import comparison, landing, outcomes, overview, status
from amip.engine.calendar import parse_month

pytestmark = pytest.mark.duckdb_only


def test_year_comparison_reproduces_the_seed(default_store):
    got = {r.key: r for r in comparison(default_store.view(), 2019, 2020, "03504")}
    # AMIP 2020 §4: Verwaltungskosten 9.069.867 / 8.581.009 €, Eingliederungsleistungen
    # 7.129.465 / 7.053.067 €; Gesamtbudget 16.199.332 / 15.634.076 € (−565.256 €, −3,49 %)
    assert (got["vk"].before, got["vk"].now) == (Decimal("9069867.00"), Decimal("8581009.00"))
    assert (got["egl"].before, got["egl"].now) == (Decimal("7129465.00"), Decimal("7053067.00"))
    assert (got["gesamtbudget"].now, got["gesamtbudget"].delta,
            got["gesamtbudget"].delta_percent) == (Decimal("15634076.00"), Decimal("-565256.00"),
                                                   -3.49)
    # KFA 2020: 8.581.009 / 0,848 × 0,152 = 1.538.105,39 €
    assert got["kfa"].now == Decimal("1538105.39")


def test_every_kind_of_booking_comes_out(default_store):
    view = default_store.view()
    b = view.table("budget_bookings")
    kinds = {r["kind"] for r in b.select("kind").distinct().to_pyarrow().to_pylist()}
    assert set(kinds) == {"commitment", "payment", "release", "reallocation"}
    rows = {(r.title, r.instrument): r for r in status(view, 2019)}
    assert rows[("egl", None)].vorbindungen > 0  # commitments of 2019 for 2020
    assert rows[("egl", None)].open_commitments >= 0
    # the Umschichtung EGL → VK leaves the Gesamtbudget (plan incl. Umschichtungen) unchanged
    (o,) = overview(status(view, 2020))
    assert o.gesamtbudget == Decimal("15634076.00")
    assert rows[("vk", None)].plan > Decimal("9069867.00")
    # December's Verwaltungskosten of 2019 are booked in January 2020 for 2019
    as_dec = {(r.title, r.instrument): r for r in status(view, 2019,
                                                         as_of=parse_month_end("2019-12"))}
    assert as_dec[("vk", None)].payments < rows[("vk", None)].payments


def parse_month_end(text):
    from amip.engine.calendar import month_end

    return month_end(parse_month(text))


def test_landing_and_outcomes_come_out(default_store):
    view = default_store.view()
    rows = landing(view, 2020, parse_month("2020-06"))
    egl = next(r for r in rows if r.title == "egl" and r.instrument is None)
    assert egl.profile == "history" and len(egl.curve) == 6
    assert egl.landing_low <= egl.landing <= egl.landing_high
    out = outcomes(view, [parse_month("2019-12")])
    fbw = next(r for r in out if r.instrument == "fbw")
    assert fbw.austritte > 0 and fbw.eingliederungsquote is not None
    assert 0 < fbw.eingliederungsquote <= fbw.verbleibsquote <= 100
