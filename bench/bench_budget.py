"""Benchmark of the budget figures (issue 13) on the default synthetic Jobcenter.

Goal: budget status, landing and outcomes for one Jobcenter-year < 2 s. "compute" is the time of
``status(2020)`` + ``landing(2020, 2020-06)`` + ``outcomes(2020-12)`` with the store open, in a
fresh process (the first queries of a process included) and then again on a new view of the
same store (warm); the three commands are also measured as a user types them.

Run: .venv/bin/python bench/bench_budget.py [--store amip.duckdb]  (default: synth + import)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure, print_table  # noqa: E402

AMIP = [sys.executable, "-m", "amip.cli"]
JOB = """
import json, sys, time
from amip.engine import budget
from amip.engine.calendar import parse_month
from amip.store import Store
store = Store.open(sys.argv[1], read_only=True)
times = []
for _ in range(2):
    view, start = store.view(), time.perf_counter()
    parts = []
    budget.status(view, 2020, jobcenter_id="03504"); parts.append(time.perf_counter())
    budget.landing(view, 2020, parse_month("2020-06"), "03504"); parts.append(time.perf_counter())
    budget.outcomes(view, [parse_month("2020-12")], "03504"); parts.append(time.perf_counter())
    times.append([parts[0] - start, parts[1] - parts[0], parts[2] - parts[1], parts[2] - start])
print(json.dumps(times))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", help="an existing store of the default synthetic Jobcenter")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="amip-bench-budget-"))
    try:
        store = args.store
        if store is None:
            store = str(work / "amip.duckdb")
            subprocess.run(AMIP + ["synth", "--out", str(work / "extract"), "--format",
                                   "parquet"], check=True, capture_output=True)
            subprocess.run(AMIP + ["import", str(work / "extract"), "--store", store],
                           check=True, capture_output=True)
        out = subprocess.run([sys.executable, "-c", JOB, store], check=True,
                             capture_output=True, text=True).stdout
        for label, t in zip(("cold (fresh process)", "warm (new view)"), json.loads(out)):
            print(f"compute {label}: status {t[0]:.2f} s + landing {t[1]:.2f} s + outcomes "
                  f"{t[2]:.2f} s = {t[3]:.2f} s (goal < 2 s)")
        runs = [measure(label, AMIP + ["budget", *cmd, "--store", store, "--format", "json"])
                for label, cmd in (
                    ("amip budget status --year 2020", ["status", "--year", "2020"]),
                    ("amip budget landing --year 2020 --month 2020-06",
                     ["landing", "--year", "2020", "--month", "2020-06"]),
                    ("amip budget outcomes --month 2020-12", ["outcomes", "--month", "2020-12"]))]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(runs, "command")


if __name__ == "__main__":
    main()
