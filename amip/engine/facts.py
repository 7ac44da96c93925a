"""Person-level facts per Berichtsmonat, as backend-neutral Ibis expressions.

Each fact is a table of rows ``person_id, jobcenter_id, m, rel_m`` (plus ``llu``/``luh`` for the
money facts): one row per person, Jobcenter and month m that the fact counts. ``rel_m`` is the
month whose Stichtag decides the person's team (caseload) for drill-down: the stock month for
stocks and Zugänge, the month before for Abgänge and for Integrationen (searched from the stock at
ST(m−1)).

The readings are those pinned in the domain reference §10; each method names its item.
"""

from __future__ import annotations

from functools import cached_property

import ibis
import ibis.expr.types as ir

from amip.catalogue import Parameters, RuleVersion
from amip.engine.calendar import calendar, days, end_days, format_month
from amip.engine.stocks import at_stichtage, elb_spells

KEYS = ["person_id", "jobcenter_id", "m"]

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


class Facts:
    """Facts for months ``m_lo..m_hi`` under one rule version.

    Months near ``m_lo`` lack history (e.g. Zugänge need the stock of m−1); callers ask for a range
    that starts early enough (see :func:`amip.engine.measures.months_needed`).
    """

    #: tables that do not depend on the months asked (or the rule version): a Facts over a wider
    #: range of the same view and Jobcenter can lend them (``within``)
    RANGE_FREE = ("elb_spells", "employment", "measures")

    def __init__(self, db, rules: RuleVersion, params: Parameters, m_lo: int, m_hi: int,
                 jobcenter_id: str | None = None, materialize: bool = True,
                 within: "Facts | None" = None) -> None:
        self.db, self.rules, self.params = db, rules, params
        self.m_lo, self.m_hi, self.jobcenter_id = m_lo, m_hi, jobcenter_id
        self.materialize = materialize  # False: pure expressions, nothing cached
        self.cal = calendar(m_lo, m_hi)
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

    def _before_range_join(self, expr: ir.Table) -> ir.Table:
        """Cached first where the backend plans a range join over computed day numbers badly
        (PostgreSQL computed them inside the join, 2 million times: 1.0 s instead of 0.2 s);
        DuckDB plans the expression well, and a table would cost it 0.04 s."""
        return expr if self.db.adapter.plans_range_joins_well else self._materialize(expr)

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

    # -- building blocks ----------------------------------------------------------------------

    @cached_property
    def teams(self) -> ir.Table:
        """The team of each person at ST(m_lo−1..m_hi) (:func:`team_assignment`), computed once:
        the counts by team, the money sums and role-restricted facts all join it."""
        return self._materialize(team_assignment(self.db, self.m_lo - 1, self.m_hi))

    @cached_property
    def elb_spells(self) -> ir.Table:
        """``elb`` spells of all Jobcenter as day numbers (LZB days count across Jobcenter)."""
        s = elb_spells(self.db)
        return self._materialize(s.select("person_id", "jobcenter_id", "bg_id", "bg_role",
                                          vf=days(s.valid_from), vt=end_days(s.valid_to)))

    @cached_property
    def employment(self) -> ir.Table:
        """Employment spells (corrected) as day numbers; read by five facts."""
        e = self.db.table("employment_spells")
        return self._materialize(e.select("person_id", "kind", "funding", vf=days(e.valid_from),
                                          vt=end_days(e.valid_to)))

    @cached_property
    def measures(self) -> ir.Table:
        m = self.db.table("measure_spells")
        return self._materialize(m.select("person_id", "instrument", vf=days(m.valid_from),
                                          vt=end_days(m.valid_to)))

    def _own(self, t: ir.Table) -> ir.Table:
        return t if self.jobcenter_id is None else t.filter(t.jobcenter_id == self.jobcenter_id)

    @cached_property
    def elb(self) -> ir.Table:
        """ELB stock at ST(m): distinct persons with an ``elb`` spell covering it (items 2, 17;
        :mod:`amip.engine.stocks`)."""
        j = at_stichtage(self._own(self.elb_spells), self.cal)
        stock = j.select("person_id", "jobcenter_id", "m").distinct().mutate(rel_m=ibis._.m)
        return self._materialize(stock)

    @cached_property
    def bg(self) -> ir.Table:
        """BG stock at ST(m): the Bedarfsgemeinschaften of the ``elb`` spells covering it
        (:func:`amip.engine.stocks.bg_stock` for every month): bg_id, jobcenter_id, m. Not a
        person fact (no measure counts it); the programme's Jahresdurchschnitt does."""
        j = at_stichtage(self._own(self.elb_spells), self.cal)
        return j.select("bg_id", "jobcenter_id", "m").distinct()

    @cached_property
    def single_parents(self) -> ir.Table:
        """Alleinerziehende at ST(m): an ``elb`` spell as ``head`` of a BG whose ``bg_spells`` row
        covering the Stichtag has type ``single_parent`` (item 18)."""
        s = self._own(self.elb_spells)
        s = s.filter(s.bg_role == "head")
        b = self.db.table("bg_spells")
        b = b.filter(b.bg_type == "single_parent").select(
            "bg_id", bjc="jobcenter_id", bvf=days(b.valid_from), bvt=end_days(b.valid_to))
        j = at_stichtage(s, self.cal)
        j = j.join(b, (j.bg_id == b.bg_id) & (j.jobcenter_id == b.bjc)
                   & (b.bvf <= j.st) & (b.bvt >= j.st))
        return j.select("person_id", "jobcenter_id", "m").distinct().mutate(rel_m=ibis._.m)

    @cached_property
    def islands(self) -> ir.Table:
        """Each person's ``elb`` periods merged into islands of consecutive days (any Jobcenter),
        so overlapping spells count their days once (item 8)."""
        s = self.elb_spells.select("person_id", "vf", "vt")
        order = [s.vf, s.vt]
        before = ibis.window(group_by=s.person_id, order_by=order, rows=(None, -1))
        s = s.mutate(reach=s.vt.max().over(before))
        s = s.mutate(new=ibis.ifelse(s.reach.isnull() | (s.vf > s.reach + 1), 1, 0))
        running = ibis.cumulative_window(group_by=s.person_id, order_by=[s.vf, s.vt])
        s = s.mutate(island=s.new.sum().over(running))
        return s.group_by("person_id", "island").aggregate(a=s.vf.min(), b=s.vt.max())

    @cached_property
    def elb_days(self) -> ir.Table:
        """Net ELB days (any Jobcenter, overlaps once) in the window of 730 days ending with
        ST(m), Stichtag included, of each person in the ELB stock at ST(m) (item 8):
        person_id, m, net."""
        window = self.params.lzb_window_days
        persons = self.elb.select("person_id", "m").distinct()
        p = persons.join(self.cal, "m").select("person_id", "m", "st")
        i = self.islands
        j = p.join(i, (p.person_id == i.person_id) & (i.a <= p.st) & (i.b >= p.st - (window - 1)))
        lo = ibis.greatest(j.a, j.st - (window - 1))
        hi = ibis.least(j.b, j.st)
        j = j.mutate(d=hi - lo + 1)
        return j.group_by("person_id", "m").aggregate(net=j.d.sum())

    @cached_property
    def lzb(self) -> ir.Table:
        """LZB at ST(m): in the ELB stock, and ≥ threshold (638) net ELB days in the window of
        730 days ending with the Stichtag, Stichtag included (item 8)."""
        long = self.elb_days
        long = long.filter(long.net >= self.params.lzb_threshold_days).select("person_id", "m")
        e = self.elb.view()
        return self._materialize(e.join(long, ["person_id", "m"]).select(*KEYS, "rel_m"))

    # -- movements (items 9, 17): stock comparisons per Jobcenter --------------------------------

    def _arrivals(self, stock: ir.Table) -> ir.Table:
        prev = stock.view()
        prev = prev.select("person_id", "jobcenter_id", pm=prev.m + 1)
        s = stock.filter(stock.m > self.m_lo)
        return s.anti_join(prev, [s.person_id == prev.person_id,
                                  s.jobcenter_id == prev.jobcenter_id, s.m == prev.pm])

    def _departures(self, stock: ir.Table) -> ir.Table:
        prev = stock.filter(stock.m < self.m_hi)
        prev = prev.select("person_id", "jobcenter_id", m=prev.m + 1, rel_m=prev.m)
        stock = stock.view()
        return prev.anti_join(stock, [prev.person_id == stock.person_id,
                                      prev.jobcenter_id == stock.jobcenter_id, prev.m == stock.m])

    @cached_property
    def elb_in(self) -> ir.Table:
        return self._arrivals(self.elb)

    @cached_property
    def elb_out(self) -> ir.Table:
        return self._departures(self.elb)

    @cached_property
    def lzb_in(self) -> ir.Table:
        return self._arrivals(self.lzb)

    @cached_property
    def lzb_out(self) -> ir.Table:
        return self._departures(self.lzb)

    # -- entries with the search windows of item 4 ----------------------------------------------

    def _windowed(self, starts: ir.Table) -> ir.Table:
        """Assign starts (``person_id, sd`` + extra columns) to Berichtsmonate (item 4).

        A start in (ST(k−1), ST(k)] counts in month k for a person in the stock at ST(k−1)
        (window A), and in month k+1 for a person in the stock at ST(k) but not at ST(k−1)
        (window B). Columns: person_id, jobcenter_id, m, rel_m, and the extra columns.
        """
        c, stock = self.cal, self.elb
        extra = [n for n in starts.columns if n not in ("person_id", "sd")]
        k = starts.join(c, (starts.sd > c.st_prev) & (starts.sd <= c.st))
        k = k.select("person_id", *extra, k=k.m)
        a = k.join(stock, (k.person_id == stock.person_id) & (stock.m == k.k - 1))
        a = a.select("person_id", "jobcenter_id", *extra, m=a.k, rel_m=a.k - 1)
        b = k.join(stock, (k.person_id == stock.person_id) & (stock.m == k.k))
        b = b.select("person_id", "jobcenter_id", *extra, k=b.k)
        stock = stock.view()
        b = b.anti_join(stock, [b.person_id == stock.person_id,
                                b.jobcenter_id == stock.jobcenter_id, stock.m == b.k - 1])
        b = b.select("person_id", "jobcenter_id", *extra, m=b.k + 1, rel_m=b.k)
        return a.union(b, distinct=False)

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
        e = self.employment
        e = e.filter(e.kind == "sv").select("person_id", "vf", "vt")
        cover = e.join(later, (e.vf <= later.st) & (e.vt >= later.st))
        cover = cover.select("person_id", cm=cover.m).distinct()
        base = self.sv_integrations
        offsets = ibis.memtable({"k": list(ks)}, schema={"k": "int64"})
        wanted = base.cross_join(offsets).mutate(cm=ibis._.m + ibis._.k)
        hit = wanted.join(cover, [wanted.person_id == cover.person_id, wanted.cm == cover.cm])
        n = hit.group_by(*KEYS, "rel_m").aggregate(months=hit.k.nunique())
        return n.filter(n.months == len(ks)).select(*KEYS, "rel_m")

    def _in_group_before(self, rows: ir.Table, group: ir.Table) -> ir.Table:
        """Rows whose person belongs to ``group`` at ST(m−1) at the same Jobcenter (item 18)."""
        group = group.view()
        g = group.select("person_id", "jobcenter_id", gm=group.m + 1)
        j = rows.join(g, [rows.person_id == g.person_id, rows.jobcenter_id == g.jobcenter_id,
                          rows.m == g.gm])
        return j.select(*KEYS, "rel_m")

    @cached_property
    def integrations_lzb(self) -> ir.Table:
        return self._in_group_before(self.integrations.select(*KEYS, "rel_m"), self.lzb)

    @cached_property
    def integrations_single_parents(self) -> ir.Table:
        return self._in_group_before(self.integrations.select(*KEYS, "rel_m"), self.single_parents)

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
    def lzb_active(self) -> ir.Table:
        """K3E2: LZB at ST(m) in a measure of the activation list covering ST(m); persons, not
        Förderfälle; only ``measure_spells`` count (items 10, 24)."""
        ms = self.measures
        ms = ms.filter(ms.instrument.isin(self.rules.activation_instruments))
        ms = ms.select("person_id", "vf", "vt")
        active = ms.join(self.cal, (ms.vf <= self.cal.st) & (ms.vt >= self.cal.st))
        active = active.select("person_id", am=active.m).distinct()
        z = self.lzb.view()
        j = z.join(active, [z.person_id == active.person_id, z.m == active.am])
        return j.select(*KEYS, "rel_m")

    # -- money (items 11, 22) -------------------------------------------------------------------

    def benefits(self, months: set[int] | None = None) -> ir.Table:
        """benefit_months rows assigned to the Jobcenter of the person's ``elb``/``nef`` spell
        overlapping the calendar month (latest valid_from wins; tie: smallest jobcenter_id):
        person_id, jobcenter_id, m, rel_m, llu, luh. ``months`` (default: the whole range)
        computes only those months: the measures read the sums of t and t−12 only
        (:func:`amip.engine.measures.fact_months`), and no other fact builds on these rows."""
        months = frozenset(range(self.m_lo, self.m_hi + 1) if months is None else months)
        if months not in self._benefits:
            names = [format_month(m) for m in sorted(months)]
            b = self.db.table("benefit_months", key_filter=lambda t: t.month.isin(names))
            b = b.mutate(m=b.month.substr(0, 4).cast("int64") * 12
                         + b.month.substr(5, 2).cast("int64") - 1)
            b = b.join(self.cal, "m").select("person_id", "m", "llu_eur", "luh_eur",
                                             "first_day", "last_day")
            j = self.month_jobcenter(b)
            self._benefits[months] = self._materialize(self._own(j.select(
                "person_id", "jobcenter_id", "m", rel_m=j.m, llu=j.llu_eur, luh=j.luh_eur)))
        return self._benefits[months]

    def month_jobcenter(self, rows: ir.Table) -> ir.Table:
        """Rows of a person and calendar month (``person_id, m, first_day, last_day`` + more)
        with the ``jobcenter_id`` of the person's ``elb_spells`` row (``elb`` or ``nef``)
        overlapping the month: the latest valid_from wins, tie: the smallest jobcenter_id
        (item 22). Rows of a person without such a spell are dropped."""
        s = self.db.table("elb_spells")
        s = self._before_range_join(s.select("person_id", "jobcenter_id", vf=days(s.valid_from),
                                        vt=end_days(s.valid_to)))
        j = rows.join(s, (rows.person_id == s.person_id) & (s.vf <= rows.last_day)
                      & (s.vt >= rows.first_day))
        w = ibis.window(group_by=[j.person_id, j.m], order_by=[ibis.desc(j.vf), j.jobcenter_id])
        j = j.mutate(_n=ibis.row_number().over(w))
        return j.filter(j._n == 0)

    @property
    def llu(self) -> ir.Table:
        return self.benefits()

    @property
    def luh(self) -> ir.Table:
        return self.benefits()
