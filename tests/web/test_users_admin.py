"""Issue 11 item 7: users only with caseworkers that exist (in the team given), and an
administrator re-activates users and resets passwords, in the CLI and on the page "Benutzer",
audited, the password shown once and never in the trail."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from amip.web.settings import Settings
from amip.web.users import UserError, UserStore
from tests.web.conftest import CASEWORKER, OTHER_TEAM, TEAM, form_token, login


def test_caseworkers_must_exist_and_work_in_the_team(users):
    with pytest.raises(UserError, match="'cw-niemand' gibt es im Datenbestand nicht"):
        users.add_user("a", "ifk", TEAM, "cw-niemand")
    with pytest.raises(UserError, match=f"betreut niemanden im Team '{OTHER_TEAM}'"):
        users.add_user("a", "ifk", OTHER_TEAM, CASEWORKER)
    assert users.list_users() == []
    users.add_user("a", "ifk", TEAM, CASEWORKER)
    assert users.get("a").caseworker_id == CASEWORKER


def test_enable_and_reset_password(users):
    users.add_user("b", "lesezugriff", password="the first password")
    users.disable_user("b")
    assert users.verify("b", "the first password") is None
    users.enable_user("b", actor="admin")
    assert users.verify("b", "the first password").active
    sid = users.open_session("b")
    new = users.reset_password("b", actor="admin")
    assert len(new) >= 12 and users.session_user(sid) is None  # sessions end
    assert users.verify("b", "the first password") is None
    assert users.verify("b", new).name == "b"
    for call in (users.enable_user, users.reset_password):
        with pytest.raises(UserError, match="Unbekannter Benutzer"):
            call("niemand")
    actions = [(e["actor"], e["action"], e["scope"]) for e in users.audit.entries(limit=100)]
    assert ("admin", "user.enable", "user=b") in actions
    assert ("admin", "user.password_reset", "user=b") in actions
    assert new not in str(actions)


def test_the_cli_enables_and_resets(web_store, tmp_path):
    from amip.cli.web_cmd import users_group

    db = ["--store", str(web_store), "--users-db", str(tmp_path / "u.sqlite")]
    run = CliRunner().invoke
    r = run(users_group, ["add", "c", "--role", "ifk", "--unit", TEAM, "--caseworker",
                          "cw-gibt-es-nicht", *db])
    assert r.exit_code == 2 and "gibt es im Datenbestand nicht" in r.output
    assert run(users_group, ["add", "c", "--role", "lesezugriff", *db]).exit_code == 0
    assert run(users_group, ["disable", "c", *db]).exit_code == 0
    r = run(users_group, ["enable", "c", *db])
    assert r.exit_code == 0 and "Benutzer c aktiviert." in r.output
    r = run(users_group, ["reset-password", "c", *db])
    assert r.exit_code == 0, r.output
    password = re.search(r"Passwort \(wird nur jetzt angezeigt\): (\S+)", r.output).group(1)
    r = run(users_group, ["list", *db])
    assert "c\tlesezugriff\t-\t-\taktiv" in r.output
    store = UserStore(Settings(store=str(web_store), users_db=str(tmp_path / "u.sqlite")))
    try:
        assert store.verify("c", password).active
    finally:
        store.close()
    r = run(users_group, ["enable", "niemand", *db])
    assert r.exit_code == 2 and "Unbekannter Benutzer 'niemand'" in r.output


def test_the_page_reactivates_and_resets(client_as, web_app):
    users = web_app.state.users
    users.add_user("seite", "lesezugriff", password="an old password 1")
    users.disable_user("seite")
    ctl = client_as("ctl")
    page = ctl.get("/benutzer")
    assert 'action="/benutzer/aktivieren"' in page.text
    assert 'action="/benutzer/passwort"' in page.text
    token = form_token(page.text)
    assert ctl.post("/benutzer/aktivieren", data={"name": "seite"}).status_code == 403  # CSRF
    assert not users.get("seite").active
    r = ctl.post("/benutzer/aktivieren", data={"name": "seite", "csrf_token": token},
                 follow_redirects=False)
    assert r.status_code == 303 and users.get("seite").active
    r = ctl.post("/benutzer/passwort", data={"name": "seite", "csrf_token": token})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    password = re.search(r'id="neues-passwort">Neues Passwort für <strong>seite</strong>[^<]*'
                         r"<code>([^<]+)</code>", r.text).group(1)
    assert login(TestClient(web_app), "seite", "an old password 1").status_code == 401
    assert login(TestClient(web_app), "seite", password).status_code == 303
    trail = users.audit.entries(limit=1000, actor="ctl")
    assert {"user.enable", "user.password_reset"} <= {e["action"] for e in trail}
    assert password not in str(users.audit.entries(limit=1000))
    r = ctl.post("/benutzer/passwort", data={"name": "niemand", "csrf_token": token})
    assert r.status_code == 404 and "Unbekannter Benutzer" in r.text
    lz = client_as("lz")
    r = lz.post("/benutzer/passwort", data={"name": "seite",
                                            "csrf_token": form_token(lz.get("/").text)})
    assert r.status_code == 403


def test_the_form_refuses_unknown_caseworkers(client_as, web_app):
    ctl = client_as("ctl")
    token = form_token(ctl.get("/benutzer").text)
    r = ctl.post("/benutzer", data={"name": "ifk-x", "role": "ifk", "unit_id": TEAM,
                                    "caseworker_id": "cw-erfunden", "csrf_token": token})
    assert r.status_code == 400 and "gibt es im Datenbestand nicht" in r.text
    assert web_app.state.users.get("ifk-x") is None
