"""From membership segments to ELB/NEF spells, BG spells and benefit months (the truth, in days)."""

from __future__ import annotations

import numpy as np

from amip.synth import util
from amip.synth.households import HouseholdResult, ROLE_CHILD, ROLE_HEAD, ROLE_PARTNER


def elb_segments(hh: HouseholdResult) -> dict[str, np.ndarray]:
    """Membership segments split at the 15th birthday: status 1 = elb, 0 = nef."""
    m = hh.members
    birth = hh.persons["birth"][m["pid"]]
    nef_adult = hh.persons["nef"][m["pid"]]
    b15 = util.add_years(birth, 15)
    start, end = m["start"], m["end"]
    split = (start < b15) & (b15 <= end)
    before = ~split & (end < b15)
    out = {k: np.concatenate([v, v[split]]) for k, v in m.items()}
    out["end"] = np.concatenate([np.where(split, b15 - 1, end), end[split]])
    out["start"] = np.concatenate([start, b15[split]])
    out["reason"] = np.concatenate([np.where(split, 6, m["reason"]), m["reason"][split]])
    is_nef = np.concatenate([before | split | nef_adult, nef_adult[split]])
    out["status"] = (~is_nef).astype(np.int8)
    ok = out["end"] >= out["start"]
    return {k: v[ok] for k, v in out.items()}


class IntervalIndex:
    """Find, for (key, day), the interval of a key that starts last on or before the day."""

    def __init__(self, key: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        self.order = np.lexsort((start, key))
        self.comb = (key[self.order].astype(np.int64) << 32) + start[self.order]
        self.key, self.end = key[self.order], end[self.order]

    def find(self, key: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Index into the original arrays, or -1 where no interval covers the day."""
        q = (np.asarray(key, np.int64) << 32) + np.asarray(day, np.int64)
        i = np.searchsorted(self.comb, q, side="right") - 1
        ok = (i >= 0)
        i2 = np.where(ok, i, 0)
        ok &= (self.key[i2] == key) & (self.end[i2] >= day)
        return np.where(ok, self.order[i2], -1)


def periods(seg: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Merge a person's adjacent ELB segments (moves, BG changes) into benefit periods."""
    s = {k: v[seg["status"] == 1] for k, v in seg.items()}
    o = np.lexsort((s["start"], s["pid"]))
    pid, start, end = s["pid"][o], s["start"][o], s["end"][o]
    reason, role, bg, jc = s["reason"][o], s["role"][o], s["bg"][o], s["jc"][o]
    new = np.ones(len(pid), bool)
    if len(pid):
        prev_end = np.empty_like(end)
        prev_end[0] = -1
        # running max of end within person
        same = np.r_[False, pid[1:] == pid[:-1]]
        grp = np.cumsum(~same)
        run_end = _group_cummax(end, grp)
        prev_end[1:] = run_end[:-1]
        new = ~same | (start > prev_end + 1)
    pidx = np.cumsum(new) - 1
    n = int(pidx[-1]) + 1 if len(pidx) else 0
    p_start = start[new]
    p_end = np.zeros(n, np.int64)
    np.maximum.at(p_end, pidx, end)
    last = np.r_[new[1:], True] if len(new) else new
    p_reason = reason[last]
    first_idx = np.flatnonzero(new)
    return dict(pid=pid[first_idx], start=p_start, end=p_end, reason=p_reason,
                role=role[first_idx], bg=bg[first_idx], jc=jc[first_idx])


def _group_cummax(x: np.ndarray, grp: np.ndarray) -> np.ndarray:
    """Cumulative max of x within consecutive groups."""
    offset = grp.astype(np.int64) * (int(x.max()) + 2 if len(x) else 1)
    return np.maximum.accumulate(x + offset) - offset


def benefit_months(rng, seg: dict[str, np.ndarray], hh: HouseholdResult, prof: dict,
                   lo_day: int, cutoff: int, income: tuple) -> dict[str, np.ndarray]:
    """One row per person and month in benefit (elb or nef) within [lo_day, cutoff]."""
    b = prof["simulation"]["benefits"]
    s_m = util.month_of_day(np.maximum(seg["start"], lo_day))
    e_m = util.month_of_day(np.minimum(seg["end"], cutoff))
    n = np.maximum(e_m - s_m + 1, 0)
    rep = np.repeat(np.arange(len(n)), n)
    month = s_m[rep] + (np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n))
    pid, bg = seg["pid"][rep], seg["bg"][rep]
    key = pid.astype(np.int64) * 4096 + (month - month.min() if len(month) else 0)
    _, first = np.unique(key, return_index=True)
    pid, bg, month, role = pid[first], bg[first], month[first], seg["role"][rep][first]
    # persons per BG-month for the KdU split
    bkey = bg.astype(np.int64) * 4096 + (month - month.min())
    _, inv, cnt = np.unique(bkey, return_inverse=True, return_counts=True)
    size = cnt[inv]
    year = 1970 + month // 12
    rb = util.by_year(b["regelbedarf"], np.arange(year.min(), year.max() + 1))[year - year.min()]
    st = util.stichtag_day(month)
    age = (st - hh.persons["birth"][pid]) / 365.25
    factor = np.where(role == ROLE_HEAD, 1.0, np.where(role == ROLE_PARTNER, b["partner_factor"],
                                                      1.0))
    child_f = util.step_lookup(b["child_factors"], age)
    factor = np.where(role == ROLE_CHILD, child_f, factor)
    bg_kdu = np.exp(rng.normal(0, b["kdu_sd"], int(bg.max()) + 1 if len(bg) else 1))
    kdu = (b["kdu_base"] + b["kdu_per_person"] * (size - 1)) * bg_kdu[bg] * \
        (1 + b["kdu_growth"]) ** (year - b["kdu_base_year"])
    llu = rb * factor
    # earned income reduces the LLU (simplified Freibetrag)
    gross = np.zeros(len(pid))
    for idx, wage in income:
        j = idx.find(pid, st)
        gross += np.where(j >= 0, wage[np.maximum(j, 0)], 0.0)
    counted = np.maximum(gross - b["earned_income_free"], 0) * (1 - b["earned_income_free_share"])
    llu = np.maximum(llu - counted, 0.0)
    llu_c = np.round(llu * 100).astype(np.int64)
    luh_c = np.round(kdu / size * 100).astype(np.int64)
    # small top-ups (§ 21 Mehrbedarfe, § 24) so amounts are not all round
    llu_c += np.where(llu_c > 0, rng.integers(0, 1500, len(llu_c)), 0) * (rng.random(len(llu_c)) < 0.2)
    return dict(pid=pid, month=month, llu=llu_c, luh=luh_c)
