"""Benchmark of the first target status of a fresh process (issue 12, "cold status" < 1 s).

On copies of a store of the default synthetic Jobcenter with the seed's targets (``make demo``;
path as argument, default out/demo/amip.duckdb, its steering store beside it): copy "counted"
as it is, copy "kept" after :func:`amip.cli.store_cmds.keep_target_counts` (what `amip import`
runs after an import; its time is the import's extra cost). Then, interleaved, fresh processes
each open the store read-only, read the targets and compute ``target_status`` for the latest
complete month (the month the web opens on); each prints the CPU and wall time of that call
(with DuckDB held to one thread, as the section before, and with its default threads).
The records of both copies are compared.

Run: .venv/bin/python bench/bench_cold_status.py [STORE] [RUNS]
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import dataclasses, json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from amip.attainment.status import target_status
from amip.engine.calendar import month_index
from amip.engine.overview import latest_complete_month
from amip.steering import Steering
from amip.steering.inputs import status_inputs
from amip.store import Store
path, threads, expectation = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
store = Store.open(path, read_only=True, **({"threads": threads} if threads else {}))
view = store.view()
m = month_index(latest_complete_month(view))
with Steering.open(path) as s:
    i = status_inputs(s, m // 12)
t1, c1 = time.perf_counter(), time.process_time()
rs = target_status(view, i.targets, m, None, i.measure_values, i.plans,
                   with_expectation=expectation, measures=i.measures)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"wall": t2 - t1, "cpu": c2 - c1, "wall_all": t2 - t0, "cpu_all": c2 - c0,
                  "month": m, "records": [dataclasses.asdict(r) for r in rs]}, default=str))
"""


def child(path: Path, threads: int, expectation: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(threads),
                          "1" if expectation else "0"], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # the last line: others may print


def main(store: str, runs: int) -> None:
    from amip.cli.store_cmds import keep_target_counts
    from amip.store import Store

    folder = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    try:
        copies = {}
        for name in ("counted", "kept"):
            (folder / name).mkdir()
            copies[name] = folder / name / "amip.duckdb"
            shutil.copy(store, copies[name])
            shutil.copy(Path(store).with_suffix(".steering.sqlite"),
                        copies[name].with_suffix(".steering.sqlite"))
        with Store.open(copies["kept"]) as s:
            t, c = time.perf_counter(), time.process_time()
            n = keep_target_counts(s, str(copies["kept"]))
            print(f"import's extra step (keep_target_counts): {n} Jobcenter kept, "
                  f"{time.perf_counter() - t:.2f} s wall, {time.process_time() - c:.2f} s CPU "
                  "(this process; DuckDB threads included)")
        for threads in (1, 0):
            for expectation in (False, True):
                got: dict = {"counted": [], "kept": []}
                records = {}
                for _ in range(runs):
                    for name in ("counted", "kept"):
                        r = child(copies[name], threads, expectation)
                        got[name].append(r)
                        records[name] = r["records"]
                same = records["counted"] == records["kept"]
                label = f"threads={threads or 'default'}, expectation={expectation}"
                for name in ("counted", "kept"):
                    rs = got[name]
                    print(f"{label:36} {name:8} status CPU "
                          + " / ".join(f"{r['cpu']:.2f}" for r in rs) + " s, wall "
                          + " / ".join(f"{r['wall']:.2f}" for r in rs) + " s; whole process CPU "
                          + " / ".join(f"{r['cpu_all']:.2f}" for r in rs) + " s")
                print(f"{label:36} month {got['kept'][0]['month']}, "
                      f"{len(records['kept'])} records, equal: {same}")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/demo/amip.duckdb",
         int(sys.argv[2]) if len(sys.argv) > 2 else 3)
