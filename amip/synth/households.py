"""Monthly simulation of Bedarfsgemeinschaften (BG) and their members.

Time runs from Stichtag to Stichtag: a BG is *active in month m* when it is in benefit on the
Stichtag ST(m) (the 15th). Events between ST(m-1) and ST(m) get a day in that interval. Each
month, vectorised over the active BGs:

1. members leave (retirement age, child turning 25, adult children moving out, partner leaving),
   partners join, children are born; the BG type follows the composition;
2. BGs leave benefit with a hazard depending on a latent duration class, the episode duration and
   the calendar year; some come back after a gap (re-entry, same BG);
3. with several Jobcenter, some BGs move to another one (the ELB spells continue there);
4. new BGs enter so that the ELB stock at ST(m) follows the profile's trajectory per Jobcenter.

The result is a list of membership segments (person in BG at a Jobcenter, from/to day) and BG type
segments; :mod:`amip.synth.spells` turns them into extract rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from amip.synth import util

K = 6  # member slots per BG: 0 head, 1 partner/other adult, 2.. children
ROLE_HEAD, ROLE_PARTNER, ROLE_CHILD, ROLE_OTHER = 0, 1, 2, 3
TYPES = ("single", "couple", "couple_children", "single_parent", "other")
T_SINGLE, T_COUPLE, T_COUPLE_CH, T_SINGLE_PARENT, T_OTHER = range(5)
# reasons a membership segment ends
R_OPEN, R_EXIT, R_LEAVE, R_RETIRE, R_MOVE, R_AGEOUT = range(6)


class Grow:
    """Column arrays that grow by appending batches (amortised doubling)."""

    def __init__(self, cols: dict[str, tuple], cap: int = 1024) -> None:
        self.n = 0
        self.cap = cap
        self.a = {k: np.full((cap,) + shape, fill, dtype=dt) for k, (dt, fill, shape) in cols.items()}
        self.spec = cols

    def add(self, n: int) -> np.ndarray:
        while self.n + n > self.cap:
            self.cap *= 2
            for k, (dt, fill, shape) in self.spec.items():
                new = np.full((self.cap,) + shape, fill, dtype=dt)
                new[: self.n] = self.a[k][: self.n]
                self.a[k] = new
        idx = np.arange(self.n, self.n + n)
        self.n += n
        return idx

    def view(self) -> dict[str, np.ndarray]:
        return {k: v[: self.n] for k, v in self.a.items()}


@dataclass
class HouseholdResult:
    persons: dict[str, np.ndarray]
    members: dict[str, np.ndarray]   # pid, bg, jc, role, start, end, reason
    bg_types: dict[str, np.ndarray]  # bg, jc, type, start, end
    bg_refugee: np.ndarray
    months: np.ndarray = field(default_factory=lambda: np.zeros(0))


def retirement_day(birth: np.ndarray) -> np.ndarray:
    """First day of the month after reaching the Altersgrenze of § 7a SGB II (65 -> 67)."""
    by = util.year_of_day(birth)
    extra = np.clip(by - 1946, 0, 12) + 2 * np.clip(by - 1958, 0, 6)
    return util.month_first_day(util.month_of_day(birth) + 65 * 12 + extra + 1)


class HouseholdSim:
    def __init__(self, prof: dict, jobcenters: list[dict], rng: np.random.Generator,
                 scale: float, first_month: int, last_month: int) -> None:
        self.p = prof["simulation"]
        self.hh = self.p["households"]
        self.rng = rng
        self.jcs = jobcenters
        self.first, self.last = first_month, last_month
        months = np.arange(first_month, last_month + 1)
        traj = util.interpolate_anchors(self.p["stock"]["anchors"], months)
        sizes = np.array([j["size"] for j in jobcenters])
        self.target = np.outer(traj, sizes) * scale  # month x jc
        # a Jobcenter's BG exit hazard factor (national profile: from its framework conditions)
        self.exit_factor = np.array([j.get("exit_factor", 1.0) for j in jobcenters])
        self.batch_inflow = bool(self.p["stock"].get("batch_inflow", False))
        self.persons = Grow(dict(sex=(np.int8, 0, ()), birth=(np.int64, 0, ()),
                                 nef=(bool, False, ()), refugee=(bool, False, ())))
        self.bg = Grow(dict(
            jc=(np.int16, 0, ()), type=(np.int8, 0, ()), cls=(np.int8, 0, ()),
            active=(bool, False, ()), closed=(bool, False, ()), dur=(np.int32, 0, ()),
            seg_from=(np.int64, 0, ()), reentry=(np.int64, -1, ()), refugee=(bool, False, ()),
            pid=(np.int64, -1, (K,)), role=(np.int8, 0, (K,)), since=(np.int64, 0, (K,)),
            birth=(np.int64, 0, (K,)), nef=(bool, False, (K,)), sex=(np.int8, 0, (K,)),
            b15=(np.int64, 0, (K,)), b18=(np.int64, 0, (K,)), b25=(np.int64, 0, (K,)),
            ret=(np.int64, 0, (K,)),
        ), cap=4096)
        self.out_mem: list[tuple] = []
        self.out_type: list[tuple] = []
        self.elb_per_new = 1.25

    # -- persons ------------------------------------------------------------------------------

    def _new_persons(self, birth: np.ndarray, sex: np.ndarray, nef: np.ndarray,
                     refugee: np.ndarray) -> np.ndarray:
        idx = self.persons.add(len(birth))
        a = self.persons.a
        a["birth"][idx], a["sex"][idx], a["nef"][idx], a["refugee"][idx] = birth, sex, nef, refugee
        return idx

    def _fill_slot(self, rows: np.ndarray, k: np.ndarray | int, pid, role, birth, sex, nef,
                   since) -> None:
        a = self.bg.a
        a["pid"][rows, k] = pid
        a["role"][rows, k] = role
        a["birth"][rows, k] = birth
        a["sex"][rows, k] = sex
        a["nef"][rows, k] = nef
        a["since"][rows, k] = since
        a["b15"][rows, k] = util.add_years(birth, 15)
        a["b18"][rows, k] = util.add_years(birth, 18)
        a["b25"][rows, k] = util.add_years(birth, 25)
        a["ret"][rows, k] = retirement_day(birth)

    # -- new BGs ------------------------------------------------------------------------------

    def _create(self, n: int, jc: np.ndarray, refugee: np.ndarray, lo: int, hi: int,
                first: bool) -> np.ndarray:
        rng, hh = self.rng, self.hh
        rows = self.bg.add(n)
        a = self.bg.a
        ref = self.p["refugees"]
        tw = np.where(refugee[:, None], np.array(ref["type_weights"]), np.array(hh["type_weights"]))
        cw = np.where(refugee[:, None], np.array(ref["class_weights"]), np.array(hh["class_weights"]))
        btype = _choice_rows(rng, tw)
        cls = _choice_rows(rng, cw)
        entry = np.full(n, util.day(__import__("datetime").date(2005, 1, 1))) if first else \
            rng.integers(lo, hi + 1, n)
        bands = np.array(hh["head_age_bands"], dtype=float)
        band = rng.choice(len(bands), n, p=_norm(hh["head_age_weights"]))
        age = bands[band, 0] + rng.random(n) * (bands[band, 1] - bands[band, 0])
        with_kids = (btype == T_COUPLE_CH) | (btype == T_SINGLE_PARENT)
        age = np.where(with_kids, np.clip(age, 19, 52), age)
        male = rng.random(n) < np.array(hh["male_head_share"])[btype]
        head_birth = entry - (age * 365.25).astype(np.int64)
        head_sex = np.where(male, 0, 1).astype(np.int8)
        no = np.zeros(n, bool)
        pid = self._new_persons(head_birth, head_sex, no, refugee)
        a["jc"][rows], a["type"][rows], a["cls"][rows] = jc, btype, cls
        a["active"][rows], a["dur"][rows], a["seg_from"][rows] = True, 0, entry
        a["refugee"][rows] = refugee
        self._fill_slot(rows, 0, pid, ROLE_HEAD, head_birth, head_sex, no, entry)
        # partner or other adult
        partner = (btype == T_COUPLE) | (btype == T_COUPLE_CH)
        other = btype == T_OTHER
        adult = partner | other
        r = rows[adult]
        m = int(adult.sum())
        p_age = np.where(partner[adult], age[adult] + rng.normal(-1.5, 3.5, m),
                         18 + rng.random(m) * 45)
        p_age = np.clip(p_age, 18, 63)
        p_birth = entry[adult] - (p_age * 365.25).astype(np.int64)
        p_sex = np.where(partner[adult], 1 - head_sex[adult], rng.integers(0, 2, m)).astype(np.int8)
        p_nef = rng.random(m) < np.where(other[adult], 3, 1) * hh["nef_adult_share"]
        ppid = self._new_persons(p_birth, p_sex, p_nef, refugee[adult])
        self._fill_slot(r, 1, ppid, np.where(partner[adult], ROLE_PARTNER, ROLE_OTHER),
                        p_birth, p_sex, p_nef, entry[adult])
        # children
        mean_ch = np.array(hh["mean_children"])[btype]
        nkids = np.where(with_kids, 1 + rng.poisson(np.maximum(mean_ch - 1, 0)), 0)
        nkids = np.minimum(nkids, K - 2)
        for j in range(K - 2):
            has = nkids > j
            if not has.any():
                continue
            r = rows[has]
            maxage = np.clip(age[has] - 18, 1, 24.9)
            if j == 0:
                maxage = np.where(btype[has] == T_SINGLE_PARENT, np.minimum(maxage, 17.9), maxage)
            c_age = rng.random(int(has.sum())) * maxage
            c_birth = entry[has] - (c_age * 365.25).astype(np.int64)
            c_sex = rng.integers(0, 2, int(has.sum())).astype(np.int8)
            c_nef = np.zeros(len(r), bool)
            cpid = self._new_persons(c_birth, c_sex, c_nef, refugee[has])
            self._fill_slot(r, 2 + j, cpid, ROLE_CHILD, c_birth, c_sex, c_nef, entry[has])
        a["type"][rows] = self._types(rows, entry)
        a["seg_from"][rows] = entry
        return rows

    # -- composition --------------------------------------------------------------------------

    def _types(self, rows: np.ndarray, day: np.ndarray | int) -> np.ndarray:
        a = self.bg.a
        occ = a["pid"][rows] >= 0
        role = a["role"][rows]
        partner = (occ & (role == ROLE_PARTNER)).any(1)
        other = (occ & (role == ROLE_OTHER)).any(1)
        child = occ & (role == ROLE_CHILD)
        day = np.asarray(day)
        minor = (child & (a["b18"][rows] > (day[:, None] if day.ndim else day))).any(1)
        anychild = child.any(1)
        t = np.full(len(rows), T_SINGLE, np.int8)
        t[other | (anychild & ~minor)] = T_OTHER
        t[minor & ~partner] = T_SINGLE_PARENT
        t[partner] = T_COUPLE
        t[partner & anychild] = T_COUPLE_CH
        return t

    def _emit_members(self, rows: np.ndarray, slots: np.ndarray, end: np.ndarray,
                      reason: int) -> None:
        """Close the current membership segment of (rows, slots) on day ``end``."""
        if len(rows) == 0:
            return
        a = self.bg.a
        self.out_mem.append((a["pid"][rows, slots].copy(), rows.copy(), a["jc"][rows].copy(),
                             a["role"][rows, slots].copy(), a["since"][rows, slots].copy(),
                             np.asarray(end, np.int64).copy(), np.full(len(rows), reason, np.int8)))

    def _emit_all(self, rows: np.ndarray, end: np.ndarray, reason: int) -> None:
        a = self.bg.a
        r, k = np.nonzero(a["pid"][rows] >= 0)
        self._emit_members(rows[r], k, np.asarray(end)[r], reason)
        self.out_type.append((rows.copy(), a["jc"][rows].copy(), a["type"][rows].copy(),
                              a["seg_from"][rows].copy(), np.asarray(end, np.int64).copy()))

    def _leave(self, rows: np.ndarray, slots: np.ndarray, day: np.ndarray, reason: int) -> None:
        self._emit_members(rows, slots, day, reason)
        self.bg.a["pid"][rows, slots] = -1

    # -- the monthly step ---------------------------------------------------------------------

    def step(self, m: int) -> None:
        rng, hh, a = self.rng, self.hh, self.bg.a
        lo, hi = int(util.stichtag_day(m - 1)) + 1, int(util.stichtag_day(m))
        year = 1970 + m // 12
        first = m == self.first
        act = np.flatnonzero(a["active"][: self.bg.n])
        ev = np.full(len(act), hi, np.int64)  # day of the latest composition change
        if len(act):
            # 1. members: retirement, age-out at 25, adult children and partners leaving
            pid = a["pid"][act]
            occ = pid >= 0
            ret = occ & (a["ret"][act] <= hi)
            head_ret = ret[:, 0]
            r, k = np.nonzero(ret & ~head_ret[:, None])
            self._leave(act[r], k, np.maximum(a["ret"][act[r], k] - 1, a["since"][act[r], k]),
                        R_RETIRE)
            role = a["role"][act]
            child = occ & (role == ROLE_CHILD) & ~ret
            out25 = child & (a["b25"][act] <= hi)
            adult_child = child & ~out25 & (a["b18"][act] <= hi)
            moveout = adult_child & (rng.random(adult_child.shape) < hh["adult_child_leave_hazard"])
            r, k = np.nonzero(out25)
            d = np.maximum(a["b25"][act[r], k] - 1, a["since"][act[r], k])
            self._leave(act[r], k, d, R_AGEOUT)
            ev[r] = d
            r, k = np.nonzero(moveout)
            d = rng.integers(lo, hi + 1, len(r))
            d = np.maximum(d, a["since"][act[r], k])
            self._leave(act[r], k, d, R_LEAVE)
            ev[r] = d
            has_partner = (a["pid"][act, 1] >= 0) & (a["role"][act, 1] == ROLE_PARTNER)
            pl = np.flatnonzero(has_partner & ~head_ret
                                & (rng.random(len(act)) < hh["partner_leave_hazard"]))
            d = np.maximum(rng.integers(lo, hi + 1, len(pl)), a["since"][act[pl], 1])
            self._leave(act[pl], np.ones(len(pl), np.int64), d, R_LEAVE)
            ev[pl] = d
            # partner joins a single or single parent
            t = a["type"][act]
            cand = ((t == T_SINGLE) | (t == T_SINGLE_PARENT)) & (a["pid"][act, 1] < 0) & ~head_ret
            pj = np.flatnonzero(cand & (rng.random(len(act)) < hh["partner_join_hazard"]))
            if len(pj):
                rows = act[pj]
                d = rng.integers(lo, hi + 1, len(pj))
                h_age = (d - a["birth"][rows, 0]) / 365.25
                p_birth = d - (np.clip(h_age + rng.normal(0, 4, len(pj)), 18, 60) * 365.25
                               ).astype(np.int64)
                p_sex = (1 - a["sex"][rows, 0]).astype(np.int8)
                p_nef = rng.random(len(pj)) < hh["nef_adult_share"]
                ppid = self._new_persons(p_birth, p_sex, p_nef, a["refugee"][rows])
                self._fill_slot(rows, 1, ppid, ROLE_PARTNER, p_birth, p_sex, p_nef, d)
                ev[pj] = d
            # births
            women = (a["pid"][act, :2] >= 0) & (a["sex"][act, :2] == 1)
            w_age = (hi - a["birth"][act, :2]) / 365.25
            fertile = (women & (w_age >= 18) & (w_age < 41)).any(1) & ~head_ret
            free = a["pid"][act, 2:] < 0
            can = fertile & free.any(1)
            bi = np.flatnonzero(can & (rng.random(len(act)) < hh["birth_hazard"]))
            if len(bi):
                rows = act[bi]
                slot = 2 + np.argmax(free[bi], axis=1)
                d = rng.integers(lo, hi + 1, len(bi))
                c_sex = rng.integers(0, 2, len(bi)).astype(np.int8)
                no = np.zeros(len(bi), bool)
                cpid = self._new_persons(d, c_sex, no, a["refugee"][rows])
                self._fill_slot(rows, slot, cpid, ROLE_CHILD, d, c_sex, no, d)
                ev[bi] = d
            # BG type follows the composition
            new_t = self._types(act, hi)
            ch = np.flatnonzero((new_t != t) & ~head_ret)
            if len(ch):
                rows = act[ch]
                start = np.maximum(ev[ch], a["seg_from"][rows] + 1)
                self.out_type.append((rows.copy(), a["jc"][rows].copy(), t[ch].copy(),
                                      a["seg_from"][rows].copy(), start - 1))
                a["seg_from"][rows] = start
                a["type"][rows] = new_t[ch]
            # 2. exits: retirement of the head closes the BG; otherwise the hazard
            yf = float(hh["year_factor"].get(str(year), 1.0))
            dur_f = util.step_lookup(hh["duration_factor"], a["dur"][act])
            h = np.array(hh["exit_hazard"])[a["cls"][act]] * dur_f * yf
            h = h * group_exit_factor(hh, a, act, hi)
            h = h * self.exit_factor[a["jc"][act]]  # 1.0 outside the national profile: exact
            exit_ = (rng.random(len(act)) < h) & ~head_ret & (not first)
            closing = act[head_ret]
            if len(closing):
                end = np.maximum(a["ret"][closing, 0] - 1, a["seg_from"][closing])
                end = np.maximum(end, a["since"][closing].max(1, where=a["pid"][closing] >= 0,
                                                               initial=0))
                self._emit_all(closing, end, R_RETIRE)
                a["active"][closing] = False
                a["closed"][closing] = True
            ex = act[exit_]
            if len(ex):
                since_max = a["since"][ex].max(1, where=a["pid"][ex] >= 0, initial=0)
                end = np.maximum(rng.integers(lo, hi, len(ex)),
                                 np.maximum(since_max, a["seg_from"][ex]))
                end = np.minimum(end, hi - 1)
                end = np.maximum(end, np.maximum(since_max, a["seg_from"][ex]))
                self._emit_all(ex, end, R_EXIT)
                a["active"][ex] = False
                cls = a["cls"][ex]
                back = rng.random(len(ex)) < np.array(hh["reentry_prob"])[cls]
                gap = 1 + rng.geometric(1.0 / np.array(hh["reentry_gap_months"])[cls]) - 1
                a["reentry"][ex] = np.where(back, m + np.maximum(gap, 1), -1)
                a["closed"][ex[~back]] = True
            # 3. moves to another Jobcenter
            if len(self.jcs) > 1:
                stay = act[~exit_ & ~head_ret]
                mv = stay[rng.random(len(stay)) < self.p["stock"]["move_hazard"]]
                if len(mv):
                    since_max = a["since"][mv].max(1, where=a["pid"][mv] >= 0, initial=0)
                    d = np.maximum(rng.integers(lo, hi + 1, len(mv)),
                                   np.maximum(since_max, a["seg_from"][mv]) + 1)
                    self._emit_all(mv, d - 1, R_MOVE)
                    shift = rng.integers(1, len(self.jcs), len(mv))
                    a["jc"][mv] = (a["jc"][mv] + shift) % len(self.jcs)
                    a["since"][mv] = np.where(a["pid"][mv] >= 0, d[:, None], a["since"][mv])
                    a["seg_from"][mv] = d
        # 4. re-entries
        n = self.bg.n
        back = np.flatnonzero((a["reentry"][:n] == m) & ~a["active"][:n] & ~a["closed"][:n])
        if len(back):
            a["reentry"][back] = -1
            d = rng.integers(lo, hi + 1, len(back))
            gone = (a["pid"][back] >= 0) & ((a["ret"][back] <= d[:, None])
                                            | ((a["role"][back] == ROLE_CHILD)
                                               & (a["b25"][back] <= d[:, None])))
            a["pid"][back] = np.where(gone, -1, a["pid"][back])
            ok = a["pid"][back, 0] >= 0
            a["closed"][back[~ok]] = True
            back, d = back[ok], d[ok]
            a["active"][back] = True
            a["dur"][back] = 0
            a["since"][back] = d[:, None]
            a["seg_from"][back] = d
            a["type"][back] = self._types(back, d)
        # 5. inflow: new BGs so that the ELB stock at ST(m) follows the target
        n = self.bg.n
        act = np.flatnonzero(a["active"][:n])
        elb = ((a["pid"][act] >= 0) & ~a["nef"][act] & (a["b15"][act] <= hi)).sum(1)
        stock = np.bincount(a["jc"][act], weights=elb, minlength=len(self.jcs))
        need = self.target[m - self.first] - stock
        share = float(self.p["refugees"]["inflow_share"].get(str(year), 0.0))
        if self.batch_inflow:
            self._inflow_batch(need, share, lo, hi, first)
            a["dur"][a["active"][: self.bg.n].nonzero()[0]] += 1
            return
        for j in range(len(self.jcs)):
            if need[j] <= 0:
                continue
            k = int(round(need[j] / self.elb_per_new)) if first else \
                int(rng.poisson(need[j] / self.elb_per_new))
            if k == 0:
                continue
            refugee = rng.random(k) < share
            rows = self._create(k, np.full(k, j, np.int16), refugee, lo, hi, first)
            got = ((a["pid"][rows] >= 0) & ~a["nef"][rows] & (a["b15"][rows] <= hi)).sum()
            self.elb_per_new = 0.9 * self.elb_per_new + 0.1 * max(got / k, 0.5)
        a["dur"][a["active"][: self.bg.n].nonzero()[0]] += 1

    def _inflow_batch(self, need: np.ndarray, share: float, lo: int, hi: int,
                      first: bool) -> None:
        """The month's new BGs of all Jobcenter in one draw (many Jobcenter: no loop over them)."""
        mean = np.maximum(need, 0) / self.elb_per_new
        k = np.round(mean).astype(np.int64) if first else self.rng.poisson(mean)
        total = int(k.sum())
        if total == 0:
            return
        jc = np.repeat(np.arange(len(self.jcs), dtype=np.int16), k)
        refugee = self.rng.random(total) < share
        rows = self._create(total, jc, refugee, lo, hi, first)
        a = self.bg.a
        got = ((a["pid"][rows] >= 0) & ~a["nef"][rows] & (a["b15"][rows] <= hi)).sum()
        self.elb_per_new = 0.9 * self.elb_per_new + 0.1 * max(got / total, 0.5)

    def run(self, progress=None) -> HouseholdResult:
        for m in range(self.first, self.last + 1):
            self.step(m)
            if progress and (m - self.first) % 24 == 0:
                progress(f"Haushalte {1970 + m // 12}")
        # close what is still active at the end: open segments
        a = self.bg.a
        act = np.flatnonzero(a["active"][: self.bg.n])
        self._emit_all(act, np.full(len(act), util.OPEN, np.int64), R_OPEN)
        members = _concat(self.out_mem, ("pid", "bg", "jc", "role", "start", "end", "reason"))
        types = _concat(self.out_type, ("bg", "jc", "type", "start", "end"))
        return HouseholdResult(self.persons.view(), members, types,
                               self.bg.a["refugee"][: self.bg.n].copy())


def _concat(parts: list[tuple], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {nm: np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, np.int64)
            for i, nm in enumerate(names)}


def _norm(w) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return w / w.sum()


def _choice_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One draw per row from row-wise (unnormalised) weights."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return (u[:, None] >= cum).sum(1).astype(np.int8)


def group_exit_factor(hh: dict, a: dict, act: np.ndarray, day: int) -> np.ndarray:
    """Group-dependent paths into LZB (issue 15): a multiplier on the BGs' monthly exit hazard by
    the head's age (``group_exit.head_age``: [[upper age, factor], ...]) and the BG type
    (``group_exit.bg_type``: one factor per type of ``types``) — older heads and single parents
    leave benefit more slowly (IAB findings on Langzeitleistungsbezug). Consumes no random
    numbers; a profile without ``group_exit`` keeps every factor at 1."""
    g = hh.get("group_exit")
    if not g:
        return np.ones(len(act))
    age = (day - a["birth"][act, 0]) / 365.25
    return util.step_lookup(g["head_age"], age) * np.array(g["bg_type"])[a["type"][act]]
