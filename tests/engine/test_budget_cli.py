"""`amip budget status|outcomes|landing`: the JSON contract (issue 13 item 6), German tables and
errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from amip.cli.main import cli
from amip.store import Store
from tests.engine import test_budget_outcomes, test_budget_status

pytestmark = pytest.mark.duckdb_only

STATUS_KEYS = ["jobcenter_id", "year", "title", "instrument", "plan", "payments",
               "open_commitments", "vorbindungen", "available", "bindungsquote", "ausgabequote"]
OUTCOME_KEYS = ["jobcenter_id", "month", "instrument", "austritte", "eingliederungsquote",
                "verbleibsquote", "cost_per_participant", "cost_per_eingliederung"]


def store_of(tmp_path, ex) -> str:
    from amip.extract.writer import write_extract

    path = tmp_path / "extract"
    write_extract(ex.tables(), path, description=ex.description)
    store = tmp_path / "amip.duckdb"
    with Store.open(store) as s:
        s.import_extract(path)
    return str(store)


def run(*args, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_status_json(tmp_path):
    store = store_of(tmp_path, test_budget_status.case())
    records = json.loads(run("budget", "status", "--year", "2020", "--store", store,
                             "--format", "json"))
    assert all(list(r) == STATUS_KEYS for r in records)
    assert [(r["title"], r["instrument"]) for r in records] == [
        ("egl", "egz"), ("egl", "fbw"), ("egl", None), ("vk", None)]
    # the figures of test_budget_status.test_status_of_the_year
    assert records[2]["ausgabequote"] == 43.57 and records[3]["plan"] == 210000.0
    asof = json.loads(run("budget", "status", "--year", "2020", "--as-of", "2020-06-30",
                          "--jobcenter", "03504", "--store", store, "--format", "json"))
    assert asof[2]["bindungsquote"] == 60.67
    table = run("budget", "status", "--year", "2020", "--store", store)
    assert "Budget 2020 – Jobcenter 03504" in table and "100.000,00\xa0€" in table
    assert "43,6\xa0%" in table and "Gesamtbudget" in table and "37.641,51\xa0€" in table
    text = run("budget", "status", "--year", "2020", "--store", store, "--format", "csv")
    assert text.splitlines()[0].lstrip("\ufeff").split(";") == STATUS_KEYS


def test_status_of_a_year_without_data_is_an_error(tmp_path):
    store = store_of(tmp_path, test_budget_status.case())
    out = run("budget", "status", "--year", "2030", "--store", store, code=2)
    assert "Für das Haushaltsjahr 2030 gibt es keinen Plan und keine Buchungen" in out
    out = run("budget", "status", "--year", "1999", "--store", store, code=2)
    assert "kein Haushaltsjahr: 1999" in out


def test_outcomes_and_landing_json(tmp_path):
    store = store_of(tmp_path, test_budget_outcomes.case())
    records = json.loads(run("budget", "outcomes", "--month", "2020-12", "--store", store,
                             "--format", "json"))
    assert all(list(r) == OUTCOME_KEYS for r in records)
    fbw = next(r for r in records if r["instrument"] == "fbw")
    assert (fbw["eingliederungsquote"], fbw["cost_per_participant"]) == (33.33, 2400.0)
    table = run("budget", "outcomes", "--month", "2020-12", "--store", store)
    assert "Keine Wirkungsmessung" in table or "keine Wirkungsmessung" in table
    assert "33,3\xa0%" in table and "2.400,00\xa0€" in table
    landing = json.loads(run("budget", "landing", "--year", "2020", "--month", "2020-12",
                             "--store", store, "--format", "json"))
    assert {(r["title"], r["instrument"]) for r in landing} >= {("egl", "fbw"), ("egl", None)}
    assert len(landing[0]["curve"]) == 12
    out = run("budget", "landing", "--year", "2020", "--month", "2021-01", "--store", store,
              code=2)
    assert "liegt nicht im Haushaltsjahr 2020" in out


def test_outcomes_series(tmp_path):
    store = store_of(tmp_path, test_budget_outcomes.case())
    records = json.loads(run("budget", "outcomes", "--month", "2020-11", "--to", "2020-12",
                             "--jobcenter", "03504", "--store", store, "--format", "json"))
    # h's egz spell ended 31.12.2019: inside 12/2019–11/2020, not inside 2020
    assert [(r["month"], r["instrument"]) for r in records] == [
        ("2020-11", "egz"), ("2020-11", "fbw"), ("2020-12", "fbw")]
    table = run("budget", "outcomes", "--month", "2020-11", "--to", "2020-12", "--store", store)
    assert "zwölf Monate bis November 2020" in table and "zwölf Monate bis Dezember 2020" in table


def test_compare(tmp_path):
    store = store_of(tmp_path, test_budget_status.case())
    records = json.loads(run("budget", "compare", "--year", "2020", "--store", store,
                             "--format", "json"))
    # the figures of test_budget_status.test_gesamtbudget_kfa_and_comparison
    assert [(r["key"], r["before"], r["now"], r["delta_percent"]) for r in records] == [
        ("egl", 90000.0, 150000.0, 66.67), ("vk", 190000.0, 200000.0, 5.26),
        ("gesamtbudget", 280000.0, 350000.0, 25.0), ("kfa", 34056.6, 35849.06, 5.26)]
    table = run("budget", "compare", "--year", "2020", "--store", store)
    assert "Zuteilung 2019" in table and "+66,7\xa0%" in table and "350.000\xa0€" in table


def test_outcomes_by_group(tmp_path):
    store = store_of(tmp_path, test_budget_outcomes.group_case())
    records = json.loads(run("budget", "outcomes", "--month", "2020-12", "--by-group",
                             "--store", store, "--format", "json"))
    # the figures of test_budget_outcomes.test_outcomes_by_customer_group, one key more
    assert all(list(r) == OUTCOME_KEYS + ["group"] for r in records)
    assert [(r["group"], r["austritte"], r["eingliederungsquote"], r["cost_per_participant"])
            for r in records] == [("lzb", 1, 100.0, None), ("single_parents", 1, 0.0, None),
                                  ("no_vocational_training", 2, 50.0, None)]
    table = run("budget", "outcomes", "--month", "2020-12", "--by-group", "--store", store)
    assert "Alleinerziehende" in table
    assert "keiner Kundengruppe zugeordnet" in " ".join(table.split())
