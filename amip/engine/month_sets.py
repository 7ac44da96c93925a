"""Month sets: the Stichtage a person is in a stock, as the bits of one integer.

A stock over many months as rows (person, Jobcenter, month) is large, and its movements (in the
stock at ST(m) and not at ST(m−1): a Zugang; the reverse: an Abgang) are anti-joins of it with
itself: at 10 % of national size 8 million rows joined on three keys, 2 s each. As bits, one row
per person and Jobcenter holds its months, a movement is arithmetic on that row (7× faster), and
the stock is read straight off the spells (one pass, no distinct over person-months).

Months are laid out in blocks of :data:`SPAN` bits (bit i of block b is month
``starts[b] + i``). Neighbouring blocks share one month (the last of one is the first of the
next), so every pair of consecutive months (m−1, m) lies inside one block as bits (i−1, i), and
a movement never needs a neighbouring block. A month is *owned* by the block where its bit is
≥ 1 (the range's first month: block 0, bit 0); rows are read from owned bits only, so each
month appears once. A range of up to 60 months (every Berichtsmonat's 16) is one block.

Only binary operators are used (no ``~``): sqlglot prints ``~(x << 1)`` as ``~x << 1``.
"""

from __future__ import annotations

from functools import cached_property

import ibis
import ibis.expr.types as ir

SPAN = 60  # bits of a block (of the 63 an int64 holds: a shift by one stays positive)


def _bit(i: int) -> ir.IntegerScalar:
    return ibis.literal(1 << i, "int64")


_ZERO = ibis.literal(0, "int64")


class MonthBlocks:
    """The block layout of the months ``m_lo..m_hi``."""

    def __init__(self, m_lo: int, m_hi: int) -> None:
        if m_hi < m_lo:
            raise ValueError(f"empty month range {m_lo}..{m_hi}")
        self.m_lo, self.m_hi = m_lo, m_hi
        self.starts = [m_lo]
        while self.starts[-1] + SPAN - 1 < m_hi:
            self.starts.append(self.starts[-1] + SPAN - 1)

    def months(self, b: int) -> list[int]:
        """The months of block ``b`` (its bits 0, 1, …)."""
        return list(range(self.starts[b], min(self.starts[b] + SPAN - 1, self.m_hi) + 1))

    @cached_property
    def owned(self) -> ir.Table:
        """One row per month: the block ``blk`` and bit ``i`` that own it, and the month ``m``."""
        rows = [(b, i, m) for b in range(len(self.starts))
                for i, m in enumerate(self.months(b)) if i or not b]
        return ibis.memtable({"blk": [r[0] for r in rows], "i": [r[1] for r in rows],
                              "m": [r[2] for r in rows]},  # i: PostgreSQL shifts by an int
                             schema={"blk": "int64", "i": "int32", "m": "int64"})

    def _per_block(self, term) -> dict[int, ir.IntegerValue]:
        """Per block: Σ ``term(i, m)`` over its months m (bit i)."""
        out = {}
        for b in range(len(self.starts)):
            terms = [term(i, m) for i, m in enumerate(self.months(b))]
            out[b] = sum(terms[1:], terms[0])
        return out

    def bits(self, flag) -> dict[int, ir.IntegerValue]:
        """Per block: Σ 2^i over its months where ``flag(m)`` (a boolean expression) holds."""
        return self._per_block(lambda i, m: ibis.ifelse(flag(m), _bit(i), _ZERO))

    def covered(self, spells: ir.Table, keys: list[str], stichtage: dict[int, int]) -> ir.Table:
        """``keys, blk, bits``: the months whose Stichtag (``stichtage``: month → epoch day)
        some row of ``spells`` (day numbers ``vf``, ``vt``) covers, per key; blocks without a
        covered month are left out."""
        lo, hi = min(stichtage.values()), max(stichtage.values())
        s = spells.filter((spells.vt >= lo) & (spells.vf <= hi))
        per_block = self._per_block(lambda i, m: ibis.ifelse(
            (s.vf <= stichtage[m]) & (s.vt >= stichtage[m]), _bit(i), _ZERO).max())
        return self.stacked(s.group_by(keys).aggregate(**{f"b{b}": v
                                                          for b, v in per_block.items()}), keys)

    def stacked(self, wide: ir.Table, keys: list[str]) -> ir.Table:
        """Columns ``b0, b1, …`` (one per block) → rows ``keys, blk, bits`` (non-zero bits)."""
        parts = [wide.select(*keys, blk=ibis.literal(b, "int64"), bits=wide[f"b{b}"])
                 for b in range(len(self.starts))]
        t = ibis.union(*parts, distinct=False)  # one table: itself
        return t.filter(t.bits != 0)

    def rows(self, bits: ir.Table, keys: list[str]) -> ir.Table:
        """``keys, m``: one row per set, owned bit of ``bits`` (columns ``keys, blk, bits``)."""
        o = self.owned
        j = bits.join(o, bits.blk == o.blk)
        return j.filter(((j.bits >> j.i) & 1) == 1).select(*keys, "m")

    def arrivals(self, bits: ir.Table, keys: list[str]) -> ir.Table:
        """``keys, m``: months m > m_lo in the set whose month m−1 is not (Zugänge)."""
        b = bits.bits
        new = b - (b & (b << 1))  # set, and the bit below not set
        return self.rows(bits.mutate(bits=new - (new & 1)), keys)  # bit 0 has no month before

    def departures(self, bits: ir.Table, keys: list[str]) -> ir.Table:
        """``keys, m``: months m ≤ m_hi not in the set whose month m−1 is (Abgänge, counted in
        month m). Bits past m_hi or past the block are never owned, so never read."""
        up = bits.bits << 1
        return self.rows(bits.mutate(bits=up - (up & bits.bits)), keys)
