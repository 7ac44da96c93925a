"""The `amip indicators` command line is a contract other tools depend on."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from amip.cli.main import cli
from amip.engine.calendar import parse_month
from amip.engine.indicators import compute
from amip.store import Store
from tests.engine.builder import Ex

pytestmark = pytest.mark.duckdb_only

KEYS = ["code", "month", "jobcenter_id", "sex", "numerator", "denominator", "value", "reason"]


@pytest.fixture
def extract_dir(tmp_path):
    """A case written as an extract folder (CSV), and a store holding it."""
    ex = (Ex().elb("bg", "2015-01-01").elb("p", "2018-01-01").job("p", "2020-05-20")
          .unit("u0", None, "jobcenter").unit("s1", "u0", "standort").unit("t1", "s1", "team")
          .caseload("p", "t1", "2015-01-01").caseload("bg", "t1", "2015-01-01"))
    from amip.extract.writer import write_extract

    path = tmp_path / "extract"
    write_extract(ex.tables(), path, description=ex.description)
    store = tmp_path / "amip.duckdb"
    with Store.open(store) as s:
        s.import_extract(path)
    return path, store


def run(*args) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_json_records_have_exactly_the_contract_keys(extract_dir):
    path, store = extract_dir
    records = json.loads(run("indicators", "--store", str(store), "--month", "2020-06",
                             "--format", "json"))
    assert len(records) == 15 * 3
    assert all(list(r) == KEYS for r in records)
    k2 = next(r for r in records if r["code"] == "K2" and r["sex"] == "all")
    # 1 Integration (p, June), mean stock of the 12 Vormonate = 2 → 50 %
    assert k2 == {"code": "K2", "month": "2020-06", "jobcenter_id": "03504", "sex": "all",
                  "numerator": 1, "denominator": 2.0, "value": 50.0, "reason": None}
    k1 = next(r for r in records if r["code"] == "K1" and r["sex"] == "all")
    # no benefit rows at all: missing, not a sum of 0 (§10.2 item 29)
    assert k1["value"] is None and k1["numerator"] is None
    assert k1["reason"] == "Leistungsdaten: keine Daten im Datenbestand"


def test_data_and_store_give_the_same_records_as_the_engine(extract_dir):
    path, store = extract_dir
    from_data = json.loads(run("indicators", "--data", str(path), "--month", "2020-05",
                               "--to", "2020-06", "--format", "json"))
    from_store = json.loads(run("indicators", "--store", str(store), "--month", "2020-05",
                                "--to", "2020-06", "--format", "json"))
    with Store.open(store, read_only=True) as s:
        engine = [r.as_json() for r in compute(s.view(), [parse_month("2020-05"),
                                                           parse_month("2020-06")])]
    assert from_data == from_store == [{k: r[k] for k in KEYS} for r in engine]
    assert [r["month"] for r in from_data[::45]] == ["2020-05", "2020-06"]


def test_unit_adds_unit_id(extract_dir):
    _, store = extract_dir
    records = json.loads(run("indicators", "--store", str(store), "--month", "2020-06",
                             "--unit", "s1", "--format", "json"))
    assert all(list(r) == KEYS + ["unit_id"] and r["unit_id"] == "s1" for r in records)


def test_csv_is_german_like_the_reports_with_a_header_and_empty_for_null(extract_dir):
    _, store = extract_dir
    result = CliRunner().invoke(cli, ["indicators", "--store", str(store), "--month", "2020-06",
                                      "--unit", "s1", "--format", "csv"])
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # UTF-8 BOM, CRLF as in the reports
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == KEYS + ["unit_id"] and len(rows) == 1 + 45
    k1 = next(r for r in rows if r[0] == "K1" and r[3] == "all")
    assert k1 == ["K1", "2020-06", "03504", "all", "", "", "",
                  "Leistungsdaten: keine Daten im Datenbestand", "s1"]
    k2 = next(r for r in rows if r[0] == "K2" and r[3] == "all")
    assert k2[4:7] == ["1", "2", "50"]  # 1 Integration / mean stock 2 = 50 %
    k2e1 = next(r for r in rows if r[0] == "K2E1" and r[3] == "all")
    assert "." not in "".join(k2e1[4:7])  # decimal comma, never a point
    catalogue = CliRunner().invoke(cli, ["indicators", "--list", "--format", "csv"]).stdout_bytes
    head = catalogue.decode("utf-8-sig").split("\r\n", 1)[0]
    assert head == "code;name;kind;goal;legal_basis;form;numerator;denominator"


def test_table_is_german(extract_dir):
    _, store = extract_dir
    out = run("indicators", "--store", str(store), "--month", "2020-06")
    assert "Juni 2020" in out and "Integrationsquote" in out and "50,0\u00a0%" in out  # babel puts a no-break space before %


def test_as_of_published_and_rules_are_accepted(extract_dir):
    _, store = extract_dir
    for extra in (["--as-of", "2020-09-30"], ["--published"], ["--rules", "vo2010"], ["--jfw"]):
        out = json.loads(run("indicators", "--store", str(store), "--month", "2020-06",
                             "--format", "json", *extra))
        assert out and all(list(r) == KEYS for r in out)


@pytest.mark.parametrize("args,message", [
    (["--month", "2020-13"], "kein Monat: '2020-13' (erwartet JJJJ-MM)"),
    (["--month", "2020-06", "--as-of", "30.09.2020"], "kein Datum: '30.09.2020'"),
    (["--month", "2020-06", "--as-of", "2020-09-30", "--published"],
     "schließen einander aus"),
    (["--month", "2020-06", "--unit", "nope"], "Einheit 'nope' gibt es im Datenbestand nicht"),
    (["--month", "2020-06", "--jobcenter", "00000"], "Jobcenter '00000' gibt es im Datenbestand nicht"),
    (["--month", "2020-06", "--to", "2020-01"], "--to liegt vor --month"),
    ([], "--month fehlt"),
])
def test_bad_arguments_are_named(extract_dir, args, message):
    _, store = extract_dir
    result = CliRunner().invoke(cli, ["indicators", "--store", str(store), *args])
    assert result.exit_code == 2 and message in result.output


def test_list_shows_the_catalogue():
    rows = json.loads(run("indicators", "--list", "--format", "json"))
    assert [r["code"] for r in rows][:3] == ["K1", "K1E1", "K1E2"] and len(rows) == 15
    assert rows[5]["legal_basis"] == "§ 5 Abs. 1 SGB2§48aFKV"


def test_a_month_without_benefit_rows_is_null_with_its_reason(tmp_path):
    """Benefit rows up to May 2020 only, Datenstand declared 31.05.2020 for them: June's K1 is
    null with the reason in JSON, CSV and the table (no −100 % from comparing 0 € with 400 €);
    May's K1 exists: (410 / 400 − 1) × 100 = 2.5 %."""
    ex = Ex().elb("p", "2015-01-01").benefit("p", "2019-06", "400.00") \
        .benefit("p", "2019-05", "400.00").benefit("p", "2020-05", "410.00") \
        .declare("data_as_of = 2020-07-31\n[data_as_of_by_table]\nbenefit_months = 2020-05-31\n")
    store = tmp_path / "amip.duckdb"
    with Store.open(store) as s:
        s.import_tables(ex.tables(), source="test", description=ex.description)
    reason = "Leistungsdaten für Juni 2020 noch nicht erfasst (Datenstand 31.05.2020)"
    records = json.loads(run("indicators", "--store", str(store), "--month", "2020-06",
                             "--format", "json"))
    k1 = next(r for r in records if r["code"] == "K1" and r["sex"] == "all")
    assert (k1["numerator"], k1["denominator"], k1["value"], k1["reason"]) == \
        (None, None, None, reason)
    k1e2 = next(r for r in records if r["code"] == "K1E2" and r["sex"] == "all")
    assert k1e2["value"] == 0.0 and k1e2["reason"] is None  # the ELB data reach June
    table = run("indicators", "--store", str(store), "--month", "2020-06")
    assert "K1 (1)" in table and f"(1) kein Wert: {reason}" in table and "-100" not in table
    text = run("indicators", "--store", str(store), "--month", "2020-06", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))  # German CSV
    assert next(r for r in rows if r["code"] == "K1")["reason"] == reason
    may = json.loads(run("indicators", "--store", str(store), "--month", "2020-05",
                         "--format", "json"))
    assert next(r for r in may if r["code"] == "K1" and r["sex"] == "all")["value"] == \
        pytest.approx(2.5)


def test_a_month_without_any_figure_is_an_error_naming_the_range(extract_dir):
    """Datenstand 31.12.2030 (the builder's declaration), data from 01.01.2000: January 2031
    has no figure at all; exit code 2 and the covered range in German."""
    _, store = extract_dir
    result = CliRunner().invoke(cli, ["indicators", "--store", str(store), "--month", "2031-01"])
    assert result.exit_code == 2
    assert "Für Januar 2031 gibt es keine Kennzahlen" in result.output
    assert "bis Dezember 2030 (Datenstand 31.12.2030)" in result.output
