"""The five forms of the § 48a measures, computed from aggregated fact counts.

All arithmetic on counts happens here, once; every shell shows these records. Readings: domain
reference §10 items 5, 9, 11–14, 23, 25.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable

import numpy as np

from amip.catalogue import Indicator
from amip.engine.aggregate import Counts

SEXES = ("all", "m", "w")
LOOKBACK = 13  # months of stock history the forms need before the first Berichtsmonat


@dataclass(frozen=True)
class Value:
    numerator: float | int | Decimal
    denominator: float | int | Decimal
    value: float | None


Getter = Callable[[str, int], int | Decimal]  # (fact, month) -> count or sum


def roll_up(counts: Counts, scope: set[str] | None) -> dict[tuple[str, str, str, int], int | Decimal]:
    """Sum counts over the teams in ``scope`` (None = whole Jobcenter) and derive sex ``all``
    (persons with sex ``d`` count in ``all`` only, item 12)."""
    out: dict = defaultdict(int)
    for (fact, jc, unit, sex, m), n in counts.items():
        if scope is not None and unit not in scope:
            continue
        out[(fact, jc, "all", m)] += n
        if sex in ("m", "w"):
            out[(fact, jc, sex, m)] += n
    return out


def _paths(*xs) -> bool:
    """Whether any operand is an array over simulated paths (:func:`measure_paths`)."""
    return any(isinstance(x, np.ndarray) for x in xs)


def _quotient(z, n) -> float | None:
    """Z / N × 100; no value for a zero denominator (item 14). Over paths: element-wise, the
    same float operations, NaN where N is 0."""
    if _paths(z, n):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.equal(n, 0), np.nan, z / n * 100)
    return None if not n else float(Decimal(z) / Decimal(n) * 100) if isinstance(z, Decimal) \
        else z / n * 100


def change(ind: Indicator, get: Getter, t: int) -> Value:
    z, n = get(ind.numerator, t), get(ind.denominator, t - 12)
    if _paths(z, n):  # the decimal arithmetic of each path's pair, as below
        pairs = zip(*(np.broadcast_to(x, np.broadcast(z, n).shape).tolist() for x in (z, n)))
        return Value(z, n, np.array([np.nan if not b else float((Decimal(a) / Decimal(b) - 1)
                                                                * 100) for a, b in pairs]))
    return Value(z, n, None if not n else float((Decimal(z) / Decimal(n) - 1) * 100))


def rolling_quota(ind: Indicator, get: Getter, t: int, first: int | None = None) -> Value:
    """Σ numerator over t−11..t ÷ mean stock over t−12..t−1 (item 5); with ``first`` (the
    Jahresfortschrittswert, item 13): Σ over first..t ÷ mean stock over first−1..t−1."""
    first = t - 11 if first is None else first
    z = sum(get(ind.numerator, m) for m in range(first, t + 1))
    stocks = [get(ind.denominator, m) for m in range(first - 1, t)]
    n = sum(stocks) / len(stocks)
    return Value(z, n, _quotient(z, n))


def rolling_ratio(ind: Indicator, get: Getter, t: int, first: int | None = None) -> Value:
    first = t - 11 if first is None else first
    z = sum(get(ind.numerator, m) for m in range(first, t + 1))
    n = sum(get(ind.denominator, m) for m in range(first, t + 1))
    return Value(z, n, _quotient(z, n))


def month_quota(ind: Indicator, get: Getter, t: int) -> Value:
    z, n = get(ind.numerator, t), get(ind.denominator, t)
    return Value(z, n, _quotient(z, n))


def mean_rate(ind: Indicator, get: Getter, t: int) -> Value:
    """Mean of the 12 monthly rates Z(m) / N(m − lag), m = t−11..t; null if any N is 0
    (items 9, 23). Numerator and denominator are reported as the 12-month sums."""
    months = range(t - 11, t + 1)
    zs = [get(ind.numerator, m) for m in months]
    ns = [get(ind.denominator, m - ind.denominator_lag) for m in months]
    if _paths(*zs, *ns):  # per path: NaN where any N is 0
        with np.errstate(divide="ignore", invalid="ignore"):
            value = sum(z / n for z, n in zip(zs, ns)) / 12 * 100
        zero = np.zeros(np.broadcast(*ns).shape, dtype=bool)
        for n in ns:
            zero |= np.equal(n, 0)
        return Value(sum(zs), sum(ns), np.where(zero, np.nan, value))
    value = None if any(n == 0 for n in ns) else sum(z / n for z, n in zip(zs, ns)) / 12 * 100
    return Value(sum(zs), sum(ns), value)


FORMS: dict[str, Callable[..., Value]] = {
    "change": change, "rolling_quota": rolling_quota, "rolling_ratio": rolling_ratio,
    "month_quota": month_quota, "mean_rate": mean_rate,
}
JFW_FORMS = ("rolling_quota", "rolling_ratio")


def measure(ind: Indicator, get: Getter, t: int, jfw: bool = False) -> Value:
    if jfw:
        return FORMS[ind.form](ind, get, t, first=t - t % 12)
    return FORMS[ind.form](ind, get, t)


def measure_paths(ind: Indicator, get: Callable[[str, int], object], t: int, n_paths: int,
                  jfw: bool = False) -> np.ndarray:
    """:func:`measure` of all simulated paths at once: ``get`` returns a count (a month known
    to all paths) or an array of the ``n_paths`` simulated values; the forms compute on the
    arrays element-wise with the same operations as on one path. NaN where a path has no
    value. Money facts (decimal sums) are not for this: they go path by path."""
    v = measure(ind, get, t, jfw).value
    out = np.full(n_paths, np.nan)
    if v is not None:
        out[:] = v
    return out


def fact_months(indicators: Iterable[Indicator], months: Iterable[int],
                bases: Iterable[str] = ("month",)) -> dict[str, set[int]]:
    """The months of each fact that the measures of ``months`` read (``bases``: ``month``
    and/or ``jfw``): traced through the forms themselves, so exact by construction. E.g. K1
    (``change``) reads the sums of t and t−12 only, not the 11 months between."""
    read: dict[str, set[int]] = {}

    def get(fact: str, m: int) -> int:
        read.setdefault(fact, set()).add(m)
        return 1

    for ind in indicators:
        for basis in bases:
            if basis == "jfw" and ind.form not in JFW_FORMS:
                continue
            for t in months:
                measure(ind, get, t, jfw=basis == "jfw")
    return read


def facts_needed(indicators: Iterable[Indicator]) -> list[str]:
    names: list[str] = []
    for ind in indicators:
        for f in (ind.numerator, ind.denominator):
            if f not in names:
                names.append(f)
    return names
