"""Benchmark of Zielnachhaltung (issue 12: the status of all targets for one month < 1 s).

On a store of the default synthetic Jobcenter (path as argument, default out/demo/amip.duckdb):
the seed's 2020 targets (K2 all/m/w, integrations, K3, the municipal computed measures) for
2020-06, for the Jobcenter, its Standorte and teams; without and with the year-end expectation.
Prints the seconds of the best of three runs each (after opening the store), and for scale the
engine's compute() of the same month (the "Jobcenter-month" of bench/RESULTS.md), measured alike.

Run: .venv/bin/python bench/bench_attainment.py [STORE]
"""

import sys
import time
from dataclasses import dataclass
from decimal import Decimal

from amip.attainment.status import target_status
from amip.engine.calendar import parse_month
from amip.engine.indicators import compute
from amip.store import Store


@dataclass
class Target:
    jobcenter_id: str
    unit_id: str | None
    year: int
    measure: str
    sex: str
    value: Decimal | None
    status: str = "vereinbart"


def main(path: str) -> None:
    view = Store.open(path, read_only=True).view()
    jc = view.table("jobcenters").jobcenter_id.to_pyarrow().to_pylist()[0]
    targets = [Target(jc, None, 2020, m, s, Decimal(v)) for m, s, v in (
        ("integrations", "all", 1141), ("K2", "all", "23.4"), ("K2", "m", "23.4"),
        ("K2", "w", "23.4"), ("K3", "all", "-10.8"), ("kdu_ausgaben", "all", 20_000_000),
        ("integrationen_fm", "all", 100), ("fehlerquote_kdu", "all", 5),
        ("fehlerquote_but", "all", 5))]
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        compute(view, [parse_month("2020-06")])
        runs.append(time.perf_counter() - start)
    print(f"compute 2020-06 (reference): best {min(runs):.2f} s")
    for expectation in (False, True):
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            records = target_status(view, targets, "2020-06", with_expectation=expectation)
            runs.append(time.perf_counter() - start)
        print(f"target_status 2020-06, {len(targets)} targets, {len(records)} records, "
              f"expectation={expectation}: best {min(runs):.2f} s (runs "
              + ", ".join(f"{r:.2f}" for r in runs) + ")")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/demo/amip.duckdb")
