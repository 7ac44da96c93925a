"""The `amip` command: a thin shell over the core; no arithmetic on indicators here."""

from __future__ import annotations

import click

from amip import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amip")
def cli() -> None:
    """amip: Steuerung und Controlling für Jobcenter (SGB II)."""


def main() -> None:
    cli()
