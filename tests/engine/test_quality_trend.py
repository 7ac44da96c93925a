"""The data-quality trend per rule and month, the lights, and what changed between two data
states (amip.engine.quality_rules: trend_records, rule_light, quality_keys, quality_changes) on a
small extract with known faults, worked by hand; the CLI's trend JSON and the import summary's
new/resolved lines. Runs on DuckDB and PostgreSQL (tests/engine/conftest.py)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from amip.cli.main import cli
from amip.engine.calendar import parse_month
from amip.engine.quality_rules import (quality_changes, quality_keys, quality_trend, rule_light,
                                       trend_records)
from amip.extract.writer import write_extract
from tests.engine.builder import Ex

JUNE = parse_month("2020-06")


def faulty() -> Ex:
    """Period 2020-01..2020-06 (six months ending June):
    - p: ELB from 2020-01-01, first recorded 2020-04-02 (> 3 months): late in January;
    - q: ELB from 2020-03-01, first recorded 2020-07-15: late in March; q has no team, so
      ``caseload_gap`` flags q at ST(March), ST(April), ST(May), ST(June): 1 in each;
    - KdU checks: February 1 error in 10 items (1 check with errors, 10 %), May 0 in 30
      (0 checks with errors, 0 %); the period: 1 / 40 = 2,5 % < 5 %."""
    return Ex().unit("J", None, "jobcenter").unit("S", "J", "standort") \
        .unit("T1", "S", "team") \
        .elb("p", "2020-01-01", recorded_on="2020-04-02").caseload("p", "T1", "2019-01-01") \
        .elb("q", "2020-03-01", recorded_on="2020-07-15") \
        .check("p", "kdu", "2020-02-10", 1, 10).check("p", "kdu", "2020-05-11", 0, 30)


def _series(records, rule, field="flagged"):
    return [r[field] for r in records if r["rule_id"] == rule]


def test_trend_by_hand():
    report = quality_trend(faulty().view(), JUNE, months=6)
    recs = trend_records(report)
    assert _series(recs, "late_elb_spell") == [1, 0, 1, 0, 0, 0]
    assert _series(recs, "caseload_gap") == [0, 0, 1, 1, 1, 1]
    assert _series(recs, "kdu_error_rate") == [0, 1, 0, 0, 0, 0]
    assert _series(recs, "kdu_error_rate", "items") == [0, 10, 0, 0, 30, 0]
    assert _series(recs, "kdu_error_rate", "rate") == [None, 10.0, None, None, 0.0, None]
    assert set(_series(recs, "kdu_error_rate", "target_pct")) == {5}
    assert set(_series(recs, "late_elb_spell", "rate")) == {None}  # no denominator
    # not checkable (no benefit months, no earnings): no record at all, never a 0
    assert _series(recs, "spell_without_benefit") == []
    assert _series(recs, "employment_without_income") == []
    lights = {r.rule.id: rule_light(r)[0] for r in report.results}
    # late: 0 in June → green; caseload gap: June 1 > mean(0, 0, 1, 1, 1) = 0,6 → red;
    # KdU 2,5 % < 5 % → green; BuT: no checks → grey; not checkable → grey
    assert (lights["late_elb_spell"], lights["caseload_gap"], lights["kdu_error_rate"],
            lights["but_error_rate"], lights["spell_without_benefit"]) == \
        ("green", "red", "green", "grey", "grey")


def test_yellow_when_not_above_the_average():
    """r without a team from 2020-01-01: 1 in each month; June 1 ≤ mean 1 → yellow."""
    ex = Ex().elb("r", "2020-01-01")
    report = quality_trend(ex.view(), JUNE, months=6)
    r = next(x for x in report.results if x.rule.id == "caseload_gap")
    assert rule_light(r)[0] == "yellow"


def test_changes_between_two_states():
    """Before: the faulty extract. Now: q gets a team from 2020-05-01 (May and June resolved),
    s is recorded late (new). A previous key from before the current period is not resolved,
    it left the period."""
    m_lo, _, before = quality_keys(faulty().view(), JUNE, months=6)
    now_ex = faulty().caseload("q", "T1", "2020-05-01") \
        .elb("s", "2020-02-01", recorded_on="2020-06-20").caseload("s", "T1", "2019-01-01")
    m_lo, _, now = quality_keys(now_ex.view(), JUNE, months=6)
    changes = {c.rule_id: c for c in quality_changes(now, before, m_lo)}
    assert (changes["caseload_gap"].new, changes["caseload_gap"].resolved) == (0, 2)
    assert (changes["caseload_gap"].before, changes["caseload_gap"].now) == (4, 2)
    assert (changes["late_elb_spell"].new, changes["late_elb_spell"].resolved) == (1, 0)
    assert changes["spell_without_benefit"].now is None
    moved = quality_changes(now, before, m_lo + 3)  # the March key is before the period now
    assert next(c for c in moved if c.rule_id == "caseload_gap").resolved == 2
    assert next(c for c in moved if c.rule_id == "late_elb_spell").resolved == 0


def imported(tmp_path) -> str:
    """The faulty extract imported into a store file (without the import's own check)."""
    ex = faulty()
    write_extract(ex.tables(), tmp_path / "a", description=ex.description)
    store = str(tmp_path / "s.duckdb")
    CliRunner().invoke(cli, ["import", str(tmp_path / "a"), "--store", store, "--no-quality"],
                       catch_exceptions=False)
    return store


def test_cli_trend_json(tmp_path, backend):
    if backend != "duckdb":
        pytest.skip("the CLI reads a DuckDB store file")
    store = imported(tmp_path)
    r = CliRunner().invoke(cli, ["quality", "trend", "--store", store, "--month", "2020-06",
                                 "--months", "6", "--format", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["from"], data["to"]) == ("2020-01", "2020-06")
    assert _series(data["trend"], "caseload_gap") == [0, 0, 1, 1, 1, 1]
    assert _series(data["trend"], "kdu_error_rate", "rate") == [None, 10.0, None, None, 0.0,
                                                                 None]
    assert {x["rule_id"] for x in data["not_checkable"]} == {"spell_without_benefit",
                                                             "employment_without_income"}
    r = CliRunner().invoke(cli, ["quality", "trend", "--store", store, "--month", "2020-06"],
                           catch_exceptions=False)
    assert r.exit_code == 0 and "Verlauf" in r.stdout


def test_cli_followup_list_and_set(tmp_path, backend):
    if backend != "duckdb":
        pytest.skip("the CLI reads a DuckDB store file")
    store = imported(tmp_path)
    base = ["--store", store, "--month", "2020-06"]
    r = CliRunner().invoke(cli, ["quality", "followup", "list", *base, "--format", "json"],
                           catch_exceptions=False)
    rows = json.loads(r.stdout)
    assert {(x["rule_id"], x["state"]) for x in rows} == {
        ("late_elb_spell", "offen"), ("caseload_gap", "offen"), ("kdu_error_rate", "offen")}
    gap = [x for x in rows if x["rule_id"] == "caseload_gap"]
    assert [x["month"] for x in gap] == ["2020-03", "2020-04", "2020-05", "2020-06"]
    key = gap[0]["row_key"]
    r = CliRunner().invoke(cli, ["quality", "followup", "set", "caseload_gap", key, "--state",
                                 "in Klärung", "--reason", "Team fehlt", "--store", store,
                                 "--user", "tina"], catch_exceptions=False)
    assert r.exit_code == 0 and "in Klärung (Version 1, tina)" in r.stdout
    r = CliRunner().invoke(cli, ["quality", "followup", "set", "caseload_gap", key, "--state",
                                 "geklärt", "--store", store, "--user", "tina"])
    assert r.exit_code != 0 and "Status 'geklärt' gibt es nicht" in str(r.exception)
    r = CliRunner().invoke(cli, ["quality", "followup", "set", "caseload_gap", "nope",
                                 "--state", "erledigt", "--store", store])
    assert r.exit_code != 0 and "keine auffällige Zeile 'nope'" in str(r.exception)
    r = CliRunner().invoke(cli, ["quality", "followup", "list", *base, "--state",
                                 "in_klaerung", "--format", "json"], catch_exceptions=False)
    assert [(x["row_key"], x["version"], x["recorded_by"], x["reason"])
            for x in json.loads(r.stdout)] == [(key, 1, "tina", "Team fehlt")]


def test_import_says_what_changed(tmp_path, backend):
    if backend != "duckdb":
        pytest.skip("amip import writes a DuckDB store file")
    ex = faulty()
    write_extract(ex.tables(), tmp_path / "a", description=ex.description)
    ex.caseload("q", "T1", "2020-05-01").elb("s", "2020-02-01", recorded_on="2020-06-20") \
        .caseload("s", "T1", "2019-01-01")
    write_extract(ex.tables(), tmp_path / "b", description=ex.description)
    store = str(tmp_path / "s.duckdb")
    r = CliRunner().invoke(cli, ["import", str(tmp_path / "a"), "--store", store],
                           catch_exceptions=False)
    assert "(erste Prüfung)" in r.stdout and "neu" not in r.stdout.split("Datenqualität")[1]
    r = CliRunner().invoke(cli, ["import", str(tmp_path / "b"), "--store", store],
                           catch_exceptions=False)
    out = " ".join(r.stdout.split())
    # the import checks the 12 months ending with the data's latest month, July 2020 (q was
    # recorded 2020-07-15): q lacked a team at ST(March..July) = 5; with a team from May, March
    # and April remain → 3 resolved
    assert "ELB ohne Team: 0 neu, 3 behoben (jetzt 2)." in out
    assert "Leistungszeitraum verspätet erfasst: 1 neu, 0 behoben (jetzt 3)." in out
