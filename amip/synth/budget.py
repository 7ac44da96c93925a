"""Budget: plan per year and title, measure costs scaled to it, and the bookings.

The Eingliederungstitel (egl) of a year is the published allocation (or rate x stock); measure
costs of each year are rescaled so that the payments use a drawn share of the plan. Bookings per
measure and budget year: a commitment (also for later years) before the start, payments during
the participation, a release when a participant drops out. Verwaltungskosten (vk) and the
kommunal share are paid monthly.
"""

from __future__ import annotations

import numpy as np

from amip.synth import util

TITLE_KOMMUNAL_INSTR = "16a"


def plan_totals(prof: dict, jcs: list[dict], years: np.ndarray, scale: float) -> dict:
    b = prof["simulation"]["budget"]
    anchors = prof["simulation"]["stock"]["anchors"]
    mid = np.array([util.month_index(int(y), 7) for y in years])
    elb = util.interpolate_anchors(anchors, mid)
    out = {}
    for j, jc in enumerate(jcs):
        f = jc["size"] * scale
        for y, e in zip(years, elb):
            egl = b["egl"].get(str(y)) if j == 0 else None
            vk = b["vk"].get(str(y)) if j == 0 else None
            egl = float(egl) * scale if egl is not None else b["egl_per_elb"] * e * f
            vk = float(vk) * scale if vk is not None else b["vk_per_bg"] * e / 1.22 * f
            out[(j, int(y))] = (round(egl * 100), round(vk * 100))
    return out


def year_portions(start, end, years):
    """Days of [start, end] in each year: array (n, len(years))."""
    y0 = util.day_of_years(years)
    y1 = util.day_of_years(years + 1) - 1
    return np.maximum(np.minimum(end[:, None], y1) - np.maximum(start[:, None], y0) + 1, 0)


def build(rng, prof, jcs, meas, meas_jc, years, scale, cutoff) -> tuple[dict, dict, np.ndarray]:
    """Returns (plan rows, booking rows, actual cost in cents per measure)."""
    b = prof["simulation"]["budget"]
    totals = plan_totals(prof, jcs, years, scale)
    n = len(meas["start"])
    act_end = np.where(meas["end"] >= util.OPEN, meas["planned_end"], meas["end"])
    pl_end = np.maximum(meas["planned_end"], act_end)
    act_days = year_portions(meas["start"], act_end, years)
    pl_days = year_portions(meas["start"], pl_end, years)
    vb = meas["code"] == "vb"
    span = np.maximum(act_end - meas["start"] + 1, 1)
    per_day = np.where(vb, meas["cost"], meas["cost_pm"] / 30.44)
    act = np.where(vb[:, None], (act_days > 0) * meas["cost"][:, None], act_days * per_day[:, None])
    pl = np.where(vb[:, None], (pl_days > 0) * meas["cost"][:, None], pl_days * per_day[:, None])
    kommunal = meas["code"] == TITLE_KOMMUNAL_INSTR
    codes = sorted(set(meas["code"]))
    plan = dict(jc=[], year=[], title=[], instr=[], cents=[])
    util_share = rng.uniform(*b["utilisation"], size=(len(jcs), len(years)))
    # the measures of each Jobcenter (and per instrument) as index lists: the same rows in the
    # same order as boolean masks over all measures, without a pass over all per Jobcenter
    by_jc = util.group_indices(meas_jc, len(jcs))
    code_of = np.searchsorted(np.array(codes, dtype=str), meas["code"].astype(str))
    for j in range(len(jcs)):
        mine = by_jc[j][~kommunal[by_jc[j]]]
        mine_k = by_jc[j][kommunal[by_jc[j]]]
        per_code = [mine[code_of[mine] == ci] for ci in range(len(codes))]
        for yi, y in enumerate(years):
            egl_c, vk_c = totals[(j, int(y))]
            cost = act[mine, yi].sum()
            if cost > 0:
                f = egl_c / 100 * util_share[j, yi] / cost
                act[mine, yi] *= f
                pl[mine, yi] *= f
            # plan per instrument: this year's spending shares with some planning noise
            shares = np.array([act[rows, yi].sum() for rows in per_code])
            shares = shares * rng.uniform(0.9, 1.1, len(codes))
            shares = shares / shares.sum() if shares.sum() > 0 else np.ones(len(codes)) / len(codes)
            cents = np.floor(shares * egl_c).astype(np.int64)
            cents[np.argmax(cents)] += egl_c - cents.sum()
            for c, v in zip(codes, cents):
                if c != TITLE_KOMMUNAL_INSTR and v > 0:
                    _row(plan, j, y, "egl", c, v)
            _row(plan, j, y, "vk", None, vk_c)
            kfa = round(vk_c / (1 - b["kfa_share"]) * b["kfa_share"])
            _row(plan, j, y, "kommunal", None, kfa)
            k16a = round(act[mine_k, yi].sum() * 100 * 1.05)
            if k16a:
                _row(plan, j, y, "kommunal", TITLE_KOMMUNAL_INSTR, k16a)
    act_c = np.round(act * 100).astype(np.int64)
    pl_c = np.maximum(np.round(pl * 100).astype(np.int64), act_c)
    # cost of a measure: scaled portions inside the budget window, unscaled ones outside
    out_days = np.maximum(span - act_days.sum(1), 0)
    outside = np.where(vb, (act_days.sum(1) == 0) * meas["cost"], out_days * per_day)
    cost_c = act_c.sum(1) + np.round(outside * 100).astype(np.int64)
    book = _bookings(rng, meas, meas_jc, years, act_c, pl_c, act_days, act_end, cutoff)
    _admin_payments(rng, book, plan, jcs, years, util_share, cutoff)
    _reallocations(book, plan, b.get("reallocation_share", 0.0), cutoff)
    return plan, book, cost_c


def _row(plan, j, y, title, instr, cents):
    for k, v in zip(("jc", "year", "title", "instr", "cents"), (j, int(y), title, instr, int(cents))):
        plan[k].append(v)


def _bookings(rng, meas, meas_jc, years, act_c, pl_c, act_days, act_end, cutoff) -> dict:
    out = dict(jc=[], day=[], title=[], instr=[], kind=[], cents=[], year=[])

    def add(idx, day, kind, cents, yi):
        out["jc"].append(meas_jc[idx])
        out["day"].append(day)
        out["title"].append(np.where(meas["code"][idx] == TITLE_KOMMUNAL_INSTR, "kommunal", "egl"))
        out["instr"].append(meas["code"][idx])
        out["kind"].append(np.full(len(idx), kind, dtype=object))
        out["cents"].append(cents)
        out["year"].append(np.full(len(idx), int(years[yi])))

    y0 = util.day_of_years(years)
    for yi in range(len(years)):
        com = np.flatnonzero(pl_c[:, yi] > 0)
        add(com, meas["start"][com] - rng.integers(3, 25, len(com)), "commitment", pl_c[com, yi], yi)
        pay = np.flatnonzero(act_c[:, yi] > 0)
        first = np.maximum(meas["start"][pay], y0[yi])
        days = np.maximum(act_days[pay, yi], 1)
        k = np.clip(days // 90, 1, 3)
        for part in range(3):
            sel = k > part
            idx = pay[sel]
            amount = act_c[idx, yi] // k[sel]
            amount = np.where(part == k[sel] - 1, act_c[idx, yi] - amount * (k[sel] - 1), amount)
            day = first[sel] + ((part + 1) * days[sel] // (k[sel] + 1))
            add(idx, day, "payment", amount, yi)
        rel = np.flatnonzero(pl_c[:, yi] > act_c[:, yi])
        add(rel, act_end[rel] + rng.integers(5, 40, len(rel)), "release",
            pl_c[rel, yi] - act_c[rel, yi], yi)
    res = {k: np.concatenate(v) for k, v in out.items()}
    keep = res["day"] <= cutoff
    return {k: list(v[keep]) for k, v in res.items()}


def _admin_payments(rng, book, plan, jcs, years, util_share, cutoff) -> None:
    plan_rows = list(zip(plan["jc"], plan["year"], plan["title"], plan["instr"], plan["cents"]))
    year_index = {int(y): i for i, y in enumerate(years)}
    for j, y, title, instr, cents in plan_rows:
        if instr is not None:
            continue
        yi = year_index[y]
        total = round(cents * util_share[j, yi])
        monthly = np.full(12, total // 12)
        monthly[-1] += total - monthly.sum()
        for mth in range(12):
            day = int(util.month_first_day(util.month_index(y, mth + 1))) + 4
            after = int(util.month_first_day(util.month_index(y + 1, 1))) + 4
            if mth == 11 and after <= cutoff:  # December's is booked in January, for year y
                day = after
            if day > cutoff:
                continue
            for k, v in zip(("jc", "day", "title", "instr", "kind", "cents", "year"),
                            (j, day, title, None, "payment", int(monthly[mth]), y)):
                book[k].append(v)


def _reallocations(book, plan, share: float, cutoff) -> None:
    """One Umschichtung per Jobcenter and year on 1 September (deterministic: the seeded draws
    stay as they were): ``share`` of the largest EGL instrument line moves to the
    Verwaltungskosten, − on the giving and + on the receiving title (domain §12 item 39)."""
    if not share:
        return
    largest: dict = {}
    for j, y, title, instr, cents in zip(plan["jc"], plan["year"], plan["title"], plan["instr"],
                                         plan["cents"]):
        if title == "egl" and instr is not None and cents > largest.get((j, y), (None, 0))[1]:
            largest[(j, y)] = (instr, cents)
    for (j, y), (instr, cents) in sorted(largest.items()):
        day = int(util.month_first_day(util.month_index(y, 9)))
        if day > cutoff:
            continue
        moved = int(round(cents * share))
        for title, code, amount in (("egl", instr, -moved), ("vk", None, moved)):
            for k, v in zip(("jc", "day", "title", "instr", "kind", "cents", "year"),
                            (j, day, title, code, "reallocation", amount, y)):
                book[k].append(v)
