"""Recording faults the data-quality rules should find (amip/catalogue/quality.toml), at low,
realistic rates: closures never recorded (an ``elb`` spell that ended in the last two years stays
open in the extract while its benefit months stop) and caseload gaps (ELB without a team for a
segment). Late recordings come from :mod:`amip.synth.recording` already. Applied to the finished
tables with a random generator of its own (``default_rng([seed, 14])``), so every other row is the
same as without faults; deterministic by seed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def apply(tables: dict[str, pa.Table], seed: int, params: dict, cutoff: dt.date
          ) -> dict[str, pa.Table]:
    """``tables`` with the faults of ``params`` (``[simulation.faults]`` of the profile)."""
    if not params:
        return tables
    rng = np.random.default_rng([seed, 14])
    out = dict(tables)
    e = out["elb_spells"]
    since = cutoff - dt.timedelta(days=int(params["unrecorded_closure_window_days"]))
    ends = e["valid_to"]
    recent = pc.and_(pc.equal(e["status"], "elb"),
                     pc.and_(pc.is_valid(ends), pc.greater_equal(
                         ends.fill_null(cutoff), pa.scalar(since, pa.date32()))))
    chosen = pc.and_(recent.fill_null(False), pa.array(
        rng.random(e.num_rows) < params["unrecorded_closure_share"]))
    e = e.set_column(e.schema.get_field_index("valid_to"), "valid_to",
                     pc.if_else(chosen, pa.scalar(None, ends.type), ends))
    out["elb_spells"] = e
    c = out["caseload"]
    keep = rng.random(c.num_rows) >= params["caseload_gap_share"]
    out["caseload"] = c.filter(pa.array(keep))
    return out
