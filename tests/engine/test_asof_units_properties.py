"""As-of and Wartezeit, drill-down to Standort and team, and properties that must always hold."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amip.catalogue import load
from amip.engine.calendar import parse_month, stichtag
from amip.engine.facts import Facts
from amip.engine.indicators import compute, published_as_of
from tests.engine.builder import JC, Ex


def k2(records, sex="all"):
    return next(r for r in records if r.code == "K2" and r.sex == sex)


def test_as_of_ignores_rows_recorded_later_and_reproduces_a_past_report():
    """p's job start (20.05.2020, Berichtsmonat June) is recorded on 02.10.2020, after the
    Wartezeit of June (ends 30.09.2020): the published June figure does not include it, the
    current data do. A report as of 30.09.2020 stays the same after the late row arrived."""
    ex = Ex().elb("bg", "2015-01-01").elb("p", "2018-01-01") \
        .job("p", "2020-05-20", recorded_on="2020-10-02")
    assert published_as_of(parse_month("2020-06")) == dt.date(2020, 9, 30)
    assert k2(ex.compute("2020-06")).numerator == 1
    assert k2(ex.compute("2020-06", published=True)).numerator == 0
    assert k2(ex.compute("2020-06", as_of="2020-09-30")).numerator == 0
    assert k2(ex.compute("2020-06", as_of="2020-10-02")).numerator == 1  # as-of is inclusive


def test_published_series_uses_each_months_own_wartezeit():
    """The start recorded on 02.10.2020 is inside the Wartezeit of July (ends 31.10.2020)."""
    ex = Ex().elb("bg", "2015-01-01").elb("p", "2018-01-01") \
        .job("p", "2020-05-20", recorded_on="2020-10-02")
    series = [r for r in ex.compute("2020-06", to="2020-07", published=True)
              if r.code == "K2" and r.sex == "all"]
    assert [(r.month, r.numerator) for r in series] == [("2020-06", 0), ("2020-07", 1)]


def test_a_correction_recorded_later_changes_current_data_only():
    """An ELB spell delivered open and closed later (same key, later recorded_on)."""
    ex = (Ex().elb("a", "2015-01-01").elb("p", "2015-01-01", recorded_on="2015-01-05")
          .elb("p", "2015-01-01", "2020-05-31", recorded_on="2020-06-20"))
    assert ex.figures("2020-06", as_of="2020-06-19")["K1E2"].numerator == 2
    assert ex.figures("2020-06")["K1E2"].numerator == 1


def org(ex: Ex) -> Ex:
    """Jobcenter u0 → Standorte s1 (teams t1, t2) and s2 (team t3)."""
    return (ex.unit("u0", None, "jobcenter").unit("s1", "u0", "standort").unit("s2", "u0", "standort")
            .unit("t1", "s1", "team").unit("t2", "s1", "team").unit("t3", "s2", "team"))


def test_drill_down_assigns_persons_by_caseload_at_the_relevant_stichtag():
    """a (t1) and b (t2) integrate in June; c (t3) is in stock; d moves from t3 to t1 on
    01.06.2020: d's integration (window A from ST(May)) belongs to t3, the team at ST(May)."""
    ex = org(Ex())
    for p, team in (("a", "t1"), ("b", "t2"), ("c", "t3")):
        ex.elb(p, "2015-01-01").caseload(p, team, "2015-01-01")
    ex.elb("d", "2015-01-01").caseload("d", "t3", "2015-01-01", "2020-05-31") \
        .caseload("d", "t1", "2020-06-01")
    ex.job("a", "2020-05-20").job("b", "2020-05-20").job("d", "2020-05-20")
    view = ex.view()
    june = [parse_month("2020-06")]
    n = {u: k2(compute(view, june, unit_id=u)).numerator for u in ("u0", "s1", "s2", "t1", "t2", "t3")}
    assert n == {"u0": 3, "s1": 2, "s2": 1, "t1": 1, "t2": 1, "t3": 1}
    records = compute(view, june, unit_id="t3")
    assert {r.unit_id for r in records} == {"t3"}
    # K1E2 (stock at ST(Jun 2020)): d now counts in t1
    stock = {u: next(r for r in compute(view, june, unit_id=u)
                     if r.code == "K1E2" and r.sex == "all").numerator for u in ("t1", "t3")}
    assert stock == {"t1": 2, "t3": 1}


def test_unknown_unit_is_a_clear_error():
    from amip.engine.indicators import UnknownUnit

    ex = org(Ex()).elb("a", "2015-01-01")
    with pytest.raises(UnknownUnit, match="Einheit 'nope' gibt es im Datenbestand nicht"):
        compute(ex.view(), [parse_month("2020-06")], unit_id="nope")


# -- properties ------------------------------------------------------------------------------

DAYS = st.integers(min_value=0, max_value=1000)  # days after 2018-01-01
BASE = dt.date(2018, 1, 1)


@st.composite
def spells(draw):
    """Up to 8 persons with 1–3 ELB spells each (overlaps and gaps allowed), random teams."""
    ex = org(Ex())
    for i in range(draw(st.integers(1, 8))):
        p = f"p{i}"
        ex.person(p, draw(st.sampled_from(["m", "w", "d"])))
        for j in range(draw(st.integers(1, 3))):
            a = draw(DAYS)
            b = a + draw(st.integers(0, 400))
            open_end = draw(st.booleans()) and j == 0
            ex.elb(p, (BASE + dt.timedelta(a)).isoformat(),
                   None if open_end else (BASE + dt.timedelta(b)).isoformat(),
                   jc=draw(st.sampled_from([JC, JC, "09999"])), bg=f"b{i}{j}")
        ex.caseload(p, draw(st.sampled_from(["t1", "t2", "t3"])), "2015-01-01")
        if draw(st.booleans()):
            ex.job(p, (BASE + dt.timedelta(draw(DAYS))).isoformat())
    return ex


@pytest.mark.duckdb_only
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(spells())
def test_stock_moves_only_by_zugaenge_and_abgaenge(ex):
    """stock(t) = stock(t−1) + Zugänge(t) − Abgänge(t), for ELB and LZB, every month."""
    cat = load()
    m_lo, m_hi = parse_month("2018-06"), parse_month("2020-12")
    facts = Facts(ex.view(), cat.rules["vo2019"], cat.parameters, m_lo, m_hi)

    def per_month(name):
        df = facts.table(name).execute()
        return df[df.jobcenter_id == JC].groupby("m").size().to_dict()

    for stock, zu, ab in (("elb", "elb_in", "elb_out"), ("lzb", "lzb_in", "lzb_out")):
        s, z, a = per_month(stock), per_month(zu), per_month(ab)
        for m in range(m_lo + 1, m_hi + 1):
            assert s.get(m, 0) == s.get(m - 1, 0) + z.get(m, 0) - a.get(m, 0), (stock, m)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(spells())
def test_net_elb_days_count_each_day_of_the_union_once(ex):
    """LZB net days (item 8) equal counting the days of each person's spells as a set: the
    730 days ending with each Stichtag, across Jobcenter, nested and overlapping spells once."""
    cat = load()
    m_lo, m_hi = parse_month("2019-10"), parse_month("2020-03")
    facts = Facts(ex.view(), cat.rules["vo2019"], cat.parameters, m_lo, m_hi)
    window = cat.parameters.lzb_window_days
    days: dict[str, set[dt.date]] = {}
    for r in ex.rows["elb_spells"]:
        a = dt.date.fromisoformat(r["valid_from"])
        b = dt.date.fromisoformat(r["valid_to"]) if r["valid_to"] else dt.date(2021, 12, 31)
        days.setdefault(r["person_id"], set()).update(
            a + dt.timedelta(i) for i in range((b - a).days + 1))
    got = {r["person_id"]: r for r in facts.net_days.execute().to_dict("records")}
    for m in range(m_lo, m_hi + 1):
        day = stichtag(m)
        first = day - dt.timedelta(window - 1)
        want = {p: n for p, ds in days.items() if (n := sum(first <= d <= day for d in ds))}
        assert {p: int(r[f"n{m}"]) for p, r in got.items() if r[f"n{m}"]} == want, m


@pytest.mark.duckdb_only
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(spells())
def test_counts_of_the_teams_add_up_to_the_jobcenter(ex):
    """Everyone has a team, so Σ over teams = Standorte sum = Jobcenter, for every count."""
    view = ex.view()
    months = [parse_month("2019-12")]
    whole = {(r.code, r.sex): r for r in compute(view, months, jobcenter_id=JC)}
    teams = [compute(view, months, unit_id=t) for t in ("t1", "t2", "t3")]
    for code in ("K1E2", "K1E3", "K1E4", "K2", "K3", "K3E3", "K3E4"):
        for sex in ("all", "m", "w"):
            total = sum(next(r for r in rs if r.code == code and r.sex == sex).numerator
                        for rs in teams)
            assert total == whole[(code, sex)].numerator, (code, sex)


def test_several_units_in_one_computation_equal_one_by_one():
    ex = org(Ex())
    for p, team in (("a", "t1"), ("b", "t2"), ("c", "t3")):
        ex.elb(p, "2015-01-01").caseload(p, team, "2015-01-01").job(p, "2020-05-20")
    view, june = ex.view(), [parse_month("2020-06")]
    together = compute(view, june, unit_ids=["s1", "s2", "t1"])
    one_by_one = [r for u in ("s1", "s2", "t1") for r in compute(view, june, unit_id=u)]
    assert together == one_by_one
