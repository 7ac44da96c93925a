"""Organisation: units (Jobcenter, Standorte, Teams), caseload, contacts, casefile checks."""

from __future__ import annotations

import re

import numpy as np

from amip.synth import util
from amip.synth.activity import DAYS_PER_MONTH

CONTACT_KINDS = ("beratung", "eingliederungsvereinbarung", "nachbetreuung", "other")
CONTACT_WEIGHTS = (0.70, 0.15, 0.05, 0.10)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("team ", "")).strip("-")


def units(prof: dict, jcs: list[dict]) -> dict[str, list]:
    """Rows of ``units`` and, per Jobcenter, its teams [(unit_id, role, standort index, code)]."""
    teams_spec = prof["jobcenter"]["teams"]
    rows = dict(unit_id=[], jobcenter_id=[], parent_unit_id=[], name=[], level=[])
    teams = []

    def add(uid, jc, parent, name, level):
        for k, v in zip(rows, (uid, jc, parent, name, level)):
            rows[k].append(v)

    for jc in jcs:
        root = f"{jc['id']}"
        add(root, jc["id"], None, jc["name"], "jobcenter")
        mine = []
        for si, (place, code) in enumerate(zip(jc["standorte"], jc["codes"])):
            sid = f"{jc['id']}-{code}"
            add(sid, jc["id"], root, f"Geschäftsstelle {place}", "standort")
            for name, role in teams_spec:
                tid = f"{sid}-{_slug(name)}"
                add(tid, jc["id"], sid, name, "team")
                if role:
                    mine.append((tid, role, si, code, name))
        teams.append(mine)
    return {"rows": rows, "teams": teams}


def caseload(rng, prof, jcs, teams, seg, persons, disabled, ref_day, cutoff) -> dict:
    """One caseload row per ELB segment (U25 split at the 25th birthday)."""
    jc_cfg = prof["jobcenter"]
    sel = np.flatnonzero(seg["status"] == 1)
    pid, jc, start, end = seg["pid"][sel], seg["jc"][sel], seg["start"][sel], seg["end"][sel]
    b25 = util.add_years(persons["birth"][pid], 25)
    split = (start < b25) & (b25 <= end)
    pid = np.concatenate([pid, pid[split]])
    jc = np.concatenate([jc, jc[split]])
    new_start = np.concatenate([start, b25[split]])
    end = np.concatenate([np.where(split, b25 - 1, end), end[split]])
    start = new_start
    young = start < np.concatenate([b25, b25[split]])
    u_place = rng.random(int(pid.max()) + 1 if len(pid) else 1)[pid]
    u_team = rng.random(len(pid))
    reha = disabled[pid] & (rng.random(len(pid)) < 0.6)
    unit = np.empty(len(pid), dtype=object)
    role = np.empty(len(pid), dtype=object)
    cw = np.empty(len(pid), dtype=object)
    for j, jcd in enumerate(jcs):
        mine = teams[j]
        w = np.cumsum(jcd["weights"]) / np.sum(jcd["weights"])
        here = jc == j
        place = np.searchsorted(w, u_place[here], side="right").clip(0, len(w) - 1)
        by_role = {}
        for ti, (tid, r, si, code, name) in enumerate(mine):
            by_role.setdefault((si, r), []).append(ti)
        kind = np.where(young[here], "u25", np.where(reha[here], "reha", "adult"))
        pick = np.empty(here.sum(), dtype=np.int64)
        for si in range(len(jcd["standorte"])):
            for k in ("u25", "reha", "adult"):
                m = (place == si) & (kind == k)
                if k == "adult":
                    cands = by_role.get((si, "ifk"), []) + by_role.get((si, "fm"), [])
                else:
                    cands = by_role.get((si, k), [])
                pick[m] = np.array(cands)[(u_team[here][m] * len(cands)).astype(int)]
        tids = np.array([t[0] for t in mine], dtype=object)
        roles = np.array([t[1] for t in mine], dtype=object)
        unit[here], role[here] = tids[pick], roles[pick]
        # caseworkers per team: about cases_per_caseworker persons each at the reference day
        s_h, e_h = start[here], end[here]
        cover = (s_h <= ref_day) & (e_h >= ref_day)
        cnt = np.bincount(pick[cover], minlength=len(mine))
        ncw = np.maximum(1, np.ceil(cnt / jc_cfg["cases_per_caseworker"])).astype(int)
        nr = (rng.random(here.sum()) * ncw[pick]).astype(int) + 1
        prefix = "cw-" if j == 0 else f"cw-{jcd['id']}-"
        codes = np.array([t[3] for t in mine], dtype=object)[pick]
        base = {c: 0 for c in set(codes)}
        # number caseworkers per Standort: team offset so ids are unique within a Standort
        offs = np.zeros(len(mine), int)
        for ti, t in enumerate(mine):
            offs[ti] = base[t[3]] if t[3] in base else 0
            base[t[3]] = base.get(t[3], 0) + ncw[ti]
        cw[here] = [f"{prefix}{c}-{n:02d}" for c, n in zip(codes, nr + offs[pick])]
    end = np.where(end > cutoff, util.OPEN, end)
    return dict(pid=pid, unit=unit, cw=cw, role=role, start=start, end=end, jc=jc)


def contacts(rng, prof, cl, lo_day, cutoff) -> dict:
    rate = prof["simulation"]["org"]["contacts_per_month"]
    s = np.maximum(cl["start"], lo_day)
    e = np.minimum(cl["end"], cutoff)
    ln = np.maximum(e - s + 1, 0)
    n = rng.poisson(ln / DAYS_PER_MONTH * rate)
    rep = np.repeat(np.arange(len(n)), n)
    day = s[rep] + (rng.random(len(rep)) * ln[rep]).astype(np.int64)
    kind = rng.choice(len(CONTACT_KINDS), len(rep), p=CONTACT_WEIGHTS)
    return dict(idx=rep, day=day, kind=kind)


def casefile_checks(rng, prof, jcs, seg, scale, first_month, last_month, cutoff) -> dict:
    o = prof["simulation"]["org"]
    elb = np.flatnonzero(seg["status"] == 1)
    s, e, jc = seg["start"][elb], seg["end"][elb], seg["jc"][elb]
    out = dict(pid=[], area=[], day=[], errors=[], items=[])
    lo_i, hi_i = o["check_items"]
    by_jc = util.group_indices(jc, len(jcs))
    mine = [(elb[g], s[g], e[g]) for g in by_jc]
    for m in range(first_month, last_month + 1):
        d0 = int(util.month_first_day(m))
        for j, jcd in enumerate(jcs):
            elb_j, s_j, e_j = mine[j]
            pool = elb_j[(s_j <= d0) & (e_j >= d0)]
            if not len(pool):
                continue
            for area, per_month in o["checks_per_month"].items():
                n = rng.poisson(per_month * jcd["size"] * max(scale, 0.05))
                if not n:
                    continue
                days = np.minimum(d0 + rng.integers(0, 28, n), cutoff)
                items = rng.integers(lo_i, hi_i + 1, n)
                p = rng.uniform(*o["error_rate"])
                out["pid"].append(seg["pid"][rng.choice(pool, n)])
                out["area"].append(np.full(n, area, dtype=object))
                out["day"].append(days)
                out["items"].append(items)
                out["errors"].append(rng.binomial(items, p))
    return {k: np.concatenate(v) if v else np.zeros(0) for k, v in out.items()}
