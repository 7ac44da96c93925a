"""Run a command as a child process and report its wall time and peak memory.

Peak memory is the process's own peak RSS. For commands that fork helpers (amip.background),
``tree=True`` runs the command a second time and samples the sum over the process and its
descendants every 100 ms as proportional set size (PSS: pages a forked child shares with its
parent count once); the peak is the larger of the two. The wall time always comes from the
first, unsampled run: reading PSS slows a two-core machine by 0.3 s.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measurement:
    label: str
    seconds: float
    peak_mib: float
    returncode: int

    def row(self) -> str:
        return f"| {self.label} | {self.seconds:.1f} s | {self.peak_mib:,.0f} MiB |"


def measure(label: str, cmd: list[str], env: dict | None = None,
            tree: bool = False) -> Measurement:
    """Wall time and the child's peak resident memory, from wait4's rusage (Linux: KiB); with
    ``tree`` the peak includes the descendants (a second run, see above)."""
    first = _run(label, cmd, env, sample=False)
    if not tree:
        return first
    second = _run(label, cmd, env, sample=True)
    return Measurement(label, first.seconds, max(first.peak_mib, second.peak_mib), 0)


def _run(label: str, cmd: list[str], env: dict | None, sample: bool) -> Measurement:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()
    tree_peak = [0]

    def sample_tree() -> None:
        while not done.wait(0.1):
            tree_peak[0] = max(tree_peak[0], _tree_pss_kib(proc.pid))

    sampler = threading.Thread(target=sample_tree, daemon=True)
    if sample:
        sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    if sample:
        sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{label} failed ({code}): {proc.stderr.read().decode()[-2000:]}")
    return Measurement(label, seconds, max(usage.ru_maxrss, tree_peak[0]) / 1024, code)


def _tree_pss_kib(root: int) -> int:
    """PSS in KiB of ``root`` and all its descendants now (0 for processes that just ended)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [p for p, parent in parents.items() if parent == pid and p not in tree]
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total


def print_table(rows: list[Measurement], first: str = "step") -> None:
    """The figures as a Markdown table, with the machine's core count."""
    print(f"\nmachine: {os.cpu_count()} cores")
    print(f"| {first} | wall time | peak memory |\n|---|---|---|")
    for r in rows:
        print(r.row())
