"""Month sets (amip.engine.month_sets): the rows, Zugänge and Abgänge read off the bits equal
plain set arithmetic on the months, also across block boundaries (ranges over 60 months)."""

from __future__ import annotations

import random

import ibis
import pytest

from amip.engine.month_sets import SPAN, MonthBlocks

pytestmark = pytest.mark.duckdb_only

M0 = 2019 * 12  # January 2019


def _spells(rng: random.Random, m_lo: int, m_hi: int, persons: int) -> list[tuple]:
    """Random spells in whole months (day numbers: month index × 100 + 50 is its Stichtag),
    some before, some after the range, some overlapping, some one month long."""
    rows = []
    for p in range(persons):
        for _ in range(rng.randint(0, 4)):
            a = rng.randint(m_lo - 5, m_hi + 2)
            b = a + rng.choice([0, 0, 1, 2, 5, 20, 70])
            rows.append((f"P{p}", rng.choice(["J1", "J2"]), a * 100 + 1, b * 100 + 99))
    return rows


def _expected(rows, m_lo, m_hi):
    """Per (person, Jobcenter): the set of months whose Stichtag a spell covers."""
    sets: dict[tuple, set[int]] = {}
    for p, j, vf, vt in rows:
        for m in range(m_lo, m_hi + 1):
            if vf <= m * 100 + 50 <= vt:
                sets.setdefault((p, j), set()).add(m)
    stock = {(p, j, m) for (p, j), ms in sets.items() for m in ms}
    arrivals = {(p, j, m) for p, j, m in stock if m > m_lo and (p, j, m - 1) not in stock}
    departures = {(p, j, m + 1) for p, j, m in stock if m < m_hi and (p, j, m + 1) not in stock}
    return stock, arrivals, departures


@pytest.mark.parametrize("months,seed", [(1, 1), (16, 2), (SPAN, 3), (SPAN + 1, 4), (130, 5)])
def test_rows_arrivals_and_departures_equal_set_arithmetic(months, seed):
    rng = random.Random(seed)
    m_lo, m_hi = M0, M0 + months - 1
    rows = _spells(rng, m_lo, m_hi, persons=60)
    spells = ibis.memtable({"person_id": [r[0] for r in rows], "jobcenter_id": [r[1] for r in rows],
                            "vf": [r[2] for r in rows], "vt": [r[3] for r in rows]},
                           schema={"person_id": "string", "jobcenter_id": "string",
                                   "vf": "int64", "vt": "int64"})
    blocks = MonthBlocks(m_lo, m_hi)
    keys = ["person_id", "jobcenter_id"]
    bits = blocks.covered(spells, keys, {m: m * 100 + 50 for m in range(m_lo, m_hi + 1)})
    con = ibis.duckdb.connect()

    def got(t):
        return {(r["person_id"], r["jobcenter_id"], r["m"])
                for r in con.to_pyarrow(t).to_pylist()}

    stock, arrivals, departures = _expected(rows, m_lo, m_hi)
    assert len(blocks.starts) == (1 if months <= SPAN else 1 + -(-(months - SPAN) // (SPAN - 1)))
    assert stock and (months == 1 or arrivals and departures)  # every case is exercised
    assert got(blocks.rows(bits, keys)) == stock
    assert got(blocks.arrivals(bits, keys)) == arrivals
    assert got(blocks.departures(bits, keys)) == departures
    # each month once: no row twice, though neighbouring blocks share a month
    assert con.to_pyarrow(blocks.rows(bits, keys)).num_rows == len(stock)


def test_block_layout_shares_one_month_between_neighbours():
    b = MonthBlocks(M0, M0 + 130)
    assert b.starts == [M0, M0 + SPAN - 1, M0 + 2 * (SPAN - 1)]
    assert b.months(0)[-1] == b.months(1)[0]
    assert b.months(2)[-1] == M0 + 130
    with pytest.raises(ValueError):
        MonthBlocks(M0, M0 - 1)
