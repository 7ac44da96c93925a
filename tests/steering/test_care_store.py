"""The Intensivbetreuung in the steering store: enrolments and contacts as versions, and the
refusals (German, nothing changed)."""

import datetime as dt

import pytest

from amip.errors import DataError, NotFound

OK = {"is_elb": True, "in_caseload": True, "unit_id": "t1", "jobcenter_id": "03504"}


def count(st):
    return len(st.enrolment_history()), len(st.contacts())


def test_enrol_end_and_contacts_are_versions(st):
    a = st.enrol("03504", "A", "cw1", "2024-06", "ifk1", facts=OK)
    assert (a.start_on, a.planned_end, a.state, a.unit_id, a.version) == (
        dt.date(2024, 6, 1), dt.date(2024, 11, 30), "enrolled", "t1", 1)
    c = st.record_contact("A", "cw1", "2024-06-12", "beratung", "ifk1", note="Erstgespräch")
    assert c.jobcenter_id == "03504" and c.recorded_by == "ifk1"
    e = st.end_enrolment("A", "tl1", "Arbeitsaufnahme", ended_on=dt.date(2024, 9, 30))
    assert (e.state, e.end_reason, e.ended_on, e.version) == (
        "ended", "Arbeitsaufnahme", dt.date(2024, 9, 30), 2)
    assert [(h.version, h.state, h.recorded_by) for h in st.enrolment_history("A")] == [
        (1, "enrolled", "ifk1"), (2, "ended", "tl1")]
    assert [r.state for r in st.enrolments(caseworker_id="cw1")] == ["ended"]
    # re-enrolled later: a new enrolment
    st.enrol("03504", "A", "cw1", "2025-01", "ifk1", facts=OK)
    assert len(st.enrolments(person_id="A")) == 2


@pytest.mark.parametrize("facts, message", [
    ({**OK, "is_elb": False}, "keine erwerbsfähige leistungsberechtigte Person"),
    ({**OK, "in_caseload": False}, "nicht im Bestand der Fachkraft cw1"),
])
def test_not_elb_or_not_in_caseload(st, facts, message):
    with pytest.raises(DataError, match=message):
        st.enrol("03504", "A", "cw1", "2024-06", "ifk1", facts=facts)
    assert count(st) == (0, 0)


def test_quota_already_enrolled_and_kinds(st):
    st.enrol("03504", "A", "cw1", "2024-06", "ifk1", facts=OK)
    with pytest.raises(DataError, match="schon seit 01.06.2024 bei cw1"):
        st.enrol("03504", "A", "cw1", "2024-07", "ifk1", facts=OK)
    st.enrol("03504", "B", "cw1", "2024-06", "ifk1", facts=OK)
    with pytest.raises(DataError, match=r"schon 2 Personen intensiv \(Kontingent 2\); eine "
                                        "weitere nur mit Begründung"):
        st.enrol("03504", "C", "cw1", "2024-08", "ifk1", facts=OK)
    assert count(st) == (2, 0)
    st.enrol("03504", "C", "cw1", "2024-08", "ifk1", reason="Härtefall", facts=OK)
    # another caseworker has a quota of their own; after the six months the quota is free again
    st.enrol("03504", "D", "cw2", "2024-08", "ifk2", facts=OK)
    st.enrol("03504", "E", "cw1", "2025-02", "ifk1", facts=OK)
    with pytest.raises(DataError, match="Art 'anruf' unbekannt"):
        st.record_contact("A", "cw1", "2024-06-12", "anruf", "ifk1")
    with pytest.raises(DataError, match="nicht in Intensivbetreuung"):
        st.record_contact("A", "cw1", "2024-05-12", "beratung", "ifk1")
    st.record_contact("A", "cw1", "2024-06-12", "beratung", "ifk1")
    with pytest.raises(DataError, match="schon erfasst"):
        st.record_contact("A", "cw1", "2024-06-12", "beratung", "ifk1")
    with pytest.raises(DataError, match="fehlt der Grund"):
        st.end_enrolment("A", "ifk1", " ")
    with pytest.raises(NotFound, match="nicht in Intensivbetreuung"):
        st.end_enrolment("Z", "ifk1", "Umzug")
    assert count(st) == (5, 1)
