"""The indicator catalogue: measures, dated rule versions and parameters, read from TOML data.

``indicators.toml`` declares the 15 § 48a measures, ``rules.toml`` the rule versions with their
validity dates, instrument lists and the measures they redefine, ``benefits.toml`` the benefit's
name in force on a date (ALG II, Bürgergeld, Grundsicherungsgeld), ``parameters.toml`` the Stichtag day, the LZB threshold and the
Wartezeit. The loader checks the files at start-up (known forms, 15 codes, ordered, non-overlapping
validity periods) so a broken definition fails loudly, naming the file and entry.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from amip.errors import ConfigurationError

HERE = Path(__file__).parent
FORMS = ("change", "rolling_quota", "rolling_ratio", "month_quota", "mean_rate")
CODES = ("K1", "K1E1", "K1E2", "K1E3", "K1E4", "K2", "K2E1", "K2E2", "K2E3", "K2E4",
         "K3", "K3E1", "K3E2", "K3E3", "K3E4")


class CatalogueError(ConfigurationError, ValueError):
    pass


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    goal: str
    kind: str  # Kennzahl | Ergänzungsgröße
    legal_basis: str
    form: str
    numerator: str
    denominator: str
    description: str
    denominator_lag: int = 0
    unit: str = "Personen"
    name_by_rules: str | None = None  # a rule-version field that renames the measure

    def name_under(self, rules: "RuleVersion") -> str:
        return getattr(rules, self.name_by_rules) if self.name_by_rules else self.name

    @property
    def is_change(self) -> bool:
        return self.form == "change"


class Dated:
    """A catalogue entry in force from ``valid_from`` to ``valid_to`` (None: open-ended)."""

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class RuleVersion(Dated):
    key: str
    label: str
    title: str
    source: str
    valid_from: dt.date
    valid_to: dt.date | None
    integration_kinds: tuple[str, ...]
    integration_fundings: tuple[str, ...]
    public_fundings: tuple[str, ...]
    public_instruments: tuple[str, ...]
    activation_instruments: tuple[str, ...]
    k2e3_months_after: tuple[int, ...]
    k2e3_name: str
    changes: tuple[str, ...] = ()  # measures defined differently than under the version before


@dataclass(frozen=True)
class Benefit(Dated):
    """The name of the SGB II benefit for ELB in force from ``valid_from`` to ``valid_to``."""
    key: str
    name: str
    short: str
    valid_from: dt.date
    source: str
    valid_to: dt.date | None = None


@dataclass(frozen=True)
class Parameters:
    stichtag_day: int
    lzb_window_days: int
    lzb_threshold_days: int
    wartezeit_months: int
    rate_months: int


@dataclass(frozen=True)
class TableReach:
    """How a table must reach a month for the facts reading it (horizon.toml)."""
    name: str
    label: str  # German name of the data in a reason
    reach: str  # stichtag | month


@dataclass(frozen=True)
class FactNeeds:
    """The tables a fact reads and the Stichtage around its month they must reach."""
    fact: str
    tables: tuple[str, ...]
    before: int = 0
    ahead: str | None = None  # a RuleVersion field: months after m


@dataclass(frozen=True)
class Catalogue:
    indicators: dict[str, Indicator]
    rules: dict[str, RuleVersion]
    parameters: Parameters
    benefits: dict[str, Benefit] = field(default_factory=dict)
    tables: dict[str, TableReach] = field(default_factory=dict)
    needs: dict[str, FactNeeds] = field(default_factory=dict)

    def rules_for(self, day: dt.date) -> RuleVersion:
        """The rule version valid on ``day`` (the Stichtag of a Berichtsmonat)."""
        for version in self.rules.values():
            if version.covers(day):
                return version
        first = min(self.rules.values(), key=lambda v: v.valid_from)
        if day < first.valid_from:  # before the first VO: its rules are the nearest reading
            return first
        raise CatalogueError(f"Am {day:%d.%m.%Y} gilt keine Regelversion der Kennzahlen")

    def rule_break(self, code: str, before: str, after: str) -> RuleVersion | None:
        """The rule version that redefines measure ``code`` between the versions ``before`` and
        ``after`` (keys, either order), or None: values under the two compare like for like."""
        a, b = sorted((self.rules[before].valid_from, self.rules[after].valid_from))
        return next((v for v in sorted(self.rules.values(), key=lambda v: v.valid_from)
                     if a < v.valid_from <= b and code in v.changes), None)

    def benefit_for(self, day: dt.date) -> Benefit:
        """The benefit's name in force on ``day`` (before the first entry: the first)."""
        for b in self.benefits.values():
            if b.covers(day):
                return b
        first = min(self.benefits.values(), key=lambda b: b.valid_from)
        if day < first.valid_from:
            return first
        raise CatalogueError(f"benefits.toml: am {day:%d.%m.%Y} gilt kein Leistungsname")


def _read(name: str) -> dict:
    path = HERE / name
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise CatalogueError(f"{path}: {e}") from e


@cache
def load() -> Catalogue:
    indicators = {}
    for code, entry in _read("indicators.toml").items():
        try:
            indicator = Indicator(code=code, **entry)
        except TypeError as e:
            raise CatalogueError(f"indicators.toml [{code}]: {e}") from e
        if indicator.form not in FORMS:
            raise CatalogueError(f"indicators.toml [{code}]: unknown form {indicator.form!r}")
        indicators[code] = indicator
    if tuple(indicators) != CODES:
        raise CatalogueError(f"indicators.toml must declare {', '.join(CODES)} in this order")
    rules = {}
    for key, entry in _read("rules.toml").items():
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()}
        values.setdefault("valid_to", None)
        try:
            rules[key] = RuleVersion(key=key, **values)
        except TypeError as e:
            raise CatalogueError(f"rules.toml [{key}]: {e}") from e
    _one_at_a_time("rules.toml", rules)
    p = _read("parameters.toml")
    parameters = Parameters(
        stichtag_day=p["stichtag"]["day"], lzb_window_days=p["lzb"]["window_days"],
        lzb_threshold_days=p["lzb"]["threshold_days"], wartezeit_months=p["wartezeit"]["months"],
        rate_months=p["rates"]["months"])
    for version in rules.values():
        unknown = set(version.changes) - set(CODES)
        if unknown:
            raise CatalogueError(f"rules.toml [{version.key}]: unknown measures in changes: "
                                 f"{', '.join(sorted(unknown))}")
    benefits = {}
    for key, entry in _read("benefits.toml").items():
        try:
            benefits[key] = Benefit(key=key, **entry)
        except TypeError as e:
            raise CatalogueError(f"benefits.toml [{key}]: {e}") from e
    _one_at_a_time("benefits.toml", benefits)
    tables, needs = _horizon(indicators, rules)
    return Catalogue(indicators, rules, parameters, benefits, tables, needs)


def _one_at_a_time(file: str, entries: dict[str, Dated]) -> None:
    """Dated entries follow each other without overlap (one in force on any day)."""
    ordered = sorted(entries.values(), key=lambda v: v.valid_from)
    for a, b in zip(ordered, ordered[1:]):
        if a.valid_to is None or a.valid_to >= b.valid_from:
            raise CatalogueError(f"{file}: [{a.key}] and [{b.key}] overlap")


def _horizon(indicators: dict[str, Indicator], rules: dict[str, RuleVersion]
             ) -> tuple[dict[str, TableReach], dict[str, FactNeeds]]:
    """horizon.toml, checked: every fact a measure uses is declared, over declared tables."""
    h = _read("horizon.toml")
    tables = {}
    for name, entry in h.get("tables", {}).items():
        try:
            tables[name] = TableReach(name=name, **entry)
        except TypeError as e:
            raise CatalogueError(f"horizon.toml [tables.{name}]: {e}") from e
        if tables[name].reach not in ("stichtag", "month"):
            raise CatalogueError(f"horizon.toml [tables.{name}]: unknown reach {entry['reach']!r}")
    needs = {}
    for fact, entry in h.get("facts", {}).items():
        try:
            needs[fact] = FactNeeds(fact=fact, **{k: tuple(v) if isinstance(v, list) else v
                                                  for k, v in entry.items()})
        except TypeError as e:
            raise CatalogueError(f"horizon.toml [facts.{fact}]: {e}") from e
        unknown = set(needs[fact].tables) - set(tables)
        if unknown:
            raise CatalogueError(f"horizon.toml [facts.{fact}]: undeclared tables {sorted(unknown)}")
        ahead = needs[fact].ahead
        if ahead and not all(hasattr(v, ahead) for v in rules.values()):
            raise CatalogueError(f"horizon.toml [facts.{fact}]: no rule-version field {ahead!r}")
    for i in indicators.values():
        for fact in (i.numerator, i.denominator):
            if fact not in needs:
                raise CatalogueError(f"horizon.toml: fact {fact!r} of {i.code} is not declared")
    return tables, needs
