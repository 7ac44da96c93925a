"""Benchmark of the early warning (issue 15: training and scoring for one Jobcenter < 60 s;
scoring alone < 5 s).

On a store of the default synthetic Jobcenter (path as argument, default out/demo/amip.duckdb):
training of all three targets (features of 24 scoring dates, labels, both models, calibration,
fairness audit with 100 bootstrap draws), saving beside a copy's path, then scoring the latest
month (load the model, features of the month's population, probabilities, reasons) three times.
Prints seconds (wall and CPU) and the evaluation figures (the model card quotes them).

Run: .venv/bin/python bench/bench_risk.py [STORE]
"""

import sys
import tempfile
import time
from pathlib import Path

from amip.engine.calendar import format_month
from amip.risk.features import latest_month
from amip.risk.models import load_model, save, train
from amip.risk.reasons import score
from amip.store import Store


def main(path: str) -> None:
    view = Store.open(path, read_only=True).view()
    jc = view.table("jobcenters").jobcenter_id.to_pyarrow().to_pylist()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    model = train(view, jc)
    where = Path(tempfile.mkdtemp()) / "amip.duckdb"
    save(model, where)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    month = latest_month(view)  # the month `amip risk score` defaults to
    runs, cpu = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        rows = score(view, load_model(where), month)
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(f"train (3 targets, save): {train_s:.1f} s wall, {train_cpu:.1f} s CPU")
    print(f"score {format_month(month)} ({len(rows)} persons): first {runs[0]:.2f} s, "
          f"best {min(runs):.2f} s (CPU first {cpu[0]:.2f} s, best {min(cpu):.2f} s)")
    print(f"train + score: {train_s + runs[0]:.1f} s")
    for k, f in model.targets.items():
        m = {kind: f"AUC {v['auc']:.3f} Brier {v['brier']:.3f}" for kind, v in f.metrics.items()}
        c = f.audit["choice"]
        print(f"{k}: chosen {f.chosen}; {m}; n {f.metrics[f.chosen]['n']}, positives "
              f"{f.metrics[f.chosen]['positives']}; threshold {c['threshold']} (EO gap "
              f"{c['equalized_odds_gap']:.3f}, constraint met {c['constraint_met']}); "
              f"test {f.months['test'][0]}..{f.months['test'][-1]}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/demo/amip.duckdb")
