"""Forecasts (amip/engine/forecast.py): the interval, the anchor at t, determinism, a backtest."""

from __future__ import annotations

import numpy as np
import pytest

from amip.catalogue import load
from amip.engine.calendar import format_month, parse_month, stichtag
from amip.engine.forecast import fit_and_simulate, forecast, forecast_all, monthly_facts
from amip.engine.indicators import compute

pytestmark = pytest.mark.duckdb_only

T = "2019-06"


@pytest.fixture(scope="module")
def db(default_store):
    return default_store.view()


@pytest.fixture(scope="module")
def k2_facts(db):
    """K2's facts once for 2009–2020 under each rule version (backtests from several months)."""
    cat = load()
    return {key: monthly_facts(db, None, "2009-01", "2020-12", ["integrations", "elb"],
                               rules=cat.rules[key]) for key in ("vo2010", "vo2019")}


@pytest.fixture(scope="module")
def k2(db, k2_facts):
    return forecast(db, "K2", T, facts=k2_facts["vo2019"])


def test_fit_and_simulate_fallbacks():
    rng = np.random.default_rng(1)
    name, sims, _ = fit_and_simulate(np.zeros(30), 4, 50, rng)
    assert name == "konstant" and sims.shape == (4, 50) and not sims.any()
    name, sims, _ = fit_and_simulate(np.array([3.0, 1.0]), 3, 50, rng)
    assert name.startswith("naiv") and (sims >= 0).all()
    name, sims, _ = fit_and_simulate(np.array([5, 3, 0, 2, 1, 0, 1, 0.0]), 6, 200, rng)
    assert name == "ETS(A,N,N)" and (sims >= 0).all()  # counts can't be negative: clipped
    season = 100 + 10 * np.sin(np.arange(60) / 12 * 2 * np.pi) + rng.normal(0, 2, 60)
    name, sims, _ = fit_and_simulate(season, 12, 500, rng)
    assert "ETS(A,Ad,A)" in name or "ETS(A,N,A)" in name
    assert sims.shape == (12, 500)


def test_interval_contains_median_and_widens(k2):
    assert [p.month for p in k2.points] == [format_month(m) for m in
                                            range(parse_month(T), parse_month("2019-12") + 1)]
    for p in k2.points:
        assert p.lower <= p.value <= p.upper
        assert p.jfw_lower <= p.jfw <= p.jfw_upper
    widths = [p.upper - p.lower for p in k2.points]
    jfw_widths = [p.jfw_upper - p.jfw_lower for p in k2.points]
    assert widths[0] == 0 and jfw_widths[0] == 0  # t itself is known
    assert all(b >= a - 0.05 for a, b in zip(jfw_widths, jfw_widths[1:]))
    assert all(b >= a - 0.05 for a, b in zip(widths, widths[1:]))
    assert jfw_widths[-1] > 2 * jfw_widths[1] > 0
    assert "ETS(A,Ad,A)" in k2.model and "10 Jahre" in k2.model


def test_anchor_reproduces_the_engine(db):
    """In t the forecast is the engine's own value (and Jahresfortschrittswert), exactly; so are
    the history's months."""
    codes = ["K1E2", "K2", "K2E1"]
    fa = forecast_all(db, T, codes, n_paths=50)
    t = parse_month(T)
    month = {r.code: r.value for r in compute(db, [t], codes=codes) if r.sex == "all"}
    jfw = {r.code: r.value for r in compute(db, [t], codes=codes, jfw=True) if r.sex == "all"}
    for code in codes:
        p = fa[code].points[0]
        assert p.month == T and p.value == p.lower == p.upper == month[code]
        if code in jfw:
            assert p.jfw == p.jfw_lower == p.jfw_upper == jfw[code]
        else:
            assert p.jfw is None
        assert fa[code].history[-1].value == month[code]
    before = {r.month: r.value for r in compute(db, [t - 3], codes=["K2"]) if r.sex == "all"}
    assert next(h.value for h in fa["K2"].history if h.month == format_month(t - 3)) == \
        before[format_month(t - 3)]


def test_deterministic_with_the_seed(db, k2, k2_facts):
    again = forecast(db, "K2", T, facts=k2_facts["vo2019"])
    assert again.points == k2.points
    other = forecast(db, "K2", T, facts=k2_facts["vo2019"], seed=7)
    assert other.points[-1] != k2.points[-1]
    assert other.points[0] == k2.points[0]


def test_backtest_k2_december_2019(db, k2, k2_facts):
    """From June 2019 to December 2019's Jahresfortschrittswert on the default synthetic
    Jobcenter. Honest outcome: the 80 % interval misses (integrations stopped falling in 2019,
    after three years of decline the damped trend carries on): actual 20,35 %, forecast 18,28 %
    [17,38; 19,31], a miss of about one point, and even the 95 % interval [16,72; 19,87] misses
    it by half a point. (Before the group-dependent exits of issue 15 the synthetic K2 of 2019
    was 21,73 % and the 95 % interval held it: such misses are what the backtest reports.)"""
    actual = next(r.value for r in compute(db, [parse_month("2019-12")], codes=["K2"], jfw=True)
                  if r.sex == "all")
    p = k2.point("2019-12")
    print(f"\nK2 JFW 12/2019: actual {actual:.2f}, forecast {p.jfw:.2f} "
          f"[{p.jfw_lower:.2f}, {p.jfw_upper:.2f}] (80 %), width {p.jfw_upper - p.jfw_lower:.2f}")
    assert abs(actual - 20.3466) < 0.001
    assert p.jfw_lower < p.jfw < p.jfw_upper < actual < p.jfw_upper + 1.1  # a near miss
    wide = forecast(db, "K2", T, level=0.95, facts=k2_facts["vo2019"])
    w = wide.point("2019-12")
    assert w.jfw_lower < p.jfw_lower and p.jfw_upper < w.jfw_upper < actual < w.jfw_upper + 0.6


def test_backtest_coverage_over_many_months(db, k2_facts):
    """Rolling origins (March, June, September of 2012–2020) → December's Jahresfortschrittswert:
    the 80 % intervals should hold the actual value in about 80 % of the cases."""
    cat = load()
    decembers = [parse_month(f"{y}-12") for y in range(2012, 2021)]
    actual = {r.month: r.value for r in compute(db, decembers, codes=["K2"], jfw=True)
              if r.sex == "all"}
    hits, n = 0, 0
    for y in range(2012, 2021):
        for mo in ("03", "06", "09"):
            t = parse_month(f"{y}-{mo}")
            facts = k2_facts[cat.rules_for(stichtag(t)).key]
            p = forecast(db, "K2", t, n_paths=300, facts=facts).point(f"{y}-12")
            hits += p.jfw_lower <= actual[f"{y}-12"] <= p.jfw_upper
            n += 1
    print(f"\nK2 JFW December, 80 % intervals from {n} months: {hits} hold the actual value")
    assert hits >= 0.65 * n


def test_every_fact_has_a_german_label_for_the_model_description():
    """Readers see the model description (report notes, dashboard): no English fact names."""
    from amip.engine.facts import FACTS
    from amip.engine.forecast import FACT_LABELS, SeriesModel, _describe

    assert set(FACT_LABELS) == set(FACTS)
    text = _describe([SeriesModel("integrations", "ETS(A,Ad,A)", "", "", 1.0),
                      SeriesModel("elb", "ETS(A,N,A)", "", "", 1.0)], 2015 * 12 + 6, 2020 * 12 + 5)
    assert text == ("Integrationen: ETS(A,Ad,A); ELB-Bestand: ETS(A,N,A), 5 Jahre Monatsdaten "
                    "(07/2015–06/2020)")
