"""Benchmark of the foundation (issue 3): synth of the default profile 2009–2020, its import,
and the same for a 10x scaled population. Goal: default synth + import under 30 s on 2 cores.

Run: .venv/bin/python bench/bench_foundation.py [--scale 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure, print_table  # noqa: E402

AMIP = [sys.executable, "-m", "amip.cli"]


def run(scale: float, work: Path) -> list:
    results = []
    for label, s in (("default", 1.0), (f"scale {scale:g}", scale)):
        extract, store = work / f"extract-{s:g}", work / f"store-{s:g}.duckdb"
        synth = measure(f"synth {label} (2009–2020)",
                        AMIP + ["synth", "--out", str(extract), "--scale", str(s)])
        imp = measure(f"import {label}", AMIP + ["import", str(extract), "--store", str(store)])
        size = sum(f.stat().st_size for f in extract.iterdir()) / 2**20
        rows = _rows(store)
        results += [synth, imp]
        print(f"{label}: extract {size:,.0f} MiB on disk, {rows:,} rows; "
              f"synth + import {synth.seconds + imp.seconds:.1f} s", flush=True)
    return results


def _rows(store: Path) -> int:
    from amip.store import Store

    with Store.open(store, read_only=True) as s:
        return sum(s.row_counts().values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="amip-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = run(args.scale, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results, "step")


if __name__ == "__main__":
    main()
