"""The rolling-origin backtest, leaderboard, model choice and Zielwerterwartung
(amip/engine/backtest.py): constructed series whose answer is known, metrics worked by hand,
and the synthetic Jobcenter."""

from __future__ import annotations

import numpy as np
import pytest

from amip.engine.backtest import _score, backtest, proposed_target, run_backtest
from amip.engine.forecast import FactSeries, ModelChoice, forecast_all, monthly_facts
from amip.errors import DataError, NotFound

pytestmark = pytest.mark.duckdb_only

M0 = 2010 * 12  # January 2010: the first month of the constructed series
N = 72  # six years, 2010–2015
ORIGINS = list(range(M0 + 48, M0 + 54))  # January–June 2014: every horizon 1..12 is known
KNOWN = M0 + N - 1  # December 2015


def facts_of(elb, integrations, lzb) -> FactSeries:
    """A FactSeries made by hand (months M0..M0+N−1; no LOOKBACK months before: they count 0)."""
    values = {}
    for name, y in (("elb", elb), ("integrations", integrations), ("lzb", lzb)):
        for sex in ("all", "m", "w"):
            values[(name, sex)] = [float(v) for v in y]
    return FactSeries("JC", None, M0, M0 + N - 1, M0, "vo2019", values)


def run(fs, models=("ets", "naive", "snaive", "drift"), **kw):
    kw.setdefault("n_paths", 40)
    return run_backtest(fs, ORIGINS, {n: KNOWN for n in ("elb", "integrations", "lzb")}, M0,
                        models, **kw)


def test_metrics_worked_by_hand():
    # (horizon, actual, forecast, lower, upper)
    rows = [(1, 10.0, 12.0, 9.0, 13.0), (2, 0.0, 1.0, 0.0, 2.0), (3, 20.0, 15.0, 16.0, 19.0),
            (5, 8.0, 8.0, 7.0, 9.0), (2, 4.0, None, None, None)]  # the last: no forecast value
    s = _score("x", "m", "1–3", 1, 3, rows)
    # errors |12−10| = 2, |1−0| = 1, |15−20| = 5 → MAE 8/3
    # MAPE without the actual 0: (2/10 + 5/20) / 2 = 0.225 → 22.5 %
    # inside: 10 ∈ [9, 13] yes, 0 ∈ [0, 2] yes, 20 ∈ [16, 19] no → 2/3
    assert s.n == 3
    assert s.mae == pytest.approx(8 / 3)
    assert s.mape == pytest.approx(22.5)
    assert s.coverage == pytest.approx(2 / 3)
    # interval score, α = 0.2 (2/α = 10): widths 4, 2, 3; the third misses above by 20 − 19 = 1
    # → 3 + 10·1 = 13; mean (4 + 2 + 13) / 3
    assert s.interval_score == pytest.approx(19 / 3)
    # a missing point below: (5, 8, 8, 9, 10) → width 1 + 10·(9 − 8) = 11
    assert _score("x", "m", "5", 5, 5, [(5, 8.0, 8.0, 9.0, 10.0)]).interval_score == \
        pytest.approx(11)
    only_zero = _score("x", "m", "2", 2, 2, rows)
    assert only_zero.mape is None and only_zero.mae == 1.0  # the actual is 0: no MAPE
    assert _score("x", "m", "9", 9, 9, rows).mae is None  # nothing scored: null, not 0


def test_linear_trend_worked_by_hand():
    """y(m) = 1000 + 2·i rises by 2 a month. From origin t, horizon h the actual is y(t) + 2h:
    - naive forecasts y(t): error 2h; its one-step residuals are all 2, centred 0, so its paths
      are exactly y(t) and the interval [y(t), y(t)] never holds the actual → coverage 0;
      MAE over h = 1..12 = 2·(1+…+12)/12 = 13; over 1..3: 2·(1+2+3)/3 = 4;
      MAPE e.g. h = 1 from January 2014 (i = 48): 2 / (1000 + 2·49) = 0.18 %;
    - seasonal-naive forecasts y(t+h−12) = actual − 24: MAE 24, coverage 0;
    - drift: the mean monthly change 2, uncentred: exact, MAE 0, coverage 1 → it wins."""
    y = 1000 + 2 * np.arange(N)
    bt = run(facts_of(y, y, y), models=("naive", "snaive", "drift"))
    assert bt.score("elb", "naive").mae == pytest.approx(13)
    assert bt.score("elb", "naive", "1–3").mae == pytest.approx(4)
    assert bt.score("elb", "naive").coverage == 0
    assert bt.score("elb", "naive").n == len(ORIGINS) * 12
    assert bt.score("elb", "snaive").mae == pytest.approx(24)
    assert bt.score("elb", "drift").mae == pytest.approx(0)
    assert bt.score("elb", "drift").coverage == 1
    # MAPE over 1..3: the mean of 2h / (1000 + 2·(i + h)) · 100 over origins i = 48..53, h = 1..3
    by_hand = np.mean([2 * h / (1000 + 2 * (t - M0 + h)) * 100 for t in ORIGINS for h in (1, 2, 3)])
    assert bt.score("elb", "naive", "1–3").mape == pytest.approx(by_hand)
    assert bt.leaderboard["elb"][0].model == "drift" and bt.leaderboard["elb"][0].chosen
    assert bt.choice.get("elb") == "drift"


def test_pure_seasonal_series_seasonal_naive_wins():
    """A series that repeats every 12 months exactly: seasonal-naive is exact (MAE 0) and ranks
    first; the note says no model beats it."""
    season = np.array([120, 110, 100, 95, 90, 92, 98, 105, 112, 118, 125, 130], dtype=float)
    y = np.tile(season, N // 12)
    bt = run(facts_of(y * 10, y, y * 4))
    for key in ("elb", "integrations", "lzb"):
        assert bt.score(key, "snaive").mae == 0
        assert bt.score(key, "snaive").coverage == 1
        assert bt.leaderboard[key][0].model == "snaive"
        assert bt.score(key, "naive").mae > 5
        assert bt.choice.get(key) == "snaive"
    assert bt.score("K3", "snaive").mae == 0  # the LZB stock equals last year's: K3 = 0 %
    assert bt.leaderboard["K2"][0].chosen  # all K2's facts chose seasonal-naive: marked
    assert any("LZB-Bestand: kein Modell schlägt die saisonal-naive" in n for n in bt.notes)


def test_level_series_naive_wins():
    """A level that wanders (a random walk, no season, no drift): naive is the best forecast."""
    rng = np.random.default_rng(5)
    y = 500 + np.cumsum(rng.normal(0, 15, N))
    bt = run(facts_of(y, y, y))
    assert bt.score("elb", "naive").mae < bt.score("elb", "snaive").mae
    assert bt.leaderboard["elb"][0].model == "naive"
    assert bt.choice.get("elb") == "naive"


def test_coverage_in_range_deterministic_and_honours_the_horizon():
    rng = np.random.default_rng(3)
    i = np.arange(N)
    y = 300 + 30 * np.sin(i / 12 * 2 * np.pi) + rng.normal(0, 8, N)
    fs = facts_of(y * 10, y, y * 3)
    a, b = run(fs, seed=11), run(fs, seed=11)
    assert a == b  # same seed, same numbers
    assert run(fs, seed=12).scores != a.scores
    for s in a.scores:
        assert s.coverage is None or 0 <= s.coverage <= 1
        assert s.mae is None or s.mae >= 0
    # the data end in March 2014 for integrations: no later month is scored, the first origin
    # (January 2014) scores h = 1, 2 only, the next one h = 1, the rest nothing
    known = {"elb": KNOWN, "integrations": M0 + 50, "lzb": KNOWN}
    c = run_backtest(fs, ORIGINS, known, M0, ("naive",), n_paths=20)
    assert c.score("integrations", "naive").n == 3
    assert c.score("K2", "naive").n == 3  # K2 needs the integrations of its month
    assert c.score("elb", "naive").n == len(ORIGINS) * 12


# -- the synthetic Jobcenter -------------------------------------------------------------------

@pytest.fixture(scope="module")
def db(default_store):
    return default_store.view()


@pytest.fixture(scope="module")
def bt(db):
    return backtest(db, "2019-12", origins=3, n_paths=40)


def test_backtest_of_the_store(bt):
    assert (bt.first_origin, bt.last_origin, bt.n_origins) == ("2019-10", "2019-12", 3)
    assert set(bt.leaderboard) == {"elb", "integrations", "lzb", "K2", "K3"}
    assert set(bt.choice.as_dict()) == {"elb", "integrations", "lzb"}
    for key, ranks in bt.leaderboard.items():
        assert [r.rank for r in ranks] == list(range(1, len(ranks) + 1))
        assert {r.model for r in ranks} >= {"ets", "naive", "snaive", "drift"}
        scores = [r.interval_score for r in ranks]  # ranked by the interval score
        assert scores == sorted(scores)
        assert ranks[0].n > 0
        assert sum(r.chosen for r in ranks) == 1  # one row is what the forecasts use


def test_too_wide_intervals_do_not_win():
    """The leaderboard ranks by the interval score, not by MAE: the synthetic Jobcenter's
    Integrationen (2026-12) had naive with MAE 10,3 but intervals holding 100 % of the actual
    values (score 100,7) and seasonal-naive with MAE 11,5, coverage 86 % (score 53,1): the
    latter ranks first and is chosen."""
    from amip.engine.backtest import Score, _leaderboard, SERIES

    scores = (Score("integrations", "naive", "1–12", 100, 10.3, 11.7, 1.0, 100.7),
              Score("integrations", "snaive", "1–12", 100, 11.5, 13.5, 0.86, 53.1))
    series = [s for s in SERIES if s.key == "integrations"]
    board, choice, _ = _leaderboard(series, ("naive", "snaive"), scores, 0.8)
    assert [r.model for r in board["integrations"]] == ["snaive", "naive"]
    assert choice.get("integrations") == "snaive"
    # equal scores: the smaller MAE first
    tie = (Score("integrations", "naive", "1–12", 100, 10.3, 11.7, 1.0, 53.1),) + scores[1:]
    assert _leaderboard(series, ("naive", "snaive"), tie, 0.8)[1].get("integrations") == "naive"
    # a constructed series where seasonal-naive is exact: score 0, naive's wandering paths more
    y = 100 + 5 * np.where(np.arange(N) % 2 == 0, 1.0, -1.0)
    bt = run(facts_of(y * 10, y, y * 4), models=("naive", "snaive"))
    assert bt.score("integrations", "snaive").interval_score == 0
    assert bt.score("integrations", "naive").interval_score > 10


def test_k2_of_mixed_choices_is_scored_and_k2_forecasts_use_its_first_row():
    """Integrationen seasonal (seasonal-naive exact) and an ELB stock rising by 2 a month (drift
    exact): the facts choose different models, so K2 gets a row "chosen" scored with exactly those
    (exact too: MAE 0), and :meth:`Backtest.choice_for` gives K2 the models of its first row."""
    season = np.array([12, 11, 10, 9, 9, 9, 10, 10, 11, 12, 12, 13], dtype=float)
    integ = np.tile(season, N // 12)
    elb = 1000 + 2 * np.arange(N)
    bt = run(facts_of(elb, integ, elb), models=("naive", "snaive", "drift"))
    assert bt.choice.as_dict() == {"elb": "drift", "integrations": "snaive", "lzb": "drift"}
    k2 = bt.leaderboard["K2"]
    mixed = next(r for r in k2 if r.model == "chosen")
    assert mixed.chosen and mixed.mae == pytest.approx(0, abs=1e-9) and mixed.coverage == 1
    assert k2[0].model == "chosen"
    assert bt.choice_for("K2") == bt.choice
    assert bt.coverage_for("K2") == 1
    assert bt.coverage_for("integrations") == bt.score("integrations", "snaive").coverage
    # the pure seasonal case: all facts choose seasonal-naive, no mixed row
    y = np.tile(season, N // 12)
    pure = run(facts_of(y * 10, y, y * 4), models=("naive", "snaive"))
    assert all(r.model != "chosen" for r in pure.leaderboard["K2"])
    assert pure.choice_for("K2").as_dict()["elb"] == pure.leaderboard["K2"][0].model


def test_the_choice_is_used_by_forecast_all(db, bt):
    facts = monthly_facts(db, None, "2008-01", "2019-06", ["integrations", "elb", "lzb"])
    choice = ModelChoice.of({"integrations": "snaive", "elb": "naive"})
    chosen = forecast_all(db, "2019-06", ["K2"], n_paths=50, choice=choice, facts=facts)["K2"]
    models = {m.fact: m.model for m in chosen.models}
    assert models == {"integrations": "saisonal-naiv", "elb": "naiv"}
    default = forecast_all(db, "2019-06", ["K2"], n_paths=50, facts=facts)["K2"]
    assert all("ETS" in m.model for m in default.models)
    assert default.points[0] == chosen.points[0]  # t itself is the actual value either way
    assert default.points[-1] != chosen.points[-1]
    with_bt = forecast_all(db, "2019-06", ["K2", "K3"], n_paths=50, choice=bt.choice,
                           facts=facts)
    from amip.engine.forecast import MODELS

    for code in ("K2", "K3"):
        for m in with_bt[code].models:
            picked = bt.choice.get(m.fact)
            assert picked == "ets" and "ETS" in m.model or m.model == MODELS[picked][0]


def test_proposed_target(db, bt):
    for measure in ("K2", "K3", "integrations"):
        p = proposed_target(db, 2021, measure, n_paths=200, choice=bt.choice, facts=bt.facts)
        assert p.year == 2021 and p.lower <= p.value <= p.upper
        assert p.coverage is None  # a choice given by hand: no measured coverage
        q = proposed_target(db, 2021, measure, n_paths=200, backtest=bt)
        assert q.coverage == bt.coverage_for(measure) and q.lower <= q.value <= q.upper
        assert p.lower < p.upper
        if measure == "K2":
            assert 0 < p.value < 60
    with pytest.raises(DataError, match="bereits abgeschlossen"):
        proposed_target(db, 2019, "K2", choice=bt.choice)
    with pytest.raises(NotFound, match="keine Zielwerterwartung"):
        proposed_target(db, 2021, "K9", choice=bt.choice)
