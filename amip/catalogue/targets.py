"""What a target follows (``targets.toml``; domain reference §11 items 31–35, §12.1 items 44–49).

>>> m = measure_definitions()["K2"]          # MeasureDef(kind="quota", direction="higher", …)
>>> m = measure_definitions()["kdu_ausgaben"]  # a built-in municipal measure

A measure a target can name is a § 48a code (followed by its form), ``integrations``, a declared
local/municipal measure or a customer-group figure ``<figure>@<group>`` (``integrations@u25``:
[group_figures] × groups.toml, source ``group``); user-defined measures from the steering store
come in through :func:`measure_from_row`. The light thresholds are parameters (:func:`light_thresholds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from amip.catalogue import CatalogueError, _read, load

KINDS = ("quota", "count", "stock", "level")
DIRECTIONS = ("higher", "lower")
UNITS = ("percent", "persons", "eur")
SOURCES_BUILTIN = ("catalogue", "entered", "group")
GROUP_SEP = "@"


@dataclass(frozen=True)
class MeasureDef:
    """A measure a target can follow."""
    id: str
    name: str
    kind: str       # quota | count | stock | level
    unit: str       # percent | persons | eur
    direction: str  # higher | lower
    source: str     # catalogue | entered | a key of [computed]
    scope: str = "gesetzlich"  # gesetzlich | lokal | kommunal
    fact: str | None = None    # the engine fact of a count from the catalogue (integrations);
    #                            the group monitor's figure of a group measure
    group: str | None = None   # the customer group (groups.toml) of a group measure

    @property
    def lower_is_better(self) -> bool:
        return self.direction == "lower"


@dataclass(frozen=True)
class Computation:
    key: str
    label: str
    table: str
    area: str | None = None   # casefile_checks area of an error rate
    fact: str | None = None   # the engine fact whose monthly count (sum) is the value
    role: str | None = None   # caseload role the fact is restricted to (integrations_fm: fm)


@dataclass(frozen=True)
class LightThresholds:
    green: Decimal
    yellow: Decimal


def _check(m: MeasureDef, computed: dict) -> MeasureDef:
    for field, allowed in (("kind", KINDS), ("direction", DIRECTIONS), ("unit", UNITS)):
        if getattr(m, field) not in allowed:
            raise CatalogueError(f"targets.toml [measures.{m.id}]: {field} must be one of "
                                 f"{', '.join(allowed)}, not {getattr(m, field)!r}")
    if m.source not in SOURCES_BUILTIN and m.source not in computed:
        raise CatalogueError(f"targets.toml [measures.{m.id}]: unknown source {m.source!r}")
    return m


@cache
def computations() -> dict[str, Computation]:
    raw = _read("targets.toml").get("computed", {})
    try:
        return {k: Computation(key=k, **v) for k, v in raw.items()}
    except TypeError as e:
        raise CatalogueError(f"targets.toml [computed]: {e}") from e


@cache
def measure_definitions() -> dict[str, MeasureDef]:
    """Every measure a target can name without the steering store: the 15 § 48a codes,
    ``integrations`` and the declared local/municipal measures."""
    raw = _read("targets.toml")
    cat = load()
    lower = set(raw["lower_is_better"]["codes"])
    unknown = lower - set(cat.indicators)
    if unknown:
        raise CatalogueError(f"targets.toml [lower_is_better]: unknown codes {sorted(unknown)}")
    out: dict[str, MeasureDef] = {}
    for code, ind in cat.indicators.items():
        kind = raw["forms"][ind.form]
        unit = "percent" if kind in ("quota", "level") else ("eur" if ind.unit == "EUR" else "persons")
        out[code] = MeasureDef(code, ind.name, kind, unit, "lower" if code in lower else "higher",
                               "catalogue")
    comp = computations()
    out.update(group_measures())
    for key, entry in raw.get("measures", {}).items():
        try:
            out[key] = _check(MeasureDef(id=key, **entry), comp)
        except TypeError as e:
            raise CatalogueError(f"targets.toml [measures.{key}]: {e}") from e
    return out


def group_measures() -> dict[str, MeasureDef]:
    """``<figure>@<group>`` for every figure of [group_figures] and every customer group."""
    from amip.catalogue.monitors import customer_groups

    out = {}
    for figure, entry in _read("targets.toml").get("group_figures", {}).items():
        for g in customer_groups().values():
            key = f"{figure}{GROUP_SEP}{g.id}"
            try:
                out[key] = _check(MeasureDef(id=key, name=f"{entry['name']} – {g.name}",
                                             kind=entry["kind"], unit=entry["unit"],
                                             direction=entry["direction"], source="group",
                                             scope="lokal", fact=figure, group=g.id), {})
            except KeyError as e:
                raise CatalogueError(f"targets.toml [group_figures.{figure}]: es fehlt {e}") \
                    from None
    return out


def measure_from_row(row) -> MeasureDef:
    """A user-defined measure (a steering-store row with id, name, kind, unit, direction,
    source) as a MeasureDef, checked like a declared one."""
    return _check(MeasureDef(id=row.id, name=row.name, kind=row.kind, unit=row.unit,
                             direction=row.direction, source=row.source,
                             scope=getattr(row, "scope", "lokal")), computations())


@cache
def light_thresholds() -> LightThresholds:
    raw = _read("targets.toml")["lights"]
    return LightThresholds(Decimal(raw["green"]), Decimal(raw["yellow"]))
