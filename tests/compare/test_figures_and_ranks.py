"""Aggregation from counts and rankings, on hand-made cases with the working shown."""

from __future__ import annotations

import pyarrow as pa
import pytest

from amip.compare import Comparison, Figure, JobcenterFigures, figures, rankings
from amip.compare.figures import NOT_POOLED
from amip.compare.ranking import min_ranks
from tests.engine.builder import Ex, _table

A, B, C = "01001", "01002", "02001"
ATTRS = {A: ("SH", "Ia", "ge", "5.50"), B: ("SH", "Ib", "zkt", "8.25"),
         C: ("HH", "Ia", "ge", None)}


class Case(Ex):
    """The builder with Land, Vergleichstyp, kind and an unemployment rate per Jobcenter."""

    def tables(self):
        out = super().tables()
        out["jobcenters"] = _table("jobcenters", [
            dict(jobcenter_id=j, name=f"Jobcenter {j}", kind=ATTRS[j][2], land=ATTRS[j][0],
                 vergleichstyp=ATTRS[j][1], unemployment_rate=ATTRS[j][3])
            for j in sorted(self.jobcenters)])
        return out


@pytest.fixture(scope="module")
def case():
    """ELB stocks at the Stichtag (15th) of 6/2019 and 6/2020:
    A: p1, p2 from 1.1.2019, p3, p4 from 1.1.2020           → 2 and 4
    B: q1 from 1.1.2019, q2, q3 from 1.1.2019 to 31.12.2019 → 3 and 1
    C: r1 from 1.1.2019                                     → 1 and 1"""
    ex = Case()
    ex.jobcenters = {A, B, C}
    for p in ("p1", "p2"):
        ex.elb(p, "2019-01-01", jc=A)
    for p in ("p3", "p4"):
        ex.elb(p, "2020-01-01", jc=A)
    ex.elb("q1", "2019-01-01", jc=B)
    for p in ("q2", "q3"):
        ex.elb(p, "2019-01-01", "2019-12-31", jc=B)
    ex.elb("r1", "2019-01-01", jc=C)
    return figures(ex.view(), "2020-06")


def test_jobcenter_rows_carry_their_attributes(case):
    a = case.row(A)
    assert (a.land, a.vergleichstyp, a.kind) == ("SH", "Ia", "ge")
    assert a.conditions["unemployment_rate"] == 5.5 and a.conditions["urbanity"] is None
    assert case.row(B).kind == "zkt"
    assert len(a.figures) == 15


def test_change_of_elb_is_pooled_from_counts_not_averaged(case):
    """K1E2 = (ELB 6/2020 ÷ ELB 6/2019 − 1) × 100.
    A: 4/2 − 1 = +100 %; B: 1/3 − 1 = −66,7 %; C: 1/1 − 1 = 0 %.
    Nation: (4 + 1 + 1) / (2 + 3 + 1) − 1 = 6/6 − 1 = 0 % (the mean of the three would be 11,1 %).
    Land SH (A, B): (4 + 1) / (2 + 3) − 1 = 0 %; Vergleichstyp Ia (A, C): 5/3 − 1 = +66,7 %."""
    assert case.row(A).figures["K1E2"].value == pytest.approx(100)
    assert case.row(B).figures["K1E2"].value == pytest.approx(-200 / 3)
    nat = case.aggregate("national").figures["K1E2"]
    assert (nat.numerator, nat.denominator, nat.value) == (6, 6, pytest.approx(0))
    assert case.aggregate("land", "SH").figures["K1E2"].value == pytest.approx(0)
    assert case.aggregate("land", "HH").figures["K1E2"].value == pytest.approx(0)
    ia = case.aggregate("vergleichstyp", "Ia")
    assert ia.jobcenters == 2 and ia.figures["K1E2"].value == pytest.approx(200 / 3)
    assert [(a.level, a.key) for a in case.aggregates] == [
        ("national", None), ("land", "HH"), ("land", "SH"), ("vergleichstyp", "Ia"),
        ("vergleichstyp", "Ib")]


def test_mean_rates_are_not_pooled(case):
    """K1E3 is the mean of twelve monthly rates: the twelve-month sums cannot give it."""
    assert case.row(A).figures["K1E3"].value is not None
    f = case.aggregate("national").figures["K1E3"]
    assert f.value is None and f.reason == NOT_POOLED


def test_ranks_follow_the_direction(case):
    """K1E2 lower is better. Type Ia: C 0 % (rank 1), A +100 % (rank 2); Ib: B alone.
    Land SH: B −66,7 % (1), A (2); HH: C (1 of 1)."""
    vt = {r.jobcenter_id: r for r in rankings(case, "vergleichstyp") if r.code == "K1E2"}
    assert (vt[C].rank, vt[A].rank, vt[A].of, vt[B].rank, vt[B].of) == (1, 2, 2, 1, 1)
    assert vt[A].direction == "lower"
    land = {r.jobcenter_id: r for r in rankings(case, "land") if r.code == "K1E2"}
    assert (land[B].rank, land[A].rank, land[C].rank, land[C].of) == (1, 2, 1, 1)


def test_min_ranks_share_the_lowest_place():
    """Higher is better: 20, 20 share place 1, then 10 is third (not second), 5 fourth."""
    assert min_ranks([10, 20, 20, 5], lower_is_better=False) == [3, 1, 1, 4]
    assert min_ranks([10, 20, 20, 5], lower_is_better=True) == [2, 3, 3, 1]


def _row(jc, vt, land, value, reason=None):
    return JobcenterFigures(jc, jc, land, "ge", vt, {}, {"K2": Figure("K2", value, None, None,
                                                                      reason)})


def test_unranked_jobcenter_keep_their_reason():
    """K2 higher is better. Type Ia: x 25 (1), y 25 (1), z 20 (3 of 3); w has no value (its
    reason), v has no type."""
    rows = [_row("x", "Ia", "SH", 25.0), _row("y", "Ia", "SH", 25.0), _row("z", "Ia", "SH", 20.0),
            _row("w", "Ia", "SH", None, "Daten reichen nicht"), _row("v", None, "SH", 30.0)]
    comp = Comparison("2020-06", "all", "vo2019", ("K2",), rows, [])
    r = {x.jobcenter_id: x for x in rankings(comp, "vergleichstyp")}
    assert [(r[j].rank, r[j].of) for j in "xyz"] == [(1, 3), (1, 3), (3, 3)]
    assert r["w"].rank is None and r["w"].reason == "Daten reichen nicht" and r["w"].of == 3
    assert r["v"].rank is None and r["v"].reason == "kein Vergleichstyp angegeben"
    with pytest.raises(ValueError):
        rankings(comp, "kreis")
