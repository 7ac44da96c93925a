"""The CLI contract of `amip targets`, `amip plan`, `amip measures` (issue 12 item 7): shapes of
JSON and CSV, German summaries and errors, non-zero exit on bad input with nothing changed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from amip.cli.main import cli
from amip.errors import DataError
from amip.steering import Steering
from tests.engine.builder import Ex
from tests.steering.conftest import store_file, write

TARGETS = """\
    jobcenter_id;unit_id;year;measure;sex;value;status;source;note
    03504;;2020;K2;all;23,4;vereinbart;Programm;mindestens 23,4 %
    03504;t1;2020;integrations;all;80;in_abstimmung;;
    """


@pytest.fixture
def store(tmp_path):
    ex = Ex().unit("u0", None, "jobcenter").unit("u1", "u0", "standort") \
        .unit("t1", "u1", "team").elb("p1", "2019-01-01")
    return store_file(ex, tmp_path)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_targets_import_list_history(store, tmp_path):
    path = write(tmp_path, TARGETS)
    r = run("targets", "import", path, "--store", store, "--user", "anna")
    assert r.exit_code == 0, r.output
    assert "2 neu, 0 geändert, 0 unverändert" in r.output
    r = run("targets", "import", path, "--store", store)
    assert "0 neu, 0 geändert, 2 unverändert" in r.output

    r = run("targets", "list", "--store", store, "--format", "json")
    rows = json.loads(r.output)
    assert list(rows[0]) == ["jobcenter_id", "unit_id", "year", "measure", "sex", "value",
                             "status", "source", "note", "version", "recorded_at",
                             "recorded_by", "reason"]
    assert [(x["unit_id"], x["measure"], x["value"], x["recorded_by"]) for x in rows] == \
        [(None, "K2", 23.4, "anna"), ("t1", "integrations", 80, "anna")]

    r = run("targets", "list", "--store", store, "--format", "csv")
    lines = r.output.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("jobcenter_id;unit_id;year;measure;sex;value;status")
    assert lines[1].startswith("03504;;2020;K2;all;23,4;vereinbart;Programm")

    r = run("targets", "list", "--store", store, "--year", "2020")
    assert r.exit_code == 0 and "23,4 %" in r.output and "Integrationsquote" in r.output
    assert run("targets", "list", "--store", store, "--as-of", "2000-01-01",
               "--format", "json").output.strip() == "[]"

    changed = write(tmp_path, TARGETS.replace("23,4;", "24,0;"), "changed.csv")
    r = CliRunner().invoke(cli, ["targets", "import", str(changed), "--store", store])
    assert isinstance(r.exception, DataError)
    assert "Zeile 2" in str(r.exception) and "Begründung" in str(r.exception)
    r = run("targets", "import", changed, "--store", store, "--reason", "Nachverhandlung",
            "--user", "ben")
    assert "0 neu, 1 geändert, 1 unverändert" in r.output
    hist = json.loads(run("targets", "history", "--store", store, "--measure", "K2",
                          "--format", "json").output)
    assert [(h["version"], h["value"], h["recorded_by"], h["reason"], h["operation"])
            for h in hist] == [(1, 23.4, "anna", None, "create"),
                               (2, 24.0, "ben", "Nachverhandlung", "change")]
    r = run("targets", "history", "--store", store)
    assert "Nachverhandlung" in r.output and "geändert" in r.output


def test_import_refuses_unknown_unit_with_exit_code(store, tmp_path):
    """The real command: `Fehler: …` (German, line and value) on stderr, exit status 1."""
    bad = write(tmp_path, TARGETS.replace(";t1;", ";t9;"))
    r = subprocess.run([sys.executable, "-m", "amip.cli", "targets", "import", str(bad),
                        "--store", store], capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.startswith("Fehler: Nichts geändert.")
    assert "Zeile 3: Einheit 't9' unbekannt" in r.stderr
    with Steering.open(store) as st:
        assert st.target_history() == []


def test_plan_import(store, tmp_path):
    plans = write(tmp_path, "unit_id,year,measure,value\nt1,2021,integrations,400\n", "p.csv")
    r = run("plan", "import", plans, "--store", store)
    assert r.exit_code == 0 and "1 neu" in r.output
    bad = write(tmp_path, "unit_id,year,measure,value\nu1,2021,integrations,400\n", "b.csv")
    r = CliRunner().invoke(cli, ["plan", "import", str(bad), "--store", store])
    assert isinstance(r.exception, DataError)
    assert "Zeile 2: Einheit 'u1' ist kein Team" in str(r.exception)


def test_measures(store, tmp_path):
    r = run("measures", "add", "beratungen", "--name", "Schuldnerberatungen", "--kind", "count",
            "--unit", "persons", "--direction", "higher", "--store", store)
    assert r.exit_code == 0 and "Messgröße beratungen angelegt" in r.output
    rows = {m["id"]: m for m in json.loads(run("measures", "list", "--store", store,
                                               "--format", "json").output)}
    assert rows["beratungen"] == {"id": "beratungen", "name": "Schuldnerberatungen",
                                  "kind": "count", "unit": "persons", "direction": "higher",
                                  "source": "entered", "scope": "lokal"}
    assert {"K2", "K3", "integrations", "kdu_ausgaben"} <= set(rows)
    values = write(tmp_path, "measure;jobcenter_id;unit_id;month;value\n"
                             "beratungen;03504;;2020-01;12\n", "v.csv")
    r = run("measures", "import-values", values, "--store", store)
    assert r.exit_code == 0 and "1 neu" in r.output


def test_steering_url_option(store, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    run("targets", "import", write(tmp_path, TARGETS), "--store", store, "--steering", url)
    assert (tmp_path / "elsewhere.sqlite").exists()
    assert json.loads(run("targets", "list", "--store", store, "--format", "json").output) == []
    assert len(json.loads(run("targets", "list", "--steering", url, "--format",
                              "json").output)) == 2


def test_known_units_and_jobcenters_read_a_store_view():
    from amip.steering import UnitInfo, known_jobcenters, known_units

    view = Ex().unit("u0", None, "jobcenter").unit("u1", "u0", "standort") \
        .unit("t1", "u1", "team").elb("p1", "2019-01-01").view()
    assert known_units(view) == {"u0": UnitInfo("u0", "03504", "jobcenter", None),
                                 "u1": UnitInfo("u1", "03504", "standort", "u0"),
                                 "t1": UnitInfo("t1", "03504", "team", "u1")}
    assert known_jobcenters(view) == {"03504"}
