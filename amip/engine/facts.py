"""Person-level facts per Berichtsmonat, as backend-neutral Ibis expressions.

Each fact is a table of rows ``person_id, jobcenter_id, sex, m, rel_m`` (plus ``llu``/``luh`` for
the money facts): one row per person, Jobcenter and month m that the fact counts. ``rel_m`` is the
month whose Stichtag decides the person's team (caseload) for drill-down: the stock month for
stocks and Zugänge, the month before for Abgänge and for Integrationen (searched from the stock at
ST(m−1)).

The readings are those pinned in the domain reference §10; each method names its item.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import ibis
import ibis.expr.types as ir

from amip.catalogue import Parameters, RuleVersion
from amip.engine.calendar import (EPOCH, calendar, days, end_days, epoch_day, format_month,
                                  month_end, month_start, stichtag)
from amip.engine.month_sets import MonthBlocks
from amip.engine.prepared import prepared
from amip.engine.stocks import at_stichtage, counting

#: a fact's rows: the person's sex rides along from the spells (a person has one), so that the
#: counts by sex need no join with the 13 million persons at national size
KEYS = ["person_id", "jobcenter_id", "sex", "m"]
#: the keys of a month set (:mod:`amip.engine.month_sets`)
STOCK_KEYS = ["person_id", "jobcenter_id", "sex"]
#: the stock facts (and K3E2, a part of one) and their month sets (:meth:`Facts.bits`)
STOCK_BITS = {"elb": "elb_bits", "lzb": "lzb_bits", "single_parents": "single_parents_bits",
              "lzb_active": "lzb_active_bits"}

#: Facts and the method computing each; the catalogue's numerators and denominators name them.
FACTS = (
    "elb", "single_parents", "lzb", "elb_in", "elb_out", "lzb_in", "lzb_out", "integrations",
    "sv_integrations", "sv_continued", "integrations_lzb", "integrations_single_parents",
    "marginal_entries", "public_entries", "lzb_active", "llu", "luh",
)
MONEY_FACTS = ("llu", "luh")
#: the German name of each fact, wherever a person reads one (the Kennzahl pages' Zähler and
#: Nenner, the forecast's model description in reports and on the dashboard)
FACT_LABELS = {
    "elb": "ELB-Bestand", "single_parents": "Alleinerziehende", "lzb": "LZB-Bestand",
    "elb_in": "ELB-Zugänge", "elb_out": "ELB-Abgänge", "lzb_in": "LZB-Zugänge",
    "lzb_out": "LZB-Abgänge", "integrations": "Integrationen",
    "sv_integrations": "Integrationen in SV-Beschäftigung",
    "sv_continued": "kontinuierlich Beschäftigte", "integrations_lzb": "Integrationen von LZB",
    "integrations_single_parents": "Integrationen von Alleinerziehenden",
    "marginal_entries": "Eintritte in geringfügige Beschäftigung",
    "public_entries": "Eintritte in geförderte Beschäftigung", "lzb_active": "aktivierte LZB",
    "llu": "Leistungen zum Lebensunterhalt", "luh": "Leistungen für Unterkunft und Heizung",
}


def team_assignment(db, m_lo: int, m_hi: int) -> ir.Table:
    """The team of each person at ST(m) from ``caseload``: one row per person and month; where
    several caseload rows cover the Stichtag, the latest ``valid_from`` wins (tie: smallest
    unit_id). Columns: person_id, rel_m, unit_id and the row's ``role`` (ifk, fm, …)."""
    c = db.table("caseload")
    c = c.select("person_id", "unit_id", "role", vf=days(c.valid_from), vt=end_days(c.valid_to))
    cal = calendar(m_lo, m_hi)
    j = c.join(cal, (c.vf <= cal.st) & (c.vt >= cal.st))
    w = ibis.window(group_by=[j.person_id, j.m], order_by=[ibis.desc(j.vf), j.unit_id])
    j = j.mutate(_n=ibis.row_number().over(w))
    return j.filter(j._n == 0).select("person_id", rel_m=j.m, unit_id=j.unit_id, role=j.role)


def first_day(params: Parameters, m_lo: int) -> int:
    """The first day (epoch day) the spells of a :class:`Facts` from month ``m_lo`` reach: its
    first calendar month or the 730-day window of its first Stichtag, whichever begins
    earlier."""
    return min(epoch_day(month_start(m_lo)),
               epoch_day(stichtag(m_lo)) - (params.lzb_window_days - 1))


def reaches(params: Parameters, m_lo: int, m: int) -> bool:
    """Whether the spells of a :class:`Facts` from ``m_lo`` hold the calendar month ``m``."""
    return epoch_day(month_start(m)) >= first_day(params, m_lo)


def spell_days(db, name: str, *columns: str, until: int | None = None) -> ir.Table:
    """The corrected rows of a spell table with ``vf``, ``vt`` as day numbers; ``until``
    (epoch day): only rows beginning by then (``valid_from`` is part of every spell key, so
    cutting by it before the correction is exact, :meth:`StoreView.table`)."""
    if until is None:
        s = db.table(name)
    else:
        day = ibis.literal(EPOCH + dt.timedelta(days=until), "date")
        s = db.table(name, key_filter=lambda t: t.valid_from <= day)
    return s.select(*columns, vf=days(s.valid_from), vt=end_days(s.valid_to))


def net_starts(spells: ir.Table) -> ir.Table:
    """Each ``elb`` spell (``person_id, vf, vt`` and more) with ``new``: its first day that no
    spell of the person beginning before it covers (item 8: overlaps count once). In order of their
    first day, a spell adds only its days after ``reach``, the last day its earlier spells
    cover; those cover every day from its first day to ``reach`` (the spell reaching there
    began no later), so each day of the union lies in exactly one ``new..vt``. Spells ending
    before a window change no ``new`` inside it: a window's net days are the same from the
    spells reaching it or from all."""
    before = ibis.window(group_by=spells.person_id, order_by=[spells.vf, spells.vt],
                         rows=(None, -1))
    s = spells.mutate(reach=spells.vt.max().over(before))
    return s.mutate(new=ibis.greatest(s.vf, s.reach.fill_null(s.vf - 1) + 1)).drop("reach")


def single_spells(spells: ir.Table) -> ir.Table:
    """``elb`` spells with ``single``: the person's only ``elb`` spell. Its net days in any
    window are its own days there, so they need no grouping by person (:attr:`Facts.net_days`;
    three in four persons of the national extract have a single spell)."""
    return spells.mutate(single=spells.person_id.count().over(
        ibis.window(group_by=spells.person_id)) == 1)


def month_jobcenter(rows: ir.Table, spells: ir.Table) -> ir.Table:
    """Rows of a person and calendar month (``person_id, m, first_day, last_day`` + more) with
    the ``jobcenter_id`` of the person's ``elb_spells`` row (``elb`` or ``nef``; ``spells``
    with ``vf``, ``vt``) overlapping the month: the latest valid_from wins, tie: the smallest
    jobcenter_id (item 22). Rows of a person without such a spell are dropped."""
    s = spells.select("person_id", "jobcenter_id", "vf", "vt")  # the window sorts narrow rows
    j = rows.join(s, (rows.person_id == s.person_id) & (s.vf <= rows.last_day)
                  & (s.vt >= rows.first_day))
    w = ibis.window(group_by=[j.person_id, j.m], order_by=[ibis.desc(j.vf), j.jobcenter_id])
    j = j.mutate(_n=ibis.row_number().over(w))
    return j.filter(j._n == 0)


def benefit_jobcenter(db, months: list[int], spells: ir.Table) -> ir.Table:
    """The ``benefit_months`` rows of ``months`` with the Jobcenter of each person's month
    (:func:`month_jobcenter` over ``spells``) and the person's sex: person_id, jobcenter_id,
    sex, m, llu, luh."""
    names = [format_month(m) for m in months]
    b = db.table("benefit_months", key_filter=lambda t: t.month.isin(names))
    b = b.mutate(m=b.month.substr(0, 4).cast("int64") * 12
                 + b.month.substr(5, 2).cast("int64") - 1)
    # each month's first and last day as literals, not a join with a calendar (a planner
    # joining the spells to a calendar first pairs them with every month of it)
    b = b.filter(b.m.isin(months)).select(
        "person_id", "m", "llu_eur", "luh_eur",
        first_day=ibis.cases(*((b.m == m, epoch_day(month_start(m))) for m in months),
                             else_=None) if months else ibis.null("int64"),
        last_day=ibis.cases(*((b.m == m, epoch_day(month_end(m))) for m in months),
                            else_=None) if months else ibis.null("int64"))
    j = month_jobcenter(b, spells)
    j = j.select("person_id", "jobcenter_id", "m", llu=j.llu_eur, luh=j.luh_eur)
    return with_sex(db, j)


def with_sex(db, rows: ir.Table) -> ir.Table:
    """Rows of persons with their ``sex`` (every person_id of the extract is in ``persons``)."""
    return rows.join(db.table("persons").select("person_id", "sex"), "person_id")


class Facts:
    """Facts for months ``m_lo..m_hi`` under one rule version.

    Months near ``m_lo`` lack history (e.g. Zugänge need the stock of m−1); callers ask for a range
    that starts early enough (see :func:`amip.engine.measures.months_needed`).
    """

    #: tables cut to the range's reach (not to its months): a Facts over a wider range of the
    #: same view, Jobcenter and rule version holds all this one reads and can lend them
    #: (``within``)
    RANGE_FREE = ("spells", "employment", "measures")

    def __init__(self, db, rules: RuleVersion, params: Parameters, m_lo: int, m_hi: int,
                 jobcenter_id: str | None = None, materialize: bool = True,
                 within: "Facts | None" = None) -> None:
        self.db, self.rules, self.params = db, rules, params
        self.m_lo, self.m_hi, self.jobcenter_id = m_lo, m_hi, jobcenter_id
        self.materialize = materialize  # False: pure expressions, nothing cached
        self.cal = calendar(m_lo, m_hi)
        self.blocks = MonthBlocks(m_lo, m_hi)
        self._cached: list[ir.Table] = []
        self._benefits: dict[frozenset[int], ir.Table] = {}
        if within is not None:
            self._borrow(within)

    def _borrow(self, wider: "Facts") -> None:
        """Reuse what an open Facts over a range holding this one (same view and Jobcenter)
        has computed already: the spell tables, and the ELB stock cut to these months (the
        stock of a month does not depend on the range). Still owned (and released) by it."""
        if wider.db is not self.db or wider.jobcenter_id != self.jobcenter_id \
                or wider.m_lo > self.m_lo or wider.m_hi < self.m_hi:
            raise ValueError("within: a Facts of the same view and Jobcenter over a wider range")
        for name in self.RANGE_FREE:
            if name in wider.__dict__:
                self.__dict__[name] = wider.__dict__[name]
        if "elb" in wider.__dict__:
            e = wider.elb
            self.__dict__["elb"] = e.filter((e.m >= self.m_lo) & (e.m <= self.m_hi))
        if "teams" in wider.__dict__:
            t = wider.teams
            self.__dict__["teams"] = t.filter((t.rel_m >= self.m_lo - 1) & (t.rel_m <= self.m_hi))

    def _materialize(self, expr: ir.Table) -> ir.Table:
        """Compute a shared intermediate table once (the backend adapter caches it): later
        expressions stay small (fast to compile) and the work is not repeated."""
        if not self.materialize:
            return expr
        table = self.db.adapter.cache(expr)
        self._cached.append(table)
        return table

    def close(self) -> None:
        """Release the cached tables."""
        adapter = self.db.adapter if self._cached else None
        for table in self._cached:
            adapter.release(table)
        self._cached.clear()

    def __enter__(self) -> "Facts":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def table(self, fact: str) -> ir.Table:
        if fact not in FACTS:
            raise KeyError(f"unknown fact {fact!r}")
        return getattr(self, fact)

    def bits(self, fact: str) -> ir.Table | None:
        """The month sets of a stock fact (person_id, jobcenter_id, blk, bits), whose rows
        :meth:`table` gives; None for a fact that is not a stock."""
        return getattr(self, STOCK_BITS[fact]) if fact in STOCK_BITS else None

    # -- building blocks ----------------------------------------------------------------------

    @cached_property
    def teams(self) -> ir.Table:
        """The team of each person at ST(m_lo−1..m_hi) (:func:`team_assignment`), computed once:
        the counts by team, the money sums and role-restricted facts all join it."""
        return self._materialize(team_assignment(self.db, self.m_lo - 1, self.m_hi))

    def _spell_days(self, name: str, first: int, last: int, *columns: str,
                    keep: bool = True) -> ir.Table:
        """The rows of a spell table (:func:`spell_days`) reaching into the days
        ``first..last`` (epoch days). ``keep``: computed once (cached) for the facts that read
        it several times."""
        s = spell_days(self.db, name, *columns, until=last)
        s = s.filter(s.vt >= first)
        return self._materialize(s) if keep else s

    @cached_property
    def spells(self) -> ir.Table:
        """``elb_spells`` (every status) of all Jobcenter reaching into the range, with the
        person's sex: its calendar months (the Jobcenter of a benefit month, item 22) and the
        730-day windows of its Stichtage (LZB days count across Jobcenter, item 8); corrected
        once for all facts, or read from the rows the import prepared."""
        first, last = self.first_day, epoch_day(month_end(self.m_hi))
        kept = prepared(self.db, "elb_spells")
        if kept is not None:  # a table: read where needed, not copied
            return kept.filter((kept.vt >= first) & (kept.vf <= last))
        s = self._spell_days("elb_spells", first, last, "person_id", "jobcenter_id", "bg_id",
                             "bg_role", "status", keep=False)
        return self._materialize(with_sex(self.db, s))

    @property
    def first_day(self) -> int:
        return first_day(self.params, self.m_lo)

    def reaches(self, m: int) -> bool:
        """Whether the money facts of month ``m`` (before or in the range) can be summed here:
        :attr:`spells` hold its calendar month (teams cover the range only)."""
        return m <= self.m_hi and reaches(self.params, self.m_lo, m)

    @property
    def elb_spells(self) -> ir.Table:
        """The ``elb`` spells of :attr:`spells` (:func:`amip.engine.stocks.counting`)."""
        return counting(self.spells)

    @cached_property
    def employment(self) -> ir.Table:
        """Employment spells (corrected) as day numbers, reaching into the range's search
        windows and the later Stichtage of continued employment; read by five facts."""
        later = self.m_hi + max(self.rules.k2e3_months_after)
        return self._spell_days("employment_spells", epoch_day(stichtag(self.m_lo - 1)),
                                epoch_day(stichtag(later)), "person_id", "kind", "funding")

    @cached_property
    def measures(self) -> ir.Table:
        """Measure spells (corrected) as day numbers, reaching into the range's search windows
        and Stichtage."""
        return self._spell_days("measure_spells", epoch_day(stichtag(self.m_lo - 1)),
                                epoch_day(stichtag(self.m_hi)), "person_id", "instrument")

    def _own(self, t: ir.Table) -> ir.Table:
        return t if self.jobcenter_id is None else t.filter(t.jobcenter_id == self.jobcenter_id)

    @cached_property
    def stichtage(self) -> dict[int, int]:
        """The Stichtag of each month of the range, as an epoch day."""
        return {m: epoch_day(stichtag(m)) for m in range(self.m_lo, self.m_hi + 1)}

    @cached_property
    def elb_bits(self) -> ir.Table:
        """The ELB stock as month sets (:mod:`amip.engine.month_sets`): person_id,
        jobcenter_id, sex, blk, bits: the Stichtage an ``elb`` spell covers (items 2, 17)."""
        return self._materialize(self.blocks.covered(self._own(self.elb_spells), STOCK_KEYS,
                                                     self.stichtage))

    def _rows(self, bits: ir.Table) -> ir.Table:
        """A stock's rows (``KEYS`` + rel_m = m) from its month sets; not cached: the counts
        read the sets themselves, other facts test bits (:meth:`_windowed`)."""
        rows = self.blocks.rows(bits, STOCK_KEYS)
        return rows.mutate(rel_m=rows.m)

    @cached_property
    def elb(self) -> ir.Table:
        """ELB stock at ST(m): distinct persons with an ``elb`` spell covering it (items 2, 17;
        :mod:`amip.engine.stocks`)."""
        return self._rows(self.elb_bits)

    @cached_property
    def bg(self) -> ir.Table:
        """BG stock at ST(m): the Bedarfsgemeinschaften of the ``elb`` spells covering it
        (:func:`amip.engine.stocks.bg_stock` for every month): bg_id, jobcenter_id, m. Not a
        person fact (no measure counts it); the programme's Jahresdurchschnitt does."""
        j = at_stichtage(self._own(self.elb_spells), self.cal)
        return j.select("bg_id", "jobcenter_id", "m").distinct()

    @cached_property
    def single_parents_bits(self) -> ir.Table:
        """Alleinerziehende at ST(m) as month sets: an ``elb`` spell as ``head`` of a BG whose
        ``bg_spells`` row covering the Stichtag has type ``single_parent`` (item 18); both
        cover it exactly when their overlap does."""
        s = self._own(self.elb_spells)
        s = s.filter(s.bg_role == "head")
        st = self.stichtage
        b = self._spell_days("bg_spells", min(st.values()), max(st.values()), "bg_id",
                             "jobcenter_id", "bg_type", keep=False)
        b = b.filter(b.bg_type == "single_parent")
        j = s.join(b, [s.bg_id == b.bg_id, s.jobcenter_id == b.jobcenter_id])
        j = j.select(s.person_id, s.jobcenter_id, s.sex, vf=ibis.greatest(s.vf, b.vf),
                     vt=ibis.least(s.vt, b.vt))
        return self._materialize(self.blocks.covered(j, STOCK_KEYS, st))

    @property
    def single_parents(self) -> ir.Table:
        return self._rows(self.single_parents_bits)

    @cached_property
    def net_days(self) -> ir.Table:
        """Net ELB days (any Jobcenter, overlaps once) in the window of 730 days ending with
        ST(m), Stichtag included (item 8), of every person with such days: person_id and
        ``n<m>`` for each month m of the range: one grouped pass over :func:`net_starts`,
        prepared by the import (:mod:`amip.engine.prepared`) or computed here; prepared, the
        persons of a single spell are not grouped."""
        window = self.params.lzb_window_days
        st = self.stichtage
        s = self.elb_spells
        kept = prepared(self.db, "elb_spells") is not None
        s = s if kept else net_starts(s)
        s = s.filter((s.vt >= min(st.values()) - (window - 1)) & (s.vf <= max(st.values())))
        # int32: DuckDB sums int64 into int128
        days = {f"n{m}": ibis.greatest(ibis.least(s.vt, day)
                                       - ibis.greatest(s.new, day - (window - 1)) + 1, 0)
                .cast("int32") for m, day in st.items()}
        if not kept:
            return s.group_by("person_id").aggregate(**{n: d.sum() for n, d in days.items()})
        # the persons of a single spell (prepared: single_spells) need no grouping
        one = s.filter(s.single).select("person_id", **{n: d.cast("int64")
                                                        for n, d in days.items()})
        more = s.filter(~s.single).group_by("person_id").aggregate(
            **{n: d.sum() for n, d in days.items()})
        return ibis.union(one, more, distinct=False)

    @cached_property
    def elb_days(self) -> ir.Table:
        """:attr:`net_days` as rows for each person in the ELB stock at ST(m): person_id, m,
        net."""
        d = self.net_days
        parts = [d.select("person_id", m=ibis.literal(m, "int64"), net=d[f"n{m}"])
                 for m in self.stichtage]
        rows = ibis.union(*parts, distinct=False)
        e = self.elb.select("person_id", "m").distinct()
        return rows.semi_join(e, ["person_id", "m"])

    @cached_property
    def lzb_bits(self) -> ir.Table:
        """LZB as month sets: in the ELB stock, and ≥ threshold (638) net ELB days in the
        window of 730 days ending with the Stichtag, Stichtag included (item 8)."""
        d, threshold = self.net_days, self.params.lzb_threshold_days
        long = self.blocks.bits(lambda m: d[f"n{m}"] >= threshold)
        long = self.blocks.stacked(d.select("person_id", **{f"b{b}": v for b, v in long.items()}),
                                   ["person_id"])
        e = self.elb_bits
        j = e.join(long, [e.person_id == long.person_id, e.blk == long.blk])
        j = j.select(*STOCK_KEYS, blk=e.blk, bits=e.bits & long.bits)
        return self._materialize(j.filter(j.bits != 0))

    @property
    def lzb(self) -> ir.Table:
        """LZB at ST(m) as rows (:attr:`lzb_bits`)."""
        return self._rows(self.lzb_bits)

    # -- movements (items 9, 17): stock comparisons per Jobcenter --------------------------------

    def _arrivals(self, bits: ir.Table) -> ir.Table:
        rows = self.blocks.arrivals(bits, STOCK_KEYS)
        return rows.mutate(rel_m=rows.m)

    def _departures(self, bits: ir.Table) -> ir.Table:
        rows = self.blocks.departures(bits, STOCK_KEYS)
        return rows.mutate(rel_m=rows.m - 1)

    @cached_property
    def elb_in(self) -> ir.Table:
        return self._arrivals(self.elb_bits)

    @cached_property
    def elb_out(self) -> ir.Table:
        return self._departures(self.elb_bits)

    @cached_property
    def lzb_in(self) -> ir.Table:
        return self._arrivals(self.lzb_bits)

    @cached_property
    def lzb_out(self) -> ir.Table:
        return self._departures(self.lzb_bits)

    # -- entries with the search windows of item 4 ----------------------------------------------

    def _windowed(self, starts: ir.Table) -> ir.Table:
        """Assign starts (``person_id, sd`` + extra columns) to Berichtsmonate (item 4).

        A start in (ST(k−1), ST(k)] counts in month k for a person in the stock at ST(k−1)
        (window A), and in month k+1 for a person in the stock at ST(k) but not at ST(k−1)
        (window B). Columns: person_id, jobcenter_id, sex, m, rel_m, and the extra columns.
        Both stocks are bits of one month set (:meth:`_at`), so no anti-join.
        """
        c = self.cal
        extra = [n for n in starts.columns if n not in ("person_id", "sd")]
        k = starts.join(c, (starts.sd > c.st_prev) & (starts.sd <= c.st))
        k = k.select("person_id", *extra, m=k.m)
        j, now, before = self._at(k, self.elb_bits, ["person_id"])
        cols = ["person_id", j.jobcenter_id, j.sex, *extra]
        a = j.filter(before == 1).select(*cols, m=j.m, rel_m=j.m - 1)
        b = j.filter((now == 1) & (before == 0)).select(*cols, m=j.m + 1, rel_m=j.m)
        return a.union(b, distinct=False)

    def _at(self, rows: ir.Table, bits: ir.Table, keys: list[str]):
        """``rows`` (with month ``m`` and ``keys``) joined to the month sets ``bits`` on the
        keys and the block owning m, and the bits of months m and m−1 (0 or 1) as expressions.
        Rows of months outside the range drop out."""
        o = self.blocks.owned
        r = rows.join(o, "m")
        j = r.join(bits, [r[k] == bits[k] for k in keys] + [r.blk == bits.blk])
        return j, (j.bits >> j.i) & 1, ((j.bits << 1) >> j.i) & 1

    def _employment_starts(self, condition) -> ir.Table:
        e = self.employment
        e = e.filter(condition(e))
        return e.select("person_id", sd=e.vf, is_sv=ibis.ifelse(e.kind == "sv", 1, 0))

    def _once_per_month(self, rows: ir.Table, **flags) -> ir.Table:
        """At most one entry per person, Jobcenter and Berichtsmonat (item 4, item 19)."""
        g = rows.group_by(*KEYS, "rel_m")
        return g.aggregate(**{name: rows[col].max() for name, col in flags.items()}) if flags \
            else rows.select(*KEYS, "rel_m").distinct()

    @cached_property
    def integrations(self) -> ir.Table:
        """Integrationen: starts of the counted kinds and fundings of the rule version (item 4)."""
        r = self.rules
        starts = self._employment_starts(
            lambda e: e.kind.isin(r.integration_kinds) & e.funding.isin(r.integration_fundings))
        rows = self._own(self._windowed(starts))
        return self._materialize(self._once_per_month(rows, sv="is_sv"))

    @cached_property
    def sv_integrations(self) -> ir.Table:
        """The K2E3 base: person-months with at least one counted ``sv`` start (item 21)."""
        i = self.integrations
        return i.filter(i.sv == 1).select(*KEYS, "rel_m")

    @cached_property
    def sv_continued(self) -> ir.Table:
        """sv integrations whose person holds ``sv`` employment (any funding) at the Stichtag of
        each month m+k, k in the rule version's list (VO 2019: 1..6; VO 2010: 12) (items 7, 21)."""
        ks = self.rules.k2e3_months_after
        later = calendar(self.m_lo, self.m_hi + max(ks))
        base = self.sv_integrations
        e = self.employment
        e = e.filter(e.kind == "sv").select("person_id", "vf", "vt")
        e = e.semi_join(base, "person_id")  # only the integrated persons' Stichtage
        cover = e.join(later, (e.vf <= later.st) & (e.vt >= later.st))
        cover = cover.select("person_id", cm=cover.m).distinct()
        offsets = ibis.memtable({"k": list(ks)}, schema={"k": "int64"})
        wanted = base.cross_join(offsets).mutate(cm=ibis._.m + ibis._.k)
        hit = wanted.join(cover, [wanted.person_id == cover.person_id, wanted.cm == cover.cm])
        n = hit.group_by(*KEYS, "rel_m").aggregate(months=hit.k.nunique())
        return n.filter(n.months == len(ks)).select(*KEYS, "rel_m")

    def _in_group_before(self, rows: ir.Table, group: ir.Table) -> ir.Table:
        """Rows whose person belongs to the stock ``group`` (month sets) at ST(m−1) at the
        same Jobcenter (item 18)."""
        j, _, before = self._at(rows, group, STOCK_KEYS)
        return j.filter(before == 1).select(*KEYS, "rel_m")

    @cached_property
    def integrations_lzb(self) -> ir.Table:
        return self._in_group_before(self.integrations.select(*KEYS, "rel_m"), self.lzb_bits)

    @cached_property
    def integrations_single_parents(self) -> ir.Table:
        return self._in_group_before(self.integrations.select(*KEYS, "rel_m"),
                                     self.single_parents_bits)

    @cached_property
    def marginal_entries(self) -> ir.Table:
        """K2E1: starts of ``marginal`` employment, any funding, windows of item 4 (item 19)."""
        starts = self._employment_starts(lambda e: e.kind == "marginal")
        return self._once_per_month(self._own(self._windowed(starts.drop("is_sv"))))

    @cached_property
    def public_entries(self) -> ir.Table:
        """K2E2: starts of employment funded as öffentlich gefördert, or of a public-employment
        instrument; the same entry in both tables counts once (item 19)."""
        r = self.rules
        jobs = self._employment_starts(lambda e: e.funding.isin(r.public_fundings)).drop("is_sv")
        m = self.measures
        m = m.filter(m.instrument.isin(r.public_instruments))
        measures = m.select("person_id", sd=m.vf)
        return self._once_per_month(self._own(self._windowed(jobs.union(measures))))

    @cached_property
    def lzb_active_bits(self) -> ir.Table:
        """K3E2 as month sets: LZB at ST(m) (:attr:`lzb_bits`) and in a measure of the
        activation list covering ST(m); persons, not Förderfälle; only ``measure_spells``
        count (items 10, 24)."""
        ms = self.measures
        ms = ms.filter(ms.instrument.isin(self.rules.activation_instruments))
        active = self.blocks.covered(ms, ["person_id"], self.stichtage)
        z = self.lzb_bits
        j = z.join(active, [z.person_id == active.person_id, z.blk == active.blk])
        j = j.select(*STOCK_KEYS, blk=z.blk, bits=z.bits & active.bits)
        return j.filter(j.bits != 0)

    @property
    def lzb_active(self) -> ir.Table:
        """K3E2 rows (:attr:`lzb_active_bits`)."""
        return self._rows(self.lzb_active_bits)

    # -- money (items 11, 22) -------------------------------------------------------------------

    def benefits(self, months: set[int] | None = None, keep: bool = True) -> ir.Table:
        """benefit_months rows assigned to the Jobcenter of the person's ``elb``/``nef`` spell
        overlapping the calendar month (latest valid_from wins; tie: smallest jobcenter_id):
        person_id, jobcenter_id, sex, m, rel_m, llu, luh. ``months`` (default: the whole range)
        computes only those months: the measures read the sums of t and t−12 only
        (:func:`amip.engine.measures.fact_months`), and no other fact builds on these rows.
        ``keep``: computed once (cached) for callers that read them more than once; the
        money sums read them once (at national size writing them costs a third of the
        query)."""
        months = frozenset(range(self.m_lo, self.m_hi + 1) if months is None else months)
        if months in self._benefits:
            return self._benefits[months]
        kept = prepared(self.db, "benefit_months")
        if kept is not None:
            b = kept.filter(kept.m.isin(sorted(months)))
        else:
            b = benefit_jobcenter(self.db, sorted(months), self._month_spells(months))
        rows = self._own(b.select(*KEYS, rel_m=b.m, llu=b.llu, luh=b.luh))
        if keep:
            rows = self._benefits[months] = self._materialize(rows)
        return rows

    def _month_spells(self, months: frozenset[int] | None) -> ir.Table:
        """The ``elb_spells`` rows that may give the Jobcenter of the calendar months
        ``months``: :attr:`spells` once read, else (the next month's sums of t−12 alone) only
        the spells of those months, read once, instead of the range's."""
        if months is None or "spells" in self.__dict__:
            return self.spells
        return self._spell_days("elb_spells", epoch_day(month_start(min(months))),
                                epoch_day(month_end(max(months))), "person_id", "jobcenter_id",
                                keep=False)

    def month_jobcenter(self, rows: ir.Table, months: frozenset[int] | None = None) -> ir.Table:
        """:func:`month_jobcenter` with the spells of this range (:meth:`_month_spells`)."""
        return month_jobcenter(rows, self._month_spells(months))

    @property
    def llu(self) -> ir.Table:
        return self.benefits()

    @property
    def luh(self) -> ir.Table:
        return self.benefits()
