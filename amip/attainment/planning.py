"""The planning proposal: a gap distributed over the teams by the largest-remainder method
(domain reference §11 item 36, §12.1 item 51). Pure arithmetic."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction


def largest_remainder(gap: int, keys: dict[str, Decimal | Fraction | int]) -> dict[str, int]:
    """Split the whole number ``gap`` over ``keys`` (unit_id → key ≥ 0) so that the parts add up
    exactly to ``gap`` (item 51).

    Exact quotas G·kᵢ/Σk; each unit gets the floor of its quota; the remaining units go one each
    to the largest remainders, ties to the smaller unit_id (string order). A negative gap is
    distributed as |G| and negated. When every key is 0 (e.g. no team had an ELB), the gap is
    split in equal shares (every key taken as 1), the same rule as the key ``equal``.
    ``keys`` empty: only a gap of 0 can be split (ValueError otherwise).
    """
    if int(gap) != gap:
        raise ValueError(f"the gap must be a whole number, not {gap}")
    gap = int(gap)
    if not keys:
        if gap:
            raise ValueError("no unit to distribute the gap over")
        return {}
    ks = {u: Fraction(k) for u, k in keys.items()}
    if any(k < 0 for k in ks.values()):
        raise ValueError("keys must not be negative")
    if sum(ks.values()) == 0:
        ks = {u: Fraction(1) for u in ks}
    sign, g = (-1 if gap < 0 else 1), abs(gap)
    total = sum(ks.values())
    quotas = {u: g * k / total for u, k in ks.items()}
    parts = {u: int(q) for u, q in quotas.items()}  # floor (quotas are ≥ 0)
    rest = g - sum(parts.values())
    order = sorted(ks, key=lambda u: (-(quotas[u] - parts[u]), u))
    for u in order[:rest]:
        parts[u] += 1
    return {u: sign * parts[u] for u in sorted(parts)}


def split_amount(gap: Decimal | Fraction | int, keys: dict[str, Decimal | Fraction | int]) \
        -> dict[str, Decimal]:
    """:func:`largest_remainder` for a gap with decimals (euros with cents, a plan of 12.5):
    distributed in units of its last decimal place, so the parts still add up exactly."""
    d = Decimal(gap) if not isinstance(gap, Fraction) else Decimal(gap.numerator) / gap.denominator
    places = max(0, -d.normalize().as_tuple().exponent)
    scale = Decimal(10) ** places
    whole = d * scale
    parts = largest_remainder(int(whole), keys)
    return {u: Decimal(p) / scale for u, p in parts.items()}
