"""The page and API of the Intensivbetreuung on the default synthetic Jobcenter: the IFK's
landing page and own list, the Teamleitung's team, Controlling's Jobcenter with outcomes,
Lesezugriff's counts; enrolment up to the quota, contacts, ending; roles enforced and audited."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import CASEWORKER, OTHER_TEAM, TEAM, form_token, login
from tests.web.test_access import audit_rows


def test_ifk_lands_on_own_list(web_app, client_as):
    c = TestClient(web_app)
    r = login(c, "ifk", web_app.state.passwords["ifk"])
    assert r.status_code == 303 and r.headers["location"] == "/intensivbetreuung"
    page = client_as("ifk").get("/intensivbetreuung")
    assert page.status_code == 200 and "Kandidaten nahe der LZB-Schwelle" in page.text
    rows = client_as("ifk").get("/api/v1/care/candidates").json()
    assert rows and {r["caseworker_id"] for r in rows} == {CASEWORKER}
    assert [r["days_left"] for r in rows] == sorted(r["days_left"] for r in rows)
    assert all(0 < r["days_left"] <= 183 and r["score"] is None for r in rows)
    assert audit_rows(web_app, actor="ifk", action="care.read", outcome="ok")
    # a login with its own target keeps it
    r = login(TestClient(web_app), "ifk", web_app.state.passwords["ifk"])
    assert r.headers["location"] == "/intensivbetreuung"


def test_scopes_by_role(client_as):
    team = client_as("tl").get("/api/v1/care/candidates").json()
    assert team and {r["unit_id"] for r in team} == {TEAM}
    everyone = client_as("ctl").get("/api/v1/care/candidates").json()
    assert len(everyone) > len(team) and OTHER_TEAM in {r["unit_id"] for r in everyone}
    counts = client_as("lz").get("/api/v1/care/candidates").json()
    assert counts == {"count": len(everyone)}
    lz = client_as("lz").get("/api/v1/care/enrolments").json()
    assert set(lz) >= {"candidates", "enrolments", "laufend", "overdue"}
    page = client_as("lz").get("/intensivbetreuung").text
    assert "keine personenbezogenen Daten" in page and everyone[0]["person_id"] not in page
    assert "kandidaten-liste" not in page


def test_enrol_quota_contact_end(web_app, client_as, latest):
    ifk = client_as("ifk")
    mine = ifk.get("/api/v1/care/candidates").json()
    first, second, third = (r["person_id"] for r in mine[:3])
    for pid in (first, second):
        r = ifk.post("/api/v1/care/enrol", json={"person_id": pid, "month": latest})
        assert r.status_code == 201, r.text
        assert r.json()["caseworker_id"] == CASEWORKER and r.json()["unit_id"] == TEAM
    r = ifk.post("/api/v1/care/enrol", json={"person_id": third, "month": latest})
    assert r.status_code == 422 and "Kontingent 2" in r.json()["detail"]
    r = ifk.post("/api/v1/care/enrol", json={"person_id": first, "month": latest})
    assert r.status_code == 422 and "schon seit" in r.json()["detail"]
    # Lesezugriff changes nothing; the Teamleitung not outside the own team
    r = client_as("lz").post("/api/v1/care/enrol", json={"person_id": third, "month": latest})
    assert r.status_code == 403
    other = next(r for r in client_as("ctl").get("/api/v1/care/candidates").json()
                 if r["unit_id"] == OTHER_TEAM and r["caseworker_id"])
    r = client_as("tl").post("/api/v1/care/enrol", json={
        "person_id": other["person_id"], "caseworker_id": other["caseworker_id"],
        "month": latest})
    assert r.status_code == 403
    assert audit_rows(web_app, actor="tl", action="care.enrol", outcome="denied")

    status = {r["person_id"]: r for r in ifk.get("/api/v1/care/enrolments").json()}
    assert set(status) == {first, second}
    before = status[first]["contacts"]  # the extract's contacts of the month count too
    day = status[first]["start_on"][:8] + "29"
    r = ifk.post("/api/v1/care/contact", json={"person_id": first, "contact_on": day,
                                               "kind": "beratung"})
    assert r.status_code == 201, r.text
    r = ifk.post("/api/v1/care/contact", json={"person_id": first, "contact_on": day,
                                               "kind": "anruf"})
    assert r.status_code == 422 and "unbekannt" in r.json()["detail"]
    status = {r["person_id"]: r for r in ifk.get("/api/v1/care/enrolments").json()}
    assert status[first]["contacts"] == before + 1 and status[first]["contacts_done"] == 1
    assert not status[first]["contact_due_now"] and status[first]["overdue"] == 0
    # the page form ends an enrolment (CSRF token, audited)
    page = ifk.get("/intensivbetreuung")
    assert f'data-person="{first}"' in page.text and "2 von 2 Plätzen belegt" in page.text
    r = ifk.post("/intensivbetreuung/beenden", data={
        "csrf_token": form_token(page.text), "person_id": second, "reason": "Umzug",
        "monat": latest}, follow_redirects=False)
    assert r.status_code == 303
    status = {r["person_id"]: r for r in ifk.get("/api/v1/care/enrolments").json()}
    assert status[second]["phase"] == "beendet" and status[second]["end_reason"] == "Umzug"
    page = ifk.get("/intensivbetreuung").text  # the history: who ended it, and why
    assert "Verlauf" in page and "Umzug" in page and "(Version 2)" in page
    for action in ("care.enrol", "care.contact", "care.end"):
        assert audit_rows(web_app, actor="ifk", action=action, outcome="ok")
    # Lesezugriff: 2 enrolments (1 laufend, 1 beendet) are small counts, hidden like published
    # figures; 0 abgelaufen then stays visible (it reveals nothing)
    lz = client_as("lz").get("/api/v1/care/enrolments").json()
    assert lz["enrolments"] is None and lz["laufend"] is None and lz["beendet"] is None
    assert {"enrolments", "laufend", "beendet"} <= set(lz["suppressed"])
    assert lz["abgelaufen"] == 0 and "Geheimhaltung" in client_as("lz").get(
        "/intensivbetreuung").text
    # Controlling sees the enrolments of the whole Jobcenter and the outcomes
    assert {first, second} <= {r["person_id"] for r in
                               client_as("ctl").get("/api/v1/care/enrolments").json()}
    assert "kein Wirkungsnachweis" in client_as("ctl").get("/intensivbetreuung").text
    data = client_as("ctl").get("/api/v1/care/outcomes").json()
    assert data["summary"]["enrolments"] >= 2 and {first, second} <= {
        r["person_id"] for r in data["rows"]}
    # started in the latest month: six months after the end are not in the data, no comparison
    assert data["summary"]["matched"] == 0 and data["summary"]["comparison_rate"] is None
    for name in ("lz", "tl"):  # the sum only
        assert set(client_as(name).get("/api/v1/care/outcomes").json()) == {
            "label", "match_on", "summary"}
