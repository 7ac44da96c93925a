"""Benchmark of the data-quality monitor and the customer-group monitor (issue 14).

On the default synthetic Jobcenter (DuckDB): all data-quality rules for one Jobcenter, with
trend and teams (goal < 10 s), the import summary form (no teams), the trend per rule and month
(goal < 10 s), the flagged row keys the import keeps, the follow-up list's rows, and the group
monitor for one month (goal < 1 s): computed, kept per data state, and ``amip groups`` as typed.
Each is run three times in one process (store opened once); the first run is cold, the best of the
three is reported too.

Run: .venv/bin/python bench/bench_quality.py [--store FILE] [--month 2020-11]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from amip.engine.calendar import parse_month  # noqa: E402
from amip.engine import group_monitor as gm  # noqa: E402
from amip.engine.group_monitor import group_monitor  # noqa: E402
from amip.engine.lru import LRU  # noqa: E402
from amip.engine.quality_rules import (flagged_rows, quality_keys, quality_summary,  # noqa: E402
                                       quality_trend, run_quality)
from amip.store import Store  # noqa: E402

AMIP = [sys.executable, "-m", "amip.cli"]


def build(work: Path) -> Path:
    extract, store = work / "extract", work / "store.duckdb"
    subprocess.run(AMIP + ["synth", "--out", str(extract), "--format", "parquet"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(AMIP + ["import", str(extract), "--store", str(store)], check=True)
    return store


def timed(label: str, fn, goal: float | None) -> None:
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    verdict = "" if goal is None else (" (Ziel < %g s: %s)" % (goal, "erreicht" if min(runs) < goal
                                                                 else "verfehlt"))
    print(f"{label}: first {runs[0]:.2f} s, best {min(runs):.2f} s{verdict}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store")
    ap.add_argument("--month", default="2020-11")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.store) if args.store else build(Path(tmp))
        with Store.open(path, read_only=True) as store:
            view = store.view()
            jc = view.table("jobcenters").jobcenter_id.to_pyarrow().to_pylist()[0]
            month = parse_month(args.month)
            timed("all data-quality rules, one Jobcenter, trend + teams",
                  lambda: run_quality(view, month, jc), 10)
            timed("import summary (all rules, no teams)", lambda: quality_summary(view), None)
            timed("trend: all rules per month, one Jobcenter, 12 months",
                  lambda: quality_trend(view, month, jc), 10)
            timed("import changes: flagged row keys of all rules (12 months)",
                  lambda: quality_keys(view), None)
            timed("follow-up list: flagged rows of all rules with teams (12 months)",
                  lambda: flagged_rows(view, None, month, jc), None)

            def computed():  # the counts are kept per data state: empty the cache first
                gm._CACHE = LRU(8)
                group_monitor(view, month, jc)
            timed("group monitor, one month, Jobcenter + Standorte (computed)", computed, 1)
            timed("group monitor, one month (kept per data state)",
                  lambda: group_monitor(view, month, jc), 1)
        cli = AMIP + ["groups", "--store", str(path), "--month", args.month, "--format", "json"]
        timed("amip groups --format json (as typed, fresh process)",
              lambda: subprocess.run(cli, check=True, stdout=subprocess.DEVNULL), None)


if __name__ == "__main__":
    main()
