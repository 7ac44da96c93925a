"""What the Zielnachhaltung (:func:`amip.attainment.status.target_status`) reads from the
steering store for one year, gathered once: the shells (``amip targets status``, the reports,
the web) hand it to the core instead of each asking the store in its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from amip.catalogue.targets import MeasureDef
from amip.steering.rows import PlanRow, TargetRow


@dataclass(frozen=True)
class StatusInputs:
    """The targets of a year, the agreed team plans of its count measures, the entered monthly
    values of its entered measures and every measure (catalogue and user-defined)."""
    year: int
    targets: list[TargetRow] = field(default_factory=list)
    plans: list[PlanRow] = field(default_factory=list)
    measure_values: dict[str, dict[tuple, Decimal]] = field(default_factory=dict)
    measures: dict[str, MeasureDef] = field(default_factory=dict)


def status_inputs(steering, year: int, as_of=None) -> StatusInputs:
    """The inputs of ``year`` as the steering store knows them (as of a date or moment)."""
    measures = steering.measures(as_of)
    targets = steering.targets(year=year, as_of=as_of)
    used = {t.measure for t in targets}
    values = {m: steering.measure_values(m, as_of) for m in used
              if m in measures and measures[m].source == "entered"}
    plans = [p for m in sorted(used) if m in measures and measures[m].kind == "count"
             for p in steering.plans(year, m, as_of=as_of)]
    return StatusInputs(year, targets, plans, values, measures)
