"""Issue 11 item 3, the rest: what a person reads from the engine, the store and the CLI is
German (unknown units and Jobcenter, months, publish refusals), and ``amip imports`` shows the
moment of each import in German local time (Europe/Berlin), not the UTC the store keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from amip import i18n
from amip.cli.main import cli
from amip.engine.calendar import parse_month
from amip.engine.forecast import monthly_facts
from amip.engine.indicators import UnknownUnit, compute
from amip.store import Store


def test_imports_shows_local_time(store_file):
    with Store.open(store_file, read_only=True) as store:
        at = store.imports()[0]["imported_at"]  # naive UTC
    r = CliRunner().invoke(cli, ["imports", "--store", str(store_file)], terminal_width=200)
    assert r.exit_code == 0, r.output
    # Berlin is UTC+1 in winter, UTC+2 in summer: never the UTC clock time itself
    local = i18n.local_time(at)
    assert local in r.output
    offset = dt.datetime.strptime(local, "%d.%m.%Y, %H:%M:%S") - at
    assert offset in (dt.timedelta(hours=1), dt.timedelta(hours=2))
    assert at.strftime("%d.%m.%Y %H:%M:%S") not in r.output


def test_the_store_writes_utc(store_file):
    """imported_at is UTC whatever the machine's zone: a fresh import lies within a minute of
    the UTC clock."""
    from amip.store.store import utc_now

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs(utc_now() - now) < dt.timedelta(seconds=5)


@pytest.mark.parametrize("call, message", [
    (lambda v: compute(v, [parse_month("2020-06")], unit_id="nope"),
     "Einheit 'nope' gibt es im Datenbestand nicht"),
    (lambda v: compute(v, [parse_month("2020-06")], jobcenter_id="00000"),
     "Jobcenter '00000' gibt es im Datenbestand nicht."),
    (lambda v: compute(v, [parse_month("2020-06")], jobcenter_id="00000",
                       unit_id="03504-fi-markt"),
     "Einheit '03504-fi-markt' gehört zum Jobcenter 03504, nicht zu 00000."),
    (lambda v: monthly_facts(v, "00000", "2020-01", "2020-06", ["elb"],
                             unit_id="03504-fi-markt"),
     "Einheit '03504-fi-markt' gehört zum Jobcenter 03504, nicht zu 00000."),
])
def test_unknown_units_are_named_in_german(default_store, call, message):
    with pytest.raises(UnknownUnit) as e:
        call(default_store.view())
    assert message in str(e.value)


def test_a_wrong_month_is_german():
    with pytest.raises(ValueError, match=r"kein Monat: '2020-13' \(erwartet JJJJ-MM\)"):
        parse_month("2020-13")
    r = CliRunner().invoke(cli, ["indicators", "--month", "13/2020", "--store", "x.duckdb"])
    assert r.exit_code == 2 and "kein Monat: '13/2020'" in r.output



def test_overview_in_a_file_keeps_title_and_rows_on_one_line(store_file, tmp_path):
    """Written to a file (rich assumes 80 columns there), the title and every row stay whole."""
    import os
    import subprocess
    import sys

    out = tmp_path / "overview.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    with out.open("w") as f:
        done = subprocess.run([sys.executable, "-m", "amip.cli", "overview", "--store",
                               str(store_file)], stdout=f, stderr=subprocess.PIPE, text=True,
                              env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("Jobcenter Elbe-Elster – Bestand am Stichtag 15.12.2020 "
                               "(Berichtsmonat Dezember 2020)")
    assert any("│ Erwerbsfähige Leistungsberechtigte (ELB) │" in line for line in lines)
    assert lines[-1].startswith("Datenstand: 31.12.2020.") and lines[-1].endswith("Monaten).")
