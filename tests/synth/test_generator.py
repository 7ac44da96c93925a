"""Properties of the generated extract: format, consistency, reproducibility, options."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from amip.extract.schema import TABLES
from amip.synth.tables import arrow_type


def test_same_seed_same_tables_other_seed_other(small):
    a, b, c = small(seed=7), small(seed=7), small(seed=8)
    for name in TABLES:
        assert a[name].equals(b[name]), name
    assert not a["elb_spells"].equals(c["elb_spells"])


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_has_exactly_its_columns_and_types(default_tables, name):
    t = default_tables[name]
    spec = TABLES[name]
    assert t.column_names == list(spec.column_names)
    for col in spec.columns:
        assert t.schema.field(col.name).type == arrow_type(col.kind), col.name
        if not col.nullable:
            assert t[col.name].null_count == 0, col.name
        if col.codes:
            values = set(pc.unique(t[col.name]).drop_null().to_pylist())
            assert values <= set(col.codes), (col.name, values - set(col.codes))
    if name not in ("jobcenters", "units"):
        assert t.num_rows > 0


@pytest.mark.parametrize("name", list(TABLES))
def test_no_duplicate_key_and_periods_ordered(default_tables, name):
    t = default_tables[name]
    spec = TABLES[name]
    key = list(spec.unique_key if spec.name not in ("jobcenters", "units", "persons") else spec.key)
    dup = t.group_by(key).aggregate([([], "count_all")]).filter(pc.field("count_all") > 1)
    assert dup.num_rows == 0, dup.slice(0, 3).to_pylist()
    if spec.period:
        a, b = spec.period
        bad = t.filter(pc.less(t[b], t[a]))
        assert bad.num_rows == 0


def test_references_exist(default_tables):
    for name, spec in TABLES.items():
        for col in spec.columns:
            if not col.references:
                continue
            ref_table, ref_col = col.references
            have = pc.unique(default_tables[ref_table][ref_col])
            vals = default_tables[name][col.name].drop_null()
            missing = pc.sum(pc.invert(pc.is_in(vals, value_set=have))).as_py() or 0
            assert missing == 0, f"{name}.{col.name}: {missing} unknown"


def test_spells_delivered_open_and_closed_later(default_tables):
    for name in ("elb_spells", "employment_spells", "unemployment_spells", "measure_spells"):
        t = default_tables[name]
        key = list(TABLES[name].key)
        g = t.group_by(key).aggregate([("recorded_on", "count"), ("valid_to", "count")])
        # two rows, one of them open (valid_to null) and one closed
        two = g.filter((pc.field("recorded_on_count") == 2) & (pc.field("valid_to_count") == 1))
        share = two.num_rows / g.num_rows
        assert 0.05 < share < 0.3, (name, share)


def test_recorded_on_mostly_soon_after_start(default_tables):
    t = default_tables["elb_spells"]
    lag = pc.days_between(t["valid_from"], t["recorded_on"]).to_numpy(zero_copy_only=False)
    first = lag[lag >= 0]
    assert np.mean(first <= 10) > 0.8
    assert np.mean(first > 30) > 0.01


def test_benefit_corrections_present(default_tables):
    t = default_tables["benefit_months"]
    g = t.group_by(["person_id", "month"]).aggregate([([], "count_all")])
    assert 0 < pc.sum(pc.greater(g["count_all"], 1)).as_py() < 0.05 * g.num_rows


def test_instruments_only_in_their_years(default_tables):
    m = default_tables["measure_spells"]
    year = pc.year(m["valid_from"])
    for code, lo, hi in (("fav", 2012, 2018), ("16i", 2019, 2099), ("16e", 2019, 2099),
                         ("esf_lza", 2015, 2020), ("sta", 2019, 2020)):
        y = pc.filter(year, pc.equal(m["instrument"], code)).to_pylist()
        assert y and min(y) >= lo and max(y) <= hi, code


def test_scale_multiplies_persons(small):
    one, two = small(scale=0.25), small(scale=0.5)
    ratio = two["persons"].num_rows / one["persons"].num_rows
    assert 1.7 < ratio < 2.3


def test_several_jobcenters_with_moves(small):
    t = small(jobcenters=3, scale=0.4, start=dt.date(2015, 1, 1), end=dt.date(2019, 12, 31))
    ids = t["jobcenters"]["jobcenter_id"].to_pylist()
    assert len(ids) == 3 and ids[0] == "03504" and len(set(ids)) == 3
    e = t["elb_spells"]
    assert set(pc.unique(e["jobcenter_id"]).to_pylist()) == set(ids)
    per_person = e.group_by("person_id").aggregate([("jobcenter_id", "count_distinct")])
    movers = pc.sum(pc.greater(per_person["jobcenter_id_count_distinct"], 1)).as_py()
    assert movers > 10
    assert set(pc.unique(t["units"]["jobcenter_id"]).to_pylist()) == set(ids)
