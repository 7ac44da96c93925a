"""Count (or sum) the person-level facts per Jobcenter, month, sex and, for drill-down, team."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from amip.engine.facts import (KEYS, MONEY_FACTS, Facts,  # noqa: F401 (re-exported)
                               team_assignment)

# (fact, jobcenter_id, unit_id or None, sex, m) -> count or euro sum
Counts = dict[tuple[str, str, str | None, str, int], int | Decimal]


def count_facts(facts: Facts, names: list[str], by_team: bool = False,
                months: dict[str, set[int]] | None = None) -> Counts:
    """Run one query per kind (counts, money) over all requested facts; return a flat dict.
    The facts' rows carry the person's sex (:data:`amip.engine.facts.KEYS`); they are stacked
    first and joined to teams once, not once per fact. ``months`` (optional) counts only
    those months of a fact (:func:`amip.engine.measures.fact_months`); default: every month of
    the range. The money facts may also ask for earlier months the Facts reach
    (:meth:`Facts.reaches`; not by team): the next month's sums of t−12 ride along with its
    own month."""
    every = set(range(facts.m_lo, facts.m_hi + 1))

    def only(name: str, t: ir.Table) -> ir.Table:
        ms = every if months is None else set(months.get(name, ())) & every
        return t if ms == every else t.filter(t.m.isin(sorted(ms)))

    teams = facts.teams if by_team else None

    def keyed(t: ir.Table) -> tuple[ir.Table, dict]:
        if teams is not None:
            t = t.left_join(teams, [t.person_id == teams.person_id, t.rel_m == teams.rel_m])
            unit = t.unit_id
        else:
            unit = ibis.null("string")
        return t, dict(jobcenter_id=t.jobcenter_id, unit_id=unit, sex=t.sex, m=t.m)

    out: Counts = defaultdict(int)
    group = ["fact", "jobcenter_id", "unit_id", "sex", "m"]
    wanted = [name for name in names if name not in MONEY_FACTS
              and (months is None or set(months.get(name, ())) & every)]
    as_bits = [] if by_team else [name for name in wanted if facts.bits(name) is not None]
    if as_bits:
        out.update(_count_bits(facts, as_bits, {
            name: every if months is None else set(months[name]) & every for name in as_bits}))
    counted = [only(name, facts.table(name)).select(*KEYS, "rel_m", fact=ibis.literal(name))
               for name in wanted if name not in as_bits]
    if counted:
        rows = ibis.union(*counted, distinct=False)  # one table: itself
        t, keys = keyed(rows)
        u = t.select(fact=t.fact, **keys)
        rows = u.group_by(group).aggregate(n=u.count()).to_pyarrow().to_pylist()
        for r in rows:
            out[(r["fact"], r["jobcenter_id"], r["unit_id"], r["sex"], r["m"])] = int(r["n"])
    money = [n for n in names if n in MONEY_FACTS]
    asked = every if months is None else set().union(*(months.get(n, ()) for n in money))
    if not all(m in every or (not by_team and facts.reaches(m)) for m in asked):
        raise ValueError(f"money facts of months {sorted(asked - every)} outside the reach of "
                         f"Facts({facts.m_lo}, {facts.m_hi})")
    if money and asked:  # all money facts are columns of one table: one pass sums them all
        t, keys = keyed(facts.benefits(asked, keep=False))
        t = t.select(**keys, **{n: t[n] for n in money})
        sums = t.group_by(group[1:]).aggregate(**{n: t[n].sum() for n in money})
        for r in sums.to_pyarrow().to_pylist():
            for n in money:
                out[(n, r["jobcenter_id"], r["unit_id"], r["sex"], r["m"])] = Decimal(r[n] or 0)
    return out


def _count_bits(facts: Facts, names: list[str], months: dict[str, set[int]]) -> Counts:
    """Count stock facts straight from their month sets (:mod:`amip.engine.month_sets`): one
    row per person and Jobcenter, instead of one per person and month (at national size 8 in
    10 of the rows the count query would stack). Without teams only: a person's team depends
    on the month."""
    blocks = facts.blocks
    # as int64: a backend may type a materialized set narrower (Spark: int for small bits)
    parts = [b.select("jobcenter_id", "sex", blk=b.blk.cast("int64"),
                      bits=b.bits.cast("int64"), fact=ibis.literal(n))
             for n in names for b in [facts.bits(n)]]
    t = ibis.union(*parts, distinct=False)
    cells = {}  # each asked month is read from the one block that owns it
    for b in range(len(blocks.starts)):
        for i, m in enumerate(blocks.months(b)):
            if (i or not b) and any(m in ms for ms in months.values()):
                bit = (t.bits >> i) & 1
                cells[f"c{m}"] = (bit if len(blocks.starts) == 1
                                  else ibis.ifelse(t.blk == b, bit, 0)).sum()
    rows = t.group_by("fact", "jobcenter_id", "sex").aggregate(**cells).to_pyarrow().to_pylist()
    out: Counts = {}
    for r in rows:
        for m in months[r["fact"]]:
            if r[f"c{m}"]:
                out[(r["fact"], r["jobcenter_id"], None, r["sex"], m)] = int(r[f"c{m}"])
    return out
