"""Uncached computations in a helper process (``Settings.query_processes``): the same records as
in the server process, engine errors pass through, and a request that reads a replaced store
file still gets its own generation (computed in the server process then)."""

from __future__ import annotations

import os

import pytest

from amip.engine.indicators import UnknownUnit
from amip.store import Store
from amip.store.generations import Generation
from amip.web.services import Services
from amip.web.settings import Settings
from tests.store.test_history import LATER_ELB
from tests.store.test_swap_import import amip


def pid_of(view) -> int:
    """Which process ran the query (module level: sent to the helper by name)."""
    return os.getpid()


def state_of(view) -> str:
    return view.data_state()


@pytest.fixture
def store(tmp_path, extract):
    path = tmp_path / "amip.duckdb"
    done = amip("import", str(extract()), "--store", str(path))
    assert done.returncode == 0, done.stderr
    return path


def services(path, processes: int) -> Services:
    return Services(Settings(store=str(path), query_processes=processes))


def test_records_from_the_helper_equal_those_of_the_server_process(store):
    remote, local = services(store, 1), services(store, 0)
    try:
        assert remote.query(pid_of) != os.getpid()
        assert local.query(pid_of) == os.getpid()
        months = tuple(range(remote.latest_month() - 2, remote.latest_month() + 1))
        got = [r.as_json() for r in remote.indicators(months)]
        assert got and got == [r.as_json() for r in local.indicators(months)]
        with pytest.raises(UnknownUnit):
            remote.indicators(months, unit_id="no-such-unit")
    finally:
        remote.close()
        local.close()


def test_a_request_on_a_replaced_file_reads_its_own_generation(store, extract):
    with Store.open(store, read_only=True) as s:
        before = state_of(s.view())
    later = extract({"elb_spells": LATER_ELB})  # a new data state
    srv = services(store, 1)
    try:
        with srv.request(lambda: "user test"):
            assert srv.query(pid_of) != os.getpid()  # the helper opened this generation
            done = amip("import", str(later), "--store", str(store))
            assert done.returncode == 0, done.stderr
            # the helper still has the old file open: it answers for this request's generation
            assert srv.query(state_of) == before
            new = Generation(str(store))
            try:
                assert srv._remote.run(new, None, state_of) != before  # it reads the new one
            finally:
                new.close()
            # ... and can no longer read this request's: the server process answers, unchanged
            assert srv.query(pid_of) == os.getpid()
            assert srv.query(state_of) == before
    finally:
        srv.close()
