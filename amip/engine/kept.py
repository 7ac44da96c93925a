"""The Zielnachhaltung's counts kept in the store across processes (issue 12, "cold status").

The import (and nothing else) computes :func:`amip.engine.followed.follow` for the targets it is
told about (the latest data month of their year) and keeps the result in ``amip_follow_counts``
keyed by the data state, the Jobcenter, the month and the measures followed (their full
definitions and :data:`FORMAT`). A fresh process then reads them in one small query instead of
counting 44 months of facts again. Kept counts are used only for the exact key: another data
state (a new import), another month, other measures or an as-of view → computed as before, so
a result never changes by being kept.

With the counts it keeps the simulated paths of the Jobcenter's year-end expectation (item 35)
for the measures and sexes named in the job (:meth:`Followed.expectation`, seeded, so the same
paths the status would simulate): the status of a fresh process then neither imports statsmodels
nor fits a model. A path is used only for its exact series key (unit, sex, fact, cutoff, number
of paths, seed) and :data:`EXPECTATION_FORMAT`; another one is simulated as before.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import zlib
from decimal import Decimal

import numpy as np

KEPT = "amip_follow_counts"
#: bump when what :func:`follow` counts or how it is kept changes: old rows are then ignored
FORMAT = 1
#: bump when the year-end expectation's models (:func:`amip.engine.forecast.fit_and_simulate`)
#: or its series change: kept paths of another format are then simulated afresh
EXPECTATION_FORMAT = 1


def measures_key(measures) -> str:
    """The measures followed, as one key: every field of each definition (sorted by id)."""
    defs = sorted((dataclasses.asdict(md) for md in set(measures)), key=lambda d: d["id"])
    text = json.dumps([FORMAT, defs], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _encode_counts(counts: dict) -> list:
    return [[*k, str(v), isinstance(v, Decimal)] for k, v in counts.items()]


def _decode_counts(rows: list) -> dict:
    return {tuple(r[:-2]): Decimal(r[-2]) if r[-1] else int(r[-2]) for r in rows}


def _encode_paths(paths: dict) -> list:
    """[[*key, shape, base64 of the zlib'd little-endian float64s]] (None: too short a series);
    the exact floats, so the expectation read back is the one simulated."""
    out = []
    for key, a in paths.items():
        if a is None:
            out.append([*key, None, None])
            continue
        a = np.ascontiguousarray(a, dtype="<f8")
        out.append([*key, list(a.shape),
                    base64.b64encode(zlib.compress(a.tobytes())).decode("ascii")])
    return out


def _decode_paths(rows: list) -> dict:
    out = {}
    for *key, shape, data in rows:
        out[tuple(key)] = None if data is None else np.frombuffer(
            zlib.decompress(base64.b64decode(data)), dtype="<f8").reshape(shape).copy()
    return out


def dump(f) -> str:
    """A :class:`~amip.engine.followed.Followed`'s counts (and the expectation's simulated paths
    it holds) as JSON (no person-level data: counts by team, sex and month; simulated sums)."""
    return json.dumps({"counts": _encode_counts(f.counts), "checks": _encode_counts(f.checks),
                       "units": f.units, "money_months": sorted(f.money_months),
                       "start": None if f.start is None else f.start.isoformat(),
                       "first": f.first, "expectation_format": EXPECTATION_FORMAT,
                       "paths": _encode_paths(f._paths)})


def _followed(db, jobcenter_id: str, m: int, payload: str, reach):
    from amip.engine.followed import Followed

    p = json.loads(payload)
    f = Followed(db, jobcenter_id, m, _decode_counts(p["counts"]), p["units"],
                 set(p["money_months"]), _decode_counts(p["checks"]),
                 None if p["start"] is None else dt.date.fromisoformat(p["start"]),
                 p["first"], reach)
    if p.get("expectation_format") == EXPECTATION_FORMAT:
        f._paths.update(_decode_paths(p.get("paths", [])))
    return f


def kept(db, jobcenter_id: str, m: int, measures, reach=None):
    """The kept :class:`~amip.engine.followed.Followed` of exactly this data state, Jobcenter,
    month and measures; None when there is none (or the view is as of a date)."""
    if getattr(db, "as_of", None) is not None or not hasattr(db, "backend") \
            or not hasattr(db, "data_state"):
        return None
    if KEPT not in db.backend.list_tables():
        return None
    t = db.backend.table(KEPT)
    t = t.filter((t.data_state == db.data_state()) & (t.jobcenter_id == jobcenter_id)
                 & (t.m == m) & (t.measures == measures_key(measures)))
    rows = t.select("payload").limit(1).to_pyarrow().to_pylist()
    return _followed(db, jobcenter_id, m, rows[0]["payload"], reach) if rows else None


def keep(store, jobs) -> int:
    """Count and keep :func:`follow` for ``jobs`` [(jobcenter_id, m, measures[, expected])]
    under the data state of ``store`` (a read-write :class:`amip.store.Store`, right after an
    import); rows of other data states are removed. ``expected``: [(measure, sex)] whose
    year-end expectation for the Jobcenter is simulated now and kept with the counts. Returns
    the number of rows kept."""
    from amip.engine.followed import follow

    view = store.view()
    state = view.data_state()
    con = store.con
    con.execute(f"CREATE TABLE IF NOT EXISTS {KEPT} (data_state VARCHAR, jobcenter_id VARCHAR, "
                "m INTEGER, measures VARCHAR, payload VARCHAR)")
    con.execute(f"DELETE FROM {KEPT} WHERE data_state <> ?", [state])
    n = 0
    for jc, m, measures, *rest in jobs:
        measures = list(measures)
        if not measures:
            continue
        key = measures_key(measures)
        f = follow(view, jc, m, measures)
        for md, sex in (rest[0] if rest else ()):
            f.expectation(md, None, sex)  # fills f._paths (seeded: what the status simulates)
        con.execute(f"DELETE FROM {KEPT} WHERE data_state = ? AND jobcenter_id = ? AND m = ? "
                    "AND measures = ?", [state, jc, m, key])
        con.execute(f"INSERT INTO {KEPT} VALUES (?, ?, ?, ?, ?)",
                    [state, jc, m, key, dump(f)])
        n += 1
    return n
