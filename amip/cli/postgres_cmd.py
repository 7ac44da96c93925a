"""`amip publish`: copy the store into a PostgreSQL schema (all or nothing, never overwrites)."""

from __future__ import annotations

import sys
import time

import click
import psycopg
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from amip import i18n
from amip.cli.store_cmds import console, err, store_option
from amip.store import Store, StoreLocked
from amip.store.postgres import PublishRefused, publish_to_postgres, redact


@click.command("publish")
@store_option
@click.option("--pg", "url", required=True, envvar="AMIP_PG_URL", show_envvar=True,
              metavar="URL", help="PostgreSQL connection URL, e.g. postgresql://amip@dbhost:5432/amip"
              " (password from ~/.pgpass or $PGPASSWORD).")
@click.option("--schema", default="amip", show_default=True,
              help="PostgreSQL schema that receives the store's tables.")
def publish_cmd(store_path: str, url: str, schema: str) -> None:
    """Publish the store into a PostgreSQL schema.

    Copies every table and the import log in one transaction. A later publish adds only the
    imports the schema does not hold yet; a schema holding another store's data is refused.
    """
    try:
        store = Store.open(store_path, read_only=True)
    except (StoreLocked, FileNotFoundError) as e:
        err.print(f"[red]{e}[/]")
        sys.exit(3)
    start = time.perf_counter()
    with store, Progress(TextColumn("{task.description:<28}"), BarColumn(), TimeElapsedColumn(),
                         console=err, transient=True) as bar:
        task = bar.add_task("connect", total=1)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=max(total, 1))

        try:
            copied = publish_to_postgres(store, url, schema, progress)
        except PublishRefused as e:
            bar.stop()
            err.print(f"[bold red]Publish refused:[/] {e}", highlight=False, soft_wrap=True)
            sys.exit(2)
        except (ValueError, psycopg.Error) as e:
            bar.stop()
            err.print(f"[bold red]Publish to {redact(url)} failed; nothing was changed:[/] "
                      f"{str(e).strip()}", highlight=False, soft_wrap=True)
            sys.exit(3)
    seconds = time.perf_counter() - start
    rows = sum(n for name, n in copied.items() if not name.startswith("amip_"))
    imports = copied.get("amip_imports", 0)
    if not imports:
        console.print(f"Schema {schema} at {redact(url)} is up to date; nothing changed.",
                      highlight=False, soft_wrap=True)
        return
    console.print(f"Published {imports} import(s) from {store_path} into schema {schema} at "
                  f"{redact(url)}: {i18n.num(rows)} rows in {seconds:.1f} s.", highlight=False,
                  soft_wrap=True)
