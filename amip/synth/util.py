"""Small vectorised helpers: day numbers, months, Stichtage, exact decimals, id strings.

Inside the simulation a date is an int "day number" (days since 1970-01-01, i.e. Arrow date32),
and a month is an int month index ``(year - 1970) * 12 + month - 1``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

EPOCH = dt.date(1970, 1, 1)
OPEN = np.int32(2**31 - 1)  # "still open" marker for valid_to inside the simulation
STICHTAG_DAY = 15


def day(d: dt.date) -> int:
    return (d - EPOCH).days


def month_index(year: int, month: int) -> int:
    return (year - 1970) * 12 + month - 1


def parse_month(text: str) -> int:
    y, m = text.split("-")
    return month_index(int(y), int(m))


def month_first_day(mi: np.ndarray | int) -> np.ndarray:
    """First day (day number) of month index/indices."""
    return (np.asarray(mi).astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)


def stichtag_day(mi: np.ndarray | int) -> np.ndarray:
    """Day number of the Stichtag (the 15th) of month index/indices."""
    return month_first_day(mi) + (STICHTAG_DAY - 1)


def month_of_day(days: np.ndarray) -> np.ndarray:
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def year_of_day(days: np.ndarray) -> np.ndarray:
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def add_years(days: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """The same calendar day ``years`` later (29 Feb -> 1 Mar)."""
    d = np.asarray(days).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    m2 = m + np.asarray(years) * 12
    return (m2.astype("datetime64[D]")).astype(np.int64) + dom


def day_of_years(years: np.ndarray) -> np.ndarray:
    """Day number of 1 January of each year."""
    return (np.asarray(years) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


def add_months_to_day(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """First day of the month ``months`` after the month of ``days``."""
    return month_first_day(month_of_day(days) + np.asarray(months))


def month_strings(mi: np.ndarray) -> pa.Array:
    """'YYYY-MM' strings for month indices, via a small lookup table."""
    mi = np.asarray(mi, dtype=np.int64)
    if len(mi) == 0:
        return pa.array([], pa.string())
    lo, hi = int(mi.min()), int(mi.max())
    table = pa.array([f"{1970 + m // 12:04d}-{m % 12 + 1:02d}" for m in range(lo, hi + 1)])
    return table.take(pa.array(mi - lo))


def dates(days: np.ndarray, open_is_null: bool = True) -> pa.Array:
    """date32 array from day numbers; OPEN (or negative sentinel) becomes null."""
    days = np.asarray(days, dtype=np.int64)
    mask = days >= OPEN if open_is_null else None
    return pa.array(np.where(days >= OPEN, 0, days).astype(np.int32), pa.date32(), mask=mask)


def decimals(cents: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    """Exact decimal128(18, 2) from integer cents (no float on the way)."""
    cents = np.ascontiguousarray(np.asarray(cents, dtype=np.int64))
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    validity = None
    nulls = 0
    if null_mask is not None and null_mask.any():
        validity = pa.array(~null_mask).buffers()[1]
        nulls = int(null_mask.sum())
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents),
                                 [validity, pa.py_buffer(words.tobytes())], null_count=nulls)


def id_strings(prefix: str, n: int, width: int) -> pa.Array:
    """['P0000000', 'P0000001', ...] as an Arrow string array."""
    nums = np.arange(n).astype(str)
    return pa.array(np.char.add(prefix, np.char.zfill(nums, width)), pa.string())


def interpolate_anchors(anchors: list[list], months: np.ndarray) -> np.ndarray:
    """Linear interpolation of [['YYYY-MM', value], ...] anchors (mid-month) over month indices."""
    xs = np.array([parse_month(a) for a, _ in anchors], dtype=float)
    ys = np.array([float(v) for _, v in anchors])
    return np.interp(months, xs, ys)


def by_year(mapping: dict, years: np.ndarray, default: float = 1.0) -> np.ndarray:
    """Look up {'2019': x, ...} for an array of years (missing years: default)."""
    return np.array([float(mapping.get(str(int(y)), default)) for y in years])


def step_lookup(bands: list[list], x: np.ndarray) -> np.ndarray:
    """Value of [[upper_bound, value], ...] for x < upper_bound (first match)."""
    bounds = np.array([b for b, _ in bands], dtype=float)
    vals = np.array([v for _, v in bands], dtype=float)
    idx = np.searchsorted(bounds, x, side="right")
    return vals[np.minimum(idx, len(vals) - 1)]


def lag_days(rng: np.random.Generator, n: int, rec: dict) -> np.ndarray:
    """Recording lag: mostly 0-10 days, a tail of weeks or months."""
    lag = rng.poisson(rec["lag_mean_days"], n)
    late = rng.random(n) < rec["late_share"]
    lag[late] += rng.exponential(rec["late_mean_days"], late.sum()).astype(np.int64) + 11
    return lag.astype(np.int64)


def group_indices(group: np.ndarray, n: int) -> list[np.ndarray]:
    """For each group 0 … n-1 the ascending row indices with that group (like
    ``np.flatnonzero(group == g)``, in one sort instead of n passes)."""
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(np.asarray(group)[order], np.arange(n + 1))
    return [order[bounds[g]:bounds[g + 1]] for g in range(n)]
