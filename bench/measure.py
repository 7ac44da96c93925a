"""Run a command as a child process and report its wall time and peak memory (RSS)."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Measurement:
    label: str
    seconds: float
    peak_mib: float
    returncode: int

    def row(self) -> str:
        return f"| {self.label} | {self.seconds:.1f} s | {self.peak_mib:,.0f} MiB |"


def measure(label: str, cmd: list[str], env: dict | None = None) -> Measurement:
    """Wall time and the child's peak resident memory, from wait4's rusage (Linux: KiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{label} failed ({code}): {proc.stderr.read().decode()[-2000:]}")
    return Measurement(label, seconds, usage.ru_maxrss / 1024, code)


def print_table(rows: list[Measurement], first: str = "step") -> None:
    """The figures as a Markdown table, with the machine's core count."""
    print(f"\nmachine: {os.cpu_count()} cores")
    print(f"| {first} | wall time | peak memory |\n|---|---|---|")
    for r in rows:
        print(r.row())
