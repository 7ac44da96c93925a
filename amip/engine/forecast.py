"""Forecasts of the § 48a measures with honest uncertainty (docs/forecast.md).

>>> f = forecast(store.view(), "K2", "2019-06")          # Berichtsmonat t = June 2019
>>> f.points[-1]                                          # December 2019
ForecastPoint(month='2019-12', value=…, lower=…, upper=…, jfw=…, jfw_lower=…, jfw_upper=…)

Method: each monthly fact series a measure needs (K2: the monthly Integrationen and the ELB stock)
gets its own ETS model (statsmodels ``ETSModel``: additive errors, additive damped trend, additive
seasonality from 24 months on); each model simulates ``n_paths`` future paths (seeded), clipped at
0; path *i* of every series together make one joint future. Every path goes through the engine's
own measure arithmetic (:func:`amip.engine.measures.measure`) with a getter that reads the actual
counts up to t and the simulated ones after t, so the forecast of the value and of the
Jahresfortschrittswert uses exactly the forms of item 5, 9, 13, 23 and 25. Median and the central
``level`` interval of the path results are reported per month. No counting happens here: the
facts come from :class:`amip.engine.facts.Facts` and :func:`amip.engine.aggregate.count_facts`.

``choice=`` (a :class:`ModelChoice` from the backtest, :mod:`amip.engine.backtest`) replaces ETS
per fact series by the model that forecast it best: naive, seasonal-naive or drift (:data:`MODELS`).
"""

from __future__ import annotations

import datetime as dt
import warnings
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from threadpoolctl import threadpool_limits

from amip.catalogue import Indicator, RuleVersion, load
from amip.engine.aggregate import count_facts
from amip.engine.calendar import format_month, month_index, parse_month, stichtag
from amip.engine.facts import FACT_LABELS, MONEY_FACTS, Facts
from amip.engine.indicators import UnknownUnit, unit_scope
from amip.engine.horizon import horizon
from amip.engine.measures import (JFW_FORMS, LOOKBACK, SEXES, facts_needed, measure,
                                  measure_paths, roll_up)

DEFAULT_SEED = 48  # § 48a
HISTORY_MONTHS = 120  # ten years of monthly data at most
SEASONAL_MIN = 24  # months needed for a seasonal model (two full cycles)
TREND_MIN = 10  # months needed for a (damped) trend
INITIALIZATION = "heuristic"  # initial states from the first two years; "estimated": by ML


# -- the monthly fact series -------------------------------------------------------------------

@dataclass(frozen=True)
class FactSeries:
    """Monthly counts (euro sums for ``llu``/``luh``) of facts for one Jobcenter (or unit):
    ``values[(fact, sex)]`` holds months ``m_lo..last_month``; ``first_month`` is the first month
    asked for, the LOOKBACK months before it are there for the measures' windows."""
    jobcenter_id: str
    unit_id: str | None
    first_month: int
    last_month: int
    m_lo: int
    rules: str
    values: dict[tuple[str, str], list]

    def get(self, fact: str, m: int, sex: str = "all") -> int | Decimal:
        """The count of ``fact`` in month m (0 outside the computed months, as in compute())."""
        if m < self.m_lo or m > self.last_month:
            return 0
        return self.values[(fact, sex)][m - self.m_lo]

    def series(self, fact: str, sex: str = "all", first: int | None = None,
               last: int | None = None) -> list:
        """The monthly values of ``fact`` from ``first`` (default first_month) to ``last``."""
        first = self.first_month if first is None else first
        last = self.last_month if last is None else last
        return [self.get(fact, m, sex) for m in range(first, last + 1)]


def monthly_facts(db, jobcenter_id: str | None, first_month: int | str, last_month: int | str,
                  names: list[str], unit_id: str | None = None,
                  rules: RuleVersion | None = None) -> FactSeries:
    """The monthly series of the facts ``names`` for months first_month..last_month (plus the
    LOOKBACK months before, which the forms need), under one rule version (default: the one of
    ``last_month``, so the whole series is counted the same way)."""
    first, last = _month(first_month), _month(last_month)
    cat = load()
    rules = rules or cat.rules_for(stichtag(last))
    scope = None
    if unit_id is not None:
        unit_jc, scope = unit_scope(db, unit_id)
        if jobcenter_id not in (None, unit_jc):
            raise UnknownUnit(f"Einheit {unit_id!r} gehört zum Jobcenter {unit_jc}, nicht zu {jobcenter_id}.")
        jobcenter_id = unit_jc
    jobcenter_id = jobcenter_id or _only_jobcenter(db)
    m_lo = first - LOOKBACK
    with Facts(db, rules, cat.parameters, m_lo, last, jobcenter_id) as facts:
        counts = count_facts(facts, list(names), by_team=unit_id is not None)
    totals = roll_up(counts, scope)
    values = {(name, sex): [totals.get((name, jobcenter_id, sex, m), 0) for m in range(m_lo, last + 1)]
              for name in names for sex in SEXES}
    return FactSeries(jobcenter_id, unit_id, first, last, m_lo, rules.key, values)


def forecast_facts(codes: list[str] | None = None) -> tuple[str, ...]:
    """The facts :func:`forecast_all` counts for ``codes`` (default: all measures)."""
    cat = load()
    return tuple(facts_needed([cat.indicators[c] for c in (codes or cat.indicators)]))


def _only_jobcenter(db) -> str:
    jcs = db.table("jobcenters").jobcenter_id.to_pyarrow().to_pylist()
    if len(jcs) != 1:
        raise UnknownUnit(f"Der Datenbestand enthält {len(jcs)} Jobcenter: eines angeben (jobcenter_id).")
    return jcs[0]


def data_start(db) -> int | None:
    """The first month the extract covers: the first month of ``benefit_months`` (spells reach
    further back only as history for LZB); None if there are none. The month is part of the
    key, so the stored rows give the answer without applying corrections."""
    first = db.recorded("benefit_months").month.min().to_pyarrow().as_py()
    if first is None:
        return None
    if isinstance(first, (dt.date, dt.datetime)):
        return month_index(first)
    return parse_month(str(first)[:7])


def history_start(db, t: int, history_months: int = HISTORY_MONTHS) -> int:
    """The first month a forecast from t fits on (:func:`fit_start` of the store's data)."""
    return fit_start(t, data_start(db), history_months)


def fit_start(t: int, start: int | None, history_months: int = HISTORY_MONTHS) -> int:
    """``history_months`` back from t, not before the data's first month ``start``, but at
    least 12 months back (the measures need 13; before the data they count 0)."""
    first = t - history_months + 1
    if start is not None:
        first = max(first, start)
    return min(first, t - 12)


def _month(m: int | str) -> int:
    return m if isinstance(m, int) else parse_month(m)


# -- models ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SeriesModel:
    """The model fitted to one fact series and its simulated future."""
    fact: str
    model: str  # e.g. "ETS(A,Ad,A)"
    first_month: str  # the months the model was fitted on
    last_month: str
    sigma: float | None  # residual standard deviation (None without a fitted model)


CANDIDATES = {  # model name -> ETSModel arguments (error="add" always)
    "ETS(A,Ad,A)": dict(trend="add", damped_trend=True, seasonal="add", seasonal_periods=12),
    "ETS(A,N,A)": dict(seasonal="add", seasonal_periods=12),
    "ETS(A,Ad,N)": dict(trend="add", damped_trend=True),
    "ETS(A,N,N)": {},
}


def candidates(n: int) -> list[str]:
    """The models a series of n months supports: seasonal ones from 24 months (two cycles), a
    damped trend from 10, the plain level from 3."""
    if n >= SEASONAL_MIN:
        return ["ETS(A,Ad,A)", "ETS(A,N,A)"]
    if n >= TREND_MIN:
        return ["ETS(A,Ad,N)", "ETS(A,N,N)"]
    return ["ETS(A,N,N)"] if n >= 3 else []


def fit_and_simulate(y: np.ndarray, horizon: int, n_paths: int,
                     rng: np.random.Generator) -> tuple[str, np.ndarray, float | None]:
    """Fit the candidate models of the series and simulate ``horizon`` × ``n_paths`` values,
    clipped at 0. The paths are shared out among the candidates by their Akaike weights (from
    AICc), so the uncertainty about the trend (damped trend or none) is part of the interval.
    A constant series stays constant; a series too short for any model gets a naive forecast
    with Poisson spread growing like a random walk. Returns (description, paths, sigma)."""
    y = np.asarray(y, dtype=float)
    if horizon <= 0:
        return "keine Prognose nötig", np.empty((0, n_paths)), None
    if len(y) == 0:
        return "keine Daten", np.zeros((horizon, n_paths)), None
    if np.all(y == y[0]):
        return "konstant", np.full((horizon, n_paths), y[-1]), 0.0
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    fits = []
    for name in candidates(len(y)):
        init = INITIALIZATION if len(y) >= TREND_MIN else "estimated"  # heuristic needs 10
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = ETSModel(y, error="add", initialization_method=init,
                               **CANDIDATES[name]).fit(disp=False)
        except (ValueError, np.linalg.LinAlgError):
            continue
        ic = res.aicc if np.isfinite(res.aicc) else res.aic
        if np.isfinite(ic):
            fits.append((name, res, ic))
    if fits:
        ics = np.array([ic for _, _, ic in fits])
        weights = np.exp(-0.5 * (ics - ics.min()))
        weights /= weights.sum()
        counts = np.floor(weights * n_paths).astype(int)
        counts[np.argmax(weights)] += n_paths - counts.sum()
        parts, used = [], []
        for (name, res, _), w, k in zip(fits, weights, counts):
            if k == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sims = res.simulate(horizon, anchor="end", repetitions=int(k), rng=rng)
            parts.append(np.asarray(sims, dtype=float).reshape(horizon, int(k)))
            used.append((name, w, float(np.sqrt(res.mse))))
        sims = np.concatenate(parts, axis=1)[:, rng.permutation(n_paths)]
        if np.all(np.isfinite(sims)):
            desc = used[0][0] if len(used) == 1 else " + ".join(
                f"{name} {max(round(w * 100), 1) if w < 0.995 else 99} %" for name, w, _ in used)
            sigma = float(sum(w * s for _, w, s in used) / sum(w for _, w, _ in used))
            return desc, np.clip(sims, 0, None), sigma
    # too short for a model: the last value, spread like a Poisson count, growing as a random walk
    step = np.sqrt(max(y[-1], 1.0))
    walk = np.cumsum(rng.normal(0.0, step, (horizon, n_paths)), axis=0)
    return "naiv (Poisson-Streuung)", np.clip(y[-1] + walk, 0, None), step


def single_threaded_blas():
    """BLAS with one thread while fitting: the models are tiny, and on a busy machine the
    library's worker threads made one ETS fit 10–20× slower (1.5 s instead of 0.1 s)."""
    return threadpool_limits(limits=1, user_api="blas")


# -- the simple benchmark models and the choice among them --------------------------------------

def _bootstrap_walk(y: np.ndarray, lag: int, horizon: int, n_paths: int,
                    rng: np.random.Generator, centre: bool) -> np.ndarray:
    """Paths x(t+h) = x(t+h−lag) + e: the steps e drawn with replacement from the training part's
    own ``lag``-step residuals y(m) − y(m−lag) (centred at 0 when ``centre``: then the median path
    is the point forecast), x ≤ t the actual values; clipped at 0."""
    resid = y[lag:] - y[:-lag]
    if centre:
        resid = resid - resid.mean()
    steps = rng.choice(resid, size=(horizon, n_paths), replace=True)
    x = np.empty((lag + horizon, n_paths))
    x[:lag] = y[-lag:, None]
    for h in range(horizon):
        x[lag + h] = x[h] + steps[h]
    return np.clip(x[lag:], 0, None)


def simulate_naive(y, horizon, n_paths, rng):
    """Naive: the last value; spread from the one-step residuals (a bootstrapped random walk)."""
    y = np.asarray(y, dtype=float)
    if len(y) < 2:
        return fit_and_simulate(y, horizon, n_paths, rng)
    sims = _bootstrap_walk(y, 1, horizon, n_paths, rng, centre=True)
    return "naiv", sims, float(np.std(y[1:] - y[:-1]))


def simulate_drift(y, horizon, n_paths, rng):
    """Drift: the last value plus the mean monthly change (uncentred one-step residuals)."""
    y = np.asarray(y, dtype=float)
    if len(y) < 2:
        return fit_and_simulate(y, horizon, n_paths, rng)
    sims = _bootstrap_walk(y, 1, horizon, n_paths, rng, centre=False)
    return "Drift", sims, float(np.std(y[1:] - y[:-1]))


def simulate_seasonal_naive(y, horizon, n_paths, rng):
    """Seasonal-naive: the value 12 months earlier; spread from the 12-month residuals. Needs 13
    months (else: naive)."""
    y = np.asarray(y, dtype=float)
    if len(y) < 13:
        return simulate_naive(y, horizon, n_paths, rng)
    sims = _bootstrap_walk(y, 12, horizon, n_paths, rng, centre=True)
    return "saisonal-naiv", sims, float(np.std(y[12:] - y[:-12]))


#: model name -> (German label, simulator(y, horizon, n_paths, rng) -> (description, paths, sigma))
MODELS = {
    "ets": ("ETS (Standard)", fit_and_simulate),
    "naive": ("naiv", simulate_naive),
    "snaive": ("saisonal-naiv", simulate_seasonal_naive),
    "drift": ("Drift", simulate_drift),
}
DEFAULT_MODEL = "ets"


@dataclass(frozen=True)
class ModelChoice:
    """Which model forecasts which fact series (fact -> a key of :data:`MODELS`); facts not named
    use :data:`DEFAULT_MODEL`. Computed by :func:`amip.engine.backtest.model_choice`."""
    models: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, mapping: dict[str, str]) -> "ModelChoice":
        unknown = sorted(set(mapping.values()) - set(MODELS))
        if unknown:
            raise ValueError(f"unknown models {unknown}; known: {sorted(MODELS)}")
        return cls(tuple(sorted(mapping.items())))

    def get(self, fact: str) -> str:
        return dict(self.models).get(fact, DEFAULT_MODEL)

    def as_dict(self) -> dict[str, str]:
        return dict(self.models)


def simulate(model: str, y, horizon: int, n_paths: int,
             rng: np.random.Generator) -> tuple[str, np.ndarray, float | None]:
    """Simulate ``horizon`` × ``n_paths`` future values of the series with the model ``model``."""
    y = np.asarray(y, dtype=float)
    if model != DEFAULT_MODEL and (horizon <= 0 or len(y) == 0 or np.all(y == y[0])):
        return fit_and_simulate(y, horizon, n_paths, rng)  # the shared trivial cases
    return MODELS[model][1](y, horizon, n_paths, rng)


def fact_paths(fs: "FactSeries", names: list[str], first: int, cutoff: dict[str, int], end: int,
               n_paths: int, seed: int, sex: str = "all", choice: ModelChoice | None = None
               ) -> tuple[dict[str, "SeriesModel"], dict[str, np.ndarray]]:
    """One model and ``n_paths`` simulated futures per fact series: months cutoff+1..end, fitted
    on months first..cutoff (the facts' data horizon)."""
    choice = choice or ModelChoice()
    models: dict[str, SeriesModel] = {}
    paths: dict[str, np.ndarray] = {}
    import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401  (loads scipy's BLAS first)

    with single_threaded_blas():
        for name in names:
            y = np.array([float(v) for v in fs.series(name, sex, first, cutoff[name])])
            rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
            kind, sims, sigma = simulate(choice.get(name), y, end - cutoff[name], n_paths, rng)
            models[name] = SeriesModel(name, kind, format_month(first),
                                       format_month(cutoff[name]), sigma)
            paths[name] = sims
    return models, paths


def path_measures(ind: Indicator, known: dict[str, list], future: dict[str, list],
                  base: int, months, n_paths: int, jfw: bool = False
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    """The measure (and its Jahresfortschrittswert) of every path in ``months``, through the
    engine's own :func:`measure`: ``known[fact]`` the actual values from month ``base`` on,
    ``future[fact][p]`` path p's simulated values after them. NaN where a path has no value."""
    values = np.full((len(months), n_paths), np.nan)
    jfws = np.full((len(months), n_paths), np.nan) if jfw else None
    money = any(isinstance(x, Decimal) for n in known
                for x in known[n][-1:] + (future[n][0][:1] if future[n] else []))
    if not money:
        # counts: all paths at once (:func:`measure_paths`), the same arithmetic per path
        rows = {n: np.array(future[n], dtype=float).T.reshape(-1, n_paths) for n in known}

        def get_all(fact: str, m: int):
            i = m - base
            k = known[fact]
            return k[i] if 0 <= i < len(k) else rows[fact][i - len(k)] if i >= 0 else 0

        for i, m in enumerate(months):
            values[i] = measure_paths(ind, get_all, m, n_paths)
            if jfw:
                jfws[i] = measure_paths(ind, get_all, m, n_paths, jfw=True)
        return values, jfws
    for p in range(n_paths):
        full = {n: known[n] + future[n][p] for n in known}

        def get(fact: str, m: int, full=full):
            return full[fact][m - base] if m >= base else 0

        for i, m in enumerate(months):
            v = measure(ind, get, m).value
            values[i, p] = np.nan if v is None else v
            if jfw:
                v = measure(ind, get, m, jfw=True).value
                jfws[i, p] = np.nan if v is None else v
    return values, jfws


# -- forecasts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ForecastPoint:
    """Median and interval of the value and (for the quota forms) the Jahresfortschrittswert in
    one month. In the Berichtsmonat t itself all three equal the engine's actual value."""
    month: str
    value: float | None
    lower: float | None
    upper: float | None
    jfw: float | None = None
    jfw_lower: float | None = None
    jfw_upper: float | None = None


@dataclass(frozen=True)
class HistoryPoint:
    """The actual value (and Jahresfortschrittswert) of a month up to t, from the same counts."""
    month: str
    value: float | None
    jfw: float | None = None


@dataclass(frozen=True)
class Forecast:
    code: str
    jobcenter_id: str
    unit_id: str | None
    sex: str
    month: str  # the Berichtsmonat t: the last month with data
    level: float
    n_paths: int
    seed: int
    rules: str
    model: str  # e.g. "ETS(A,Ad,A), 10 Jahre Monatsdaten (07/2009–06/2019)"
    models: tuple[SeriesModel, ...]
    points: tuple[ForecastPoint, ...]  # t, t+1, …, horizon_to
    history: tuple[HistoryPoint, ...]  # actual values from the first month with a full window to t
    series: dict[str, tuple] = field(default_factory=dict)  # fact -> actual monthly values used
    notes: tuple[str, ...] = ()

    def point(self, month: str) -> ForecastPoint:
        return next(p for p in self.points if p.month == month)


def forecast(db, code: str, month: int | str, horizon_to: int | str | None = None,
             level: float = 0.8, n_paths: int = 1000, seed: int = DEFAULT_SEED,
             jobcenter_id: str | None = None, unit_id: str | None = None, sex: str = "all",
             history_months: int = HISTORY_MONTHS, facts: FactSeries | None = None,
             choice: ModelChoice | None = None) -> Forecast:
    """Forecast one measure from Berichtsmonat ``month`` (t, the last month with data) to
    ``horizon_to`` (default: December of t's year; from a December t, December of the next)."""
    return forecast_all(db, month, [code], horizon_to, level, n_paths, seed, jobcenter_id,
                        unit_id, sex, history_months, facts, choice=choice)[code]


def forecast_all(db, month: int | str, codes: list[str] | None = None,
                 horizon_to: int | str | None = None, level: float = 0.8, n_paths: int = 1000,
                 seed: int = DEFAULT_SEED, jobcenter_id: str | None = None,
                 unit_id: str | None = None, sex: str = "all",
                 history_months: int = HISTORY_MONTHS,
                 facts: FactSeries | None = None,
                 choice: ModelChoice | None = None) -> dict[str, Forecast]:
    """Forecasts of several measures (default: all 15) from one facts query and one model per
    fact series: codes that share a fact (K2 and K2E1 share the ELB stock) share its paths.

    ``facts`` (from :func:`monthly_facts`, e.g. for backtests from several Berichtsmonate) saves
    the query; it must cover the months needed and is read only up to t. ``choice`` (from the
    backtest, :func:`amip.engine.backtest.model_choice`) names the model per fact series;
    default: ETS for every series."""
    if not 0 < level < 1:
        raise ValueError("Das Niveau des Prognoseintervalls muss zwischen 0 und 1 liegen.")
    t = _month(month)
    end = _month(horizon_to) if horizon_to is not None else t - t % 12 + (11 if t % 12 != 11 else 23)
    if end < t:
        raise ValueError("Das Ende des Prognosezeitraums liegt vor dem Berichtsmonat.")
    cat = load()
    indicators = [cat.indicators[c] for c in (codes or cat.indicators)]
    rules = cat.rules_for(stichtag(t))
    first = history_start(db, t, history_months)
    names = list(forecast_facts([i.code for i in indicators]))
    if facts is None:
        fs = monthly_facts(db, jobcenter_id, first, t, names, unit_id, rules)
    else:
        fs = facts
        missing = [n for n in names if (n, sex) not in fs.values]
        if missing or fs.m_lo > first - LOOKBACK or fs.last_month < t or fs.rules != rules.key:
            raise ValueError(f"the given facts do not cover {format_month(first - LOOKBACK)}.."
                             f"{format_month(t)} under {rules.key} for {', '.join(names)}")

    # the last month each fact is known (data horizon): K2E3's continuation needs months after
    # its month, benefits of a month not yet recorded are unknown, not 0
    reach = horizon(db)
    cutoff = {n: reach.fact_cutoff(n, t, rules) for n in names}

    # one model and one set of paths per fact series
    models, paths = fact_paths(fs, names, first, cutoff, end, n_paths, seed, sex, choice)

    q_lo, q_hi = (1 - level) / 2, 1 - (1 - level) / 2
    out: dict[str, Forecast] = {}
    for ind in indicators:
        own = facts_needed([ind])
        out[ind.code] = _forecast_one(ind, fs, own, cutoff, paths, models, t, end, first, sex,
                                      n_paths, (q_lo, q_hi), level, seed)
    return out


def _forecast_one(ind: Indicator, fs: FactSeries, own: list[str], cutoff: dict[str, int],
                  paths: dict[str, np.ndarray], models: dict[str, SeriesModel], t: int, end: int,
                  first: int, sex: str, n_paths: int, q: tuple[float, float], level: float,
                  seed: int) -> Forecast:
    has_jfw = ind.form in JFW_FORMS
    money = {n: n in MONEY_FACTS for n in own}

    def actual(fact: str, m: int):
        return fs.get(fact, m, sex)

    history = []
    for m in range(first + 12, t + 1):
        history.append(HistoryPoint(
            format_month(m), measure(ind, actual, m).value,
            measure(ind, actual, m, jfw=True).value if has_jfw else None))

    # per path: each fact as one list from m_lo, actual up to its cutoff, simulated after it
    base = fs.m_lo
    known = {n: [actual(n, m) for m in range(base, cutoff[n] + 1)] for n in own}
    future = {n: (paths[n].T.tolist() if not money[n] else
                  [[Decimal(x) for x in row] for row in paths[n].T.tolist()]) for n in own}
    months = range(t, end + 1)
    values, jfws = path_measures(ind, known, future, base, months, n_paths, jfw=has_jfw)

    points = []
    for i, m in enumerate(months):
        v = _summary(values[i], q)
        j = _summary(jfws[i], q) if has_jfw else (None, None, None)
        points.append(ForecastPoint(format_month(m), *v, *j))

    notes = []
    for n in own:
        ys = fs.series(n, sex, first, cutoff[n])
        recent = [float(x) for x in ys[-13:-1]]
        if ys and float(ys[-1]) == 0 and recent and sum(recent) > 0:
            notes.append(f"{n}: der letzte Monat {format_month(cutoff[n])} ist 0 – "
                         "vermutlich noch nicht geliefert; die Prognose setzt darauf auf")
        if cutoff[n] < t:
            notes.append(f"{n}: bekannt bis {format_month(cutoff[n])} (Nachbeobachtung), "
                         "danach simuliert")
    return Forecast(
        ind.code, fs.jobcenter_id, fs.unit_id, sex, format_month(t), level, n_paths, seed,
        fs.rules, _describe([models[n] for n in own], first, t), tuple(models[n] for n in own),
        tuple(points), tuple(history),
        {n: tuple(fs.series(n, sex, first, cutoff[n])) for n in own}, tuple(notes))


def _summary(x: np.ndarray, q: tuple[float, float]) -> tuple[float | None, ...]:
    """Median and quantile interval over the paths that have a value; None if fewer than half
    do (a zero denominator in most futures)."""
    ok = x[~np.isnan(x)]
    if len(ok) == 0 or len(ok) < len(x) / 2:
        return None, None, None
    lo, med, hi = np.quantile(ok, [q[0], 0.5, q[1]])
    return float(med), float(lo), float(hi)


def _describe(models: list[SeriesModel], first: int, t: int) -> str:
    kinds = sorted({m.model for m in models})
    kind = kinds[0] if len(kinds) == 1 else "; ".join(
        f"{FACT_LABELS.get(m.fact, m.fact)}: {m.model}" for m in models)
    n = t - first + 1
    span = f"{n // 12} Jahre" if n % 12 == 0 else f"{n} Monate"
    return (f"{kind}, {span} Monatsdaten "
            f"({format_month(first)[5:]}/{first // 12}–{format_month(t)[5:]}/{t // 12})")
