"""Benchmark of the web app (issue 6): 20 concurrent clients on loopback for ~20 s.

Starts `amip serve` (uvicorn, one process) on the default synthetic Jobcenter, logs in once, then
20 clients (httpx, asyncio) each alternate between the overview page `/` and
`/api/v1/indicators?month=<latest>`. Prints count, p50, p95, p99 latency and errors per
endpoint. Goal: p95 < 300 ms.

Run: .venv/bin/python bench/bench_web.py   (AMIP_BENCH_STORE=path reuses a store file)
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CLIENTS, SECONDS = 20, 20.0
AMIP = [sys.executable, "-m", "amip.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


async def client(base: str, cookies, paths: list[str], until, out: dict, offset: int,
                 seen=None) -> None:
    """One user asking ``paths`` in turn without pause until ``until()`` is true; latencies and
    errors go to ``out[path]``, each good response to ``seen(path, response)`` if given."""
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=120) as c:
        i = offset
        while not until():
            path = paths[i % len(paths)]
            i += 1
            t = time.perf_counter()
            try:
                r = await c.get(path)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            out[path]["lat"].append(time.perf_counter() - t)
            out[path]["errors"] += not ok
            if ok and seen is not None:
                seen(path, r)


async def load(base: str, cookies, paths: list[str]) -> dict:
    out = {p: {"lat": [], "errors": 0} for p in paths}
    end = time.perf_counter() + SECONDS
    await asyncio.gather(*(client(base, cookies, paths, lambda: time.perf_counter() >= end, out, k)
                           for k in range(CLIENTS)))
    return out


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="amip-bench-web-"))
    server = None
    try:
        store = os.environ.get("AMIP_BENCH_STORE")
        if not store:
            store = str(work / "amip.duckdb")
            subprocess.run(AMIP + ["synth", "--out", str(work / "x"), "--format", "parquet"],
                           check=True, stdout=subprocess.DEVNULL)
            subprocess.run(AMIP + ["import", str(work / "x"), "--store", store], check=True,
                           stdout=subprocess.DEVNULL)
        users_db = str(work / "users.sqlite")
        from amip.web.settings import Settings
        from amip.web.users import UserStore

        us = UserStore(Settings(store=store, users_db=users_db))
        password = us.add_user("bench", "controlling")
        us.close()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-c", "from amip.cli.web_cmd import serve_cmd; serve_cmd()",
             "--store", store, "--users-db", users_db, "--port", str(port),
             "--insecure-cookies"], stdout=subprocess.DEVNULL)
        with httpx.Client(base_url=base, timeout=60) as c:
            for _ in range(300):
                try:
                    if c.get("/api/v1/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            print(f"server up after {time.perf_counter() - started:.1f} s")
            token = re.search(r'name="csrf_token"\s+value="([^"]+)"', c.get("/login").text)[1]
            r = c.post("/login", data={"username": "bench", "password": password,
                                       "csrf_token": token})
            assert r.status_code == 303, r.status_code
            from amip.engine.calendar import format_month
            from amip.web.services import Services

            svc = Services(Settings(store=store, users_db=users_db))
            latest = format_month(svc.latest_month())
            svc.close()
            paths = [f"/api/v1/indicators?month={latest}"]
            home = c.get("/")
            if home.status_code == 200 and "text/html" in home.headers["content-type"]:
                paths.insert(0, "/")
            else:
                print(f"note: no overview page yet (GET / → {home.status_code}); API only")
            t = time.perf_counter()
            for p in paths:  # first views (cache warm-up already started at start-up)
                assert c.get(p).status_code == 200, p
            print(f"first views: {time.perf_counter() - t:.2f} s")
            cookies = dict(c.cookies)
        out = asyncio.run(load(base, cookies, paths))
        print(f"\nmachine: {os.cpu_count()} cores; {CLIENTS} concurrent clients, {SECONDS:.0f} s, "
              "1 uvicorn process, loopback")
        print("| endpoint | requests | p50 | p95 | p99 | errors |\n|---|---|---|---|---|---|")
        for p, d in out.items():
            lat = [x * 1000 for x in d["lat"]]
            print(f"| `{p}` | {len(lat)} | {statistics.median(lat):.0f} ms | "
                  f"{quantile(lat, 0.95):.0f} ms | {quantile(lat, 0.99):.0f} ms | {d['errors']} |")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
