"""`amip care`: candidates, enrolment, contacts, list and outcomes on the hand-worked extract of
tests/engine/test_care.py (JSON keys in English, numbers unrounded, German errors, exit ≠ 0 and
nothing changed on bad input)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from amip.cli.main import cli
from amip.errors import AmipError
from amip.steering import Steering
from tests.engine.test_care import case
from tests.steering.conftest import store_file


@pytest.fixture
def store(tmp_path):
    return store_file(case(), tmp_path)


def run(*args):
    return CliRunner().invoke(cli, ["care", *[str(a) for a in args]])


def refused(*args) -> str:
    """The German message of a refused command (amip.cli.main prints it as "Fehler: …")."""
    r = run(*args)
    assert r.exit_code != 0 and isinstance(r.exception, AmipError), r.output
    return str(r.exception)


def test_candidates_json_and_table(store):
    r = run("candidates", "--store", store, "--month", "2024-06", "--caseworker", "cw1",
            "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [(x["person_id"], x["days_left"], x["score"]) for x in rows] == [
        ("E", 14, None), ("D", 92, None), ("A", 106, None)]
    assert set(rows[0]) >= {"person_id", "unit_id", "caseworker_id", "days_in_window",
                            "days_left", "score", "score_reason"}
    r = run("candidates", "--store", store, "--month", "2024-06", "--unit", "t2")
    assert r.exit_code == 0 and "Stichtag Juni 2024" in r.output
    assert "1 Kandidaten; kein Frühwarnmodell (erst `amip risk train`)." in r.output


def test_enrol_contact_list_end_outcomes(store):
    ok = run("enrol", "A", "--store", store, "--caseworker", "cw1", "--month", "2024-06",
             "--user", "ifk1", "--format", "json")
    assert ok.exit_code == 0, ok.output
    row = json.loads(ok.output)
    assert (row["person_id"], row["start_on"], row["planned_end"], row["unit_id"],
            row["recorded_by"]) == ("A", "2024-06-01", "2024-11-30", "t1", "ifk1")
    assert run("enrol", "E", "--store", store, "--caseworker", "cw1",
               "--month", "2024-06").exit_code == 0
    # F is cw2's, Z is nobody's and no ELB, D would be cw1's third
    enrol = ("enrol", "--store", store, "--caseworker", "cw1", "--month", "2024-06")
    assert "nicht im Bestand der Fachkraft cw1" in refused(*enrol, "F")
    assert "keine erwerbsfähige leistungsberechtigte" in refused(*enrol, "Z")
    assert "Kontingent 2" in refused(*enrol, "D")
    r = run("contact", "A", "--store", store, "--on", "2024-08-05", "--kind", "beratung")
    assert r.exit_code == 0 and "erfasst" in r.output
    assert "Art 'brief' unbekannt" in refused("contact", "A", "--store", store,
                                              "--on", "2024-08-06", "--kind", "brief")

    r = run("list", "--store", store, "--month", "2024-08", "--caseworker", "cw1",
            "--format", "json")
    rows = {x["person_id"]: x for x in json.loads(r.output)}
    assert (rows["A"]["contacts_due"], rows["A"]["contacts_done"], rows["A"]["overdue"]) == \
        (3, 2, 1)
    assert rows["E"]["overdue"] == 2 and rows["E"]["contact_due_now"]
    assert "Stand August 2024" in run("list", "--store", store, "--month", "2024-08").output

    r = run("outcomes", "--store", store, "--month", "2025-05", "--format", "json")
    data = json.loads(r.output)
    assert data["summary"]["rate"] == 0.5 and data["summary"]["comparison_rate"] == 0.5
    assert "kein Wirkungsnachweis" in run("outcomes", "--store", store,
                                          "--month", "2025-05").output

    r = run("end", "E", "--store", store, "--reason", "Umzug", "--on", "2024-09-30")
    assert r.exit_code == 0 and "beendet am 30.09.2024" in r.output
    with Steering.open(store) as st:
        assert [(h.person_id, h.version, h.state) for h in st.enrolment_history()] == [
            ("A", 1, "enrolled"), ("E", 1, "enrolled"), ("E", 2, "ended")]
        assert len(st.contacts()) == 1
