"""``amip serve --query-processes 2`` ends cleanly on SIGTERM and SIGINT: exit status 0, the
helper processes gone, and no "leaked semaphore" warning of multiprocessing's resource tracker."""

from __future__ import annotations

import re
import signal
import subprocess
import time

import httpx
import pytest

from tests.store.test_swap_import import AMIP, ROOT
from tests.web.test_browser import _free_port


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_shuts_its_query_processes_down(web_store, tmp_path, sig):
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    users_db = tmp_path / "users.sqlite"
    store = UserStore(Settings(store=str(web_store), users_db=str(users_db)))
    password = store.add_user("Erika Muster", "controlling")
    store.close()
    port = _free_port()
    proc = subprocess.Popen([*AMIP, "serve", "--store", str(web_store), "--users-db",
                             str(users_db), "--port", str(port), "--insecure-cookies",
                             "--query-processes", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=120) as c:
            for _ in range(600):
                try:
                    c.get("/api/v1/health")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, proc.stderr.read()
                    time.sleep(0.1)
            token = re.search(r'name="csrf_token"\s+value="([^"]+)"', c.get("/login").text)[1]
            r = c.post("/login", data={"username": "Erika Muster", "password": password,
                                       "csrf_token": token})
            assert r.status_code in (200, 303), r.text
            # an uncached computation: runs in a helper process, which starts the pool
            r = c.get("/api/v1/indicators?month=2019-06")
            assert r.status_code == 200, r.text
        helpers = _children(proc.pid)
        assert helpers  # the pool's processes (and its resource tracker) run
    finally:
        proc.send_signal(sig)
        try:
            _, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, stderr
    assert "leaked semaphore" not in stderr, stderr
    assert "Traceback" not in stderr, stderr
    def alive() -> list[int]:
        return [p for p in helpers if subprocess.run(["kill", "-0", str(p)],
                                                     capture_output=True).returncode == 0]

    for _ in range(150):  # the resource tracker ends once the last pipe to it is closed
        if not alive():
            break
        time.sleep(0.1)
    assert not alive(), f"helper processes still running: {alive()}"
