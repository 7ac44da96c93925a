"""Disclosure control for published outputs: small-cell suppression.

Primary suppression hides counts from ``low`` to ``high`` (default 1–2; 0 stays visible: an empty
cell reveals nothing about a person). Secondary suppression then makes sure no hidden count can be
recomputed from a total: wherever a total and all but one of its parts are visible, the smallest
other visible part (or, if there is none, the total) is hidden too. Shares and rates derived from
a hidden count are hidden with it. The rule is data: :class:`Rule`, configurable per deployment.

Two shapes are protected: report tables (:func:`protect`, totals and parts declared by the
table) and the engine's records across the organisation tree (:func:`protect_records`, for the
web and API: a Jobcenter is the sum of its Standorte, a Standort of its teams, ``all`` of ``m``
and ``w``), so no combination of answers reveals a hidden count.
"""

from __future__ import annotations

from collections import defaultdict
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


# -- the engine's records across the organisation tree ------------------------------------------

FIELDS = ("numerator", "denominator")


def protect_records(rows: list[dict], units: list[dict] = (), rule: Rule = DEFAULT_RULE,
                    counted=None) -> list[dict]:
    """Copies of the records (dicts with code, month, jobcenter_id, sex, numerator, denominator,
    value, optionally unit_id and basis) with small counts and what would reveal them set to
    None and ``suppressed: True``; a value derived from a hidden count is None too.

    ``units`` (unit_id, parent_unit_id, level) give the tree: rows of a unit and of its parent
    form a total and its parts, as do ``all`` and ``m``/``w`` of one unit. Pass the rows of the
    whole tree (every unit of the months asked for) so that the pattern holds across answers;
    then pick the rows to show. ``counted(code)`` says which measures count persons (default:
    the catalogue's unit ``Personen``; euro sums are not protected)."""
    if counted is None:
        from amip.catalogue import load

        cat = load()
        counted = lambda code: cat.indicators[code].unit == "Personen"  # noqa: E731
    levels = {u["unit_id"]: u["level"] for u in units}
    parent = {u["unit_id"]: u["parent_unit_id"] for u in units}

    def node(unit_id):  # the Jobcenter-level unit is the Jobcenter total
        return None if unit_id is None or levels.get(unit_id) == "jobcenter" else unit_id

    def up(n):
        p = parent.get(n)
        return node(p) if p is not None else None

    out = [dict(r) for r in rows]
    cells: dict[tuple, dict[tuple, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in out:
        if counted(r["code"]):
            for f in FIELDS:
                group = (r["code"], r["month"], r["jobcenter_id"], r.get("basis", "month"), f)
                cells[group][(node(r.get("unit_id")), r["sex"])].append(r)
    for (*_, f), group in cells.items():
        hidden = {cell for cell, rs in group.items() if rule.hides(rs[0][f])}
        sums = [((n, "all"), [(n, "m"), (n, "w")]) for n, s in group if s == "all"]
        children = defaultdict(list)
        for n, s in group:
            if n is not None:
                children[(up(n), s)].append((n, s))
        sums += [(total, parts) for total, parts in children.items() if total in group]
        changed = True
        while changed:
            changed = False
            for total, parts in sums:
                changed |= _hide_second(group, hidden, total, [p for p in parts if p in group], f)
        for cell in hidden:
            for r in group[cell]:
                r[f], r["suppressed"] = None, True
    for r in out:
        if r.get("suppressed"):
            r["value"] = None
    return out


def _hide_second(group: dict, hidden: set, total: tuple, parts: list[tuple], f: str) -> bool:
    """Where exactly one cell of a total and its parts is hidden, hide a second one: the smallest
    visible non-zero part, else any visible part, else the total."""
    if len([c for c in [total, *parts] if c in hidden]) != 1:
        return False
    visible = [p for p in parts if p not in hidden and group[p][0][f] is not None]
    candidates = [p for p in visible if group[p][0][f] != 0] or visible
    if candidates:
        victim = min(candidates, key=lambda p: (group[p][0][f], str(p)))
    elif total not in hidden:
        victim = total
    else:
        return False
    hidden.add(victim)
    return True


def hidden_fields(records, units: list[dict] = (), rule: Rule = DEFAULT_RULE
                  ) -> dict[tuple, set[str]]:
    """For engine records (:class:`amip.engine.indicators.Record`) of a published report: which
    of numerator, denominator and value :func:`protect_records` hides, by (code, month,
    unit_id, sex, basis). Pass the records of every unit the report shows (the tree)."""
    out: dict[tuple, set[str]] = {}
    for r in protect_records([x.as_json(with_unit=True) for x in records], units, rule):
        if r.get("suppressed"):
            out[(r["code"], r["month"], r["unit_id"], r["sex"], r["basis"])] = \
                {f for f in (*FIELDS, "value") if r[f] is None}
    return out


def hidden_of(hidden: dict[tuple, set[str]] | None, record) -> set[str]:
    """The fields of ``record`` (or None) that ``hidden`` (from :func:`hidden_fields`) hides."""
    if not hidden or record is None:
        return set()
    return hidden.get((record.code, record.month, record.unit_id, record.sex, record.basis),
                      set())
