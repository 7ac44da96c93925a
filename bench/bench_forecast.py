"""Benchmark of the forecasts (issue 12 item 5) for one Jobcenter: the backtest of all models and
series (24 origins × horizons 1..12), the forecasts of all 15 measures with the chosen models,
and the three Zielwerterwartungen. Goal: all together < 10 s. One facts query serves all three
(the backtest counts the forecasts' facts alongside its own: ``extra_facts``).

The store is the default synthetic Jobcenter (built here: synth + import, not timed), or --store.
The timed steps run in a fresh process (JOB below), with the store open; the CPU time is printed
as well, since on a shared two-core machine the wall time mostly measures the other work.

Run: .venv/bin/python bench/bench_forecast.py [--store amip.duckdb]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from bench_indicators import build  # noqa: E402

JOB = """
import json, sys, time
from amip.store import Store
from amip.engine.backtest import PROPOSAL_MEASURES, backtest, proposed_target
from amip.engine.forecast import forecast_all, forecast_facts
from amip.engine.horizon import horizon

store = Store.open(sys.argv[1], read_only=True)
view = store.view()
out, start, cpu = {}, time.perf_counter(), time.process_time()
c = time.process_time()
t = time.perf_counter(); bt = backtest(view, extra_facts=forecast_facts())
out["backtest"] = time.perf_counter() - t
out["backtest_cpu"], c = time.process_time() - c, time.process_time()
month = horizon(view).latest_complete()
t = time.perf_counter(); fa = forecast_all(view, month, choice=bt.choice, facts=bt.facts)
out["forecast_all"] = time.perf_counter() - t
out["forecast_all_cpu"], c = time.process_time() - c, time.process_time()
t = time.perf_counter()
props = [proposed_target(view, month // 12 + 1, m, backtest=bt)
         for m in PROPOSAL_MEASURES]
out["proposals"] = time.perf_counter() - t
out["proposals_cpu"] = time.process_time() - c
out["total"] = time.perf_counter() - start
out["cpu"] = time.process_time() - cpu
out["codes"], out["origins"] = len(fa), bt.n_origins
out["k2"] = [props[0].value, props[0].lower, props[0].upper]
print()
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", help="an existing store (default: build the default one)")
    args = parser.parse_args()
    work = None
    try:
        if args.store:
            store = Path(args.store)
        else:
            work = Path(tempfile.mkdtemp(prefix="amip-bench-fcst-"))
            store = build(work, 1)
        start = time.perf_counter()
        with tempfile.TemporaryFile() as out_f, tempfile.TemporaryFile() as err_f:
            proc = subprocess.Popen([sys.executable, "-c", JOB, str(store)], stdout=out_f,
                                    stderr=err_f)  # files: a full pipe would block the child
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            out_f.seek(0), err_f.seek(0)
            out, err = out_f.read(), err_f.read()
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"forecast job failed: {err.decode()[-2000:]}")
        r = json.loads(out.decode().strip().splitlines()[-1])  # DuckDB may draw progress
        print(f"backtest ({r['origins']} origins × 4 models × 5 series): {r['backtest']:.2f} s "
              f"(CPU {r['backtest_cpu']:.2f} s)", flush=True)
        print(f"forecast_all ({r['codes']} codes, chosen models): {r['forecast_all']:.2f} s "
              f"(CPU {r['forecast_all_cpu']:.2f} s)")
        print(f"Zielwerterwartung (K2, K3, integrations): {r['proposals']:.2f} s "
              f"(CPU {r['proposals_cpu']:.2f} s)")
        print(f"total: {r['total']:.2f} s (goal < 10 s), CPU {r['cpu']:.2f} s; "
              f"process {wall:.2f} s, "
              f"peak {usage.ru_maxrss / 1024:,.0f} MiB; K2 JFW December next year "
              f"{r['k2'][0]:.2f} [{r['k2'][1]:.2f}, {r['k2'][2]:.2f}]")
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
