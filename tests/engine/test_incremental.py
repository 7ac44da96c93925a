"""The incremental fact store (amip.engine.kept_facts): kept counts give the same records as a
fresh count, bit for bit; the next month computes one month; a new import is a new state."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from amip.engine import kept_facts
from amip.engine.calendar import format_month, parse_month
from amip.engine.indicators import compute
from amip.store import Store
from amip.synth import generate

pytestmark = pytest.mark.duckdb_only

ARGS = dict(profile="national", seed=7, start=dt.date(2018, 1, 1), end=dt.date(2020, 12, 31),
            today=dt.date(2026, 1, 1))
CUT = dt.date(2020, 6, 30)  # the first import: benefit months recorded up to this day


def _benefits_until(tables: dict[str, pa.Table], day: dt.date) -> dict[str, pa.Table]:
    """The extract without the benefit months recorded after ``day``."""
    out = {}
    for name, t in tables.items():
        if name == "benefit_months":
            col = t["recorded_on"]
            if pa.types.is_string(col.type):
                col = pc.cast(col, pa.date32())
            t = t.filter(pc.less_equal(col, pa.scalar(day, pa.date32())))
        out[name] = t
    return out


@pytest.fixture(scope="module")
def tables():
    return generate(jobcenters=3, scale=0.01, **ARGS)


@pytest.fixture()
def store(tables, tmp_path):
    s = Store.open(tmp_path / "amip.duckdb")
    s.import_tables(tables)
    yield s
    s.close()


@pytest.fixture()
def computed(monkeypatch):
    """The month ranges the fact store computed (the real computation runs; fresh counts of
    views without a fact store are not recorded)."""
    ranges = []
    real = kept_facts.Facts

    class Spy(real):
        def __init__(self, db, rules, params, m_lo, m_hi, *a, **kw):
            if db.kept_facts is not None:
                ranges.append((m_lo, m_hi))
            super().__init__(db, rules, params, m_lo, m_hi, *a, **kw)

    monkeypatch.setattr(kept_facts, "Facts", Spy)
    return ranges


def same(a: list, b: list) -> bool:
    """The same records (the Jobcenter come in the order the store returns them: sorted)."""
    key = lambda r: (r.code, r.month, r.jobcenter_id, r.unit_id or "", r.sex, r.basis)  # noqa
    return len(a) == len(b) and sorted(a, key=key) == sorted(b, key=key)


def fresh(view):
    """The same view without its fact store: counted from scratch."""
    v = view.at(view.as_of)
    v.kept_facts = None
    return v


def months(a: str, b: str) -> list[int]:
    return list(range(parse_month(a), parse_month(b) + 1))


def test_the_store_view_keeps_beside_the_file(store, tmp_path):
    assert store.view().kept_facts == f"{tmp_path / 'amip.duckdb'}.facts"
    assert Store.memory().view().kept_facts is None


def test_kept_equals_fresh_month_by_month(store, computed, tmp_path):
    view = store.view()
    first = True
    for m in months("2019-09", "2020-08"):
        kept = compute(view, [m])
        assert same(kept, compute(fresh(view), [m])), format_month(m)
        if first:  # 13 months needed (t−12..t), computed from 2 months before
            assert computed[-1] == (m - 14, m)
            first = False
        else:  # the next month costs one month (plus the warm-up of 2) and the
            # Alleinerziehende at t−1 (K2E4's mean stock of t−12..t−1: t−1 did not need them);
            # the sums of t−12 (K1 and K1E1 compare t with t−12: t−1 summed t−13 and t−1, not
            # t−12) ride along with it: its spells reach back 730 days
            assert computed[-1] == (m - 3, m)
    assert len(computed) == 1 + 11
    # asked again: nothing computed, the same records
    computed.clear()
    assert same(compute(view, months("2019-09", "2020-08")),
                compute(fresh(view), months("2019-09", "2020-08")))
    assert computed == []
    files = list((tmp_path / "amip.duckdb.facts").rglob("*.parquet"))
    assert len(files) == 12 + 12  # 2019-09's 12 months before it, then one per month
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)


def test_kept_equals_fresh_in_any_order_and_shape(store, computed):
    """Gaps, a range before what is kept, units, one Jobcenter, JFW, published (as-of views)."""
    view = store.view()
    jc = view.table("jobcenters").jobcenter_id.to_pyarrow().to_pylist()[0]
    units = view.table("units").to_pyarrow().to_pylist()
    unit = next(u["unit_id"] for u in units if u["level"] == "standort" and u["jobcenter_id"] == jc)
    cases = [
        dict(months=[parse_month("2020-06")]),
        dict(months=[parse_month("2019-03")]),            # before what is kept: a second run
        dict(months=months("2019-01", "2020-10")),        # around both
        dict(months=[parse_month("2020-03")], jobcenter_id=jc),
        dict(months=[parse_month("2020-03")], unit_id=unit, include_total=True),
        dict(months=months("2020-01", "2020-04"), bases=("month", "jfw")),
        dict(months=[parse_month("2019-11")], published=True),
        dict(months=[parse_month("2019-11")], rules="vo2010"),
    ]
    for kw in cases:
        assert same(compute(view, **kw), compute(fresh(view), **kw)), kw
    # the second run started where it had to: 2019-03 needs 2018-03.., computed from 2018-01
    assert computed[1] == (parse_month("2018-01"), parse_month("2019-03"))


def test_the_kept_counts_are_what_is_read(store):
    """Change a kept count by hand: the record follows it (so the kept path is the one used)."""
    view = store.view()
    m = parse_month("2020-06")
    before = {(r.code, r.jobcenter_id, r.sex): r for r in compute(view, [m], codes=["K3E1"])}
    fs = kept_facts.fact_store(view)
    state, key = kept_facts.state_key(view, *_rules_params(m), None, False)
    names, counts = fs.read(state, key, m)
    k = next(k for k in counts if k[0] == "integrations_lzb" and k[3] == "w")
    counts[k] += 12  # 12 more Integrationen of LZB of women of one Jobcenter in 2020-06
    fs.write(state, key, m, names, counts)
    after = {(r.code, r.jobcenter_id, r.sex): r for r in compute(view, [m], codes=["K3E1"])}
    # only what K3E1 reads of month m was counted: its numerator (the mean LZB stock of the
    # denominator is of m−12..m−1)
    assert names == {"integrations_lzb"}
    for sex in ("w", "all"):  # the 12-month sum of the numerator follows
        assert after[("K3E1", k[1], sex)].numerator == before[("K3E1", k[1], sex)].numerator + 12
    assert after[("K3E1", k[1], "m")] == before[("K3E1", k[1], "m")]


def _rules_params(m):
    from amip.catalogue import load
    from amip.engine.calendar import stichtag

    cat = load()
    return cat.rules_for(stichtag(m)), cat.parameters


def test_a_new_import_is_a_new_state(tables, tmp_path, computed):
    """Kept under the first import's state, the month is counted again after the second: the
    old counts are not used (they would be wrong: the later rows change the figures)."""
    s = Store.open(tmp_path / "amip.duckdb")
    try:
        s.import_tables(_benefits_until(tables, CUT))
        m = parse_month("2020-06")
        old = compute(s.view(), [m])
        assert computed[-1] == (m - 14, m)
        old_state = kept_facts.state_key(s.view(), *_rules_params(m), None, False)[0]
        assert s.import_tables(tables).total_added > 0  # the benefit months recorded later
        view = s.view()
        new = compute(view, [m])
        assert computed[-1] == (m - 14, m)  # counted again, not read
        assert same(new, compute(fresh(view), [m]))
        assert not same(new, old)  # the later rows change figures of 2020-06 (K1, K1E1)
        # the first state's folder went when the new state kept its first month
        folders = [p.name for p in (tmp_path / "amip.duckdb.facts").iterdir()]
        assert old_state not in folders and len(folders) == 1
    finally:
        s.close()


def test_an_unwritable_folder_counts_fresh(store, tmp_path):
    view = store.view()
    view.kept_facts = str(tmp_path / "file-not-folder")
    (tmp_path / "file-not-folder").write_text("x")
    m = parse_month("2020-02")
    assert same(compute(view, [m]), compute(fresh(view), [m]))


def test_money_months_ride_along_with_the_next_run_that_needs_more(store, computed):
    """Sums wanted for t−30, t−12 and t, the stock for t only: t−12 rides along with t's run
    (Facts(t−2, t) reaches back to the 730-day window of ST(t−2), October 2018), t−30 (June
    2018) lies before that and runs on its own; every count equals one Facts over the span."""
    from amip.catalogue import load
    from amip.engine.aggregate import count_facts
    from amip.engine.calendar import stichtag
    from amip.engine.facts import Facts

    cat = load()
    t = parse_month("2020-12")
    rules = cat.rules_for(stichtag(t))
    wanted = {"llu": {t - 30, t - 12, t}, "luh": {t - 30, t - 12, t}, "elb": {t}}
    view = store.view()
    got = kept_facts.counts(view, rules, cat.parameters, wanted, None)
    assert computed == [(t - 32, t - 30), (t - 2, t)]
    with Facts(fresh(view), rules, cat.parameters, t - 32, t) as facts:
        whole = count_facts(facts, sorted(wanted), months=wanted)
    assert got == whole and {k[4] for k in got} == {t - 30, t - 12, t}
