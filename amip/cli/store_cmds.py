"""CLI commands around the store: validate, import, imports, overview."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.cli.progress import bar as progress_bar
from amip.cli.progress import step_label
from amip.errors import NotFound
from amip.extract.errors import ExtractInvalid
from amip.extract.reader import read_extract
from amip.extract.validate import validate as validate_extract
from amip.store import DEFAULT_STORE, Store, StoreLocked
from amip.store.swap import import_swapped

console = Console()
err = Console(stderr=True)


def wide_console(width: int) -> Console:
    """A console at least ``width`` columns wide: a table written to a file or a pipe (80 columns
    by default) keeps its rows on one line instead of breaking every cell."""
    return Console(width=max(Console().width, width))

store_option = click.option(
    "--store", "store_path", type=click.Path(dir_okay=False),
    default=lambda: os.environ.get("AMIP_STORE", DEFAULT_STORE),
    show_default=f"$AMIP_STORE oder {DEFAULT_STORE}",
    help="Datenbestand (DuckDB-Datei).")


def store_file(store_path: str | None) -> str:
    """The store file a command names (``None``: $AMIP_STORE or the default); also where its
    steering database and risk models lie beside it."""
    return store_path or os.environ.get("AMIP_STORE", DEFAULT_STORE)


def existing_store(store_path: str | None) -> str:
    """The store file a command reads (:func:`store_file`), or a usage error (exit 2) saying
    how to make one."""
    path = store_file(store_path)
    if not Path(path).exists():
        raise click.UsageError(f"Datenbestand {path} nicht gefunden: zuerst einen Auszug "
                               f"importieren (amip import VERZEICHNIS --store {path}).")
    return path


def open_store(store_path: str | None, threads: int | None = None) -> Store:
    """The store file (:func:`existing_store`), opened read-only."""
    return Store.open(existing_store(store_path), read_only=True, threads=threads)


def say(console: Console, text: str, style: str | None = None) -> None:
    """One message as it is: no markup read from it (file names, values), and never wrapped,
    so that output to a file keeps one line per message."""
    console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)


def print_errors(e: ExtractInvalid, limit: int) -> None:
    say(err, str(e).split("\n", 1)[0], "bold red")
    for error in e.errors[:limit]:
        say(err, f"  {error}")
    if len(e.errors) > limit:
        say(err, f"  … und {i18n.num(len(e.errors) - limit)} weitere (alle mit --all-errors)")


@click.command("validate")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--all-errors", is_flag=True, help="Alle Fehler auflisten, nicht nur die ersten 50.")
def validate_cmd(directory: str, all_errors: bool) -> None:
    """Einen Auszug prüfen, ohne ihn zu importieren (schreibt nichts)."""
    with progress_bar(steps=False) as bar:
        task = bar.add_task(f"Lesen {directory}", total=None)
        raw = read_extract(directory)
        bar.update(task, description="Prüfen")
        errors = validate_extract(raw)
    if errors:
        print_errors(ExtractInvalid(errors, directory), sys.maxsize if all_errors else 50)
        sys.exit(2)
    rows = sum(t.num_rows for t in raw.tables.values())
    say(console, f"Auszug {directory} ist gültig: {len(raw.tables)} Tabellen, "
                 f"{i18n.num(rows)} Zeilen.")


@click.command("import")
@click.argument("directory", type=click.Path(file_okay=False))
@store_option
@click.option("--all-errors", is_flag=True, help="Alle Fehler auflisten, nicht nur die ersten 50.")
@click.option("--no-quality", is_flag=True,
              help="Die Prüfregeln der Datenqualität nach dem Import nicht ausführen.")
def import_cmd(directory: str, store_path: str, all_errors: bool, no_quality: bool) -> None:
    """Einen Auszug in den Datenbestand importieren (ganz oder gar nicht; überschreibt nichts).
    In eine Kopie, die dann die Datei ersetzt: `amip serve` kann weiterlaufen."""
    with progress_bar() as bar:
        task = bar.add_task(step_label("read"), total=1)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step_label(step), completed=done, total=max(total, 1))
            if os.environ.get("AMIP_TRACE_IMPORT"):  # used by the kill -9 test to time its kill
                print(f"step {step}", file=sys.stderr, flush=True)

        quality: dict = {}  # the data-quality counts after the import, and after the last

        def work(store: Store):
            result = store.import_extract(directory, progress)
            if result.import_id is not None:  # what every later query would derive again
                from amip.engine.prepare import keep as keep_prepared

                keep_prepared(store, progress)
            if result.import_id is not None and not no_quality:  # "on every import"
                progress("quality", 0, 1)
                from amip.engine.quality_rules import quality_changes, quality_keys

                try:
                    m_lo, _, keys = quality_keys(store.view())
                except NotFound:  # nothing to check yet (no ELB spells)
                    return result
                counts = {r: None if k is None else len(k) for r, k in keys.items()}
                before = store.logged_quality_rows(result.import_id)
                quality.update(now=counts, before=store.logged_quality(result.import_id),
                               changes=None if before is None else
                               quality_changes(keys, before, m_lo))
                store.log_quality(result.import_id, counts)
                store.log_quality_rows(result.import_id, keys)
            if result.import_id is not None:
                progress("targets", 0, 1)
                keep_target_counts(store, store_path)
            return result

        try:
            result = import_swapped(store_path, work, progress)
        except ExtractInvalid as e:
            bar.stop()
            print_errors(e, sys.maxsize if all_errors else 50)
            sys.exit(2)
        except StoreLocked as e:
            bar.stop()
            say(err, str(e), "red")
            sys.exit(2)
    for warning in result.warnings:
        say(err, f"Hinweis: {warning}", "yellow")
    if result.already_imported_as is not None:
        say(console, f"Auszug {directory} wurde schon importiert (Import Nr. "
                     f"{result.already_imported_as}); nichts wurde geändert.")
        return
    say(console, f"Import Nr. {result.import_id} in {store_path}: "
                 f"{i18n.num(result.total_added)} neue Zeilen "
                 f"({i18n.num(sum(result.rows_in_files.values()))} Zeilen im Auszug).")
    if quality:
        from amip.cli.quality_cmds import import_change_lines, import_summary_line

        say(console, import_summary_line(quality["now"], quality["before"]))
        for line in import_change_lines(quality["changes"]):
            say(console, line)


def keep_target_counts(store: Store, store_path: str, steering_url: str | None = None) -> int:
    """Right after an import (or `amip targets import`): count what the target status of the
    latest complete month needs for the targets of its year in the steering store (if there is
    one; none is created), simulate the Jobcenter's year-end expectation, and keep both in the
    store under its data state (:mod:`amip.engine.kept`), so that the first `amip targets
    status` or Ziele page of a process neither counts 44 months of facts nor fits a model."""
    from amip.steering.db import ENV_URL, default_path

    if not (steering_url or os.environ.get(ENV_URL) or default_path(store_path).exists()):
        return 0
    from amip.attainment.status import follow_jobs
    from amip.engine.calendar import month_index
    from amip.engine.kept import keep
    from amip.engine.overview import latest_complete_month
    from amip.steering import Steering
    from amip.steering.inputs import status_inputs

    latest = latest_complete_month(store.view())
    if latest is None:
        return 0
    m = month_index(latest)
    with Steering.open(store_path, steering_url) as steering:
        i = status_inputs(steering, m // 12)
    return keep(store, follow_jobs(i.targets, m, i.measures))


@click.command("imports")
@store_option
def imports_cmd(store_path: str) -> None:
    """Importprotokoll (wann, woher, Prüfsummen, Zeilen) und Datenstand je Tabelle."""
    from amip.engine.horizon import horizon

    with open_store(store_path) as store:
        log = store.imports()
        reach = horizon(store.view())
    table = Table(title=f"Importprotokoll {store_path}")
    for col in ("Nr.", "Zeitpunkt", "Quelle", "Datei", "SHA-256", "Zeilen", "neu"):
        table.add_column(col, justify="right" if col in ("Nr.", "Zeilen", "neu") else "left",
                         no_wrap=col != "Quelle")  # a moment or a number never breaks
    for entry in log:
        for i, f in enumerate(entry["files"]):
            table.add_row(str(entry["import_id"]) if i == 0 else "",
                          i18n.local_time(entry["imported_at"]) if i == 0 else "",
                          entry["source"] if i == 0 else "", f["file"], f["sha256"][:12],
                          i18n.num(f["rows"]), i18n.num(f["rows_added"]))
    wide_console(130).print(table)
    table = Table(title="Datenstand je Tabelle (Datenhorizont)", title_justify="left")
    for col in ("Daten", "Tabelle", "ab", "Datenstand", "Grundlage"):
        table.add_column(col)
    for t in reach.tables.values():
        table.add_row(t.label, t.table, i18n.day(t.first) if t.first else "–",
                      i18n.day(t.last) if t.last else "keine Daten", t.source_label)
    console.print(table)
    say(console, reach.covered_text())


@click.command("overview")
@store_option
def overview_cmd(store_path: str) -> None:
    """Kurzüberblick: ELB, BG und Arbeitslose im letzten Berichtsmonat."""
    from amip.engine.overview import data_date, overview

    with open_store(store_path) as store:
        db = store.view()
        rows = overview(db)
        known = data_date(db)
    console = wide_console(100)  # title and rows on one line each, also in a file
    if not rows:
        console.print("Der Datenbestand enthält noch keine ELB.")
        return
    for row in rows:
        title = (f"{row.name} – Bestand am Stichtag {i18n.day(row.stichtag)} "
                 f"(Berichtsmonat {i18n.month(row.month)})")
        table = Table(title=title, title_justify="left")
        table.add_column("Bestand")
        table.add_column(i18n.month(row.month), justify="right")
        table.add_column(f"Vorjahresmonat", justify="right")
        table.add_column("Veränderung", justify="right")
        c, p = row.current, row.previous_year
        for label, now, before in (
            ("Erwerbsfähige Leistungsberechtigte (ELB)", c.elb, p.elb),
            ("  darunter Frauen", c.elb_women, p.elb_women),
            ("Bedarfsgemeinschaften (BG)", c.bg, p.bg),
            ("Arbeitslose (SGB II)", c.unemployed, p.unemployed),
        ):
            table.add_row(label, i18n.num(now), i18n.num(before),
                          i18n.pct(row.change(now, before), signed=True))
        console.print(table)
    console.print(f"Datenstand: {i18n.day(known)}. Werte der letzten drei Monate sind vorläufig "
                  "(Wartezeit von drei Monaten).")
