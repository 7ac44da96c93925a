"""Benchmark of the page "Vergleich" and /api/v1/compare (issue 16 item 5) on a national store.

Make the store as for bench_compare.py (1 % of national size, all 404 Jobcenter), then
    .venv/bin/python bench/bench_compare_web.py --store /tmp/nat1/amip.duckdb [--month 2020-06]

Prints each request's time through the whole app (FastAPI TestClient, no warm-up thread, so
"first" is cold: the engine computes), for Controlling (every Jobcenter, no disclosure control)
and the Land role (its Land's Jobcenter, disclosure control): the table of a measure, a second
measure of the same month (from the cache), one Jobcenter among its peers with twelve months of
expected vs actual, and the API's figures records.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--month", default="2020-06")
    args = ap.parse_args()

    import duckdb
    from fastapi.testclient import TestClient

    from amip.web.app import create_app
    from amip.web.settings import Settings
    from tests.web.conftest import login

    con = duckdb.connect(args.store, read_only=True)
    land, jc = con.sql("SELECT land, min(jobcenter_id) FROM jobcenters GROUP BY land "
                       "ORDER BY count(*) DESC, land LIMIT 1").fetchall()[0]
    n = con.sql("SELECT count(*) FROM jobcenters").fetchall()[0][0]
    con.close()
    tmp = tempfile.mkdtemp()
    app = create_app(Settings(store=args.store, secure_cookies=False,
                              users_db=f"{tmp}/users.sqlite"))
    pw = {"ctl": app.state.users.add_user("ctl", "controlling"),
          "rd": app.state.users.add_user("rd", "land", land)}
    m = args.month
    print(f"{n} Jobcenter, month {m}; Land role: {land}, per-Jobcenter view: {jc}\n")
    print("| user | request | time |\n|---|---|---|")
    for name in ("ctl", "rd"):
        c = TestClient(app)
        login(c, name, pw[name])
        for label, path in (("page K2 (table, aggregates, dot plot)",
                             f"/vergleich?monat={m}&kennzahl=K2"),
                            ("page K3 (same month)", f"/vergleich?monat={m}&kennzahl=K3"),
                            ("page K2 again", f"/vergleich?monat={m}&kennzahl=K2"),
                            (f"/vergleich/{jc} (peers, 12 months expected)",
                             f"/vergleich/{jc}?monat={m}&kennzahl=K2"),
                            ("API figures, all measures", f"/api/v1/compare?month={m}"),
                            ("API expected K2, K3E1, K3, one month",
                             f"/api/v1/compare/expected?month={m}")):
            t = time.perf_counter()
            r = c.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            print(f"| {name} | {label} | {time.perf_counter() - t:.2f} s |")
    app.state.services.close()
    app.state.users.close()


if __name__ == "__main__":
    main()
