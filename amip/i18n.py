"""German number, percent, euro and date formats (babel), shared by CLI, web and reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LOCALE = "de_DE"
NBSP = "\u00a0"


def num(value: int | float | Decimal | None, digits: int = 0) -> str:
    """``5485`` → ``5.485``; ``23.45, 1`` → ``23,5``; ``None`` → ``–``."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def pct(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """A value already in percent: ``23.4`` → ``23,4 %`` (``+1,2 %`` when signed)."""
    if value is None:
        return "–"
    text = num(value, digits)
    if signed and value > 0:
        text = "+" + text
    return f"{text}{NBSP}%"


def eur(value: int | float | Decimal | None, cents: bool = False) -> str:
    """``7053067`` → ``7.053.067 €``."""
    if value is None:
        return "–"
    if cents:
        return format_currency(value, "EUR", locale=LOCALE)
    return f"{num(value)}{NBSP}€"


def month(value: dt.date) -> str:
    """``2020-03-01`` → ``März 2020``."""
    return format_date(value, "MMMM yyyy", locale=LOCALE)


def month_short(value: dt.date) -> str:
    """``2020-03-01`` → ``Mär``: the month's abbreviation (a strip of months of one year)."""
    return format_date(value, "MMM", locale=LOCALE).rstrip(".")


TIMEZONE = "Europe/Berlin"  # the local time of every German Jobcenter


def local_time(value: dt.datetime | str) -> str:
    """A moment (aware, or ISO 8601 text; naive counts as UTC) in German local time:
    ``2026-12-01T22:10:05+00:00`` → ``01.12.2026, 23:10:05``."""
    from zoneinfo import ZoneInfo

    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(ZoneInfo(TIMEZONE)).strftime("%d.%m.%Y, %H:%M:%S")


def day(value: dt.date) -> str:
    """``2020-03-15`` → ``15.03.2020``."""
    return format_date(value, "dd.MM.yyyy", locale=LOCALE)


MINUS = "\u2212"  # typographic minus sign, for printed reports


def signed_pct(value: float | None, digits: int = 1) -> str:
    """A change in percent with an explicit sign and a real minus: ``+1,2 %``, ``−3,4 %``,
    ``0,0 %`` (a value that rounds to zero carries no sign)."""
    if value is None:
        return "–"
    text = num(abs(value), digits)
    if text.strip("0,") == "":
        return f"{text}{NBSP}%"
    return f"{'+' if value > 0 else MINUS}{text}{NBSP}%"


def by_kind(value, kind: str, digits: int | None = None) -> str:
    """Display text for a typed value (kinds of :class:`amip.reports.model.Column`):
    count ``5.485``, number ``12,5`` (one decimal unless integral), pct ``23,4 %``,
    change_pct ``+1,2 %``/``−3,4 %``, eur ``7.053.067 €``, text as is. Negative numbers get a
    real minus sign; ``None`` gives ``–``."""
    if value is None:
        return "–"
    if kind == "text" or isinstance(value, str):
        return str(value)
    if kind == "change_pct":
        return signed_pct(value, 1 if digits is None else digits)
    if kind == "pct":
        text = pct(value, 1 if digits is None else digits)
    elif kind == "eur":
        text = eur(value)
    elif kind == "number":
        if digits is None:
            digits = 0 if float(value) == int(value) else 1
        text = num(value, digits)
    else:  # count
        text = num(value, digits or 0)
    return text.replace("-", MINUS, 1) if text.startswith("-") else text
