"""Targets on customer-group figures (``<figure>@<group>``, issue 14): Ist from the group monitor,
path, gap and light by the same arithmetic as every target, on the hand-made extract of
tests/attainment/test_status.py (every person has education ``none``: the group ``ohne
Berufsabschluss`` is the whole ELB stock, so its Integrationen are the Jobcenter's)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amip.attainment.curve import target_curve
from amip.attainment.status import target_status
from amip.catalogue.monitors import customer_groups
from amip.catalogue.targets import group_measures, measure_definitions
from amip.engine.group_monitor import SERIES_FIGURES
from tests.attainment.test_status import JC, P, T, by, case

NVT = "no_vocational_training"


def test_every_group_figure_is_a_measure():
    ms = group_measures()
    assert len(ms) == 5 * len(customer_groups())
    md = measure_definitions()[f"integrations@{NVT}"]
    assert (md.kind, md.direction, md.source, md.group, md.fact) == \
        ("count", "higher", "group", NVT, "integrations")
    assert md.name == "Integrationen – ohne Berufsabschluss"
    assert all(m.fact in SERIES_FIGURES for m in ms.values())


def test_group_count_target_path_gap_light():
    view = case().view()
    targets = [T(JC, None, 2020, f"integrations@{NVT}", "all", Decimal(16)),
               T(JC, None, 2020, f"integration_rate@{NVT}", "all", Decimal(40)),
               T(JC, None, 2020, f"stock@{NVT}", "all", Decimal(-10)),
               T(JC, None, 2020, "integrations@u25", "all", Decimal(3))]
    plans = [P(JC, "t1", 2020, f"integrations@{NVT}", Decimal(6))]
    rs = target_status(view, targets, "2020-06", plans=plans)
    jc = by(rs, f"integrations@{NVT}")
    # The group's Integrationen are the Jobcenter's (everyone is in the group at ST(t−1)):
    # s(6): 2017 Jan..Jun 2 of 4 = 1/2; 2018 3 of 4 = 3/4; 2019 none (skipped) → 5/8;
    # P(6) = 16 × 5/8 = 10; A = 10 Integrationen Jan..Jun 2020 → gap 0, green
    assert (jc.target, jc.actual, jc.path, jc.gap, jc.light) == (16.0, 10.0, 10.0, 0.0, "green")
    assert jc.expected is None and "keine Jahresendprognose für Kundengruppen" in jc.reason
    # team t1: its plan 6; its counts 2017: 2 of 4, 2018: 3 of 4 → s = 5/8, P = 3.75; A = 5
    t1 = by(rs, f"integrations@{NVT}", "t1")
    assert (t1.target, t1.actual, t1.path, t1.light, t1.target_origin) == \
        (6.0, 5.0, 3.75, "green", "plan")
    # t2 has no plan: no target, Ist shown (p06…p10)
    t2 = by(rs, f"integrations@{NVT}", "t2")
    assert (t2.target, t2.actual, t2.light) == (None, 5.0, "grey")
    # integration rate (level, floor 40 %): Integrationen 2019-07..2020-06 = 10 ÷ mean stock
    # ST(2019-06)..ST(2020-05); q09 left on 31.03.2020, so the stock is 20 at ST(2019-06)..
    # ST(2020-03) (10 months) and 19 in April and May: (10 × 20 + 2 × 19) / 12 = 238 / 12
    # → 10 / (238 / 12) × 100 = 50.42 % ≥ 40 → green
    rate = by(rs, f"integration_rate@{NVT}")
    assert rate.actual == pytest.approx(1000 * 12 / 238)
    assert (rate.path, rate.light) == (40.0, "green")
    # stock (lower is better): S(Dec 2019) = 20, P(6) = 20 × (1 − 10/100 × 6/12) = 19,
    # S(Jun 2020) = 19 → gap 0, green
    st = by(rs, f"stock@{NVT}")
    assert (st.actual, st.path, st.gap, st.light) == (19.0, 19.0, 0.0, "green")
    # U25: nobody (all born 1980): Ist 0 of target 3 → red
    u25 = by(rs, "integrations@u25")
    assert (u25.actual, u25.light) == (0.0, "red")


def test_group_target_other_sex_has_no_ist():
    rs = target_status(case().view(), [T(JC, None, 2020, f"stock@{NVT}", "w", Decimal(-5))],
                       "2020-06", with_expectation=False)
    r = by(rs, f"stock@{NVT}", sex="w")
    assert r.actual is None and "Kundengruppen gibt es nur für alle Personen" in r.reason


def test_group_target_curve_matches_the_status():
    view = case().view()
    t = T(JC, None, 2020, f"integrations@{NVT}", "all", Decimal(16))
    points = target_curve(view, t, "2020-06")
    june = next(p for p in points if p.month == "2020-06")
    assert (june.actual, june.path) == (10.0, 10.0)
    assert [p.actual for p in points[:3]] == [2.0, 4.0, 6.0]  # Jan 2, Feb +2, Mar +2


def test_targets_import_and_status_accept_group_measures(tmp_path, backend):
    """`amip targets import` takes a group measure; `amip targets status` shows it with path,
    gap and light (the figures of test_group_count_target_path_gap_light)."""
    import json

    from click.testing import CliRunner

    from amip.cli.main import cli
    from amip.store import Store

    if backend != "duckdb":
        pytest.skip("the CLI reads a DuckDB store file")
    ex = case()
    store = tmp_path / "amip.duckdb"
    with Store.open(store) as s:
        s.import_tables(ex.tables(), source="t", description=ex.description)
    csv = tmp_path / "targets.csv"
    csv.write_text("jobcenter_id;unit_id;year;measure;sex;value;status;source;note\n"
                   f"{JC};;2020;integrations@{NVT};all;16;vereinbart;Programm 5.3.4;\n",
                   encoding="utf-8")
    r = CliRunner().invoke(cli, ["targets", "import", str(csv), "--store", str(store)],
                           catch_exceptions=False)
    assert r.exit_code == 0 and "1 neu" in r.output, r.output
    r = CliRunner().invoke(cli, ["targets", "status", "--month", "2020-06", "--store",
                                 str(store), "--format", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    rec = next(x for x in json.loads(r.stdout)
               if x["measure"] == f"integrations@{NVT}" and x["unit_id"] is None)
    assert (rec["target"], rec["actual"], rec["path"], rec["gap"], rec["light"]) == \
        (16.0, 10.0, 10.0, 0.0, "green")
