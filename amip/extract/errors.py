"""Errors found in an extract: each names file, line, column and value, in German."""

from __future__ import annotations

import re
from dataclasses import dataclass

from amip import i18n
from amip.errors import DataError
from amip.extract.schema import TABLES

#: a bad value is quoted with at most this many characters, then "…"
EXCERPT = 40
#: at most this many errors are shown in the text of :class:`ExtractInvalid`
SHOWN = 50


@dataclass(frozen=True, order=True)
class ExtractError:
    """One problem in an extract file.

    ``line`` is the line in a CSV file (the header is line 1) or the row number in a Parquet
    file (first row = 1); it is ``None`` for problems of the whole file. ``value`` is the bad
    value, cut to :data:`EXCERPT` characters (see :func:`excerpt`).
    """

    file: str
    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"Zeile {self.line}")
        if self.column is not None:
            where.append(f"Spalte {self.column}")
        if self.value is not None:
            where.append(f"Wert {excerpt(self.value)!r}")  # repr: control characters visible
        return ", ".join(where) + ": " + self.message


def excerpt(value: str) -> str:
    """``value`` cut to :data:`EXCERPT` characters, with "…" when cut (validation cuts in SQL
    already, so that a huge field is never fetched; this keeps other messages short too)."""
    return value if len(value) <= EXCERPT + 1 else value[:EXCERPT] + "…"


class ExtractInvalid(DataError):
    """Raised when an extract fails validation; nothing from it has been imported."""

    def __init__(self, errors: list[ExtractError], source: str = "") -> None:
        self.errors = sorted(errors, key=sort_key)
        self.source = source
        files = list(dict.fromkeys(e.file for e in self.errors))
        more = len(self.errors) - SHOWN
        name = f"Auszug {source}" if source else "Auszug"
        super().__init__(
            f"{name} ist ungültig: {i18n.num(len(self.errors))} Fehler in {', '.join(files)}; "
            "nichts wurde importiert.\n"
            + "\n".join(f"  {e}" for e in self.errors[:SHOWN])
            + (f"\n  … und {i18n.num(more)} weitere" if more > 0 else "")
        )


_ORDER = {name: i for i, name in enumerate(TABLES)}


def sort_key(e: ExtractError) -> tuple:
    """Root causes first: tables in dependency order (:data:`TABLES`: referenced tables before
    the tables referring to them; problems of the folder before all), then file, line and
    column as declared; problems without a line come after a file's lines."""
    name = re.match(r"[a-z_]+", e.file)  # 'persons.csv', 'persons (synth)', 'a.csv and a.parquet'
    table = TABLES.get(name.group()) if name else None
    columns = table.column_names if table else ()
    return (_ORDER[table.name] if table else -1, e.file,
            e.line if e.line is not None else float("inf"),
            columns.index(e.column) if e.column in columns else len(columns), e.message)
