"""When rows entered the source system (``recorded_on``), and corrections.

Spells: most rows are recorded a few days after ``valid_from`` (with a tail of weeks or months);
a share is first delivered *open* and closed by a second row with the same key and a later
``recorded_on``. Rows recorded after the extract's cutoff are not delivered, so spells that ended
shortly before the cutoff can still appear open (the Wartezeit of real data).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from amip.synth import util


def spell_rows(rng: np.random.Generator, start: np.ndarray, end: np.ndarray, cutoff: int,
               rec: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Delivered rows of spells: (spell index, valid_to day or OPEN, recorded_on day)."""
    n = len(start)
    start = np.asarray(start, np.int64)
    end = np.asarray(end, np.int64)
    rec1 = start + util.lag_days(rng, n, rec)
    closed = end < util.OPEN
    two = closed & (rng.random(n) < rec["open_first_share"])
    rec2 = np.maximum(end + util.lag_days(rng, n, rec), rec1 + 1)
    idx = np.concatenate([np.arange(n), np.flatnonzero(two)])
    vto = np.concatenate([np.where(two, util.OPEN, end), end[two]])
    ron = np.concatenate([rec1, rec2[two]])
    keep = ron <= cutoff
    return idx[keep], vto[keep], ron[keep]


def event_recorded(rng: np.random.Generator, days: np.ndarray, rec: dict) -> np.ndarray:
    return np.asarray(days, np.int64) + util.lag_days(rng, len(days), rec)


def truncate(start: np.ndarray, end: np.ndarray, lo: int, cutoff: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep spells overlapping [lo, cutoff]; an end after the cutoff becomes open."""
    keep = (start <= cutoff) & (end >= lo) & (end >= start)
    return keep, np.where(end > cutoff, util.OPEN, end)


def description(start: dt.date, end: dt.date) -> str:
    """The synthetic extract's ``extract.toml``: its state is that of ``end``; the Jobcenter's
    figures begin at ``start`` (earlier spells are history for LZB); a month's benefit claims
    are recorded after the month, so ``benefit_months`` holds the months before ``end``'s."""
    last_benefits = end.replace(day=1) - dt.timedelta(days=1)
    return (f"# written by amip synth (shared/data-contract.md, extract.toml)\n"
            f"source_system = \"amip synth\"\n"
            f"data_as_of = {end.isoformat()}\n"
            f"data_from = {start.isoformat()}\n\n"
            f"[data_as_of_by_table]\n"
            f"benefit_months = {last_benefits.isoformat()}\n")
