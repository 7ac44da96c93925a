"""Benchmark of concurrent readers (issue 10): page users beside one user sending uncached
requests, then an import of a new month while the server serves.

On the default synthetic Jobcenter (as `make demo` builds it) the store first holds the extract
as known on 30.11.2020 (rows recorded later left out: latest month 2020-10); `amip serve` (one
uvicorn process) runs on loopback with 21 logged-in users.

1. For SECONDS s, 20 page users loop over the overview `/`, the Kennzahl page `/kennzahl/K2` and
   the person list of the whole Jobcenter (`/api/v1/persons`); then again, beside 1 user who
   sends uncached requests (`/api/v1/indicators` with an `as_of` date that changes every
   request). Prints p50/p95/max per page and over all pages (goal p95 < 300 ms), and the
   uncached user's answers per second.
2. The 20 users loop over the same pages and `/datenstand` while `amip import` adds the full
   extract (a new month, 2020-11). Every response is classified by what it shows (Berichtsmonat,
   Datenstand, imports, the K2 value, the person list's month and total): it must equal what the
   page showed before the import or after it, never a mix, and no user sees the old state
   after the new one. Prints errors, inconsistent responses, and when every user saw the new
   state.

Run: .venv/bin/python bench/bench_concurrency.py
     AMIP_BENCH_CODE=/tmp/base (a `git worktree` of an earlier commit) runs the server and the
     import with that code, for a comparison; AMIP_BENCH_SERVE_ARGS="--query-processes 0" adds
     options to `amip serve` (e.g. computations in the server process, as before).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from bench_web import client, free_port, quantile  # noqa: E402

PAGE_USERS, SECONDS = 20, 30.0
CUT = dt.date(2020, 11, 30)  # the earlier extract: what was recorded up to this day
CODE = os.environ.get("AMIP_BENCH_CODE") or str(Path(__file__).parents[1])
ENV = {**os.environ, "PYTHONPATH": CODE}
SERVE_ARGS = os.environ.get("AMIP_BENCH_SERVE_ARGS", "").split()
AMIP = [sys.executable, "-m", "amip.cli"]
ADD_USERS = ("import json, sys, amip; from amip.web.settings import Settings; "
             "from amip.web.users import UserStore; "
             "us = UserStore(Settings(store=sys.argv[1], users_db=sys.argv[2])); "
             "print(json.dumps({'code': amip.__file__, 'users': {n: us.add_user(n, 'controlling') "
             "for n in sys.argv[3:]}})); us.close()")


def earlier_extract(full: Path, out: Path) -> None:
    """The extract as known on CUT: rows recorded later left out (and ELB spells of the
    Bedarfsgemeinschaften recorded later, which the validation would refuse)."""
    out.mkdir()
    tables = {f.stem: pq.read_table(f) for f in full.glob("*.parquet")}
    for name, t in tables.items():
        if "recorded_on" in t.column_names:
            tables[name] = t.filter(pc.less_equal(t["recorded_on"], pa.scalar(CUT)))
    e = tables["elb_spells"]
    tables["elb_spells"] = e.filter(pc.is_in(e["bg_id"], tables["bg_spells"]["bg_id"]))
    for name, t in tables.items():
        pq.write_table(t, out / f"{name}.parquet")


def run(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    done = subprocess.run(AMIP + args, capture_output=True, text=True, env=ENV, cwd=CODE)
    return time.perf_counter() - t, done


def state_of(path: str, r: httpx.Response) -> tuple:
    """What a response shows of the data state (see the module docstring)."""
    if path.startswith("/api/v1/persons"):
        body = r.json()
        return body["month"], body["total"]
    dates = tuple(sorted(set(re.findall(r"Datenstand (\d\d\.\d\d\.\d{4})", r.text))))
    if path == "/":
        return dates, re.search(r'id="berichtsmonat">([^<]+)<', r.text)[1]
    if path == "/datenstand":
        return (re.search(r'id="datenstand">([^<]+)<', r.text)[1],
                tuple(re.findall(r"<tr><td>(\d+)</td>", r.text)))
    return dates, re.search(r'id="wert">([^<]+)<', r.text)[1]


async def page_user(base: str, cookies, paths: list[str], until, out: dict, offset: int,
                    states: list | None = None) -> None:
    seen = None if states is None else (lambda path, r: states.append((path, state_of(path, r))))
    await client(base, cookies, paths, until, out, offset, seen)


async def uncached_user(base: str, cookies, month: str, data_date: dt.date, until,
                        out: dict) -> None:
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=120) as c:
        k = 0
        while not until():
            k += 1
            day = data_date - dt.timedelta(days=k)
            t = time.perf_counter()
            r = await c.get(f"/api/v1/indicators?month={month}&as_of={day.isoformat()}")
            out["lat"].append(time.perf_counter() - t)
            out["codes"][r.status_code] = out["codes"].get(r.status_code, 0) + 1


def login(base: str, name: str, password: str) -> dict:
    with httpx.Client(base_url=base, timeout=60) as c:
        token = re.search(r'name="csrf_token"\s+value="([^"]+)"', c.get("/login").text)[1]
        r = c.post("/login", data={"username": name, "password": password,
                                   "csrf_token": token})
        assert r.status_code == 303, (r.status_code, r.text[:300])
        return dict(c.cookies)


def table(out: dict) -> list[float]:
    print("| page | requests | p50 | p95 | max | errors |\n|---|---|---|---|---|---|")
    every = []
    for p, d in out.items():
        lat = [x * 1000 for x in d["lat"]]
        every += lat
        print(f"| `{p}` | {len(lat)} | {statistics.median(lat):.0f} ms | "
              f"{quantile(lat, 0.95):.0f} ms | {max(lat):.0f} ms | {d['errors']} |")
    print(f"| **all pages** | {len(every)} | {statistics.median(every):.0f} ms | "
          f"**{quantile(every, 0.95):.0f} ms** | {max(every):.0f} ms | "
          f"{sum(d['errors'] for d in out.values())} |")
    return every


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="amip-bench-conc-"))
    server = None
    try:
        subprocess.run(AMIP + ["synth", "--out", str(work / "full"), "--format", "parquet"],
                       check=True, stdout=subprocess.DEVNULL, env=ENV, cwd=CODE)
        earlier_extract(work / "full", work / "earlier")
        store, users_db = str(work / "amip.duckdb"), str(work / "users.sqlite")
        seconds, done = run(["import", str(work / "earlier"), "--store", store])
        assert done.returncode == 0, done.stderr
        print(f"code: {CODE}; import of the extract as of {CUT}: {seconds:.1f} s")
        names = [f"page{k}" for k in range(PAGE_USERS)] + ["uncached"]
        added = subprocess.run([sys.executable, "-c", ADD_USERS, store, users_db, *names],
                               check=True, capture_output=True, text=True, env=ENV, cwd=CODE)
        added = json.loads(added.stdout)
        assert added["code"].startswith(CODE), added["code"]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(AMIP + ["serve", "--store", store, "--users-db", users_db,
                                          "--port", str(port), "--insecure-cookies",
                                          *SERVE_ARGS],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env=ENV, cwd=CODE)
        with httpx.Client(base_url=base, timeout=60) as c:
            for _ in range(600):
                try:
                    if c.get("/api/v1/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
        cookies = {n: login(base, n, p) for n, p in added["users"].items()}
        with httpx.Client(base_url=base, timeout=120, cookies=cookies["page0"]) as c:
            month = c.get("/api/v1/persons?unit=03504&limit=1").json()["month"]
            data_date = dt.date.fromisoformat(
                re.search(r'id="datenstand">(\d\d)\.(\d\d)\.(\d{4})<', c.get("/datenstand").text)
                .expand(r"\3-\2-\1"))
            paths = ["/", "/kennzahl/K2", "/api/v1/persons?unit=03504"]
            t = time.perf_counter()
            for p in paths:  # first views (the server warmed the overview at start-up)
                assert c.get(p).status_code == 200, p
            print(f"latest month {month}, Datenstand {data_date}; first views: "
                  f"{time.perf_counter() - t:.2f} s")

        # -- 1. page users, alone and beside one user sending uncached requests ---------------
        for with_uncached in (False, True):
            out = {p: {"lat": [], "errors": 0} for p in paths}
            uncached = {"lat": [], "codes": {}}
            end = time.perf_counter() + SECONDS

            def over() -> bool:
                return time.perf_counter() >= end

            async def phase1():
                await asyncio.gather(
                    *(page_user(base, cookies[f"page{k}"], paths, over, out, k)
                      for k in range(PAGE_USERS)),
                    *([uncached_user(base, cookies["uncached"], month, data_date, over,
                                     uncached)] if with_uncached else []))

            asyncio.run(phase1())
            print(f"\nmachine: {os.cpu_count()} cores; {PAGE_USERS} page users"
                  f"{' + 1 uncached user' if with_uncached else ''}, {SECONDS:.0f} s, "
                  f"1 uvicorn process, loopback")
            table(out)
        lat = uncached["lat"]
        print(f"uncached user: {len(lat)} answers ({uncached['codes']}), "
              f"{len(lat) / SECONDS:.2f} per second, p50 {statistics.median(lat):.2f} s, "
              f"max {max(lat):.2f} s")

        # -- 2. an import of a new month while the page users read ----------------------------
        paths2 = paths + ["/datenstand"]
        out2 = {p: {"lat": [], "errors": 0} for p in paths2}
        states: list[list] = [[] for _ in range(PAGE_USERS)]
        with httpx.Client(base_url=base, timeout=120, cookies=cookies["page0"]) as c:
            before = {p: state_of(p, c.get(p)) for p in paths2}
        importer = subprocess.Popen(AMIP + ["import", str(work / "full"), "--store", store],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=ENV, cwd=CODE)
        started, finished, seen_new, stop = time.perf_counter(), [], [], []

        async def watch():
            """Ends phase 2 five seconds after the new state is served (or the import failed)."""
            async with httpx.AsyncClient(base_url=base, timeout=60,
                                         cookies=cookies["page0"]) as c:
                while not stop:
                    await asyncio.sleep(0.2)
                    if not finished:
                        if importer.poll() is not None:
                            finished.append(time.perf_counter())
                    elif importer.returncode == 0 and not seen_new:
                        r = await c.get("/datenstand")
                        if state_of("/datenstand", r) != before["/datenstand"]:
                            seen_new.append(time.perf_counter())
                        elif time.perf_counter() > finished[0] + 120:
                            stop.append(True)
                    elif time.perf_counter() > (seen_new or finished)[0] + 5:
                        stop.append(True)

        async def phase2():
            await asyncio.gather(watch(), *(page_user(base, cookies[f"page{k}"], paths2,
                                                      lambda: bool(stop), out2, k, states[k])
                                            for k in range(PAGE_USERS)))

        asyncio.run(phase2())
        stdout, stderr = importer.communicate()
        print(f"\nimport of the full extract while serving: exit {importer.returncode} after "
              f"{finished[0] - started:.1f} s: {(stdout or stderr).strip()[:200]}")
        table(out2)
        with httpx.Client(base_url=base, timeout=120, cookies=cookies["page0"]) as c:
            after = {p: state_of(p, c.get(p)) for p in paths2}
        mixed = late_old = old = new = 0
        for user in states:
            saw_new = False
            for path, shown in user:
                if shown == after[path] and shown != before[path]:
                    saw_new, new = True, new + 1
                elif shown == before[path]:
                    old += 1
                    late_old += saw_new
                else:
                    mixed += 1
        print(f"responses: {old} old state, {new} new state, {mixed} neither (a mix), "
              f"{late_old} old after new")
        if seen_new:
            print(f"new state served {seen_new[0] - finished[0]:.1f} s after the import ended "
                  f"(the server opens and warms the new file first)")
        for p in paths2:
            print(f"  {p}: before {before[p]}, after {after[p]}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
