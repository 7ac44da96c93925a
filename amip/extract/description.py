"""The extract's own description, ``extract.toml`` (optional; shared/data-contract.md).

``data_as_of = YYYY-MM-DD`` declares the Datenstand of the whole extract, ``[data_as_of_by_table]``
a date per table whose data end earlier (e.g. ``benefit_months = 2020-11-30``) and ``data_from``
the first day whose state the extract shows completely (earlier rows are history only), and
``[[budget_title_totals]]`` (jobcenter_id, year, title, amount_eur) totals of budget titles that
the plan's instrument lines must add up to (domain reference §12, issue 13). A
declared date wins over the latest ``recorded_on`` (domain reference §10.2, item 28). The store
keeps the file's text in its import log; :func:`parse` reads it back.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from amip.extract.errors import ExtractError
from amip.extract.schema import BUDGET_TITLES, TABLES

FILE_NAME = "extract.toml"


@dataclass(frozen=True)
class TitleTotal:
    """A declared total of a budget title: the plan's instrument lines must add up to it."""
    jobcenter_id: str
    year: int
    title: str
    amount_eur: Decimal


@dataclass(frozen=True)
class Description:
    data_as_of: dt.date | None = None
    data_from: dt.date | None = None
    by_table: dict[str, dt.date] = field(default_factory=dict)
    title_totals: tuple[TitleTotal, ...] = ()

    def declared(self, table: str) -> dt.date | None:
        """The declared Datenstand of ``table`` (its own date, else the extract's)."""
        return self.by_table.get(table, self.data_as_of)


def parse(text: str) -> tuple[Description, list[ExtractError]]:
    """The description in ``text`` and the problems found (German, naming key and value)."""
    errors: list[ExtractError] = []

    def bad(key: str, value, message: str) -> None:
        errors.append(ExtractError(FILE_NAME, None, key, None if value is None else str(value),
                                   message))

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        bad("", None, f"kein gültiges TOML ({e})")
        return Description(), errors

    def date(key: str, value) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        bad(key, value, "erwartet ein Datum JJJJ-MM-TT")
        return None

    by_table: dict[str, dt.date] = {}
    tables = data.get("data_as_of_by_table", {})
    if not isinstance(tables, dict):
        bad("data_as_of_by_table", None, "erwartet eine Tabelle [data_as_of_by_table]")
        tables = {}
    for name, value in tables.items():
        if name not in TABLES or not TABLES[name].has_recorded_on:
            bad(f"data_as_of_by_table.{name}", None,
                "keine Tabelle des Auszugsformats mit recorded_on")
            continue
        day = date(f"data_as_of_by_table.{name}", value)
        if day is not None:
            by_table[name] = day
    description = Description(date("data_as_of", data.get("data_as_of")),
                              date("data_from", data.get("data_from")), by_table,
                              _title_totals(data.get("budget_title_totals", []), bad))
    latest = [d for d in (description.data_as_of, *by_table.values()) if d is not None]
    if description.data_from and latest and min(latest) < description.data_from:
        bad("data_from", description.data_from, "liegt nach dem erklärten Datenstand")
    return description, errors


def _title_totals(entries, bad) -> tuple[TitleTotal, ...]:
    if not isinstance(entries, list):
        bad("budget_title_totals", None, "erwartet eine Liste [[budget_title_totals]]")
        return ()
    out = []
    for i, e in enumerate(entries, 1):
        key = f"budget_title_totals[{i}]"
        try:
            amount = Decimal(str(e["amount_eur"]))
            total = TitleTotal(str(e["jobcenter_id"]), int(e["year"]), str(e["title"]),
                               amount.quantize(Decimal("0.01")))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            bad(key, None, "erwartet jobcenter_id, year, title und amount_eur (Betrag in Euro)")
            continue
        if total.title not in BUDGET_TITLES:
            bad(f"{key}.title", total.title,
                f"unbekannter Titel (erlaubt: {', '.join(BUDGET_TITLES)})")
            continue
        out.append(total)
    return tuple(out)
