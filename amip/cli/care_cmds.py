"""`amip care`: the Intensivbetreuung from the command line — candidate list, enrolment, contacts,
ending, status list and outcomes (a thin shell over :mod:`amip.engine.care` and
:mod:`amip.steering.care`; German tables, English JSON keys, numbers unrounded)."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.cli.indicators_cmd import _date, _month
from amip.cli.steering_cmds import reason_option, steering_option, user_option
from amip.cli.store_cmds import open_store, say, store_file
from amip.engine.care import care_candidates
from amip.engine.horizon import horizon
from amip.steering import Steering
from amip.steering.care import enrol_checked, outcomes_of, status_of

console = Console()
PHASE = {"laufend": "laufend", "abgelaufen": "abgelaufen", "beendet": "beendet"}

store_opt = click.option("--store", "store_path", type=click.Path(dir_okay=False),
                         help="Datenbestand (Standard: $AMIP_STORE oder amip.duckdb).")
format_opt = click.option("--format", "fmt", type=click.Choice(["table", "json"]),
                          default="table", show_default=True)


@click.group("care")
def care_group() -> None:
    """Intensivbetreuung: Kandidaten nahe der LZB-Schwelle, Einschreibung, Kontakte, Ergebnisse."""


def _json(data) -> None:
    def default(v):
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()
        raise TypeError(type(v))
    json.dump(data, sys.stdout, indent=1, ensure_ascii=False, default=default)
    sys.stdout.write("\n")


def _view_run(store_path, fn):
    store = open_store(store_path)
    try:
        return fn(store.view())
    finally:
        store.close()


@care_group.command("candidates")
@store_opt
@click.option("--month", callback=_month, required=True, help="Berichtsmonat JJJJ-MM.")
@click.option("--caseworker", "caseworker_id", help="Nur der Bestand dieser Fachkraft.")
@click.option("--unit", "unit_id", help="Nur dieses Team.")
@click.option("--jobcenter", "jobcenter_id", help="Das Jobcenter (bei mehreren).")
@format_opt
def candidates_cmd(store_path, month, caseworker_id, unit_id, jobcenter_id, fmt) -> None:
    """Kandidaten: ELB, noch nicht LZB, höchstens die erklärte Zahl Tage vor der LZB-Schwelle
    (638 von 730 Tagen), nach verbleibenden Tagen sortiert."""
    from amip.risk.reasons import candidate_scores

    rows = _view_run(store_path, lambda v: care_candidates(
        v, month, caseworker_id, unit_id, jobcenter_id,
        candidate_scores(v, store_file(store_path), month)))
    if fmt == "json":
        return _json(rows)
    t = Table(title=f"Kandidaten für Intensivbetreuung, Stichtag {i18n.month(_start(month))}",
              title_justify="left")
    for col, right in (("Person", False), ("Team", False), ("Fachkraft", False),
                       ("Tage im Fenster", True), ("Tage bis LZB", True),
                       ("Altersgruppe", False), ("Geschlecht", False), ("BG-Typ", False),
                       ("Frühwarnung", True)):
        t.add_column(col, justify="right" if right else "left")
    for r in rows:
        t.add_row(r["person_id"], r["unit_id"] or "–", r["caseworker_id"] or "–",
                  i18n.num(r["days_in_window"]), i18n.num(r["days_left"]),
                  r["age_group"] or "–", r["sex"] or "–", r["bg_type"] or "–",
                  "–" if r["score"] is None else i18n.num(r["score"], 2))
    console.print(t)
    reason = next((r["score_reason"] for r in rows if r["score_reason"]), None)
    say(console, f"{i18n.num(len(rows))} Kandidaten" + (f"; {reason}." if reason else "."))


def _start(m: int) -> dt.date:
    from amip.engine.calendar import month_start

    return month_start(m)


@care_group.command("enrol")
@click.argument("person_id")
@store_opt
@steering_option
@click.option("--caseworker", "caseworker_id", required=True, help="Die Fachkraft.")
@click.option("--month", callback=_month, required=True, help="Beginn (Monat JJJJ-MM).")
@click.option("--jobcenter", "jobcenter_id", help="Das Jobcenter (Standard: das der Person).")
@reason_option
@user_option
@format_opt
def enrol_cmd(person_id, store_path, steering_url, caseworker_id, month, jobcenter_id, reason,
              user, fmt) -> None:
    """Eine Person in die Intensivbetreuung aufnehmen (sechs Monate; über das Kontingent
    hinaus nur mit --reason)."""
    with Steering.open(store_file(store_path), steering_url) as st:
        row = _view_run(store_path, lambda v: enrol_checked(v, st, jobcenter_id, person_id,
                                                            caseworker_id, month, user, reason))
    _done(row, fmt, f"{person_id} eingeschrieben bei {caseworker_id}: "
                    f"{i18n.day(row.start_on)} bis {i18n.day(row.planned_end)}.")


def _row_json(row) -> dict:
    return {k: getattr(row, k) for k in row.__dataclass_fields__}


def _done(row, fmt: str, text: str) -> None:
    if fmt == "json":
        _json(_row_json(row))
    else:
        say(console, text, "green")


@care_group.command("end")
@click.argument("person_id")
@store_opt
@steering_option
@click.option("--reason", required=True, help="Grund des Endes (Pflicht).")
@click.option("--on", "ended_on", callback=_date, help="Ende (JJJJ-MM-TT; Standard: heute).")
@user_option
@format_opt
def end_cmd(person_id, store_path, steering_url, reason, ended_on, user, fmt) -> None:
    """Die laufende Intensivbetreuung einer Person beenden."""
    with Steering.open(store_file(store_path), steering_url) as st:
        row = st.end_enrolment(person_id, user, reason, ended_on)
    _done(row, fmt, f"Intensivbetreuung von {person_id} beendet am {i18n.day(row.ended_on)}.")


@care_group.command("contact")
@click.argument("person_id")
@store_opt
@steering_option
@click.option("--on", "contact_on", callback=_date, required=True, help="Datum JJJJ-MM-TT.")
@click.option("--kind", required=True,
              help="beratung, eingliederungsvereinbarung, nachbetreuung oder other.")
@click.option("--caseworker", "caseworker_id",
              help="Die Fachkraft (Standard: die der Intensivbetreuung).")
@click.option("--note", help="Notiz.")
@user_option
@format_opt
def contact_cmd(person_id, store_path, steering_url, contact_on, kind, caseworker_id, note,
                user, fmt) -> None:
    """Einen Beratungskontakt erfassen."""
    with Steering.open(store_file(store_path), steering_url) as st:
        if caseworker_id is None:
            mine = st.enrolments(person_id=person_id)
            caseworker_id = mine[-1].caseworker_id if mine else "-"
        row = st.record_contact(person_id, caseworker_id, contact_on, kind, user, note)
    _done(row, fmt, f"Kontakt ({kind}) mit {person_id} am {i18n.day(row.contact_on)} erfasst.")


@care_group.command("list")
@store_opt
@steering_option
@click.option("--month", callback=_month, help="Stand zum Monat JJJJ-MM (Standard: der letzte "
                                               "vollständige Monat).")
@click.option("--caseworker", "caseworker_id", help="Nur diese Fachkraft.")
@click.option("--unit", "unit_id", help="Nur dieses Team.")
@format_opt
def list_cmd(store_path, steering_url, month, caseworker_id, unit_id, fmt) -> None:
    """Intensivbetreuungen mit fälligen und überfälligen Kontakten und Nachbetreuung."""
    with Steering.open(store_file(store_path), steering_url) as st:
        def run(view):
            m = month if month is not None else horizon(view).latest_complete()
            return m, status_of(view, st, m, caseworker_id=caseworker_id,
                                unit_ids=None if unit_id is None else {unit_id})
        m, rows = _view_run(store_path, run)
    if fmt == "json":
        return _json(rows)
    t = Table(title=f"Intensivbetreuung, Stand {i18n.month(_start(m))}", title_justify="left")
    for col in ("Person", "Fachkraft", "Team", "Beginn", "Ende geplant", "Phase", "Kontakte",
                "fällig", "überfällig", "Arbeitsaufnahme", "Nachbetreuung"):
        t.add_column(col)
    for r in rows:
        follow = "–" if r["job_start"] is None else ("erfasst" if r["followup_done"]
                                                     else "fällig")
        t.add_row(r["person_id"], r["caseworker_id"], r["unit_id"] or "–",
                  i18n.day(r["start_on"]), i18n.day(r["planned_end"]), PHASE[r["phase"]],
                  f"{r['contacts_done']} von {r['contacts_due']}",
                  "ja" if r["contact_due_now"] else "nein", i18n.num(r["overdue"]),
                  "–" if r["job_start"] is None else i18n.day(r["job_start"]), follow)
    console.print(t)


@care_group.command("outcomes")
@store_opt
@steering_option
@click.option("--month", callback=_month, required=True, help="Beobachtet bis Monat JJJJ-MM.")
@click.option("--jobcenter", "jobcenter_id", help="Das Jobcenter (bei mehreren).")
@format_opt
def outcomes_cmd(store_path, steering_url, month, jobcenter_id, fmt) -> None:
    """Ergebnisse: Integration während oder nach der Intensivbetreuung, verglichen mit
    ähnlichen nicht betreuten Kandidaten (beschreibend, kein Wirkungsnachweis)."""
    with Steering.open(store_file(store_path), steering_url) as st:
        data = _view_run(store_path, lambda v: outcomes_of(v, st, month, jobcenter_id))
    if fmt == "json":
        return _json(data)
    s = data["summary"]
    say(console, f"Ergebnisse der Intensivbetreuung bis {i18n.month(_start(month))} – "
                 f"{data['label']}.")
    t = Table(title_justify="left")
    t.add_column("Größe")
    t.add_column("Wert", justify="right")
    for label, value in (("Intensivbetreuungen", i18n.num(s["enrolments"])),
                         ("davon abschließend beobachtet", i18n.num(s["observed"])),
                         ("Integration während", i18n.num(s["during"])),
                         ("Integration danach (≤ 6 Monate)", i18n.num(s["after"])),
                         ("Integrationsanteil", _pct(s["rate"])),
                         ("mit Vergleichsgruppe", i18n.num(s["matched"])),
                         ("Vergleichspersonen", i18n.num(s["controls"])),
                         ("Anteil der Betreuten mit Vergleich", _pct(s["matched_rate"])),
                         ("Anteil der Vergleichsgruppe", _pct(s["comparison_rate"]))):
        t.add_row(label, value)
    console.print(t)


def _pct(value: float | None) -> str:
    return i18n.pct(None if value is None else value * 100)


__all__ = ["care_group"]
