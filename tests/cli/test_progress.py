"""Long commands show progress on stderr only when it is a terminal: files, pipes and tests get
the results alone; the step names are German."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from click.testing import CliRunner

from amip.cli.main import cli
from amip.cli.progress import step_label
from tests.cli.test_readme import tiny_extract


def test_step_names_are_german():
    assert step_label("import elb_spells") == "Importieren elb_spells"
    assert step_label("commit") == "Festschreiben" and step_label("up to date") == "Schon aktuell"


def test_no_progress_when_stderr_is_no_terminal(tmp_path):
    tiny_extract(tmp_path / "extract")
    r = CliRunner().invoke(cli, ["import", str(tmp_path / "extract"), "--store",
                                 str(tmp_path / "a.duckdb")])
    assert r.exit_code == 0 and "Import Nr. 1" in r.stdout
    assert r.stderr == ""  # no bar, no escape codes


def test_progress_on_a_terminal(tmp_path):
    tiny_extract(tmp_path / "extract")
    leader, follower = pty.openpty()
    try:
        out = subprocess.run([sys.executable, "-m", "amip.cli", "validate",
                              str(tmp_path / "extract")], stdout=subprocess.PIPE,
                             stderr=follower, timeout=120)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal has no more writers
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert out.returncode == 0 and b"ist g\xc3\xbcltig" in out.stdout  # results on stdout
    assert b"Pr\xc3\xbcfen" in shown or b"Lesen" in shown  # the bar, on the terminal
