"""The data-quality rules (amip/catalogue/quality.toml): each on a tiny extract with a known fault
and on the same extract without it; the customer-group monitor against hand-worked figures; the
CLI's JSON shapes and the import summary.

Every case runs on DuckDB and PostgreSQL (tests/engine/conftest.py). The period is the twelve
months 2019-07..2020-06 (``--month 2020-06``) unless a case says otherwise.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from amip.catalogue.monitors import customer_groups, quality_rules
from amip.cli.main import cli
from amip.engine.calendar import parse_month
from amip.engine.group_monitor import group_monitor
from amip.engine.quality_rules import flagged_rows, run_quality
from amip.extract.writer import write_extract
from amip.store import Store
from tests.engine.builder import JC, Ex

JUNE = parse_month("2020-06")


class QEx(Ex):
    """The builder plus birth dates, person flags, case-file checks and gross earnings."""

    def __init__(self) -> None:
        super().__init__()
        self.born: dict[str, str] = {}

    def birth(self, pid: str, day: str) -> "QEx":
        self._p(pid)
        self.born[pid] = day
        return self

    def flag(self, pid: str, flag: str, start: str, end: str | None = None) -> "QEx":
        self._p(pid)
        self.rows["person_flags"].append(dict(person_id=pid, flag=flag, valid_from=start,
                                              valid_to=end, recorded_on="2000-01-01"))
        return self

    def check(self, cid: str, pid: str, area: str, day: str, errors: int, items: int) -> "QEx":
        self._p(pid)
        self.rows["casefile_checks"].append(dict(check_id=cid, person_id=pid, area=area,
                                                 checked_on=day, errors=str(errors),
                                                 items=str(items)))
        return self

    def paid_job(self, pid: str, start: str, gross: str | None, end: str | None = None) -> "QEx":
        self.job(pid, start, end)
        self.rows["employment_spells"][-1]["gross_monthly_eur"] = gross
        return self

    def unemployed(self, pid: str, start: str, end: str | None = None) -> "QEx":
        self._p(pid)
        self.rows["unemployment_spells"].append(dict(person_id=pid, valid_from=start,
                                                     valid_to=end, recorded_on="2000-01-01"))
        return self

    def tables(self):
        out = super().tables()
        if self.born:
            import pyarrow as pa
            days = [self.born.get(p, "1980-01-01") for p in out["persons"]["person_id"].to_pylist()]
            i = out["persons"].schema.get_field_index("birth_date")
            out["persons"] = out["persons"].set_column(i, "birth_date", pa.array(days, pa.string()))
        return out


def flagged(ex: Ex, rule: str, month: str = "2020-06") -> int | None:
    report = run_quality(ex.view(), parse_month(month), rule_ids=[rule])
    return report.results[0].flagged


# -- one case per rule: fault and clean ----------------------------------------------------------

@pytest.mark.parametrize("recorded,n", [("2020-04-02", 1), ("2020-04-01", 0)])
def test_late_start(recorded, n):
    """Spell from 2020-01-01; three months later is 2020-04-01: recorded that day is in time,
    a day later is late."""
    ex = Ex().elb("p", "2020-01-01", recorded_on=recorded)
    assert flagged(ex, "late_elb_spell") == n


@pytest.mark.parametrize("recorded,n", [("2020-05-01", 1), ("2020-04-30", 0)])
def test_late_closure(recorded, n):
    """Delivered open, closed by a later row: end 2020-01-31 + 3 months = 2020-04-30."""
    ex = Ex().elb("p", "2019-01-01").elb("p", "2019-01-01", "2020-01-31", recorded_on=recorded)
    assert flagged(ex, "late_elb_closure") == n
    assert flagged(ex, "late_elb_spell") == 0  # the start was recorded in time


def test_late_employment_has_the_persons_jobcenter():
    ex = Ex().elb("p", "2019-01-01", jc="09999").job("p", "2020-02-01", recorded_on="2020-05-02")
    report = run_quality(ex.view(), JUNE, jobcenter_id="09999", rule_ids=["late_employment"])
    assert report.results[0].flagged == 1
    assert run_quality(ex.view(), JUNE, jobcenter_id=JC,
                       rule_ids=["late_employment"]).results[0].flagged == 0


@pytest.mark.parametrize("months,n", [(("2020-02", "2020-03"), 1), (("2020-02",), 0)])
def test_benefit_without_spell(months, n):
    """Spell to 2020-02-29: a benefit row for March has no spell."""
    ex = Ex().elb("p", "2019-01-01", "2020-02-29")
    for m in months:
        ex.benefit("p", m, "500.00")
    assert flagged(ex, "benefit_without_spell") == n


@pytest.mark.parametrize("last,n", [("2020-02", 2), ("2020-04", 0)])
def test_spell_without_benefit(last, n):
    """p's spell is open from 2020-01-01; q has benefits Jan..Apr, so benefit data reach April.
    p's benefits end with ``last``: March and April uncovered → 2 person-months."""
    ex = Ex().elb("p", "2020-01-01").elb("q", "2020-01-01")
    for m in ("2020-01", "2020-02", "2020-03", "2020-04"):
        ex.benefit("q", m, "500.00")
        if m <= last:
            ex.benefit("p", m, "500.00")
    assert flagged(ex, "spell_without_benefit") == n


@pytest.mark.parametrize("second,overlap,gap", [
    ("2019-10-01", 1, 0),   # starts before the first spell ends (2019-12-31): overlap
    ("2020-01-08", 0, 1),   # gap 2020-01-01..07 = 7 days: a short gap
    ("2020-01-09", 0, 0),   # 8 days: a real interruption
    ("2020-01-01", 0, 0),   # adjacent: no gap
])
def test_overlap_and_gap(second, overlap, gap):
    ex = Ex().elb("p", "2019-01-01", "2019-12-31", bg="b1").elb("p", second, bg="b2")
    assert flagged(ex, "elb_spell_overlap") == overlap
    assert flagged(ex, "elb_spell_gap") == gap


@pytest.mark.parametrize("born,n", [("2005-01-02", 1), ("2005-01-01", 0), ("1953-01-01", 1),
                                    ("1953-01-02", 0)])
def test_implausible_age(born, n):
    """Spell from 2020-01-01: born 2005-01-02 → 14 (too young), 2005-01-01 → 15; born
    1953-01-01 → 67 (at the limit), 1953-01-02 → 66."""
    ex = QEx().birth("p", born).elb("p", "2020-01-01")
    assert flagged(ex, "implausible_age") == n


@pytest.mark.parametrize("start,n", [("2020-03-01", 2), ("2019-12-01", 0)])
def test_caseload_gap_by_month_and_team(start, n):
    """ELB from 2020-01-01; a team from ``start``: 2020-03-01 leaves ST 15.1. and 15.2. without
    a team → 2 person-months, in January and February, team None."""
    ex = Ex().unit("J", None, "jobcenter").unit("S", "J", "standort").unit("T1", "S", "team") \
        .elb("p", "2020-01-01").caseload("p", "T1", start)
    r = run_quality(ex.view(), JUNE, rule_ids=["caseload_gap"]).results[0]
    assert r.flagged == n
    assert r.trend[parse_month("2020-01")] == (1 if n else 0)
    assert r.trend[parse_month("2020-03")] == 0
    assert r.by_team == ({None: 2} if n else {})


@pytest.mark.parametrize("feb,n", [("800.00", 1), ("600.00", 0)])
def test_employment_without_income(feb, n):
    """Job from 2020-02-01 earning 500 €; claim January 800 €; February unchanged: flagged."""
    ex = QEx().elb("p", "2019-01-01").paid_job("p", "2020-02-01", "500.00") \
        .benefit("p", "2020-01", "800.00").benefit("p", "2020-02", feb)
    assert flagged(ex, "employment_without_income") == n


def test_employment_without_income_not_checkable_without_earnings():
    ex = Ex().elb("p", "2019-01-01").job("p", "2020-02-01") \
        .benefit("p", "2020-01", "800.00").benefit("p", "2020-02", "800.00")
    r = run_quality(ex.view(), JUNE, rule_ids=["employment_without_income"]).results[0]
    assert r.flagged is None and "nicht prüfbar" in r.reason


def test_casefile_error_rate():
    """KdU in May 2020: 1 error in 10 + 0 in 10 items → 1 check with errors, rate 1/20 = 5 %;
    BuT: 3 of 20 = 15 %."""
    ex = QEx().elb("p", "2019-01-01").check("c1", "p", "kdu", "2020-05-04", 1, 10) \
        .check("c2", "p", "kdu", "2020-05-05", 0, 10).check("c3", "p", "but", "2020-05-06", 3, 20)
    report = run_quality(ex.view(), JUNE, rule_ids=["kdu_error_rate", "but_error_rate"])
    kdu, but = report.results
    assert kdu.flagged == 1 and kdu.error_rate() == pytest.approx(5.0)
    assert kdu.rates == {parse_month("2020-05"): (1, 20)}
    assert but.flagged == 1 and but.error_rate() == pytest.approx(15.0)


def test_clean_extract_flags_nothing():
    ex = QEx().unit("J", None, "jobcenter").unit("S", "J", "standort").unit("T1", "S", "team") \
        .elb("p", "2019-01-01").caseload("p", "T1", "2019-01-01") \
        .paid_job("p", "2020-02-01", "500.00").check("c1", "p", "kdu", "2020-05-04", 0, 10)
    for m in ("2019-12", "2020-01"):
        ex.benefit("p", m, "800.00")
    ex.benefit("p", "2020-02", "600.00")
    # benefit months reach Feb 2020 only: months without data are not "without benefit"
    ex.benefit("p", "2019-11", "800.00")
    report = run_quality(ex.view(), parse_month("2020-02"), months=4)
    assert {r.rule.id: r.flagged for r in report.results} == {r: 0 for r in quality_rules()}


def test_flagged_rows_have_stable_keys():
    ex = Ex().unit("J", None, "jobcenter").unit("S", "J", "standort").unit("T1", "S", "team") \
        .elb("p", "2020-01-01", recorded_on="2020-04-02", bg="b1").caseload("p", "T1", "2019-01-01")
    rows = flagged_rows(ex.view(), "late_elb_spell", JUNE)
    assert rows == [{"rule_id": "late_elb_spell",
                     "row_key": f"elb_spells:p|b1|{JC}|elb|head|2020-01-01",
                     "person_id": "p", "jobcenter_id": JC, "m": parse_month("2020-01"),
                     "unit_id": "T1"}]


# -- customer groups ------------------------------------------------------------------------------

def group_case() -> QEx:
    """Jobcenter J, Standort S1, teams T1 and T2; Berichtsmonat June 2020 (ST 15.6.).
    a: born 2000 (20: U25), ELB from 2019-01-01, team T1 (not LZB: 532 days < 638).
    b: born 1980, ELB and arbeitslos from 2018-01-01 (LZB, LZA), in ``mabe`` at ST June, T2.
    c: ELB from 2020-06-01 (Zugang in June), Geflüchtete from 2020-01-01, T1.
    d: born 1999 (U25), ELB 2019-01-01..2020-05-31 (Abgang in June), sv job from 2020-06-01:
       an Integration in June (window A: in stock at ST May), team T2 at ST May.
    All have education ``none`` (ohne Berufsabschluss)."""
    return (QEx().unit("J", None, "jobcenter").unit("S1", "J", "standort")
            .unit("T1", "S1", "team").unit("T2", "S1", "team")
            .birth("a", "2000-01-01").elb("a", "2019-01-01").caseload("a", "T1", "2019-01-01")
            .elb("b", "2018-01-01").unemployed("b", "2018-01-01")
            .measure("b", "mabe", "2020-06-01", "2020-08-31").caseload("b", "T2", "2018-01-01")
            .elb("c", "2020-06-01").flag("c", "refugee_context", "2020-01-01")
            .caseload("c", "T1", "2020-06-01")
            .birth("d", "1999-01-01").elb("d", "2019-01-01", "2020-05-31")
            .job("d", "2020-06-01").caseload("d", "T2", "2019-01-01", "2020-05-31"))


def test_group_figures_by_hand():
    data = group_monitor(group_case().view(), JUNE)
    f = data["figures"]
    # U25 at ST June: a only; d left (Abgang); d's Integration counts (in U25 at ST May).
    # Rate: 1 Integration in 2019-07..2020-06 / mean U25 stock ST(2019-06)..ST(2020-05) = a and
    # d in all twelve = 2 → 1 / 2 × 100 = 50 %.
    u25 = f["u25"]
    assert (u25["stock"], u25["inflows"], u25["outflows"], u25["integrations"]) == (1, 0, 1, 1)
    assert u25["integration_rate"] == pytest.approx(50.0)
    assert u25["lzb_share"] == 0.0 and u25["activation_rate"] == 0.0
    # LZB: b (730 of 730 days); LZB share 100 %, activation (mabe) 1/1 = 100 %
    assert f["lzb"]["stock"] == 1 and f["lzb"]["lzb_share"] == 100.0
    assert f["lzb"]["activation_rate"] == 100.0
    assert f["lza"]["stock"] == 1                          # b: arbeitslos since 2018
    assert (f["refugees"]["stock"], f["refugees"]["inflows"]) == (1, 1)  # c entered in June
    # ohne Berufsabschluss = everyone: a, b, c in stock; c in, d out; d's Integration
    nvt = f["no_vocational_training"]
    assert (nvt["stock"], nvt["inflows"], nvt["outflows"], nvt["integrations"]) == (3, 1, 1, 1)
    assert f["health"]["stock"] == 0 and f["health"]["lzb_share"] is None
    assert f["health"]["reasons"]["lzb_share"]
    assert [t["stock"] for t in data["trend"]["u25"]][-2:] == [2, 1]  # May: a, d; June: a
    assert list(data["figures"]) == list(customer_groups())


def test_group_figures_by_unit():
    """Below S1: T1 holds a and c, T2 holds b; d's Abgang and Integration go to T2 (team at
    ST May); the "ohne Zuordnung" row has nobody."""
    data = group_monitor(group_case().view(), JUNE, unit_id="S1")
    units = {u["unit_id"]: u["figures"]["no_vocational_training"] for u in data["units"]}
    assert (units["T1"]["stock"], units["T1"]["inflows"]) == (2, 1)
    assert (units["T2"]["stock"], units["T2"]["outflows"], units["T2"]["integrations"]) == \
        (1, 1, 1)
    assert units["S1~ohne-zuordnung"]["stock"] == 0
    assert data["figures"]["no_vocational_training"]["stock"] == 3


# -- CLI ------------------------------------------------------------------------------------------

@pytest.fixture
def store_file(tmp_path, backend):
    if backend != "duckdb":
        pytest.skip("the CLI reads a DuckDB store file")
    path = tmp_path / "s.duckdb"
    ex = group_case().elb("e", "2020-01-01", recorded_on="2020-04-02")
    with Store.open(path) as s:
        s.import_tables(ex.tables(), source="t", description=ex.description)
    return str(path)


def test_cli_quality_json(store_file):
    r = CliRunner().invoke(cli, ["quality", "--store", store_file, "--month", "2020-06",
                                 "--format", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) == {"from", "to", "jobcenter_id", "total", "rules"}
    assert (data["from"], data["to"]) == ("2019-07", "2020-06")
    rule = next(x for x in data["rules"] if x["id"] == "late_elb_spell")
    assert set(rule) >= {"id", "name", "severity", "source", "checks", "unit", "flagged",
                         "reason", "trend", "by_team"}
    assert rule["flagged"] == 1 and len(rule["trend"]) == 12
    kdu = next(x for x in data["rules"] if x["id"] == "kdu_error_rate")
    assert kdu["target_pct"] == 5 and kdu["error_rate"] is None  # no checks: no rate


def test_cli_quality_persons_and_table(store_file):
    r = CliRunner().invoke(cli, ["quality", "--store", store_file, "--month", "2020-06",
                                 "--rule", "late_elb_spell", "--persons", "--format", "json"],
                           catch_exceptions=False)
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert rows == [{"rule_id": "late_elb_spell", "row_key": f"elb_spells:e|bg-e|{JC}|elb|head|"
                     "2020-01-01", "person_id": "e", "jobcenter_id": JC, "month": "2020-01",
                     "unit_id": None}]
    assert "personenbezogen" in r.stderr
    r = CliRunner().invoke(cli, ["quality", "--store", store_file, "--month", "2020-06"])
    assert r.exit_code == 0 and "Datenqualität Juli 2019 bis Juni 2020" in r.stdout
    r = CliRunner().invoke(cli, ["quality", "--store", store_file, "--persons"])
    assert r.exit_code != 0 and "--rule" in r.output


def test_cli_groups_json(store_file):
    r = CliRunner().invoke(cli, ["groups", "--store", store_file, "--month", "2020-06",
                                 "--unit", "S1", "--format", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert set(data) == {"month", "jobcenter_id", "unit_id", "unit_name", "groups", "figures",
                         "units", "trend"}
    assert data["figures"]["u25"]["stock"] == 1
    assert {u["unit_id"] for u in data["units"]} == {"T1", "T2", "S1~ohne-zuordnung"}
    r = CliRunner().invoke(cli, ["groups", "--store", store_file, "--month", "2020-06",
                                 "--unit", "XX"])
    assert r.exit_code != 0 and "XX" in r.output


def test_import_prints_the_quality_summary(tmp_path, backend):
    """First import: 1 late spell ("erste Prüfung"; 11 rules can be checked: there are no
    benefit months and no earnings); the second extract adds a late closure of another spell:
    +1 against the last import."""
    if backend != "duckdb":
        pytest.skip("amip import writes a DuckDB store file")
    ex = Ex().unit("J", None, "jobcenter").unit("S", "J", "standort").unit("T1", "S", "team") \
        .elb("p", "2020-01-01", recorded_on="2020-04-02").elb("q", "2019-01-01") \
        .caseload("p", "T1", "2019-01-01").caseload("q", "T1", "2019-01-01")
    write_extract(ex.tables(), tmp_path / "a", description=ex.description)
    ex.elb("q", "2019-01-01", "2020-01-31", recorded_on="2020-05-01")
    write_extract(ex.tables(), tmp_path / "b", description=ex.description)
    store = str(tmp_path / "s.duckdb")
    r = CliRunner().invoke(cli, ["import", str(tmp_path / "a"), "--store", store],
                           catch_exceptions=False)
    assert "Datenqualität: 11 Regeln, 1 Auffälligkeiten (erste Prüfung)." in r.stdout
    r = CliRunner().invoke(cli, ["import", str(tmp_path / "b"), "--store", store],
                           catch_exceptions=False)
    assert "+1 gegenüber dem letzten Import; verändert: Abschluss verspätet erfasst" in r.stdout
