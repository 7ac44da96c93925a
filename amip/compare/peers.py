"""One Jobcenter among its peers: each measure's value, its rank in Vergleichstyp and Land, the
Vergleichstyp's median and quartiles, and expected vs actual for the benchmarked measures.
One engine computation for all Jobcenter serves all of it."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from amip.compare.config import config
from amip.compare.expected import expected
from amip.compare.figures import figures, month_index
from amip.compare.ranking import rankings
from amip.compare.shapes import PeerMeasure, PeerPosition
from amip.engine.indicators import UnknownUnit, compute


def quartiles(values: list[float]) -> tuple[float | None, float | None, float | None]:
    """Q1, median, Q3 (linear interpolation between order statistics, numpy's default)."""
    if not values:
        return None, None, None
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return float(q1), float(med), float(q3)


def peers(view, month: int | str, jobcenter_id: str,
          measures: Iterable[str] | None = None, records=None) -> PeerPosition:
    """``jobcenter_id`` in ``month``: each measure's figure, rank in Vergleichstyp and Land, the
    Vergleichstyp's median and quartiles, and expected vs actual for the benchmarked measures.
    ``records`` (optional): the engine's records of that month for all Jobcenter, when the
    caller has them already (the web keeps them per data state)."""
    m = month_index(month)
    if records is None:
        records = compute(view, [m], codes=list(measures) if measures else None)
    comp = figures(view, m, measures, records=records)
    try:
        me = comp.row(jobcenter_id)
    except KeyError:
        raise UnknownUnit(f"Jobcenter {jobcenter_id!r} gibt es im Datenbestand nicht.") from None
    by_vt = {(r.code, r.jobcenter_id): r for r in rankings(comp, "vergleichstyp")}
    by_land = {(r.code, r.jobcenter_id): r for r in rankings(comp, "land")}
    group = [r for r in comp.rows if r.vergleichstyp is not None
             and r.vergleichstyp == me.vergleichstyp]
    out = []
    for code in comp.measures:
        vals = [r.figures[code].value for r in group
                if code in r.figures and r.figures[code].value is not None]
        q1, med, q3 = quartiles(vals)
        exp = None
        if code in config().measures:
            bench = expected(view, [m], code, records=records)
            exp = next((e for e in bench.rows if e.jobcenter_id == jobcenter_id), None)
        out.append(PeerMeasure(code, me.figures[code], by_vt[(code, jobcenter_id)],
                               by_land[(code, jobcenter_id)], len(vals), med, q1, q3, exp))
    return PeerPosition(me, comp.month, out)
