"""Issue 11 item 7: every `amip` command README.md shows runs as written. Each one's ``--help``
(the command path and every option it names exist), and the cheap ones for real, in a folder
holding a tiny extract and store: ``validate``, ``import``, ``imports``, ``overview``,
``indicators``, ``users add``; and ``synth --check`` (on the session's default Jobcenter,
which is what ``synth`` generates with its defaults)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from amip.cli.main import cli
from tests.engine.builder import Ex

README = Path(__file__).parents[2] / "README.md"
#: the README commands run for real here (the others: --help only; synth --check separately)
CHEAP = ("validate", "import", "imports", "overview", "indicators", "users")


def readme_commands() -> list[list[str]]:
    """The ``amip …`` lines of README.md's code blocks, comments cut, as argument lists."""
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", README.read_text(), re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["amip"]:
                commands.append(words[1:])
    return commands


def test_the_readme_shows_the_commands():
    names = {c[0] for c in readme_commands()}
    assert {"synth", "validate", "import", "indicators", "report", "users", "serve"} <= names


@pytest.mark.parametrize("args", readme_commands(), ids=" ".join)
def test_help_of_each_readme_command(args):
    r = CliRunner().invoke(cli, [*args, "--help"], prog_name="amip")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Aufruf: amip ")


def tiny_extract(path: Path) -> None:
    """A Jobcenter with the Standort and team the README names, persons in 2019–2020."""
    from amip.extract.writer import write_extract

    ex = (Ex().unit("03504", None, "jobcenter").unit("03504-fi", "03504", "standort")
          .unit("03504-fi-markt", "03504-fi", "team")
          .elb("a", "2015-01-01", recorded_on="2020-10-01")
          .elb("b", "2018-01-01", recorded_on="2020-10-01").job("b", "2020-05-20")
          .caseload("a", "03504-fi-markt", "2015-01-01")
          .caseload("b", "03504-fi-markt", "2015-01-01")
          .benefit("a", "2020-05", "400.00").benefit("a", "2020-06", "410.00"))
    write_extract(ex.tables(), path)


def test_the_cheap_readme_commands_run_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AMIP_STORE", raising=False)
    tiny_extract(tmp_path / "extract")
    ran = []
    for args in readme_commands():
        if args[0] not in CHEAP:
            continue
        r = CliRunner().invoke(cli, args, prog_name="amip", catch_exceptions=False)
        assert r.exit_code == 0, f"amip {' '.join(args)}:\n{r.output}"
        ran.append(args[0])
    assert set(ran) == set(CHEAP) and ran.count("indicators") >= 4
    assert Path("amip.duckdb").exists() and Path("amip.users.sqlite").exists()


def test_synth_check_runs_without_out(default_tables, calibration_rows, monkeypatch, tmp_path):
    """``amip synth --check`` as the README shows it (it stopped with "Missing option
    '--out'"): it writes nothing. ``generate`` with synth's default arguments is the session's
    default Jobcenter, and its check the session's ``calibration_rows`` (tests/synth checks
    each row), so both are given back instead of being worked out again."""
    import datetime as dt

    import amip.synth
    import amip.synth.calibration

    def check(tables, profile):
        assert tables is default_tables and profile == "elbe-elster"
        return list(calibration_rows.values())

    monkeypatch.setattr(amip.synth.calibration, "check", check)

    defaults = dict(profile="elbe-elster", seed=20200101, scale=1.0, jobcenters=None,
                    start=dt.date(2009, 1, 1), end=dt.date(2020, 12, 31))

    def generate(progress=None, **args):
        assert args == defaults  # the very call that made the session's tables
        return default_tables

    monkeypatch.setattr(amip.synth, "generate", generate)
    monkeypatch.chdir(tmp_path)
    assert ["synth", "--check"] in readme_commands()
    r = CliRunner().invoke(cli, ["synth", "--check"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "nicht geschrieben" in r.output and "Zielwerte innerhalb der Toleranz" in r.output
    assert list(tmp_path.iterdir()) == []
    r = CliRunner().invoke(cli, ["synth"])
    assert r.exit_code == 2 and "--out fehlt" in r.output
