"""The flat JSON/CSV records of a comparison: one list of keys and one function for the CLI
(`amip compare --format json|csv`) and the API (`/api/v1/compare`)."""

from __future__ import annotations

from amip.compare.ranking import rankings
from amip.compare.shapes import Comparison, Rank
from amip.extract.schema import FRAMEWORK_CONDITIONS

#: the keys of one figures record, in order
FIGURE_KEYS = ("month", "level", "key", "jobcenter_id", "name", "land", "kind", "vergleichstyp",
               *FRAMEWORK_CONDITIONS, "code", "value", "numerator", "denominator", "by", "group",
               "rank", "of", "reason")
#: the keys of one expected-vs-actual CSV record (an Expectation with its measure first)
EXPECTED_KEYS = ("measure", "jobcenter_id", "month", "actual", "expected", "lower", "upper",
                 "residual", "log_ratio", "verdict", "reason")


def figure_records(comparison: Comparison, by: str, ranks: list[Rank] | None = None,
                   codes: tuple[str, ...] | None = None) -> list[dict]:
    """Each Jobcenter × measure with its rank ``by`` (``ranks``: from :func:`rankings` unless
    given), then the national and the ``by`` aggregates (``of`` = Jobcenter summed).
    ``level`` is jobcenter | national | land | vergleichstyp; ``codes`` restricts the measures."""
    c = comparison
    codes = codes or c.measures
    rk = {(r.code, r.jobcenter_id): r for r in (ranks if ranks is not None else rankings(c, by))}
    out = []
    for row in c.rows:
        for code, f in row.figures.items():
            if code not in codes:
                continue
            r = rk[(code, row.jobcenter_id)]
            out.append(dict(month=c.month, level="jobcenter", key=row.jobcenter_id,
                            jobcenter_id=row.jobcenter_id, name=row.name, land=row.land,
                            kind=row.kind, vergleichstyp=row.vergleichstyp, **row.conditions,
                            code=code, value=f.value, numerator=f.numerator,
                            denominator=f.denominator, by=by, group=r.group, rank=r.rank,
                            of=r.of, reason=f.reason or r.reason))
    for a in c.aggregates:
        if a.level not in ("national", by):
            continue
        for code, f in a.figures.items():
            if code in codes:
                out.append(dict.fromkeys(FIGURE_KEYS) | dict(
                    month=c.month, level=a.level, key=a.key, code=code, value=f.value,
                    numerator=f.numerator, denominator=f.denominator, by=by, of=a.jobcenters,
                    reason=f.reason))
    return out
