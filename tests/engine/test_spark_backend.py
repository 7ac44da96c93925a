"""The backend matrix gains Spark: a small national extract (7 Jobcenter, two months, all 15
measures × 3 sexes, monthly values and Jahresfortschrittswerte) computed on DuckDB and on Spark
(the store published as Parquet) gives the same figures: counts exactly, values to 1e-9.

The engine's spec cases (tests/engine/conftest.py: DuckDB and PostgreSQL) do not run on Spark:
each case is a tiny store of its own, and a Spark computation costs 30–90 s of fixed overhead on
the shared 2-core machine (about 100 Spark jobs per computation), so the whole matrix would add
hours. Instead :func:`test_spec_cases_on_spark` runs a subset of them on Spark: LZB across a
short gap with its Zugänge and Abgänge, the money sums of K1, and window B of Integrationen.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from amip.engine.calendar import parse_month
from amip.engine.indicators import compute
from amip.store import Store
from amip.engine.prepare import keep
from amip.engine.prepared import PREPARED, prepared
from amip.store.parquet import publish_to_parquet, spark_view
from amip.synth import generate
from tests.engine import test_integrations as integrations
from tests.engine import test_lzb_and_stocks as lzb
from tests.engine.builder import Ex
from tests.spark_fixture import spark  # noqa: F401

#: the conftest's DuckDB/PostgreSQL matrix is for the spec cases: this module compares Spark
#: with DuckDB itself, once
pytestmark = pytest.mark.duckdb_only

ARGS = dict(profile="national", seed=7, start=dt.date(2018, 1, 1), end=dt.date(2020, 12, 31),
            today=dt.date(2026, 1, 1))
MONTHS = [parse_month("2020-05"), parse_month("2020-06")]


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """7 Jobcenter of the national profile at 1 %, imported, and published as Parquet."""
    store = Store.memory()
    store.import_tables(generate(jobcenters=7, scale=0.01, **ARGS), source="synth national")
    out = tmp_path_factory.mktemp("national") / "pq"
    publish_to_parquet(store, out)
    yield store, out
    store.close()


def by_key(records) -> dict:
    return {(r.code, r.month, r.jobcenter_id, r.sex, r.basis): r for r in records}


def assert_same_figures(duck: dict, other: dict) -> None:
    assert duck.keys() == other.keys()
    for key, d in duck.items():
        o = other[key]
        assert (d.numerator, d.denominator, d.reason, d.rules) == \
            (o.numerator, o.denominator, o.reason, o.rules), key
        if d.value is None:
            assert o.value is None, key
        else:
            assert o.value is not None, key
            assert math.isclose(d.value, o.value, rel_tol=0, abs_tol=1e-9), key


def test_every_measure_is_the_same_on_spark(national, spark):  # noqa: F811
    store, out = national
    bases = ("month", "jfw")
    duck = by_key(compute(store.view(), MONTHS, bases=bases))
    with spark_view(out, session=spark) as view:
        on_spark = by_key(compute(view, MONTHS, bases=bases))
    # the matrix is complete: 15 measures × 3 sexes × 7 Jobcenter × 2 months, and the JFW
    monthly = [k for k in duck if k[4] == "month"]
    assert len({k[0] for k in monthly}) == 15 and {k[3] for k in monthly} == {"all", "m", "w"}
    assert len({k[2] for k in monthly}) == 7 and len(monthly) == 15 * 3 * 7 * 2
    assert any(k[4] == "jfw" for k in duck)
    # figures that exist, not a table of None
    assert sum(r.value is not None for r in duck.values()) > 0.8 * len(duck)
    assert_same_figures(duck, on_spark)


def test_one_jobcenter_and_a_unit_on_spark(national, spark):  # noqa: F811
    """The Jobcenter filter and the drill-down to a Standort (team assignment) on Spark."""
    store, out = national
    view = store.view()
    jc = view.table("jobcenters").jobcenter_id.min().to_pyarrow().as_py()
    units = view.table("units")
    unit = units.filter((units.jobcenter_id == jc) & (units.level == "standort")) \
        .unit_id.min().to_pyarrow().as_py()
    month = MONTHS[-1:]
    duck = by_key(compute(view, month, unit_id=unit))
    with spark_view(out, session=spark) as sv:
        assert_same_figures(duck, by_key(compute(sv, month, unit_id=unit)))


def test_the_prepared_tables_are_published_and_read_on_spark(national, spark,  # noqa: F811
                                                            tmp_path):
    """The tables an import prepares (amip.engine.prepared) go with the current rows into the
    Parquet directory; Spark reads them and gives the figures DuckDB derives without them."""
    store, _ = national
    duck = by_key(compute(store.view(), MONTHS))  # derived on the fly: nothing prepared yet
    assert all(prepared(store.view(), n) is None for n in PREPARED)
    keep(store)
    publish_to_parquet(store, tmp_path / "pq")
    assert all((tmp_path / "pq" / f"amip_prepared_{n}").is_dir() for n in PREPARED)
    with spark_view(tmp_path / "pq", session=spark) as view:
        assert all(prepared(view, n) is not None for n in PREPARED)
        assert_same_figures(duck, by_key(compute(view, MONTHS)))


SPEC_SUBSET = [lzb.test_lzb_abgang_through_a_short_gap_while_still_elb,
               lzb.test_k1_sums_llu_of_the_jobcenter_and_compares_with_the_previous_year,
               integrations.test_window_b_catches_an_entrant_who_took_a_job_in_the_same_month]


@pytest.mark.parametrize("case", SPEC_SUBSET, ids=lambda f: f.__name__.removeprefix("test_"))
def test_spec_cases_on_spark(case, spark, monkeypatch, tmp_path):  # noqa: F811
    """A spec case with its store published as Parquet and read by Spark."""
    counter = iter(range(100))

    def view(self, as_of: str | None = None):
        store = self.store()
        out = tmp_path / f"case{next(counter)}"
        publish_to_parquet(store, out)
        store.close()
        return spark_view(out, dt.date.fromisoformat(as_of) if as_of else None, session=spark)

    monkeypatch.setattr(Ex, "view", view)
    case()
