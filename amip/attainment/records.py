"""The records of ``amip targets status`` and ``amip plan status`` (issue 12 item 7): exactly
the contract's JSON keys; German reasons ride along outside the JSON."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from fractions import Fraction

STATUS_KEYS = ("jobcenter_id", "unit_id", "year", "month", "measure", "sex", "target", "actual",
               "path", "gap", "gap_percent", "light", "expected", "expected_lower",
               "expected_upper")
PLAN_KEYS = ("unit_id", "level", "year", "measure", "planned", "key_value", "proposed", "total",
             "target")


def as_float(x) -> float | None:
    """A number of a record: an unrounded float, None where it does not exist."""
    if x is None:
        return None
    if isinstance(x, (Fraction, Decimal, int)):
        return float(x)
    return x


@dataclass(frozen=True)
class StatusRecord:
    """Ist, Zielpfad, gap, light and year-end expectation of one target, unit and month
    (items 32–35). Numbers are floats (unrounded) or None; ``reason`` (German) says why a
    number is missing and is not part of :meth:`as_json`; ``level`` is the unit's level
    (jobcenter | standort | team) and ``target_origin`` where its target comes from
    (``own``, ``jobcenter``: inherited, ``plan``: the agreed team plan, None: none)."""
    jobcenter_id: str
    unit_id: str | None
    year: int
    month: str
    measure: str
    sex: str
    target: float | None
    actual: float | None
    path: float | None
    gap: float | None
    gap_percent: float | None
    light: str
    expected: float | None = None
    expected_lower: float | None = None
    expected_upper: float | None = None
    reason: str | None = None
    level: str = "jobcenter"
    target_origin: str | None = None

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in STATUS_KEYS}


@dataclass(frozen=True)
class PlanRecord:
    """One unit of a planning round (items 36, 50, 51): ``planned`` the team's plan (Standort
    and Jobcenter rows: the sum of their teams), ``key_value`` its key, ``proposed`` its share
    of the planning gap, ``total`` = planned + proposed, ``target`` on the Jobcenter row only."""
    unit_id: str | None
    level: str
    year: int
    measure: str
    planned: float | None
    key_value: float | None
    proposed: float | None
    total: float | None
    target: float | None
    reason: str | None = None

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in PLAN_KEYS}


assert tuple(f.name for f in fields(StatusRecord))[:len(STATUS_KEYS)] == STATUS_KEYS
assert tuple(f.name for f in fields(PlanRecord))[:len(PLAN_KEYS)] == PLAN_KEYS
