"""Intensivbetreuung on a small hand-worked extract (amip.engine.care).

Stichtag of 2024-06 is 15.06.2024; the LZB window is the 730 days ending with it, Stichtag
included: 17.06.2022–15.06.2024 (2024 is a leap year: 15.06.2023–15.06.2024 are 366 days,
so 729 days back is 17.06.2022). Threshold 638 days; candidates have at most 183 days left.

- A: ELB since 01.01.2023: 365 (2023) + 152 (Jan–May 2024) + 15 = 532 days → 106 left, band 61-121
- B: ELB since 01.01.2022: the whole window, 730 days → LZB, no candidate
- C: ELB since 01.06.2023: 214 (Jun–Dec 2023) + 152 + 15 = 381 → 257 left, too far
- D: ELB 01.01.2022–30.06.2023 and again since 01.01.2024: in the window 14 (17.–30.06.2022)
  + 184 (Jul–Dec 2022) + 181 (Jan–Jun 2023) = 379, plus 152 + 15 = 167 → 546 → 92 left, band 61-121
- E: ELB since 01.10.2022: 92 + 365 + 167 = 624 → 14 left, band 0-60
- F: as A (106 left) but in caseworker cw2's caseload (team t2)
All men born 1980 (age group 25-54), BG type "single".
"""

import datetime as dt
from dataclasses import dataclass

import pytest

from amip.engine.calendar import parse_month
from amip.engine.care import care_candidates, care_counts, care_outcomes, care_status
from tests.engine.builder import Ex

# every case runs on DuckDB and on PostgreSQL (tests/engine/conftest.py)
D = dt.date.fromisoformat


@dataclass
class Enr:  # what the engine reads of an enrolment (the steering store's rows have more)
    person_id: str
    caseworker_id: str
    start_on: dt.date
    planned_end: dt.date
    state: str = "enrolled"
    ended_on: dt.date | None = None
    jobcenter_id: str = "03504"
    unit_id: str = "t1"


@dataclass
class Contact:
    person_id: str
    contact_on: dt.date
    kind: str


def case() -> Ex:
    ex = Ex()
    ex.bg("bg-A", "single", "2000-01-01")
    ex.elb("A", "2023-01-01").elb("B", "2022-01-01").elb("C", "2023-06-01")
    ex.elb("D", "2022-01-01", "2023-06-30").elb("D", "2024-01-01", bg="bg-D")
    ex.elb("E", "2022-10-01").elb("F", "2023-01-01")
    ex.unit("u0", None, "jobcenter").unit("s1", "u0", "standort")
    ex.unit("t1", "s1", "team").unit("t2", "s1", "team")
    for pid in "ABCDE":
        ex.caseload(pid, "t1", "2020-01-01")
    ex.rows["caseload"].append(dict(person_id="F", unit_id="t2", caseworker_id="cw2",
                                    role="ifk", valid_from="2020-01-01", valid_to=None))
    ex.job("A", "2024-09-01")          # during A's enrolment
    ex.job("F", "2025-02-01")          # a control, integrated within six months after the end
    ex.rows["contacts"].append(dict(person_id="A", caseworker_id="cw1", contact_on="2024-06-10",
                                    kind="beratung"))
    return ex


def test_candidates_days_left_and_order():
    view = case().view()
    m = parse_month("2024-06")
    rows = care_candidates(view, m, caseworker_id="cw1")
    assert [(r["person_id"], r["days_in_window"], r["days_left"]) for r in rows] == [
        ("E", 624, 14), ("D", 546, 92), ("A", 532, 106)]
    assert all(r["score"] is None and r["score_reason"] for r in rows)
    assert {r["person_id"] for r in care_candidates(view, m, unit_id="t2")} == {"F"}
    assert [r["person_id"] for r in care_candidates(view, m)] == ["E", "D", "A", "F"]


def test_status_contacts_and_followup():
    view = case().view()
    a = Enr("A", "cw1", D("2024-06-01"), D("2024-11-30"))
    entered = [Contact("A", D("2024-08-05"), "beratung")]
    # at August: periods Jun (extract contact 10.06.), Jul (none: overdue), Aug (entered 05.08.)
    s = care_status(view, [a], entered, parse_month("2024-08"))[0]
    assert (s["contacts_due"], s["contacts_done"], s["overdue"]) == (3, 2, 1)
    assert s["overdue_months"] == [D("2024-07-01")] and not s["contact_due_now"]
    assert s["phase"] == "laufend" and s["job_start"] is None
    # September: a job start on 01.09. asks for Nachbetreuung; recorded on 20.09.
    s = care_status(view, [a], entered, parse_month("2024-09"))[0]
    assert s["job_start"] == D("2024-09-01") and s["followup_due"] and s["contact_due_now"]
    entered.append(Contact("A", D("2024-09-20"), "nachbetreuung"))
    s = care_status(view, [a], entered, parse_month("2024-09"))[0]
    assert s["followup_done"] and not s["followup_due"] and not s["contact_due_now"]
    # after the planned end: abgelaufen; an ended one: beendet
    assert care_status(view, [a], entered, parse_month("2024-12"))[0]["phase"] == "abgelaufen"
    ended = Enr("E", "cw1", D("2024-06-01"), D("2024-11-30"), "ended", D("2024-07-10"))
    rows = care_status(view, [a, ended], entered, parse_month("2024-08"))
    e = next(r for r in rows if r["person_id"] == "E")
    assert e["phase"] == "beendet" and e["contacts_due"] == 2 and e["overdue"] == 2
    assert care_counts(rows) == {"enrolments": 2, "laufend": 1, "abgelaufen": 0,
                                 "beendet": 1, "overdue": 2, "contact_due_now": 0,
                                 "followup_due": 0}


def test_outcomes_matched_on_candidate_cells():
    """A and E enrolled in 2024-06 (until 30.11.2024; "after" runs to 31.05.2025).
    A: job 01.09.2024 → during. E: no job → none. A's cell (61-121, 25-54, m, single) holds
    the non-enrolled D (no job) and F (job 01.02.2025, within the after window) → control
    rate 1/2. E's cell (0-60, …) holds nobody else → no comparison.
    Summary at 2025-05: 2 observed, 1 during, rate 1/2; matched 1 (A) with rate 1 against 1/2."""
    view = case().view()
    enr = [Enr("A", "cw1", D("2024-06-01"), D("2024-11-30")),
           Enr("E", "cw1", D("2024-06-01"), D("2024-11-30"))]
    out = care_outcomes(view, enr, parse_month("2025-05"))
    rows = {r["person_id"]: r for r in out["rows"]}
    assert rows["A"]["outcome"] == "during" and rows["A"]["controls"] == 2
    assert rows["A"]["control_rate"] == pytest.approx(0.5)
    assert rows["A"]["cell"] == {"days_left_band": "61-121", "age_group": "25-54", "sex": "m",
                                 "bg_type": "single"}
    assert rows["E"]["outcome"] == "none" and rows["E"]["control_rate"] is None
    assert out["summary"] == {"enrolments": 2, "observed": 2, "during": 1, "after": 0,
                              "rate": 0.5, "matched": 1, "controls": 2, "matched_rate": 1.0,
                              "comparison_rate": 0.5}
    assert "beschreibend" in out["label"]
    # in 2024-12 E's after window is still open: not yet observed, no comparison for anybody
    early = care_outcomes(view, enr, parse_month("2024-12"))
    assert {r["person_id"]: r["outcome"] for r in early["rows"]} == {"A": "during", "E": None}
    assert early["summary"]["observed"] == 1 and early["summary"]["comparison_rate"] is None
