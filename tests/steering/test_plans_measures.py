"""Team plans and planning rounds (§11 item 36, 37; storage side) and user-defined measures
with their entered monthly values."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from amip.errors import DataError, NotFound
from amip.steering import StaleChange, Steering
from tests.steering.conftest import JOBCENTERS, UNITS, write

PLANS = """\
    unit_id;year;measure;value
    t1;2021;integrations;400
    t2;2021;integrations;350
    """


def test_plan_import_and_noop(st, tmp_path):
    s = st.import_plans(write(tmp_path, PLANS, "plan.csv"), "tl", UNITS)
    assert (s.new, s.changed, s.unchanged) == (2, 0, 0)
    rows = st.plans(2021, "integrations")
    assert [(r.jobcenter_id, r.unit_id, r.value, r.accepted) for r in rows] == [
        ("03504", "t1", Decimal(400), None), ("03504", "t2", Decimal(350), None)]
    s = st.import_plans(write(tmp_path, PLANS, "plan.csv"), "tl", UNITS)
    assert (s.new, s.changed, s.unchanged) == (0, 0, 2)
    assert len(st.plan_history(2021, "integrations")) == 2


@pytest.mark.parametrize("line, expected", [
    ("u1;2021;integrations;10", "Zeile 2: Einheit 'u1' ist kein Team (Ebene standort)"),
    ("u0;2021;integrations;10", "Zeile 2: Einheit 'u0' ist kein Team (Ebene jobcenter)"),
    ("zz;2021;integrations;10", "Zeile 2: Einheit 'zz' unbekannt"),
    ("t1;2021;K99;10", "Zeile 2: Messgröße 'K99' unbekannt"),
    ("t1;2021;integrations;zehn", "Zeile 2: Planwert 'zehn' ist keine Zahl"),
    ("t1;21;integrations;10", "Zeile 2: Jahr '21' ungültig"),
    ("t1;2021;integrations;10\nt1;2021;integrations;11", "Zeile 3: doppelter Plan"),
])
def test_plan_refusals(st, tmp_path, line, expected):
    with pytest.raises(DataError, match=re.escape(expected)):
        st.import_plans(write(tmp_path, "unit_id;year;measure;value\n" + line + "\n"), "tl",
                        UNITS)
    assert st.plan_history(2021, "integrations") == []


def test_plan_round(url):
    with Steering.open(url=url) as st:
        st.set_plan("t1", 2021, "integrations", 400, "tl1", None, known_units=UNITS)
        p2 = st.set_plan("t2", 2021, "integrations", 350, "tl2", None, known_units=UNITS)
        with pytest.raises(StaleChange, match="Der Plan wurde inzwischen von tl2"):
            st.set_plan("t2", 2021, "integrations", 360, "tl2b", None, known_units=UNITS)
        assert st.plan_round("03504", 2021, "integrations") is None
        with pytest.raises(NotFound, match="nicht eröffnet"):
            st.choose_key("03504", 2021, "integrations", "equal", "ctrl", 0)
        r1 = st.open_round("03504", 2021, "integrations", "ctrl")
        assert (r1.key, r1.state, r1.version) == ("elb", "offen", 1)
        with pytest.raises(DataError, match="Schlüssel 'quer' unbekannt"):
            st.choose_key("03504", 2021, "integrations", "quer", "ctrl", 1)
        r2 = st.choose_key("03504", 2021, "integrations", "equal", "ctrl", 1)
        with pytest.raises(StaleChange, match="Die Planungsrunde wurde inzwischen von ctrl"):
            st.agree_round("03504", 2021, "integrations", {"t1": 1}, "gf", 1)
        # gap e.g. 1141 − 750 = 391, split 196/195 by the attainment helper; stored as given
        r3 = st.agree_round("03504", 2021, "integrations", {"t1": 196, "t2": 195}, "gf", 2)
        assert (r3.state, r3.key, r3.version) == ("vereinbart", "equal", 3)
        rows = {r.unit_id: r for r in st.plans(2021, "integrations")}
        assert (rows["t1"].value, rows["t1"].accepted) == (Decimal(400), Decimal(196))
        assert (rows["t2"].value, rows["t2"].accepted, rows["t2"].version) == \
            (Decimal(350), Decimal(195), p2.version + 1)
        # an agreed round: plans change only with a reason; reopening needs one too
        with pytest.raises(DataError, match="vereinbart; eine Änderung braucht eine Begründung"):
            st.set_plan("t1", 2021, "integrations", 410, "tl1", 2)
        with pytest.raises(DataError, match="wieder zu öffnen braucht eine Begründung"):
            st.open_round("03504", 2021, "integrations", "ctrl", expected_version=3)
        st.open_round("03504", 2021, "integrations", "ctrl", "equal", 3, "neue Zahlen")
        assert [(h.version, h.state) for h in st.round_history("03504", 2021, "integrations")] \
            == [(1, "offen"), (2, "offen"), (3, "vereinbart"), (4, "offen")]
        assert st.plan_round("03504", 2021, "integrations", as_of=r2.recorded_at).key == "equal"
        assert st.plan_round("03504", 2021, "integrations",
                             as_of=r1.recorded_at).key == "elb"


def test_user_defined_measure_and_values(st, tmp_path):
    m = st.add_measure("beratungen_schuldner", "Schuldnerberatungen", "count", "persons",
                       "higher", "ctrl", scope="kommunal")
    assert st.measures()["beratungen_schuldner"] == m
    assert m.scope == "kommunal" and m.source == "entered"
    assert "K2" in st.measures() and "kdu_ausgaben" in st.measures()
    with pytest.raises(DataError, match="Kennung 'K2' ist eine Messgröße des Katalogs"):
        st.add_measure("K2", "x", "count", "persons", "higher", "ctrl")
    with pytest.raises(DataError, match="Art 'menge' unbekannt"):
        st.add_measure("neu_x", "x", "menge", "persons", "higher", "ctrl")
    with pytest.raises(StaleChange):
        st.add_measure("beratungen_schuldner", "andere", "count", "persons", "higher", "ctrl")
    values = write(tmp_path, """\
        measure;jobcenter_id;unit_id;month;value
        beratungen_schuldner;03504;;2020-01;12
        beratungen_schuldner;03504;t1;2020-01;5
        stellenbesetzungen_kmu;03504;;2020-01;7
        """, "values.csv")
    s = st.import_measure_values(values, "ctrl", None, UNITS, JOBCENTERS)
    assert (s.new, s.changed, s.unchanged) == (3, 0, 0)
    assert st.measure_values("beratungen_schuldner") == {
        ("03504", None, "2020-01"): Decimal(12), ("03504", "t1", "2020-01"): Decimal(5)}
    assert st.import_measure_values(values, "ctrl", None, UNITS, JOBCENTERS).unchanged == 3
    assert st.measure_values("beratungen_schuldner", as_of=dt.date(2000, 1, 1)) == {}


@pytest.mark.parametrize("line, expected", [
    ("kdu_ausgaben;03504;;2020-01;5", "wird aus dem Datenbestand berechnet"),
    ("unbekannt;03504;;2020-01;5", "Messgröße 'unbekannt' unbekannt"),
    ("stellenbesetzungen_kmu;03504;;2020-13;5", "Monat '2020-13' ungültig"),
    ("stellenbesetzungen_kmu;03504;;2020-01;", "'' ist keine Zahl"),
    ("stellenbesetzungen_kmu;07777;;2020-01;5", "Jobcenter '07777' unbekannt"),
])
def test_value_refusals(st, tmp_path, line, expected):
    path = write(tmp_path, "measure;jobcenter_id;unit_id;month;value\n" + line + "\n", "v.csv")
    with pytest.raises(DataError, match=f"Zeile 2: .*{expected}"):
        st.import_measure_values(path, "ctrl", None, UNITS, JOBCENTERS)
