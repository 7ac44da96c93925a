"""Zielnachhaltung and planning (domain reference §11 items 31–37, §12.1 items 44–51).

The arithmetic (:mod:`.arithmetic`, :mod:`.planning`, :mod:`.records`) is pure and imports only
the catalogue; :mod:`.status` joins it with the engine's Ist series (:mod:`amip.engine.followed`).
Targets and plans come in as duck-typed rows (:class:`TargetLike`, :class:`PlanLike`): the
steering store's rows, or anything with the same attributes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from amip.attainment.arithmetic import (cumulative, exact, gap, gap_percent, light,
                                        seasonal_share, zielpfad)
from amip.attainment.planning import largest_remainder, split_amount
from amip.attainment.records import PLAN_KEYS, STATUS_KEYS, PlanRecord, StatusRecord

__all__ = ["TargetLike", "PlanLike", "seasonal_share", "zielpfad", "gap", "gap_percent",
           "light", "exact", "cumulative", "largest_remainder", "split_amount", "StatusRecord",
           "PlanRecord", "STATUS_KEYS", "PLAN_KEYS"]


class TargetLike(Protocol):
    """A target (item 31): the steering store's ``TargetRow`` or anything alike."""
    jobcenter_id: str
    unit_id: str | None
    year: int
    measure: str
    sex: str
    value: Decimal | None
    status: str  # vereinbart | in_abstimmung


class PlanLike(Protocol):
    """A team plan (item 36): the steering store's ``PlanRow`` or anything alike."""
    jobcenter_id: str
    unit_id: str
    year: int
    measure: str
    value: Decimal
    accepted: bool
