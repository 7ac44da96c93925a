"""Disclosure control for published outputs: small-cell suppression.

Primary suppression hides counts from ``low`` to ``high`` (default 1–2; 0 stays visible: an empty
cell reveals nothing about a person). Secondary suppression then makes sure no hidden count can be
recomputed from a total: wherever a total and all but one of its parts are visible, the smallest
other visible part (or, if there is none, the total) is hidden too. Shares and rates derived from
a hidden count are hidden with it. The rule is data: :class:`Rule`, configurable per deployment.
"""

from __future__ import annotations

from dataclasses import dataclass

from amip.reports.model import Report, ReportTable

SUPPRESSED = "*"


@dataclass(frozen=True)
class Rule:
    low: int = 1
    high: int = 2

    def hides(self, value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) \
            and self.low <= value <= self.high


DEFAULT_RULE = Rule()


def protect_table(table: ReportTable, rule: Rule = DEFAULT_RULE) -> int:
    """Suppress cells of ``table`` in place; returns how many cells were hidden."""
    counts = [i for i, c in enumerate(table.columns) if c.kind == "count"]
    for row in table.rows:
        for c in counts:
            if rule.hides(row.values[c]):
                row.suppressed.add(c)
    changed = True
    while changed:
        changed = False
        for c in counts:
            for total, parts in table.sums:
                changed |= _secondary(table, c, total, parts)
    for row in table.rows:  # shares and rates of a hidden count are hidden too
        for i, col in enumerate(table.columns):
            if col.derived_from is not None and col.derived_from in row.suppressed:
                row.suppressed.add(i)
    return sum(len(r.suppressed) for r in table.rows)


def _secondary(table: ReportTable, c: int, total: int, parts: list[int]) -> bool:
    group = [total] + parts
    hidden = [r for r in group if c in table.rows[r].suppressed]
    if len(hidden) != 1:
        return False  # nothing hidden, or at least two unknowns: no single cell can be derived
    visible = [r for r in parts if c not in table.rows[r].suppressed
               and isinstance(table.rows[r].values[c], (int, float))]
    candidates = [r for r in visible if table.rows[r].values[c] != 0] or visible
    if candidates:
        victim = min(candidates, key=lambda r: (table.rows[r].values[c], r))
    elif c not in table.rows[total].suppressed:
        victim = total
    else:
        return False
    table.rows[victim].suppressed.add(c)
    return True


def protect(report: Report, rule: Rule = DEFAULT_RULE) -> int:
    """Apply disclosure control to every public table of a published report."""
    if not report.public:
        return 0
    return sum(protect_table(t, rule) for t in report.tables() if t.public)
