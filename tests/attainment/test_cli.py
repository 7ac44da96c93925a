"""The status commands parse their options in German before they open any store; the steering
store they read is wired in by amip.cli.steering_cmds (register), so the logic is tested at the
function level in test_status.py."""

import click
import pytest
from click.testing import CliRunner

from amip.cli.attainment_cmds import plan_status, register, targets_status

pytestmark = pytest.mark.duckdb_only  # pure: no backend involved


def test_the_commands_document_the_contract_options():
    out = CliRunner().invoke(targets_status, ["--help"]).output
    for option in ("--month", "--store", "--unit", "--format"):
        assert option in out
    out = CliRunner().invoke(plan_status, ["--help"]).output
    for option in ("--year", "--measure", "--key", "--format"):
        assert option in out


def test_a_bad_month_is_a_german_usage_error(tmp_path):
    r = CliRunner().invoke(targets_status, ["--month", "2020-13", "--store",
                                            str(tmp_path / "x.duckdb")])
    assert r.exit_code == 2 and "kein Monat: '2020-13' (erwartet JJJJ-MM)" in r.output


def test_register_adds_status_to_both_groups():
    targets, plan = click.Group("targets"), click.Group("plan")
    register(targets, plan)
    assert targets.commands["status"] is targets_status and plan.commands["status"] is plan_status
