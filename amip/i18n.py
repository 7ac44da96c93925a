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


def day(value: dt.date) -> str:
    """``2020-03-15`` → ``15.03.2020``."""
    return format_date(value, "dd.MM.yyyy", locale=LOCALE)
