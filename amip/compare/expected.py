"""Expected vs actual: what a Jobcenter's framework conditions lead one to expect, and whether
its value is better, worse or within the range (issue 16, item 4).

The model, per measure and month, over all Jobcenter with a value: a **quasi-Poisson rate
regression** (GLM, log link) of the measure's numerator on the declared conditions with the log
denominator as offset,

    log E[Z_j] = log N_j + β0 + Σ_k β_k x_jk,     Var Z_j = φ · E[Z_j],

so the expected value is 100 · E[Z_j] / N_j (a change rate: 100 · (E[Z_j] / N_j − 1)). Why this
and not WLS on the quotas: the numerators are counts (Integrationen, LZB), small Jobcenter have
zeros that a log-linear WLS must drop, the Poisson fit on counts weights each Jobcenter by its
size by itself (equivalent to WLS of the rate with weights ∝ E[Z]), the coefficients are
effects on the log rate (comparable with multiplicative effects such as the synthetic
``exit_factor``), and φ (Pearson χ² / df) takes in the overdispersion instead of trusting
the binomial variance of a quota whose numerator may exceed its mean-stock denominator.

Interval: the prediction interval of the Jobcenter's value at the declared level, on the log
scale ``η̂_j ± z · sqrt(se(η̂_j)² + φ / μ̂_j)`` — the uncertainty of the fitted expectation plus
the count's own variation under the model. A verdict ("besser/schlechter als erwartet", by the
measure's direction) only when the actual lies outside; else "im Rahmen".
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from amip.catalogue import load
from amip.compare.config import config
from amip.compare.figures import jobcenter_attributes, month_index
from amip.compare.ranking import direction
from amip.compare.shapes import Benchmark, Coefficient, Expectation, Fit, Stability
from amip.engine.calendar import format_month
from amip.engine.indicators import Record, compute

NOT_BENCHMARKED = "{code} ist in compare.toml [benchmark] nicht als Vergleichsgröße erklärt"
NO_CONDITIONS = "Rahmenbedingungen fehlen ({names})"
ZERO = "Nenner 0: kein Wert"
TOO_FEW = ("zu wenige Jobcenter mit Wert und Rahmenbedingungen ({n}; nötig sind {need}) für eine "
           "Regression")
NOT_IN_FIT = "nicht in der Regression des Monats"
BETTER, WORSE, INSIDE = "besser als erwartet", "schlechter als erwartet", "im Rahmen"


def expected(view, months: Iterable[int | str], measure: str,
             records: list[Record] | None = None) -> Benchmark:
    """Benchmark of ``measure`` (a code of compare.toml [benchmark]) for ``months`` (indices or
    YYYY-MM): per month a quasi-Poisson rate regression on the framework conditions, each
    Jobcenter's expected value with prediction interval, residual, verdict; stability over
    consecutive months. ``records``: the engine's records if the caller has them (sex ``all``
    of each month is used)."""
    cfg = config()
    if measure not in cfg.measures:
        raise ValueError(NOT_BENCHMARKED.format(code=measure))
    ms = sorted({month_index(m) for m in months})
    if records is None:
        records = compute(view, ms, codes=[measure])
    attrs = {a["jobcenter_id"]: a for a in jobcenter_attributes(view)}
    by_month: dict[str, list[Record]] = {format_month(m): [] for m in ms}
    for r in records:
        if r.code == measure and r.sex == "all" and r.unit_id is None and r.basis == "month" \
                and r.month in by_month:
            by_month[r.month].append(r)
    fits, rows = [], []
    for ym, recs in by_month.items():
        fit, exps = fit_month(measure, ym, recs, attrs)
        fits.append(fit)
        rows += exps
    return Benchmark(measure, cfg.level, cfg.regressors, dict(cfg.labels), fits, rows,
                     stability(rows, list(by_month)))


def fit_month(code: str, ym: str, recs: list[Record], attrs: dict[str, dict]
              ) -> tuple[Fit, list[Expectation]]:
    """The regression of one month and every Jobcenter's expectation."""
    import statsmodels.api as sm
    from scipy.stats import norm

    cfg = config()
    regs = cfg.regressors
    change = load().indicators[code].is_change
    used, out = [], {}
    for r in sorted(recs, key=lambda r: r.jobcenter_id):
        a = attrs.get(r.jobcenter_id, {})
        missing = [cfg.labels[k] for k in regs if a.get(k) is None]
        why = r.reason or (ZERO if not r.denominator else None) or \
            (NO_CONDITIONS.format(names=", ".join(missing)) if missing else None)
        if why:
            out[r.jobcenter_id] = _none(r, why)
        else:
            used.append(r)
    need = cfg.min_per_parameter * (len(regs) + 1)
    if len(used) < need:
        why = TOO_FEW.format(n=len(used), need=need)
        for r in used:
            out[r.jobcenter_id] = _none(r, why)
        return Fit(ym, len(used), None, math.nan, [], why), [out[k] for k in sorted(out)]

    y = np.array([float(r.numerator) for r in used])
    n = np.array([float(r.denominator) for r in used])
    x = sm.add_constant(np.array([[attrs[r.jobcenter_id][k] for k in regs] for r in used]),
                        has_constant="add")
    res = sm.GLM(y, x, family=sm.families.Poisson(), offset=np.log(n)).fit(scale="X2")
    phi = float(res.scale)
    ci = res.conf_int(alpha=1 - cfg.level)
    names = ("const", *regs)
    labels = {"const": "Konstante", **cfg.labels}
    coefs = [Coefficient(nm, labels[nm], float(res.params[i]), float(ci[i][0]), float(ci[i][1]),
                         float(res.pvalues[i])) for i, nm in enumerate(names)]
    r2 = 1 - res.deviance / res.null_deviance if res.null_deviance > 0 else None

    eta = x @ res.params + np.log(n)
    mu = np.exp(eta)
    se_lin2 = np.einsum("ij,jk,ik->i", x, res.cov_params(), x)
    half = norm.ppf(0.5 + cfg.level / 2) * np.sqrt(se_lin2 + phi / mu)
    better_high = direction(code) == "higher"

    def value(count: float, denom: float) -> float:
        return float((count / denom - 1) * 100 if change else count / denom * 100)

    for i, r in enumerate(used):
        actual = r.value
        exp_v = value(mu[i], n[i])
        lo, hi = value(mu[i] * math.exp(-half[i]), n[i]), value(mu[i] * math.exp(half[i]), n[i])
        if actual > hi:
            verdict = BETTER if better_high else WORSE
        elif actual < lo:
            verdict = WORSE if better_high else BETTER
        else:
            verdict = INSIDE
        out[r.jobcenter_id] = Expectation(
            r.jobcenter_id, ym, actual, exp_v, lo, hi, actual - exp_v,
            float(math.log(max(y[i], 0.5) / mu[i])), verdict)
    return (Fit(ym, len(used), None if r2 is None else float(r2), phi, coefs),
            [out[k] for k in sorted(out)])


def _none(r: Record, why: str) -> Expectation:
    return Expectation(r.jobcenter_id, r.month, r.value, None, None, None, None, None, None, why)


def stability(rows: list[Expectation], months: list[str]) -> list[Stability]:
    """Spearman correlation of the log ratios and the share of kept verdicts, month by month
    (each month against the one before in ``months``)."""
    from scipy.stats import spearmanr

    by = {(e.month, e.jobcenter_id): e for e in rows if e.log_ratio is not None}
    out = []
    for before, now in zip(months, months[1:]):
        both = sorted(jc for (m, jc) in by if m == now and (before, jc) in by)
        if len(both) < 3:
            out.append(Stability(now, before, len(both), None, None))
            continue
        a = [by[(before, jc)].log_ratio for jc in both]
        b = [by[(now, jc)].log_ratio for jc in both]
        rho = spearmanr(a, b).statistic
        kept = sum(by[(before, jc)].verdict == by[(now, jc)].verdict for jc in both) / len(both)
        out.append(Stability(now, before, len(both),
                             None if math.isnan(rho) else float(rho), kept))
    return out
