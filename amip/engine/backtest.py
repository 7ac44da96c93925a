"""Forecasts that prove themselves: a rolling-origin backtest, a leaderboard per series, the model
chosen per fact series, and the Zielwerterwartung (docs/forecast.md, "Backtest und Modellwahl").

>>> bt = backtest(store.view())                 # origins: the 24 months up to the latest complete
>>> bt.leaderboard["K2"][0]                     # the best model for K2 (by MAE over horizons 1..12)
>>> forecast_all(view, "2020-11", choice=bt.choice)    # forecasts with the chosen models
>>> bt = backtest(view, extra_facts=forecast_facts())   # the same, one facts query for both:
>>> forecast_all(view, "2020-11", choice=bt.choice, facts=bt.facts)
>>> proposed_target(view, 2021, "K2")           # median and 80 % interval of K2's JFW Dec 2021
>>> bt.choice_for("K2")                         # its models: those of K2's first row

From every origin t the models simulate the fact series (ELB stock, Integrationen, LZB stock) for
t+1..t+12 from the data up to t (:func:`amip.engine.forecast.fact_paths`); K2 and K3 are computed
from the same simulated paths with the engine's own arithmetic
(:func:`amip.engine.forecast.path_measures` → :func:`amip.engine.measures.measure`), exactly as
:func:`amip.engine.forecast.forecast_all` does. Each forecast month is scored against the actual
value, but only where the data reach it (the facts' cutoffs): unknown months are never scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from amip.catalogue import load
from amip import i18n
from amip.engine.calendar import format_month, month_start, parse_month, stichtag
from amip.engine.forecast import (DEFAULT_MODEL, DEFAULT_SEED, HISTORY_MONTHS, SEASONAL_MIN,
                                  FactSeries, ModelChoice, _describe, _summary, data_start,
                                  fact_paths, fit_start, forecast_all, history_start,
                                  monthly_facts, path_measures)
from amip.engine.horizon import horizon
from amip.engine.lru import LRU, view_key
from amip.engine.measures import LOOKBACK, measure
from amip.errors import DataError, NotFound

ORIGINS = 24  # rolling origins: every month of the last two years
HORIZON = 12  # months ahead from each origin
BACKTEST_PATHS = 100  # simulated paths per origin and model (the intervals' quantiles)
LEVEL = 0.8
BACKTEST_MODELS = ("ets", "naive", "snaive", "drift")
BANDS = (("1–3", 1, 3), ("4–6", 4, 6), ("7–12", 7, 12), ("1–12", 1, 12))  # horizon bands
ALL = "1–12"  # the band the leaderboard ranks by
#: the leaderboard row of K2/K3 computed with the models chosen for their facts, when those
#: differ (e.g. seasonal-naive Integrationen over an ETS ELB stock): its interval's coverage is
#: the one the forecasts with the choice (the Zielwerterwartung) have
CHOSEN = "chosen"


@dataclass(frozen=True)
class Series:
    """A series the backtest scores: a fact series, or a measure computed from fact paths."""
    key: str
    label: str
    fact: str | None = None
    code: str | None = None


SERIES = (
    Series("elb", "ELB-Bestand", fact="elb"),
    Series("integrations", "Integrationen (Monat)", fact="integrations"),
    Series("lzb", "LZB-Bestand", fact="lzb"),
    Series("K2", "K2 Integrationsquote", code="K2"),
    Series("K3", "K3 Veränderung LZB-Bestand", code="K3"),
)
FACTS = tuple(s.fact for s in SERIES if s.fact)


@dataclass(frozen=True)
class Score:
    """The errors of one model on one series over the forecasts of one horizon band."""
    series: str
    model: str
    band: str
    n: int  # forecasts scored
    mae: float | None
    mape: float | None  # in %, over the forecasts whose actual value is not 0; None if none
    coverage: float | None  # share of the actual values inside the 80 % interval
    interval_score: float | None = None  # mean interval score of the 80 % interval (_score)


@dataclass(frozen=True)
class Rank:
    """One row of a series' leaderboard (horizons 1..12)."""
    series: str
    model: str
    rank: int
    n: int
    mae: float | None
    mape: float | None
    coverage: float | None
    chosen: bool
    interval_score: float | None = None


@dataclass(frozen=True)
class Backtest:
    jobcenter_id: str
    first_origin: str
    last_origin: str
    n_origins: int
    n_paths: int
    seed: int
    level: float
    rules: str
    scores: tuple[Score, ...]
    leaderboard: dict[str, tuple[Rank, ...]]  # series key -> ranked rows
    choice: ModelChoice  # fact -> the model ranked first
    notes: tuple[str, ...]  # German: where no model beats seasonal-naive, …
    facts: FactSeries | None = field(default=None, repr=False, compare=False)  # the one query

    def score(self, series: str, model: str, band: str = ALL) -> Score:
        return next(s for s in self.scores
                    if (s.series, s.model, s.band) == (series, model, band))

    def choice_for(self, measure: str) -> ModelChoice:
        """The models a forecast of ``measure`` uses: for K2 and K3 those of the row ranked
        first on their own leaderboard (the measure the target is agreed on: its interval then
        has that row's measured coverage), for anything else :attr:`choice`."""
        ranks = self.leaderboard.get(measure)
        if measure in FACTS or not ranks or ranks[0].model == CHOSEN or ranks[0].mae is None:
            return self.choice
        ind = load().indicators[measure]
        return ModelChoice.of({**self.choice.as_dict(),
                               **{n: ranks[0].model for n in (ind.numerator, ind.denominator)}})

    def coverage_for(self, measure: str) -> float | None:
        """The backtest's coverage (horizons 1–12) of the interval :meth:`choice_for` gives
        ``measure``: its first row for K2 and K3, the chosen model's for a fact series."""
        ranks = self.leaderboard.get(measure)
        if not ranks:
            return None
        if measure in FACTS:
            return next((r.coverage for r in ranks if r.chosen), None)
        return ranks[0].coverage


# -- the backtest on given fact series ---------------------------------------------------------

def run_backtest(fs: FactSeries, origins: list[int], known: dict[str, int],
                 first_data: int | None = None, models: tuple[str, ...] = BACKTEST_MODELS,
                 n_paths: int = BACKTEST_PATHS, seed: int = DEFAULT_SEED, level: float = LEVEL,
                 history_months: int = HISTORY_MONTHS,
                 progress: Callable[[int, int], None] | None = None) -> Backtest:
    """Backtest ``models`` from every origin on the facts ``fs`` (one query, all origins).

    ``known[fact]`` is the last month whose actual value the data reach: a model at origin t
    sees the months up to min(t, known), and only months up to ``known`` are scored.
    ``first_data`` is the first month of the extract (no fit reaches before it)."""
    cat = load()
    q = ((1 - level) / 2, 1 - (1 - level) / 2)
    facts = [n for n in FACTS if (n, "all") in fs.values]
    series = [s for s in SERIES if (s.fact in facts) or
              (s.code and {cat.indicators[s.code].numerator,
                           cat.indicators[s.code].denominator} <= set(facts))]
    cases: dict[tuple[str, str], list[tuple[int, float, float | None, float | None, float | None]]]
    cases = {(s.key, m): [] for s in series for m in models}
    base = fs.m_lo

    def actual(fact: str, m: int):
        return fs.get(fact, m)

    futures: dict[tuple[int, str], dict[str, list]] = {}  # (origin, model) -> fact -> paths

    def score_measure(s: Series, t: int, model: str, future: dict[str, list]) -> None:
        """The forecasts of measure series ``s`` from origin t on the given fact paths."""
        ind = cat.indicators[s.code]
        own = [ind.numerator] if ind.numerator == ind.denominator else \
            [ind.numerator, ind.denominator]
        months = [m for m in range(t + 1, t + HORIZON + 1) if m <= min(known[n] for n in own)]
        if not months:
            return
        cut = {n: min(t, known[n]) for n in own}
        values = {n: [actual(n, m) for m in range(base, cut[n] + 1)] for n in own}
        vals, _ = path_measures(ind, values, {n: future[n] for n in own}, base, months, n_paths)
        for j, m in enumerate(months):
            obs = measure(ind, actual, m).value
            if obs is not None:
                cases.setdefault((s.key, model), []).append((m - t, obs, *_summary(vals[j], q)))

    for i, t in enumerate(origins):
        first = fit_start(t, first_data, history_months)
        cut = {n: min(t, known[n]) for n in facts}
        end = t + HORIZON
        for model in models:
            _, paths = fact_paths(fs, facts, first, cut, end, n_paths, seed,
                                  choice=ModelChoice.of({n: model for n in facts}))
            future = {n: paths[n].T.tolist() for n in facts}
            futures[(t, model)] = future  # a fact's paths do not depend on the other facts
            for s in series:
                if s.fact:
                    months = [m for m in range(t + 1, end + 1) if m <= known[s.fact]]
                    sims = paths[s.fact]
                    for m in months:
                        obs = float(actual(s.fact, m))
                        cases[(s.key, model)].append(
                            (m - t, obs, *_summary(sims[m - cut[s.fact] - 1], q)))
                    continue
                score_measure(s, t, model, future)
        if progress:
            progress(i + 1, len(origins))

    scores = tuple(_score(key, model, band, lo, hi, cases[(key, model)], level)
                   for key, model in cases for band, lo, hi in BANDS)
    _, picked, _ = _leaderboard(series, models, scores, level)
    # K2/K3 whose facts chose different models: scored once more with exactly those models
    # (each fact's paths as simulated above: seeded per fact), so that the interval of the
    # forecasts with the choice has a measured coverage too
    for s in series:
        if s.code is None:
            continue
        ind = cat.indicators[s.code]
        own = dict.fromkeys([ind.numerator, ind.denominator])
        picks = {n: picked.get(n) for n in own}
        if len(set(picks.values())) < 2:
            continue
        for t in origins:
            score_measure(s, t, CHOSEN, {n: futures[(t, picks[n])][n] for n in own})
        scores += tuple(_score(s.key, CHOSEN, band, lo, hi, cases.get((s.key, CHOSEN), []),
                               level) for band, lo, hi in BANDS)
    board, choice, notes = _leaderboard(series, models, scores, level)
    return Backtest(fs.jobcenter_id, format_month(origins[0]), format_month(origins[-1]),
                    len(origins), n_paths, seed, level, fs.rules, scores, board, choice, notes,
                    fs)


def _score(series: str, model: str, band: str, lo: int, hi: int, rows,
           level: float = LEVEL) -> Score:
    """MAE, MAPE (actual ≠ 0 only), interval coverage and interval score of the forecasts with
    horizon lo..hi that have a forecast value.

    Interval score of the central ``level`` interval [l, u] with α = 1 − level (Gneiting and
    Raftery 2007, the M4 competition's MSIS without its scaling): (u − l) + 2/α·(l − y) if the
    actual y lies below, + 2/α·(y − u) if above — the width, plus a penalty for each miss.
    A proper score: it is smallest, in expectation, for the true quantiles, so neither a too
    narrow nor a too wide interval can win by it."""
    rows = [r for r in rows if lo <= r[0] <= hi and r[2] is not None]
    if not rows:
        return Score(series, model, band, 0, None, None, None)
    obs = np.array([r[1] for r in rows])
    point = np.array([r[2] for r in rows])
    err = np.abs(point - obs)
    nz = obs != 0
    mape = float(np.mean(err[nz] / np.abs(obs[nz])) * 100) if nz.any() else None
    inside = np.mean([r[3] <= r[1] <= r[4] for r in rows])
    lower = np.array([r[3] for r in rows])
    upper = np.array([r[4] for r in rows])
    alpha = 1 - level
    score = (upper - lower) + 2 / alpha * (np.clip(lower - obs, 0, None)
                                           + np.clip(obs - upper, 0, None))
    return Score(series, model, band, len(rows), float(err.mean()), mape, float(inside),
                 float(score.mean()))


SIMPLER = ("naive", "snaive", "drift", "ets")  # the last tie-break: the simpler model first


def _rank_key(s: Score, level: float):
    """By the interval score (point and interval together: a proper score, :func:`_score`);
    ties by MAE, then the simpler model; unscored last. (Until December 2026 by MAE alone: that
    chose a random walk for the Integrationen whose intervals held 100 % of the actual values
    instead of 80 %, and K2's Zielwerterwartung 2021 became [8,8; 30,1] %, docs/forecast.md.)"""
    return (s.interval_score is None,
            s.interval_score if s.interval_score is not None else 0.0,
            s.mae if s.mae is not None else 0.0,
            SIMPLER.index(s.model) if s.model in SIMPLER else len(SIMPLER))


def _leaderboard(series: list[Series], models: tuple[str, ...], scores: tuple[Score, ...],
                 level: float):
    by = {(s.series, s.model): s for s in scores if s.band == ALL}
    board, chosen, notes = {}, {}, []
    for s in series:
        ranked = sorted((by[(s.key, m)] for m in (*models, CHOSEN) if (s.key, m) in by),
                        key=lambda x: _rank_key(x, level))
        if s.fact and ranked[0].mae is not None:
            chosen[s.fact] = ranked[0].model
        board[s.key] = ranked
    for s in series:
        if s.code:  # the measure uses the models chosen for its facts
            ind = load().indicators[s.code]
            picks = {chosen.get(ind.numerator, DEFAULT_MODEL), chosen.get(ind.denominator,
                                                                           DEFAULT_MODEL)}
            mark = picks.pop() if len(picks) == 1 else CHOSEN
        else:
            mark = chosen.get(s.fact)
        board[s.key] = tuple(Rank(s.key, r.model, i + 1, r.n, r.mae, r.mape, r.coverage,
                                  r.model == mark, r.interval_score)
                             for i, r in enumerate(board[s.key]))
        best = board[s.key][0]
        if best.mae is None:
            notes.append(f"{s.label}: nicht bewertbar (keine Monate mit bekannten Istwerten)")
            continue
        naive = next((r for r in board[s.key] if r.model == "snaive"), None)
        if naive is not None and naive.interval_score is not None and \
                not any(r.interval_score is not None and r.interval_score < naive.interval_score
                        for r in board[s.key]):
            notes.append(f"{s.label}: kein Modell schlägt die saisonal-naive Prognose")
    return board, ModelChoice.of(chosen), tuple(notes)


# -- the backtest of a store -------------------------------------------------------------------

def backtest(db, month: int | str | None = None, jobcenter_id: str | None = None,
             origins: int = ORIGINS, n_paths: int = BACKTEST_PATHS, seed: int = DEFAULT_SEED,
             level: float = LEVEL, models: tuple[str, ...] = BACKTEST_MODELS,
             progress: Callable[[int, int], None] | None = None,
             extra_facts: tuple[str, ...] = ()) -> Backtest:
    """The backtest of a store view from the ``origins`` months up to ``month`` (the last origin,
    default: the latest complete month), on the facts of one :func:`monthly_facts` query under
    the rule version of the last origin.

    ``extra_facts`` are counted in the same query (``Backtest.facts``), for forecasts from the
    last origin that follow: ``forecast_all(db, month, choice=bt.choice, facts=bt.facts)`` with
    ``extra_facts=forecast_facts()`` needs no query of its own (the facts share the ELB stock,
    the LZB and the Integrationen computed once)."""
    reach = horizon(db)
    span = reach.figure_range()
    last = reach.latest_complete() if month is None else _month(month)
    if span is None or last is None:
        raise DataError("Für den Backtest fehlen Daten: " + reach.covered_text())
    cat = load()
    rules = cat.rules_for(stichtag(last))
    known = {n: reach.fact_cutoff(n, span[1], rules) for n in FACTS}
    start = data_start(db)
    # an origin needs two years of history (seasonal models) and one known month after it
    months = [t for t in range(last - origins + 1, last + 1)
              if (start is None or t - start + 1 >= SEASONAL_MIN) and t < max(known.values())]
    if not months:
        raise DataError(f"Kein Prognoseursprung bis {i18n.month(month_start(last))} hat zwei "
                        "Jahre Vorgeschichte und einen bekannten Folgemonat: "
                        + reach.covered_text())
    fs = monthly_facts(db, jobcenter_id, fit_start(months[0], start), max(known.values()),
                       list(dict.fromkeys(FACTS + tuple(extra_facts))), rules=rules)
    return run_backtest(fs, months, known, start, models, n_paths, seed, level,
                        progress=progress)


_CACHE = LRU(16)


def cached_backtest(db, month: int | str | None = None, jobcenter_id: str | None = None,
                    **kwargs) -> Backtest:
    """:func:`backtest` once per data state, as-of date and arguments (the last 16 kept), so the
    dashboard and the reports can ask for the choice cheaply."""
    progress = kwargs.pop("progress", None)  # not part of the key
    parts = (month, jobcenter_id, tuple(sorted(kwargs.items())))
    key = view_key(db, *parts) or (id(db), None, *parts)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    result = backtest(db, month, jobcenter_id, progress=progress, **kwargs)
    _CACHE.put(key, result)
    return result


def model_choice(db, month: int | str | None = None,
                 jobcenter_id: str | None = None) -> ModelChoice:
    """The model chosen per fact series by the (cached) backtest: pass it to
    ``forecast_all(..., choice=...)``."""
    return cached_backtest(db, month, jobcenter_id).choice


# -- Zielwerterwartung -------------------------------------------------------------------------

@dataclass(frozen=True)
class TargetProposal:
    """The Zielwerterwartung: median and interval of a measure's year-end value from the paths
    of the chosen models, for the planning round of ``year``."""
    measure: str
    year: int
    month: str  # the last month with data the forecast starts from
    value: float | None
    lower: float | None
    upper: float | None
    level: float
    unit: str  # percent | persons
    basis: str  # German: what the value is
    model: str  # German: the models used
    coverage: float | None = None  # the backtest's coverage of this interval construction


PROPOSAL_MEASURES = {  # measure -> (unit, German basis)
    "K2": ("percent", "Jahresfortschrittswert K2 Dezember {year}"),
    "K3": ("percent", "Veränderung des LZB-Bestands Dezember {year} gegenüber Dezember {prev} "
                      "in %"),
    "integrations": ("persons", "Integrationen Januar bis Dezember {year}"),
}


def proposal_month(db, year: int, reach=None) -> int:
    """The month a Zielwerterwartung for ``year`` starts from (the latest complete month);
    :class:`DataError` if the year is over or lies more than two years ahead."""
    reach = reach or horizon(db)
    t = reach.latest_complete()
    if t is None:
        raise DataError("Für die Zielwerterwartung fehlen Daten: " + reach.covered_text())
    stand = i18n.month(month_start(t))
    if year * 12 + 11 <= t:
        raise DataError(f"Das Jahr {year} ist bereits abgeschlossen (Daten bis {stand}): die "
                        "Zielwerterwartung gilt einem kommenden Jahr")
    if year > t // 12 + 2:
        raise DataError(f"Das Jahr {year} liegt zu weit nach den Daten (bis {stand}): "
                        f"höchstens {t // 12 + 2}")
    return t


def proposed_target(db, year: int, measure: str, level: float = LEVEL, n_paths: int = 1000,
                    seed: int = DEFAULT_SEED, jobcenter_id: str | None = None,
                    choice: ModelChoice | None = None,
                    facts: FactSeries | None = None,
                    backtest: Backtest | None = None) -> TargetProposal:
    """The Zielwerterwartung for ``year``: K2 (JFW December), K3 (change Dec y vs Dec y−1 in %)
    or ``integrations`` (count Jan..Dec), forecast from the latest complete month with the models
    of ``choice``, or else of ``backtest`` (default: the store's cached backtest) for this
    measure (:meth:`Backtest.choice_for`; then with the backtest's coverage of that interval).
    ``facts`` (e.g. ``Backtest.facts``) saves the facts query when it covers the months and rule
    version."""
    if measure not in PROPOSAL_MEASURES:
        raise NotFound(f"Für „{measure}“ gibt es keine Zielwerterwartung; möglich sind: "
                       + ", ".join(PROPOSAL_MEASURES))
    reach = horizon(db)
    t = proposal_month(db, year, reach)
    end = year * 12 + 11
    coverage = None
    if choice is None:
        bt = backtest or cached_backtest(db, jobcenter_id=jobcenter_id)
        choice, facts = bt.choice_for(measure), facts or bt.facts
        coverage = bt.coverage_for(measure)
    rules = load().rules_for(stichtag(t))
    first = history_start(db, t)
    if facts is not None and (facts.rules != rules.key or facts.m_lo > first - LOOKBACK
                              or facts.last_month < t):
        facts = None  # it does not cover this forecast: query
    unit, basis = PROPOSAL_MEASURES[measure]
    basis = basis.format(year=year, prev=year - 1)
    if measure in ("K2", "K3"):
        f = forecast_all(db, t, [measure], end, level, n_paths, seed, jobcenter_id,
                         facts=facts, choice=choice)[measure]
        p = f.point(format_month(end))
        v = (p.jfw, p.jfw_lower, p.jfw_upper) if measure == "K2" else (p.value, p.lower, p.upper)
        return TargetProposal(measure, year, f.month, *v, level, unit, basis, f.model, coverage)
    # integrations: the count of year y, actual up to the cutoff, simulated after it
    fs = facts or monthly_facts(db, jobcenter_id, first, t, ["integrations"], rules=rules)
    cutoff = {"integrations": reach.fact_cutoff("integrations", t, rules)}
    models, paths = fact_paths(fs, ["integrations"], first, cutoff, end, n_paths, seed,
                               choice=choice)
    c = cutoff["integrations"]
    known = sum(float(fs.get("integrations", m)) for m in range(year * 12, min(c, end) + 1))
    sims = paths["integrations"][max(year * 12 - c - 1, 0):]
    totals = known + sims.sum(axis=0)
    v = _summary(totals, ((1 - level) / 2, 1 - (1 - level) / 2))
    return TargetProposal(measure, year, format_month(t), *v, level, unit, basis,
                          _describe([models["integrations"]], first, t), coverage)


def _month(m: int | str) -> int:
    return m if isinstance(m, int) else parse_month(m)
