"""Jinja2 templates of the German web pages, with the German formats of :mod:`amip.i18n` as
filters (``{{ v | pct }}`` → ``23,4 %``, ``{{ m | month }}`` → ``März 2020``)."""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from pathlib import Path

from fastapi.templating import Jinja2Templates

from amip import i18n

HERE = Path(__file__).parent


@cache
def role_labels() -> dict[str, str]:
    """Role key → German label, from roles.toml."""
    with open(HERE / "roles.toml", "rb") as f:
        return {key: r.get("label", key) for key, r in tomllib.load(f).items()}


def _month(value) -> str:
    """A month index (``year*12+month-1``), ``YYYY-MM`` text or a date → ``März 2020``."""
    if value is None:
        return "–"
    if isinstance(value, int):
        value = dt.date(value // 12, value % 12 + 1, 1)
    elif isinstance(value, str):
        value = dt.date(int(value[:4]), int(value[5:7]), 1)
    return i18n.month(value)


def _day(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y, %H:%M") + "\u00a0Uhr"
    return i18n.day(value)


def _num(value, digits: int = 0) -> str:
    return i18n.by_kind(value, "count" if not digits else "number", digits)


templates = Jinja2Templates(directory=str(HERE / "templates"))
_env = templates.env
_env.autoescape = True  # starlette's default escapes only *.html; ours are *.html.j2
_env.filters.update(
    num=_num,
    pct=lambda v, digits=1: i18n.by_kind(v, "pct", digits),
    signed_pct=lambda v, digits=1: i18n.signed_pct(v, digits),
    eur=i18n.eur,
    by_kind=i18n.by_kind,
    month=_month,
    day=_day,
    local_time=i18n.local_time,
    role_label=lambda role: role_labels().get(role, role),
)
_env.trim_blocks = True
_env.lstrip_blocks = True
