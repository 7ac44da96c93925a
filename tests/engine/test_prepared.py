"""The tables an import prepares (amip.engine.prepare, .prepared): read instead of derived,
they give the same records; they are read only for the data state they were prepared at and
never by an as-of view; `amip import` keeps them."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from amip.cli.main import cli
from amip.engine import prepare
from amip.engine import prepared as prep
from amip.engine.calendar import parse_month
from amip.engine.facts import (benefit_jobcenter, net_starts, single_spells, spell_days,
                               with_sex)
from amip.engine.indicators import compute
from amip.engine.stocks import counting
from amip.store import Store
from amip.synth import generate
from tests.cli.test_readme import tiny_extract
from tests.engine.test_incremental import ARGS, _benefits_until, same

pytestmark = pytest.mark.duckdb_only

MONTHS = list(range(parse_month("2019-11"), parse_month("2020-06") + 1))


@pytest.fixture(scope="module")
def tables():
    # 3 Jobcenter: persons move between them, so a month's Jobcenter is not always the only one
    return generate(jobcenters=3, scale=0.01, **ARGS)


def _store(path, tables, keep: bool) -> Store:
    s = Store.open(path)
    s.import_tables(tables)
    if keep:
        prepare.keep(s)
    return s


def _fresh(store: Store, as_of: dt.date | None = None):
    view = store.view(as_of)
    view.kept_facts = None  # counted from the facts, not from kept counts
    return view


def _found(view) -> set[str]:
    return {n for n in prep.PREPARED if prep.prepared(view, n) is not None}


def test_read_prepared_tables_give_the_records_derived_on_the_fly(tables, tmp_path):
    with _store(tmp_path / "a.duckdb", tables, keep=True) as a, \
            _store(tmp_path / "b.duckdb", tables, keep=False) as b:
        va, vb = _fresh(a), _fresh(b)
        assert _found(va) == set(prep.PREPARED) and _found(vb) == set()
        assert same(compute(va, MONTHS), compute(vb, MONTHS))
        jc = va.table("jobcenters").jobcenter_id.to_pyarrow().to_pylist()[-1]
        assert same(compute(_fresh(a), MONTHS[-2:], jobcenter_id=jc),
                    compute(_fresh(b), MONTHS[-2:], jobcenter_id=jc))
        # by team (the counts join the caseload's teams to rows that carry their sex)
        units = va.table("units")
        unit = units.filter((units.jobcenter_id == jc) & (units.level == "standort")) \
            .unit_id.min().to_pyarrow().as_py()
        by_team = compute(_fresh(a), MONTHS[-1:], unit_id=unit)
        assert by_team and same(by_team, compute(_fresh(b), MONTHS[-1:], unit_id=unit))


def test_the_prepared_rows_are_the_rows_derived_on_the_fly(tables, tmp_path, monkeypatch):
    # the benefit months prepared a few at a time (at national size: memory)
    monkeypatch.setattr(prepare, "CHUNK_ROWS", 5_000)
    with _store(tmp_path / "a.duckdb", tables, keep=True) as a:
        view = a.view()
        b = view.table("benefit_months")
        per_month = {parse_month(r["month"]): r["n"] for r in
                     b.group_by("month").aggregate(n=b.count()).to_pyarrow().to_pylist()}
        assert len(prepare._chunks(per_month)) > 3
        spells = spell_days(view, "elb_spells", "person_id", "jobcenter_id", "bg_id", "bg_role",
                            "status")
        months = sorted({parse_month(m) for m in
                         view.table("benefit_months").month.to_pyarrow().to_pylist()})

        def rows(t) -> list[dict]:
            cols = sorted(t.columns)
            return sorted(t.select(*cols).to_pyarrow().to_pylist(), key=lambda r: tuple(
                str(r[c]) for c in cols))

        derived = rows(benefit_jobcenter(view, months, spells))
        kept = prep.prepared(view, "benefit_months")
        assert len({r["m"] for r in derived}) == len(months) > 12  # every month, not one
        assert rows(kept) == derived
        assert len({r["jobcenter_id"] for r in derived}) == 3  # the months of all Jobcenter
        kept = prep.prepared(view, "elb_spells")
        spells = with_sex(view, spells)
        elb = kept.filter(kept.status == "elb")
        assert rows(elb) == rows(single_spells(net_starts(counting(spells))))
        # single: the person's only elb spell, worked out here in Python
        per_person: dict[str, int] = {}
        for r in rows(elb):
            per_person[r["person_id"]] = per_person.get(r["person_id"], 0) + 1
        assert all(r["single"] == (per_person[r["person_id"]] == 1) for r in rows(elb))
        assert 0 < sum(n == 1 for n in per_person.values()) < len(per_person)  # both kinds
        others = kept.filter(kept.status != "elb")
        assert rows(others.drop("new", "single")) == rows(spells.filter(spells.status != "elb"))
        assert others.count().to_pyarrow().as_py() > 0  # nef spells: for the month's Jobcenter
        # a net start and single for elb spells only
        assert others.new.count().to_pyarrow().as_py() == 0
        assert others.single.count().to_pyarrow().as_py() == 0


def test_months_are_prepared_in_runs_of_consecutive_months(monkeypatch):
    monkeypatch.setattr(prepare, "CHUNK_ROWS", 10)
    assert prepare._chunks({}) == [[]]  # no benefit months: one empty run creates the table
    # 3 + 5 rows fit, + 4 would not; a gap starts a run; a month over the limit is its own
    assert prepare._chunks({1: 3, 2: 5, 3: 4, 5: 1, 6: 30, 7: 2}) == [[1, 2], [3], [5], [6], [7]]


def test_another_data_state_or_an_as_of_view_derives_them_again(tables, tmp_path):
    first = _benefits_until(tables, dt.date(2020, 3, 31))
    with _store(tmp_path / "a.duckdb", first, keep=True) as s:
        assert _found(_fresh(s)) == set(prep.PREPARED)
        assert _found(_fresh(s, dt.date(2020, 1, 31))) == set()  # an as-of view: derived
        s.import_tables(tables)  # more benefit months: another data state
        view = _fresh(s)
        assert _found(view) == set()
        derived = compute(view, MONTHS[-3:])
        counts = prepare.keep(s)
        again = _fresh(s)
        assert _found(again) == set(prep.PREPARED)
        assert same(compute(again, MONTHS[-3:]), derived)
        b = tables["benefit_months"]
        assert counts["benefit_months"] <= b.num_rows  # one row per benefit row with a spell
        # the log names the new state only
        logged = s.con.execute(f"SELECT count(DISTINCT data_state) FROM {prep.LOG}").fetchone()
        assert logged[0] == 1
        assert pc.max(pc.cast(b["month"], pa.string())).as_py() >= "2020-06"


def test_amip_import_keeps_them(tmp_path):
    tiny_extract(tmp_path / "extract")
    r = CliRunner().invoke(cli, ["import", str(tmp_path / "extract"), "--store",
                                 str(tmp_path / "a.duckdb"), "--no-quality"])
    assert r.exit_code == 0, r.output
    with Store.open(tmp_path / "a.duckdb", read_only=True) as s:
        assert _found(s.view()) == set(prep.PREPARED)
