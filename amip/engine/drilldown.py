"""The drill-down's rows: the units one level below a parent and the "ohne Zuordnung" row.

Persons (or euros) in the parent's scope but in none of its child units at the Stichtag — no team
at all, a team outside the tree, or assigned to the parent itself — form the row
``<parent>~ohne-zuordnung`` (level ``unassigned``), so that the children and that row add up to
the parent for every additive figure (numerators, denominators, stocks, euros). The row is a
pseudo-unit: :func:`amip.engine.indicators.compute` accepts its id like any unit id.
"""

from __future__ import annotations

from collections import defaultdict

UNASSIGNED_SUFFIX = "~ohne-zuordnung"
UNASSIGNED_LEVEL = "unassigned"


def unassigned_id(parent_id: str) -> str:
    """The id of the "ohne Zuordnung" row below ``parent_id``."""
    return parent_id + UNASSIGNED_SUFFIX


def parent_of_unassigned(unit_id: str) -> str | None:
    """The parent's id if ``unit_id`` is an "ohne Zuordnung" row, else None."""
    if unit_id.endswith(UNASSIGNED_SUFFIX):
        return unit_id[: -len(UNASSIGNED_SUFFIX)]
    return None


class Outside:
    """A scope of every team not in ``excluded`` (including no team at all, None)."""

    def __init__(self, excluded: set[str]):
        self.excluded = frozenset(excluded)

    def __contains__(self, unit) -> bool:
        return unit not in self.excluded


def descendants(rows: list[dict], unit_id: str) -> set[str]:
    """``unit_id`` and every unit below it (each once: bounded even if the tree has a cycle)."""
    children = defaultdict(list)
    for r in rows:
        children[r["parent_unit_id"]].append(r["unit_id"])
    scope, todo = set(), [unit_id]
    while todo:
        u = todo.pop()
        if u not in scope:
            scope.add(u)
            todo += children.get(u, [])
    return scope


def unassigned_scope(rows: list[dict], parent: dict) -> set[str] | Outside:
    """The teams (caseload unit ids) counted in the "ohne Zuordnung" row below ``parent``: the
    parent's scope without its children's. Below the Jobcenter this is everything outside the
    Standorte (persons without a team too)."""
    below = set()
    for r in rows:
        if r["parent_unit_id"] == parent["unit_id"]:
            below |= descendants(rows, r["unit_id"])
    if parent["level"] == "jobcenter":
        return Outside(below)
    return descendants(rows, parent["unit_id"]) - below


def child_rows(rows: list[dict], parent_id: str) -> list[dict]:
    """The units one level below ``parent_id`` (by name) and, if there are any, its
    "ohne Zuordnung" row last (a unit dict with ``level`` ``unassigned``)."""
    parent = next((r for r in rows if r["unit_id"] == parent_id), None)
    kids = sorted((r for r in rows if r["parent_unit_id"] == parent_id and parent is not None),
                  key=lambda r: (r.get("name") or "", r["unit_id"]))
    if not kids:
        return []
    return kids + [unassigned_unit(parent)]


def unassigned_unit(parent: dict) -> dict:
    """The "ohne Zuordnung" pseudo-unit below ``parent`` as a unit dict."""
    return {"unit_id": unassigned_id(parent["unit_id"]), "jobcenter_id": parent["jobcenter_id"],
            "parent_unit_id": parent["unit_id"], "name": "ohne Zuordnung",
            "level": UNASSIGNED_LEVEL}


def unassigned_units(rows: list[dict]) -> list[dict]:
    """The "ohne Zuordnung" pseudo-units of every unit that has children."""
    parents = {r["parent_unit_id"] for r in rows}
    return [unassigned_unit(r) for r in rows if r["unit_id"] in parents]
