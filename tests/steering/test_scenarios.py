"""Named budget scenarios in the steering store: versions, history, as-of, stale changes
(issue 13 item 4; §11 item 37)."""

from __future__ import annotations

import time

import pytest

from amip.engine.scenario_changes import parse_changes
from amip.errors import DataError, NotFound
from amip.steering import StaleChange, Steering
from amip.steering.models import BudgetScenarioVersion
from amip.steering.versions import LABELS

CUT = parse_changes(["title=egl:-10%"])
MOVE = parse_changes(["move=fbw>egz:100000", "instrument=16i:+100%"])


def test_versions_history_and_as_of(url):
    with Steering.open(url=url) as st:
        v1 = st.save_scenario("03504", 2020, "Kürzung", "EGL −10 %", CUT, "anna")
        time.sleep(0.01)
        v2 = st.save_scenario("03504", 2020, "Kürzung", "EGL −10 %, Umbau", CUT + MOVE, "ben",
                              "mit Umschichtung", expected_version=1)
        st.save_scenario("03504", 2021, "Anderes Jahr", None, CUT, "anna")
        assert (v1.version, v2.version, v2.operation) == (1, 2, "change")
        assert [c.text for c in v2.changes] == ["title=egl:-10%", "move=fbw:-100000,egz:+100000",
                                                 "instrument=16i:+100%"]
        assert [s.name for s in st.scenarios(2020)] == ["Kürzung"]
        assert st.scenarios(2020)[0].changes == tuple(CUT + MOVE)
        assert st.scenarios(2020, as_of=v1.recorded_at)[0].changes == tuple(CUT)
        assert st.scenario("Kürzung", 2020, "03504").version == 2
        assert st.scenario("Nie", 2020, "03504") is None
        # unchanged input: no version
        assert st.save_scenario("03504", 2020, "Kürzung", "EGL −10 %, Umbau", CUT + MOVE, "carla",
                                expected_version=2).version == 2
        w = st.withdraw_scenario("Kürzung", 2020, "03504", "carla", "verworfen", 2)
        assert w.withdrawn and st.scenarios(2020) == []
        with pytest.raises(NotFound):
            st.withdraw_scenario("Kürzung", 2020, "03504", "carla", None, 3)
        hist = st.scenario_history(2020)
        assert [(h.version, h.recorded_by, h.reason, h.operation) for h in hist] == [
            (1, "anna", None, "create"), (2, "ben", "mit Umschichtung", "change"),
            (3, "carla", "verworfen", "withdraw")]
        again = st.save_scenario("03504", 2020, "Kürzung", None, CUT, "anna", expected_version=3)
        assert (again.version, again.operation) == (4, "create")


def test_stale_change_is_refused(st):
    st.save_scenario("03504", 2020, "Kürzung", None, CUT, "anna")
    st.save_scenario("03504", 2020, "Kürzung", None, MOVE, "ben", expected_version=1)
    with pytest.raises(StaleChange, match="Das Szenario wurde inzwischen von ben am .* geändert"):
        st.save_scenario("03504", 2020, "Kürzung", None, CUT, "anna", expected_version=1)
    with pytest.raises(StaleChange):  # a new one with the name of an existing one
        st.save_scenario("03504", 2020, "Kürzung", None, CUT, "carla")
    with pytest.raises(StaleChange):
        st.withdraw_scenario("Kürzung", 2020, "03504", "anna", None, 1)
    assert [c.text for c in st.scenario("Kürzung", 2020, "03504").changes] == [
        "move=fbw:-100000,egz:+100000", "instrument=16i:+100%"]
    assert LABELS[BudgetScenarioVersion] == "Das Szenario"


def test_bad_scenarios_change_nothing(st):
    with pytest.raises(DataError, match="Name '': 1 bis 100 Zeichen"):
        st.save_scenario("03504", 2020, " ", None, CUT, "anna")
    with pytest.raises(DataError, match="keine Änderung"):
        st.save_scenario("03504", 2020, "Leer", None, [], "anna")
    with pytest.raises(DataError, match="Jahr 1999"):
        st.save_scenario("03504", 1999, "Alt", None, CUT, "anna")
    assert st.scenario_history() == []
