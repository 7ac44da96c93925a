"""The comparison of all Jobcenter in the web (issue 16 item 5), shared by the page "Vergleich"
(:mod:`amip.web.compare_pages`) and the API (:mod:`amip.web.compare_api`): the engine's
results (:mod:`amip.compare`, cached per data state), whose Jobcenter a role sees by name
(roles.toml ``compare``) and disclosure control of small counts for roles with
``disclosure = true``.

Whose Jobcenter: ``all`` every Jobcenter of the store; ``land`` those whose ``land`` is the
user's unit field (the Land role); ``own`` the Jobcenter of the user's unit, without a unit the
store's first. Aggregates (Bund, Länder, Vergleichstypen, the peers' quartiles) are shown to
every role. ``compare`` is a matter of relevance, not of secrecy: the § 48a figures of every
Jobcenter are published (sgb2.info), and a Land or Vergleichstyp of one Jobcenter has that
Jobcenter's figures as its aggregate; what is secret, small counts, disclosure control hides.
Ranks are places among all Jobcenter of the group, also those the role does not see by name.

Disclosure: per measure that counts persons, the numerators (and the denominators) of the
Jobcenter and of the aggregates form totals and parts (Bund = Σ Jobcenter, a Land = Σ its
Jobcenter, a Vergleichstyp = Σ its Jobcenter); :func:`amip.disclosure.suppress` hides the small
ones and whatever would reveal them. A hidden count hides the value, its rank, residual and
verdict too (the reason says so).
"""

from __future__ import annotations

from dataclasses import replace

from amip.catalogue import load
from amip.compare import (Benchmark, Comparison, Expectation, Figure, PeerPosition, Rank,
                          expected, figures, peers, rankings)
from amip.compare import records
from amip.compare.config import config
from amip.disclosure import DEFAULT_RULE, suppress
from amip.engine.calendar import format_month
from amip.engine.indicators import compute
from amip.errors import AmipError
from amip.web.auth import client_address

HIDDEN = "geheim gehalten (kleine Fallzahl)"
BENCH_MONTHS = 12  # months of expected vs actual on the per-Jobcenter view


class Forbidden(AmipError):
    http_status = 403


# -- the engine's results, cached per data state ----------------------------------------------

def comparison(services, month: int) -> Comparison:
    """All Jobcenter and measures of ``month`` with the aggregates (the warmed records)."""
    def make(m: int) -> Comparison:
        return services.query(figures_over, (m,), services.indicators((m,)))[m]
    return services.memoized("compare_figures", make, month)


def comparisons(services, months: tuple[int, ...], code: str) -> dict[int, Comparison]:
    """The comparison of ``code`` alone in each of ``months`` (one engine call for the span)."""
    def make(ms: tuple[int, ...], c: str) -> dict[int, Comparison]:
        return services.query(figures_over, ms, None, (c,))
    return services.memoized("compare_figures_span", make, tuple(months), code)


def figures_over(view, months: tuple[int, ...], recs=None, codes=None) -> dict[int, Comparison]:
    """:func:`amip.compare.figures` of each month, from ``recs`` or one engine call for the
    months and ``codes`` (module level: runs in a query process)."""
    if recs is None:
        recs = compute(view, list(months), codes=list(codes) if codes else None)
    return {m: figures(view, m, codes, records=recs) for m in months}


def protected(services, month: int, hide: bool) -> tuple[Comparison, set[tuple[str, str]]]:
    """:func:`protect` of the month's comparison, once per data state."""
    if not hide:
        return comparison(services, month), set()
    return services.memoized("compare_protected",
                             lambda m: protect(comparison(services, m), True), month)


def ranks(services, month: int, by: str) -> dict[tuple[str, str], Rank]:
    """(jobcenter_id, code) → its Rank within ``by`` (vergleichstyp | land)."""
    def make(m: int, b: str):
        return {(r.jobcenter_id, r.code): r for r in rankings(comparison(services, m), b)}
    return services.memoized("compare_ranks", make, month, by)


def benchmark(services, months: tuple[int, ...], measure: str) -> Benchmark | None:
    """Expected vs actual of ``measure`` over ``months``; None for a measure the benchmark does
    not cover (compare.toml [benchmark] measures)."""
    if measure not in benchmarked():
        return None

    def make(ms: tuple[int, ...], code: str) -> Benchmark:
        recs = services.indicators(ms) if len(ms) == 1 else None  # one month: warmed
        return services.query(expected, list(ms), code, records=recs)
    return services.memoized("compare_expected", make, tuple(months), measure)


def peer_position(services, month: int, jobcenter_id: str) -> PeerPosition:
    def make(m: int, jc: str) -> PeerPosition:  # the month's warmed records: no engine run
        return services.query(peers, m, jc, records=services.indicators((m,)))
    return services.memoized("compare_peers", make, month, jobcenter_id)


def benchmarked() -> tuple[str, ...]:
    return config().measures


def months_back(month: int, n: int = BENCH_MONTHS) -> tuple[int, ...]:
    return tuple(range(month - n + 1, month + 1))


# -- whose Jobcenter ----------------------------------------------------------------------------

def visible(services, user) -> frozenset[str] | None:
    """The Jobcenter ``user`` sees by name (None: all of them), by the role's ``compare``."""
    scope = user.rights.compare
    if scope == "all":
        return None
    jcs = services.table("jobcenters")
    if scope == "land":
        return frozenset(j["jobcenter_id"] for j in jcs if j.get("land") == user.unit_id)
    if user.unit_id:
        try:
            return frozenset({services.unit_scope(user.unit_id)[0]})
        except AmipError:
            return frozenset()
    return frozenset(j["jobcenter_id"] for j in jcs[:1])


def scope_label(services, user) -> str:
    """German: whose Jobcenter the user sees."""
    scope = user.rights.compare
    if scope == "all":
        return "alle Jobcenter des Datenbestands"
    if scope == "land":
        return f"die Jobcenter des Landes {user.unit_id}"
    seen = visible(services, user)
    return "das eigene Jobcenter " + ", ".join(sorted(seen)) if seen else "kein Jobcenter"


def require_visible(request, services, user, jobcenter_id: str) -> None:
    """403 (audited ``compare.read`` denied) for a Jobcenter the role does not see by name."""
    seen = visible(services, user)
    if seen is not None and jobcenter_id not in seen:
        audit(request, user, f"jobcenter={jobcenter_id}", "denied")
        raise Forbidden(f"Die Rolle {user.rights.label} sieht im Vergleich nur "
                        f"{scope_label(services, user)}, nicht das Jobcenter {jobcenter_id}.")


def audit(request, user, scope: str, outcome: str) -> None:
    request.app.state.users.audit.record(user.name, "compare.read", scope, outcome,
                                         client_address(request))


# -- disclosure control -------------------------------------------------------------------------

def counts_persons(code: str) -> bool:
    return load().indicators[code].unit == "Personen"


def hidden_cells(c: Comparison, rule=DEFAULT_RULE) -> set[tuple]:
    """The cells to hide: ``(code, ("jc", id) | (level, key), field)`` for field numerator and
    denominator, of the measures that count persons."""
    out: set[tuple] = set()
    for code in c.measures:
        if not counts_persons(code):
            continue
        for f in ("numerator", "denominator"):
            values: dict[tuple, float] = {}
            members: dict[tuple, list[tuple]] = {}
            for r in c.rows:
                fig = r.figures.get(code)
                x = getattr(fig, f) if fig else None
                if isinstance(x, (int, float)):
                    values[("jc", r.jobcenter_id)] = x
                    for level, key in (("national", None), ("land", r.land),
                                       ("vergleichstyp", r.vergleichstyp)):
                        if level == "national" or key is not None:
                            members.setdefault((level, key), []).append(("jc", r.jobcenter_id))
            equations = []
            for a in c.aggregates:
                x = getattr(a.figures.get(code), f, None)
                cell = (a.level, a.key)
                if isinstance(x, (int, float)) and cell in members:
                    values[cell] = x
                    equations.append((cell, members[cell]))
            out |= {(code, cell, f) for cell in suppress(values, equations, rule=rule)}
    return out


def _hide(fig: Figure) -> Figure:
    return Figure(fig.code, None, None, None, HIDDEN)


def protect(c: Comparison, hide: bool) -> tuple[Comparison, set[tuple[str, str]]]:
    """The comparison as the role sees it (``hide``: disclosure control) and the hidden
    ``(jobcenter_id, code)`` pairs (their ranks and expectations are hidden too)."""
    if not hide:
        return c, set()
    cells = hidden_cells(c)
    gone = {(code, cell) for code, cell, _ in cells}
    rows = [replace(r, figures={k: _hide(f) if (k, ("jc", r.jobcenter_id)) in gone else f
                                for k, f in r.figures.items()}) for r in c.rows]
    aggs = [replace(a, figures={k: _hide(f) if (k, (a.level, a.key)) in gone else f
                                for k, f in a.figures.items()}) for a in c.aggregates]
    pairs = {(cell[1], code) for code, cell in gone if cell[0] == "jc"}
    return replace(c, rows=rows, aggregates=aggs), pairs


def hidden_rank(r: Rank) -> Rank:
    return replace(r, value=None, rank=None, reason=HIDDEN)


def hidden_expectation(e: Expectation) -> Expectation:
    return replace(e, actual=None, residual=None, log_ratio=None, verdict=None, reason=HIDDEN)


# -- what a role sees ---------------------------------------------------------------------------

def view_of(services, user, month: int, measures: tuple[str, ...] | None = None) -> dict:
    """The comparison of ``month`` as ``user`` sees it: ``comparison`` (rows of the Jobcenter it
    sees by name, all aggregates), ``ranks`` {by: {(jc, code): Rank}}, ``expected``
    {code: {jc: Expectation}} of the benchmarked measures, ``fits`` {code: Fit}, ``hidden``
    pairs, ``visible`` (None: all)."""
    full = comparison(services, month)
    c, hidden = protected(services, month, bool(user.rights.disclosure))
    seen = visible(services, user)
    codes = tuple(m for m in (measures or c.measures) if m in c.measures)
    rows = [r for r in c.rows if seen is None or r.jobcenter_id in seen]
    c = replace(c, rows=rows)
    by_rank = {}
    for by in ("vergleichstyp", "land"):
        rk = ranks(services, month, by)
        by_rank[by] = {(r.jobcenter_id, code): (hidden_rank(rk[(r.jobcenter_id, code)])
                                               if (r.jobcenter_id, code) in hidden
                                               else rk[(r.jobcenter_id, code)])
                       for r in rows for code in codes if (r.jobcenter_id, code) in rk}
    exp, fits = {}, {}
    ym = format_month(month)
    for code in codes:
        b = benchmark(services, (month,), code)
        if b is None:
            continue
        fits[code] = next((f for f in b.fits if f.month == ym), None)
        exp[code] = {e.jobcenter_id: (hidden_expectation(e) if (e.jobcenter_id, code) in hidden
                                      else e)
                     for e in b.rows if e.month == ym
                     and (seen is None or e.jobcenter_id in seen)}
    return {"comparison": c, "codes": codes, "ranks": by_rank, "expected": exp, "fits": fits,
            "hidden": hidden, "visible": seen, "jobcenters": len(full.rows)}


def peer_view(services, user, month: int, jobcenter_id: str) -> PeerPosition:
    """One Jobcenter among its peers as ``user`` sees it (hidden counts hide its figure, ranks
    and expectation; the quartiles stay: they are over many Jobcenter)."""
    p = peer_position(services, month, jobcenter_id)
    _, hidden = protected(services, month, bool(user.rights.disclosure))
    if not hidden:
        return p
    ms = []
    for pm in p.measures:
        if (jobcenter_id, pm.code) in hidden:
            pm = replace(pm, figure=_hide(pm.figure),
                         rank_vergleichstyp=hidden_rank(pm.rank_vergleichstyp),
                         rank_land=hidden_rank(pm.rank_land),
                         expectation=None if pm.expectation is None
                         else hidden_expectation(pm.expectation))
        ms.append(pm)
    figs = {k: _hide(f) if (jobcenter_id, k) in hidden else f
            for k, f in p.jobcenter.figures.items()}
    return replace(p, jobcenter=replace(p.jobcenter, figures=figs), measures=ms)


def benchmark_view(services, user, months: tuple[int, ...], measure: str) -> Benchmark | None:
    """Expected vs actual over ``months`` as ``user`` sees it (rows of the Jobcenter it sees by
    name; hidden counts hide actual, residual and verdict)."""
    b = benchmark(services, months, measure)
    if b is None:
        return None
    seen = visible(services, user)
    hide = bool(user.rights.disclosure)
    hidden = set()
    if hide:
        def make(ms: tuple[int, ...], code: str) -> set[tuple[str, str]]:
            if len(ms) == 1:  # the month's whole comparison (warmed) already says
                return {(jc, format_month(ms[0])) for jc, k in
                        protected(services, ms[0], True)[1] if k == code}
            return {(jc, format_month(m)) for m, c in comparisons(services, ms, code).items()
                    for jc, _ in protect(c, True)[1]}
        hidden = services.memoized("compare_hidden_span", make, tuple(months), measure)
    rows = [hidden_expectation(e) if (e.jobcenter_id, e.month) in hidden else e
            for e in b.rows if seen is None or e.jobcenter_id in seen]
    return replace(b, rows=rows)


def figure_records(v: dict, by: str) -> list[dict]:
    """Flat records of :func:`view_of`'s result, as ``amip compare --format json``
    (:func:`amip.compare.records.figure_records`, with the ranks as the role sees them)."""
    return records.figure_records(v["comparison"], by, list(v["ranks"][by].values()),
                                  v["codes"])
