"""The data source options every engine command shares: ``--data``, ``--store``, ``--backend``,
``--pg``, ``--schema`` (see :mod:`amip.store.sources`).

Usage::

    @click.command("x")
    @source_options
    def x_cmd(source: Source, ...):
        with source_view(source, as_of) as view:
            ...

:func:`source_options` adds the five options and hands the command one ``source`` argument;
:func:`source_view` opens it, prints what a temporary copy does on stderr, and turns an invalid
extract or a source that cannot work into the CLI's German errors (exit code 2; Spark that
cannot start here: exit code 3).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys
from collections.abc import Iterator

import click

from amip.store.sources import BACKENDS, Source, SourceError, open_source
from amip.store.views import StoreView

__all__ = ["Source", "open_source", "source_options", "source_view"]


def source_options(command):
    """Add ``--data``, ``--store``, ``--backend``, ``--pg``, ``--schema`` to a click command and
    pass them to it as one ``source`` (:class:`~amip.store.sources.Source`)."""

    @functools.wraps(command)
    def wrapper(*args, data_dir, store_path, backend, pg_url, schema, **kwargs):
        return command(*args, source=Source(backend=backend, data_dir=data_dir,
                                            store_path=store_path, pg_url=pg_url,
                                            schema=schema), **kwargs)

    options = [
        click.option("--data", "data_dir", type=click.Path(file_okay=False, exists=True),
                     help="Direkt aus einem Auszugsordner rechnen (geprüft, im Speicher); mit "
                          "--backend spark auch ein mit amip publish --parquet veröffentlichter "
                          "Datenbestand."),
        click.option("--store", "store_path", type=click.Path(dir_okay=False),
                     help="Aus einem Datenbestand rechnen (Standard: $AMIP_STORE oder "
                          "amip.duckdb)."),
        click.option("--backend", type=click.Choice(BACKENDS), default="duckdb",
                     envvar="AMIP_BACKEND", show_default=True, show_envvar=True,
                     help="Womit gerechnet wird: DuckDB (eingebettet), PostgreSQL (--pg) oder "
                          "Apache Spark (docs/spark.md)."),
        click.option("--pg", "pg_url", envvar="AMIP_PG_URL", show_envvar=True, metavar="URL",
                     help="PostgreSQL-Verbindung für --backend postgres."),
        click.option("--schema", default="amip", show_default=True,
                     help="PostgreSQL-Schema des veröffentlichten Datenbestands."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


@contextlib.contextmanager
def source_view(source: Source, as_of: dt.date | None = None) -> Iterator[StoreView]:
    """:func:`open_source` for a command: notes on stderr, German usage errors, an invalid
    extract listed (first 50 errors) with exit code 2."""
    from amip.backends.spark_session import SparkUnavailable
    from amip.cli.store_cmds import err, print_errors, say
    from amip.extract.errors import ExtractInvalid

    try:
        with open_source(source, as_of, note=lambda text: say(err, text, "yellow")) as view:
            yield view
    except SourceError as e:
        raise click.UsageError(str(e)) from None
    except ExtractInvalid as e:
        print_errors(e, 50)
        sys.exit(2)
    except SparkUnavailable as e:
        say(err, f"Fehler: {e}", "red")
        sys.exit(3)
