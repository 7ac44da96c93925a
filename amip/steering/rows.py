"""What the steering store hands out: frozen records of one version each, and the extract's
org tree as the store's checks need it (:func:`known_units`, :func:`known_jobcenters`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from amip.errors import AmipError

SEXES = ("all", "m", "w")
STATUSES = ("vereinbart", "in_abstimmung")
PLAN_KEYS = ("elb", "marktnah", "equal", "manual")
ROUND_STATES = ("offen", "vereinbart")


class StaleChange(AmipError):
    """A change based on a version that is no longer the current one (optimistic versioning):
    somebody else changed the entry meanwhile; the form must be reloaded."""

    http_status = 409


@dataclass(frozen=True)
class UnitInfo:
    unit_id: str
    jobcenter_id: str
    level: str  # jobcenter | standort | team
    parent_unit_id: str | None = None


def known_units(view) -> dict[str, UnitInfo]:
    """The units of a store view (:class:`amip.store.views.StoreView`) by unit_id."""
    t = view.table("units").select("unit_id", "jobcenter_id", "level", "parent_unit_id")
    return {r["unit_id"]: UnitInfo(**r) for r in t.to_pyarrow().to_pylist()}


def known_jobcenters(view) -> set[str]:
    """The jobcenter_ids of a store view."""
    t = view.table("jobcenters").select("jobcenter_id")
    return {r["jobcenter_id"] for r in t.to_pyarrow().to_pylist()}


@dataclass(frozen=True)
class TargetInput:
    """A target as entered (domain reference §11 item 31); ``unit_id`` None = the Jobcenter."""
    jobcenter_id: str
    unit_id: str | None
    year: int
    measure: str
    sex: str = "all"
    value: Decimal | None = None
    status: str = "vereinbart"
    source: str | None = None
    note: str | None = None

    @property
    def key(self) -> tuple:
        return (self.jobcenter_id, self.unit_id, self.year, self.measure, self.sex)


@dataclass(frozen=True)
class TargetRow:
    """One version of a target."""
    jobcenter_id: str
    unit_id: str | None
    year: int
    measure: str
    sex: str
    value: Decimal | None
    status: str
    source: str | None
    note: str | None
    version: int
    recorded_at: dt.datetime
    recorded_by: str
    reason: str | None
    withdrawn: bool
    operation: str = "create"  # create | change | withdraw

    @property
    def key(self) -> tuple:
        return (self.jobcenter_id, self.unit_id, self.year, self.measure, self.sex)


@dataclass(frozen=True)
class PlanRow:
    """One version of a team's plan: ``value`` = the planned count, ``accepted`` = its share of
    the planning gap accepted when the round was agreed (None before)."""
    jobcenter_id: str
    unit_id: str
    year: int
    measure: str
    value: Decimal
    accepted: Decimal | None
    version: int
    recorded_at: dt.datetime
    recorded_by: str
    reason: str | None
    operation: str = "create"


@dataclass(frozen=True)
class PlanRound:
    """One version of a planning round: the key that distributes the gap and its state."""
    jobcenter_id: str
    year: int
    measure: str
    key: str
    state: str
    version: int
    recorded_at: dt.datetime
    recorded_by: str
    reason: str | None
    operation: str = "create"


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: entries new, changed and unchanged (identical: no new version)."""
    new: int
    changed: int
    unchanged: int

    @property
    def lines(self) -> int:
        return self.new + self.changed + self.unchanged
