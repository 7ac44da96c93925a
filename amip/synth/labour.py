"""Derived truth from the activity chain: unemployment, employment, measures, flags, prognoses.

All spells are in day numbers; an end of ``util.OPEN`` means still open at the cutoff.
"""

from __future__ import annotations

import numpy as np

from amip.extract.schema import EMPLOYMENT_KINDS, FUNDINGS, PROGNOSES
from amip.synth import util
from amip.synth.activity import DAYS_PER_MONTH, F, G_ADULT_W, G_CARER, G_YOUNG, I, M, S, U
from amip.synth.households import R_EXIT

K_SV, K_APP, K_SELF, K_MARG = (EMPLOYMENT_KINDS.index(k) for k in
                               ("sv", "apprenticeship", "self_employed", "marginal"))
FUND = {k: i for i, k in enumerate(FUNDINGS)}


def _end_or_open(e: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    return np.where(is_open, util.OPEN, e)


def _draw_named(rng, spec: dict, year: np.ndarray) -> np.ndarray:
    """Draw a code per row from {code: [from, to, weight]} respecting years; returns FUND index."""
    names = list(spec)
    s = np.array([spec[k] for k in names], dtype=float)
    w = np.where((year[:, None] >= s[:, 0]) & (year[:, None] <= s[:, 1]), s[:, 2], 0.0)
    cum = np.cumsum(w, axis=1)
    u = rng.random(len(year)) * cum[:, -1]
    pick = (u[:, None] >= cum).sum(1)
    return np.array([FUND[k] for k in names])[pick]


def employment(rng, prof, per, ch, grp, persons, cutoff) -> tuple[dict, dict]:
    """Employment spells (sv, apprenticeship, self-employed, marginal) and funded-job measures."""
    a, fu = prof["simulation"]["activity"], prof["simulation"]["funding"]
    ms = prof["simulation"]["measures"]
    instr_names = list(ms["instruments"])
    pid_of = per["pid"][ch["per"]]
    g = grp[ch["per"]]
    exit_end = (ch["end"] == per["end"][ch["per"]]) & (per["reason"][ch["per"]] == R_EXIT)
    parts, meas = [], []
    # S and F episodes: jobs while in benefit; a job that ends the benefit runs on
    for state, kind in ((S, K_SV), (F, K_SELF)):
        sel = np.flatnonzero(ch["state"] == state)
        s0, e0 = ch["start"][sel], ch["end"][sel]
        run_on = exit_end[sel]
        e = np.where(run_on, e0 + rng.exponential(fu["job_exit_months"] * DAYS_PER_MONTH,
                                                  len(sel)).astype(np.int64), e0)
        e = _end_or_open(e, ch["open"][sel])
        yr = util.year_of_day(s0)
        if kind == K_SV:
            k = np.where((g[sel] == G_YOUNG) & (rng.random(len(sel)) < a["apprenticeship_share_young"]),
                         K_APP, K_SV)
            fund = _draw_named(rng, fu["sv"], yr)
            fund = np.where(k == K_APP, FUND["none"], fund)
            fund = np.where((k == K_SV) & (rng.random(len(sel)) < fu["sv_esg_share"]),
                            FUND["esg"], fund)
            wage = np.exp(rng.normal(np.log(a["sv_wage_median"]), a["sv_wage_sigma"], len(sel)))
            wage = np.where(k == K_APP, rng.uniform(500, 900, len(sel)), np.maximum(wage, 455))
        else:
            k = np.full(len(sel), K_SELF)
            fund = _draw_named(rng, fu["self_employed"], yr)
            wage = np.exp(rng.normal(np.log(a["self_wage_median"]), 0.6, len(sel)))
        parts.append((pid_of[sel], k, fund, s0, e, wage))
        # Vermittlungsbudget at a job start out of unemployment
        vb = sel[(ch["prev"][sel] == U) & (rng.random(len(sel)) < ms["vb_share"])]
        if len(vb):
            lo, hi = ms["vb_cost"]
            meas.append((pid_of[vb], np.full(len(vb), instr_names.index("vb")
                                             if "vb" in instr_names else -1),
                         ch["start"][vb], ch["start"][vb], ch["start"][vb],
                         rng.uniform(lo, hi, len(vb))))
    # jobs taken up when the BG leaves benefit
    # chain output is grouped by iteration, not period: find each period's last episode
    order = np.lexsort((ch["start"], ch["per"]))
    last = np.zeros(len(order), bool)
    if len(order):
        po = ch["per"][order]
        last[order[np.r_[po[1:] != po[:-1], True]]] = True
    age_end = (ch["end"] - persons["birth"][pid_of]) / 365.25
    je = np.flatnonzero(last & exit_end & (ch["state"] != S) & (ch["state"] != F)
                        & (age_end >= 16) & (age_end < 62) & (rng.random(len(last)) < a["job_exit_share"]))
    s0 = np.maximum(ch["end"][je] - rng.integers(0, 15, len(je)), ch["start"][je])
    e = s0 + rng.exponential(fu["job_exit_months"] * DAYS_PER_MONTH, len(je)).astype(np.int64)
    u = rng.random(len(je))
    k = np.where((g[je] == G_YOUNG) & (u < fu["apprenticeship_exit_share"]), K_APP,
                 np.where(u > 1 - fu["self_exit_share"], K_SELF, K_SV))
    yr = util.year_of_day(s0)
    fund = np.where(k == K_SELF, _draw_named(rng, fu["self_employed"], yr),
                    _draw_named(rng, fu["sv"], yr))
    fund = np.where(k == K_APP, FUND["none"], fund)
    wage = np.exp(rng.normal(np.log(a["sv_wage_median"] * 1.5), a["sv_wage_sigma"], len(je)))
    parts.append((pid_of[je], k, fund, s0, e, np.maximum(wage, 455)))
    # public employment from measures (fav, 16i, sta) and minijobs
    pub = fu["public_wage"]
    sel = np.flatnonzero((ch["state"] == M) & np.isin(ch["instr"], [instr_names.index(x) for x in pub]))
    codes = np.array(instr_names)[ch["instr"][sel]]
    parts.append((pid_of[sel], np.full(len(sel), K_SV),
                  np.array([FUND[c] for c in codes], dtype=np.int64).reshape(-1),
                  ch["start"][sel], _end_or_open(ch["end"][sel], ch["open"][sel]),
                  np.array([pub[c] for c in codes], dtype=float).reshape(-1)))
    share = np.array(a["marginal_share"])
    sel = np.flatnonzero(((ch["state"] == U) | (ch["state"] == I)) & (rng.random(len(g)) < share[g]))
    ln = ch["end"][sel] - ch["start"][sel]
    s0 = ch["start"][sel] + (rng.random(len(sel)) * ln * 0.5).astype(np.int64)
    e = np.minimum(s0 + rng.exponential(a["marginal_mean_months"] * DAYS_PER_MONTH,
                                        len(sel)).astype(np.int64), ch["end"][sel])
    e = _end_or_open(e, ch["open"][sel] & (e >= ch["end"][sel]))
    lo, hi = a["marginal_wage_range"]
    wage = np.minimum(rng.uniform(lo, hi + 60, len(sel)), hi)
    parts.append((pid_of[sel], np.full(len(sel), K_MARG), np.full(len(sel), FUND["none"]),
                  s0, e, wage))
    emp = dict(zip(("pid", "kind", "funding", "start", "end", "wage"),
                   (np.concatenate(c) for c in zip(*parts))))
    emp["wage"] = np.round(emp["wage"] * 100).astype(np.int64)
    # subsidies of funded jobs are measures too (egz, esg, 16e, esf_lza)
    for code, months in fu["months"].items():
        sel = np.flatnonzero(emp["funding"] == FUND[code])
        if not len(sel):
            continue
        s0 = emp["start"][sel]
        e = np.minimum(s0 + int(months * DAYS_PER_MONTH), emp["end"][sel])
        meas.append((emp["pid"][sel], np.full(len(sel), -2 - list(fu["months"]).index(code)),
                     s0, e, s0 + int(months * DAYS_PER_MONTH),
                     np.full(len(sel), float(fu["cost_per_month"][code]))))
    return emp, meas


def measures(rng, prof, per, ch, cutoff, extra: list) -> dict:
    """Measure spells: M episodes (with dropouts), § 16a services, subsidies of funded jobs."""
    ms = prof["simulation"]["measures"]
    fu = prof["simulation"]["funding"]
    names = list(ms["instruments"])
    codes = names + ["vb", "16a"] + list(fu["months"])
    sel = np.flatnonzero(ch["state"] == M)
    s0, e0 = ch["start"][sel], ch["end"][sel]
    drop = rng.random(len(sel)) < ms["dropout_share"]
    planned = np.where(drop, e0 + rng.integers(20, 120, len(sel)), e0)
    cpm = np.array([ms["instruments"][k][4] for k in names], dtype=float)[ch["instr"][sel]]
    parts = [(per["pid"][ch["per"][sel]], ch["instr"][sel], s0,
              _end_or_open(e0, ch["open"][sel]), planned, cpm)]
    # § 16a kommunale Leistungen in I episodes
    isel = np.flatnonzero(ch["state"] == I)
    months = (ch["end"][isel] - ch["start"][isel]) / DAYS_PER_MONTH
    n = rng.poisson(months * ms["kommunal_16a_rate"] * 3)
    rep = np.repeat(isel, n)
    s = ch["start"][rep] + (rng.random(len(rep)) * (ch["end"][rep] - ch["start"][rep])).astype(np.int64)
    e = np.minimum(s + int(ms["kommunal_16a_months"] * DAYS_PER_MONTH), ch["end"][rep])
    parts.append((per["pid"][ch["per"][rep]], np.full(len(rep), len(names) + 1), s,
                  _end_or_open(e, ch["open"][rep] & (e >= ch["end"][rep])), e,
                  np.full(len(rep), float(ms["kommunal_16a_cost"]))))
    for pid, ins, s, e, pl, c in extra:
        ins = np.where(ins == -1, len(names), np.where(ins <= -2, len(names) + 2 + (-2 - ins), ins))
        parts.append((pid, ins, s, e, pl, c))
    out = dict(zip(("pid", "instr", "start", "end", "planned_end", "cost_pm"),
                   (np.concatenate(c) for c in zip(*parts))))
    out["code"] = np.array(codes, dtype=object)[out["instr"]]
    # one-off payments (vb) have their cost as total; others per month
    days = np.where(out["end"] >= util.OPEN, out["planned_end"], out["end"]) - out["start"] + 1
    out["cost"] = np.where(out["code"] == "vb", out["cost_pm"],
                           out["cost_pm"] * np.maximum(days, 1) / DAYS_PER_MONTH)
    out["planned_cost"] = np.where(out["code"] == "vb", out["cost_pm"], out["cost_pm"] *
                                   np.maximum(out["planned_end"] - out["start"] + 1, 1) / DAYS_PER_MONTH)
    return out


def flags(rng, prof, per, ch, grp, persons, disabled, cutoff) -> dict:
    """person_flags truth: (pid, flag code, start, end)."""
    a = prof["simulation"]["activity"]
    names = list(prof["simulation"]["measures"]["instruments"])
    pid_of = per["pid"][ch["per"]]
    parts = []
    first = {}
    o = np.lexsort((per["start"], per["pid"]))
    pid_sorted = per["pid"][o]
    firsts = o[np.r_[True, pid_sorted[1:] != pid_sorted[:-1]]] if len(o) else o
    fp, fs = per["pid"][firsts], per["start"][firsts]
    d = disabled[fp]
    parts.append((fp[d], "severely_disabled", fs[d] - rng.integers(0, 1500, d.sum()),
                  np.full(d.sum(), util.OPEN)))
    r = persons["refugee"][fp]
    parts.append((fp[r], "refugee_context", fs[r], np.full(r.sum(), util.OPEN)))
    sel = np.flatnonzero((ch["state"] == U) & (ch["prev"] == I) & np.isin(grp[ch["per"]], [G_ADULT_W, G_CARER])
                         & (rng.random(len(ch["state"])) < a["returner_share"]))
    e = np.minimum(ch["start"][sel] + 365, ch["end"][sel])
    parts.append((pid_of[sel], "returner", ch["start"][sel], _end_or_open(e, ch["open"][sel] & (e >= ch["end"][sel]))))
    sel = np.flatnonzero((ch["state"] == U) & (ch["end"] - ch["start"] > 365)
                         & (rng.random(len(ch["state"])) < a["intensive_share"]))
    s = ch["start"][sel] + 180
    e = np.minimum(s + rng.integers(180, 365, len(sel)), ch["end"][sel])
    parts.append((pid_of[sel], "intensive_care", s, _end_or_open(e, ch["open"][sel] & (e >= ch["end"][sel]))))
    if "reha" in names:
        sel = np.flatnonzero((ch["state"] == M) & (ch["instr"] == names.index("reha")))
        parts.append((pid_of[sel], "rehabilitant", ch["start"][sel] - 30,
                      _end_or_open(ch["end"][sel] + 30, ch["open"][sel])))
    out = {"pid": np.concatenate([p[0] for p in parts]),
           "flag": np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts]),
           "start": np.concatenate([p[2] for p in parts]).astype(np.int64),
           "end": np.concatenate([p[3] for p in parts]).astype(np.int64)}
    out["end"] = np.where((out["end"] < util.OPEN) & (out["end"] > cutoff), util.OPEN, out["end"])
    return out


def prognoses(rng, prof, per, ch, cutoff) -> dict:
    """Integrationsprognose assessments after each state change and periodically."""
    o = prof["simulation"]["org"]
    lo, hi = o["prognosis_lag_days"]
    n = len(ch["state"])
    ln = ch["end"] - ch["start"]
    extra = np.maximum(ln // int(o["prognosis_reassess_months"] * DAYS_PER_MONTH), 0)
    rep = np.repeat(np.arange(n), 1 + extra)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(1 + extra) - (1 + extra), 1 + extra)
    day = ch["start"][rep] + rng.integers(lo, hi + 1, len(rep)) + \
        (k * o["prognosis_reassess_months"] * DAYS_PER_MONTH).astype(np.int64)
    ok = (day <= ch["end"][rep]) & (day <= cutoff)
    rep, day = rep[ok], day[ok]
    st = ch["state"][rep]
    u = rng.random(len(rep))
    cat = np.where((st == S) | (st == F), np.where(u < o["integriert_share"], 2, 1),
                   np.where(st == I, np.where(u < o["nicht_erforderlich_share"], 3, 1),
                            np.where(u < o["marktnah_share"], 0, 1)))
    pid = per["pid"][ch["per"][rep]]
    never = rng.random(int(pid.max()) + 1 if len(pid) else 1) < o["prognosis_never_share"]
    keep = ~never[pid]
    return dict(pid=pid[keep], day=day[keep],
                code=np.array(PROGNOSES, dtype=object)[cat[keep]])
