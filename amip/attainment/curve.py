"""Ist and Zielpfad of one target for every month of its year (the data of an "Ist gegen
Zielpfad" chart): the same arithmetic as :func:`amip.attainment.status.target_status`, so the
point of the status month equals that month's record (items 32, 33)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Mapping

from amip.attainment import TargetLike
from amip.attainment.arithmetic import seasonal_share, zielpfad
from amip.attainment.records import as_float
from amip.attainment.status import HANDED_IN, followed_def, group_values
from amip.catalogue.targets import MeasureDef, measure_definitions
from amip.engine.calendar import format_month, parse_month
from amip.engine.followed import follow_cached


@dataclass(frozen=True)
class CurvePoint:
    """Month ``YYYY-MM``: the Ist A(k) (None after the status month or where it does not
    exist) and the Zielpfad P(k) (None without a target value)."""
    month: str
    actual: float | None
    path: float | None


def target_curve(db, target: TargetLike, month: str | int,
                 measures: Mapping[str, MeasureDef] | None = None,
                 measure_values: Mapping[str, Mapping[tuple, Decimal]] | None = None,
                 followed: Iterable[str] = ()) -> list[CurvePoint]:
    """January to December of the target's year: P(k) for every month, A(k) up to ``month``,
    for the target's own scope (its unit, or the Jobcenter) and sex. ``followed``: the other
    measures the status of the month followed with it (its targets' measures), so that the
    counts come from the same cached :func:`follow_cached`."""
    m = month if isinstance(month, int) else parse_month(month)
    defs = {**measure_definitions(), **(measures or {})}
    md = defs[target.measure]
    u, sex, value = target.unit_id, target.sex, target.value
    mds = list({x: followed_def(defs[x]) for x in [*followed, target.measure]}.values())
    f = follow_cached(db, target.jobcenter_id, m, mds)
    if md.source == "group":
        measure_values = {**group_values(db, [target], defs, [m]), **(measure_values or {})}
    entered = {k[2]: v for k, v in (measure_values or {}).get(md.id, {}).items()
               if k[0] == target.jobcenter_id and k[1] == u} if md.source in HANDED_IN else None
    md = followed_def(md)
    counts = f.yearly_counts(md, u, sex, entered) if md.kind in ("quota", "count") else None
    prev = f.stock_prev_dec(md, u, sex, entered)[0] if md.kind == "stock" else None
    first = m - m % 12
    out = []
    for k in range(first, first + 12):
        moy = k % 12 + 1
        path = None if value is None else zielpfad(
            md, value, moy, seasonal_share(counts, moy) if counts is not None else None, prev)
        actual = f.at(k).actual(md, u, sex, entered)[0] if k <= m else None
        out.append(CurvePoint(format_month(k), as_float(actual), as_float(path)))
    return out
