"""The `amip` command: a thin shell over the core; no arithmetic on indicators here."""

from __future__ import annotations

import atexit
import gc
import sys

import click

from amip import __version__
from amip.cli.attainment_cmds import register as register_status
from amip.cli.budget_cmds import budget_group
from amip.cli.care_cmds import care_group
from amip.cli.compare_cmd import compare_cmd
from amip.cli.forecast_cmds import forecast_group
from amip.cli.groups_cmds import groups_cmd
from amip.cli.indicators_cmd import indicators_cmd
from amip.cli.postgres_cmd import publish_cmd
from amip.cli.quality_cmds import quality_cmd
from amip.cli.report_cmd import report_cmd
from amip.cli.scenario_cmds import scenario_group
from amip.cli.risk_cmds import risk_group
from amip.cli.steering_cmds import measures_group, plan_group, targets_group
from amip.cli.store_cmds import import_cmd, imports_cmd, overview_cmd, validate_cmd
from amip.cli.synth_cmd import synth
from amip.cli.web_cmd import serve_cmd, users_group
from amip.errors import AmipError
from amip.store import StoreLocked


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amip")
def cli() -> None:
    """amip: Steuerung und Controlling für Jobcenter (SGB II)."""


for command in (synth, validate_cmd, import_cmd, imports_cmd, overview_cmd, indicators_cmd,
                publish_cmd, report_cmd, serve_cmd, users_group, targets_group, plan_group,
                measures_group, forecast_group, budget_group, quality_cmd, groups_cmd,
                care_group, risk_group, compare_cmd):
    cli.add_command(command)
register_status(targets_group, plan_group)
budget_group.add_command(scenario_group)


def main() -> None:
    # At exit, skip collecting the ~270,000 objects that ibis, scipy and WeasyPrint leave: the
    # operating system frees the memory at once, the collector took 0.5 s per command. Commands
    # close their files and connections themselves (with-blocks), so nothing waits for it.
    atexit.register(gc.freeze)
    try:
        cli()
    except StoreLocked as e:  # any command: another process is writing the store (an import)
        click.echo(f"Fehler: {e}; bitte nach dessen Ende erneut versuchen.", err=True)
        sys.exit(e.exit_code)
    except AmipError as e:  # its message is German and complete; any other exception is a bug
        click.echo(f"Fehler: {e}", err=True)
        sys.exit(e.exit_code)
