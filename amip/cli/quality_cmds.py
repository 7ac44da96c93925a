"""`amip quality`: the data-quality monitor (rules, counts, trend, per team) as a German table,
JSON or CSV; with ``--rule ID --persons`` the flagged row keys of one rule (person-level: an
operator tool, see docs/quality.md); `amip quality trend` (per rule and month) and
`amip quality followup list|set` (the follow-up states of the steering store). Also the import
summary lines of `amip import`."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.catalogue.monitors import followup_states, quality_rules
from amip.cli.indicators_cmd import _month, write_csv
from amip.cli.steering_cmds import steering_option, user_option
from amip.cli.store_cmds import err, existing_store, open_store, say
from amip.engine.calendar import format_month, month_start
from amip.engine.quality_rules import (QualityReport, RuleChange, flagged_rows, quality_trend,
                                       report_json, rule_light, run_quality, still_flagged,
                                       trend_records)
from amip.errors import DataError as AmipDataError

console = Console()
LIGHT_DE = {"green": "grün", "yellow": "gelb", "red": "rot", "grey": "grau"}


def _unit_names(view) -> dict[str | None, str]:
    rows = view.table("units").select("unit_id", "name").to_pyarrow().to_pylist()
    return {r["unit_id"]: r["name"] or r["unit_id"] for r in rows}


def _emitted(fmt: str, data, keys: tuple, rows) -> bool:
    """Write ``data`` as JSON or ``rows`` (dicts) as German CSV with ``keys``; False for the
    table format (the caller prints it)."""
    if fmt == "json":
        json.dump(data, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return True
    if fmt == "csv":
        write_csv(keys, ([r[k] for k in keys] for r in rows))
        return True
    return False


PERSONS_WARNING = ("Hinweis: personenbezogene Zeilen (pseudonyme Personen-ID) – nur für "
                   "berechtigte Rollen; nicht weitergeben.")


def _count(n: int | None) -> str:
    return "nicht prüfbar" if n is None else i18n.num(n)


@click.group("quality", invoke_without_command=True)
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
@click.pass_context
def quality_cmd(ctx, store_path, month, months, jobcenter_id, rule_id, persons, fmt) -> None:
    """Datenqualität: Prüfregeln mit Auffälligkeiten, Verlauf und Teams; Unterbefehle trend
    (Verlauf je Regel und Monat) und followup (Nachverfolgung: offen, in Klärung, erledigt)."""
    if ctx.invoked_subcommand is not None:
        return
    if persons and not rule_id:
        raise click.UsageError("--persons nur zusammen mit --rule")
    store = open_store(store_path)
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
        say(err, PERSONS_WARNING, "yellow")
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
                       ("Fehlerquote (Ziel)", True), ("Ampel", False)):
        t.add_column(col, justify="right" if right else "left")
    for r in report.results:
        rate = "" if r.rates is None else \
            f"{i18n.pct(r.error_rate())} (< {i18n.num(r.rule.params['target_pct'])} %)"
        t.add_row(r.rule.name, r.rule.severity, _count(r.flagged),
                  "" if r.flagged is None else i18n.num(r.trend.get(prev, 0)),
                  "" if r.flagged is None else i18n.num(r.trend.get(last, 0)), rate,
                  LIGHT_DE[rule_light(r)[0]])
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
    if not _emitted(fmt, out, ROW_KEYS, out):
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


def import_change_lines(changes: list[RuleChange] | None) -> list[str]:
    """German: one line per rule with new or resolved rows since the previous import."""
    if not changes:
        return []
    rules = quality_rules()
    out = []
    for c in changes:
        if c.new or c.resolved:
            out.append(f"  {rules[c.rule_id].name}: {i18n.num(c.new)} neu, "
                       f"{i18n.num(c.resolved)} behoben (jetzt {i18n.num(c.now)}).")
    if not out:
        out.append("  Keine neuen und keine behobenen Auffälligkeiten.")
    return out


# -- amip quality trend ---------------------------------------------------------------------------

store_opt = click.option("--store", "store_path", type=click.Path(dir_okay=False),
                         help="Datenbestand (Standard: $AMIP_STORE oder amip.duckdb).")
month_opt = click.option("--month", "month", callback=_month,
                         help="Letzter Monat des Zeitraums JJJJ-MM (Standard: der letzte "
                              "Berichtsmonat).")
months_opt = click.option("--months", type=click.IntRange(1, 120), default=12,
                          show_default=True, help="Länge des Zeitraums in Monaten.")
jc_opt = click.option("--jobcenter", "jobcenter_id", help="Nur dieses Jobcenter.")
TREND_KEYS = ("rule_id", "month", "flagged", "errors", "items", "rate", "target_pct")


@quality_cmd.command("trend")
@store_opt
@month_opt
@months_opt
@jc_opt
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
def trend_cmd(store_path, month, months, jobcenter_id, fmt) -> None:
    """Verlauf je Prüfregel: Auffälligkeiten je Monat, bei den Fallprüfungen die Fehlerquote
    gegen das Ziel (< 5 %)."""
    store = open_store(store_path)
    try:
        report = quality_trend(store.view(), month, jobcenter_id, months)
    finally:
        store.close()
    records = trend_records(report)
    out = {"from": format_month(report.m_lo), "to": format_month(report.m_hi),
           "jobcenter_id": report.jobcenter_id, "trend": records,
           "not_checkable": [{"rule_id": r.rule.id, "reason": r.reason}
                             for r in report.results if r.flagged is None]}
    if _emitted(fmt, out, TREND_KEYS, records):
        return
    months_ = list(range(report.m_lo, report.m_hi + 1))
    t = Table(title=f"Datenqualität: Verlauf {_period(report)}", title_justify="left")
    t.add_column("Regel")
    for m in months_:
        t.add_column(i18n.month_short(month_start(m)), justify="right")
    t.add_column("Ampel")
    for r in report.results:
        if r.flagged is None:
            t.add_row(r.rule.name, *["" for _ in months_], "grau")
            continue
        cells = [i18n.num(r.trend.get(m, 0)) if r.rates is None else
                 f"{i18n.num(r.trend.get(m, 0))} ({i18n.pct(r.error_rate(m))})" for m in months_]
        t.add_row(r.rule.name, *cells, LIGHT_DE[rule_light(r)[0]])
    console.print(t)
    say(console, "Fallprüfungen: Prüfungen mit Fehlern (Fehlerquote = Fehler ÷ geprüfte "
                 "Merkmale; Ziel unter 5 %).")


# -- amip quality followup ------------------------------------------------------------------------

@quality_cmd.group("followup")
def followup_group() -> None:
    """Nachverfolgung der Auffälligkeiten je Team: offen, in Klärung, erledigt (behoben: nicht
    mehr auffällig)."""


FOLLOWUP_KEYS = ("rule_id", "row_key", "person_id", "jobcenter_id", "unit_id", "month",
                 "flagged", "state", "version", "recorded_at", "recorded_by", "reason", "note")


def _followup_json(i: dict) -> dict:
    out = {k: i.get(k) for k in FOLLOWUP_KEYS}
    out["month"] = None if i["m"] is None else format_month(i["m"])
    out["recorded_at"] = i["recorded_at"].isoformat() if i["recorded_at"] else None
    return out


@followup_group.command("list")
@store_opt
@steering_option
@month_opt
@months_opt
@jc_opt
@click.option("--unit", "unit_id", help="Nur dieses Team (unit_id).")
@click.option("--state", help="Nur dieser Status: offen, in Klärung, erledigt oder behoben.")
@click.option("--rule", "rule_id", type=click.Choice(list(quality_rules())),
              help="Nur diese Regel.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
def followup_list_cmd(store_path, steering_url, month, months, jobcenter_id, unit_id, state,
                      rule_id, fmt) -> None:
    """Die auffälligen Zeilen mit ihrem Status (personenbezogen: nur für berechtigte Rollen)."""
    from amip.steering import Steering
    from amip.steering.quality import followup_list

    path = existing_store(store_path)
    store = open_store(path)
    try:
        view = store.view()
        rows = flagged_rows(view, rule_id, month, jobcenter_id, months)
        with Steering.open(path, steering_url) as st:
            fus = st.followups(rule_id=rule_id)
        items = followup_list(
            rows, fus, state, None if unit_id is None else {unit_id},
            lambda r, keys: still_flagged(view, r, keys, month))
        names = _unit_names(view) if fmt == "table" else {}
    finally:
        store.close()
    say(err, PERSONS_WARNING, "yellow")
    out = [_followup_json(i) for i in items]
    if _emitted(fmt, out, FOLLOWUP_KEYS, out):
        return
    rules = quality_rules()
    t = Table(title=f"Nachverfolgung ({i18n.num(len(items))} Zeilen)", title_justify="left")
    for col in ("Regel", "Monat", "Team", "Person", "Zeilenschlüssel", "Status", "Version",
                "wer / wann", "Begründung"):
        t.add_column(col)
    for i in items:
        t.add_row(rules[i["rule_id"]].name,
                  "" if i["m"] is None else i18n.month(month_start(i["m"])),
                  names.get(i["unit_id"], i["unit_id"] or "ohne Team"), i["person_id"] or "",
                  i["row_key"], i["state_label"], str(i["version"]),
                  "" if not i["recorded_by"] else
                  f"{i['recorded_by']}, {i18n.local_time(i['recorded_at'])}", i["reason"] or "")
    console.print(t)


@followup_group.command("set")
@click.argument("rule_id", metavar="REGEL")
@click.argument("row_key", metavar="ZEILENSCHLÜSSEL")
@click.option("--state", required=True, help="offen, in Klärung oder erledigt.")
@click.option("--reason", help="Begründung (steht in der Version).")
@click.option("--note", help="Notiz zur Klärung.")
@click.option("--version", "expected_version", type=int, default=None,
              help="Die Version, auf der die Änderung beruht (Standard: die aktuelle).")
@store_opt
@steering_option
@user_option
def followup_set_cmd(rule_id, row_key, state, reason, note, expected_version, store_path,
                     steering_url, user) -> None:
    """Den Status einer auffälligen Zeile setzen (eine neue Version mit wer/wann/warum)."""
    from amip.steering import Steering

    path = existing_store(store_path)
    store = open_store(path)
    try:
        rows = [] if rule_id not in quality_rules() else [
            r for r in flagged_rows(store.view(), rule_id, months=120) if r["row_key"] == row_key]
    finally:
        store.close()
    with Steering.open(path, steering_url) as st:
        current = st.followup(rule_id, row_key)
        if not rows and current is None:
            raise AmipDataError(f"Nichts geändert. Die Regel {rule_id!r} hat keine auffällige "
                                f"Zeile {row_key!r} (amip quality followup list).")
        version = expected_version if expected_version is not None else \
            (current.version if current else 0)
        row = rows[0] if rows else {}
        saved = st.set_followup_state(rule_id, row_key, state, user, reason, version,
                                      row.get("jobcenter_id"), row.get("unit_id"), note)
    say(console, f"{quality_rules()[rule_id].name}, {row_key}: "
                 f"{followup_states().states[saved.state]} (Version {saved.version}, "
                 f"{saved.recorded_by}).")
