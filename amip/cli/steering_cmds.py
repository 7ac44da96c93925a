"""`amip targets`, `amip plan`, `amip measures`: the steering store from the command line (a
thin shell over :mod:`amip.steering`; German output, English JSON keys)."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sys
from decimal import Decimal

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.catalogue.targets import DIRECTIONS, KINDS, UNITS
from amip.errors import AmipError
from amip.cli.indicators_cmd import write_csv
from amip.cli.store_cmds import say, store_option
from amip.steering import Steering, known_jobcenters, known_units
from amip.store import Store

console = Console()
err_console = Console(stderr=True)

TARGET_KEYS = ("jobcenter_id", "unit_id", "year", "measure", "sex", "value", "status", "source",
               "note", "version", "recorded_at", "recorded_by", "reason")
HISTORY_KEYS = TARGET_KEYS + ("operation",)
MEASURE_KEYS = ("id", "name", "kind", "unit", "direction", "source", "scope")
SEX = {"all": "Insgesamt", "m": "Männer", "w": "Frauen"}
STATUS = {"vereinbart": "vereinbart", "in_abstimmung": "in Abstimmung"}
OPERATION = {"create": "angelegt", "change": "geändert", "withdraw": "zurückgezogen"}

steering_option = click.option(
    "--steering", "steering_url", envvar="AMIP_STEERING",
    help="Steuerungsdaten (Ziele, Pläne): SQLAlchemy-URL, z. B. postgresql://amip@host/amip "
         "(Standard: $AMIP_STEERING oder die SQLite-Datei neben dem Datenbestand, "
         "amip.steering.sqlite).")


def _default_user() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid
        return "cli"


user_option = click.option("--user", "user", default=_default_user,
                           show_default="cli:<Anmeldename>", help="Wer ändert (steht in jeder "
                                                                   "Version).")
reason_option = click.option("--reason", help="Begründung der Änderung (Pflicht, wenn ein "
                                              "vereinbartes Ziel geändert wird).")


def _as_of(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else \
            dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"kein Datum: {value!r} (erwartet JJJJ-MM-TT oder "
                                 "JJJJ-MM-TTThh:mm:ss)") from None


def _steering(store_path: str, url: str | None) -> Steering:
    return Steering.open(store_path, url)


def _org(store_path: str):
    """Units and Jobcenter of the extract store, for the checks of an import."""
    try:
        store = Store.open(store_path, read_only=True)
    except FileNotFoundError as e:
        raise click.UsageError(str(e)) from None
    try:
        view = store.view()
        return known_units(view), known_jobcenters(view)
    finally:
        store.close()


def _json_value(v):
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    return v


def _emit(rows, keys, fmt: str, table) -> None:
    if fmt == "json":
        json.dump([{k: _json_value(getattr(r, k)) for k in keys} for r in rows], sys.stdout,
                  indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    elif fmt == "csv":
        write_csv(keys, ([i18n.local_time(v) if isinstance(v, dt.datetime) else v
                          for v in (getattr(r, k) for k in keys)] for r in rows))
    else:
        table(rows)


def _value_text(value: Decimal | None, measure) -> str:
    """A target value in its unit: a change of a stock (K3) as a signed percent."""
    if value is None:
        return "in Abstimmung"
    digits = max(0, -value.as_tuple().exponent)
    unit = measure.unit if measure else "persons"
    if measure is not None and measure.kind == "stock":
        return i18n.pct(value, digits, signed=True)
    if unit == "percent":
        return i18n.pct(value, digits)
    if unit == "eur":
        return i18n.eur(value, cents=digits > 0)
    return i18n.num(value, digits)


def _targets_table(rows, measures, title: str, history: bool = False) -> None:
    t = Table(title=title, title_justify="left")
    cols = ["Jobcenter", "Einheit", "Jahr", "Messgröße", "Geschlecht", "Zielwert", "Status",
            "Version", "erfasst", "von"] + (["Änderung", "Begründung"] if history else
                                            ["Bemerkung"])
    for c in cols:
        t.add_column(c, justify="right" if c in ("Zielwert", "Version", "Jahr") else "left")
    for r in rows:
        m = measures.get(r.measure)
        cells = [r.jobcenter_id, r.unit_id or "Jobcenter", str(r.year),
                 m.name if m else r.measure, SEX.get(r.sex, r.sex),
                 _value_text(r.value, m), STATUS.get(r.status, r.status),
                 str(r.version), i18n.local_time(r.recorded_at), r.recorded_by]
        cells += [OPERATION.get(r.operation, r.operation), r.reason or "–"] if history \
            else [r.note or "–"]
        t.add_row(*cells)
    Console(width=max(console.width, 160)).print(t)
    if not rows:
        say(console, "Keine Ziele.")


def _imported(what: str, file, s) -> None:
    """The German summary of an import: entries new, changed, unchanged."""
    say(console, f"{what} aus {file}: {i18n.num(s.new)} neu, {i18n.num(s.changed)} geändert, "
                 f"{i18n.num(s.unchanged)} unverändert.")


# -- targets ------------------------------------------------------------------------------------

@click.group("targets")
def targets_group() -> None:
    """Ziele: importieren, auflisten, Verlauf (jede Änderung eine neue Version)."""


@targets_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@store_option
@steering_option
@reason_option
@user_option
def targets_import(file, store_path, steering_url, reason, user) -> None:
    """Ziele aus einer targets.csv übernehmen (ganz oder gar nicht; ; oder , getrennt)."""
    units, jobcenters = _org(store_path)
    with _steering(store_path, steering_url) as st:
        s = st.import_targets(file, user, reason, units, jobcenters)
    _imported("Ziele", file, s)
    if s.new or s.changed:
        _keep_counts(store_path, steering_url)


def _keep_counts(store_path: str, steering_url: str | None) -> None:
    """After new targets: keep what the first target status counts and simulates (as an
    import does, into a copy swapped in: `amip serve` may keep running); a store being imported
    into is left alone (its import keeps them)."""
    from amip.cli.store_cmds import keep_target_counts
    from amip.store import StoreLocked
    from amip.store.swap import change_swapped

    try:
        change_swapped(store_path, lambda store: keep_target_counts(store, store_path,
                                                                    steering_url) > 0)
    except StoreLocked:
        say(err_console, "Hinweis: der Datenbestand ist gerade gesperrt (ein Import läuft); die "
                         "Zählungen für den ersten Zielstatus hält der Import vor.", "yellow")
    except (AmipError, ValueError) as e:  # the targets are in; the status will count them
        say(err_console, f"Hinweis: Zählungen für den ersten Zielstatus nicht vorgehalten: {e}",
            "yellow")


@targets_group.command("list")
@store_option
@steering_option
@click.option("--year", type=int, help="Nur dieses Jahr.")
@click.option("--jobcenter", "jobcenter_id", help="Nur dieses Jobcenter.")
@click.option("--as-of", "as_of", callback=_as_of,
              help="Stand an diesem Tag (Ende des Tages) oder Zeitpunkt.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="csv: deutsches CSV (Semikolon, Dezimalkomma).")
def targets_list(store_path, steering_url, year, jobcenter_id, as_of, fmt) -> None:
    """Die geltenden Ziele."""
    with _steering(store_path, steering_url) as st:
        rows, measures = st.targets(year, as_of, jobcenter_id), st.measures()
    title = "Ziele" + (f" {year}" if year else "") + (
        f" – Stand {as_of if isinstance(as_of, str) else _as_of_text(as_of)}" if as_of else "")
    _emit(rows, TARGET_KEYS, fmt, lambda rs: _targets_table(rs, measures, title))


def _as_of_text(as_of) -> str:
    return i18n.local_time(as_of) if isinstance(as_of, dt.datetime) else i18n.day(as_of)


@targets_group.command("history")
@store_option
@steering_option
@click.option("--year", type=int, help="Nur dieses Jahr.")
@click.option("--measure", help="Nur diese Messgröße.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="csv: deutsches CSV (Semikolon, Dezimalkomma).")
def targets_history(store_path, steering_url, year, measure, fmt) -> None:
    """Jede Version der Ziele mit wer, wann und warum (älteste zuerst)."""
    with _steering(store_path, steering_url) as st:
        rows, measures = st.target_history(year, measure), st.measures()
    _emit(rows, HISTORY_KEYS, fmt,
          lambda rs: _targets_table(rs, measures, "Verlauf der Ziele", history=True))


# -- plans --------------------------------------------------------------------------------------

@click.group("plan")
def plan_group() -> None:
    """Planung von unten nach oben: die Pläne der Teams."""


@plan_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@store_option
@steering_option
@reason_option
@user_option
def plan_import(file, store_path, steering_url, reason, user) -> None:
    """Pläne der Teams aus einer CSV (Spalten unit_id, year, measure, value; nur Teams)."""
    units, _ = _org(store_path)
    with _steering(store_path, steering_url) as st:
        s = st.import_plans(file, user, units, reason)
    _imported("Pläne", file, s)


# -- measures -----------------------------------------------------------------------------------

@click.group("measures")
def measures_group() -> None:
    """Messgrößen, denen ein Ziel folgen kann (Katalog und eigene)."""


@measures_group.command("list")
@store_option
@steering_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def measures_list(store_path, steering_url, fmt) -> None:
    """Alle Messgrößen: die Kennzahlen nach § 48a, Integrationen, lokale und kommunale."""
    with _steering(store_path, steering_url) as st:
        rows = list(st.measures().values())
    if fmt == "json":
        _emit(rows, MEASURE_KEYS, fmt, None)
        return
    t = Table(title="Messgrößen", title_justify="left")
    for c in ("Kennung", "Bezeichnung", "Art", "Einheit", "besser", "Quelle", "Bereich"):
        t.add_column(c)
    for m in rows:
        better = "höher" if m.direction == "higher" else "niedriger"
        t.add_row(m.id, m.name, m.kind, m.unit, better, m.source, m.scope)
    Console(width=max(console.width, 160)).print(t)


@measures_group.command("add")
@click.argument("measure_id")
@click.option("--name", required=True, help="Bezeichnung (deutsch).")
@click.option("--kind", required=True, type=click.Choice(KINDS),
              help="count: Summe Jan..m; level: Monatswert gegen Ober-/Untergrenze; "
                   "quota, stock wie die Kennzahlen.")
@click.option("--unit", required=True, type=click.Choice(UNITS))
@click.option("--direction", required=True, type=click.Choice(DIRECTIONS),
              help="higher: mehr ist besser; lower: weniger ist besser.")
@click.option("--source", default="entered", show_default=True,
              help="entered (Monatswerte erfasst) oder eine Berechnung aus targets.toml.")
@click.option("--scope", default="lokal", show_default=True,
              type=click.Choice(["lokal", "kommunal"]))
@store_option
@steering_option
@reason_option
@user_option
def measures_add(measure_id, name, kind, unit, direction, source, scope, store_path, steering_url,
                 reason, user) -> None:
    """Eine eigene Messgröße anlegen (für lokale und kommunale Ziele)."""
    with _steering(store_path, steering_url) as st:
        m = st.add_measure(measure_id, name, kind, unit, direction, user, source, scope, reason)
    say(console, f"Messgröße {m.id} angelegt: {m.name}.")


@measures_group.command("import-values")
@click.argument("file", type=click.Path(dir_okay=False))
@store_option
@steering_option
@reason_option
@user_option
def measures_import_values(file, store_path, steering_url, reason, user) -> None:
    """Monatswerte erfasster Messgrößen aus einer CSV (Spalten measure, jobcenter_id, unit_id,
    month, value)."""
    units, jobcenters = _org(store_path)
    with _steering(store_path, steering_url) as st:
        s = st.import_measure_values(file, user, reason, units, jobcenters)
    _imported("Monatswerte", file, s)
