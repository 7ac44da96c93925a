"""Benchmark of the reports (issue 5) on the default synthetic Jobcenter.

Goals: programme PDF under 10 s, Monatsbericht under 5 s. Each report runs as the command a user
types (a fresh process: imports, figures, charts, rendering), so the figure is what a user waits.

Run: .venv/bin/python bench/bench_reports.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure, print_table  # noqa: E402

AMIP = [sys.executable, "-m", "amip.cli"]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="amip-bench-rep-"))
    try:
        extract, store = work / "extract", work / "amip.duckdb"
        measure("synth", AMIP + ["synth", "--out", str(extract), "--format", "parquet"])
        measure("import", AMIP + ["import", str(extract), "--store", str(store)])
        runs = [
            measure("programme 2020, PDF only", AMIP + [
                "report", "programme", "--year", "2020", "--store", str(store),
                "--out", str(work / "a"), "--format", "pdf"]),
            measure("programme 2020, PDF+HTML+XLSX+CSV", AMIP + [
                "report", "programme", "--year", "2020", "--store", str(store),
                "--out", str(work / "b")]),
            measure("Monatsbericht 2020-06, PDF only", AMIP + [
                "report", "monthly", "--month", "2020-06", "--store", str(store),
                "--out", str(work / "c"), "--format", "pdf"]),
            measure("Monatsbericht 2020-06, all formats", AMIP + [
                "report", "monthly", "--month", "2020-06", "--store", str(store),
                "--out", str(work / "d")]),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(runs, "run")


if __name__ == "__main__":
    main()
