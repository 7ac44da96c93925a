"""Disclosure control for published outputs: small-cell suppression.

Primary suppression hides counts from ``low`` to ``high`` (default 1–2; 0 stays visible: an empty
cell reveals nothing about a person). Secondary suppression then makes sure no hidden count can be
recomputed: wherever a total and all but one of its parts are known, the smallest other visible
part (or, if there is none, the total) is hidden too. Shares, rates and changes derived from a
hidden count are hidden with it. The rule is data: :class:`Rule`, configurable per deployment.

A total can hold more than the parts shown: ``all`` is ``m`` + ``w`` + ``d`` (sex ``d`` is not
shown), a Jobcenter is its Standorte plus the persons without a team at the Stichtag, a Standort
its teams plus the persons assigned to it directly. Each such rest (total − Σ shown parts) is a
*residual* cell of the pattern: not published, so hiding it would protect nothing, but sensitive
when it is small itself, and then protected by hiding another cell of its total. A last pass
solves the whole system of totals exactly (:func:`_revealed`), so that no combination of the
visible cells recomputes a sensitive one either.

A core module for every shell: the engine's records across the organisation tree
(:func:`protect_records`, for the web, the API and the reports: a Jobcenter is the sum of its
Standorte, a Standort of its teams, ``all`` of ``m`` and ``w``, each with its residual) and
counts shown on their own (:func:`shown`); report tables apply :func:`suppress` to the totals
and parts they declare (:mod:`amip.reports.disclosure`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, replace

import numpy as np

from amip.engine.drilldown import parent_of_unassigned

SUPPRESSED = "*"
EPS = 1e-9  # tolerance of the exact pass


@dataclass(frozen=True)
class Rule:
    low: int = 1
    high: int = 2

    def hides(self, value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) \
            and self.low <= value <= self.high


DEFAULT_RULE = Rule()

Equation = tuple[Hashable, list[Hashable]]  # (total, parts): total = Σ parts


# -- the pattern --------------------------------------------------------------------------------

def suppress(values: dict[Hashable, float], equations: list[Equation],
             unpublished: set = frozenset(), rule: Rule = DEFAULT_RULE) -> set:
    """The published cells to hide, given every cell's value and the equations between them.

    ``unpublished`` cells (residuals) are never shown: a small one must not be recomputable, a
    larger one counts as known (hiding it would protect nothing)."""
    hidden = {k for k, v in values.items() if k not in unpublished and rule.hides(v)}
    secret = {k for k in unpublished if rule.hides(values[k])}
    protected = hidden | secret
    while True:
        changed = True
        while changed:
            changed = False
            for total, parts in equations:
                changed |= _hide_second(values, hidden, secret, unpublished, total, parts)
        victim = _revealed(values, equations, hidden, unpublished, protected)
        if victim is None:
            return hidden
        hidden.add(victim)


def _hide_second(values: dict, hidden: set, secret: set, unpublished: set, total: Hashable,
                 parts: list) -> bool:
    """Where exactly one cell of a total and its parts is hidden (or a small residual), hide a
    second one: the smallest visible non-zero part, else any visible part, else the total."""
    if sum(c in hidden or c in secret for c in (total, *parts)) != 1:
        return False
    visible = [p for p in parts if p not in hidden and p not in unpublished]
    candidates = [p for p in visible if values[p] != 0] or visible
    if candidates:
        victim = _smallest(values, candidates)
    elif total not in hidden and total not in unpublished:
        victim = total
    else:
        return False
    hidden.add(victim)
    return True


def _smallest(values: dict, cells: list) -> Hashable:
    return min(cells, key=lambda c: (values[c], str(c)))


def _revealed(values: dict, equations: list[Equation], hidden: set, unpublished: set,
              protected: set) -> Hashable | None:
    """A visible cell to hide because the visible cells, combined by any equations, still give
    a protected cell's value; None when none does. An unknown (hidden or unpublished) cell
    follows from the known ones exactly when it is zero in every solution of the homogeneous
    system over the unknowns (their null space)."""
    if not protected or not equations:
        return None
    keys = list(values)
    at = {k: i for i, k in enumerate(keys)}
    a = np.zeros((len(equations), len(keys)))
    for e, (total, parts) in enumerate(equations):
        a[e, at[total]] = 1
        for p in parts:
            a[e, at[p]] -= 1
    unknown = [at[k] for k in keys if k in hidden or k in unpublished]
    known = [at[k] for k in keys if k not in hidden and k not in unpublished]
    a_u = a[:, unknown]
    _, s, vt = np.linalg.svd(a_u)
    null = vt[int((s > EPS).sum()):]
    for j, i in enumerate(unknown):
        if keys[i] in protected and not (np.abs(null[:, j]) > EPS).any():
            # the combination of equations that gives it, and the visible cells it uses
            y = np.linalg.lstsq(a_u.T, np.eye(len(unknown))[j], rcond=None)[0]
            used = [keys[k] for k, w in zip(known, a[:, known].T @ y) if abs(w) > EPS]
            if used:
                nonzero = [c for c in used if values[c] != 0]
                return _smallest(values, nonzero or used)
    return None


def shown(value, hide: bool, rule: Rule = DEFAULT_RULE):
    """A count as a role under disclosure control (``hide``) sees it: :data:`SUPPRESSED` when
    it is small, else the count."""
    return SUPPRESSED if hide and rule.hides(value) else value


def protect_status(record, counts_persons: bool, rule: Rule = DEFAULT_RULE):
    """A Zielnachhaltung record (:class:`amip.attainment.records.StatusRecord`) as a role under
    disclosure control sees it. For a measure that counts persons, a small Ist becomes
    :data:`SUPPRESSED` and what is derived from it goes with it (gap and gap % None, the light
    grey with the reason); a small year-end expectation (median or a bound) is left out
    altogether. Rates, euro sums and the agreed target and Zielpfad are shown as they are."""
    if not counts_persons:
        return record
    changes: dict = {}
    if rule.hides(record.actual):
        changes.update(actual=SUPPRESSED, gap=None, gap_percent=None, light="grey",
                       reason="Ist geheim gehalten (kleine Fallzahl)")
    if any(rule.hides(x) for x in (record.expected, record.expected_lower,
                                   record.expected_upper)):
        changes.update(expected=None, expected_lower=None, expected_upper=None)
    return replace(record, **changes) if changes else record


def protect_changes(rows: list[dict], changes: dict[str, tuple[str, str]], hide: bool,
                    rule: Rule = DEFAULT_RULE) -> list[dict]:
    """Copies of ``rows`` as a role under disclosure control sees them (``hide``): each count
    named in ``changes`` (change field → (count now, count before)) that is small becomes
    :data:`SUPPRESSED`, and a change derived from a small count becomes None."""
    out = []
    for row in rows:
        r = dict(row)
        for change, (now, before) in changes.items():
            if hide and (rule.hides(row[now]) or rule.hides(row[before])):
                r[change] = None
            r[now], r[before] = shown(row[now], hide, rule), shown(row[before], hide, rule)
        out.append(r)
    return out


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def residual(values: dict, total: Hashable, parts: list) -> float:
    return round(values[total] - sum(values[p] for p in parts), 9)  # means: no float noise


# -- the engine's records across the organisation tree ------------------------------------------

FIELDS = ("numerator", "denominator")
SHOWN_SEXES = ("all", "m", "w")


def unassigned(node: str | None) -> tuple:
    """The residual node below ``node`` (None: the Jobcenter): its persons in none of the
    child units shown ("ohne Zuordnung")."""
    return ("ohne Zuordnung", node)


def protect_records(rows: list[dict], units: list[dict] = (), rule: Rule = DEFAULT_RULE,
                    counted=None) -> list[dict]:
    """Copies of the records (dicts with code, month, jobcenter_id, sex, numerator, denominator,
    value, optionally unit_id and basis) with small counts and what would reveal them set to
    None and ``suppressed: True``; a value derived from a hidden count is None too.

    ``units`` (unit_id, parent_unit_id, level) give the tree: rows of a unit and of its parent
    form a total and its parts (with the residual :func:`unassigned`), as do ``all`` and
    ``m``/``w`` (with the residual sex ``d``) of one unit. Pass the rows of the whole tree
    (every unit of the months asked for) so that the pattern holds across answers; then pick
    the rows to show. ``counted(code)`` says which measures count persons (default: the
    catalogue's unit ``Personen``; euro sums are not protected)."""
    if counted is None:
        from amip.catalogue import load

        cat = load()
        counted = lambda code: cat.indicators[code].unit == "Personen"  # noqa: E731
    levels = {u["unit_id"]: u["level"] for u in units}
    parent = {u["unit_id"]: u["parent_unit_id"] for u in units}

    def node(unit_id):  # the Jobcenter-level unit is the Jobcenter total
        owner = parent_of_unassigned(unit_id) if unit_id is not None else None
        if owner is not None:  # a shown "ohne Zuordnung" row is its parent's rest cell
            return unassigned(node(owner))
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
        values = {cell: rs[0][f] for cell, rs in group.items() if is_number(rs[0][f])}
        equations, rests = _tree_equations(values, up)
        for cell in suppress(values, equations, rests, rule):
            for r in group[cell]:
                r[f], r["suppressed"] = None, True
    for r in out:
        if r.get("suppressed"):
            r["value"] = None
    return out


def _tree_equations(values: dict, up) -> tuple[list[Equation], set]:
    """The equations of one measure's cells (node, sex), with the residual cells they need
    (added to ``values``): ``all`` = m + w + d per node, and per sex a node = Σ its children +
    the unassigned rest."""
    equations, rests = [], set()
    nodes = sorted({n for n, _ in values}, key=str)
    for n in nodes:
        if all((n, s) in values for s in SHOWN_SEXES):
            values[(n, "d")] = residual(values, (n, "all"), [(n, "m"), (n, "w")])
            rests.add((n, "d"))
            equations.append(((n, "all"), [(n, "m"), (n, "w"), (n, "d")]))
    children = defaultdict(list)
    for n in nodes:
        if n is not None and not _is_rest(n):
            children[up(n)].append(n)
    for total, kids in children.items():
        for s in (*SHOWN_SEXES, "d"):
            parts = [(k, s) for k in kids]
            if all(x in values for x in ((total, s), *parts)):
                rest = (unassigned(total), s)
                if rest not in values or rest in rests:  # not shown ("ohne Zuordnung" row)
                    values[rest] = residual(values, (total, s), parts)
                    rests.add(rest)
                equations.append(((total, s), [*parts, rest]))
    return equations, rests


def _is_rest(n) -> bool:
    return isinstance(n, tuple) and n[:1] == ("ohne Zuordnung",)


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


# -- the customer-group monitor -----------------------------------------------------------------

#: the counts of a group monitor block (``lzb`` and ``active`` are the numerators of the LZB share
#: and the activation rate: the share and the stock give them)
GROUP_COUNTS = ("stock", "inflows", "outflows", "integrations", "integrations_12m", "lzb",
                "active")
GROUP_RATES = {"lzb_share": "lzb", "activation_rate": "active",
               "integration_rate": "integrations_12m"}
HIDDEN = "Geheimhaltung: kleine Fallzahl"


def protect_groups(data: dict, rule: Rule = DEFAULT_RULE) -> dict:
    """A copy of :func:`amip.engine.group_monitor.group_monitor`'s answer as a role under
    disclosure control sees it: per group, counts from ``low`` to ``high`` and every count that
    would reveal one are None (listed in the block's ``suppressed``, reason in ``reasons``).
    The equations: the scope = Σ the units below it (the "ohne Zuordnung" row included), the
    trend's stock(m) + Abgänge(m) = stock(m−1) + Zugänge(m), the scope's twelve-month
    Integrationen = Σ the trend's; a share is hidden with its numerator or the stock, the
    integration rate with the twelve-month Integrationen.
    The mean stock of the rate's denominator is not shown (it would give a stock a year ago)."""
    import copy

    out = copy.deepcopy(data)
    trend_months = {gid: [t["month"] for t in series] for gid, series in out["trend"].items()}
    for gid in out["figures"]:
        months = trend_months.get(gid, [])

        def key(month):  # the Berichtsmonat's trend point is the scope's figures
            return ("f", "scope") if month == out["month"] else ("t", month)

        blocks = [(("f", "scope"), out["figures"][gid])]
        blocks += [(("f", u["unit_id"]), u["figures"][gid]) for u in out["units"]]
        blocks += [(key(t["month"]), t) for t in out["trend"].get(gid, [])]
        values, equations, rests = {}, [], set()
        for b, f in blocks:
            for c in GROUP_COUNTS:
                v = _group_count(f, c)
                if v is not None:
                    values[(b, c)] = v
        units = [("f", u["unit_id"]) for u in out["units"]]
        for c in GROUP_COUNTS:
            cells = [((b, c)) for b in units]
            if units and all(x in values for x in [(("f", "scope"), c), *cells]):
                equations.append(((("f", "scope"), c), cells))
        for i in range(1, len(months)):
            now, before = key(months[i]), key(months[i - 1])
            x = (("x", months[i]), "flow")
            need = [(now, "stock"), (now, "outflows"), (before, "stock"), (now, "inflows")]
            if all(n in values for n in need):
                values[x] = values[(now, "stock")] + values[(now, "outflows")]
                rests.add(x)
                equations += [(x, [(now, "stock"), (now, "outflows")]),
                              (x, [(before, "stock"), (now, "inflows")])]
        parts = [(key(mo), "integrations") for mo in months[-12:]]
        total = (("f", "scope"), "integrations_12m")
        if len(parts) == 12 and all(x in values for x in [total, *parts]):
            equations.append((total, parts))
        hidden = suppress(values, equations, rests, rule)
        for b, f in blocks:
            gone = [c for c in GROUP_COUNTS if (b, c) in hidden]
            gone += [r for r, c in GROUP_RATES.items() if r in f and ((b, c) in hidden or (
                r != "integration_rate" and (b, "stock") in hidden))]
            f.pop("mean_stock_12m", None)
            for c in gone:
                if c in f:
                    f[c] = None
                    f.setdefault("reasons", {})[c] = HIDDEN
            f["suppressed"] = sorted(c for c in gone if c in f)
    return out


def _group_count(f: dict, c: str):
    """A count of a monitor block; the LZB and activated persons from share × stock."""
    if c in ("lzb", "active"):
        share = f.get("lzb_share" if c == "lzb" else "activation_rate")
        return None if share is None or f.get("stock") is None else round(share * f["stock"] / 100)
    v = f.get(c)
    return v if is_number(v) else None
