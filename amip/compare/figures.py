"""All 15 measures for all Jobcenter and a month, with national, Land and Vergleichstyp
aggregates from counts.

One :func:`~amip.engine.indicators.compute` call gives every Jobcenter; an aggregate sums the
numerators and the denominators of its Jobcenter and divides (the measure of the pooled
Jobcenter), never averages their quotas. The mean-rate forms (K1E3, K1E4, K3E3, K3E4: the mean
of twelve monthly rates) cannot be pooled from the records' twelve-month sums, so their
aggregates are None with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from amip.catalogue import load
from amip.compare.config import config
from amip.compare.shapes import Aggregate, Comparison, Figure, JobcenterFigures
from amip.engine.calendar import format_month, parse_month
from amip.engine.indicators import Record, compute
from amip.extract.schema import FRAMEWORK_CONDITIONS

NOT_POOLED = ("Mittelwert von zwölf Monatsraten: aus den Zwölfmonatssummen der Jobcenter nicht "
              "zusammenzufassen")
ZERO = "Nenner 0: kein Wert"


def month_index(month: int | str) -> int:
    return parse_month(month) if isinstance(month, str) else month


def jobcenter_attributes(view) -> list[dict]:
    """The jobcenters table as dicts (conditions as float or None), in id order."""
    t = view.table("jobcenters")
    cols = [c for c in ("jobcenter_id", "name", "kind", "land", "vergleichstyp",
                        *FRAMEWORK_CONDITIONS) if c in t.columns]
    rows = t.select(*cols).order_by("jobcenter_id").to_pyarrow().to_pylist()
    for r in rows:
        for c in FRAMEWORK_CONDITIONS:
            r[c] = None if r.get(c) is None else float(r[c])
    return rows


def figures(view, month: int | str, measures: Iterable[str] | None = None, sex: str = "all",
            records: list[Record] | None = None) -> Comparison:
    """Every Jobcenter's figures for ``month`` (an index or ``YYYY-MM``) and the aggregates.
    ``records`` lets a caller pass the engine's records it already has (same month)."""
    m = month_index(month)
    cat = load()
    codes = tuple(measures or cat.indicators)
    if records is None:
        records = compute(view, [m], codes=list(codes))
    ym = format_month(m)
    by_jc: dict[str, dict[str, Figure]] = defaultdict(dict)
    rules = ""
    for r in records:
        if r.month == ym and r.sex == sex and r.code in codes and r.unit_id is None \
                and r.basis == "month":
            by_jc[r.jobcenter_id][r.code] = Figure(r.code, r.value, r.numerator, r.denominator,
                                                   r.reason)
            rules = r.rules
    rows = [JobcenterFigures(a["jobcenter_id"], a["name"], a.get("land"), a["kind"],
                             a.get("vergleichstyp"),
                             {c: a.get(c) for c in FRAMEWORK_CONDITIONS},
                             {c: by_jc[a["jobcenter_id"]][c] for c in codes
                              if c in by_jc[a["jobcenter_id"]]})
            for a in jobcenter_attributes(view) if a["jobcenter_id"] in by_jc]
    return Comparison(ym, sex, rules, codes, rows, aggregates(rows, codes))


def aggregates(rows: list[JobcenterFigures], codes: Iterable[str]) -> list[Aggregate]:
    """National, then per Land, then per Vergleichstyp (sorted keys; Jobcenter without a Land
    or type are in the national aggregate only)."""
    codes = tuple(codes)
    out = [Aggregate("national", None, len(rows), pool(rows, codes))]
    for level in ("land", "vergleichstyp"):
        groups: dict[str, list[JobcenterFigures]] = defaultdict(list)
        for r in rows:
            key = getattr(r, level)
            if key is not None:
                groups[key].append(r)
        out += [Aggregate(level, k, len(g), pool(g, codes)) for k, g in sorted(groups.items())]
    return out


def pool(rows: list[JobcenterFigures], codes: tuple[str, ...]) -> dict[str, Figure]:
    """The figures of the pooled Jobcenter: Σ Z / Σ N (× 100; change: − 1)."""
    cat, forms = load(), config().aggregate_forms
    out = {}
    for code in codes:
        figs = [r.figures[code] for r in rows if code in r.figures]
        reason = next((f.reason for f in figs if f.reason), None)
        ind = cat.indicators[code]
        if reason is None and ind.form not in forms:
            reason = NOT_POOLED
        if reason is not None or not figs:
            out[code] = Figure(code, None, None, None, reason or "keine Jobcenter")
            continue
        z = sum(f.numerator for f in figs)
        n = sum(f.denominator for f in figs)
        if not n:
            out[code] = Figure(code, None, z, n, ZERO)
            continue
        value = (z / n - 1) * 100 if ind.is_change else z / n * 100
        out[code] = Figure(code, value, z, n)
    return out
