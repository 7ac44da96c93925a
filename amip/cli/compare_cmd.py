"""`amip compare`: all Jobcenter compared — figures with rankings and aggregates, expected vs
actual (``--expected``), or one Jobcenter among its peers (``--jobcenter``). JSON keys are
English and stable (amip/compare/README.md); the table is German."""

from __future__ import annotations

import dataclasses
import json
import sys

import click
from rich.table import Table

from amip import i18n
from amip.catalogue import load
from amip.cli.indicators_cmd import _date, _month, format_count, format_value, write_csv
from amip.cli.sources import source_options, source_view
from amip.cli.store_cmds import err, say, wide_console
from amip.compare import BY, expected, figures, peers
from amip.compare.config import config
from amip.compare.records import EXPECTED_KEYS, FIGURE_KEYS, figure_records
from amip.engine.calendar import month_start, parse_month
from amip.engine.horizon import NoFigures, horizon
from amip.engine.indicators import UnknownUnit, compute

BY_LABEL = {"vergleichstyp": "Vergleichstyp", "land": "Land"}


@click.command("compare")
@source_options
@click.option("--month", "month", callback=_month, required=True, help="Berichtsmonat JJJJ-MM.")
@click.option("--to", "to", callback=_month, help="Letzter Berichtsmonat einer Reihe JJJJ-MM.")
@click.option("--measure", "measures", multiple=True,
              help="Nur diese Kennzahl (mehrfach möglich); Standard: alle 15, mit --expected "
                   "die in compare.toml erklärten.")
@click.option("--by", type=click.Choice(BY), default="vergleichstyp", show_default=True,
              help="Rangfolge und Summen innerhalb des Vergleichstyps oder des Landes.")
@click.option("--jobcenter", "jobcenter_id", help="Ein Jobcenter unter seinesgleichen.")
@click.option("--expected", "with_expected", is_flag=True,
              help="Erwartet gegen tatsächlich: Regression auf die Rahmenbedingungen.")
@click.option("--as-of", "as_of", callback=_date,
              help="Zeilen, die nach diesem Tag erfasst wurden, nicht berücksichtigen.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "table"]), default="table",
              show_default=True, help="csv: deutsches CSV (Semikolon, Dezimalkomma).")
def compare_cmd(source, month, to, measures, by, jobcenter_id, with_expected, as_of, fmt):
    """Alle Jobcenter im Vergleich: Kennzahlen, Rangfolgen, erwartet gegen tatsächlich."""
    cat = load()
    unknown = [m for m in measures if m not in cat.indicators]
    if unknown:
        raise click.UsageError(f"unbekannte Kennzahl {', '.join(unknown)} "
                               f"(bekannt: {', '.join(cat.indicators)})")
    months = list(range(month, (to if to is not None else month) + 1))
    if not months:
        raise click.UsageError("--to liegt vor --month")
    if with_expected:
        measures = measures or config().measures
        wrong = [m for m in measures if m not in config().measures]
        if wrong:
            raise click.UsageError(f"{', '.join(wrong)} ist kein Vergleichsmaß für --expected "
                                   f"(erklärt in compare.toml: {', '.join(config().measures)})")
    try:
        with source_view(source, as_of) as view:
            months = horizon(view).check_months(months)
            if jobcenter_id:
                result = [peers(view, m, jobcenter_id, measures or None) for m in months]
                _emit_peers(result, fmt)
            elif with_expected:
                records = compute(view, months, codes=list(measures))
                result = [expected(view, months, m, records=records) for m in measures]
                _emit_expected(result, fmt)
            else:
                records = compute(view, months, codes=list(measures) or None)
                comps = [figures(view, m, measures or None, records=records) for m in months]
                _emit_figures(comps, by, fmt)
    except UnknownUnit as e:
        raise click.UsageError(str(e)) from None
    except NoFigures as e:
        say(err, f"Fehler: {e}", "red")
        sys.exit(2)


# -- figures ---------------------------------------------------------------------------------

def _emit_figures(comps, by: str, fmt: str) -> None:
    recs = [r for c in comps for r in figure_records(c, by)]
    if fmt == "json":
        _json(recs)
    elif fmt == "csv":
        write_csv(FIGURE_KEYS, ([r[k] for k in FIGURE_KEYS] for r in recs))
    else:
        _figures_table(comps, recs, by)


def _figures_table(comps, recs: list[dict], by: str) -> None:
    cat, console = load(), wide_console(130)
    for c in comps:
        title_month = i18n.month(month_start(parse_month(c.month)))
        for code in c.measures:
            rows = [r for r in recs if r["month"] == c.month and r["code"] == code]
            t = Table(title=f"{code} {cat.indicators[code].name} – {title_month} – "
                            f"Rang im {BY_LABEL[by]}", title_justify="left")
            for col, right in ((BY_LABEL[by], False), ("Jobcenter", False), ("Name", False),
                               ("Art", False), ("Zähler", True), ("Nenner", True),
                               ("Wert", True), ("Rang", True)):
                t.add_column(col, justify="right" if right else "left")
            reasons: dict[str, int] = {}
            jcs = sorted((r for r in rows if r["level"] == "jobcenter"),
                         key=lambda r: (r["group"] or "~", r["rank"] or 10**9, r["jobcenter_id"]))
            aggs = {r["key"]: r for r in rows if r["level"] == by}
            last = None
            for r in jcs:
                if r["group"] != last:
                    if last in aggs:
                        _agg_row(t, code, aggs[last], reasons)
                    last = r["group"]
                mark = _mark(r["reason"], reasons)
                t.add_row(r["group"] or "–", r["jobcenter_id"] + mark, r["name"],
                          "zkT" if r["kind"] == "zkt" else "gE",
                          format_count(code, r["numerator"]), format_count(code, r["denominator"]),
                          format_value(code, r["value"]),
                          f"{r['rank']} von {r['of']}" if r["rank"] else "–")
            if last in aggs:
                _agg_row(t, code, aggs[last], reasons)
            nat = next(r for r in rows if r["level"] == "national")
            t.add_section()
            t.add_row("Bund" + _mark(nat["reason"], reasons), "", f"{nat['of']} Jobcenter", "",
                      format_count(code, nat["numerator"]), format_count(code, nat["denominator"]),
                      format_value(code, nat["value"]), "")
            console.print(t)
            for note, i in reasons.items():
                say(console, f"({i}) {note}")


def _agg_row(t: Table, code: str, a: dict, reasons: dict) -> None:
    t.add_row(f"{a['key']} zusammen" + _mark(a["reason"], reasons), "", f"{a['of']} Jobcenter",
              "", format_count(code, a["numerator"]), format_count(code, a["denominator"]),
              format_value(code, a["value"]), "", style="bold")
    t.add_section()


def _mark(reason: str | None, reasons: dict[str, int]) -> str:
    if not reason:
        return ""
    return f" ({reasons.setdefault(reason, len(reasons) + 1)})"


# -- expected ---------------------------------------------------------------------------------

def _emit_expected(benches, fmt: str) -> None:
    if fmt == "json":
        _json([dataclasses.asdict(b) for b in benches])
    elif fmt == "csv":
        write_csv(EXPECTED_KEYS, ([b.measure, *(getattr(e, k) for k in EXPECTED_KEYS[1:])]
                                  for b in benches for e in b.rows))
    else:
        _expected_table(benches)


def _expected_table(benches) -> None:
    cat, console = load(), wide_console(130)
    for b in benches:
        name = f"{b.measure} {cat.indicators[b.measure].name}"
        level = i18n.pct(b.level * 100, 0)
        for fit in b.fits:
            mon = i18n.month(month_start(parse_month(fit.month)))
            if fit.reason:
                say(console, f"{name} – {mon}: keine Regression: {fit.reason}", "yellow")
                continue
            t = Table(title=f"{name} – {mon}: Einfluss der Rahmenbedingungen (n = "
                            f"{i18n.num(fit.n)}, erklärte Devianz {i18n.pct(fit.r2 * 100, 1)}, "
                            f"Dispersion {i18n.num(fit.dispersion, 2)})", title_justify="left")
            for col, right in (("Größe", False), ("Wirkung je Einheit", True),
                               (f"{level}-Konfidenzintervall", True), ("p-Wert", True)):
                t.add_column(col, justify="right" if right else "left")
            for co in fit.coefficients:
                t.add_row(co.label, _effect(co.estimate, co.name),
                          f"{_effect(co.lower, co.name)} bis {_effect(co.upper, co.name)}",
                          i18n.num(co.p_value, 3))
            console.print(t)
            t = Table(title=f"{name} – {mon}: erwartet gegen tatsächlich "
                            f"({level}-Vorhersageintervall)", title_justify="left")
            for col, right in (("Jobcenter", False), ("Ist", True), ("Erwartet", True),
                               ("Intervall", True), ("Abweichung (Pp.)", True), ("Urteil", False)):
                t.add_column(col, justify="right" if right else "left")
            rows = [e for e in b.rows if e.month == fit.month]
            rows.sort(key=lambda e: (e.log_ratio is None, -(e.log_ratio or 0)))
            for e in rows:
                if e.expected is None:
                    t.add_row(e.jobcenter_id, format_value(b.measure, e.actual), "–", "–", "–",
                              f"kein Vergleich: {e.reason}")
                    continue
                t.add_row(e.jobcenter_id, format_value(b.measure, e.actual),
                          format_value(b.measure, e.expected),
                          f"{format_value(b.measure, e.lower)} bis "
                          f"{format_value(b.measure, e.upper)}",
                          i18n.num(e.residual, 1), e.verdict)
            console.print(t)
        for s in b.stability:
            say(console, f"{name}: {i18n.month(month_start(parse_month(s.month)))} gegenüber dem "
                         f"Vormonat: Rangkorrelation der Abweichungen "
                         f"{'–' if s.spearman is None else i18n.num(s.spearman, 2)}, Urteil "
                         f"unverändert bei {'–' if s.verdict_kept is None else i18n.pct(s.verdict_kept * 100, 0)} "
                         f"von {i18n.num(s.n)} Jobcentern")


def _effect(beta: float, name: str) -> str:
    """A log-rate coefficient as the change of the expected rate in percent per unit."""
    import math

    if name == "const":
        return i18n.num(beta, 3)
    return i18n.pct((math.exp(beta) - 1) * 100, 1, signed=True)


# -- peers ------------------------------------------------------------------------------------

def _emit_peers(positions, fmt: str) -> None:
    if fmt == "json":
        _json([dataclasses.asdict(p) for p in positions])
        return
    if fmt == "csv":
        keys = ("month", "jobcenter_id", "code", "value", "rank_vergleichstyp",
                "of_vergleichstyp", "rank_land", "of_land", "q1", "median", "q3", "expected",
                "lower", "upper", "verdict", "reason")
        write_csv(keys, ([p.month, p.jobcenter.jobcenter_id, m.code, m.figure.value,
                          m.rank_vergleichstyp.rank, m.rank_vergleichstyp.of, m.rank_land.rank,
                          m.rank_land.of, m.q1, m.median, m.q3,
                          *((m.expectation.expected, m.expectation.lower, m.expectation.upper,
                             m.expectation.verdict) if m.expectation else (None,) * 4),
                          m.figure.reason] for p in positions for m in p.measures))
        return
    cat, console = load(), wide_console(140)
    for p in positions:
        jc = p.jobcenter
        t = Table(title=f"Jobcenter {jc.jobcenter_id} {jc.name} ({jc.land or '–'}, "
                        f"{'zkT' if jc.kind == 'zkt' else 'gE'}, Vergleichstyp "
                        f"{jc.vergleichstyp or '–'}) – {i18n.month(month_start(parse_month(p.month)))}",
                  title_justify="left")
        for col, right in (("Kennzahl", False), ("Wert", True), ("Rang Typ", True),
                           ("Rang Land", True), ("1. Quartil", True), ("Median", True),
                           ("3. Quartil", True), ("Erwartet", True), ("Urteil", False)):
            t.add_column(col, justify="right" if right else "left")
        reasons: dict[str, int] = {}
        for m in p.measures:
            e = m.expectation
            rv, rl = m.rank_vergleichstyp, m.rank_land
            t.add_row(m.code + _mark(m.figure.reason, reasons), format_value(m.code, m.figure.value),
                      f"{rv.rank} von {rv.of}" if rv.rank else "–",
                      f"{rl.rank} von {rl.of}" if rl.rank else "–",
                      format_value(m.code, m.q1), format_value(m.code, m.median),
                      format_value(m.code, m.q3),
                      format_value(m.code, e.expected) if e and e.expected is not None else "–",
                      (e.verdict if e.verdict else f"kein Vergleich{_mark(e.reason, reasons)}")
                      if e else "")
        console.print(t)
        for note, i in reasons.items():
            say(console, f"({i}) {note}")


def _json(obj) -> None:
    json.dump(obj, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
