"""Users only on existing units of the level their role needs, names with ``/`` in the web,
files readable by their owner only, and sessions that survive a restart."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from amip.web.settings import Settings
from amip.web.users import UserError, UserStore
from tests.web.conftest import TEAM, form_token, login

PASSWORD = "correct horse battery"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_team_roles_need_an_existing_team_and_other_roles_no_unit(users):
    cases = [  # (role, unit, caseworker) -> the error
        (("teamleitung", "03504", None), "Einheit '03504' hat die Ebene jobcenter"),
        (("teamleitung", "03504-fi", None), "Einheit '03504-fi' hat die Ebene standort"),
        (("teamleitung", "03504-nirgends", None), "gibt es im Datenbestand nicht"),
        (("teamleitung", None, None), "braucht eine Einheit der Ebene team"),
        (("ifk", "03504-fi", "cw-fi-08"), "braucht eine Einheit der Ebene team"),
        (("ifk", TEAM, None), "braucht eine Fallmanager-Kennung"),
        (("controlling", TEAM, None), "hat keine Einheit"),
        (("lesezugriff", None, "cw-fi-08"), "hat keine Fallmanager-Kennung"),
    ]
    for (role, unit, caseworker), error in cases:
        with pytest.raises(UserError, match=error):
            users.add_user("x", role, unit, caseworker)
    assert users.list_users() == []
    users.add_user("tl", "teamleitung", TEAM)
    users.add_user("ifk", "ifk", TEAM, "cw-fi-08")
    assert [(u.name, u.unit_id) for u in users.list_users()] == [("ifk", TEAM), ("tl", TEAM)]
    for bad in (" vorne", "hinten ", "tab\there", ""):
        with pytest.raises(UserError, match="Benutzername"):
            users.add_user(bad, "controlling")


def test_the_cli_reads_the_units_from_the_store(web_store, tmp_path):
    from amip.cli.web_cmd import users_group

    db = str(tmp_path / "u.sqlite")
    run = CliRunner().invoke
    r = run(users_group, ["add", "tl", "--role", "teamleitung", "--unit", "03504",
                          "--store", str(web_store), "--users-db", db])
    assert r.exit_code == 2 and "hat die Ebene jobcenter" in r.output
    r = run(users_group, ["add", "tl", "--role", "teamleitung", "--unit", TEAM,
                          "--store", str(tmp_path / "fehlt.duckdb"), "--users-db", db])
    assert r.exit_code == 2 and "fehlt.duckdb nicht gefunden" in r.output
    r = run(users_group, ["add", "tl", "--role", "teamleitung", "--unit", TEAM,
                          "--store", str(web_store), "--users-db", db])
    assert r.exit_code == 0, r.output


def test_the_form_offers_the_teams_and_refuses_other_units(client_as, web_app):
    ctl = client_as("ctl")
    page = ctl.get("/benutzer")
    assert f'<option value="{TEAM}">' in page.text and '<option value="03504">' not in page.text
    r = ctl.post("/benutzer", data={"name": "tl-jc", "role": "teamleitung", "unit_id": "03504",
                                    "csrf_token": form_token(page.text)})
    assert r.status_code == 400 and "hat die Ebene jobcenter" in r.text
    assert web_app.state.users.get("tl-jc") is None


def test_a_team_leader_stored_on_a_unit_above_the_teams_reads_no_persons(web_app):
    # as an older version could store one: the unit check bypassed with a made-up level
    web_app.state.users.add_user("alt-tl", "teamleitung", "03504", password=PASSWORD,
                                 units={"03504": "team"})
    c = TestClient(web_app)
    assert login(c, "alt-tl", PASSWORD).status_code == 303
    for unit in ("03504", TEAM):
        assert c.get(f"/api/v1/persons?unit={unit}&limit=1").status_code == 403


def test_users_with_slashes_and_dots_are_managed_by_name(client_as, web_app):
    store = web_app.state.users
    for name in ("team/leitung", "x/../gf"):
        store.add_user(name, "lesezugriff", password=PASSWORD)
    ctl = client_as("ctl")
    page = ctl.get("/benutzer")
    assert "team/leitung" in page.text
    r = ctl.post("/benutzer/sperren", data={"name": "x/../gf",
                                            "csrf_token": form_token(page.text)},
                 follow_redirects=False)
    assert r.status_code == 303
    assert not store.get("x/../gf").active and store.get("gf").active
    r = ctl.post("/benutzer/sperren", data={"name": "team/leitung",
                                            "csrf_token": form_token(page.text)},
                 follow_redirects=False)
    assert r.status_code == 303 and not store.get("team/leitung").active
    r = ctl.post("/benutzer/sperren", data={"name": "niemand/da",
                                            "csrf_token": form_token(page.text)})
    assert r.status_code == 404 and "Unbekannter Benutzer" in r.text


def test_the_users_database_and_the_key_are_readable_by_their_owner_only(web_store, tmp_path):
    old = os.umask(0o022)  # the usual umask: without care, files would be 0644
    try:
        folder = tmp_path / "neu" / "amip"
        store = UserStore(Settings(store=str(web_store), users_db=str(folder / "u.sqlite")))
        store.add_user("a", "controlling")
        files = [folder / n for n in ("u.sqlite", "u.sqlite-wal", "u.sqlite-shm", "u.key")]
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(folder) == mode(folder.parent) == 0o700
        store.close()
        os.chmod(folder / "u.sqlite", 0o644)  # as older versions left it
        UserStore(Settings(store=str(web_store), users_db=str(folder / "u.sqlite"))).close()
        assert mode(folder / "u.sqlite") == 0o600
    finally:
        os.umask(old)


def test_reports_are_written_for_their_owner_only(tmp_path):
    from amip.reports.export import write_all
    from amip.reports.model import Column, Report, ReportTable, Row, Section

    table = ReportTable(id="t", title="Tabelle", columns=[Column("Anzahl", "count")],
                        rows=[Row("Insgesamt", [5485], total=True)])
    report = Report("monthly", "Monatsbericht", "Juni 2020", "03504", "Elbe-Elster", "2020-06",
                    None, [Section("1", "Tabelle", [table])], public=False)
    old = os.umask(0o022)
    try:
        out = tmp_path / "berichte" / "2020"
        written = write_all(report, out, "monat", formats=("html", "xlsx", "csv"))
        files = [written["html"], written["xlsx"], *written["csv"].iterdir()]
        assert len(files) == 3 and {mode(f) for f in files} == {0o600}
        assert {mode(d) for d in (out.parent, out, written["csv"])} == {0o700}
        os.chmod(written["xlsx"], 0o644)
        written = write_all(report, out, "monat", formats=("xlsx", "csv"), overwrite=True)
        assert mode(written["xlsx"]) == 0o600
    finally:
        os.umask(old)


def test_sessions_survive_a_restart_and_the_environment_key_wins(web_store, tmp_path,
                                                                 monkeypatch):
    from amip.web.app import create_app

    monkeypatch.delenv("AMIP_SECRET_KEY", raising=False)
    db = str(tmp_path / "users.sqlite")

    def start():
        app = create_app(Settings(store=str(web_store), users_db=db, secure_cookies=False))
        app.state.close_on_shutdown = False
        return app

    first = start()
    first.state.users.add_user("bleibt", "controlling", password=PASSWORD)
    c = TestClient(first)
    assert login(c, "bleibt", PASSWORD).status_code == 303
    cookie = c.cookies.get("amip_session")
    first.state.services.close()
    first.state.users.close()
    assert mode(tmp_path / "users.key") == 0o600
    second = start()  # the restart: a new process would read the same key file
    try:
        again = TestClient(second, cookies={"amip_session": cookie})
        assert again.get("/api/v1/units").status_code == 200
    finally:
        second.state.services.close()
        second.state.users.close()
    monkeypatch.setenv("AMIP_SECRET_KEY", "k" * 40)
    settings = Settings(store=str(web_store), users_db=str(tmp_path / "b" / "users.sqlite"))
    assert settings.secret_key == "k" * 40 and not (tmp_path / "b" / "users.key").exists()
