"""Benchmark of the national synthetic extract (issue 16, item 1): `amip synth --profile national`
(all 404 Jobcenter, Parquet, one file per Jobcenter per table) at a share of national size, with
wall time, peak memory, rows and rows per second.

Run: .venv/bin/python bench/bench_national.py [--scale 0.01 0.1] [--from 2018] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure  # noqa: E402

AMIP = [sys.executable, "-m", "amip.cli"]


def rows_on_disk(extract: Path) -> int:
    """Rows of every Parquet file of the extract (folders per table included)."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in extract.rglob("*.parquet"))


def run(scales: list[float], year_from: int, work: Path) -> list[str]:
    lines = []
    for scale in scales:
        extract = work / f"national-{scale:g}"
        m = measure(f"synth national {scale:g}", AMIP + [
            "synth", "--profile", "national", "--scale", str(scale), "--from", str(year_from),
            "--format", "parquet", "--out", str(extract)])
        if m.returncode:
            raise SystemExit(f"synth failed at scale {scale}")
        rows = rows_on_disk(extract)
        size = sum(f.stat().st_size for f in extract.rglob("*") if f.is_file()) / 2**20
        files = sum(1 for _ in extract.rglob("*.parquet"))
        line = (f"| {scale * 100:g} % ({year_from}–2020) | {m.seconds:.1f} s | {m.peak_mib:,.0f} MiB "
                f"| {rows:,} | {rows / m.seconds:,.0f} | {files:,} files, {size:,.0f} MiB |")
        print(line, flush=True)
        lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, nargs="+", default=[0.01])
    parser.add_argument("--from", dest="year_from", type=int, default=2018)
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="amip-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print("| national size | wall time | peak memory | rows | rows/s | output |")
        print("|---|---|---|---|---|---|")
        run(args.scale, args.year_from, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
