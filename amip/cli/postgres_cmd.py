"""`amip publish`: copy the store into a PostgreSQL schema (all or nothing, never overwrites)."""

from __future__ import annotations

import sys
import time

import click
import psycopg
from amip import i18n
from amip.cli.progress import bar as progress_bar
from amip.cli.progress import step_label
from amip.cli.store_cmds import console, err, store_option
from amip.store import Store, StoreLocked
from amip.store.postgres import PublishRefused, publish_to_postgres, redact


@click.command("publish")
@store_option
@click.option("--pg", "url", required=True, envvar="AMIP_PG_URL", show_envvar=True,
              metavar="URL", help="Verbindungs-URL von PostgreSQL, z. B. "
              "postgresql://amip@dbhost:5432/amip (Passwort aus ~/.pgpass oder $PGPASSWORD).")
@click.option("--schema", default="amip", show_default=True,
              help="Schema in PostgreSQL, das die Tabellen des Datenbestands aufnimmt.")
def publish_cmd(store_path: str, url: str, schema: str) -> None:
    """Den Datenbestand in ein PostgreSQL-Schema veröffentlichen.

    Kopiert alle Tabellen und das Importprotokoll in einer Transaktion. Eine spätere
    Veröffentlichung fügt nur die Importe hinzu, die das Schema noch nicht hat; ein Schema mit
    den Daten eines anderen Datenbestands wird abgelehnt.
    """
    try:
        store = Store.open(store_path, read_only=True)
    except (StoreLocked, FileNotFoundError) as e:
        err.print(f"[red]{e}[/]")
        sys.exit(3)
    start = time.perf_counter()
    with store, progress_bar() as bar:
        task = bar.add_task(step_label("connect"), total=1)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step_label(step), completed=done, total=max(total, 1))

        try:
            copied = publish_to_postgres(store, url, schema, progress)
        except PublishRefused as e:
            bar.stop()
            err.print(f"[bold red]Veröffentlichung abgelehnt:[/] {e}", highlight=False,
                      soft_wrap=True)
            sys.exit(2)
        except (ValueError, psycopg.Error) as e:
            bar.stop()
            err.print(f"[bold red]Veröffentlichung nach {redact(url)} fehlgeschlagen; nichts "
                      f"wurde geändert:[/] {str(e).strip()}", highlight=False, soft_wrap=True)
            sys.exit(3)
    seconds = time.perf_counter() - start
    rows = sum(n for name, n in copied.items() if not name.startswith("amip_"))
    imports = copied.get("amip_imports", 0)
    if not imports:
        console.print(f"Schema {schema} in {redact(url)} ist aktuell; nichts geändert.",
                      highlight=False, soft_wrap=True)
        return
    console.print(f"{i18n.num(imports)} Import(e) aus {store_path} in Schema {schema} in "
                  f"{redact(url)} veröffentlicht: {i18n.num(rows)} Zeilen in "
                  f"{i18n.num(seconds, 1)} s.", highlight=False, soft_wrap=True)
