"""Targets in the reports (issue 12 item 6): programme chapter 3 and Monatsbericht section 2
show what :func:`amip.attainment.status.target_status` gives — the same numbers — say "in
Abstimmung" where a target has no value yet, and keep the grey box where there is none."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amip.attainment.status import target_status
from amip.engine.calendar import parse_month
from amip.engine.indicators import compute
from amip.reports.monthly import monthly
from amip.reports.programme import programme
from amip.reports.targets import (LIGHTS, attainment_table, goal_placeholders, goals_table,
                                  jfw_columns, scope_table, standort_table, target_figures)
from amip.steering.inputs import StatusInputs
from tests.attainment.test_status import T, case
from tests.engine.builder import JC

JUNE = parse_month("2020-06")


def rows(table) -> dict:
    return {r.label: r for r in table.rows}


def table(report, table_id):
    return next(t for t in report.tables() if t.id == table_id)


def section(report, number):
    return next(s for top in report.sections for s in top.walk() if s.number == number)


# -- a small hand-made extract (tests/attainment/test_status.case) ------------------------------

SMALL = StatusInputs(2020, [
    T(JC, None, 2020, "integrations", "all", Decimal(16)),
    T(JC, None, 2020, "K2", "all", Decimal(80)),
    T(JC, None, 2020, "K2", "w", None, "in_abstimmung"),
    T(JC, None, 2020, "K3", "all", Decimal(-10)),
    T(JC, None, 2020, "vermittlungsvorschlaege_erfolg", "all", None, "in_abstimmung"),
    T(JC, None, 2020, "fehlerquote_kdu", "all", Decimal(5)),
])


@pytest.fixture(scope="module")
def small():
    view = case().view()
    tf = target_figures(view, SMALL, JC, JUNE, with_expectation=False,
                        curves=("K2", "integrations"))
    return view, tf


def test_section_2_shows_the_status_records_worked_out_by_hand(small):
    view, tf = small
    records = {(r.measure, r.sex, r.unit_id): r
               for r in target_status(view, SMALL.targets, JUNE, with_expectation=False)}
    t = rows(attainment_table(tf, "Quelle", public=False))
    # the same records as target_status (one call for all units)
    assert {(r.measure, r.sex, r.unit_id): r for r in tf.records} == records
    # Integrationen (test_status): s(6) = 5/8, P = 16 × 5/8 = 10, A = 10 → gap 0, green
    assert t["Integrationen"].values[2:7] == [10.0, 10.0, 0.0, 0.0, LIGHTS["green"]]
    # K2: JFW(6) = 10 / (118 / 6) × 100 = 6000/118; P = 80 × 5/8 = 50 → green
    k2 = t["K2 Integrationsquote"].values
    assert k2[2] == pytest.approx(6000 / 118) and k2[3] == 50.0 and k2[6] == LIGHTS["green"]
    assert k2[4] == records[("K2", "all", None)].gap
    # K3: S(Dec 2019) = 20, P(6) = 20 × (1 − 0.10 × 6/12) = 19 = S(Jun) → green; target as agreed
    k3 = t["K3 Veränderung des Bestands an Langzeitleistungsbeziehenden"].values
    assert k3[1] == "−10,0\u00a0%" and k3[2:4] == [19.0, 19.0]
    # error rate of June: 1 error in 40 items = 2,5 % under the ceiling of 5 % → green
    assert t["Bearbeitungsqualität Kosten der Unterkunft: durchschnittliche Fehlerquote"] \
        .values[2:4] == [2.5, 5.0]
    # in Abstimmung without a value: says so, grey, the Ist still shown
    w = t["K2 Integrationsquote (Frauen)"].values
    assert w[1] == "derzeit in Abstimmung" and w[3] is None and w[6] == LIGHTS["grey"]
    # the JFW table's columns Ziel, Zielpfad, Abstand, Ampel; a code without a target says so
    assert jfw_columns(tf, "K2") == [80.0, 50.0, records[("K2", "all", None)].gap,
                                     LIGHTS["green"]]
    assert jfw_columns(tf, "K2E1")[-1] == "kein Ziel"


def test_the_curve_ends_on_target_and_meets_the_status_month(small):
    view, tf = small
    k2, n = tf.curves["K2"], tf.curves["integrations"]
    june = {r.measure: r for r in tf.records if r.unit_id is None and r.sex == "all"}
    # the June point is the June record; nothing after June is Ist; s(12) = 1: P(Dec) = T
    assert (n[5].actual, n[5].path) == (june["integrations"].actual, june["integrations"].path)
    assert (k2[5].actual, k2[5].path) == (june["K2"].actual, june["K2"].path)
    assert all(p.actual is None for p in n[6:]) and n[11].path == 16.0 and k2[11].path == 80.0
    # Integrationen Jan..k 2020: Jan 2, Feb 4, Mar 6, Apr 8, May 9, Jun 10
    assert [p.actual for p in n[:6]] == [2, 4, 6, 8, 9, 10]


def test_chapter_3_tables_and_the_generated_wording(small):
    view, tf = small
    dec = {(r.code, r.sex): r for r in compute(view, [parse_month("2019-12")])}
    goals = rows(goals_table(tf, dec, "Quelle"))
    # 3.1: agreed values; Ergebnis 2019 = K2 of Dec 2019 (no Integrationen in 2019: 0 %) and
    # its numerator for Integrationen (0); K3 Dec 2019 as the engine computes it
    assert goals["Integrationen"].values == ["Personen", 16.0, 0, "vereinbart"]
    assert goals["K2 Integrationsquote"].values[1:] == [80.0, dec[("K2", "all")].value,
                                                        "vereinbart"]
    assert goals["K2 Integrationsquote (Frauen)"].values[1::2] == ["derzeit in Abstimmung",
                                                                  "in Abstimmung"]
    k3 = goals["K3 Veränderung des Bestands an Langzeitleistungsbeziehenden"].values
    assert k3[:3] == ["Veränderung in %", -10.0, dec[("K3", "all")].value]
    sentence = goal_placeholders(tf, dec)["sentence"]
    assert sentence.startswith("Ziel ist es, in 2020 mindestens 16 Integrationen und damit eine "
                               "Integrationsquote von 80,0 Prozent zu erreichen.")
    assert "den Bestand der LZB um 10,0 Prozent zu senken." in sentence
    # 3.2 (lokal): in Abstimmung, grey; 3.3 (kommunal): Ist and path of June, green
    local = scope_table(tf, "lokal", "Lokale Ziele", "Quelle").rows[0].values
    assert local[1:] == ["derzeit in Abstimmung", None, None, LIGHTS["grey"], "in Abstimmung"]
    municipal = scope_table(tf, "kommunal", "Kommunale Ziele", "Quelle").rows[0].values
    assert municipal[1:5] == ["5\u00a0%", 2.5, 5.0, LIGHTS["green"]]
    # the Standort s1 inherits K2, K3 and the ceiling; its count target is the teams' plans
    # (none here): grey
    lights = rows(standort_table(tf, [{"unit_id": "s1", "name": "Standort 1"}]))
    assert lights["Integrationen"].values == [LIGHTS["green"], LIGHTS["grey"]]


def test_no_targets_no_tables():
    tf = target_figures(case().view(), StatusInputs(2020), JC, JUNE)
    assert tf.records == [] and scope_table(tf, "lokal", "x", "y") is None
    assert goal_placeholders(tf, {})["sentence"] == "Zielwerte für 2020 sind noch nicht erfasst."
    assert target_figures(case().view(), None, JC, JUNE) is None
    # a programme year the data do not reach yet: the targets, no Ist and no light
    tf = target_figures(case().view(), SMALL, JC, None)
    t = scope_table(tf, "kommunal", "Kommunale Ziele", "Quelle")
    assert t.columns[2].label == "Ist" and t.rows[0].values[1:5] == ["5\u00a0%", None, None, "–"]
    assert "noch keine Monatsdaten" in t.note


# -- the default synthetic Jobcenter with the seed's 2020 targets -------------------------------

@pytest.fixture(scope="module")
def status_2020(default_store, example_targets):
    """target_status of the examples' targets for November 2020 and June 2020 (no
    expectation): what the reports must show."""
    view, i = default_store.view(), example_targets
    return {m: {(r.measure, r.sex, r.unit_id): r for r in target_status(
        view, i.targets, m, None, i.measure_values, i.plans, with_expectation=False,
        measures=i.measures)} for m in ("2020-11", "2020-06")}


def test_programme_2020_chapter_3_is_filled(default_store, example_targets, status_2020):
    report = programme(default_store.view(), 2020, targets=example_targets)
    s31, s32, s33 = (section(report, n) for n in ("3.1", "3.2", "3.3"))
    assert not (s31.placeholder or s32.placeholder or s33.placeholder)
    text = s31.blocks[0].markdown
    assert ("Ziel ist es, in 2020 mindestens 1.141 Integrationen und damit eine "
            "Integrationsquote von 23,4 Prozent zu erreichen.") in text
    assert "Ziel ist es, den Bestand der LZB um 10,8 Prozent zu senken." in text
    goals = rows(table(report, "ziele-geschaeftspolitisch"))
    assert list(goals) == ["K2 Integrationsquote", "K2 Integrationsquote (Frauen)",
                           "K2 Integrationsquote (Männer)", "Integrationen",
                           "K3 Veränderung des Bestands an Langzeitleistungsbeziehenden"]
    dec = {(r.code, r.sex): r for r in compute(default_store.view(), [parse_month("2019-12")])}
    assert goals["Integrationen"].values[1:] == [1141.0, dec[("K2", "all")].numerator,
                                                 "vereinbart"]
    assert goals["K2 Integrationsquote (Männer)"].values[1:] == [22.8, dec[("K2", "m")].value,
                                                                "in Abstimmung"]
    # 3.2/3.3: the status of November 2020 (the latest complete month), the same numbers
    nov = status_2020["2020-11"]
    municipal = rows(table(report, "ziele-kommunal"))
    kdu = municipal["Ausgaben für Kosten der Unterkunft (Einhaltung des Haushaltsansatzes)"]
    r = nov[("kdu_ausgaben", "all", None)]
    assert kdu.values[2:5] == [round(r.actual), round(r.path), LIGHTS[r.light]]
    assert table(report, "ziele-kommunal").columns[2].label == "Ist November 2020"
    fm = municipal["Integrationen von Kunden des beschäftigungsorientierten Fallmanagements"]
    assert fm.values[1] == "derzeit in Abstimmung" and fm.values[2] == \
        nov[("integrationen_fm", "all", None)].actual
    local = rows(table(report, "ziele-lokal"))
    assert all(r.values[1] == "derzeit in Abstimmung" and r.values[-1] == "in Abstimmung"
               for r in local.values())


def test_programme_without_targets_keeps_the_grey_boxes(default_store):
    report = programme(default_store.view(), 2020)
    assert all(section(report, n).placeholder for n in ("3.2", "3.3"))
    assert "noch nicht erfasst" in section(report, "3.1").blocks[0].markdown


def test_monatsbericht_section_2_shows_the_status_of_the_month(default_store, example_targets,
                                                               status_2020):
    report = monthly(default_store.view(), JUNE, targets=example_targets)
    june = status_2020["2020-06"]
    s2 = report.sections[1]
    assert s2.placeholder == ""
    k2 = rows(table(report, "jahresfortschritt"))["K2 Integrationsquote"].values
    r = june[("K2", "all", None)]
    assert k2[2] == r.actual and k2[4:] == [23.4, r.path, r.gap, LIGHTS[r.light]]
    follow = rows(table(report, "zielnachhaltung"))
    for label, key in (("Integrationen", ("integrations", "all", None)),
                       ("K2 Integrationsquote (Frauen)", ("K2", "w", None))):
        r = june[key]
        assert follow[label].values[2:7] == [r.actual, r.path, r.gap, r.gap_percent,
                                             LIGHTS[r.light]]
    # internal: the year-end expectation with its interval
    assert "(" in follow["Integrationen"].values[7]
    assert {c.id for c in report.charts()} >= {"ziel-k2", "ziel-integrations"}
    lights = table(report, "ziele-standorte")
    assert len(lights.columns) == 1 + 3  # the Jobcenter and its three Standorte
    # the published version: no forecasts, small counts hidden
    public = attainment_table(target_figures(default_store.view(), example_targets, "03504",
                                             JUNE, with_expectation=False), "Quelle", True)
    assert all("Erwartung" not in c.label for c in public.columns)


# -- as a user runs it: amip targets import, amip report programme ------------------------------

def test_demo_like_run_writes_chapter_3_and_section_2(store_file, tmp_path):
    import html
    import re
    import shutil

    from tests.reports.conftest import EXAMPLE_TARGETS
    from tests.reports.test_report_cli import amip

    store = tmp_path / "amip.duckdb"  # a copy: the steering store is created beside it
    shutil.copy(store_file, store)
    r = amip("targets", "import", str(EXAMPLE_TARGETS), "--store", str(store))
    assert r.returncode == 0, r.stderr
    r = amip("report", "programme", "--year", "2020", "--store", str(store), "--out",
             str(tmp_path / "out"), "--format", "html")
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "out" / "programm-2020-03504.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert ("Ziel ist es, in 2020 mindestens 1.141 Integrationen und damit eine "
            "Integrationsquote von 23,4 Prozent zu erreichen.") in text
    assert "Geschäftspolitische Ziele 2020" in text and "Kommunale Ziele 2020" in text
    assert "Lokale Ziele 2020" in text and "derzeit in Abstimmung" in text
    assert "sind noch nicht erfasst" not in text  # no grey box in chapter 3
    # the Monatsbericht: the Zielnachhaltung computed in a background process
    r = amip("report", "monthly", "--month", "2020-06", "--store", str(store), "--out",
             str(tmp_path / "out"), "--format", "html")
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "out" / "monatsbericht-2020-06-03504.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Zielnachhaltung 2020, Stand Juni 2020" in text and "Ampeln je Standort" in text
    assert "Ist gegen Zielpfad 2020" in text and "keine Zielwerte" not in text


def test_published_tables_hide_a_count_of_one_and_show_no_expectation():
    # integrationen_fm in June: p10 only (test_status) → Ist 1, a count of persons of 1–2
    inputs = StatusInputs(2020, [T(JC, None, 2020, "integrationen_fm", "all", Decimal(2))])
    tf = target_figures(case().view(), inputs, JC, JUNE, with_expectation=False)
    assert tf.record("integrationen_fm").actual == 1.0
    public = attainment_table(tf, "Quelle", public=True)
    # the Ist and the gap that would give it back (Ist = Zielpfad + Abstand) are hidden
    assert public.rows[0].suppressed == {2, 4, 5} and len(public.columns) == 7
    internal = attainment_table(tf, "Quelle", public=False)
    assert internal.rows[0].suppressed == set() and internal.columns[-1].label.startswith(
        "Erwartung")
    assert scope_table(tf, "kommunal", "x", "y", public=True).rows[0].suppressed == {2}
