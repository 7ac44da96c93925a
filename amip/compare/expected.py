"""Expected vs actual (in progress)."""
from __future__ import annotations

from amip.compare.shapes import Benchmark


def expected(view, months, measure: str, records=None) -> Benchmark:
    """Benchmark of ``measure`` (a code of compare.toml [benchmark]) for ``months`` (indices or
    YYYY-MM): per month a quasi-Poisson rate regression on the framework conditions, each
    Jobcenter's expected value with prediction interval, residual, verdict; stability over
    consecutive months. ``records``: the engine's records if the caller has them."""
    raise NotImplementedError
