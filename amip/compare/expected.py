"""Expected vs actual: what a Jobcenter's framework conditions lead one to expect, and whether
its value is better, worse or within the range (issue 16, item 4).

The model, per measure and month, over all Jobcenter with a value: a **count regression with
log link** of the measure's numerator on the declared conditions, the log denominator as offset,

    log E[Z_j] = log N_j + β0 + Σ_k β_k x_jk

so the expected value is 100 · E[Z_j] / N_j (a change rate: 100 · (E[Z_j] / N_j − 1)).
compare.toml ``model`` chooses the variance: ``negbin`` (default; negative binomial NB2,
Var Z = μ + α μ², α by maximum likelihood: the Jobcenter's own performance varies
multiplicatively, so its spread grows with μ², while chance grows with μ) or ``quasipoisson``
(Var Z = φ μ, φ = Pearson χ² / df). Why a count model and not WLS on the quotas: small
Jobcenter have zero counts that a log-linear WLS must drop; the fit weights each Jobcenter by
its size by itself; a K2 numerator may exceed its mean-stock denominator, so the quota is no
binomial share; the coefficients are effects on the log rate (comparable with multiplicative
effects such as the synthetic ``exit_factor``). The README has the measurements.

Interval: the prediction interval of the Jobcenter's count at the declared level — quantiles
of a negative binomial with mean μ̂_j and shape α + se(η̂_j)² (:func:`count_interval`): where a
Jobcenter with these conditions and typical performance lies with that probability, chance
included (counts, not a normal approximation, so small Jobcenter with a handful of
Integrationen are not called worse for a count of 2 where 5 were expected). A verdict
("besser/schlechter als erwartet", by the measure's direction) only when the actual count lies
outside; else "im Rahmen".
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
BETTER, WORSE, INSIDE = "besser als erwartet", "schlechter als erwartet", "im Rahmen"


def expected(view, months: Iterable[int | str], measure: str,
             records: list[Record] | None = None) -> Benchmark:
    """Benchmark of ``measure`` (a code of compare.toml [benchmark]) for ``months`` (indices or
    YYYY-MM): per month a count regression (compare.toml ``model``) on the framework conditions,
    each Jobcenter's expected value with prediction interval, residual, verdict; stability over
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
        return (Fit(ym, len(used), None, math.nan, [], why, model=cfg.model),
                [out[k] for k in sorted(out)])

    y = np.array([float(r.numerator) for r in used])
    n = np.array([float(r.denominator) for r in used])
    x = sm.add_constant(np.array([[attrs[r.jobcenter_id][k] for k in regs] for r in used]),
                        has_constant="add")
    res, model, spread = _fit(y, n, x, cfg.model)
    ci = res.conf_int(alpha=1 - cfg.level)
    names = ("const", *regs)
    labels = {"const": "Konstante", **cfg.labels}
    coefs = [Coefficient(nm, labels[nm], float(res.params[i]), float(ci[i][0]), float(ci[i][1]),
                         float(res.pvalues[i])) for i, nm in enumerate(names)]
    r2 = 1 - res.deviance / res.null_deviance if res.null_deviance > 0 else None

    eta = x @ res.params + np.log(n)
    mu = np.exp(eta)
    se_lin2 = np.einsum("ij,jk,ik->i", x, res.cov_params(), x)
    lo_count, hi_count = count_interval(mu, se_lin2, spread, model, cfg.level)
    better_high = direction(code) == "higher"

    def value(count: float, denom: float) -> float:
        return float((count / denom - 1) * 100 if change else count / denom * 100)

    for i, r in enumerate(used):
        actual = r.value
        exp_v = value(mu[i], n[i])
        lo, hi = value(lo_count[i], n[i]), value(hi_count[i], n[i])
        if y[i] > hi_count[i]:
            verdict = BETTER if better_high else WORSE
        elif y[i] < lo_count[i]:
            verdict = WORSE if better_high else BETTER
        else:
            verdict = INSIDE
        out[r.jobcenter_id] = Expectation(
            r.jobcenter_id, ym, actual, exp_v, lo, hi, actual - exp_v,
            float(math.log(max(y[i], 0.5) / mu[i])), verdict)
    return (Fit(ym, len(used), None if r2 is None else float(r2), spread, coefs, model=model),
            [out[k] for k in sorted(out)])


def count_interval(mu, se_lin2, spread: float, model: str, level: float):
    """The central ``level`` interval of each Jobcenter's count: quantiles of a negative
    binomial with mean μ̂ and shape a = α + se(η̂)² (negbin) or max(φ − 1, 0) / μ̂ + se(η̂)²
    (quasipoisson; φ < 1 is treated as Poisson, the wider). se(η̂)² adds the uncertainty of
    the expectation as a log-scale spread of the mean, as α adds the Jobcenter's own."""
    from scipy.stats import nbinom

    a = (spread if model == "negbin" else np.maximum(spread - 1, 0) / mu) + se_lin2
    size = 1 / a
    p = size / (size + mu)
    return nbinom.ppf((1 - level) / 2, size, p), nbinom.ppf((1 + level) / 2, size, p)


def _fit(y, n, x, model: str):
    """The GLM of the counts and its spread: (result, model fitted, α or φ). ``negbin``
    estimates α by maximum likelihood (statsmodels NegativeBinomial, NB2) and refits the GLM
    with that α (same β; its deviance gives the share explained); where that does not
    converge or α is not positive, the quasi-Poisson fit stands in (``model`` says so)."""
    import warnings

    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    offset = np.log(n)
    if model == "negbin":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", HessianInversionWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                nb = sm.NegativeBinomial(y, x, offset=offset, loglike_method="nb2") \
                    .fit(disp=0, maxiter=200)
                alpha = float(nb.params[-1])
                ok = bool(nb.mle_retvals.get("converged")) and math.isfinite(alpha) \
                    and alpha > 1e-6
            except (np.linalg.LinAlgError, ValueError):
                ok = False
        if ok:
            res = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=alpha),
                         offset=offset).fit()
            return res, "negbin", alpha
    res = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(scale="X2")
    return res, "quasipoisson", float(res.scale)


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
