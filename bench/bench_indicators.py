"""Benchmark of the § 48a engine (issue 4) on DuckDB and PostgreSQL.

All 15 measures × 3 sexes: one month and a 24-month series of the default synthetic Jobcenter,
and one month of a scaled one (--scale, default 10; the goal is for 100). Each run is a fresh process; the figures are
the computation's own time (store opened), the process's wall time and its peak memory.
Goals: one month < 1 s on DuckDB, 24 months < 5 s, scale 100 one month < 60 s.

Run: .venv/bin/python bench/bench_indicators.py [--scale 10|100] [--no-postgres]
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
from measure import measure  # noqa: E402

AMIP = [sys.executable, "-m", "amip.cli"]
JOB = [sys.executable, str(Path(__file__).parent / "_indicators_job.py")]
MONTH, SERIES = ("2019-12", "2019-12"), ("2019-01", "2020-12")


def job(label: str, kind: str, where: str, months: tuple[str, str]) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen(JOB + [kind, where, *months], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{label} failed: {err.decode()[-2000:]}")
    result = json.loads(out)
    row = dict(label=label, compute=result["seconds"], wall=wall, peak=usage.ru_maxrss / 1024,
               k2=result["k2"], records=result["records"])
    print(f"{label}: compute {row['compute']:.2f} s, process {wall:.2f} s, "
          f"peak {row['peak']:,.0f} MiB, K2 {row['k2']:.1f} %", flush=True)
    return row


def build(work: Path, scale: float) -> Path:
    extract, store = work / f"extract-{scale:g}", work / f"store-{scale:g}.duckdb"
    m = measure(f"synth scale {scale:g}", AMIP + ["synth", "--out", str(extract), "--scale",
                                                  str(scale), "--format", "parquet"])
    print(f"synth scale {scale:g}: {m.seconds:.1f} s, peak {m.peak_mib:,.0f} MiB", flush=True)
    m = measure(f"import scale {scale:g}", AMIP + ["import", str(extract), "--store", str(store)])
    print(f"import scale {scale:g}: {m.seconds:.1f} s, peak {m.peak_mib:,.0f} MiB", flush=True)
    shutil.rmtree(extract)
    return store


def publish(store: Path, url: str, label: str) -> None:
    m = measure(label, AMIP + ["publish", "--store", str(store), "--pg", url])
    print(f"{label}: {m.seconds:.1f} s, peak {m.peak_mib:,.0f} MiB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=10,
                        help="scaled run (100 needs ≈ 15 GB RAM and ≈ 35 GB disk for PostgreSQL)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="amip-bench-ind-"))
    rows, cluster = [], None
    try:
        default = build(work, 1)
        rows.append(job("DuckDB, default, 1 month", "duckdb", str(default), MONTH))
        rows.append(job("DuckDB, default, 24 months", "duckdb", str(default), SERIES))
        if not args.no_postgres:
            from tests.pg_fixture import Cluster

            cluster = Cluster()
            url = cluster.start()
            publish(default, url, "publish default to PostgreSQL")
            rows.append(job("PostgreSQL, default, 1 month", "postgres", url, MONTH))
            rows.append(job("PostgreSQL, default, 24 months", "postgres", url, SERIES))
        if args.scale and args.scale != 1:
            scaled = build(work, args.scale)
            rows.append(job(f"DuckDB, scale {args.scale:g}, 1 month", "duckdb", str(scaled), MONTH))
            if cluster is not None:
                m = measure(f"publish scale {args.scale:g}", AMIP + [
                    "publish", "--store", str(scaled), "--pg", url, "--schema", "amip_scaled"])
                print(f"publish scale {args.scale:g}: {m.seconds:.1f} s, "
                      f"peak {m.peak_mib:,.0f} MiB", flush=True)
                rows.append(job(f"PostgreSQL, scale {args.scale:g}, 1 month", "postgres",
                                f"{url}|amip_scaled", MONTH))
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nmachine: {os.cpu_count()} cores")
    print("| run | compute | process | peak memory | K2 |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['label']} | {r['compute']:.2f} s | {r['wall']:.2f} s | {r['peak']:,.0f} MiB | "
              f"{r['k2']:.1f} % |")


if __name__ == "__main__":
    main()
