"""Ist and Zielpfad of one target for every month of its year (the data of an "Ist gegen
Zielpfad" chart): the same arithmetic as :func:`amip.attainment.status.target_status`, so the
point of the status month equals that month's record (items 32, 33)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from amip.attainment import TargetLike
from amip.attainment.arithmetic import seasonal_share, zielpfad
from amip.attainment.records import as_float
from amip.catalogue.targets import MeasureDef, measure_definitions
from amip.engine.calendar import format_month, parse_month
from amip.engine.followed import Followed, follow


@dataclass(frozen=True)
class CurvePoint:
    """Month ``YYYY-MM``: the Ist A(k) (None after the status month or where it does not
    exist) and the Zielpfad P(k) (None without a target value)."""
    month: str
    actual: float | None
    path: float | None


def target_curve(db, target: TargetLike, month: str | int,
                 measures: Mapping[str, MeasureDef] | None = None,
                 measure_values: Mapping[str, Mapping[tuple, Decimal]] | None = None
                 ) -> list[CurvePoint]:
    """January to December of the target's year: P(k) for every month, A(k) up to ``month``,
    for the target's own scope (its unit, or the Jobcenter) and sex."""
    m = month if isinstance(month, int) else parse_month(month)
    defs = {**measure_definitions(), **(measures or {})}
    md = defs[target.measure]
    u, sex, value = target.unit_id, target.sex, target.value
    f = follow(db, target.jobcenter_id, m, [md])
    entered = {k[2]: v for k, v in (measure_values or {}).get(md.id, {}).items()
               if k[0] == target.jobcenter_id and k[1] == u} if md.source == "entered" else None
    counts = f.yearly_counts(md, u, sex, entered) if md.kind in ("quota", "count") else None
    prev = f.stock_prev_dec(md, u, sex, entered)[0] if md.kind == "stock" else None
    first = m - m % 12
    out = []
    for k in range(first, first + 12):
        moy = k % 12 + 1
        path = None if value is None else zielpfad(
            md, value, moy, seasonal_share(counts, moy) if counts is not None else None, prev)
        actual = _at(f, k).actual(md, u, sex, entered)[0] if k <= m else None
        out.append(CurvePoint(format_month(k), as_float(actual), as_float(path)))
    return out


def _at(f: Followed, k: int) -> Followed:
    """The counts of ``f`` read as of an earlier month k of the same year (they reach back to
    January y−3; the caches are keyed by fact and month, so they are shared)."""
    if k == f.m:
        return f
    g = copy.copy(f)
    g.m, g.month_of_year = k, k % 12 + 1
    return g
