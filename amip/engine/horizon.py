"""The data horizon: how far each table's data reach, and whether a figure for month t exists.

Readings: domain reference §10.2, items 28–30. Per table the **Datenstand** is the date declared
in the extract's ``extract.toml`` (it wins), else the latest ``recorded_on``; with an as-of date
D, at most D. A figure exists only when every table it reads reaches what it needs
(amip/catalogue/horizon.toml); otherwise it is null with a German reason, the same in every shell.

>>> h = horizon(store.view())
>>> h.reason(cat.indicators["K1"], parse_month("2020-12"), cat.rules_for(...))
'Leistungsdaten für Dezember 2020 noch nicht erfasst (Datenstand 30.11.2020)'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from amip import i18n
from amip.catalogue import Catalogue, Indicator, RuleVersion, load
from amip.engine.calendar import month_end, month_index, month_start, parse_month, stichtag
from amip.engine.measures import measure

#: where a table's Datenstand comes from, in German (Datenstand page, ``amip imports``)
SOURCES = {"declared": "erklärt (extract.toml)", "recorded_on": "letztes recorded_on",
           "as_of": "Stichtag der Auswertung (--as-of)"}


class NoFigures(ValueError):
    """No figure exists for the month or year asked for; the message names the covered range."""


@dataclass(frozen=True)
class Reach:
    """How far one table's data reach."""
    table: str
    label: str
    first: dt.date | None  # the first day the data show completely (None: no rows)
    last: dt.date | None  # the Datenstand
    source: str  # declared | recorded_on | as_of

    @property
    def source_label(self) -> str:
        return SOURCES[self.source]


@dataclass
class Horizon:
    tables: dict[str, Reach]
    months_present: dict[str, frozenset[int]]  # for tables that must hold whole months
    as_of: dt.date | None = None
    catalogue: Catalogue = field(default_factory=load)
    _memo: dict = field(default_factory=dict, repr=False)

    # -- one table ------------------------------------------------------------------------------

    def table_reason(self, table: str, m: int) -> str | None:
        """Why ``table`` does not serve month ``m`` (None: it does)."""
        key = (table, m)
        if key not in self._memo:
            self._memo[key] = self._table_reason(table, m)
        return self._memo[key]

    def _table_reason(self, table: str, m: int) -> str | None:
        r, spec = self.tables[table], self.catalogue.tables[table]
        if r.last is None:
            return f"{r.label}: keine Daten im Datenbestand"
        stand = f"Datenstand {i18n.day(r.last)}"
        if spec.reach == "month":
            label = i18n.month(month_start(m))
            if month_end(m) > r.last:
                return f"{r.label} für {label} noch nicht erfasst ({stand})"
            if r.first and month_start(m) < r.first:
                return f"{r.label} für {label} liegen nicht vor (Daten ab {i18n.month(r.first)})"
            if m not in self.months_present.get(table, frozenset()):
                return f"{r.label} für {label} fehlen im Datenbestand ({stand})"
            return None
        day = stichtag(m)
        if day > r.last:
            return f"{r.label} reichen noch nicht bis zum Stichtag {i18n.day(day)} ({stand})"
        if r.first and day < r.first:
            return (f"{r.label} für den Stichtag {i18n.day(day)} liegen nicht vor "
                    f"(Daten ab {i18n.day(r.first)})")
        return None

    # -- one figure -----------------------------------------------------------------------------

    def reads(self, ind: Indicator, t: int, jfw: bool = False) -> list[tuple[str, int]]:
        """The (fact, month) pairs the measure reads for month ``t``, from its form."""
        seen: list[tuple[str, int]] = []

        def get(fact: str, m: int) -> int:
            if (fact, m) not in seen:
                seen.append((fact, m))
            return 1

        measure(ind, get, t, jfw=jfw)
        return seen

    def reason(self, ind: Indicator, t: int, rules: RuleVersion, jfw: bool = False) -> str | None:
        """Why the figure of ``ind`` for month ``t`` does not exist (None: it exists). The
        latest missing month is named first (the usual case: data not yet recorded)."""
        key = (ind.code, t, rules.key, jfw)
        if key in self._memo:
            return self._memo[key]
        wanted: dict[tuple[int, str], int] = {}
        for fact, m in self.reads(ind, t, jfw):
            need = self.catalogue.needs[fact]
            months = list(range(m - need.before, m + 1))
            if need.ahead:
                months += [m + k for k in getattr(rules, need.ahead)]
            for i, table in enumerate(need.tables):
                for mm in months:
                    wanted.setdefault((mm, table), i)
        why = None  # the latest month first; within it, the tables in their declared order
        for mm, table in sorted(wanted, key=lambda x: (-x[0], wanted[x])):
            why = self.table_reason(table, mm)
            if why:
                break
        self._memo[key] = why
        return why

    def fact_cutoff(self, fact: str, t: int, rules: RuleVersion) -> int:
        """The latest month ≤ ``t`` whose value of ``fact`` the data reach (its tables at the
        month and at the later Stichtage it waits for); ``t − 24`` at the least."""
        need = self.catalogue.needs[fact]
        ahead = list(getattr(rules, need.ahead)) if need.ahead else []
        for m in range(t, t - 24, -1):
            if not any(self.table_reason(table, mm) for table in need.tables
                       for mm in [m] + [m + k for k in ahead]):
                return m
        return t - 24

    def rules_for(self, m: int, rules: str | None = None) -> RuleVersion:
        cat = self.catalogue
        return cat.rules[rules] if rules else cat.rules_for(stichtag(m))

    def any_figure(self, t: int, rules: str | None = None) -> bool:
        version = self.rules_for(t, rules)
        return any(self.reason(i, t, version) is None for i in self.catalogue.indicators.values())

    def complete(self, t: int) -> bool:
        """Every measure exists for ``t``, except those that wait for later Stichtage (K2E3)."""
        version = self.rules_for(t)
        waits = {f for f, n in self.catalogue.needs.items() if n.ahead}
        return all(self.reason(i, t, version) is None
                   for i in self.catalogue.indicators.values()
                   if not {i.numerator, i.denominator} & waits)

    # -- ranges ---------------------------------------------------------------------------------

    def _span(self) -> tuple[int, int] | None:
        firsts = [r.first for r in self.tables.values() if r.first and r.last]
        lasts = [r.last for r in self.tables.values() if r.last]
        if not firsts or not lasts:
            return None
        return month_index(min(firsts)), month_index(max(lasts))

    def figure_range(self, rules: str | None = None) -> tuple[int, int] | None:
        """The first and the last month for which any figure exists (None: none at all)."""
        key = ("range", rules)
        if key not in self._memo:
            span, found = self._span(), None
            if span is not None:
                ms = range(span[0], span[1] + 1)
                first = next((m for m in ms if self.any_figure(m, rules)), None)
                last = next((m for m in reversed(ms) if self.any_figure(m, rules)), None)
                found = None if first is None else (first, last)
            self._memo[key] = found
        return self._memo[key]

    def latest_complete(self) -> int | None:
        """The latest month for which every measure (but K2E3) exists: the dashboard's default."""
        span = self.figure_range()
        if span is None:
            return None
        return next((m for m in range(span[1], span[0] - 1, -1) if self.complete(m)), None)

    def covered_text(self, rules: str | None = None) -> str:
        """German: the range of months with figures and the Datenstand."""
        span = self.figure_range(rules)
        if span is None:
            return "Der Datenbestand enthält keine Daten, aus denen sich Kennzahlen ergeben."
        stand = self.data_date()
        return (f"Kennzahlen gibt es für {i18n.month(month_start(span[0]))} bis "
                f"{i18n.month(month_start(span[1]))}"
                + (f" (Datenstand {i18n.day(stand)})" if stand else "") + ".")

    def check_months(self, months: list[int], rules: str | None = None) -> list[int]:
        """The months of ``months`` with any figure, in order; :class:`NoFigures` when none has."""
        span = self.figure_range(rules)
        inside = [m for m in months if span and span[0] <= m <= span[1]]
        if not inside:
            asked = i18n.month(month_start(months[0])) if len(months) == 1 else \
                f"{i18n.month(month_start(months[0]))} bis {i18n.month(month_start(months[-1]))}"
            raise NoFigures(f"Für {asked} gibt es keine Kennzahlen: {self.covered_text(rules)}")
        return inside

    def data_date(self) -> dt.date | None:
        """The Datenstand of the ELB data: the one date shown where a single date is asked for."""
        return self.tables["elb_spells"].last if "elb_spells" in self.tables else None


def horizon(db) -> Horizon:
    """The horizon of a store view (its ``as_of`` applies), one query per table.

    Where the data begin: the declared ``data_from``, else the earliest ``recorded_on`` of any
    spell table (a table whose first row comes later simply had no events before); a table
    that must hold whole months begins with its first month. A spell table without rows reaches
    as far as the others."""
    cat = load()
    description = db.description() if hasattr(db, "description") else None
    found, present = {}, {}
    for name, spec in cat.tables.items():
        t = db.recorded(name)
        if spec.reach == "month":
            months = t.select("month").distinct().to_pyarrow().column(0).to_pylist()
            present[name] = frozenset(parse_month(m) for m in months if m)
        row = t.aggregate(lo=t.recorded_on.min(), hi=t.recorded_on.max()).to_pyarrow() \
            .to_pylist()[0]
        found[name] = (_date(row["lo"]), _date(row["hi"]))
    declared_from = description.data_from if description else None
    begin = declared_from or min((lo for n, (lo, _) in found.items()
                                  if lo and cat.tables[n].reach == "stichtag"), default=None)
    latest = max((hi for n, (_, hi) in found.items()
                  if hi and cat.tables[n].reach == "stichtag"), default=None)
    tables = {}
    for name, spec in cat.tables.items():
        hi = found[name][1]
        if hi is None and spec.reach == "stichtag":
            hi = latest  # no spells of this kind: none happened while the others were recorded
        declared = description.declared(name) if description else None
        last, source = (declared, "declared") if declared else (hi, "recorded_on")
        if hi is None:  # no rows (known at as-of): a declaration cannot make data
            last = None
        if db.as_of is not None and last is not None and db.as_of < last:
            last, source = db.as_of, "as_of"
        first = begin
        if spec.reach == "month":  # the first month held (its rows are recorded after it)
            held = month_start(min(present[name])) if present.get(name) else None
            first = max(filter(None, (declared_from, held)), default=None)
        tables[name] = Reach(name, spec.label, first, last, source)
    return Horizon(tables, present, db.as_of, cat)


def _date(value) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value
