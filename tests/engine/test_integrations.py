"""K2 family: search windows, person concept, counted kinds (domain reference §10 items 4–6, 19–21).

Stichtag ST(m) is the 15th. A start in (ST(k−1), ST(k)] counts in month k if the person was in
the ELB stock at ST(k−1) (window A), or in month k+1 if the person entered the stock between
ST(k−1) and ST(k) (window B). Background person ``bg`` is ELB all the time so that the K2
denominator (mean ELB stock of the 12 Vormonate) is simple.
"""

from __future__ import annotations

import pytest

from tests.engine.builder import Ex


def base() -> Ex:
    return Ex().elb("bg", "2015-01-01")


def test_window_a_start_between_two_stichtage_counts_in_the_later_month():
    ex = base().elb("p1", "2018-01-01").job("p1", "2020-05-20")  # (15.05., 15.06.] → June
    may, june = ex.figures("2020-05")["K2"], ex.figures("2020-06")["K2"]
    assert may.numerator == 0
    # June: 1 Integration (p1); stocks ST(Jun 2019)..ST(May 2020) are 2 each → mean 2.0
    assert (june.numerator, june.denominator) == (1, 2.0)
    assert june.value == pytest.approx(1 / 2.0 * 100)  # 50 %


def test_a_start_on_the_stichtag_belongs_to_that_month_and_the_day_after_to_the_next():
    ex = base().elb("p1", "2018-01-01").job("p1", "2020-06-15").elb("p2", "2018-01-01") \
        .job("p2", "2020-06-16")
    assert ex.figures("2020-06")["K2"].numerator == 1  # p1 (15.06. ∈ (15.05., 15.06.])
    assert ex.figures("2020-07")["K2"].numerator == 2  # p1 and p2 (16.06. → July), 12-month sum


def test_window_b_catches_an_entrant_who_took_a_job_in_the_same_month():
    # p2 enters on 20.05.2020: not in stock at ST(May) = 15.05., in stock at ST(Jun) = 15.06.
    # job start 25.05. lies in (ST(May), ST(Jun)]: window A for June needs stock at ST(May): no;
    # window B for July: in stock at ST(Jun), not at ST(May), start in (ST(May), ST(Jun)]: yes.
    ex = base().elb("p2", "2020-05-20").job("p2", "2020-05-25")
    assert ex.figures("2020-06")["K2"].numerator == 0
    july = ex.figures("2020-07")["K2"]
    # denominator: stocks ST(Jul 2019)..ST(Jun 2020): bg 12 × 1, p2 only at ST(Jun) → 13 / 12
    assert (july.numerator, july.denominator) == (1, pytest.approx(13 / 12))
    assert july.value == pytest.approx(1 / (13 / 12) * 100)


def test_a_start_after_leaving_benefits_counts_for_a_person_in_stock_at_st_t_minus_1():
    # p3 is in stock at ST(May), leaves benefits on 31.05. and starts work on 01.06.
    ex = base().elb("p3", "2018-01-01", "2020-05-31").job("p3", "2020-06-01")
    assert ex.figures("2020-06")["K2"].numerator == 1


def test_window_b_does_not_recount_persons_already_in_stock_at_st_t_minus_2():
    # p1 in stock throughout; start 10.05. counts in May (window A) and not again in June.
    ex = base().elb("p1", "2018-01-01").job("p1", "2020-05-10")
    assert ex.figures("2020-05")["K2"].numerator == 1
    assert ex.figures("2020-06")["K2"].numerator == 1  # the same single Integration in the window


def test_at_most_one_integration_per_person_and_month():
    ex = (base().elb("p1", "2018-01-01")
          .job("p1", "2020-05-20")                               # June window
          .job("p1", "2020-06-01", kind="apprenticeship")        # June window again
          .job("p1", "2020-06-10", "2020-06-12")                 # June window again
          .job("p1", "2020-06-20"))                              # July window
    assert ex.figures("2020-06")["K2"].numerator == 1
    assert ex.figures("2020-07")["K2"].numerator == 2  # one in June + one in July


def test_marginal_and_public_employment_are_not_integrations_but_entries():
    ex = (base().elb("p1", "2018-01-01").elb("p2", "2018-01-01").elb("p3", "2018-01-01")
          .job("p1", "2020-05-20", kind="marginal")               # K2E1
          .job("p2", "2020-05-20", funding="16i")                 # K2E2 (öffentlich gefördert)
          .measure("p2", "agh", "2020-05-21")                     # same person-month: once
          .measure("p3", "agh", "2020-06-01"))                    # K2E2
    f = ex.figures("2020-06")
    assert f["K2"].numerator == 0
    assert f["K2E1"].numerator == 1
    assert f["K2E2"].numerator == 2
    # denominators: 4 persons in stock at every Vormonat → mean 4.0
    assert f["K2E1"].denominator == f["K2E2"].denominator == 4.0
    assert f["K2E2"].value == pytest.approx(50.0)


@pytest.mark.parametrize("kind,funding,integration,public", [
    ("sv", "none", 1, 0), ("sv", "egz", 1, 0), ("self_employed", "esg", 1, 0),
    ("sv", "16e", 1, 0), ("sv", "esf_lza", 1, 0), ("apprenticeship", "none", 1, 0),
    ("sv", "fav", 0, 1), ("sv", "sta", 0, 1), ("sv", "16i", 0, 1), ("marginal", "none", 0, 0),
])
def test_which_starts_count(kind, funding, integration, public):
    ex = base().elb("p1", "2018-01-01").job("p1", "2020-05-20", kind=kind, funding=funding)
    f = ex.figures("2020-06")
    assert (f["K2"].numerator, f["K2E2"].numerator) == (integration, public)


def test_single_parents_integration_quota_takes_membership_at_st_t_minus_1():
    ex = (base()
          .elb("a1", "2018-01-01", bg="b1").bg("b1", "single_parent", "2018-01-01")
          .job("a1", "2020-05-20")                                 # head of an AE-BG: counts
          .elb("a2", "2018-01-01", bg="b2", role="partner").bg("b2", "single_parent", "2018-01-01")
          .job("a2", "2020-05-20")                                 # not the head: no
          .elb("a3", "2018-01-01", bg="b3")
          .bg("b3", "couple", "2018-01-01", "2020-05-19").bg("b3", "single_parent", "2020-05-20")
          .job("a3", "2020-06-01"))                                # AE only after ST(May): no
    f = ex.figures("2020-06")
    assert f["K2"].numerator == 3
    # K2E4: a1 only; denominator = mean AE stock ST(Jun 2019)..ST(May 2020) = a1 every month = 1
    assert (f["K2E4"].numerator, f["K2E4"].denominator, f["K2E4"].value) == (1, 1.0, 100.0)


def test_k2e3_continuous_sv_employment_in_each_of_six_months_after_the_integration_month():
    # Starts on 20.12.2019 count in Berichtsmonat January 2020; "the six months after" are the
    # Stichtage of February..July 2020.
    ex = (base()
          .elb("i1", "2018-01-01").job("i1", "2019-12-20", "2020-08-31")      # covers all: yes
          .elb("i2", "2018-01-01").job("i2", "2019-12-20", "2020-04-30")
          .job("i2", "2020-05-01", funding="egz")                              # other job: yes
          .elb("i3", "2018-01-01").job("i3", "2019-12-20", "2020-05-10")      # not at 15.05.: no
          .elb("i4", "2018-01-01").job("i4", "2019-12-20", kind="apprenticeship"))  # not in base
    # i2's job change on 01.05.2020 is itself a new sv Integration (item 20), in Berichtsmonat
    # May; its six months after (Jun..Nov) are covered by the open job.
    # base: i1 (Jan), i2 (Jan), i3 (Jan), i2 (May) = 4; continued: i1, i2 (Jan), i2 (May) = 3
    f = ex.figures("2020-06", as_of="2021-01-31")
    assert (f["K2E3"].numerator, f["K2E3"].denominator) == (3, 4)
    assert f["K2E3"].value == pytest.approx(3 / 4 * 100)
    assert f["K2"].numerator == 5  # + i4's apprenticeship: an Integration, just not in K2E3


def test_k2e3_has_no_value_until_the_data_reach_the_sixth_month():
    ex = base().elb("i1", "2018-01-01").job("i1", "2019-12-20")
    # June 2020 needs ST(December 2020); data as of 14.12.2020 do not reach it
    early = ex.figures("2020-06", as_of="2020-12-14")["K2E3"]
    assert (early.numerator, early.denominator, early.value) == (None, None, None)
    assert "15.12.2020" in early.reason  # the figure does not exist yet (§10.2 item 29)
    assert ex.figures("2020-06", as_of="2020-12-15")["K2E3"].value == 100.0


def test_k2e3_vo2010_nachhaltigkeit_looks_at_the_twelfth_month():
    ex = (base()
          .elb("i1", "2018-01-01").job("i1", "2019-12-20", "2020-08-31")  # not at ST(Jan 2021)
          .elb("i2", "2018-01-01").job("i2", "2019-12-20"))               # at ST(Jan 2021): yes
    # the figure of June 2020 exists once the data reach ST(t+12) = ST(June 2021) (§10.2 item 29)
    f = ex.figures("2020-06", as_of="2021-06-30", rules="vo2010")
    assert (f["K2E3"].numerator, f["K2E3"].denominator) == (1, 2)
    assert ex.figures("2020-06", as_of="2021-06-30")["K2E3"].numerator == 2  # VO 2019: both


def test_sex_d_counts_in_all_only():
    ex = (Ex().person("pd", "d").person("pm", "m").person("pw", "w")
          .elb("pd", "2018-01-01").job("pd", "2020-05-20")
          .elb("pm", "2018-01-01").elb("pw", "2018-01-01").job("pw", "2020-05-20"))
    by_sex = {s: ex.figures("2020-06", sex=s)["K2"] for s in ("all", "m", "w")}
    assert (by_sex["all"].numerator, by_sex["all"].denominator) == (2, 3.0)
    assert (by_sex["m"].numerator, by_sex["m"].denominator) == (0, 1.0)
    assert (by_sex["w"].numerator, by_sex["w"].denominator) == (1, 1.0)
