"""Zielpfad, gap and light: pure arithmetic on numbers (domain reference §11 items 33–34,
§12.1 items 44–48). No data access; the engine side is :mod:`amip.engine.followed`.

All comparisons are exact: numbers are turned into :class:`fractions.Fraction` (a float by its
shortest decimal form, ``23.4`` stays 23.4), so a ratio of exactly 1.00 is green and exactly 0.97
yellow (item 48).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Iterable

from amip.catalogue.targets import LightThresholds, MeasureDef

Number = int | float | Decimal | Fraction
LIGHTS = ("green", "yellow", "red", "grey")


def exact(x: Number | None) -> Fraction | None:
    """``x`` as an exact fraction (a float by its shortest decimal form); None stays None."""
    if x is None:
        return None
    if isinstance(x, float):
        return Fraction(repr(x))
    return Fraction(x)


def seasonal_share(yearly_counts: dict[int, list | None], m: int) -> Fraction:
    """s(m) of item 33: the mean over the given previous years of C(Jan..m) / C(Jan..Dec).

    ``yearly_counts`` maps each previous year (the caller gives y−3..y−1, item 33) to its twelve
    monthly counts C(t); a year is skipped when it is None, has a missing month (None) or fewer
    than twelve months (not complete, item 46), or sums to 0 (share undefined, item 46). The mean
    is of the yearly shares, not a pooled quotient (item 46); with no year left s(m) = m/12.
    ``m`` is the month of the year, 1..12; s(12) = 1.
    """
    if not 1 <= m <= 12:
        raise ValueError(f"month of the year must be 1..12, not {m}")
    shares = []
    for counts in yearly_counts.values():
        if counts is None or len(counts) != 12 or any(c is None for c in counts):
            continue
        total = sum(exact(c) for c in counts)
        if total == 0:
            continue
        shares.append(sum(exact(c) for c in counts[:m]) / total)
    if not shares:
        return Fraction(m, 12)
    return sum(shares) / len(shares)


def zielpfad(measure: MeasureDef, target: Number | None, m: int, share: Number | None = None,
             stock_prev_dec: Number | None = None) -> Fraction | None:
    """P(m), the Ist expected at the end of month ``m`` (1..12) if the year ends on target
    (item 33); None when there is no target value (item 44) or, for a stock, no S(Dec y−1)
    (item 47).

    - quota, count: T × s(m) (``share`` from :func:`seasonal_share`; None: m/12);
    - stock: S(Dec y−1) × (1 + T/100 × m/12);
    - level: T (a constant ceiling or floor).
    """
    if target is None:
        return None
    t = exact(target)
    if measure.kind in ("quota", "count"):
        s = Fraction(m, 12) if share is None else exact(share)
        return t * s
    if measure.kind == "stock":
        if stock_prev_dec is None:
            return None
        return exact(stock_prev_dec) * (1 + t / 100 * Fraction(m, 12))
    if measure.kind == "level":
        return t
    raise ValueError(f"unknown kind {measure.kind!r}")


def gap(actual: Number | None, path: Number | None) -> Fraction | None:
    """A(m) − P(m) in the measure's unit (item 34); None when either is missing."""
    if actual is None or path is None:
        return None
    return exact(actual) - exact(path)


def gap_percent(actual: Number | None, path: Number | None) -> Fraction | None:
    """(A/P − 1) × 100 (item 34); None when either is missing or P = 0 (item 48)."""
    if actual is None or path is None or exact(path) == 0:
        return None
    return (exact(actual) / exact(path) - 1) * 100


def light(direction: str, actual: Number | None, path: Number | None,
          thresholds: LightThresholds) -> str:
    """green / yellow / red / grey by exact comparison (items 34, 48).

    Higher is better: green when A ≥ g·P, yellow when A ≥ y·P; lower is better: green when
    P ≥ g·A, yellow when P ≥ y·A (g, y the thresholds, 1.00 and 0.97): the attainment ratio
    r = A/P resp. P/A compared without dividing, so a path of 0 that the Ist meets is green.
    Grey when the Ist or the path does not exist (no target, target in Abstimmung without a
    value, data not reaching, items 44, 47).
    """
    if actual is None or path is None:
        return "grey"
    a, p = exact(actual), exact(path)
    g, y = exact(thresholds.green), exact(thresholds.yellow)
    if direction == "higher":
        better, worse = a, p
    elif direction == "lower":
        better, worse = p, a
    else:
        raise ValueError(f"unknown direction {direction!r}")
    if better >= g * worse:
        return "green"
    if better >= y * worse:
        return "yellow"
    return "red"


def cumulative(values: Iterable[Number | None]) -> Fraction | None:
    """Σ of monthly values Jan..m; None when any month is missing (item 46: every monthly count
    Jan..m must exist)."""
    total = Fraction(0)
    for v in values:
        if v is None:
            return None
        total += exact(v)
    return total
