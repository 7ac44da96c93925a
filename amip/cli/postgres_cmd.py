"""`amip publish`: copy the store into a PostgreSQL schema or a Parquet directory (all or
nothing, never overwrites)."""

from __future__ import annotations

import sys
import time

import click
import psycopg
from click.core import ParameterSource

from amip import i18n
from amip.cli.progress import bar as progress_bar
from amip.cli.progress import step_label
from amip.cli.store_cmds import console, err, store_option
from amip.store import Store, StoreLocked
from amip.store import parquet
from amip.store.postgres import PublishRefused, publish_to_postgres, redact


@click.command("publish")
@store_option
@click.option("--pg", "url", envvar="AMIP_PG_URL", show_envvar=True,
              metavar="URL", help="Verbindungs-URL von PostgreSQL, z. B. "
              "postgresql://amip@dbhost:5432/amip (Passwort aus ~/.pgpass oder $PGPASSWORD).")
@click.option("--schema", default="amip", show_default=True,
              help="Schema in PostgreSQL, das die Tabellen des Datenbestands aufnimmt.")
@click.option("--parquet", "parquet_dir", type=click.Path(dir_okay=True, file_okay=False),
              metavar="DIR", help="Statt nach PostgreSQL als Parquet-Dateien in dieses "
              "Verzeichnis veröffentlichen (für Apache Spark: --backend spark --data DIR).")
@click.pass_context
def publish_cmd(ctx: click.Context, store_path: str, url: str | None, schema: str,
                parquet_dir: str | None) -> None:
    """Den Datenbestand in ein PostgreSQL-Schema oder als Parquet veröffentlichen.

    Kopiert alle Tabellen und das Importprotokoll ganz oder gar nicht. Eine spätere
    Veröffentlichung fügt nur die Importe hinzu, die das Ziel noch nicht hat; ein Ziel mit
    den Daten eines anderen Datenbestands wird abgelehnt.
    """
    if parquet_dir and url and ctx.get_parameter_source("url") == ParameterSource.COMMANDLINE:
        raise click.UsageError("--pg oder --parquet angeben, nicht beides")
    if not parquet_dir and not url:
        raise click.UsageError("Ziel fehlt: --pg URL (oder $AMIP_PG_URL) oder --parquet DIR")
    try:
        store = Store.open(store_path, read_only=True)
    except (StoreLocked, FileNotFoundError) as e:
        err.print(f"[red]{e}[/]")
        sys.exit(3)
    if parquet_dir:
        where, refused = f"Verzeichnis {parquet_dir}", parquet.PublishRefused
        errors: tuple = (OSError,)
    else:
        where, refused = f"Schema {schema} in {redact(url)}", PublishRefused
        errors = (ValueError, psycopg.Error)
    start = time.perf_counter()
    with store, progress_bar() as bar:
        task = bar.add_task(step_label("connect"), total=1)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step_label(step), completed=done, total=max(total, 1))

        try:
            if parquet_dir:
                copied = parquet.publish_to_parquet(store, parquet_dir, progress)
            else:
                copied = publish_to_postgres(store, url, schema, progress)
        except refused as e:
            bar.stop()
            err.print(f"[bold red]Veröffentlichung abgelehnt:[/] {e}", highlight=False,
                      soft_wrap=True)
            sys.exit(2)
        except errors as e:
            bar.stop()
            target = parquet_dir if parquet_dir else redact(url)
            err.print(f"[bold red]Veröffentlichung nach {target} fehlgeschlagen; nichts "
                      f"wurde geändert:[/] {str(e).strip()}", highlight=False, soft_wrap=True)
            sys.exit(3)
    seconds = time.perf_counter() - start
    rows = sum(n for name, n in copied.items() if not name.startswith("amip_"))
    imports = copied.get("amip_imports", 0)
    if not imports:
        console.print(f"{where} ist aktuell; nichts geändert.", highlight=False, soft_wrap=True)
        return
    console.print(f"{i18n.num(imports)} Import(e) aus {store_path} in {where} "
                  f"veröffentlicht: {i18n.num(rows)} Zeilen in "
                  f"{i18n.num(seconds, 1)} s.", highlight=False, soft_wrap=True)
