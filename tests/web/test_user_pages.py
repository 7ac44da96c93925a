"""The page "Benutzer": Controlling (manage_users) lists, adds and disables users; the new
password works once shown; every other role gets 403; everything is in the audit trail."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import TEAM, form_token, login


def audit(web_app, **kw) -> list[dict]:
    return web_app.state.users.audit.entries(limit=1000, **kw)


def test_controlling_adds_a_user_whose_password_works(client_as, web_app):
    ctl = client_as("ctl")
    page = ctl.get("/benutzer")
    assert page.status_code == 200 and 'href="/benutzer"' in page.text  # in the navigation
    assert "Lesezugriff" in page.text and ">lz<" in page.text
    r = ctl.post("/benutzer", data={"name": "neu-tl", "role": "teamleitung",
                                    "unit_id": "03504-fi-markt", "caseworker_id": "",
                                    "csrf_token": form_token(page.text)})
    assert r.status_code == 200 and "neu-tl" in r.text
    password = re.search(r"<code>([^<]+)</code>", r.text).group(1)
    assert r.headers["cache-control"] == "no-store"  # the page with the password is not kept
    assert len(password) >= 12
    fresh = TestClient(web_app)
    assert login(fresh, "neu-tl", password).status_code == 303
    added = audit(web_app, actor="ctl", action="user.add")
    assert added and "user=neu-tl role=teamleitung unit=03504-fi-markt" in added[0]["scope"]
    assert password not in str(audit(web_app))  # never in the trail


def test_bad_input_is_shown_and_nothing_is_added(client_as, web_app):
    ctl = client_as("ctl")
    token = form_token(ctl.get("/benutzer").text)
    r = ctl.post("/benutzer", data={"name": "ohne-team", "role": "teamleitung",
                                    "csrf_token": token})
    assert r.status_code == 400 and "braucht eine Einheit der Ebene team" in r.text
    assert web_app.state.users.get("ohne-team") is None
    r = ctl.post("/benutzer", data={"name": "lz", "role": "lesezugriff", "csrf_token": token})
    assert r.status_code == 400 and "gibt es schon" in r.text


def test_controlling_disables_a_user_but_not_itself(client_as, web_app):
    web_app.state.users.add_user("wird-gesperrt", "lesezugriff", password="a long password 1")
    ctl = client_as("ctl")
    token = form_token(ctl.get("/benutzer").text)
    r = ctl.post("/benutzer/sperren", data={"name": "wird-gesperrt", "csrf_token": token},
                 follow_redirects=False)
    assert r.status_code == 303
    assert not web_app.state.users.get("wird-gesperrt").active
    assert login(TestClient(web_app), "wird-gesperrt", "a long password 1").status_code == 401
    assert audit(web_app, actor="ctl", action="user.disable")[0]["scope"] == "user=wird-gesperrt"
    r = ctl.post("/benutzer/sperren", data={"name": "ctl", "csrf_token": token})
    assert r.status_code == 400 and web_app.state.users.get("ctl").active


def test_other_roles_may_not_manage_users_and_forms_need_the_token(client_as, web_app):
    for name in ("gf", "tl", "ifk", "lz"):
        c = client_as(name)
        assert c.get("/benutzer").status_code == 403
        assert 'href="/benutzer"' not in c.get("/").text
        r = c.post("/benutzer", data={"name": "x", "role": "lesezugriff",
                                      "csrf_token": form_token(c.get("/").text)})
        assert r.status_code == 403 and web_app.state.users.get("x") is None
        assert audit(web_app, actor=name, action="users.read", outcome="denied")
    ctl = client_as("ctl")
    r = ctl.post("/benutzer", data={"name": "x", "role": "lesezugriff", "csrf_token": "wrong"})
    assert r.status_code == 403 and web_app.state.users.get("x") is None


def test_personal_responses_are_not_stored_static_files_may_be(client_as):
    ctl = client_as("ctl")
    for path in ("/", f"/api/v1/persons?unit={TEAM}", "/benutzer",
                 "/api/v1/indicators?month=2020-06"):
        r = ctl.get(path)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path
    r = ctl.get("/static/amip.css")
    assert r.status_code == 200 and "no-store" not in r.headers.get("cache-control", "")
