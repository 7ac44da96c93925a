"""What people enter: targets, team plans and planning rounds, user-defined measures and their
monthly values — versioned, never overwritten (see README.md here and docs/steering.md)."""

from amip.steering.rows import (ImportSummary, PlanRound, PlanRow, StaleChange, TargetInput,
                                TargetRow, UnitInfo, known_jobcenters, known_units)
from amip.steering.scenarios import ScenarioRow
from amip.steering.store import Steering

__all__ = ["ImportSummary", "PlanRound", "PlanRow", "ScenarioRow", "StaleChange", "Steering",
           "TargetInput", "TargetRow", "UnitInfo", "known_jobcenters", "known_units"]
