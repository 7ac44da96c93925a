"""The Zielnachhaltung's counts kept by the import (amip.engine.kept, issue 12 "cold status"):
read back they give the same StatusRecords as counted; another data state never reads them."""

from __future__ import annotations

import dataclasses
import json
import datetime as dt
from decimal import Decimal

import pytest

from amip.attainment.status import follow_jobs, target_status
from amip.attainment.status import followed_measures as fm
from amip.catalogue.targets import measure_definitions
from amip.engine import followed
from amip.engine.calendar import parse_month
from amip.engine.kept import KEPT, keep, kept
from tests.attainment.test_status import T, case
from tests.engine.builder import JC

pytestmark = pytest.mark.duckdb_only  # the import writes into a DuckDB store

TARGETS = [T(JC, None, 2020, "integrations", "all", Decimal(16)),
           T(JC, None, 2020, "K2", "all", Decimal("20.5")),
           T(JC, None, 2020, "K3", "all", Decimal(-2)),
           T(JC, None, 2020, "fehlerquote_kdu", "all", Decimal(5)),
           T(JC, None, 2020, "integrationen_fm", "all", Decimal(2))]
M = parse_month("2020-06")


def followed_measures():
    """The measures the status follows for TARGETS (the key of the kept counts)."""
    return fm(TARGETS, measure_definitions(), JC, 2020)


def forget() -> None:
    """Empty the process's LRU (the stores of one case share their data state)."""
    followed._CACHE._items.clear()


def status(view):
    forget()
    return [dataclasses.asdict(r) for r in target_status(view, TARGETS, M)]


def test_kept_counts_give_the_same_records_as_counted():
    counted = status(case().store().view())
    store = case().store()
    assert keep(store, follow_jobs(TARGETS, M)) == 1
    view = store.view()
    f = kept(view, JC, M, followed_measures())
    assert f is not None and f.counts  # read from amip_follow_counts, not counted
    assert status(view) == counted
    # the expectation too (it reads `first`, the months counted)
    assert len(counted) >= 5 and any(r["expected"] is not None for r in counted)


def test_the_kept_counts_are_read_only_for_their_exact_key():
    store = case().store()
    keep(store, follow_jobs(TARGETS, M))
    view = store.view()
    mds = followed_measures()
    assert kept(view, JC, M, mds) is not None
    assert kept(view, JC, M - 1, mds) is None           # another month: counted
    assert kept(view, JC, M, mds[:1]) is None           # other measures: counted
    assert kept(view, "99999", M, mds) is None          # another Jobcenter
    assert kept(store.view(dt.date(2020, 7, 1)),
                JC, M, mds) is None                     # a view as of a date


def test_a_new_import_does_not_read_the_old_counts():
    store = case().store()
    keep(store, follow_jobs(TARGETS, M))
    # a second import: q01's Integration in May 2020 (t1) — a new data state
    later = case().job("q01", "2020-05-10", "2020-05-10")
    store.import_tables(later.tables(), source="later")
    view = store.view()
    assert kept(view, JC, M, followed_measures()) is None
    records = status(view)
    # counted afresh: 10 + q01 = 11 Integrationen Jan–Jun
    assert next(r for r in records if r["measure"] == "integrations"
                and r["unit_id"] is None and r["sex"] == "all")["actual"] == 11.0
    # the next keep drops the rows of the old data state
    keep(store, follow_jobs(TARGETS, M))
    assert store.con.sql(f"SELECT count(*), count(DISTINCT data_state) FROM {KEPT}") \
        .fetchone() == (1, 1)


def test_status_without_kept_counts_still_works():
    view = case().store().view()
    assert kept(view, JC, M, followed_measures()) is None  # no amip_follow_counts table
    r = next(x for x in status(view) if x["measure"] == "integrations" and x["unit_id"] is None
             and x["sex"] == "all")
    assert r["actual"] == 10.0


def test_the_status_reads_the_kept_counts():
    """Emptied on purpose, the kept counts show in the status: it read them and counted nothing
    (a test that fails when the kept counts are not used)."""
    store = case().store()
    keep(store, follow_jobs(TARGETS, M))
    payload = json.loads(store.con.sql(f"SELECT payload FROM {KEPT}").fetchone()[0])
    payload["counts"] = [c for c in payload["counts"] if c[0] != "integrations"]
    store.con.execute(f"UPDATE {KEPT} SET payload = ?", [json.dumps(payload)])
    r = next(x for x in status(store.view()) if x["measure"] == "integrations"
             and x["unit_id"] is None and x["sex"] == "all")
    assert r["actual"] == 0.0  # counted: 10


def test_the_import_step_keeps_the_counts_of_the_steering_stores_targets(tmp_path):
    """`amip import` ends with keep_target_counts: the targets of the steering store beside the
    store, for the latest complete month; `amip targets status` then gives the same JSON."""
    from click.testing import CliRunner

    from amip.cli.main import cli
    from amip.cli.store_cmds import keep_target_counts
    from amip.engine.calendar import format_month, month_index
    from amip.engine.overview import latest_complete_month
    from amip.store import Store

    path = tmp_path / "amip.duckdb"
    with Store.open(path) as s:
        ex = case()
        s.import_tables(ex.tables(), source="t", description=ex.description)
        assert keep_target_counts(s, str(path)) == 0  # no steering store: nothing (none made)
        assert not (tmp_path / "amip.steering.sqlite").exists()
        month = format_month(month_index(latest_complete_month(s.view())))
    csv = tmp_path / "targets.csv"
    csv.write_text("jobcenter_id;unit_id;year;measure;sex;value;status;source;note\n"
                   f"{JC};;{month[:4]};integrations;all;16;vereinbart;Programm;\n"
                   f"{JC};;{month[:4]};K3;all;-10;vereinbart;Programm;\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["targets", "import", str(csv), "--store", str(path)],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output

    def status_json():
        forget()
        r = CliRunner().invoke(cli, ["targets", "status", "--month", month, "--store", str(path),
                                     "--format", "json"], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return json.loads(r.stdout)

    # `amip targets import` kept them (make demo imports the targets after the extract)
    with Store.open(path, read_only=True) as s:
        assert s.con.sql(f"SELECT count(*) FROM {KEPT}").fetchone() == (1,)
    kept_json = status_json()
    with Store.open(path) as s:
        s.con.execute(f"DROP TABLE {KEPT}")
    counted = status_json()
    assert kept_json == counted and len(counted) >= 2
    assert any(r["expected"] is not None for r in counted)
    with Store.open(path) as s:
        assert keep_target_counts(s, str(path)) == 1
        assert s.con.sql(f"SELECT count(*) FROM {KEPT}").fetchone() == (1,)
    assert status_json() == counted
    # the same targets again: nothing new, nothing kept again (the store file is not swapped)
    before = path.stat().st_ino
    r = CliRunner().invoke(cli, ["targets", "import", str(csv), "--store", str(path)],
                           catch_exceptions=False)
    assert r.exit_code == 0 and "0 neu, 0 geändert" in r.output
    assert path.stat().st_ino == before


def test_the_kept_expectation_paths_give_the_same_records_and_are_read():
    """The import keeps the simulated paths of the Jobcenter's year-end expectation with the
    counts: read back the records are the same as simulated afresh, and a changed kept path shows
    in the expectation (it was read, not simulated: no model fitted in the status)."""
    counted = status(case().store().view())
    store = case().store()
    jobs = follow_jobs(TARGETS, M)
    assert {(md.id, sex) for md, sex in jobs[0][3]} == {(t.measure, t.sex) for t in TARGETS}
    keep(store, jobs)
    payload = json.loads(store.con.sql(f"SELECT payload FROM {KEPT}").fetchone()[0])
    kept_paths = [p for p in payload["paths"] if p[-1] is not None]
    assert {p[2] for p in kept_paths} >= {"integrations", "elb"}  # K2's numerator, denominator
    assert status(store.view()) == counted
    # every simulated Integrationen path of Jul..Dec set to 100 a month: the expectation of the
    # Integrationen is the actual Jan–Jun (10) + 6 × 100 = 610 in every path
    import base64, zlib
    import numpy as np
    for p in payload["paths"]:
        if p[2] == "integrations" and p[0] is None and p[1] == "all" and p[-1] is not None:
            shape = p[-2]
            p[-1] = base64.b64encode(zlib.compress(
                np.full(shape, 100.0, dtype="<f8").tobytes())).decode()
            assert shape[0] == 6  # the months after June
    store.con.execute(f"UPDATE {KEPT} SET payload = ?", [json.dumps(payload)])
    r = next(x for x in status(store.view()) if x["measure"] == "integrations"
             and x["unit_id"] is None and x["sex"] == "all")
    assert (r["expected"], r["expected_lower"], r["expected_upper"]) == (610.0, 610.0, 610.0)
    # kept paths of another format are not read: simulated afresh
    from amip.engine import kept as kept_module
    payload["expectation_format"] = kept_module.EXPECTATION_FORMAT + 1
    store.con.execute(f"UPDATE {KEPT} SET payload = ?", [json.dumps(payload)])
    assert status(store.view()) == counted
