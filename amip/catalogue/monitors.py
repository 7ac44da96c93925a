"""The declared checks and groups of the monitors: ``quality.toml`` (data-quality rules) and
``groups.toml`` (customer groups). Loaded once, checked at load time (known kinds and severities,
the parameters each kind needs), so a broken definition fails loudly, naming file and entry.

>>> rules = quality_rules()["late_elb_spell"]   # QualityRule(kind="late_start", params={...})
>>> g = customer_groups()["u25"]                 # GroupDef(kind="age_below", params={"years": 25})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from amip.catalogue import CatalogueError, _read

SEVERITIES = ("hoch", "mittel", "niedrig")
#: each rule kind and the parameters it needs
RULE_KINDS = {
    "late_start": ("table", "months"), "late_closure": ("table", "months"),
    "benefit_without_spell": (), "spell_without_benefit": (), "spell_overlap": (),
    "spell_gap": ("max_gap_days",), "implausible_age": ("min_age", "max_age"),
    "caseload_gap": (), "employment_without_income": ("min_gross_eur",),
    "casefile_error_rate": ("area", "target_pct"), "not_checkable": ("reason",),
}
GROUP_KINDS = {"age_below": ("years",), "lza": ("days",), "lzb": (), "flags": ("flags",),
               "single_parent": (), "education": ("values",)}
_COMMON = ("name", "severity", "source", "checks", "kind", "unit")


@dataclass(frozen=True)
class QualityRule:
    """One data-quality rule (``quality.toml``)."""
    id: str
    name: str
    severity: str
    source: str
    checks: str
    kind: str
    unit: str
    params: dict = field(default_factory=dict, hash=False, compare=False)

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "severity": self.severity,
                "source": self.source, "checks": self.checks, "kind": self.kind,
                "unit": self.unit, "params": dict(self.params)}


@dataclass(frozen=True)
class GroupDef:
    """One customer group (``groups.toml``)."""
    id: str
    name: str
    kind: str
    source: str
    short: str = ""
    note: str | None = None
    params: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def definition(self) -> str:
        """The definition in German, from the kind and its parameters."""
        p = self.params
        return {
            "age_below": lambda: f"ELB, die am Stichtag jünger als {p['years']} Jahre sind",
            "lza": lambda: f"ELB, die am Stichtag seit mindestens {p['days']} Tagen arbeitslos "
                           "sind",
            "lzb": lambda: "ELB, die am Stichtag Langzeitleistungsbeziehende sind",
            "flags": lambda: "ELB mit einem der Merkmale " + ", ".join(p["flags"])
                             + " am Stichtag",
            "single_parent": lambda: "ELB, die am Stichtag Hauptperson einer "
                                     "Alleinerziehenden-BG sind",
            "education": lambda: "ELB mit Ausbildung " + ", ".join(p["values"]),
        }[self.kind]()


def _split(file: str, key: str, entry: dict, common: tuple, kinds: dict) -> tuple[dict, dict]:
    kind = entry.get("kind")
    if kind not in kinds:
        raise CatalogueError(f"{file}: {key}: unbekannte Art {kind!r} "
                             f"(erlaubt: {', '.join(kinds)})")
    missing = [k for k in (*common, *kinds[kind]) if k not in entry]
    if missing:
        raise CatalogueError(f"{file}: {key}: es fehlt {', '.join(missing)}")
    base = {k: entry[k] for k in common if k in entry}
    return base, {k: v for k, v in entry.items() if k not in common and k != "note"}


@cache
def quality_rules() -> dict[str, QualityRule]:
    """The data-quality rules, in file order."""
    out = {}
    for key, entry in _read("quality.toml").get("rules", {}).items():
        base, params = _split("quality.toml", key, entry, _COMMON, RULE_KINDS)
        if base["severity"] not in SEVERITIES:
            raise CatalogueError(f"quality.toml: {key}: unbekannte Schwere {base['severity']!r}")
        out[key] = QualityRule(id=key, params=params, **base)
    return out


@dataclass(frozen=True)
class FollowupStates:
    """The follow-up states of ``quality.toml`` ``[followup]``: id → German label, the state of
    a row with none recorded, and the label of a row no longer flagged (derived)."""
    states: dict[str, str]
    default: str
    resolved: str

    def parse(self, text: str) -> str | None:
        """A state id from its id or German label (any case, spaces or _), None if unknown."""
        norm = (text or "").strip().lower().replace(" ", "_")
        for sid, label in self.states.items():
            if norm in (sid, label.lower().replace(" ", "_")):
                return sid
        return None


@cache
def followup_states() -> FollowupStates:
    f = _read("quality.toml").get("followup", {})
    states = dict(f.get("states", {}))
    if not states or f.get("default") not in states or not f.get("resolved"):
        raise CatalogueError("quality.toml: [followup]: states, default (einer der states) und "
                             "resolved sind nötig")
    return FollowupStates(states, f["default"], f["resolved"])


@cache
def customer_groups() -> dict[str, GroupDef]:
    """The customer groups, in file order."""
    out = {}
    for key, entry in _read("groups.toml").get("groups", {}).items():
        base, params = _split("groups.toml", key, entry, ("name", "short", "kind", "source"),
                              GROUP_KINDS)
        out[key] = GroupDef(id=key, note=entry.get("note"), params=params, **base)
    return out


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def rules_markdown() -> str:
    """The rules table of docs/quality.md, rendered from ``quality.toml``."""
    lines = ["| id | Regel | Schwere | prüft | Parameter | Quelle |", "|---|---|---|---|---|---|"]
    for r in quality_rules().values():
        params = ", ".join(f"{k} = {v}" for k, v in r.params.items())
        lines.append(f"| `{r.id}` | {_cell(r.name)} | {r.severity} | {_cell(r.checks)} "
                     f"({_cell(r.unit)}) | {_cell(params)} | {_cell(r.source)} |")
    return "\n".join(lines) + "\n"


def groups_markdown() -> str:
    """The groups table of docs/groups.md, rendered from ``groups.toml``."""
    lines = ["| id | Kundengruppe | Kurz | Definition | Quelle | Hinweis |",
             "|---|---|---|---|---|---|"]
    for g in customer_groups().values():
        params = ", ".join(f"{k} = {v}" for k, v in g.params.items())
        lines.append(f"| `{g.id}` | {_cell(g.name)} | {_cell(g.short)} | `{g.kind}`"
                     f"{' (' + _cell(params) + ')' if params else ''} | {_cell(g.source)} | "
                     f"{_cell(g.note or '')} |")
    return "\n".join(lines) + "\n"
