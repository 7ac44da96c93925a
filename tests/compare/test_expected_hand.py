"""The regression of one month on hand-made records: a known effect, an outlier, and the
Jobcenter that cannot be compared (no conditions, zero denominator)."""

from __future__ import annotations

import math

import pytest

from amip.compare.config import config
import numpy as np

from amip.compare.expected import (BETTER, INSIDE, NO_CONDITIONS, WORSE, ZERO, count_interval,
                                  fit_month)
from amip.engine.indicators import Record

NOISE = (0.97, 1.02, 1.0, 0.99, 1.03, 0.98)  # a fixed ±3 % wobble


def case(code="K2", change=False):
    """30 Jobcenter, N = 1.000 each, unemployment rate u = 2 + 0,5 i, urbanity and foreign
    share alternating; Z = N · exp(−1,5 − 0,05 u) × wobble, so the rate falls by
    1 − e^−0,05 ≈ 4,9 % per point. Jobcenter 'j07' has 1,6 × its count (a true outlier); 'nox'
    lacks its unemployment rate; 'zero' has N = 0."""
    recs, attrs = [], {}
    for i in range(30):
        jc = f"j{i:02d}"
        u = 2 + 0.5 * i
        n = 1000.0
        z = round(n * math.exp(-1.5 - 0.05 * u) * NOISE[i % 6] * (1.6 if jc == "j07" else 1))
        value = (z / n - 1) * 100 if change else z / n * 100
        recs.append(Record(code, "2020-06", jc, "all", z, n, value))
        attrs[jc] = dict(unemployment_rate=u, urbanity=0.2 + 0.3 * (i % 3),
                         foreign_share=5.0 + 2 * (i % 2))
    recs.append(Record(code, "2020-06", "nox", "all", 200, 1000.0, 20.0))
    attrs["nox"] = dict(unemployment_rate=None, urbanity=0.5, foreign_share=6.0)
    recs.append(Record(code, "2020-06", "zero", "all", 0, 0, None))
    attrs["zero"] = dict(unemployment_rate=5.0, urbanity=0.5, foreign_share=6.0)
    return recs, attrs


def test_known_effect_and_outlier():
    recs, attrs = case()
    fit, rows = fit_month("K2", "2020-06", recs, attrs)
    assert fit.n == 30 and fit.reason is None
    u = next(c for c in fit.coefficients if c.name == "unemployment_rate")
    assert u.lower < -0.05 < u.upper and u.estimate == pytest.approx(-0.05, abs=0.01)
    assert u.label == config().labels["unemployment_rate"]
    by = {e.jobcenter_id: e for e in rows}
    assert by["j07"].verdict == BETTER and by["j07"].residual > 0
    assert sum(e.verdict == INSIDE for e in rows) >= 25
    # j07's wobble-free rate is 100 · exp(−1,5 − 0,05 · 5,5) ≈ 16,9 %; the outlier is part of
    # the fit and pulls its own expectation up (measured 18,0 %, + 6 %), so its log ratio is
    # below log(1,6 × 1,02) = 0,49 (measured ≈ 0,43)
    assert by["j07"].expected == pytest.approx(100 * math.exp(-1.5 - 0.275), rel=0.1)
    assert 0.35 < by["j07"].log_ratio < math.log(1.6 * 1.02)


def test_the_uncomparable_say_why():
    recs, attrs = case()
    _, rows = fit_month("K2", "2020-06", recs, attrs)
    by = {e.jobcenter_id: e for e in rows}
    assert by["nox"].reason == NO_CONDITIONS.format(names=config().labels["unemployment_rate"])
    assert by["nox"].expected is None and by["nox"].verdict is None
    assert by["zero"].reason == ZERO


def test_lower_is_better_turns_the_verdict():
    """K3 (a change; lower is better): the same counts, read as LZB stock now ÷ a year ago;
    the outlier's stock grew more than expected, so it is worse."""
    recs, attrs = case("K3", change=True)
    _, rows = fit_month("K3", "2020-06", recs, attrs)
    by = {e.jobcenter_id: e for e in rows}
    assert by["j07"].verdict == WORSE
    assert by["j07"].expected == pytest.approx((math.exp(-1.775) - 1) * 100, rel=0.05)
    assert by["j07"].residual > 0 and by["j07"].actual > by["j07"].upper


def test_the_interval_is_one_of_counts():
    """Without spread (φ ≤ 1, a negligible se) the 90 % interval of a count with mean 5 is
    Poisson's: P(Z ≤ 1) = 0,040 < 0,05 ≤ P(Z ≤ 2) = 0,125, P(Z ≤ 8) = 0,932 < 0,95 ≤
    P(Z ≤ 9) = 0,968, so 2 to 9 — a Jobcenter with 2 where 5 are expected is "im Rahmen".
    With α = 0,25 (negative binomial of shape 1/α = 4, p = 4 / (4 + 5) = 4/9): P(Z = 0) =
    (4/9)⁴ = 0,039 < 0,05 ≤ P(Z ≤ 1) = 0,126 and P(Z ≤ 10) = 0,931 < 0,95 ≤ P(Z ≤ 11) = 0,954,
    so 1 to 11."""
    lo, hi = count_interval(np.array([5.0]), np.array([1e-9]), 0.8, "quasipoisson", 0.9)
    assert (lo[0], hi[0]) == (2, 9)
    lo, hi = count_interval(np.array([5.0]), np.array([1e-9]), 0.25, "negbin", 0.9)
    assert (lo[0], hi[0]) == (1, 11)
