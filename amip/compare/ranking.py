"""Rankings within the Vergleichstyp or the Land: rank 1 is best in the measure's direction
(``targets.toml`` [lower_is_better], item 34), ties share the lowest rank (min method), a
Jobcenter without a value is unranked with its reason."""

from __future__ import annotations

from collections import defaultdict

from amip.catalogue.targets import measure_definitions
from amip.compare.shapes import BY, Comparison, Rank

NO_GROUP = {"vergleichstyp": "kein Vergleichstyp angegeben", "land": "kein Land angegeben"}
NO_VALUE = "kein Wert"


def direction(code: str) -> str:
    """``higher`` or ``lower`` (is better)."""
    return measure_definitions()[code].direction


def min_ranks(values: list[float], lower_is_better: bool) -> list[int]:
    """Rank 1 = best; equal values share the smallest rank of their block (1, 2, 2, 4)."""
    order = sorted(values) if lower_is_better else sorted(values, reverse=True)
    first: dict[float, int] = {}
    for i, v in enumerate(order, 1):
        first.setdefault(v, i)
    return [first[v] for v in values]


def rankings(comparison: Comparison, by: str = "vergleichstyp") -> list[Rank]:
    """One Rank per Jobcenter and measure of ``comparison``, grouped ``by`` Vergleichstyp or
    Land; in the comparison's row order, measure by measure."""
    if by not in BY:
        raise ValueError(f"by muss {' oder '.join(BY)} sein, nicht {by!r}")
    out: list[Rank] = []
    for code in comparison.measures:
        d = direction(code)
        groups: dict[str | None, list] = defaultdict(list)
        for r in comparison.rows:
            groups[getattr(r, by)].append(r)
        placed: dict[str, tuple[int, int]] = {}
        for key, members in groups.items():
            if key is None:
                continue
            valued = [r for r in members if code in r.figures and r.figures[code].value is not None]
            ranks = min_ranks([r.figures[code].value for r in valued], d == "lower")
            for r, k in zip(valued, ranks):
                placed[r.jobcenter_id] = (k, len(valued))
        for r in comparison.rows:
            key = getattr(r, by)
            fig = r.figures.get(code)
            value = fig.value if fig else None
            if r.jobcenter_id in placed:
                k, of = placed[r.jobcenter_id]
                out.append(Rank(code, by, key, r.jobcenter_id, value, k, of, d))
                continue
            of = placed_count(placed, groups.get(key, [])) if key is not None else 0
            reason = NO_GROUP[by] if key is None else \
                (fig.reason if fig and fig.reason else NO_VALUE)
            out.append(Rank(code, by, key, r.jobcenter_id, value, None, of, d, reason))
    return out


def placed_count(placed: dict, members: list) -> int:
    return sum(1 for r in members if r.jobcenter_id in placed)
