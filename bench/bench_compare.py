"""Benchmark of the comparison of all Jobcenter (issue 16, item 4) on a national store.

Make the store once (1 % of national size, all 404 Jobcenter):
    amip synth --profile national --scale 0.01 --from 2018 --out /tmp/nat1/extract --format parquet
    amip import /tmp/nat1/extract --store /tmp/nat1/amip.duckdb --no-quality
Run: .venv/bin/python bench/bench_compare.py --store /tmp/nat1/amip.duckdb [--month 2020-06]

Prints, in process (store open, catalogue loaded): figures of all 15 measures for all Jobcenter
and one month (one engine call), the rankings, expected vs actual of K2 over twelve months, one
Jobcenter among its peers; then the whole `amip compare` command as a child (wall, peak RSS).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure  # noqa: E402


def timed(label: str, fn):
    t = time.perf_counter()
    out = fn()
    print(f"| {label} | {time.perf_counter() - t:.2f} s |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--month", default="2020-06")
    args = ap.parse_args()

    from amip.catalogue import load
    from amip.compare import expected, figures, peers, rankings
    from amip.engine.calendar import format_month, parse_month
    from amip.store import Store

    load()
    m = parse_month(args.month)
    with Store.open(args.store, read_only=True) as store:
        view = store.view()
        print("| step | time |\n|---|---|")
        c = timed("figures: 15 measures × all Jobcenter × 3 sexes, one month (one compute)",
                  lambda: figures(view, m))
        timed("rankings by Vergleichstyp and by Land", lambda: (rankings(c, "vergleichstyp"),
                                                                rankings(c, "land")))
        months = [format_month(x) for x in range(m - 11, m + 1)]
        b = timed("expected K2, 12 months (compute + 12 fits)",
                  lambda: expected(view, months, "K2"))
        jc = c.rows[0].jobcenter_id
        timed(f"peers of {jc} (all measures, 3 benchmarks)", lambda: peers(view, m, jc))
    nat = c.aggregate("national").figures["K2"]
    fit = b.fits[-1]
    print(f"\n{len(c.rows)} Jobcenter; K2 national {nat.value:.1f} %; K2 fit {fit.month}: n "
          f"{fit.n}, deviance explained {fit.r2:.2f}, "
          + ", ".join(f"{co.name} {co.estimate:+.3f}" for co in fit.coefficients[1:])
          + "; stability ρ " + ", ".join(f"{s.spearman:.2f}" for s in b.stability[-3:]))
    amip = [sys.executable, "-m", "amip.cli", "compare", "--store", args.store,
            "--month", args.month, "--format", "json"]
    print("\n| command | wall | peak |\n|---|---|---|")
    print(measure("amip compare --month (all 15, json)", amip).row())
    print(measure("amip compare --expected (K2, K3E1, K3; 12 months, json)",
                  amip[:6] + ["--month", months[0], "--to", months[-1], "--expected",
                              "--format", "json"]).row())


if __name__ == "__main__":
    main()
