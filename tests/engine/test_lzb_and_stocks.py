"""K1, K3 families: LZB on days, movements, activation, money (domain reference §10 items 2,
8–11, 17, 22–24, 27).

LZB at ST(t): in the ELB stock and ≥ 638 net ELB days in the 730 days ending with ST(t),
Stichtag included, overlapping spells counted once, spells at other Jobcenter counted.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.engine.builder import Ex

D = dt.timedelta
ST_JUN_2020 = dt.date(2020, 6, 15)
WINDOW_START = ST_JUN_2020 - D(days=729)  # 2018-06-17: 730 days including the Stichtag


def iso(day: dt.date) -> str:
    return day.isoformat()


def test_window_arithmetic():
    assert WINDOW_START == dt.date(2018, 6, 17)
    assert (ST_JUN_2020 - WINDOW_START).days + 1 == 730


@pytest.mark.parametrize("gap_days,is_lzb", [(93, False), (92, True)])
def test_637_days_is_not_lzb_638_is(gap_days, is_lzb):
    """Spells: at another Jobcenter 2018-01-01..2019-01-31; here 2019-01-15..2019-06-30 (17 days
    overlap, counted once); a gap from 2019-07-01 of ``gap_days``; then open. Net days in the
    window = 730 − gap: 93 → 637 (no), 92 → 638 (yes)."""
    back = dt.date(2019, 7, 1) + D(days=gap_days)
    ex = (Ex().elb("p", "2018-01-01", "2019-01-31", jc="09999", bg="b-old")
          .elb("p", "2019-01-15", "2019-06-30", bg="b1")
          .elb("p", iso(back), bg="b2"))
    assert 730 - gap_days == (637 if gap_days == 93 else 638)
    k3 = ex.figures("2020-06")["K3"]
    assert k3.numerator == (1 if is_lzb else 0)
    # the other Jobcenter has the person in stock only until January 2019: no LZB there in 2020
    other = ex.figures("2020-06", jobcenter_id="09999")["K3"]
    assert other.numerator == 0


def test_lzb_abgang_through_a_short_gap_while_still_elb():
    """c: ELB from 2018-05-16 with a 92-day gap (2019-07-01..09-30): at ST(May 2020) the window
    2018-05-16..2020-05-15 holds 730 − 92 = 638 days → LZB (a Zugang in May: at ST(Apr) the window
    starts 2018-04-16, 30 days before c's first day → 608). Then a 14-day gap 2020-05-20..06-02:
    at ST(Jun) 730 − 92 − 14 = 624 → no longer LZB, though ELB at both Stichtage → Abgang LZB.
    d: ELB since 2015 → LZB throughout, so no monthly denominator is 0."""
    ex = (Ex().elb("c", "2018-05-16", "2019-06-30", bg="b1").elb("c", "2019-10-01", "2020-05-19", bg="b1")
          .elb("c", "2020-06-03", bg="b1")
          .elb("d", "2015-01-01"))
    may, june = ex.figures("2020-05"), ex.figures("2020-06")
    assert may["K3"].numerator == 2 and june["K3"].numerator == 1
    # K3E4 June: Abgänge LZB Jul 2019..Jun 2020 = 1 (June); LZB at ST(m−1): d in all 12, c at ST(May)
    assert (june["K3E4"].numerator, june["K3E4"].denominator) == (1, 13)
    assert june["K3E4"].value == pytest.approx((1 / 2) / 12 * 100)
    # K3E3 May: Zugänge LZB Jun 2019..May 2020 = 1 (c in May); LZB at ST(m): d 12, c at ST(May) 1
    assert (may["K3E3"].numerator, may["K3E3"].denominator) == (1, 13)
    assert may["K3E3"].value == pytest.approx((1 / 2) / 12 * 100)
    # c stays ELB across the short gap: no ELB Abgang in June
    assert june["K1E4"].numerator == may["K1E4"].numerator


def test_lzb_needs_the_stock_at_the_stichtag():
    """2 years of ELB ending the day before the Stichtag: 729 days, but not in stock → not LZB."""
    ex = Ex().elb("p", "2018-06-01", "2020-06-14").elb("q", "2015-01-01")
    assert ex.figures("2020-06")["K3"].numerator == 1


def test_k3e2_activation_counts_persons_in_listed_measures():
    """Six LZB (ELB since 2015); measures covering ST(Jun 2020) = 15.06.2020:
    d1 mabe → yes; d2 Vermittlungsbudget → no; d3 EGZ (begleitend) → no; d4 § 16k → no;
    d5 agh and fbw → yes, once; d6 16i job without a measure row → no; e (not LZB) mabe → not counted.
    K3E2 = 2 / 6."""
    ex = Ex()
    for p in ("d1", "d2", "d3", "d4", "d5", "d6"):
        ex.elb(p, "2015-01-01")
    (ex.measure("d1", "mabe", "2020-06-01", "2020-06-30").measure("d2", "vb", "2020-06-01")
       .measure("d3", "egz", "2020-06-01").measure("d4", "16k", "2020-06-01")
       .measure("d5", "agh", "2020-01-01").measure("d5", "fbw", "2020-06-15", "2020-06-15")
       .job("d6", "2020-01-01", funding="16i")
       .elb("e", "2020-01-01").measure("e", "mabe", "2020-06-01"))
    f = ex.figures("2020-06")["K3E2"]
    assert (f.numerator, f.denominator) == (2, 6)
    assert f.value == pytest.approx(2 / 6 * 100)


def test_movements_between_jobcenter_are_abgang_and_zugang():
    """m moves from 09999 to 03504 on 2020-06-01: an Abgang at 09999 and a Zugang at 03504 in
    June (item 17); the LZB days still run across both (m stays LZB at 03504)."""
    ex = (Ex().elb("m", "2016-01-01", "2020-05-31", jc="09999", bg="b-old")
          .elb("m", "2020-06-01", bg="b-new")
          .elb("s", "2015-01-01").elb("s2", "2015-01-01", jc="09999", bg="b-s2"))
    here = ex.figures("2020-06")
    there = ex.figures("2020-06", jobcenter_id="09999")
    # K1E3 here: Zugänge Jul 2019..Jun 2020 = 1 (m in June), stocks of m: s 12 + m 1 = 13
    assert (here["K1E3"].numerator, here["K1E3"].denominator) == (1, 13)
    assert (there["K1E4"].numerator, there["K1E4"].denominator) == (1, 24)
    assert here["K3"].numerator == 2  # s and m: m's 730 days include the time at 09999
    assert here["K3E3"].numerator == 1  # m is a Zugang in LZB at 03504


def test_k1e2_and_k3_change_rates():
    """ELB at ST(Jun 2019): a, b, c, d; at ST(Jun 2020): a, b, e → (3 / 4 − 1) × 100 = −25 %."""
    ex = (Ex().elb("a", "2015-01-01").elb("b", "2015-01-01")
          .elb("c", "2015-01-01", "2019-12-31").elb("d", "2019-01-01", "2019-12-31")
          .elb("e", "2020-03-01"))
    f = ex.figures("2020-06")
    assert (f["K1E2"].numerator, f["K1E2"].denominator) == (3, 4)
    assert f["K1E2"].value == pytest.approx(-25.0)
    # LZB: June 2019: a, b, c (d only since 2019-01) = 3; June 2020: a, b = 2 → −33.3 %
    assert (f["K3"].numerator, f["K3"].denominator) == (2, 3)
    assert f["K3"].value == pytest.approx((2 / 3 - 1) * 100)


def test_k1_sums_llu_of_the_jobcenter_and_compares_with_the_previous_year():
    """June 2019: p 424.00. June 2020: p 432.00 + child k (NEF, Sozialgeld) 100.50 = 532.50;
    x has a benefit row but no spell overlapping June 2020 → not counted; mover v has spells at
    09999 until 10.06. and here from 11.06. → here (latest valid_from).
    K1 = (532.50 + 300.00) / 424.00 − 1 = 96.34 %."""
    ex = (Ex().elb("p", "2015-01-01").elb("k", "2015-01-01", status="nef", role="child", bg="bg-p")
          .benefit("p", "2019-06", "424.00", "310.00").benefit("p", "2020-06", "432.00", "320.00")
          .benefit("k", "2020-06", "100.50")
          .elb("x", "2015-01-01", "2020-04-30").benefit("x", "2020-06", "999.99")
          .elb("v", "2019-01-01", "2020-06-10", jc="09999", bg="b-v1").elb("v", "2020-06-11", bg="b-v2")
          .benefit("v", "2020-06", "300.00"))
    f = ex.figures("2020-06")
    assert (f["K1"].numerator, f["K1"].denominator) == (832.50, 424.00)
    assert f["K1"].value == pytest.approx((832.50 / 424.00 - 1) * 100)
    assert (f["K1E1"].numerator, f["K1E1"].denominator) == (320.00, 310.00)
    assert ex.figures("2020-06", jobcenter_id="09999")["K1"].numerator == 0


def test_a_jobcenter_without_data_has_records_with_zero_and_no_value():
    ex = Ex().elb("a", "2015-01-01")
    ex.jobcenters.add("09999")
    records = [r for r in ex.compute("2020-06") if r.jobcenter_id == "09999"]
    assert len(records) == 15 * 3
    # no value anywhere; a count is 0 where the Jobcenter's data reach the month, else (K1/K1E1:
    # no benefit months of 09999) null with its reason, never 0 € (§10.2 item 29)
    assert all(r.value is None and ((r.numerator, r.denominator) == (0, 0) or
                                    (r.numerator, r.denominator) == (None, None) and r.reason)
               for r in records)


def test_the_berichtsmonat_picks_the_rule_version_and_rules_override_it():
    ex = Ex().elb("a", "2015-01-01")
    assert {r.rules for r in ex.compute("2019-03")} == {"vo2010"}  # ST 15.03. < 22.03.2019
    assert {r.rules for r in ex.compute("2019-04")} == {"vo2019"}
    assert {r.rules for r in ex.compute("2019-04", rules="vo2010")} == {"vo2010"}
    k2e3 = [r for r in ex.compute("2019-03", to="2019-04") if r.code == "K2E3" and r.sex == "all"]
    assert [(r.month, r.rules) for r in k2e3] == [("2019-03", "vo2010"), ("2019-04", "vo2019")]
