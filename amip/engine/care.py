"""Intensivbetreuung (issue 14, programme chapter 6): the candidate list, the state of each
enrolment and the outcomes — pure functions over a store view and the enrolments and contacts
people entered (plain records: the steering store's rows or anything with the same attributes;
the engine does not know the steering store). The declared rules: ``amip/catalogue/care.toml``.

- :func:`care_candidates` — ELB in a caseload at the Stichtag, not yet LZB, with at most
  ``max_days_left`` days to the LZB threshold (638 net ELB days of 730, domain §2.4, §8.3,
  §10 item 8), sorted by days left; ``score`` stays null until the early warning exists
  (the early warning's, passed in by the shells).
- :func:`care_status` — per enrolment: start, planned end, counselling contacts due, done and
  overdue, Nachbetreuung after a job start during the enrolment, ended.
- :func:`care_outcomes` — Integration during or after the enrolment, compared with similar
  candidates of the same month who were not enrolled; descriptive, not an effect.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable

import ibis

from amip.catalogue import load
from amip.catalogue.care import CareRules, care_rules
from amip.engine.calendar import month_end, month_index, month_start, stichtag
from amip.engine.facts import Facts
from amip.engine.population import age_group, with_age
from amip.engine.stocks import covering, elb_stock

#: the early warning's scorer (issue 15): ``scorer(db, month, person_ids) -> {person_id: score}``;
#: none registered: ``score`` is null with the reason :data:`NO_SCORE`
NO_SCORE = "kein Frühwarnmodell (erst `amip risk train`)"
PHASES = ("laufend", "abgelaufen", "beendet")


def candidate_rows(db, month: int, jobcenter_id: str | None = None,
                   scores: dict[str, dict] | None = None) -> list[dict]:
    """Every ELB in stock at ST(``month``) who is not LZB and has at most ``max_days_left``
    days left to the LZB threshold, once per caseload row of a declared role (or once without
    caseload: unit_id and caseworker_id null). Columns: person_id, jobcenter_id, unit_id,
    caseworker_id, role, sex, age_group, bg_type, days_in_window, days_left, score,
    score_reason, reasons; sorted by days left, then person_id. ``scores``: the early warning's
    person_id → {score, reasons} (amip.risk.reasons.candidate_scores, which the shells pass);
    None: no model, the score is null with the reason."""
    rules, cat = care_rules(), load()
    day = stichtag(month)
    threshold = cat.parameters.lzb_threshold_days
    facts = Facts(db, cat.rules_for(day), cat.parameters, month, month, jobcenter_id,
                  materialize=False)
    stock, d = facts.elb, facts.elb_days
    near = d.filter((d.m == month) & (d.net < threshold)
                    & (d.net >= threshold - rules.max_days_left))
    t = stock.join(near, ["person_id", "m"]).select(stock.person_id, stock.jobcenter_id,
                                                     days_in_window=near.net)
    es = elb_stock(db, day, jobcenter_id).select("person_id", "jobcenter_id", "bg_id")
    bg = covering(db.table("bg_spells"), day)
    bg = bg.group_by("bg_id", "jobcenter_id").aggregate(bg_type=bg.bg_type.max())
    es = es.left_join(bg, ["bg_id", "jobcenter_id"]).select(es.person_id, es.jobcenter_id,
                                                            bg.bg_type)
    t = t.left_join(es, ["person_id", "jobcenter_id"]).select(*[t[c] for c in t.columns],
                                                              es.bg_type)
    cl = covering(db.table("caseload"), day)
    cl = cl.filter(cl.role.isin(rules.roles)).select("person_id", "unit_id", "caseworker_id",
                                                     "role").distinct()
    t = t.left_join(cl, "person_id").select(*[t[c] for c in t.columns], cl.unit_id,
                                            cl.caseworker_id, cl.role)
    t = age_group(with_age(db, t, day))
    rows = t.select("person_id", "jobcenter_id", "unit_id", "caseworker_id", "role", "sex",
                    "age_group", "bg_type", "days_in_window").to_pyarrow().to_pylist()
    for r in rows:
        r["days_in_window"] = int(r["days_in_window"])
        r["days_left"] = threshold - r["days_in_window"]
        got = scores.get(r["person_id"], {}) if scores is not None else {}
        r["score"] = got.get("score")
        r["reasons"] = got.get("reasons", [])
        r["score_reason"] = NO_SCORE if scores is None else (
            None if r["score"] is not None else "nicht bewertet")
    rows.sort(key=lambda r: (r["days_left"], r["person_id"], r["caseworker_id"] or ""))
    return rows


def care_candidates(db, month: int, caseworker_id: str | None = None,
                    unit_id: str | Collection[str] | None = None,
                    jobcenter_id: str | None = None,
                    scores: dict[str, dict] | None = None) -> list[dict]:
    """The candidate list (:func:`candidate_rows`) of one caseworker and/or of a unit (a team's
    unit_id, or a collection of unit_ids, e.g. the teams below a Standort)."""
    return filter_candidates(candidate_rows(db, month, jobcenter_id, scores), caseworker_id,
                             unit_id)


def filter_candidates(rows: list[dict], caseworker_id: str | None = None,
                      unit_id: str | Collection[str] | None = None) -> list[dict]:
    """``rows`` of :func:`candidate_rows` of a caseworker and/or unit(s); without either
    filter each person once (their first caseload row)."""
    units = {unit_id} if isinstance(unit_id, str) else \
        (set(unit_id) if unit_id is not None else None)
    out = [r for r in rows if (caseworker_id is None or r["caseworker_id"] == caseworker_id)
           and (units is None or r["unit_id"] in units)]
    if caseworker_id is None:
        seen: set[str] = set()
        out = [r for r in out if not (r["person_id"] in seen or seen.add(r["person_id"]))]
    return out


def enrolment_facts(db, month: int, caseworker_id: str, person_id: str) -> dict:
    """What an enrolment checks at ST(``month``): is_elb (in the ELB stock), jobcenter_id,
    in_caseload (of ``caseworker_id``) and unit_id (the caseload's team)."""
    day = stichtag(month)
    es = elb_stock(db, day)
    es = es.filter(es.person_id == person_id).select("jobcenter_id").to_pyarrow().to_pylist()
    cl = covering(db.table("caseload"), day)
    cl = cl.filter((cl.caseworker_id == caseworker_id) & (cl.person_id == person_id))
    cl = cl.select("unit_id").to_pyarrow().to_pylist()
    return {"is_elb": bool(es), "jobcenter_id": es[0]["jobcenter_id"] if es else None,
            "in_caseload": bool(cl), "unit_id": cl[0]["unit_id"] if cl else None}


# -- enrolments ------------------------------------------------------------------------------

def effective_end(e) -> dt.date:
    """The day an enrolment ends: its ending if ended early, else its planned end."""
    ended = getattr(e, "ended_on", None)
    return min(ended, e.planned_end) if ended is not None else e.planned_end


def _table_rows(db, table: str, person_ids: Collection[str], columns: tuple[str, ...]):
    if not person_ids:
        return []
    t = db.table(table)
    ids = ibis.memtable({"pid": sorted(person_ids)}, schema={"pid": "string"})
    t = t.join(ids, t.person_id == ids.pid).select(*columns)
    return t.to_pyarrow().to_pylist()


def _job_starts(db, person_ids: Collection[str], day: dt.date) -> dict[str, list[dt.date]]:
    """Starts of employment counted as Integration by the rule version of ``day`` (kinds and
    fundings, domain §10 item 4) per person, sorted."""
    r = load().rules_for(day)
    out: dict[str, list[dt.date]] = defaultdict(list)
    for row in _table_rows(db, "employment_spells", person_ids,
                           ("person_id", "kind", "funding", "valid_from")):
        if row["kind"] in r.integration_kinds and row["funding"] in r.integration_fundings:
            out[row["person_id"]].append(row["valid_from"])
    for v in out.values():
        v.sort()
    return out


def care_status(db, enrolments: Iterable, contacts_entered: Iterable, month: int) -> list[dict]:
    """Per enrolment, the state at the end of ``month``: phase (laufend | abgelaufen | beendet),
    counselling periods due so far, those with a contact (from the extract's ``contacts`` and
    the contacts recorded in the steering store), overdue ones (past periods without a contact),
    whether this period's contact is still due, the first job start during the enrolment and
    whether Nachbetreuung was recorded after it. Enrolments starting after ``month`` are left
    out."""
    rules = care_rules()
    enrolments = [e for e in enrolments if month_index(e.start_on) <= month]
    ids = {e.person_id for e in enrolments}
    contacts: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
    for c in _table_rows(db, "contacts", ids, ("person_id", "contact_on", "kind")):
        contacts[c["person_id"]].append((c["contact_on"], c["kind"]))
    for c in contacts_entered:
        if c.person_id in ids:
            contacts[c.person_id].append((c.contact_on, c.kind))
    starts = _job_starts(db, ids, stichtag(month))
    out = []
    for e in enrolments:
        out.append(_status(e, contacts[e.person_id], starts.get(e.person_id, []), month, rules))
    out.sort(key=lambda r: (r["phase"] != "laufend", r["start_on"], r["person_id"]))
    return out


def _status(e, contacts, job_starts, month: int, rules: CareRules) -> dict:
    end = effective_end(e)
    s_m, e_m = month_index(e.start_on), month_index(end)
    last = min(month, e_m)
    seen_to = min(end, month_end(month))  # nothing after the month counts yet
    mine = sorted((d, k) for d, k in contacts if e.start_on <= d <= seen_to)
    counted = {month_index(d) for d, k in mine if k in rules.counts}
    step = rules.every_months
    periods = [(k, min(k + step - 1, e_m)) for k in range(s_m, last + 1, step)]
    done = [p for p in periods if any(p[0] <= c <= p[1] for c in counted)]
    overdue = [p for p in periods if p not in done and p[1] < month]
    ended = getattr(e, "state", "enrolled") == "ended"
    phase = "beendet" if ended else ("abgelaufen" if month > month_index(e.planned_end)
                                     else "laufend")
    current = next((p for p in periods if p[0] <= month <= p[1]), None)
    job = next((d for d in job_starts if e.start_on <= d <= seen_to), None)
    followup = None if job is None else any(
        k == rules.followup_kind and d >= job for d, k in mine)
    return {
        "person_id": e.person_id, "jobcenter_id": getattr(e, "jobcenter_id", None),
        "caseworker_id": e.caseworker_id, "unit_id": getattr(e, "unit_id", None),
        "start_on": e.start_on, "planned_end": e.planned_end,
        "ended_on": getattr(e, "ended_on", None), "end_reason": getattr(e, "end_reason", None),
        "phase": phase, "contacts": len(mine),
        "last_contact": mine[-1][0] if mine else None,
        "contacts_due": len(periods), "contacts_done": len(done), "overdue": len(overdue),
        "overdue_months": [month_start(p[0]) for p in overdue],
        "contact_due_now": phase == "laufend" and current is not None and current not in done,
        "job_start": job, "followup_due": job is not None and not followup,
        "followup_done": followup,
    }


# -- outcomes --------------------------------------------------------------------------------

def _cell(row: dict | None, rules: CareRules) -> tuple | None:
    if row is None:
        return None
    values = {"days_left_band": rules.band(row["days_left"]), "age_group": row["age_group"],
              "sex": row["sex"], "bg_type": row["bg_type"]}
    return tuple(values[k] for k in rules.match_on)


def _outcome(starts: list[dt.date], begin: dt.date, end: dt.date, after_end: dt.date,
             observed_to: dt.date) -> str | None:
    """``during`` | ``after`` | ``none``, or None while the window is not yet observed."""
    if any(begin <= d <= min(end, observed_to) for d in starts):
        return "during"
    if any(end < d <= min(after_end, observed_to) for d in starts):
        return "after"
    return "none" if after_end <= observed_to else None


def care_outcomes(db, enrolments: Iterable, month: int,
                  jobcenter_id: str | None = None) -> dict:
    """Outcomes of the enrolments started by ``month``, observed to the end of ``month``: an
    Integration (an employment start counted as one, domain §10 item 4) during the enrolment
    or within ``after_months`` after its end, compared with the candidates of the enrolment's
    start month who were never enrolled and share its cell (``match_on``: days-left band, age
    group, sex, BG type), over the same dates. Descriptive only (``label``).

    Returns ``{label, match_on, rows, summary}``; ``rows`` one per enrolment (person_id, cell,
    outcome during|after|none|None = not yet observable, controls, control_rate);
    ``summary``: enrolments, observed, during, after, rate, matched, controls,
    matched_rate, comparison_rate (None where no number)."""
    rules = care_rules()
    observed_to = month_end(month)
    enrolments = [e for e in enrolments if month_index(e.start_on) <= month
                  and (jobcenter_id is None or getattr(e, "jobcenter_id", None) in
                       (None, jobcenter_id))]
    enrolled = {e.person_id for e in enrolments}
    by_start: dict[int, dict[str, dict]] = {}
    for s in sorted({month_index(e.start_on) for e in enrolments}):
        rows = filter_candidates(candidate_rows(db, s, jobcenter_id))
        by_start[s] = {r["person_id"]: r for r in rows}
    everyone = enrolled | {p for rows in by_start.values() for p in rows}
    starts = _job_starts(db, everyone, stichtag(month))
    out_rows = []
    for e in enrolments:
        end = effective_end(e)
        after_end = month_end(month_index(end) + rules.after_months)
        s = month_index(e.start_on)
        cands = by_start[s]
        cell = _cell(cands.get(e.person_id), rules)
        outcome = _outcome(starts.get(e.person_id, []), e.start_on, end, after_end, observed_to)
        controls, rate = 0, None
        if cell is not None and None not in cell and after_end <= observed_to:
            same = [p for p, r in cands.items() if p not in enrolled and _cell(r, rules) == cell]
            controls = len(same)
            if same:
                hit = sum(1 for p in same if _outcome(starts.get(p, []), e.start_on, end,
                                                      after_end, observed_to) != "none")
                rate = hit / controls
        out_rows.append({"person_id": e.person_id, "caseworker_id": e.caseworker_id,
                         "unit_id": getattr(e, "unit_id", None), "start_on": e.start_on,
                         "end_on": end, "observed_until": after_end,
                         "cell": None if cell is None else dict(zip(rules.match_on, cell)),
                         "outcome": outcome, "controls": controls, "control_rate": rate})
    return {"label": rules.label, "match_on": list(rules.match_on), "rows": out_rows,
            "summary": _summary(out_rows)}


def _summary(rows: list[dict]) -> dict:
    observed = [r for r in rows if r["outcome"] is not None]
    during = sum(1 for r in observed if r["outcome"] == "during")
    after = sum(1 for r in observed if r["outcome"] == "after")
    matched = [r for r in observed if r["control_rate"] is not None]
    return {
        "enrolments": len(rows), "observed": len(observed), "during": during, "after": after,
        "rate": (during + after) / len(observed) if observed else None,
        "matched": len(matched), "controls": sum(r["controls"] for r in matched),
        "matched_rate": sum(r["outcome"] != "none" for r in matched) / len(matched)
        if matched else None,
        "comparison_rate": sum(r["control_rate"] for r in matched) / len(matched)
        if matched else None,
    }


def care_counts(status_rows: list[dict]) -> dict:
    """Aggregates of :func:`care_status` rows (for roles that see no person): enrolments by
    phase, with overdue contacts, with Nachbetreuung due."""
    phases = {p: sum(1 for r in status_rows if r["phase"] == p) for p in PHASES}
    return {"enrolments": len(status_rows), **phases,
            "overdue": sum(1 for r in status_rows if r["overdue"]),
            "contact_due_now": sum(1 for r in status_rows if r["contact_due_now"]),
            "followup_due": sum(1 for r in status_rows if r["followup_due"])}
