"""Recording faults the data-quality rules should find (amip/catalogue/quality.toml), at low,
realistic rates, only in the last months before the extract's end (``window_days``): closures
not (yet) recorded — an ``elb`` spell that ended there stays open in the extract while its
benefit months stop — and caseload gaps — new caseload assignments recorded weeks late, so the
ELB has no team at first. Late recordings come from :mod:`amip.synth.recording` already.
Applied to the finished tables with a random generator of its own (``default_rng([seed, 14])``):
every other row, and every figure before the window, is the same as without faults;
deterministic by seed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def apply(tables: dict[str, pa.Table], seed: int, params: dict, end: dt.date
          ) -> dict[str, pa.Table]:
    """``tables`` with the faults of ``params`` (``[simulation.faults]`` of the profile)."""
    if not params:
        return tables
    rng = np.random.default_rng([seed, 14])
    since = pa.scalar(end - dt.timedelta(days=int(params["window_days"])), pa.date32())
    out = dict(tables)
    e = out["elb_spells"]
    ends = e["valid_to"]
    recent = pc.and_(pc.equal(e["status"], "elb"),
                     pc.greater_equal(ends, since)).fill_null(False)
    chosen = pc.and_(recent, pa.array(rng.random(e.num_rows) < params["unrecorded_closure_share"]))
    i = e.schema.get_field_index("valid_to")
    out["elb_spells"] = e.set_column(i, "valid_to",
                                     pc.if_else(chosen, pa.scalar(None, ends.type), ends))
    c = out["caseload"]
    lo, hi = params["caseload_delay_days"]
    delay = rng.integers(lo, hi + 1, c.num_rows)
    chosen = pc.and_(pc.greater_equal(c["valid_from"], since).fill_null(False),
                     pa.array(rng.random(c.num_rows) < params["caseload_gap_share"]))
    shifted = pc.add(c["valid_from"].cast(pa.int32()), pa.array(delay, pa.int32())).cast(pa.date32())
    start = pc.if_else(chosen, shifted, c["valid_from"])
    keep = pc.less_equal(start, c["valid_to"]).fill_null(True)  # an open row is kept
    c = c.set_column(c.schema.get_field_index("valid_from"), "valid_from", start)
    out["caseload"] = c.filter(keep)
    return out
