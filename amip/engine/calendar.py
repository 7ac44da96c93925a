"""Months, Stichtage and day numbers.

Inside the engine a month is an integer index ``year * 12 + month - 1`` and a day is its number
of days since 1970-01-01 (``epoch day``): integer arithmetic behaves the same on every backend.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from amip.catalogue import load

EPOCH = dt.date(1970, 1, 1)
OPEN_END = 2_932_896  # epoch day of 9999-12-31: an open valid_to


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_start(m: int) -> dt.date:
    return dt.date(m // 12, m % 12 + 1, 1)


def month_end(m: int) -> dt.date:
    return month_start(m + 1) - dt.timedelta(days=1)


def stichtag(m: int) -> dt.date:
    """The Stichtag of month index ``m`` (the configured day, by default the 15th)."""
    return month_start(m).replace(day=load().parameters.stichtag_day)


def epoch_day(day: dt.date) -> int:
    return (day - EPOCH).days


def parse_month(text: str) -> int:
    """``'2020-03'`` → month index; raises ValueError with the expected form."""
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2 or not 1 <= int(month) <= 12:
            raise ValueError
        return int(year) * 12 + int(month) - 1
    except ValueError:
        raise ValueError(f"kein Monat: {text!r} (erwartet JJJJ-MM)") from None


def format_month(m: int) -> str:
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def calendar(m_lo: int, m_hi: int) -> ir.Table:
    """One row per month m in [m_lo, m_hi]: its Stichtag ``st``, the previous Stichtag ``st_prev``,
    and the first and last day of the calendar month (all as epoch days)."""
    return calendar_of(list(range(m_lo, m_hi + 1)))


def calendar_of(ms: list[int]) -> ir.Table:
    """:func:`calendar` of the months ``ms`` only."""
    return ibis.memtable({
        "m": ms,
        "st": [epoch_day(stichtag(m)) for m in ms],
        "st_prev": [epoch_day(stichtag(m - 1)) for m in ms],
        "first_day": [epoch_day(month_start(m)) for m in ms],
        "last_day": [epoch_day(month_end(m)) for m in ms],
    }, schema={"m": "int64", "st": "int64", "st_prev": "int64", "first_day": "int64",
               "last_day": "int64"})


def days(column: ir.DateValue) -> ir.IntegerValue:
    """A date column as epoch days; an empty end date becomes OPEN_END."""
    return column.epoch_days().cast("int64")


def end_days(column: ir.DateValue) -> ir.IntegerValue:
    return column.epoch_days().cast("int64").fill_null(OPEN_END)
