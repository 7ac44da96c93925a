"""Budget status, Gesamtbudget, KFA and the year comparison (domain reference §12 items 38–41,
§12.1 items 52–54), on a small extract worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from amip.engine.budget import comparison, overview, status
from tests.engine.builder import Ex


def case() -> Ex:
    """Plan 2020: egl/fbw 100.000 €, egl/egz 50.000 €, vk 200.000 € (no instrument)."""
    return (Ex().elb("p1", "2015-01-01")
            .plan(2020, "egl", "fbw", "100000.00").plan(2020, "egl", "egz", "50000.00")
            .plan(2020, "vk", None, "200000.00")
            .plan(2019, "egl", "fbw", "90000.00").plan(2019, "vk", None, "190000.00")
            # B0001 a Vorbindung booked in 2019 for 2020 (item 39, 52)
            .book("commitment", "2019-11-10", "egl", "fbw", "30000.00", 2020)
            .book("commitment", "2020-02-01", "egl", "fbw", "40000.00")
            .book("payment", "2020-03-15", "egl", "fbw", "25000.00")
            .book("release", "2020-06-30", "egl", "fbw", "5000.00")
            # B0005 paid in January 2021 for 2020: a payment of 2020 (item 52)
            .book("payment", "2021-01-10", "egl", "fbw", "10000.00", 2020)
            # B0006 a Vorbindung booked in 2020 for 2021
            .book("commitment", "2020-10-01", "egl", "fbw", "12000.00", 2021)
            # B0007/8 an Umschichtung egl/egz -> vk on 1.9.2020 (sums to 0)
            .book("reallocation", "2020-09-01", "egl", "egz", "-10000.00")
            .book("reallocation", "2020-09-01", "vk", None, "10000.00")
            .book("commitment", "2020-04-01", "egl", "egz", "20000.00")
            # B0010 pays more than was committed: open stays 0 (item 54)
            .book("payment", "2020-05-01", "egl", "egz", "26000.00")
            .book("payment", "2020-01-05", "vk", None, "16000.00"))


def rows(view, year, as_of=None):
    return {(r.title, r.instrument): r.as_json() for r in status(view, year, as_of)}


def test_status_of_the_year(backend):
    got = rows(case().view(), 2020)
    # fbw: plan 100.000; commitments 30.000 + 40.000 = 70.000; payments 25.000 + 10.000 (Jan 2021
    # for 2020) = 35.000; release 5.000 → open 70.000 − 35.000 − 5.000 = 30.000; Vorbindung
    # 12.000 (booked 2020 for 2021); available 100.000 − 35.000 − 30.000 = 35.000;
    # Bindungsquote (35.000 + 30.000) / 100.000 = 65 %; Ausgabequote 35 %
    assert got[("egl", "fbw")] == {
        "jobcenter_id": "03504", "year": 2020, "title": "egl", "instrument": "fbw",
        "plan": 100000.0, "payments": 35000.0, "open_commitments": 30000.0,
        "vorbindungen": 12000.0, "available": 35000.0, "bindungsquote": 65.0,
        "ausgabequote": 35.0}
    # egz: plan 50.000 − 10.000 (Umschichtung) = 40.000; payments 26.000 > commitments 20.000 →
    # open max(0, −6.000) = 0; available 14.000; both quotas 26.000 / 40.000 = 65 %
    e = got[("egl", "egz")]
    assert (e["plan"], e["payments"], e["open_commitments"], e["available"],
            e["bindungsquote"], e["ausgabequote"]) == (40000.0, 26000.0, 0.0, 14000.0, 65.0, 65.0)
    # title egl: sums 140.000 / 61.000 / 30.000 / 12.000 / 49.000; quotas from the sums:
    # 91.000 / 140.000 = 65 %, 61.000 / 140.000 = 43,571… → 43,57 %
    t = got[("egl", None)]
    assert (t["plan"], t["payments"], t["open_commitments"], t["vorbindungen"], t["available"],
            t["bindungsquote"], t["ausgabequote"]) == (140000.0, 61000.0, 30000.0, 12000.0,
                                                       49000.0, 65.0, 43.57)
    # vk: no instrument lines, only the title row: 200.000 + 10.000 = 210.000; 16.000 paid;
    # 16.000 / 210.000 = 7,619… → 7,62 %
    v = got[("vk", None)]
    assert (v["plan"], v["payments"], v["available"], v["bindungsquote"]) == \
        (210000.0, 16000.0, 194000.0, 7.62)
    assert list(got) == [("egl", "egz"), ("egl", "fbw"), ("egl", None), ("vk", None)]


def test_as_of_keeps_bookings_up_to_that_day(backend):
    got = rows(case().view(), 2020, dt.date(2020, 6, 30))
    # item 53: the release of 30.6. counts (inclusive); Jan 2021 payment, Umschichtung (1.9.) and
    # the Vorbindung of 1.10. do not. fbw: open 70.000 − 25.000 − 5.000 = 40.000, available
    # 100.000 − 25.000 − 40.000 = 35.000, Bindungsquote 65 %, Ausgabequote 25 %
    f = got[("egl", "fbw")]
    assert (f["payments"], f["open_commitments"], f["vorbindungen"], f["available"],
            f["bindungsquote"], f["ausgabequote"]) == (25000.0, 40000.0, 0.0, 35000.0, 65.0, 25.0)
    # egz plan without the Umschichtung: 50.000; title: 91.000 / 150.000 = 60,666… → 60,67 %
    assert got[("egl", "egz")]["plan"] == 50000.0
    assert got[("egl", None)]["bindungsquote"] == 60.67
    assert got[("vk", None)]["plan"] == 200000.0
    # the day before the Vorbindung of 2019 was booked, 2020 has no open commitment of fbw
    assert rows(case().view(), 2020, dt.date(2019, 11, 9))[("egl", "fbw")][
        "open_commitments"] == 0.0
    assert rows(case().view(), 2020, dt.date(2019, 11, 10))[("egl", "fbw")][
        "open_commitments"] == 30000.0  # item 52: open in 2020 already from its booking day


def test_vorbindung_of_the_booking_year_and_null_quotas(backend):
    got = rows(case().view(), 2019)
    # 2019: the commitment booked 10.11.2019 for 2020 is a Vorbindung of 2019; fbw has a plan of
    # 90.000 and nothing else → available 90.000, quotas 0 %
    assert got[("egl", "fbw")]["vorbindungen"] == 30000.0
    assert got[("egl", "fbw")]["bindungsquote"] == 0.0
    # 2021: only the Vorbindung of 1.10.2020 → open 12.000, plan 0 → quotas null (item 54)
    r21 = rows(case().view(), 2021)[("egl", "fbw")]
    assert r21["plan"] == 0.0 and r21["open_commitments"] == 12000.0
    assert r21["available"] == -12000.0
    assert r21["bindungsquote"] is None and r21["ausgabequote"] is None


def test_gesamtbudget_kfa_and_comparison(backend):
    view = case().view()
    (o,) = overview(status(view, 2020))
    # item 38: egl 140.000 + vk 210.000 = 350.000; item 41: total VK = 210.000 / 0,848 =
    # 247.641,509… → 247.641,51; KFA 15,2 % of it = 37.641,51
    assert o.gesamtbudget == Decimal("350000.00")
    assert o.vk_total == Decimal("247641.51") and o.kfa == Decimal("37641.51")
    got = {r.key: r for r in comparison(view, 2019, 2020)}
    # allocations (budget_plan, no Umschichtung): egl 90.000 → 150.000: +60.000, +66,67 %;
    # vk 190.000 → 200.000: +10.000, +5,26 %; Gesamtbudget 280.000 → 350.000: +25 %
    assert (got["egl"].before, got["egl"].now, got["egl"].delta, got["egl"].delta_percent) == \
        (Decimal("90000.00"), Decimal("150000.00"), Decimal("60000.00"), 66.67)
    assert got["vk"].delta_percent == 5.26
    assert (got["gesamtbudget"].before, got["gesamtbudget"].now,
            got["gesamtbudget"].delta_percent) == (Decimal("280000.00"), Decimal("350000.00"), 25.0)
    # KFA: 190.000 × 0,152 / 0,848 = 34.056,60; 200.000 × 0,152 / 0,848 = 35.849,06
    assert (got["kfa"].before, got["kfa"].now) == (Decimal("34056.60"), Decimal("35849.06"))


def test_jobcenter_filter_and_untitled_lines(backend):
    ex = (case().plan(2020, "kommunal", "16a", "8000.00").plan(2020, "kommunal", None, "2000.00")
          .plan(2020, "egl", "fbw", "5000.00", jc="03505"))
    view = ex.view()
    mine = status(view, 2020, jobcenter_id="03505")
    assert [(r.jobcenter_id, r.title, r.instrument, r.plan) for r in mine] == [
        ("03505", "egl", "fbw", Decimal("5000.00")), ("03505", "egl", None, Decimal("5000.00"))]
    got = rows(view, 2020)
    # kommunal: a 16a line (8.000) and a line without instrument (2.000): the instrument row shows
    # 8.000, the title row 10.000
    assert got[("kommunal", "16a")]["plan"] == 8000.0
    assert got[("kommunal", None)]["plan"] == 10000.0
