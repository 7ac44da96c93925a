"""Outcomes per instrument (domain reference §12 item 43, §12.1 items 55–58), worked out by hand.
Descriptive, never causal."""

from __future__ import annotations

import datetime as dt

from amip.engine.budget import outcomes, six_months_later
from amip.engine.calendar import parse_month
from tests.engine.builder import Ex

DEC = parse_month("2020-12")


def test_six_months_later():
    # item 57: the same day six calendar months later; a missing day → the month's last day
    assert six_months_later(dt.date(2020, 8, 31)) == dt.date(2021, 2, 28)
    assert six_months_later(dt.date(2019, 8, 31)) == dt.date(2020, 2, 29)
    assert six_months_later(dt.date(2020, 3, 31)) == dt.date(2020, 9, 30)
    assert six_months_later(dt.date(2020, 7, 15)) == dt.date(2021, 1, 15)


def case() -> Ex:
    ex = Ex().declare("data_as_of = 2021-03-31\n")  # the six-month days must be ≤ 31.03.2021
    for p in "abcdeh":
        ex.elb(p, "2015-01-01")
    return (ex
            # a: exit 31.03.2020 → 30.09.2020: sv job from 1.9.2020 → Eingliederung, Verbleib
            .measure("a", "fbw", "2020-01-10", "2020-03-31").job("a", "2020-09-01")
            # b: exit 31.08.2020 → 28.02.2021 (item 57): unemployed then → neither
            .measure("b", "fbw", "2020-02-01", "2020-08-31").unemployed("b", "2021-01-01",
                                                                         "2021-06-30")
            # c: exit 31.12.2020 → 30.06.2021, after the Datenstand: an Austritt, not in EQ/VQ
            .measure("c", "fbw", "2020-06-01", "2020-12-31").job("c", "2021-01-01")
            # d: participates through the year, no exit in it
            .measure("d", "fbw", "2019-10-01", "2021-02-28")
            # e: exit 30.04.2020 → 30.10.2020: a marginal job only (not sv), not unemployed
            .measure("e", "fbw", "2020-03-01", "2020-04-30")
            .job("e", "2020-10-01", kind="marginal")
            # f: no elb_spells row covering the first day → not counted (item 55)
            .measure("f", "fbw", "2020-02-01", "2020-02-29")
            # g: two elb rows cover the start: the later valid_from (03505) wins (item 55)
            .elb("g", "2010-01-01").elb("g", "2019-06-01", jc="03505", bg="bg-g2")
            .measure("g", "agh", "2020-02-01")
            # h: egz ended in 2019: no participant in the window → no egz record (item 58)
            .measure("h", "egz", "2019-01-01", "2019-12-31")
            # payments on fbw by booked_on in 2020 (item 58): 10.000 + 2.000; not the one of
            # 20.12.2019, not the one booked 10.01.2021 for 2020, not vk
            .plan(2020, "egl", "fbw", "20000.00")
            .book("payment", "2019-12-20", "egl", "fbw", "3000.00")
            .book("payment", "2020-05-01", "egl", "fbw", "10000.00")
            .book("payment", "2020-12-15", "egl", "fbw", "2000.00")
            .book("payment", "2021-01-10", "egl", "fbw", "500.00", 2020)
            .book("payment", "2020-05-01", "vk", None, "99999.00")
            .book("payment", "2020-06-01", "egl", "egz", "800.00"))


def by_instrument(rows):
    return {(r.jobcenter_id, r.instrument): r for r in rows}


def test_outcomes_of_the_year(backend):
    got = by_instrument(outcomes(case().view(), [DEC]))
    assert set(got) == {("03504", "fbw"), ("03505", "agh")}
    f = got[("03504", "fbw")]
    # Austritte in 2020: a, b, c, e = 4; within the horizon a, b, e = 3; in sv: a → EQ 1/3;
    # not unemployed or in sv: a, e → VQ 2/3
    assert (f.austritte, f.in_horizon, f.eingliederungen, f.verbleib) == (4, 3, 1, 2)
    # participants a, b, c, d, e = 5; payments 12.000 → 2.400 per participant, 12.000 per
    # Eingliederung
    assert f.as_json() == {
        "jobcenter_id": "03504", "month": "2020-12", "instrument": "fbw", "austritte": 4,
        "eingliederungsquote": 33.33, "verbleibsquote": 66.67, "cost_per_participant": 2400.0,
        "cost_per_eingliederung": 12000.0}
    g = got[("03505", "agh")]
    # no exit: quotas null with a reason; nothing paid → 0,00 per participant, none per EGL
    assert (g.austritte, g.eingliederungsquote, g.verbleibsquote, g.cost_per_participant,
            g.cost_per_eingliederung) == (0, None, None, 0.0, None)
    assert g.reason == "keine Austritte im Zeitraum"


def test_twelve_month_series_and_horizon(backend):
    rows = outcomes(case().view(), [parse_month("2020-03"), DEC], jobcenter_id="03504")
    march = [r for r in rows if r.month == "2020-03"]
    (f,) = [r for r in march if r.instrument == "fbw"]
    # window 04/2019–03/2020: exit a only (→ sv); participants a, b, d, e (c starts in June);
    # payments: 3.000 of 20.12.2019 → 750 per participant, 3.000 per Eingliederung
    assert (f.austritte, f.eingliederungsquote, f.cost_per_participant,
            f.cost_per_eingliederung) == (1, 100.0, 750.0, 3000.0)
    # h's egz spell (2019) lies in this window: a record, paid nothing yet in it
    (h,) = [r for r in march if r.instrument == "egz"]
    assert (h.austritte, h.cost_per_participant) == (1, 0.0)
    # an earlier Datenstand: only a (30.09.2020) and e (30.10.2020) are within 31.10.2020
    view = case().declare("data_as_of = 2020-10-31\n").view()
    (f,) = [r for r in outcomes(view, [DEC]) if r.instrument == "fbw"]
    assert (f.austritte, f.in_horizon, f.eingliederungsquote, f.verbleibsquote) == \
        (4, 2, 50.0, 100.0)
    view = case().declare("data_as_of = 2020-09-29\n").view()
    (f,) = [r for r in outcomes(view, [DEC]) if r.instrument == "fbw"]
    assert (f.in_horizon, f.eingliederungsquote, f.cost_per_eingliederung) == (0, None, None)
    assert f.reason.startswith("kein Austritt, dessen Tag sechs Monate später im Datenstand")


def group_case() -> Ex:
    return (Ex().declare("data_as_of = 2021-03-31\n")
          # a: ELB since 2015 (LZB, and like everyone here without a vocational degree, the
          # builder's education "none"); fbw 10.01.–31.03.2020, entry Stichtag 15.12.2019;
          # sv job on the six-month day 30.09.2020 → Eingliederung and Verbleib
          .elb("a", "2015-01-01").measure("a", "fbw", "2020-01-10", "2020-03-31")
          .job("a", "2020-09-01")
          # s: ELB since 1.1.2020, head of a single-parent BG (Alleinerziehende), not LZB;
          # fbw 01.02.–30.04.2020, entry Stichtag 15.01.2020; on 30.10.2020 neither employed
          # nor unemployed → Verbleib, no Eingliederung
          .elb("s", "2020-01-01", bg="bs").bg("bs", "single_parent", "2020-01-01")
          .measure("s", "fbw", "2020-02-01", "2020-04-30")
          .book("payment", "2020-05-01", "egl", "fbw", "6000.00"))


def test_outcomes_by_customer_group(backend):
    """Item 43 "by customer group where it is shown": a spell counts in the declared groups
    (groups.toml) of its person at the last Stichtag on or before its first day; no costs."""
    ex = group_case()
    got = {r.group: r for r in outcomes(ex.view(), [DEC], by_group=True)}
    # lzb: a alone → 1 Austritt, EQ 1/1 = 100 %, VQ 100 %; single_parents: s alone → EQ 0 %,
    # VQ 100 %; no_vocational_training: a and s → 2 Austritte, EQ 1/2 = 50 %, VQ 2/2 = 100 %
    assert set(got) == {"lzb", "single_parents", "no_vocational_training"}
    assert [(g, r.austritte, r.participants, r.eingliederungsquote, r.verbleibsquote)
            for g, r in got.items()] == [
        ("lzb", 1, 1, 100.0, 100.0), ("single_parents", 1, 1, 0.0, 100.0),
        ("no_vocational_training", 2, 2, 50.0, 100.0)]  # the order of groups.toml
    # payments name no person: no costs by group, with the reason
    r = got["lzb"]
    assert (r.payments, r.cost_per_participant, r.cost_per_eingliederung) == (None, None, None)
    assert "keiner Kundengruppe" in r.cost_reason
    assert r.as_json()["group"] == "lzb"
    # without the split the contract is unchanged: no "group" key, costs 6.000 / 2
    whole = outcomes(ex.view(), [DEC])
    assert len(whole) == 1 and "group" not in whole[0].as_json()
    assert whole[0].cost_per_participant == 3000.0


def test_a_spell_begun_before_the_window_takes_the_group_at_its_start():
    """s enters fbw on 01.02.2019 (ELB since 1.1.2019, head of a single-parent BG until
    30.06.2019, then of a couple BG) and leaves on 31.03.2020: for the twelve months of 2020 her
    group is the one at 15.12.2019 (before 1.1.2020), not the one at entry (15.01.2019)."""
    ex = (Ex().declare("data_as_of = 2021-03-31\n")
          .elb("s", "2019-01-01", bg="bs").bg("bs", "single_parent", "2019-01-01", "2019-06-30")
          .bg("bs", "couple", "2019-07-01")
          .measure("s", "fbw", "2019-02-01", "2020-03-31"))
    groups = {r.group for r in outcomes(ex.view(), [DEC], by_group=True)}
    # at 15.12.2019: not single parent, not LZB (349 days), no degree (the builder's "none")
    assert groups == {"no_vocational_training"}
    # the window of June 2019 (07/2018–06/2019) began before the spell: its entry counts
    june = {r.group for r in outcomes(ex.view(), [parse_month("2019-06")], by_group=True)}
    assert june == {"single_parents", "no_vocational_training"}
