"""Disclosure control of report tables: the core's small-cell suppression
(:mod:`amip.disclosure`) applied to the totals and parts a table declares."""

from __future__ import annotations

from amip.disclosure import (DEFAULT_RULE, Rule, hidden_fields, hidden_of, is_number, residual,
                             suppress)
from amip.reports.model import Report, ReportTable

__all__ = ["DEFAULT_RULE", "Rule", "hidden_fields", "hidden_of", "protect", "protect_table"]


def protect_table(table: ReportTable, rule: Rule = DEFAULT_RULE) -> int:
    """Suppress cells of ``table`` in place; returns how many cells were hidden. Each declared
    total has a residual (total − Σ parts: e.g. sex ``d`` beside men and women)."""
    for c, col in enumerate(table.columns):
        if col.kind != "count":
            continue
        values = {r: row.values[c] for r, row in enumerate(table.rows)
                  if is_number(row.values[c])}
        equations, rests = [], set()
        for k, (total, parts) in enumerate(table.sums):
            if all(x in values for x in (total, *parts)):
                rest = ("rest", k)
                values[rest] = residual(values, total, parts)
                rests.add(rest)
                equations.append((total, [*parts, rest]))
        for r in suppress(values, equations, rests, rule):
            table.rows[r].suppressed.add(c)
    for row in table.rows:  # shares, rates and changes of a hidden count are hidden too
        for i, col in enumerate(table.columns):
            sources = col.derived_from if isinstance(col.derived_from, tuple) \
                else (col.derived_from,)
            if row.suppressed.intersection(sources):
                row.suppressed.add(i)
    return sum(len(r.suppressed) for r in table.rows)


def protect(report: Report, rule: Rule = DEFAULT_RULE) -> int:
    """Apply disclosure control to every public table of a published report."""
    if not report.public:
        return 0
    return sum(protect_table(t, rule) for t in report.tables() if t.public)
