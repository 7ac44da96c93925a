"""What a report is made of, independent of how it is rendered (HTML, PDF, XLSX, CSV).

A :class:`Report` has numbered :class:`Section` s holding narrative (Markdown, already filled
with figures), :class:`ReportTable` s and :class:`Chart` s. Values in tables are raw numbers with a
``kind`` that decides the German display format and the Excel number format; renderers never
compute. Disclosure control (:mod:`amip.reports.disclosure`) marks cells as suppressed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Union

Kind = Literal["count", "number", "pct", "change_pct", "eur", "text"]
Number = Union[int, float, Decimal]


@dataclass
class Column:
    label: str
    kind: Kind = "count"
    #: the count column(s) a share, rate or change is computed from (hidden with them)
    derived_from: int | tuple[int, ...] | None = None


@dataclass
class Row:
    label: str
    values: list[Number | str | None]
    level: int = 0  # indentation: 0 = main row, 1 = "darunter"
    total: bool = False  # a total row (bold)
    suppressed: set[int] = field(default_factory=set)  # column indices hidden by disclosure

    def shown(self, i: int) -> Number | str | None:
        return None if i in self.suppressed else self.values[i]


@dataclass
class ReportTable:
    """A table with typed columns. ``sums`` lists (total row, part rows) relations of every
    count column: the total is the parts plus a rest not shown (0 for an exact sum; e.g. sex
    ``d`` beside men and women), so that secondary suppression protects a hidden part or rest."""

    id: str  # stable name: the XLSX sheet and CSV file are named after it
    title: str
    columns: list[Column]
    rows: list[Row]
    stub: str = ""  # heading of the label column
    source: str = ""
    note: str = ""
    sums: list[tuple[int, list[int]]] = field(default_factory=list)
    public: bool = True  # published outputs apply disclosure control to public tables

    def cell(self, r: int, c: int):
        return self.rows[r].values[c]


@dataclass
class Chart:
    """A Vega-Lite chart (Altair ``Chart`` or a spec dict) and the data behind it, so that the
    same chart renders to SVG (reports) and in the browser, and its data can be downloaded."""

    id: str
    title: str
    spec: Any
    data: list[dict]
    source: str = ""
    note: str = ""


@dataclass
class Text:
    markdown: str


Block = Union[Text, ReportTable, Chart]


@dataclass
class Section:
    number: str  # "1", "2.1", "" for unnumbered (Vorwort)
    title: str
    blocks: list[Block] = field(default_factory=list)
    sections: list["Section"] = field(default_factory=list)
    placeholder: str = ""  # shown when a section has no data yet, e.g. budget before import

    def walk(self):
        yield self
        for s in self.sections:
            yield from s.walk()


@dataclass
class Report:
    kind: Literal["programme", "monthly"]
    title: str
    subtitle: str
    jobcenter_id: str
    jobcenter_name: str
    period: str  # e.g. "2020" or "2020-06"
    data_date: dt.date | None
    sections: list[Section]
    public: bool  # published (disclosure control applies) or internal
    definitions: list[tuple[str, str]] = field(default_factory=list)  # (term, definition)
    created: dt.date = field(default_factory=dt.date.today)

    def tables(self) -> list[ReportTable]:
        return [b for s in self.sections for x in s.walk() for b in x.blocks
                if isinstance(b, ReportTable)]

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for x in s.walk() for b in x.blocks
                if isinstance(b, Chart)]
