"""Benchmark of the reports (issue 5) on the default synthetic Jobcenter.

Goals: programme PDF under 10 s, Monatsbericht under 5 s. Each report runs as the command a user
types (a fresh process: imports, figures, charts, rendering), so the figure is what a user waits.
The commands fork helper processes (amip.background): peak memory is that of the whole process
tree (a second run, sampled). The Monatsbericht also runs with AMIP_BACKGROUND=0 (one process)
for comparison.

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
        def report(label, args, out, env=None):
            return measure(label, AMIP + ["report", *args, "--store", str(store), "--out",
                                          str(work / out), "--overwrite"], env, tree=True)

        programme, monthly = ["programme", "--year", "2020"], ["monthly", "--month", "2020-06"]
        runs = [
            report("programme 2020, PDF only", programme + ["--format", "pdf"], "a"),
            report("programme 2020, PDF+HTML+XLSX+CSV", programme, "b"),
            report("Monatsbericht 2020-06, PDF only", monthly + ["--format", "pdf"], "c"),
            report("Monatsbericht 2020-06, all formats", monthly, "d"),
            report("Monatsbericht 2020-06, PDF only, one process (AMIP_BACKGROUND=0)",
                   monthly + ["--format", "pdf"], "e", {"AMIP_BACKGROUND": "0"}),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(runs, "run")


if __name__ == "__main__":
    main()
