"""What the page "Frühwarnung" and the API /api/v1/risk share: the caseworkers' decisions on the
early warning by protected group (:func:`amip.risk.audit.override_rates`), counts under the
disclosure control of published figures for the roles that follow it (a group's decisions or
overrides of 1–2, and what would reveal them through the totals, are null and listed)."""

from __future__ import annotations

from amip.disclosure import DEFAULT_RULE, suppress
from amip.risk.audit import decision_attributes, override_rates


def _rates(db, rows: list[dict], decisions: list) -> dict:
    """override_rates with the audit attributes read from ``db`` (module level: it runs in a
    query process)."""
    return override_rates(rows, decision_attributes(db, decisions))


def overrides(services, steering, hide: bool) -> dict:
    """The decisions in force: total, overrides, and per attribute and group
    ``{group, decisions, overrides, override_rate, suppressed: [fields]}``."""
    decisions = steering.decisions() if steering is not None else []
    rows = [{"person_id": d.person_id, "decision": d.decision} for d in decisions]
    total = {"decisions": len(rows), "overrides": sum(r["decision"] == "abweichen" for r in rows)}
    groups = services.query(_rates, rows, decisions) if rows else {}
    out = {}
    for attr, cells in groups.items():
        values = {("all", f): total[f] for f in total}
        values.update({(c["group"], f): c[f] for c in cells for f in total})
        equations = [(("all", f), [(c["group"], f) for c in cells]) for f in total]
        hidden = suppress(values, equations) if hide else set()
        out[attr] = []
        for c in cells:
            gone = sorted(f for f in total if (c["group"], f) in hidden)
            out[attr].append({**c, **{f: None for f in gone},
                              "override_rate": None if gone else c["override_rate"],
                              "suppressed": gone})
    hidden_total = {f for f in total if hide and DEFAULT_RULE.hides(total[f])}
    return {**{f: None if f in hidden_total else v for f, v in total.items()},
            "groups": out}
