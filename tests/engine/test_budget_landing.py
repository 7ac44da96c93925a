"""Burn curve, plan path and landing (domain reference §12 item 42), worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amip.engine.budget import budget_catalogue, landing
from amip.engine.calendar import parse_month
from tests.engine.builder import Ex

JULY = parse_month("2020-07")


def case() -> Ex:
    return (Ex().elb("p1", "2015-01-01")
            .plan(2020, "egl", "fbw", "120000.00")
            # 2018: half in March, half in September → C(k)/C(12) = 0 (Jan, Feb), 0,5 (Mar–Aug),
            # 1 (Sep–Dec)
            .book("payment", "2018-03-15", "egl", "fbw", "40000.00")
            .book("payment", "2018-09-15", "egl", "fbw", "40000.00")
            # 2019: a quarter in January, the rest in July → 0,25 (Jan–Jun), 1 (Jul–Dec)
            .book("payment", "2019-01-15", "egl", "fbw", "30000.00")
            .book("payment", "2019-07-15", "egl", "fbw", "90000.00")
            # 2020: committed 100.000, paid 30.000 (Mar) + 6.000 (Jun) + 30.000 (Jul) = 66.000
            .book("commitment", "2020-01-02", "egl", "fbw", "100000.00")
            .book("payment", "2020-03-10", "egl", "fbw", "30000.00")
            .book("payment", "2020-06-10", "egl", "fbw", "6000.00")
            .book("payment", "2020-07-10", "egl", "fbw", "30000.00")
            .book("payment", "2020-08-10", "egl", "fbw", "9999.00"))  # after July: not seen


def fbw(rows):
    (r,) = [r for r in rows if r.instrument == "fbw"]
    return r


def test_history_path_and_landing(backend):
    r = fbw(landing(case().view(), 2020, JULY))
    # s(k) = mean of the two years (2017 has no payments: skipped): Jan, Feb (0 + 0,25)/2 =
    # 0,125; Mar–Jun (0,5 + 0,25)/2 = 0,375; Jul, Aug (0,5 + 1)/2 = 0,75; Sep–Dec 1
    assert r.profile == "history"
    assert [float(x) for x in r.path] == [15000, 15000, 45000, 45000, 45000, 45000, 90000,
                                         90000, 120000, 120000, 120000, 120000]
    assert [float(x) for x in r.curve] == [0, 0, 30000, 30000, 30000, 36000, 66000]
    # open = 100.000 − 66.000 = 34.000. Run rate May–Jul: path steps 0, 0, 0,375 → only July
    # has a level: L = 30.000 / 0,375 = 80.000; remaining 80.000 × (1 − 0,75) = 20.000;
    # landing = 66.000 + max(34.000, 20.000) = 100.000 (interval: one level → the same)
    assert (r.payments, r.open_commitments, r.landing, r.landing_low, r.landing_high) == \
        (Decimal("66000.00"), Decimal("34000.00"), Decimal("100000.00"), Decimal("100000.00"),
         Decimal("100000.00"))
    # 100.000 / 120.000 − 1 = −16,67 % → below plan − 3 %: under-spending
    assert (r.deviation_percent, r.warning) == (-16.67, "unter")
    j = r.as_json()
    assert (j["month"], j["path"], j["curve"][6], j["curve"][7]) == (
        "2020-07", 90000.0, {"month": "2020-07", "payments": 66000.0, "path": 90000.0},
        {"month": "2020-08", "payments": None, "path": 90000.0})


def test_declared_profile(backend):
    r = fbw(landing(case().view(), 2020, JULY, profile="erstes_halbjahr"))
    # "Schwerpunkt erstes Halbjahr": s(k) = 0,1·k to June (60 %), then + 0,4/6 a month:
    # s(5) = 0,5, s(6) = 0,6, s(7) = 0,6667. Steps May–Jul 0,1, 0,1, 0,0667 with payments 0,
    # 6.000, 30.000: L = 36.000 / 0,2667 = 135.000; remaining 135.000 × 0,3333 = 45.000;
    # landing = 66.000 + max(34.000, 45.000) = 111.000. The months' own levels 0, 60.000,
    # 450.000 give 66.000 + max(34.000, 0) = 100.000 and 66.000 + 150.000 = 216.000
    assert r.profile == "erstes_halbjahr"
    assert float(r.path[5]) == 72000.0  # 60 % of 120.000 by June
    assert (r.landing, r.landing_low, r.landing_high) == \
        (Decimal("111000.00"), Decimal("100000.00"), Decimal("216000.00"))
    assert (r.deviation_percent, r.warning) == (-7.5, "unter")


def test_no_history_falls_back_to_the_declared_default_and_warns_of_overspending(backend):
    ex = (Ex().elb("p1", "2015-01-01").plan(2020, "egl", "mabe", "12000.00")
          .book("payment", "2020-01-20", "egl", "mabe", "3000.00")
          .book("payment", "2020-02-20", "egl", "mabe", "3000.00")
          .book("payment", "2020-03-20", "egl", "mabe", "3000.00"))
    rows = landing(ex.view(), 2020, parse_month("2020-03"))
    r = [x for x in rows if x.instrument == "mabe"][0]
    # no previous year: linear (budget.toml fallback), s(k) = k/12; L = 9.000 / 0,25 = 36.000;
    # landing = 9.000 + 36.000 × 0,75 = 36.000 → +200 % → over-spending
    assert r.profile == budget_catalogue().fallback_profile == "linear"
    assert (r.landing, r.deviation_percent, r.warning) == (Decimal("36000.00"), 200.0, "ueber")
    # the title row sums its instruments
    title = [x for x in rows if x.instrument is None][0]
    assert (title.title, title.landing) == ("egl", Decimal("36000.00"))


def test_month_outside_the_year_and_unknown_profile():
    with pytest.raises(ValueError):
        landing(case().view(), 2020, parse_month("2021-01"))
    with pytest.raises(KeyError):
        landing(case().view(), 2020, JULY, profile="nope")


def test_a_january_payment_for_the_previous_year_counts_in_its_december(backend):
    ex = (Ex().elb("p1", "2015-01-01").plan(2020, "egl", "agh", "10000.00")
          .book("payment", "2019-06-15", "egl", "agh", "5000.00")
          .book("payment", "2020-01-10", "egl", "agh", "5000.00", 2019)   # for 2019 (item 52)
          .book("payment", "2020-01-20", "egl", "agh", "1000.00"))
    r = [x for x in landing(ex.view(), 2020, parse_month("2020-01")) if x.instrument == "agh"][0]
    # 2019: 5.000 in June, 5.000 counted in December → s = 0 (Jan–May), 0,5 (Jun–Nov), 1 (Dec)
    assert [float(x) for x in r.path] == [0] * 5 + [5000] * 6 + [10000]
    # the 2020 curve holds only 2020's own payment
    assert [float(x) for x in r.curve] == [1000]
