"""The follow-up store of data-quality findings (amip/steering/quality.py): states, versions with
who/when/why, stale changes, unknown states; and the list that joins flagged rows and states."""

from __future__ import annotations

import time

import pytest

from amip.errors import DataError
from amip.steering import StaleChange, Steering
from amip.steering.quality import followup_counts, followup_list

KEY = "elb_spells:P1|BG1|03504|elb|head|2020-01-01"
KEY2 = "elb_spells:P2|BG2|03504|elb|head|2020-02-01"


def test_states_versions_and_as_of(url):
    with Steering.open(url=url) as st:
        assert st.followups() == [] and st.followup("late_elb_spell", KEY) is None
        v1 = st.set_followup_state("late_elb_spell", KEY, "in Klärung", "tina", "Akte angefordert",
                                   None, jobcenter_id="03504", unit_id="t1")
        time.sleep(0.01)
        v2 = st.set_followup_state("late_elb_spell", KEY, "erledigt", "tina", "nacherfasst", 1)
        assert (v1.state, v1.version, v2.state, v2.version) == ("in_klaerung", 1, "erledigt", 2)
        assert (v2.unit_id, v2.jobcenter_id, v2.reason) == ("t1", "03504", "nacherfasst")
        assert [f.state for f in st.followups()] == ["erledigt"]
        assert [f.state for f in st.followups(as_of=v1.recorded_at)] == ["in_klaerung"]
        assert st.followups(unit_id="t2") == [] and len(st.followups(unit_id="t1")) == 1
        assert st.followups(rule_id="caseload_gap") == []
        hist = st.followup_history("late_elb_spell", KEY)
        assert [(h.version, h.state, h.recorded_by) for h in hist] == \
            [(1, "in_klaerung", "tina"), (2, "erledigt", "tina")]
        same = st.set_followup_state("late_elb_spell", KEY, "erledigt", "tina", None, 2)
        assert same.version == 2  # unchanged: no new version


def test_stale_and_unknown_change_nothing(st):
    st.set_followup_state("caseload_gap", KEY, "in_klaerung", "tina", None, 0)
    with pytest.raises(StaleChange, match="inzwischen von tina"):
        st.set_followup_state("caseload_gap", KEY, "erledigt", "udo", None, 0)
    with pytest.raises(DataError, match="Status 'geklärt' gibt es nicht.*in Klärung"):
        st.set_followup_state("caseload_gap", KEY, "geklärt", "tina", None, 1)
    with pytest.raises(DataError, match="Prüfregel 'no_rule' unbekannt"):
        st.set_followup_state("no_rule", KEY, "erledigt", "tina", None, 1)
    assert [(h.version, h.state) for h in st.followup_history()] == [(1, "in_klaerung")]


def test_list_defaults_resolved_and_filter(st):
    st.set_followup_state("caseload_gap", KEY, "in Klärung", "tina", None, 0, "03504", "t1")
    st.set_followup_state("caseload_gap", KEY2, "erledigt", "tina", None, 0, "03504", "t1")
    flagged = [dict(rule_id="caseload_gap", row_key=KEY, person_id="P1", jobcenter_id="03504",
                    m=24241, unit_id="t1"),
               dict(rule_id="late_elb_spell", row_key=KEY, person_id="P1", jobcenter_id="03504",
                    m=24240, unit_id="t1")]
    items = followup_list(flagged, st.followups())
    # KEY2 is no longer flagged: "behoben" (derived), listed first in its rule (no month)
    assert [(i["rule_id"], i["row_key"], i["state"], i["version"]) for i in items] == [
        ("caseload_gap", KEY2, "behoben", 1),
        ("caseload_gap", KEY, "in_klaerung", 1),
        ("late_elb_spell", KEY, "offen", 0)]
    assert items[0]["recorded_state"] == "erledigt" and items[0]["state_label"] == "behoben"
    assert [i["row_key"] for i in followup_list(flagged, st.followups(), "offen")] == [KEY]
    assert len(followup_list(flagged, st.followups(), "behoben")) == 1
    with pytest.raises(DataError, match="Status 'weg'"):
        followup_list(flagged, st.followups(), "weg")
    assert followup_counts(items) == {"caseload_gap": {"behoben": 1, "in_klaerung": 1},
                                      "late_elb_spell": {"offen": 1}}
