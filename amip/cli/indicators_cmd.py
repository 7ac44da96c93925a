"""`amip indicators`: the § 48a measures as JSON, CSV or a German table (a stable contract)."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.catalogue import load
from amip.cli.sources import Source, source_options, source_view
from amip.cli.store_cmds import err, say, wide_console
from amip.engine.calendar import format_month, month_start, parse_month
from amip.engine.comparison import RULE_MARK, incomparable
from amip.engine.horizon import NoFigures, horizon
from amip.engine.indicators import JSON_KEYS, Record, UnknownUnit, compute

SEX_LABELS = {"all": "Insgesamt", "m": "Männer", "w": "Frauen"}


def _month(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"kein Datum: {value!r} (erwartet JJJJ-MM-TT)") from None


@click.command("indicators")
@source_options
@click.option("--month", "month", callback=_month, help="Berichtsmonat JJJJ-MM.")
@click.option("--to", "to", callback=_month, help="Letzter Berichtsmonat einer Reihe JJJJ-MM.")
@click.option("--jobcenter", "jobcenter_id", help="Nur dieses Jobcenter.")
@click.option("--unit", "unit_id", help="Ein Standort oder Team: Personen nach Zuständigkeit "
                                          "(caseload).")
@click.option("--as-of", "as_of", callback=_date,
              help="Zeilen, die nach diesem Tag erfasst wurden, nicht berücksichtigen.")
@click.option("--published", is_flag=True, help="Die Wartezeit von drei Monaten je Monat anwenden "
                                                "(wie veröffentlicht).")
@click.option("--rules", type=click.Choice(sorted(load().rules)),
              help="Eine Regelversion erzwingen.")
@click.option("--jfw", is_flag=True, help="Jahresfortschrittswert der Quoten.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "table", "md"]),
              default="table", show_default=True,
              help="csv: deutsches CSV (Semikolon, Dezimalkomma, UTF-8 mit BOM); md: der Katalog "
                   "als Markdown (--list).")
@click.option("--list", "list_only", is_flag=True, help="Den Katalog auflisten.")
def indicators_cmd(source: Source, month, to, jobcenter_id, unit_id, as_of, published,
                   rules, jfw, fmt, list_only) -> None:
    """Die Kennzahlen nach § 48a SGB II für einen Monat oder eine Reihe."""
    if list_only:
        _print_catalogue(fmt)
        return
    if month is None:
        raise click.UsageError("--month fehlt (Berichtsmonat JJJJ-MM)")
    if fmt == "md":
        raise click.UsageError("--format md gibt es nur mit --list")
    if as_of and published:
        raise click.UsageError("--as-of und --published schließen einander aus")
    if source.data_dir and source.store_path:
        raise click.UsageError("--data oder --store angeben, nicht beides")
    months = list(range(month, (to if to is not None else month) + 1))
    if not months:
        raise click.UsageError("--to liegt vor --month")
    try:
        with source_view(source, as_of) as view:
            reach = horizon(view)
            asked, months = months, reach.check_months(months, rules)  # §10.2 item 30
            records = compute(view, months, jobcenter_id, unit_id, published, rules, jfw)
    except UnknownUnit as e:
        raise click.UsageError(str(e)) from None
    except NoFigures as e:
        say(err, f"Fehler: {e}", "red")
        sys.exit(2)
    _emit(records, fmt, with_unit=unit_id is not None)
    if months != asked:
        say(err, f"Hinweis: die Reihe beginnt und endet, wo es Kennzahlen gibt: "
                 f"{i18n.month(month_start(months[0]))} bis {i18n.month(month_start(months[-1]))}. "
                 f"{reach.covered_text(rules)}", "yellow")


def _emit(records: list[Record], fmt: str, with_unit: bool) -> None:
    keys = JSON_KEYS + (("unit_id",) if with_unit else ())
    if fmt == "json":
        json.dump([{k: getattr(r, k) for k in keys} for r in records], sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif fmt == "csv":
        write_csv(keys, ([getattr(r, k) for k in keys] for r in records))
    else:
        _table(records)


def write_csv(header, rows) -> None:
    """German CSV to stdout, as the reports write it (UTF-8 with BOM, ``;``, decimal comma,
    CRLF, empty for null); the header keeps the field names of the JSON records."""
    from amip.reports.export import csv_cell, write_csv_rows

    sys.stdout.flush()
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8-sig", newline="")
    write_csv_rows(out, [list(header), *([csv_cell(v) for v in row] for row in rows)])
    out.flush()
    out.detach()


def format_value(code: str, value: float | None) -> str:
    """German display: change rates signed, all in percent with one decimal."""
    return i18n.pct(value, 1, signed=load().indicators[code].is_change)


def format_count(code: str, x: float | int | None) -> str:
    if x is None:
        return "–"
    ind = load().indicators[code]
    if ind.unit == "EUR":
        return i18n.eur(x)
    return i18n.num(x, 0 if float(x).is_integer() else 1)


def _table(records: list[Record]) -> None:
    cat, console = load(), wide_console(130)
    blocks: dict[tuple, dict] = {}
    for r in records:
        blocks.setdefault((r.jobcenter_id, r.unit_id, r.month, r.rules, r.basis), {}) \
            .setdefault(r.code, {})[r.sex] = r
    series = {(jc, unit, month, basis): v for (jc, unit, month, _, basis), v in blocks.items()}
    for (jc, unit, month, rules, basis), by_code in blocks.items():
        title = (f"Kennzahlen nach § 48a SGB II – Jobcenter {jc}"
                 + (f", Einheit {unit}" if unit else "")
                 + f" – {i18n.month(month_start(parse_month(month)))}"
                 + (" – Jahresfortschrittswert" if basis == "jfw" else "")
                 + f" ({cat.rules[rules].label})")
        t = Table(title=title, title_justify="left")
        for col, right in (("Kennzahl", False), ("Bezeichnung", False), ("Zähler", True),
                           ("Nenner", True), ("Insgesamt", True), ("Männer", True), ("Frauen", True)):
            t.add_column(col, justify="right" if right else "left")
        reasons: dict[str, int] = {}  # reason -> its footnote number
        # the month before in the same series: a value there under other rules does not compare
        before = series.get((jc, unit, format_month(parse_month(month) - 1), basis), {})
        for code, sexes in by_code.items():
            a = sexes["all"]
            notes = [f"kein Wert: {a.reason}"] if a.reason else []
            prev = before.get(code, {}).get("all")
            if prev is not None and (why := incomparable(code, rules, prev.rules)):
                notes.append(f"{RULE_MARK} gegenüber dem Vormonat – {why}")
            mark = "".join(f" ({reasons.setdefault(n, len(reasons) + 1)})" for n in notes)
            t.add_row(code + mark, cat.indicators[code].name_under(cat.rules[rules]),
                      format_count(code, a.numerator), format_count(code, a.denominator),
                      *(format_value(code, sexes[s].value) for s in ("all", "m", "w")))
        console.print(t)
        for note, i in reasons.items():
            say(console, f"({i}) {note}")


def _print_catalogue(fmt: str) -> None:
    cat = load()
    if fmt == "md":
        from amip.catalogue.document import render_markdown

        sys.stdout.write(render_markdown())
        return
    rows = [dict(code=i.code, name=i.name, kind=i.kind, goal=i.goal, legal_basis=i.legal_basis,
                 form=i.form, numerator=i.numerator, denominator=i.denominator)
            for i in cat.indicators.values()]
    if fmt == "json":
        json.dump(rows, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    if fmt == "csv":
        write_csv(list(rows[0]), (list(r.values()) for r in rows))
        return
    t = Table(title="Kennzahlen nach § 48a SGB II (Katalog)", title_justify="left")
    for col in ("Kennzahl", "Bezeichnung", "Art", "Rechtsgrundlage", "Form"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["code"], r["name"], r["kind"], r["legal_basis"], r["form"])
    Console().print(t)
    for v in cat.rules.values():
        Console().print(f"{v.label}: gültig ab {i18n.day(v.valid_from)}"
                        + (f" bis {i18n.day(v.valid_to)}" if v.valid_to else "") + f" – {v.title}")
