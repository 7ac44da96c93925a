"""Nothing is overwritten (§11 item 37): versions, history, as-of, optimistic versioning — and
two writers at once never lose a change, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from amip.errors import DataError, NotFound
from amip.steering import StaleChange, Steering, TargetInput
from amip.steering.models import Base


def k2(value, status="vereinbart", **kw) -> TargetInput:
    return TargetInput("03504", None, 2020, "K2", "all", Decimal(value), status, **kw)


def test_migrations_reach_the_models(url):
    """The shipped migrations build exactly the models: autogenerate finds nothing to add."""
    with Steering.open(url=url) as st, st.engine.connect() as con:
        ctx = MigrationContext.configure(con, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []
    with Steering.open(url=url) as st:  # opening again: already at head, nothing to do
        assert st.targets() == []


def test_history_and_as_of(url):
    with Steering.open(url=url) as st:
        v1 = st.set_target(k2("23.4"), "anna", None, None)
        time.sleep(0.01)
        v2 = st.set_target(k2("24.0"), "ben", "neu verhandelt", 1)
        time.sleep(0.01)
        v3 = st.withdraw_target(v1.key, "carla", "Ziel entfällt", 2)
        assert (v1.version, v2.version, v3.version) == (1, 2, 3)
        assert v3.withdrawn and v3.value == Decimal("24.0")
        assert st.targets() == []                                     # withdrawn: not in force
        assert st.targets(as_of=v1.recorded_at) == [v1]               # the state then
        assert st.targets(as_of=v2.recorded_at)[0].value == Decimal("24.0")
        assert st.targets(as_of=v1.recorded_at - dt.timedelta(seconds=1)) == []
        assert st.targets(as_of=dt.date(2000, 1, 1)) == []             # a day: its end
        assert st.targets(as_of=dt.date.today() + dt.timedelta(days=1)) == []
        hist = st.target_history(2020, "K2")
        assert [(h.version, h.recorded_by, h.reason, h.operation) for h in hist] == [
            (1, "anna", None, "create"), (2, "ben", "neu verhandelt", "change"),
            (3, "carla", "Ziel entfällt", "withdraw")]
        assert all(h.recorded_at.tzinfo == dt.timezone.utc for h in hist)
        again = st.set_target(k2("23.0"), "anna", None, 3)           # entered anew
        assert (again.version, again.operation) == (4, "create")


def test_unchanged_entry_writes_no_version(st):
    st.set_target(k2("23.4"), "anna", None, None)
    same = st.set_target(k2("23.40"), "ben", None, 1)
    assert same.version == 1 and len(st.target_history()) == 1


def test_stale_change_is_refused_with_a_german_message(url):
    with Steering.open(url=url) as st:
        st.set_target(k2("23.4"), "anna", None, None)
        st.set_target(k2("24.0"), "ben", "neu", 1)
        with pytest.raises(StaleChange, match=r"Der Zielwert wurde inzwischen von ben am "
                                              r"\d\d\.\d\d\.\d{4}, \d\d:\d\d:\d\d geändert; "
                                              r"bitte neu laden\."):
            st.set_target(k2("25.0"), "carla", "auch neu", 1)
        with pytest.raises(StaleChange, match="inzwischen von ben"):  # a "new" form, but it exists
            st.set_target(k2("25.0"), "carla", "auch neu", None)
        assert [r.value for r in st.targets()] == [Decimal("24.0")]


def test_two_writers_at_once_never_lose_a_change(url):
    """Eight threads, each its own session, all change the target based on version 1: exactly
    one wins, every other one is refused as stale — none is silently overwritten."""
    with Steering.open(url=url) as st:
        st.set_target(k2("20", status="in_abstimmung"), "setup", None, None)
    results: list = []
    barrier = threading.Barrier(8)

    def writer(i: int) -> None:
        with Steering.open(url=url) as mine:
            barrier.wait()
            try:
                results.append(mine.set_target(k2(str(21 + i), status="in_abstimmung"),
                                                f"w{i}", None, 1))
            except StaleChange as e:
                results.append(e)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [r for r in results if not isinstance(r, StaleChange)]
    assert len(results) == 8 and len(won) == 1
    with Steering.open(url=url) as st:
        hist = st.target_history()
        assert [h.version for h in hist] == [1, 2]
        assert hist[1].value == won[0].value and hist[1].recorded_by == won[0].recorded_by


def test_sequential_writers_each_keep_their_change(url):
    """Writers that reload before changing all get their version: 1 + 5 versions."""
    with Steering.open(url=url) as st:
        st.set_target(k2("20", status="in_abstimmung"), "setup", None, None)

    def writer(i: int) -> None:
        with Steering.open(url=url) as mine:
            for _ in range(50):
                current = mine.target(("03504", None, 2020, "K2", "all"))
                try:
                    mine.set_target(k2(str(30 + i), status="in_abstimmung"), f"w{i}", None,
                                    current.version)
                    return
                except StaleChange:
                    time.sleep(0.01)
            raise AssertionError("never got through")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Steering.open(url=url) as st:
        hist = st.target_history()
        assert [h.version for h in hist] == list(range(1, 7))
        assert sorted(h.recorded_by for h in hist[1:]) == [f"w{i}" for i in range(5)]


def test_withdraw_refusals(st):
    key = ("03504", None, 2020, "K2", "all")
    with pytest.raises(NotFound, match="gibt es nicht"):
        st.withdraw_target(key, "anna", "x", 1)
    st.set_target(k2("23.4"), "anna", None, None)
    with pytest.raises(DataError, match="Begründung"):
        st.withdraw_target(key, "anna", None, 1)


def test_decimals_stay_exact(url):
    with Steering.open(url=url) as st:
        st.set_target(TargetInput("03504", None, 2020, "kdu_ausgaben", "all",
                                  Decimal("16600000.01"), "in_abstimmung"), "a", None, None)
        assert st.targets()[0].value == Decimal("16600000.01")


def test_default_store_is_beside_the_extract_store(tmp_path):
    with Steering.open(tmp_path / "amip.duckdb") as st:
        st.set_target(k2("23.4"), "anna", None, None)
    assert (tmp_path / "amip.steering.sqlite").exists()


def test_a_date_means_the_end_of_that_day_in_german_time():
    from amip.steering.store import moment

    # 1 July 2020 ends at 24:00 CEST = 22:00 UTC
    assert moment(dt.date(2020, 7, 1)) == dt.datetime(2020, 7, 1, 21, 59, 59, 999999,
                                                       tzinfo=dt.timezone.utc)
    # 15 January: CET, UTC+1
    assert moment(dt.date(2020, 1, 15)).hour == 22


def test_set_target_checks_the_org_when_given(st):
    from tests.steering.conftest import JOBCENTERS, UNITS

    row = TargetInput("03504", "xt", 2020, "integrations", "all", Decimal(5), "vereinbart")
    with pytest.raises(DataError, match="Einheit 'xt' gehört zu Jobcenter 09999, nicht zu 03504"):
        st.set_target(row, "anna", None, None, UNITS, JOBCENTERS)
    with pytest.raises(DataError, match="Zielwert leer bei Status vereinbart"):
        st.set_target(TargetInput("03504", None, 2020, "K2"), "anna", None, None)
    assert st.target_history() == []


def test_the_head_is_alembic_s_without_importing_it(tmp_path):
    """`_head` reads the migration files' revisions (no Alembic import on every open): it names
    the head Alembic names; a store at the head opens without importing Alembic."""
    import subprocess
    import sys

    from alembic.script import ScriptDirectory

    from amip.steering.db import MIGRATIONS, _head

    assert _head() == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    from amip.steering import Steering

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    Steering.open(url=url).close()  # created and migrated (imports Alembic)
    code = ("import sys; from amip.steering import Steering; "
            f"Steering.open(url={url!r}).close(); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
