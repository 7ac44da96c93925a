"""`amip quality`: the data-quality monitor (rules, counts, trend, per team) as a German table,
JSON or CSV; with ``--rule ID --persons`` the flagged row keys of one rule (person-level: an
operator tool, see docs/quality.md). Also the import summary line of `amip import`."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.catalogue.monitors import quality_rules
from amip.cli.indicators_cmd import _month, _open, write_csv
from amip.cli.store_cmds import err, say
from amip.engine.calendar import format_month, month_start
from amip.engine.quality_rules import QualityReport, RuleResult, flagged_rows, run_quality

console = Console()


def rule_json(r: RuleResult) -> dict:
    d = {**r.rule.as_json(), "flagged": r.flagged, "reason": r.reason,
         "trend": [{"month": format_month(m), "flagged": n} for m, n in r.trend.items()],
         "by_team": [{"unit_id": u, "flagged": n} for u, n in
                     sorted(r.by_team.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]}
    if r.rates is not None:
        d["error_rate"] = r.error_rate()
        d["target_pct"] = r.rule.params.get("target_pct")
        d["error_rates"] = [{"month": format_month(m), "errors": e, "items": i,
                             "rate": r.error_rate(m)} for m, (e, i) in sorted(r.rates.items())]
    return d


def report_json(report: QualityReport) -> dict:
    return {"from": format_month(report.m_lo), "to": format_month(report.m_hi),
            "jobcenter_id": report.jobcenter_id, "total": report.total,
            "rules": [rule_json(r) for r in report.results]}


def _unit_names(view) -> dict[str | None, str]:
    rows = view.table("units").select("unit_id", "name").to_pyarrow().to_pylist()
    return {r["unit_id"]: r["name"] or r["unit_id"] for r in rows}


def _count(n: int | None) -> str:
    return "nicht prüfbar" if n is None else i18n.num(n)


@click.command("quality")
@click.option("--store", "store_path", type=click.Path(dir_okay=False),
              help="Datenbestand (Standard: $AMIP_STORE oder amip.duckdb).")
@click.option("--month", "month", callback=_month,
              help="Letzter Monat des Zeitraums JJJJ-MM (Standard: der letzte Berichtsmonat).")
@click.option("--months", type=click.IntRange(1, 120), default=12, show_default=True,
              help="Länge des Zeitraums in Monaten.")
@click.option("--jobcenter", "jobcenter_id", help="Nur dieses Jobcenter.")
@click.option("--rule", "rule_id", type=click.Choice(list(quality_rules())),
              help="Nur diese Regel (mit Verlauf und Teams).")
@click.option("--persons", is_flag=True,
              help="Die auffälligen Zeilen der Regel (--rule) mit Personen-ID auflisten: nur für "
                   "Rollen, die Personen sehen dürfen.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="csv: deutsches CSV (Semikolon, Dezimalkomma).")
def quality_cmd(store_path, month, months, jobcenter_id, rule_id, persons, fmt) -> None:
    """Datenqualität: Prüfregeln mit Auffälligkeiten, Verlauf und Teams."""
    if persons and not rule_id:
        raise click.UsageError("--persons nur zusammen mit --rule")
    store = _open(None, store_path)
    try:
        view = store.view()
        if persons:
            rows = flagged_rows(view, rule_id, month, jobcenter_id, months)
            names = _unit_names(view) if fmt == "table" else {}
        else:
            report = run_quality(view, month, jobcenter_id, months,
                                 [rule_id] if rule_id else None)
            names = _unit_names(view) if fmt == "table" else {}
    finally:
        store.close()
    if persons:
        say(err, "Hinweis: personenbezogene Zeilen (pseudonyme Personen-ID) – nur für "
                 "berechtigte Rollen; nicht weitergeben.", "yellow")
        _emit_rows(rows, fmt, names)
        return
    if fmt == "json":
        json.dump(report_json(report), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    elif fmt == "csv":
        write_csv(("rule_id", "name", "severity", "unit", "flagged", "error_rate", "target_pct",
                   "reason"),
                  ([r.rule.id, r.rule.name, r.rule.severity, r.rule.unit, r.flagged,
                    r.error_rate(), r.rule.params.get("target_pct"), r.reason]
                   for r in report.results))
    else:
        _table(report, names, detail=rule_id is not None)


def _period(report: QualityReport) -> str:
    return f"{i18n.month(month_start(report.m_lo))} bis {i18n.month(month_start(report.m_hi))}"


def _table(report: QualityReport, names: dict, detail: bool) -> None:
    last, prev = report.m_hi, report.m_hi - 1
    t = Table(title=f"Datenqualität {_period(report)}"
                    + (f" – Jobcenter {report.jobcenter_id}" if report.jobcenter_id else ""),
              title_justify="left")
    for col, right in (("Regel", False), ("Schwere", False), ("Auffälligkeiten", True),
                       (i18n.month(month_start(prev)), True), (i18n.month(month_start(last)), True),
                       ("Fehlerquote (Ziel)", True)):
        t.add_column(col, justify="right" if right else "left")
    for r in report.results:
        rate = "" if r.rates is None else \
            f"{i18n.pct(r.error_rate())} (< {i18n.num(r.rule.params['target_pct'])} %)"
        t.add_row(r.rule.name, r.rule.severity, _count(r.flagged),
                  "" if r.flagged is None else i18n.num(r.trend.get(prev, 0)),
                  "" if r.flagged is None else i18n.num(r.trend.get(last, 0)), rate)
    console.print(t)
    for r in report.results:
        if r.reason:
            say(console, f"{r.rule.name}: {r.reason}")
    say(console, f"Insgesamt {i18n.num(report.total)} Auffälligkeiten in "
                 f"{i18n.num(len(report.results))} Regeln.")
    if not detail:
        return
    for r in report.results:
        if r.flagged is None:
            continue
        t = Table(title=f"{r.rule.name}: Verlauf", title_justify="left")
        t.add_column("Monat")
        t.add_column(r.rule.unit, justify="right")
        if r.rates is not None:
            t.add_column("Fehlerquote", justify="right")
        for m, n in r.trend.items():
            row = [i18n.month(month_start(m)), i18n.num(n)]
            if r.rates is not None:
                row.append(i18n.pct(r.error_rate(m)))
            t.add_row(*row)
        console.print(t)
        t = Table(title=f"{r.rule.name}: je Team", title_justify="left")
        t.add_column("Team")
        t.add_column(r.rule.unit, justify="right")
        for u, n in sorted(r.by_team.items(), key=lambda kv: -kv[1]):
            t.add_row("ohne Team" if u is None else names.get(u, u), i18n.num(n))
        console.print(t)


ROW_KEYS = ("rule_id", "row_key", "person_id", "jobcenter_id", "month", "unit_id")


def _emit_rows(rows: list[dict], fmt: str, names: dict) -> None:
    out = [{**{k: r[k] for k in ROW_KEYS if k in r}, "month": format_month(r["m"])} for r in rows]
    out = [{k: o[k] for k in ROW_KEYS} for o in out]
    if fmt == "json":
        json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    elif fmt == "csv":
        write_csv(ROW_KEYS, ([o[k] for k in ROW_KEYS] for o in out))
    else:
        t = Table(title=f"Auffällige Zeilen ({i18n.num(len(out))})", title_justify="left")
        for col in ("Monat", "Team", "Person", "Zeilenschlüssel"):
            t.add_column(col)
        for o in out:
            t.add_row(o["month"], names.get(o["unit_id"], o["unit_id"] or "ohne Team"),
                      o["person_id"], o["row_key"])
        console.print(t)


def import_summary_line(now: dict[str, int | None], before: dict[str, int | None] | None) -> str:
    """German: 'Datenqualität: n Regeln, m Auffälligkeiten (± vs. letztem Import)'."""
    checked = [v for v in now.values() if v is not None]
    total = sum(checked)
    text = f"Datenqualität: {i18n.num(len(checked))} Regeln, {i18n.num(total)} Auffälligkeiten"
    if before is None:
        return text + " (erste Prüfung)."
    diff = total - sum(v for k, v in before.items() if v is not None and now.get(k) is not None)
    changed = [quality_rules()[k].name for k, v in now.items()
               if k in quality_rules() and v is not None and before.get(k) is not None
               and v != before[k]]
    sign = "±" if diff == 0 else ("+" if diff > 0 else "−")
    text += f" ({sign}{i18n.num(abs(diff))} gegenüber dem letzten Import"
    if changed:
        text += f"; verändert: {', '.join(changed[:3])}" + (" …" if len(changed) > 3 else "")
    return text + ")."
