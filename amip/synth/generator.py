"""``generate()``: the synthetic Jobcenter as extract tables (see amip/synth/README.md)."""

from __future__ import annotations

import datetime as dt
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amip.extract.schema import BG_ROLES, EMPLOYMENT_KINDS, FRAMEWORK_CONDITIONS, FUNDINGS, TABLES
from amip.synth import activity, budget, faults, labour, org, recording, spells, util
from amip.synth.households import TYPES, HouseholdSim
from amip.synth.profile import jobcenter_list, load
from amip.synth.tables import Ids, codes, dates, make, order_unique

HISTORY_DAYS = 730  # spells ending up to two years before ``start`` are kept (LZB, LZA)
ROLE_CODES = ("head", "partner", "child", "other")
assert set(ROLE_CODES) <= set(BG_ROLES)


def generate(profile: str = "elbe-elster", seed: int = 20200101, scale: float = 1.0,
             jobcenters: int | None = None, start: dt.date = dt.date(2009, 1, 1),
             end: dt.date = dt.date(2020, 12, 31),
             progress: Callable[[str], None] | None = None,
             today: dt.date | None = None) -> dict[str, pa.Table]:
    """Simulate a Jobcenter (or several) and return every extract table as an Arrow table.
    The extract is delivered on ``end`` but never after ``today`` (default: the date today):
    nothing is recorded in the future."""
    say = progress or (lambda _s: None)
    if scale <= 0:
        raise ValueError("--scale muss größer als 0 sein")
    end = min(end, today or dt.date.today())
    if end < start:
        raise ValueError("Das Ende (--to) liegt vor dem Anfang (--from)")
    prof = load(profile)
    p = prof["simulation"]
    rec = p["recording"]
    jcs = jobcenter_list(prof, jobcenters)
    rng = np.random.default_rng(seed)
    first_month = min(util.parse_month(prof["profile"]["simulation_start"]),
                      util.month_index(start.year, start.month))
    last_month = util.month_index(end.year, end.month) + 1
    cutoff = util.day(end)
    lo_day = util.day(start)
    hist_day = lo_day - HISTORY_DAYS

    say("Haushalte simulieren")
    sim = HouseholdSim(prof, jcs, rng, scale, first_month, last_month)
    hh = sim.run(say)
    persons = hh.persons

    say("Leistungszeiten")
    seg = spells.elb_segments(hh)
    keep, seg_end = recording.truncate(seg["start"], seg["end"], hist_day, cutoff)
    seg = {k: v[keep] for k, v in seg.items()}
    seg["end"] = seg_end[keep]
    bgt = hh.bg_types
    keep, bgt_end = recording.truncate(bgt["start"], bgt["end"], hist_day, cutoff)
    bgt = {k: v[keep] for k, v in bgt.items()}
    bgt["end"] = bgt_end[keep]
    per = spells.periods(seg)

    # person attributes drawn once per person
    n_p = len(persons["birth"])
    pp = prof["simulation"]["persons"]
    cit = rng.choice(len(pp["citizenship"]), n_p, p=_norm(pp["citizenship_weights"]))
    cit = np.where(persons["refugee"], pp["citizenship"].index("non_eu"), cit)
    edu = rng.choice(len(pp["education"]), n_p, p=_norm(pp["education_weights"]))
    edu = np.where(persons["refugee"] & (rng.random(n_p) < 0.6), pp["education"].index("unknown"), edu)
    first_start = np.full(n_p, util.OPEN, np.int64)
    np.minimum.at(first_start, per["pid"], per["start"])
    age_first = (np.minimum(first_start, cutoff) - persons["birth"]) / 365.25
    bands = np.array(pp["severely_disabled_by_age"], dtype=float)
    p_dis = bands[np.clip(np.searchsorted(bands[:, 0], age_first, side="right") - 1, 0, None), 1]
    disabled = rng.random(n_p) < p_dis

    say("Aktivität, Arbeit, Maßnahmen")
    tix = spells.IntervalIndex(bgt["bg"], bgt["start"], bgt["end"])
    ti = tix.find(per["bg"], per["start"])
    bgtype0 = np.where(ti >= 0, bgt["type"][np.maximum(ti, 0)], 0)
    grp = activity.groups(per, persons, bgtype0, rng)
    factor = np.array([j.get("job_factor", 1.0) for j in jcs])  # national: built-in effect
    ch = activity.run_chain(prof, per, grp, disabled[per["pid"]], persons, cutoff, rng,
                            factor[per["jc"]] if "national" in prof else None)
    emp, extra = labour.employment(rng, prof, per, ch, grp, persons, cutoff)
    meas = labour.measures(rng, prof, per, ch, cutoff, extra)
    flg = labour.flags(rng, prof, per, ch, grp, persons, disabled, cutoff)
    prog = labour.prognoses(rng, prof, per, ch, cutoff)
    unemp = ch["state"] == activity.U

    say("Budget")
    six = spells.IntervalIndex(seg["pid"], seg["start"], seg["end"])
    mj = six.find(meas["pid"], meas["start"])
    mj2 = six.find(meas["pid"], np.maximum(meas["start"] - 20, 0))
    meas_jc = np.where(mj >= 0, seg["jc"][np.maximum(mj, 0)],
                       np.where(mj2 >= 0, seg["jc"][np.maximum(mj2, 0)], 0))
    years = np.arange(start.year, end.year + 1)
    plan, book, cost_c = budget.build(rng, prof, jcs, meas, meas_jc, years, scale, cutoff)

    say("Organisation, Kontakte, Prüfungen")
    un = org.units(prof, jcs)
    ref_day = util.day(dt.date(min(max(2019, start.year), end.year), 7, 15))
    cl = org.caseload(rng, prof, jcs, un["teams"], seg, persons, disabled, ref_day, cutoff)
    con = org.contacts(rng, prof, cl, lo_day, cutoff)
    chk = org.casefile_checks(rng, prof, jcs, seg, scale, util.month_index(start.year, start.month),
                              util.month_index(end.year, end.month), cutoff)

    say("Leistungsmonate")
    nm = emp["kind"] != labour.K_MARG
    income = [(spells.IntervalIndex(emp["pid"][sel], emp["start"][sel], emp["end"][sel]),
               emp["wage"][sel] / 100.0) for sel in (nm, ~nm)]
    bm = spells.benefit_months(rng, seg, hh, prof, lo_day, cutoff, income)

    say("Tabellen schreiben")
    ids = Ids(np.unique(seg["pid"]), (seg["jc"].astype(np.int64) << 32) + seg["bg"], [j["id"] for j in jcs])
    out: dict[str, pa.Table] = {}
    out["jobcenters"] = make("jobcenters", dict(
        jobcenter_id=[j["id"] for j in jcs], name=[j["name"] for j in jcs],
        kind=[j["kind"] for j in jcs], land=[j["land"] for j in jcs],
        vergleichstyp=[j["vergleichstyp"] for j in jcs],
        **{c: util.decimals(np.array([round(j[c] * 100) for j in jcs], np.int64))
           for c in FRAMEWORK_CONDITIONS if all(c in j for j in jcs)}))
    out["units"] = make("units", un["rows"])
    pid_all = ids.pids
    out["persons"] = make("persons", dict(
        person_id=ids.person_strings,
        sex=codes(persons["sex"][pid_all], ("m", "w")),
        birth_date=dates(persons["birth"][pid_all]),
        citizenship=codes(cit[pid_all], pp["citizenship"]),
        education=codes(edu[pid_all], pp["education"])))

    def spell_table(name, key_cols, start_, end_, extra_cols, sort_keys):
        """Rows with recorded_on for spells: key columns, valid_from/to, recorded_on, extras."""
        idx, vto, ron = recording.spell_rows(rng, start_, end_, cutoff, rec)
        o = order_unique(*[k[idx] for k in sort_keys], start_[idx], ron)
        idx, vto, ron = idx[o], vto[o], ron[o]
        cols = {k: f(idx) for k, f in key_cols.items()}
        cols["valid_from"] = dates(start_[idx])
        cols["valid_to"] = dates(vto)
        cols["recorded_on"] = dates(ron)
        cols.update({k: f(idx, vto) for k, f in extra_cols.items()})
        return make(name, cols)

    # person_flags
    fcode = flg["flag"].astype(str)
    fcode_i = np.searchsorted(np.unique(fcode), fcode)
    ok = np.isin(flg["pid"], pid_all) & (flg["end"] >= hist_day) & (flg["start"] <= cutoff)
    f = {k: v[ok] for k, v in flg.items()}
    out["person_flags"] = spell_table(
        "person_flags",
        dict(person_id=lambda i: ids.person(f["pid"][i]), flag=lambda i: codes(f["flag"][i], None)),
        f["start"], f["end"], {}, [f["pid"], fcode_i[ok]])
    out["bg_spells"] = spell_table(
        "bg_spells",
        dict(bg_id=lambda i: ids.bg(bgt["jc"][i], bgt["bg"][i]),
             jobcenter_id=lambda i: ids.jc(bgt["jc"][i]),
             bg_type=lambda i: codes(bgt["type"][i], TYPES)),
        bgt["start"], bgt["end"], {}, [bgt["jc"], bgt["bg"], bgt["type"]])
    out["elb_spells"] = spell_table(
        "elb_spells",
        dict(person_id=lambda i: ids.person(seg["pid"][i]),
             bg_id=lambda i: ids.bg(seg["jc"][i], seg["bg"][i]),
             jobcenter_id=lambda i: ids.jc(seg["jc"][i]),
             status=lambda i: codes(seg["status"][i], ("nef", "elb")),
             bg_role=lambda i: codes(seg["role"][i], ROLE_CODES)),
        seg["start"], seg["end"], {}, [seg["pid"], seg["jc"], seg["bg"], seg["status"], seg["role"]])
    # a delivery is consistent: no ELB row of a BG whose BG row was not yet delivered
    out["elb_spells"] = out["elb_spells"].filter(
        pc.is_in(out["elb_spells"]["bg_id"], value_set=pc.unique(out["bg_spells"]["bg_id"])))
    # benefit months: recorded shortly after the month, a few corrections
    lo, hi = rec["benefit_lag_days"]
    ron = util.month_first_day(bm["month"] + 1) + rng.integers(lo, hi + 1, len(bm["month"]))
    corr = np.flatnonzero(rng.random(len(ron)) < p["benefits"]["correction_share"])
    c_ron = ron[corr] + rng.integers(10, 120, len(corr))
    delta = rng.integers(-5000, 5000, len(corr))
    b_pid = np.concatenate([bm["pid"], bm["pid"][corr]])
    b_month = np.concatenate([bm["month"], bm["month"][corr]])
    b_llu = np.concatenate([bm["llu"], np.maximum(bm["llu"][corr] + delta, 0)])
    b_luh = np.concatenate([bm["luh"], bm["luh"][corr]])
    b_ron = np.concatenate([ron, c_ron])
    ok = b_ron <= cutoff
    o = order_unique(b_pid[ok], b_month[ok], b_ron[ok])
    sel = np.flatnonzero(ok)[o]
    out["benefit_months"] = make("benefit_months", dict(
        person_id=ids.person(b_pid[sel]), month=util.month_strings(b_month[sel]),
        llu_eur=util.decimals(b_llu[sel]), luh_eur=util.decimals(b_luh[sel]),
        recorded_on=dates(b_ron[sel])))
    # employment
    ok = (emp["start"] <= cutoff) & (emp["end"] >= hist_day)
    e = {k: v[ok] for k, v in emp.items()}
    e["end"] = np.where((e["end"] > cutoff) & (e["end"] < util.OPEN), util.OPEN, e["end"])
    out["employment_spells"] = spell_table(
        "employment_spells",
        dict(person_id=lambda i: ids.person(e["pid"][i]),
             kind=lambda i: codes(e["kind"][i], EMPLOYMENT_KINDS),
             funding=lambda i: codes(e["funding"][i], FUNDINGS)),
        e["start"], e["end"], dict(gross_monthly_eur=lambda i, v: util.decimals(e["wage"][i])),
        [e["pid"], e["kind"], e["funding"]])
    # measures
    ok = (meas["start"] <= cutoff) & (meas["end"] >= hist_day)
    mcode = meas["code"].astype(str)
    mcode_i = np.searchsorted(np.unique(mcode), mcode)
    ms_ = {k: v[ok] for k, v in meas.items()}
    ms_["cost_c"], ms_["code_i"] = cost_c[ok], mcode_i[ok]
    ms_["end"] = np.where((ms_["end"] > cutoff) & (ms_["end"] < util.OPEN), util.OPEN, ms_["end"])
    providers = np.array(p["measures"]["providers"], dtype=object)
    prov = providers[rng.integers(0, len(providers), len(ms_["pid"]))]
    no_provider = np.isin(ms_["code"], ["vb", "egz", "esg", "16e"])
    out["measure_spells"] = spell_table(
        "measure_spells",
        dict(person_id=lambda i: ids.person(ms_["pid"][i]),
             instrument=lambda i: codes(ms_["code"][i], None)),
        ms_["start"], ms_["end"],
        dict(cost_eur=lambda i, v: util.decimals(ms_["cost_c"][i]),
             provider=lambda i, v: pa.array(np.where(no_provider[i], None, prov[i]), pa.string())),
        [ms_["pid"], ms_["code_i"]])
    # unemployment
    us = np.flatnonzero(unemp)
    u_pid = per["pid"][ch["per"][us]]
    u_start, u_end = ch["start"][us], np.where(ch["open"][us], util.OPEN, ch["end"][us])
    ok = u_end >= hist_day
    u_pid, u_start, u_end = u_pid[ok], u_start[ok], u_end[ok]
    out["unemployment_spells"] = spell_table(
        "unemployment_spells", dict(person_id=lambda i: ids.person(u_pid[i])),
        u_start, u_end, {}, [u_pid])
    # caseload and contacts (no recorded_on)
    o = order_unique(cl["pid"], cl["start"], cl["jc"])
    unit_s, cw_s, role_s = (pa.array(cl[k][o].astype(object), pa.string())
                            for k in ("unit", "cw", "role"))
    out["caseload"] = make("caseload", dict(
        person_id=ids.person(cl["pid"][o]), unit_id=unit_s, caseworker_id=cw_s, role=role_s,
        valid_from=dates(cl["start"][o]), valid_to=dates(cl["end"][o])))
    kind_i = con["kind"]
    c_pid = cl["pid"][con["idx"]]
    cw_names, cw_code = np.unique(cl["cw"].astype(str), return_inverse=True)
    cw_num = cw_code[con["idx"]]
    o = order_unique(c_pid, con["day"], cw_num, kind_i)
    out["contacts"] = make("contacts", dict(
        person_id=ids.person(c_pid[o]),
        caseworker_id=pa.array(cw_names).take(pa.array(cw_num[o])),
        contact_on=dates(con["day"][o]), kind=codes(kind_i[o], org.CONTACT_KINDS)))
    # prognoses (no recorded_on)
    ok = np.isin(prog["pid"], pid_all) & (prog["day"] >= hist_day)
    o = order_unique(prog["pid"][ok], prog["day"][ok])
    sel = np.flatnonzero(ok)[o]
    out["prognoses"] = make("prognoses", dict(
        person_id=ids.person(prog["pid"][sel]), assessed_on=dates(prog["day"][sel]),
        prognosis=codes(prog["code"][sel], None)))
    # budget
    out["budget_plan"] = make("budget_plan", dict(
        jobcenter_id=ids.jc(np.array(plan["jc"])), year=pa.array(plan["year"], pa.int32()),
        title=pa.array(plan["title"]), instrument=pa.array(plan["instr"], pa.string()),
        amount_eur=util.decimals(np.array(plan["cents"], np.int64))))
    bd = {k: np.array(v, dtype=object if k in ("title", "instr", "kind") else np.int64)
          for k, v in book.items()}
    o = np.lexsort((bd["cents"], bd["year"], bd["jc"], bd["day"]))
    nb = len(o)
    out["budget_bookings"] = make("budget_bookings", dict(
        booking_id=util.id_strings("BU", nb, 8), jobcenter_id=ids.jc(bd["jc"][o]),
        booked_on=dates(bd["day"][o]), title=pa.array(bd["title"][o], pa.string()),
        instrument=pa.array(bd["instr"][o], pa.string()), kind=pa.array(bd["kind"][o], pa.string()),
        amount_eur=util.decimals(bd["cents"][o]), budget_year=pa.array(bd["year"][o].astype(np.int32))))
    o = np.lexsort((chk["pid"], chk["day"]))
    nchk = len(o)
    out["casefile_checks"] = make("casefile_checks", dict(
        check_id=util.id_strings("QS", nchk, 7), person_id=ids.person(chk["pid"][o]),
        area=codes(chk["area"][o], None), checked_on=dates(chk["day"][o]),
        errors=pa.array(chk["errors"][o].astype(np.int32)),
        items=pa.array(chk["items"][o].astype(np.int32))))
    out = faults.apply(out, seed, p.get("faults", {}), end)
    say("fertig")
    return {name: out[name] for name in TABLES}


def _norm(w):
    w = np.asarray(w, dtype=float)
    return w / w.sum()
