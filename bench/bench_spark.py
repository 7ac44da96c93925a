"""Benchmark: the 15 measures of one month for every Jobcenter, on DuckDB and on Spark (issue 16,
item 5). Prints wall and CPU time per run (CPU: this process plus, for Spark, its JVM), the Spark
jobs per computation, and whether both backends gave the same figures.

CPU time is the figure to compare on a shared, loaded machine: wall time there mostly measures
the other processes.

Run: .venv/bin/python bench/bench_spark.py --store S.duckdb --parquet DIR [--month 2020-06]
     [--runs 3] [--cache checkpoint|eager|lazy] [--conf "key=value ..."]
(``DIR`` from ``amip publish --store S.duckdb --parquet DIR``.)
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def jvm_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--parquet", required=True)
    ap.add_argument("--month", default="2020-06")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache", help="$AMIP_SPARK_CACHE for this run")
    ap.add_argument("--conf", help="$AMIP_SPARK_CONF for this run")
    args = ap.parse_args()
    if args.cache:
        os.environ["AMIP_SPARK_CACHE"] = args.cache
    if args.conf:
        os.environ["AMIP_SPARK_CONF"] = args.conf

    from amip.engine.calendar import parse_month
    from amip.engine.indicators import compute
    from amip.store import Store
    from amip.store.parquet import spark_view

    months = [parse_month(args.month)]
    key = lambda r: (r.code, r.month, r.jobcenter_id, r.sex)  # noqa: E731
    store = Store.open(args.store, read_only=True)
    duck_runs = []
    for _ in range(args.runs):
        w, c = time.perf_counter(), own_cpu()
        duck = compute(store.view(), months)
        duck_runs.append((time.perf_counter() - w, own_cpu() - c))
    jcs = len({r.jobcenter_id for r in duck})

    w, c = time.perf_counter(), own_cpu()
    from amip.backends.spark_session import get_session

    session = get_session()
    jvm = session._jvm.java.lang.ProcessHandle.current().pid()
    start = (time.perf_counter() - w, own_cpu() - c + jvm_cpu(jvm))
    w = time.perf_counter()
    view = spark_view(args.parquet, session=session)
    view_s = time.perf_counter() - w
    tracker = session.sparkContext.statusTracker()
    spark_runs, jobs = [], []
    for _ in range(args.runs):
        j0 = len(tracker.getJobIdsForGroup(None))
        w, c, cj = time.perf_counter(), own_cpu(), jvm_cpu(jvm)
        on_spark = compute(view, months)
        spark_runs.append((time.perf_counter() - w, own_cpu() - c + jvm_cpu(jvm) - cj))
        jobs.append(len(tracker.getJobIdsForGroup(None)) - j0)
    view.close()
    same = {key(r): (r.numerator, r.denominator, r.value) for r in duck} == \
        {key(r): (r.numerator, r.denominator, r.value) for r in on_spark}

    def fmt(runs):
        return ", ".join(f"{w:.1f} s / {c:.1f} s" for w, c in runs)

    cache = os.environ.get("AMIP_SPARK_CACHE", "default")
    print(f"month {args.month}, {jcs} Jobcenter, cache {cache}"
          f", conf {os.environ.get('AMIP_SPARK_CONF', '-')}, load {os.getloadavg()[0]:.1f}")
    print(f"  DuckDB  wall / CPU per run: {fmt(duck_runs)}")
    print(f"  Spark   session start {start[0]:.1f} s (CPU {start[1]:.1f} s), views {view_s:.1f} s")
    print(f"  Spark   wall / CPU per run: {fmt(spark_runs)}; jobs per run {jobs}")
    best_d = min(duck_runs)
    best_s = min(spark_runs)
    print(f"  ratio Spark/DuckDB (best run): wall {best_s[0] / best_d[0]:.1f}x, "
          f"CPU {best_s[1] / best_d[1]:.1f}x; same figures: {same}")


if __name__ == "__main__":
    main()
