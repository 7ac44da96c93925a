"""What ELB do while in benefit: a semi-Markov chain over activity states per benefit period.

States: U arbeitslos, I nicht verfügbar (Schule, Kinderbetreuung, Krankheit), M Maßnahme,
S sv-pflichtig beschäftigt (Aufstocker), F selbständig. Each period starts in a state drawn by
person group, stays for a drawn duration, then moves on by the transition matrix; the chain is
run for all periods at once, one state episode per loop iteration (vectorised over periods).
"""

from __future__ import annotations

import numpy as np

from amip.synth import util
from amip.synth.households import T_COUPLE_CH, T_SINGLE_PARENT

U, I, M, S, F = range(5)
G_PUPIL, G_YOUNG, G_ADULT_M, G_ADULT_W, G_CARER, G_OLDER = range(6)
DAYS_PER_MONTH = 30.44


def available_instruments(prof: dict, year: np.ndarray, young: np.ndarray, disabled: np.ndarray,
                          rng: np.random.Generator) -> np.ndarray:
    """Draw a measure instrument per row, respecting the years an instrument existed."""
    ms = prof["simulation"]["measures"]
    names = list(ms["instruments"])
    spec = np.array([ms["instruments"][k][:3] for k in names], dtype=float)
    w = np.where((year[:, None] >= spec[:, 0]) & (year[:, None] <= spec[:, 1]), spec[:, 2], 0.0)
    yw = np.array([ms["young_weights"].get(k, 1.0) for k in names])
    dw = np.array([ms["disabled_weights"].get(k, 1.0) for k in names])
    w = w * np.where(young[:, None], yw, 1.0) * np.where(disabled[:, None], dw, 1.0)
    cum = np.cumsum(w, axis=1)
    u = rng.random(len(year)) * cum[:, -1]
    return (u[:, None] >= cum).sum(1)


def groups(per: dict, persons: dict, bgtype_at_start: np.ndarray, rng) -> np.ndarray:
    age = (per["start"] - persons["birth"][per["pid"]]) / 365.25
    woman = persons["sex"][per["pid"]] == 1
    g = np.where(woman, G_ADULT_W, G_ADULT_M)
    carer_bg = (bgtype_at_start == T_SINGLE_PARENT) | (bgtype_at_start == T_COUPLE_CH)
    carer = woman & carer_bg & (per["role"] <= 1) & (age < 50) & (rng.random(len(g)) < 0.9)
    g = np.where(carer, G_CARER, g)
    g = np.where(age >= 55, G_OLDER, g)
    g = np.where(age < 25, G_YOUNG, g)
    g = np.where(age < 18, G_PUPIL, g)
    return g.astype(np.int8)


def run_chain(prof: dict, per: dict, grp: np.ndarray, disabled: np.ndarray, persons: dict,
              cutoff: int, rng: np.random.Generator,
              job_factor: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The activity episodes of all benefit periods. ``job_factor`` (per period, optional)
    multiplies the odds of the next episode being a job (S, F): a Jobcenter's built-in effect."""
    a = prof["simulation"]["activity"]
    ms = prof["simulation"]["measures"]
    names = list(ms["instruments"])
    instr_months = np.array([ms["instruments"][k][3] for k in names], dtype=float)
    init = np.array(a["initial"], dtype=float)
    mean = np.array(a["mean_months"], dtype=float)
    trans = np.array(a["transition"], dtype=float)
    n = len(per["pid"])
    end = np.minimum(per["end"], cutoff)
    cur = per["start"].copy()
    state = _draw(rng, init[grp])
    young = grp <= G_YOUNG
    out = []
    live = np.arange(n)
    prev = np.full(n, -1)
    while len(live):
        st, g = state[live], grp[live]
        mu = mean[g, st] * DAYS_PER_MONTH
        long_u = (st == U) & (rng.random(len(live)) < a["u_long_share"])
        mu = np.where(long_u, a["u_long_mean"] * DAYS_PER_MONTH, mu)
        instr = np.full(len(live), -1)
        isM = st == M
        if isM.any():
            yr = util.year_of_day(cur[live][isM])
            instr[isM] = available_instruments(prof, yr, young[live][isM], disabled[live][isM], rng)
            mu[isM] = instr_months[instr[isM]] * DAYS_PER_MONTH
        dur = np.maximum(rng.exponential(mu), 14).astype(np.int64)
        dur = np.where(isM, np.maximum((mu * rng.uniform(0.6, 1.2, len(live))).astype(np.int64),
                                       14), dur)
        s0 = cur[live]
        e0 = np.minimum(s0 + dur - 1, end[live])
        out.append((live.copy(), st.copy(), s0, e0, instr, prev[live].copy()))
        cur[live] = e0 + 1
        prev[live] = st
        w = trans[st].copy()
        w[g == G_PUPIL, S] *= 0.2
        w[g == G_PUPIL, F] = 0.0
        w[g == G_CARER, I] *= 2.0
        w[g == G_YOUNG, U] *= a["young_unemployment_factor"]
        w[disabled[live], U] *= a["disabled_unemployment_factor"]
        if job_factor is not None:
            w[:, S] *= job_factor[live]
            w[:, F] *= job_factor[live]
        w[np.arange(len(live)), st] = 0.0
        state[live] = _draw(rng, w)
        live = live[cur[live] <= end[live]]
    cols = [np.concatenate(c) for c in zip(*out)] if out else [np.zeros(0, np.int64)] * 6
    res = dict(zip(("per", "state", "start", "end", "instr", "prev"), cols))
    # an episode running into the cutoff of an open period is open
    res["open"] = (res["end"] >= cutoff) & (per["end"][res["per"]] >= util.OPEN)
    return res


def _draw(rng, weights: np.ndarray) -> np.ndarray:
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(1), weights.shape[1] - 1)
