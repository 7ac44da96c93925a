"""Zielnachhaltung on a small hand-made extract, every figure worked out by hand (domain
reference §11 items 32–36, §12.1 items 44–51).

The extract (Stichtag = the 15th; an employment start on the 10th of month k lies in
(ST(k−1), ST(k)] and is an Integration of month k for a person in stock at ST(k−1)):
- ``bg`` ELB from 2015-01-01, no team; p01…p10 and q01…q09 ELB from 2015-01-01, q09 until
  2020-03-31 (so all are LZB from 2017 on). Data start = 2015-01-01: 2017–2019 are complete years.
- Standort s1 with teams t1 (p01…p05, q01…q09) and t2 (p06…p10; p10 in role fm).
- Integrationen: 2017 Jan p01, Jun p02, Jul p03, Dec p04 (all t1); 2018 Feb p01, Mar p02, Apr p03,
  Oct p04 (t1); 2019 none; 2020 Jan p01 p02, Feb p03 p04, Mar p05 p06, Apr p07 p08, May p09,
  Jun p10 (t1: 5, t2: 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from amip.attainment.status import plan_status, target_status
from amip.engine.calendar import parse_month
from amip.engine.followed import planning_keys
from amip.engine.indicators import compute
from tests.engine.builder import JC, Ex


@dataclass
class T:
    jobcenter_id: str
    unit_id: str | None
    year: int
    measure: str
    sex: str
    value: Decimal | None
    status: str = "vereinbart"


@dataclass
class P:
    jobcenter_id: str
    unit_id: str
    year: int
    measure: str
    value: Decimal
    accepted: Decimal | None = None


def case() -> Ex:
    ex = Ex().elb("bg", "2015-01-01")
    ex.unit("u0", None, "jobcenter").unit("s1", "u0", "standort") \
        .unit("t1", "s1", "team").unit("t2", "s1", "team")
    for i in range(1, 11):
        p = f"p{i:02d}"
        ex.elb(p, "2015-01-01").caseload(p, "t1" if i <= 5 else "t2", "2015-01-01",
                                         role="fm" if i == 10 else "ifk")
    for i in range(1, 10):
        q = f"q{i:02d}"
        ex.elb(q, "2015-01-01", "2020-03-31" if i == 9 else None).caseload(q, "t1", "2015-01-01")
    for p, day in (("p01", "2017-01-10"), ("p02", "2017-06-10"), ("p03", "2017-07-10"),
                   ("p04", "2017-12-10"), ("p01", "2018-02-10"), ("p02", "2018-03-10"),
                   ("p03", "2018-04-10"), ("p04", "2018-10-10"),
                   ("p01", "2020-01-10"), ("p02", "2020-01-10"), ("p03", "2020-02-10"),
                   ("p04", "2020-02-10"), ("p05", "2020-03-10"), ("p06", "2020-03-10"),
                   ("p07", "2020-04-10"), ("p08", "2020-04-10"), ("p09", "2020-05-10"),
                   ("p10", "2020-06-10")):
        ex.job(p, day, day)  # a one-day job: a start, and the person stays in stock
    ex.check("p01", "kdu", "2020-06-03", 1, 20).check("p06", "kdu", "2020-06-04", 0, 20)
    return ex


def by(records, measure, unit=None, sex="all"):
    return next(r for r in records if r.measure == measure and r.unit_id == unit and r.sex == sex)


def test_count_path_gap_light_for_the_jobcenter_standort_and_teams():
    view = case().view()
    targets = [T(JC, None, 2020, "integrations", "all", Decimal(16))]
    plans = [P(JC, "t1", 2020, "integrations", Decimal(6)),
             P(JC, "t2", 2020, "integrations", Decimal(4), accepted=Decimal(1))]
    rs = target_status(view, targets, "2020-06", plans=plans, with_expectation=False)
    jc = by(rs, "integrations")
    # s(6): 2017 Jan..Jun 2 of 4 = 1/2; 2018 3 of 4 = 3/4; 2019 total 0 skipped → 5/8
    # P(6) = 16 × 5/8 = 10; A = 10 Integrationen Jan..Jun 2020 → gap 0, gap % 0, r = 1.00 green
    assert (jc.target, jc.actual, jc.path, jc.gap, jc.gap_percent, jc.light) == \
        (16.0, 10.0, 10.0, 0.0, 0.0, "green")
    assert jc.as_json()["month"] == "2020-06" and jc.level == "jobcenter"
    # team t1: target = its plan 6 (item 36); s(6) of its own counts (item 45) = 5/8 → P = 3.75;
    # A = 5 (p01–p05) → gap 1.25, gap % (5 / 3.75 − 1) × 100 = 33.33… → green
    t1 = by(rs, "integrations", "t1")
    assert (t1.target, t1.actual, t1.path, t1.gap, t1.light, t1.target_origin) == \
        (6.0, 5.0, 3.75, 1.25, "green", "plan")
    assert t1.gap_percent == pytest.approx(100 / 3)
    # team t2: plan 4 + accepted share 1 = 5; no Integrationen in 2017–2019 → s(6) = 6/12;
    # P = 2.5; A = 5 (p06–p10)
    t2 = by(rs, "integrations", "t2")
    assert (t2.target, t2.actual, t2.path, t2.gap) == (5.0, 5.0, 2.5, 2.5)
    # Standort s1 = its teams: target 6 + 5 = 11, A = 10, s(6) of its counts = 5/8 → P 6.875
    s1 = by(rs, "integrations", "s1")
    assert (s1.target, s1.actual, s1.path, s1.level) == (11.0, 10.0, 6.875, "standort")
    # the records are: Jobcenter, s1, t1, t2
    assert [r.unit_id for r in rs] == [None, "s1", "t1", "t2"]


def test_quota_follows_the_engines_jfw_and_the_stock_path_of_k3():
    ex = case()
    view = ex.view()
    targets = [T(JC, None, 2020, "K2", "all", Decimal(80)), T(JC, None, 2020, "K3", "all",
                                                                Decimal(-10))]
    rs = target_status(view, targets, "2020-06", with_expectation=False)
    k2 = by(rs, "K2")
    # JFW(6) = Integrationen Jan..Jun 10 / mean ELB stock ST(Dec 2019)..ST(May 2020)
    # = 10 / ((20 + 20 + 20 + 20 + 19 + 19) / 6) × 100 = 6000 / 118 = 50.847…; the engine's own
    # Jahresfortschrittswert, the same number (one definition)
    engine = next(r for r in compute(view, [parse_month("2020-06")], jfw=True)
                  if r.code == "K2" and r.sex == "all")
    assert k2.actual == pytest.approx(6000 / 118) and k2.actual == engine.value
    # path = 80 × s(6) = 80 × 5/8 = 50 (s from the Integrationen) → A ≥ P: green
    assert (k2.path, k2.light) == (50.0, "green")
    # K3 (stock, lower is better): S(Dec 2019) = 20 LZB; P(6) = 20 × (1 − 10/100 × 6/12) = 19;
    # S(Jun 2020) = 19 (q09 left on 31.03.) → gap 0, P ≥ A: green
    k3 = by(rs, "K3")
    assert (k3.actual, k3.path, k3.gap, k3.light) == (19.0, 19.0, 0.0, "green")
    # the Jobcenter's K3 target is inherited by the teams: t2 S(Dec) = 5, P = 4.75, A = 5:
    # r = P/A = 0.95 < 0.97 → red
    t2 = by(rs, "K3", "t2")
    assert (t2.target, t2.actual, t2.path, t2.light, t2.target_origin) == \
        (-10.0, 5.0, 4.75, "red", "jobcenter")


def test_grey_for_missing_ist_missing_target_and_in_abstimmung():
    # Datenstand 10.06.2020: ST(Jun) = 15.06. not reached → no Ist; the path still exists
    ex = case().declare("data_as_of = 2020-06-10\n")
    view = ex.view()
    targets = [T(JC, None, 2020, "integrations", "all", Decimal(16)),
               T(JC, None, 2020, "K2", "all", None, "in_abstimmung")]
    rs = target_status(view, targets, "2020-06", with_expectation=False)
    jc = by(rs, "integrations")
    assert (jc.actual, jc.path, jc.gap, jc.gap_percent, jc.light) == (None, 10.0, None, None, "grey")
    assert "Stichtag" in jc.reason  # German reason from the data horizon
    # no plan for the teams: no target (grey), the Ist of May would still be known
    t1 = by(rs, "integrations", "t1")
    assert (t1.target, t1.light) == (None, "grey")
    # in Abstimmung without value (item 44): target, path, gap null, grey; the Ist is still shown
    rs = target_status(case().view(), targets, "2020-06", with_expectation=False)
    k2 = by(rs, "K2")
    assert (k2.target, k2.path, k2.gap, k2.gap_percent, k2.light) == (None, None, None, None, "grey")
    assert k2.actual == pytest.approx(6000 / 118)
    assert "in Abstimmung" in k2.reason


def test_error_rate_entered_level_and_fallmanagement():
    view = case().view()
    targets = [T(JC, None, 2020, "fehlerquote_kdu", "all", Decimal(5)),
               T(JC, None, 2020, "vermittlungsvorschlaege_erfolg", "all", Decimal(100)),
               T(JC, None, 2020, "integrationen_fm", "all", Decimal(2))]
    values = {"vermittlungsvorschlaege_erfolg": {(JC, None, "2020-06"): Decimal(97)}}
    rs = target_status(view, targets, "2020-06", measure_values=values, with_expectation=False)
    # checks of June: p01 1 of 20, p06 0 of 20 → 1/40 × 100 = 2.5 % (lower is better, T 5 → green)
    fq = by(rs, "fehlerquote_kdu")
    assert (fq.actual, fq.path, fq.light) == (2.5, 5.0, "green")
    # team t1: 1/20 = 5 % = the ceiling: P/A = 1.00 exactly → green
    assert (by(rs, "fehlerquote_kdu", "t1").actual, by(rs, "fehlerquote_kdu", "t1").light) == \
        (5.0, "green")
    # entered level 97 against 100: r = 0.97 exactly → yellow
    v = by(rs, "vermittlungsvorschlaege_erfolg")
    assert (v.actual, v.light) == (97.0, "yellow")
    # only p10 is in Fallmanagement (at ST(May), the Stichtag before its June Integration): A = 1;
    # no fm Integration in 2017–2019 → s(6) = 1/2, P = 1 → green
    fm = by(rs, "integrationen_fm")
    assert (fm.actual, fm.path, fm.light) == (1.0, 1.0, "green")


def test_expectation_for_december_is_the_actual_and_for_june_an_interval():
    view = case().view()
    targets = [T(JC, None, 2020, "integrations", "all", Decimal(16))]
    dec = by(target_status(view, targets, "2020-12"), "integrations")
    # in December nothing is left to forecast: the expectation is the Ist (10 Integrationen)
    assert dec.actual == 10.0 and dec.expected == dec.expected_lower == dec.expected_upper == 10.0
    jun = by(target_status(view, targets, "2020-06"), "integrations")
    # the year ends at no less than the 10 already counted
    assert jun.expected_lower >= 10.0 and jun.expected_lower <= jun.expected <= jun.expected_upper


def test_planning_proposal_with_the_elb_key():
    view = case().view()
    # key elb for 2021: ST(Dec 2019)..ST(Nov 2020), persons in stock by team:
    # t1: p01–p05 12 × 5 = 60, q01–q08 12 × 8 = 96, q09 at ST Dec, Jan, Feb, Mar = 4 → 160 / 12
    # t2: p06–p10 12 × 5 = 60 → 5; bg has no team and does not count
    keys = planning_keys(view, JC, 2021, "elb")
    assert keys["t1"] * 12 == 160 and keys["t2"] == 5
    plans = [P(JC, "t1", 2021, "integrations", Decimal(6)),
             P(JC, "t2", 2021, "integrations", Decimal(5))]
    target = T(JC, None, 2021, "integrations", "all", Decimal(20))
    rs = {r.unit_id: r for r in plan_status(view, plans, target, 2021, "integrations")}
    # G = 20 − (6 + 5) = 9; quotas 9 × 160/220 = 6.545…, 9 × 60/220 = 2.454…; floors 6 + 2,
    # the last unit to the larger remainder (t1) → 7 and 2
    assert (rs["t1"].planned, rs["t1"].proposed, rs["t1"].total) == (6.0, 7.0, 13.0)
    assert (rs["t2"].planned, rs["t2"].proposed, rs["t2"].total) == (5.0, 2.0, 7.0)
    assert rs["t1"].key_value == pytest.approx(160 / 12) and rs["t1"].target is None
    # Standort and Jobcenter rows sum their teams; the target on the Jobcenter row only
    assert (rs["s1"].planned, rs["s1"].proposed, rs["s1"].total, rs["s1"].target) == \
        (11.0, 9.0, 20.0, None)
    assert (rs["u0"].level, rs["u0"].proposed, rs["u0"].total, rs["u0"].target) == \
        ("jobcenter", 9.0, 20.0, 20.0)
    assert rs["u0"].key_value == pytest.approx(220 / 12)
    # a target below the plans: G = 8 − 11 = −3 → |G| = 3: 3 × 160/220 = 2.18, 0.82 → floors 2, 0,
    # the unit left to t2 (0.82 > 0.18) → t1 −2, t2 −1
    rs = {r.unit_id: r for r in plan_status(view, plans, Decimal(8), 2021, "integrations")}
    assert (rs["t1"].proposed, rs["t2"].proposed) == (-2.0, -1.0)
    # key equal: 9 over two teams → 4.5 each, the tie to t1 → 5 and 4
    rs = {r.unit_id: r for r in plan_status(view, plans, target, 2021, "integrations",
                                            key="equal")}
    assert (rs["t1"].proposed, rs["t2"].proposed) == (5.0, 4.0)


def test_a_plan_for_a_unit_that_is_not_a_team_is_refused():
    from amip.errors import DataError

    with pytest.raises(DataError, match="kein Team"):
        plan_status(case().view(), [P(JC, "s1", 2021, "integrations", Decimal(1))],
                    Decimal(5), 2021, "integrations")


def test_marktnah_key_takes_the_latest_prognosis_on_or_before_each_stichtag():
    ex = case().prognosis("p01", "2019-01-01", "marktnah") \
        .prognosis("p02", "2019-01-01", "marktnah").prognosis("p02", "2020-06-01", "nicht_marktnah") \
        .prognosis("p06", "2020-01-20", "marktnah")
    # ST(Dec 2019)..ST(Nov 2020): p01 marktnah at all 12; p02 until ST(May 2020) = 6 (Dec..May);
    # p06 from ST(Feb 2020) = 10 (Feb..Nov) → t1 (12 + 6) / 12 = 1.5, t2 10 / 12
    keys = planning_keys(ex.view(), JC, 2021, "marktnah")
    assert keys["t1"] == Decimal("1.5") and keys["t2"] * 12 == 10


def test_a_units_own_target_wins_and_bad_targets_are_refused():
    from amip.errors import NotFound

    view = case().view()
    targets = [T(JC, None, 2020, "integrations", "all", Decimal(16)),
               T(JC, "t1", 2020, "integrations", "all", Decimal(8))]
    plans = [P(JC, "t1", 2020, "integrations", Decimal(6))]
    rs = target_status(view, targets, "2020-06", unit_id="t1", plans=plans,
                       with_expectation=False)
    # --unit t1 keeps t1 only; its own target 8 beats its plan 6: P = 8 × 5/8 = 5 = A → green
    assert [(r.unit_id, r.target, r.path, r.light, r.target_origin) for r in rs] == \
        [("t1", 8.0, 5.0, "green", "own")]
    with pytest.raises(NotFound, match="unbekannte Messgröße"):
        target_status(view, [T(JC, None, 2020, "nix", "all", Decimal(1))], "2020-06")
    with pytest.raises(NotFound, match="unbekannte Einheit"):
        target_status(view, [T(JC, "t9", 2020, "K2", "all", Decimal(1))], "2020-06")
    # targets of another year are not listed (item 59)
    assert target_status(view, [T(JC, None, 2019, "K2", "all", Decimal(1))], "2020-06") == []


def test_several_months_from_one_count_equal_month_by_month():
    from amip.attainment.status import target_status_months

    view = case().view()
    targets = [T(JC, None, 2020, "integrations", "all", Decimal(16)),
               T(JC, None, 2020, "K3", "all", Decimal(-10))]
    together = target_status_months(view, targets, ["2020-03", "2020-06"], with_expectation=False)
    alone = target_status(view, targets, "2020-03", with_expectation=False) \
        + target_status(view, targets, "2020-06", with_expectation=False)
    assert together == alone
    # March: A = 6 (Jan 2, Feb 2, Mar 2); s(3) = (1/4 + 2/4) / 2 = 3/8 → P = 16 × 3/8 = 6
    march = by(together, "integrations")
    assert (march.month, march.actual, march.path, march.light) == ("2020-03", 6.0, 6.0, "green")


def test_kdu_expenditure_needs_the_benefit_month_held():
    ex = case().declare("data_as_of = 2030-12-31\n[data_as_of_by_table]\n"
                        "benefit_months = 2020-06-10\n")
    for month in ("2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-06"):
        ex.benefit("p01", month, "400.00", "100.00").benefit("p06", month, "400.00", "50.00")
    targets = [T(JC, None, 2020, "kdu_ausgaben", "all", Decimal(2000))]
    rs = target_status(ex.view(), targets, "2020-06", with_expectation=False)
    # June is held (Datenstand 10.06. on or after its first day, rows present; item 47):
    # A = 6 × (100 + 50) = 900 €; no benefit months before 2020 → s(6) = 6/12, P = 1000;
    # lower is better: P ≥ A → green
    k = by(rs, "kdu_ausgaben")
    assert (k.actual, k.path, k.light) == (900.0, 1000.0, "green")
    assert by(rs, "kdu_ausgaben", "t2").actual == 300.0  # p06's 6 × 50 € (team at ST, item 49)
    # July: not yet recorded → no Ist, grey
    rs = target_status(ex.view(), targets, "2020-07", with_expectation=False)
    july = by(rs, "kdu_ausgaben")
    assert (july.actual, july.light) == (None, "grey") and "noch nicht erfasst" in july.reason
