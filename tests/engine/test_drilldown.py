"""Parts add up to the whole: each drill-down level (children + "ohne Zuordnung") sums to its
parent for every additive figure (numerator and denominator of all measures, both sexes)."""

from __future__ import annotations

import pytest

from amip.engine.calendar import parse_month
from amip.engine.drilldown import child_rows, unassigned_id
from amip.engine.indicators import compute
from tests.engine.test_asof_units_properties import org
from tests.engine.builder import Ex


def _sums_match(records, parent, kids):
    """(code, sex, field) where Σ kids differs from the parent (should be none)."""
    by = {(r.unit_id, r.code, r.sex, r.basis): r for r in records}
    wrong = []
    for (unit, code, sex, basis), r in by.items():
        if unit != parent:
            continue
        for field in ("numerator", "denominator"):
            total = sum(getattr(by[(k, code, sex, basis)], field) for k in kids)
            if abs(total - getattr(r, field)) > 1e-6:
                wrong.append((code, sex, basis, field, total, getattr(r, field)))
    return wrong


def test_unassigned_row_worked_by_hand():
    """Stock at ST(Jun 2020): a (t1), b (t3), c with no team, d assigned to Standort s1 itself.
    Jobcenter: 4 = s1 2 (a, d) + s2 1 (b) + ohne Zuordnung 1 (c); s1: 2 = t1 1 + t2 0 +
    ohne Zuordnung 1 (d)."""
    ex = org(Ex())
    for p in "abcd":
        ex.elb(p, "2015-01-01")
    ex.caseload("a", "t1", "2015-01-01").caseload("b", "t3", "2015-01-01") \
        .caseload("d", "s1", "2015-01-01")
    view = ex.view()
    ids = ["s1", "s2", unassigned_id("u0"), "t1", "t2", unassigned_id("s1")]
    recs = compute(view, [parse_month("2020-06")], unit_ids=ids, include_total=True,
                   codes=["K1E2"])
    n = {r.unit_id: r.numerator for r in recs if r.sex == "all"}
    assert n == {None: 4, "s1": 2, "s2": 1, "u0~ohne-zuordnung": 1, "t1": 1, "t2": 0,
                 "s1~ohne-zuordnung": 1}
    # a single "ohne Zuordnung" row asked for alone (as the API's ?unit= does)
    alone = compute(view, [parse_month("2020-06")], unit_id="u0~ohne-zuordnung", codes=["K1E2"])
    assert [r.numerator for r in alone if r.sex == "all"] == [1]


def test_child_rows_end_with_the_unassigned_row():
    units = [{"unit_id": "u0", "jobcenter_id": "J", "parent_unit_id": None, "name": "JC",
              "level": "jobcenter"},
             {"unit_id": "s2", "jobcenter_id": "J", "parent_unit_id": "u0", "name": "B",
              "level": "standort"},
             {"unit_id": "s1", "jobcenter_id": "J", "parent_unit_id": "u0", "name": "A",
              "level": "standort"}]
    rows = child_rows(units, "u0")
    assert [r["unit_id"] for r in rows] == ["s1", "s2", "u0~ohne-zuordnung"]
    assert rows[-1]["level"] == "unassigned" and rows[-1]["name"] == "ohne Zuordnung"
    assert child_rows(units, "s1") == []


@pytest.fixture(scope="module")
def default_view(store_file):
    from amip.store import Store

    store = Store.open(store_file, read_only=True)
    yield store.view()
    store.close()


def test_every_unit_table_adds_up_to_its_total(default_view):
    """Property over the default synthetic Jobcenter: for every unit with children, all 15
    measures × sexes × bases (month, JFW) of June 2020: Σ children + ohne Zuordnung = parent,
    for numerator and denominator (persons, stocks, means and euros)."""
    units = default_view.table("units").to_pyarrow().to_pylist()
    parents = [u for u in units if any(c["parent_unit_id"] == u["unit_id"] for c in units)]
    assert len(parents) > 1  # the Jobcenter and its Standorte
    wanted = sorted({c["unit_id"] for p in parents for c in child_rows(units, p["unit_id"])}
                    | {p["unit_id"] for p in parents if p["level"] != "jobcenter"})
    recs = compute(default_view, [parse_month("2020-06")], unit_ids=wanted, include_total=True,
                   bases=("month", "jfw"))
    jc = next(p for p in parents if p["level"] == "jobcenter")
    unassigned = [r for r in recs if r.unit_id == unassigned_id(jc["unit_id"])]
    assert any(r.numerator for r in unassigned)  # the demo data have persons without a team
    for p in parents:
        kids = [c["unit_id"] for c in child_rows(units, p["unit_id"])]
        parent = None if p["level"] == "jobcenter" else p["unit_id"]
        assert _sums_match(recs, parent, kids) == [], p["unit_id"]
