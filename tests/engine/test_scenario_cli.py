"""`amip budget scenario add|list|show|compare|history|withdraw`: JSON, German tables and errors
(issue 13 item 4); the figures are those of tests/engine/test_budget_scenario.py."""

from __future__ import annotations

import json

import pytest

from amip.errors import AmipError

from tests.engine import test_budget_scenario
from tests.engine.test_budget_cli import run, store_of

pytestmark = pytest.mark.duckdb_only


@pytest.fixture
def store(tmp_path):
    return store_of(tmp_path, test_budget_scenario.case())


def test_add_show_compare_history(store, tmp_path):
    out = run("budget", "scenario", "add", "Umbau", "--year", "2020", "--store", store,
              "--user", "anna", *sum((["--change", c] for c in test_budget_scenario.CHANGES), []),
              "--description", "EGL −10 %, FbW → EGZ, § 16i doppelt")
    assert "Szenario „Umbau“ 2020 (Jobcenter 03504) gespeichert: Version 1, 3 Änderung(en)" in out
    f = tmp_path / "kuerzung.toml"
    f.write_text('description = "Kürzung"\nchanges = ["title=egl:-10%"]\n', encoding="utf-8")
    run("budget", "scenario", "add", "Kürzung", "--year", "2020", "--file", str(f),
        "--store", store, "--user", "ben")
    listed = json.loads(run("budget", "scenario", "list", "--year", "2020", "--store", store,
                            "--format", "json"))
    assert [(s["name"], s["version"], s["changes"]) for s in listed] == [
        ("Kürzung", 1, ["title=egl:-10%"]),
        ("Umbau", 1, ["title=egl:-10%", "move=fbw:-20000,egz:+20000", "instrument=16i:+100%"])]
    r = json.loads(run("budget", "scenario", "show", "Umbau", "--year", "2020", "--store", store,
                       "--format", "json"))
    # the hand-worked figures of test_scenario_worked_by_hand
    fbw = next(x for x in r["lines"] if x["instrument"] == "fbw")
    assert (fbw["plan"], fbw["scenario"], fbw["integrationen_delta"]) == (100000.0, 70000.0, -3.0)
    assert r["k2"]["integrations_delta"] == pytest.approx(8 / 3)
    assert r["k2"]["points_delta"] == pytest.approx(80 / 3)
    assert r["basis"] == {"from": "2019-01", "to": "2019-12"} and r["version"] == 1
    table = run("budget", "scenario", "show", "Umbau", "--year", "2020", "--store", store)
    assert "Szenario „Umbau“ 2020 – Jobcenter 03504" in table
    assert "70.000\xa0€" in table and "Wirkung auf K2: +2,7 Integrationen, +26,67 Prozentpunkte" \
        in table and "5.000,00\xa0€" in table and "Beschreibende Kennzahlen" in table
    cmp = json.loads(run("budget", "scenario", "compare", "--year", "2020", "Kürzung", "Umbau",
                         "--store", store, "--format", "json"))
    assert cmp["base"]["name"] == "Basisplan" and cmp["base"]["k2"]["integrations_delta"] == 0
    assert [s["name"] for s in cmp["scenarios"]] == ["Kürzung", "Umbau"]
    assert cmp["scenarios"][0]["k2"]["integrations_delta"] == pytest.approx(-2)
    text = run("budget", "scenario", "compare", "--year", "2020", "--store", store)
    assert "neben dem Basisplan" in text and "Kürzung" in text and "Umbau" in text
    run("budget", "scenario", "withdraw", "Kürzung", "--year", "2020", "--version", "1",
        "--store", store, "--user", "carla", "--reason", "verworfen")
    hist = json.loads(run("budget", "scenario", "history", "--store", store, "--format", "json"))
    assert [(h["name"], h["version"], h["operation"], h["recorded_by"]) for h in hist] == [
        ("Umbau", 1, "create", "anna"), ("Kürzung", 1, "create", "ben"),
        ("Kürzung", 2, "withdraw", "carla")]


def fails(*args) -> str:
    """The German message of a command that fails (the CLI prints it as ``Fehler: …``)."""
    with pytest.raises(AmipError) as e:
        run(*args)
    return str(e.value)


@pytest.mark.parametrize("change, message", [
    ("instrument=xyz:10", "Instrument 'xyz' unbekannt"),
    ("move=fbw:-100,egz:+90", "ergibt in Summe -10 €, nicht 0"),
    ("title=vk:-10%", "Titel 'vk' unbekannt oder ohne Instrumente"),
])
def test_bad_input_is_named_and_changes_nothing(store, change, message):
    assert message in fails("budget", "scenario", "add", "X", "--year", "2020", "--store", store,
                            "--change", change)
    assert "keine Änderung" in run("budget", "scenario", "add", "X", "--year", "2020",
                                   "--store", store, code=2)
    assert json.loads(run("budget", "scenario", "list", "--year", "2020", "--store", store,
                          "--format", "json")) == []


def test_stale_version_and_unknown_scenario(store):
    run("budget", "scenario", "add", "A", "--year", "2020", "--change", "title=egl:-5%",
        "--store", store, "--user", "anna")
    assert "wurde inzwischen von anna" in fails(
        "budget", "scenario", "add", "A", "--year", "2020", "--change", "title=egl:-6%",
        "--store", store, "--user", "ben")
    assert "Szenario 'B' 2020 (Jobcenter 03504) gibt es nicht" in fails(
        "budget", "scenario", "show", "B", "--year", "2020", "--store", store)
