"""Concurrent readers: an import while a real server serves, one generation per request, a
blocked computation that stalls nobody else, single flight per key, the per-user bound (429).
No timing asserts: events, and joins with timeouts."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import Depends, Request

from amip.engine.calendar import format_month, stichtag
from amip.engine.stocks import covering
from amip.web.app import create_app
from amip.web.auth import current_user
from amip.web.services import ComputeLimits, ComputeSlots, Services
from amip.web.settings import Settings
from tests.store.test_history import LATER_ELB
from tests.web.conftest import CASEWORKER, TEAM, login

AMIP = [sys.executable, "-m", "amip.cli"]
ROOT = Path(__file__).parents[2]
#: the Datenstand page of the tiny extracts. Before: the latest recorded_on of elb_spells in
#: BASE_EXTRACT is 2019-02-03, one import. After LATER_ELB (rows recorded 2019-07-05 and
#: 2019-08-01): 01.08.2019, imports 2 and 1 (newest first).
OLD, NEW = ("03.02.2019", ("1",)), ("01.08.2019", ("2", "1"))


def amip_import(directory: Path, store: Path) -> None:
    done = subprocess.run([*AMIP, "import", str(directory), "--store", str(store)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr


def eventually(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@contextmanager
def serving(app) -> Iterator[str]:
    """A real uvicorn server for ``app`` on a free loopback port (lifespan included)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        eventually(lambda: server.started, 30)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def logged_in(base: str, app, name: str, role: str = "controlling", **kw) -> httpx.Client:
    password = app.state.users.add_user(name, role, **kw)
    client = httpx.Client(base_url=base, timeout=120)
    r = login(client, name, password)
    assert r.status_code == 303, r.text
    return client


def datenstand(client: httpx.Client) -> tuple[str, tuple[str, ...]]:
    """(data date, import numbers) as one response of the Datenstand page shows them."""
    r = client.get("/datenstand")
    assert r.status_code == 200, r.text
    date = re.search(r'<strong id="datenstand">([^<]+)</strong>', r.text)[1]
    return date, tuple(re.findall(r"<tr><td>(\d+)</td>", r.text))


@pytest.mark.slow
def test_import_while_the_server_serves(tmp_path, extract, monkeypatch):
    """Readers keep getting 200s while `amip import` runs, each response shows the old or the
    new state (never a mix), and once a reader saw the new state it never sees the old."""
    monkeypatch.setattr(Services, "STATE_TTL", 0.1)
    store = tmp_path / "amip.duckdb"
    amip_import(extract(), store)
    app = create_app(Settings(store=str(store), secure_cookies=False,
                              users_db=str(tmp_path / "users.sqlite")))
    with serving(app) as base:
        clients = [logged_in(base, app, f"reader{i}") for i in range(4)]
        assert datenstand(clients[0]) == OLD
        seen: list[list[tuple]] = [[] for _ in clients]
        stop = threading.Event()

        def read(k: int) -> None:
            while not stop.is_set() and (not seen[k] or seen[k][-1] != NEW):
                seen[k].append(datenstand(clients[k]))
                assert clients[k].get("/api/v1/health").status_code == 200

        with ThreadPoolExecutor(len(clients)) as pool:
            readers = [pool.submit(read, k) for k in range(len(clients))]
            try:
                amip_import(extract({"elb_spells": LATER_ELB}), store)
                for r in readers:
                    r.result(timeout=60)  # re-raises a reader's failed assert
            finally:
                stop.set()
        for states in seen:
            assert set(states) <= {OLD, NEW} and states[-1] == NEW
            assert OLD not in states[states.index(NEW):]
        for c in clients:
            c.close()


def test_a_request_keeps_its_generation_while_the_file_is_replaced(tmp_path, extract,
                                                                    monkeypatch):
    """What a request computes after the swap still comes from the file it started on; new
    requests (other threads, no pin) get the new file once it is warm."""
    monkeypatch.setattr(Services, "STATE_TTL", 0.0)
    store = tmp_path / "amip.duckdb"
    amip_import(extract(), store)
    services = Services(Settings(store=str(store), users_db=str(tmp_path / "u.sqlite")))
    try:
        def fresh(fn):
            with ThreadPoolExecutor(1) as pool:  # a new thread: no pinned generation
                return pool.submit(fn).result(timeout=60)

        def elb_rows(view) -> int:
            return view.table("elb_spells").count().to_pyarrow().as_py()

        with services.request(lambda: "user a"):
            before = services.data_state(), services.imports()
            amip_import(extract({"elb_spells": LATER_ELB}), store)
            eventually(lambda: fresh(services.data_state) != before[0])
            assert (services.data_state(), services.imports()) == before
            assert services.query(elb_rows) == 3  # computed now, on the old file
            assert services.latest_month() is not None
        assert fresh(lambda: len(services.imports())) == 2
        # p1's closed spell replaces the open one (same key): still 3 current rows, 5 stored
        assert fresh(lambda: services.query(elb_rows)) == 3
        assert fresh(lambda: services.query(lambda v: v.recorded("elb_spells").count()
                                            .to_pyarrow().as_py())) == 5
    finally:
        services.close()


@pytest.fixture
def blocking_app(web_store, tmp_path):
    """An app on the default synthetic Jobcenter with a route whose computation (memoized,
    key "slow") waits until ``app.state.release`` is set; ``app.state.calls`` counts runs."""
    app = create_app(Settings(store=str(web_store), secure_cookies=False,
                              users_db=str(tmp_path / "users.sqlite")))
    app.state.release, app.state.started, app.state.calls = threading.Event(), \
        threading.Event(), []

    def slow() -> str:
        app.state.calls.append(1)
        app.state.started.set()
        assert app.state.release.wait(120)
        return "done"

    @app.get("/test/slow")
    def slow_route(request: Request, user=Depends(current_user)):
        return {"value": request.app.state.services.memoized("slow", slow)}

    # two request threads run at a time: alice's and carol's waits must step aside for bob's
    services = app.state.services
    services.LIMITS = ComputeLimits(per_user=1, total=4, wait_seconds=0.5, retry_after=7,
                                    running=2)
    services.slots = ComputeSlots(services.LIMITS)
    yield app
    app.state.release.set()


@pytest.mark.slow
def test_a_blocked_computation_stalls_nobody_else(blocking_app):
    app = blocking_app
    m = format_month(app.state.services.latest_month())
    with serving(app) as base, ThreadPoolExecutor(2) as pool:
        alice, bob, carol = (logged_in(base, app, n) for n in ("alice", "bob", "carol"))
        assert bob.get(f"/api/v1/indicators?month={m}").status_code == 200  # now cached
        first = pool.submit(alice.get, "/test/slow")
        assert app.state.started.wait(60)
        second = pool.submit(carol.get, "/test/slow")  # the same key: waits for alice's run
        # bob: a cached and an uncached request (another as-of date), the pages, all served
        assert bob.get(f"/api/v1/indicators?month={m}").status_code == 200
        r = bob.get(f"/api/v1/indicators?month={m}&as_of=2020-12-30")  # after m, before the Datenstand
        assert r.status_code == 200 and r.json()
        assert bob.get("/").status_code == 200
        # alice: cached answers still come; a second uncached computation is bounded
        assert alice.get(f"/api/v1/indicators?month={m}").status_code == 200
        r = alice.get(f"/api/v1/indicators?month={m}&as_of=2020-12-29")
        assert r.status_code == 429 and r.headers["retry-after"] == "7"
        assert r.headers["content-type"] == "application/problem+json"
        assert "Zu viele gleichzeitige Berechnungen" in r.json()["detail"]
        page = alice.get("/kundengruppen?monat=2019-03", headers={"accept": "text/html"})
        assert page.status_code == 429 and "erneut versuchen" in page.text
        assert not second.done()
        app.state.release.set()
        assert first.result(timeout=60).json() == second.result(timeout=60).json() == \
            {"value": "done"}
        assert len(app.state.calls) == 1  # single flight: carol did not compute it again
        assert alice.get(f"/api/v1/indicators?month={m}&as_of=2020-12-29").status_code == 200
        for c in (alice, bob, carol):
            c.close()


def test_the_person_list_is_filtered_from_the_whole_jobcenter(web_app):
    """Team and caseload scopes are exactly the whole Jobcenter's rows of that team and of
    the persons in the caseworker's caseload at the Stichtag."""
    services = web_app.state.services
    m = services.latest_month()
    jc = services.table("jobcenters")[0]["jobcenter_id"]
    everyone = services.persons(m, jc, None)
    team = services.persons(m, jc, frozenset({TEAM}))
    own = services.persons(m, jc, frozenset({TEAM}), CASEWORKER)
    assert team == [r for r in everyone if r["unit_id"] == TEAM] and team
    day = stichtag(m)
    caseload = services.query(lambda db: covering(db.table("caseload"), day)
                              .to_pyarrow().to_pylist())
    mine = {r["person_id"] for r in caseload if r["caseworker_id"] == CASEWORKER}
    assert own == [r for r in team if r["person_id"] in mine] and 0 < len(own) < len(team)
    assert [r["person_id"] for r in everyone] == sorted(r["person_id"] for r in everyone)
    # the scopes behind these filters, cached per data state: a team is its own scope
    assert services.unit_scope(TEAM) == (jc, frozenset({TEAM}))
    assert services.unit_scope(services.table("units")[0]["unit_id"])[0] == jc
