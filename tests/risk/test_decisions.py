"""A human decision every time (issue 15 item 5): on the Intensivbetreuung candidate list, where
the early warning shows a score, the IFK or Teamleitung records whether they follow it (folgen) or
not (abweichen, a reason required); own caseload or team only; audited as ``risk.decide``. The
API records the same and gives Controlling the overrides by group; /fruehwarnung shows them."""

from __future__ import annotations

import shutil

import pytest

from amip.risk.models import save, train
from tests.risk.test_web import client
from tests.web.conftest import form_token

pytestmark = pytest.mark.slow


def trained_store(small_store, small_store_file, tmp):
    """A copy of the small Jobcenter's store with a trained model (lzb_12) beside it."""
    store = tmp / "amip.duckdb"
    shutil.copy(small_store_file, store)
    save(train(small_store.view(), "03504", targets=["lzb_12"]), store)
    return store


def latest_month(small_store) -> int:
    """The month the pages open with (the latest complete one)."""
    from amip.engine.calendar import month_index
    from amip.engine.overview import latest_complete_month

    return month_index(latest_complete_month(small_store.view()))


def scored_pair(small_store, store, month: int) -> tuple[dict, dict]:
    """Two scored candidates of different caseworkers (each in a team) at ``month``."""
    from amip.web.care import scored_candidates

    rows = scored_candidates(small_store.view(), month, None, store)
    scored = [r for r in rows if r["score"] is not None and r["caseworker_id"] and r["unit_id"]]
    assert scored, "the small Jobcenter has no scored candidate with a caseworker"
    return scored[0], next(r for r in scored if r["caseworker_id"] != scored[0]["caseworker_id"])


@pytest.fixture(scope="module")
def app(small_store, small_store_file, tmp_path_factory):
    """The small Jobcenter with a trained model; an IFK and a Teamleitung of the team of a
    scored candidate, an IFK of another caseworker, Controlling, Lesezugriff."""
    from amip.web.app import create_app
    from amip.web.settings import Settings

    tmp = tmp_path_factory.mktemp("risk-decisions")
    store = trained_store(small_store, small_store_file, tmp)
    app = create_app(Settings(store=str(store), secure_cookies=False,
                              users_db=str(tmp / "users.sqlite")))
    mine, other = scored_pair(small_store, store, latest_month(small_store))
    assert latest_month(small_store) == app.state.services.latest_month()
    users = app.state.users
    app.state.passwords = {
        "ifk": users.add_user("ifk", "ifk", mine["unit_id"], mine["caseworker_id"]),
        "ifk2": users.add_user("ifk2", "ifk", other["unit_id"], other["caseworker_id"]),
        "tl": users.add_user("tl", "teamleitung", mine["unit_id"]),
        "c": users.add_user("c", "controlling", None, None),
        "lz": users.add_user("lz", "lesezugriff", None, None)}
    app.state.mine, app.state.other = mine, other
    yield app
    app.state.services.close()
    app.state.users.close()


def audit(app, **kw):
    return app.state.users.audit.entries(limit=1000, **kw)


def test_decision_form_on_the_candidate_list(app):
    pid = app.state.mine["person_id"]
    ifk = client(app, "ifk")
    page = ifk.get("/intensivbetreuung")
    assert page.status_code == 200 and 'action="/intensivbetreuung/entscheiden"' in page.text
    token = form_token(page.text)
    # abweichen without a reason: refused with the German message, nothing recorded
    r = ifk.post("/intensivbetreuung/entscheiden", data={
        "csrf_token": token, "person_id": pid, "decision": "abweichen", "reason": " "})
    assert r.status_code == 422 and "muss einen Grund angeben" in r.text
    assert app.state.steering.decisions() == []
    assert audit(app, actor="ifk", action="risk.decide", outcome="failed")
    # abweichen with a reason: recorded with the score shown, shown in the row
    r = ifk.post("/intensivbetreuung/entscheiden", data={
        "csrf_token": token, "person_id": pid, "decision": "abweichen",
        "reason": "Arbeitsaufnahme zugesagt"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#kandidaten")
    [d] = app.state.steering.decisions()
    assert (d.person_id, d.decision, d.reason, d.recorded_by, d.caseworker, d.version) == \
        (pid, "abweichen", "Arbeitsaufnahme zugesagt", "ifk", app.state.mine["caseworker_id"], 1)
    assert float(d.score) == pytest.approx(app.state.mine["score"])
    assert audit(app, actor="ifk", action="risk.decide", outcome="ok")
    page = ifk.get("/intensivbetreuung").text
    assert 'data-decision="abweichen"' in page and "Arbeitsaufnahme zugesagt" in page
    # enrolling is separate: the decision stays as it was
    ifk.post("/api/v1/care/enrol", json={"person_id": pid, "month": d.month})
    assert [x.decision for x in app.state.steering.decisions()] == ["abweichen"]
    # the Teamleitung of the team changes it (a new version); another IFK may not
    r = client(app, "tl").post("/api/v1/risk/decisions", json={
        "person_id": pid, "month": d.month, "decision": "folgen"})
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["decision"], got["version"], got["caseworker"]) == ("folgen", 2, "tl")
    r = client(app, "ifk2").post("/api/v1/risk/decisions", json={
        "person_id": pid, "month": d.month, "decision": "folgen"})
    assert r.status_code == 403 and "Kandidatenliste" in r.json()["detail"]
    assert audit(app, actor="ifk2", action="risk.decide", outcome="denied")
    r = client(app, "lz").post("/api/v1/risk/decisions", json={
        "person_id": pid, "month": d.month, "decision": "folgen"})
    assert r.status_code == 403
    assert len(app.state.steering.decision_history(pid)) == 2


def test_api_and_page_show_overrides_by_group(app):
    other = app.state.other["person_id"]
    r = client(app, "ifk2").post("/api/v1/risk/decisions", json={
        "person_id": other, "decision": "abweichen"})
    assert r.status_code == 422 and "Grund" in r.json()["detail"]
    r = client(app, "ifk2").post("/api/v1/risk/decisions", json={
        "person_id": other, "decision": "abweichen", "reason": "schon in Maßnahme"})
    assert r.status_code == 201, r.text
    assert client(app, "ifk").get("/api/v1/risk/decisions").status_code == 403
    got = client(app, "c").get("/api/v1/risk/decisions").json()
    decided = app.state.steering.decisions()
    # test 1 left the Teamleitung's "folgen" for one person, here "abweichen" for another
    assert sorted(d.decision for d in decided) == ["abweichen", "folgen"]
    # Controlling (no disclosure control): exact counts; every person in exactly one group
    assert (got["decisions"], got["overrides"]) == (2, 1)
    assert set(got["groups"]) == {"sex", "citizenship", "severely_disabled", "age_group"}
    for attr, rows in got["groups"].items():
        assert sum(r["decisions"] for r in rows) == 2 and sum(r["overrides"] for r in rows) == 1
        for r in rows:
            assert r["override_rate"] == r["overrides"] / r["decisions"] and not r["suppressed"]
    # under disclosure control every count here is 1 or 2: all hidden, the rates with them
    from amip.web.risk import overrides
    hidden = overrides(app.state.services, app.state.steering, hide=True)
    assert (hidden["decisions"], hidden["overrides"]) == (None, None)
    for rows in hidden["groups"].values():
        for r in rows:
            assert r["override_rate"] is None and "decisions" in r["suppressed"]
            assert r["decisions"] is None
    page = client(app, "c").get("/fruehwarnung")
    assert page.status_code == 200 and 'id="abweichungen-gruppen"' in page.text
    assert "Entscheidungen der Fachkräfte je Gruppe" in page.text and "Geschlecht" in page.text
