"""Budget scenarios (issue 13 item 4), worked out by hand on a small extract.

Basis: the twelve months 01/2019–12/2019 (December of the year before the plan year 2020).
Observed per instrument (payments by booked_on in 2019; participants with a spell overlapping 2019;
Eintritte = spells starting in 2019; Austritte = spells ending in 2019; E = in sv six months later):

    fbw: Z = 20.000 €, T = 4 (a, b, c, d), N = 3 (a, b, c), A = 3, H = 3, E = 2 (a, c)
    egz: Z =  6.000 €, T = 2 (e, f),       N = 2,          A = 1, H = 1, E = 1 (e)
    16i: Z = 24.000 €, T = 1 (g),          N = 0,          A = 0  → no Eingliederungsquote
    agh: no participant in 2019 → no observed cost

K2 denominator: ten ELB persons a..j all through 2018/2019 → average stock of the twelve
Vormonate 12/2018–11/2019 = 10.
"""

from __future__ import annotations

import pytest

from amip.engine.budget_scenario import apply_changes, compare, evaluate, scenario_basis
from amip.engine.calendar import parse_month
from amip.engine.scenario_changes import change_from_json, parse_change, parse_changes
from amip.errors import DataError
from tests.engine.builder import Ex


def case() -> Ex:
    ex = Ex().declare("data_as_of = 2021-03-31\n")
    for p in "abcdefghij":
        ex.elb(p, "2015-01-01")
    return (ex
            .measure("a", "fbw", "2019-02-01", "2019-03-31").job("a", "2019-09-01")
            .measure("b", "fbw", "2019-03-01", "2019-06-30").unemployed("b", "2019-12-01")
            .measure("c", "fbw", "2019-05-01", "2019-09-30").job("c", "2020-01-01")
            .measure("d", "fbw", "2018-10-01")
            .measure("e", "egz", "2019-04-01", "2019-09-30").job("e", "2019-04-01")
            .measure("f", "egz", "2019-07-01")
            .measure("g", "16i", "2018-01-01")
            .book("payment", "2019-05-01", "egl", "fbw", "20000.00")
            .book("payment", "2019-08-01", "egl", "egz", "6000.00")
            .book("payment", "2019-06-01", "egl", "16i", "24000.00")
            .plan(2020, "egl", "fbw", "100000.00")
            .plan(2020, "egl", "egz", "30000.00")
            .plan(2020, "egl", "16i", "48000.00")
            .plan(2020, "egl", "agh", "10000.00")
            .plan(2020, "vk", None, "500000.00"))


CHANGES = ["title=egl:-10%", "move=FbW>egz:20000", "instrument=16i:+100%"]


def test_scenario_worked_by_hand(backend):
    basis = scenario_basis(case().view(), 2020, "03504")
    assert basis.basis_month == parse_month("2019-12")
    assert basis.k2_denominator == 10
    r = evaluate(basis, "Umbau", parse_changes(CHANGES), "EGL −10 %, FbW → EGZ, § 16i doppelt")
    got = {ln.instrument: ln.as_json() for ln in r.lines}
    # plan lines: egl −10 % → fbw 90.000, egz 27.000, 16i 43.200, agh 9.000; move 20.000 from fbw
    # to egz → fbw 70.000, egz 47.000; 16i +100 % → 86.400 (vk has no instruments: untouched)
    assert {k: (v["plan"], v["scenario"]) for k, v in got.items()} == {
        "16i": (48000.0, 86400.0), "agh": (10000.0, 9000.0), "egz": (30000.0, 47000.0),
        "fbw": (100000.0, 70000.0)}
    f = got["fbw"]
    # fbw: participants B × T / Z = 100.000 × 4 / 20.000 = 20 → 70.000 × 4 / 20.000 = 14;
    # Eintritte B × 3 / 20.000 = 15 → 10,5; Austritte the same; Eingliederungen
    # Austritte × E/H = 15 × 2/3 = 10 → 7; Integrationen = Eingliederungen: 10 → 7
    assert (f["participants_plan"], f["participants_scenario"]) == (20.0, 14.0)
    assert (f["eintritte_plan"], f["eintritte_scenario"]) == (15.0, 10.5)
    assert (f["eingliederungen_plan"], f["eingliederungen_scenario"]) == (10.0, 7.0)
    assert f["integrationen_delta"] == -3.0
    e = got["egz"]
    # egz (an Integration on entry): participants 30.000 × 2 / 6.000 = 10 → 47.000 × 2 / 6.000
    # = 15,667; Integrationen = Eintritte 10 → 15,667; Eingliederungen = Austritte (5 → 7,833)
    # × 1/1
    assert e["participants_plan"] == 10.0
    assert e["integrationen_scenario"] == pytest.approx(47000 * 2 / 6000)
    assert e["eingliederungen_scenario"] == pytest.approx(47000 / 6000)
    g = got["16i"]
    # 16i: 48.000 / 24.000 = 2 places → 86.400 / 24.000 = 3,6; no Austritt → no Eingliederungen
    assert (g["participants_plan"], g["participants_scenario"]) == (2.0, 3.6)
    assert g["eingliederungen_scenario"] is None and g["integrationen_delta"] is None
    assert g["reason"].startswith("kein Austritt")
    a = got["agh"]
    assert a["participants_scenario"] is None and "keine beobachteten Kosten" in a["reason"]
    # total: Δ Integrationen = −3 + (15,667 − 10) = 2,667; Δ K2 = 2,667 / 10 × 100 = 26,67 points
    j = r.as_json()
    assert j["total"]["plan"] == 188000.0 and j["total"]["scenario"] == 212400.0
    assert j["total"]["participants_plan"] == 32.0
    assert j["k2"]["integrations_delta"] == pytest.approx(8 / 3)
    assert j["k2"]["points_delta"] == pytest.approx(80 / 3)
    assert j["total"]["reason"] == "ohne 16i, agh (keine beobachteten Raten)"
    # the assumptions: every rate with its figures, period and source
    fa = next(x for x in j["assumptions"] if x["instrument"] == "fbw")
    assert (fa["payments"], fa["participants"], fa["eintritte"], fa["austritte"],
            fa["in_horizon"], fa["eingliederungen"], fa["cost_per_participant"],
            fa["period_from"], fa["period_to"]) == (20000.0, 4, 3, 3, 3, 2, 5000.0, "2019-01",
                                                    "2019-12")
    assert next(x for x in j["assumptions"] if x["instrument"] == "egz")[
        "integrationen_from"] == "eintritte"
    k2 = next(x for x in j["assumptions"] if x.get("rate") == "k2_denominator")
    assert k2["value"] == 10 and (k2["period_from"], k2["period_to"]) == ("2018-12", "2019-11")
    # reproducible: the same inputs give the same result
    again = evaluate(scenario_basis(case().view(), 2020, "03504"), "Umbau",
                     [change_from_json(c.as_json()) for c in parse_changes(CHANGES)],
                     "EGL −10 %, FbW → EGZ, § 16i doppelt")
    assert again.as_json() == j


def test_compare_with_the_base(backend):
    basis = scenario_basis(case().view(), 2020, "03504")
    out = compare(basis, [("Kürzung", None, parse_changes(["title=egl:-10%"]), 1)])
    assert out["base"]["total"]["scenario"] == out["base"]["total"]["plan"] == 188000.0
    (s,) = out["scenarios"]
    # −10 % on every line: fbw Integrationen 10 → 9, egz 10 → 9: Δ −2 → −20 points of K2
    assert s["k2"]["integrations_delta"] == pytest.approx(-2)
    assert s["k2"]["points_delta"] == pytest.approx(-20)


@pytest.mark.parametrize("text, message", [
    ("instrument=xyz:100", "Instrument 'xyz' unbekannt"),
    ("title=vk:-10%", "Titel 'vk' unbekannt oder ohne Instrumente"),
    ("move=fbw:-1000,egz:+900", "ergibt in Summe -100 €, nicht 0"),
    ("move=fbw>fbw:10", "zweimal"),
    ("instrument=fbw:-101%", "mindestens -100 %"),
    ("title=egl:10", "endet mit %"),
    ("instrument=fbw:zehn", "'zehn' ist keine Zahl"),
    ("fbw-10", "erwartet instrument=CODE:BETRAG"),
])
def test_bad_changes_are_named(text, message):
    with pytest.raises(DataError, match=message):
        parse_changes([text])


def test_change_text_round_trip():
    for text in ["instrument=fbw:250000", "instrument=kommunal/16a:-5%", "title=egl:-10.5%",
                 "move=fbw:-100000,egz:+60000,agh:+40000"]:
        assert parse_change(text).text == text
    assert parse_change("instrument=FbW:250.000,50").amount == parse_change(
        "instrument=fbw:250000.50").amount
    assert parse_change("move=fbw>egz:100").text == "move=fbw:-100,egz:+100"


def test_apply_refuses_a_negative_line():
    from decimal import Decimal

    plan = {("egl", "fbw"): Decimal("1000")}
    with pytest.raises(DataError, match="würde negativ"):
        apply_changes(plan, parse_changes(["move=fbw>egz:1500"]))
    with pytest.raises(DataError, match="keinen Planansatz"):
        apply_changes(plan, parse_changes(["instrument=egz:+10%"]))
    # a move to an instrument without a line creates it (title egl)
    assert apply_changes(plan, parse_changes(["move=fbw>egz:400"])) == {
        ("egl", "fbw"): Decimal("600.00"), ("egl", "egz"): Decimal("400.00")}
