"""Roles and scopes of person-level data, the audit trail, login rate limiting and CSRF."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from amip.engine.indicators import JSON_KEYS
from amip.disclosure import DEFAULT_RULE, protect_records
from tests.web.conftest import CASEWORKER, OTHER_TEAM, TEAM, form_token, login


def audit_rows(web_app, **kw) -> list[dict]:
    return web_app.state.users.audit.entries(limit=1000, **kw)


def test_team_leader_sees_only_the_own_team_and_every_attempt_is_audited(client_as, web_app):
    tl = client_as("tl")
    before = len(audit_rows(web_app, actor="tl", action="persons.read"))
    r = tl.get(f"/api/v1/persons?unit={OTHER_TEAM}")
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    denied = audit_rows(web_app, actor="tl", action="persons.read", outcome="denied")
    assert denied and denied[0]["scope"] == f"unit={OTHER_TEAM}"
    assert denied[0]["address"] == "testclient" and denied[0]["at"].endswith("+00:00")
    # the Standort above the own team and the whole Jobcenter are not the own team either
    assert tl.get("/api/v1/persons?unit=03504-fi").status_code == 403
    assert tl.get("/api/v1/persons?unit=03504").status_code == 403
    r = tl.get(f"/api/v1/persons?unit={TEAM}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] > 0 and {p["unit_id"] for p in body["persons"]} == {TEAM}
    assert set(body["persons"][0]) == {"person_id", "sex", "age_group", "unit_id", "is_lzb",
                                       "prognosis", "unemployed"}
    ok = audit_rows(web_app, actor="tl", action="persons.read", outcome="ok")
    assert ok and ok[0]["scope"].startswith(f"unit={TEAM} ")
    assert f"persons={body['total']}" in ok[0]["scope"]
    assert len(audit_rows(web_app, actor="tl", action="persons.read")) == before + 4
    # the log names the scope and a count, never a person
    assert not any(p["person_id"] in e["scope"] for e in audit_rows(web_app)
                   for p in body["persons"][:20])


def test_controlling_and_management_see_all_persons(client_as):
    for name in ("ctl", "gf"):
        r = client_as(name).get(f"/api/v1/persons?unit={OTHER_TEAM}&month=2020-06&limit=5")
        assert r.status_code == 200
        body = r.json()
        assert body["stichtag"] == "2020-06-15" and len(body["persons"]) == 5
    whole = client_as("ctl").get("/api/v1/persons?unit=03504&limit=1").json()
    team = client_as("ctl").get(f"/api/v1/persons?unit={TEAM}&limit=1").json()
    assert whole["total"] > team["total"]


def test_caseworker_sees_only_the_own_caseload(client_as, web_app):
    ifk, tl = client_as("ifk"), client_as("tl")
    own = ifk.get(f"/api/v1/persons?unit={TEAM}").json()
    team = tl.get(f"/api/v1/persons?unit={TEAM}").json()
    assert 0 < own["total"] < team["total"]
    ids = {p["person_id"] for p in own["persons"]}
    assert ids <= {p["person_id"] for p in team["persons"]}
    # each of them has a caseload row with this caseworker at the Stichtag
    from amip.engine.calendar import parse_month, stichtag
    from amip.engine.stocks import covering

    day = stichtag(parse_month(own["month"]))
    c = web_app.state.services.query(lambda db: covering(db.table("caseload"), day)
                                     .to_pyarrow().to_pylist())
    mine = {r["person_id"] for r in c if r["caseworker_id"] == CASEWORKER}
    assert ids <= mine
    assert ifk.get(f"/api/v1/persons?unit={OTHER_TEAM}").status_code == 403
    assert audit_rows(web_app, actor="ifk", outcome="denied")


def test_read_only_role_gets_no_persons_and_suppressed_small_counts(client_as, web_app):
    lz, ctl = client_as("lz"), client_as("ctl")
    assert lz.get(f"/api/v1/persons?unit={TEAM}").status_code == 403
    assert audit_rows(web_app, actor="lz", action="persons.read", outcome="denied")
    query = f"/api/v1/indicators?month=2020-01&to=2020-12&unit={TEAM}"
    full, shown = ctl.get(query).json(), lz.get(query).json()
    assert len(full) == len(shown)
    small = 0
    for a, b in zip(full, shown):
        assert {k: a[k] for k in ("code", "month", "sex")} == {k: b[k] for k in
                                                              ("code", "month", "sex")}
        for field in ("numerator", "denominator"):
            if a["code"].startswith("K1"):
                continue  # euro sums: no disclosure control
            if DEFAULT_RULE.hides(a[field]):
                small += 1
                assert b[field] is None and b["suppressed"] is True and b["value"] is None
            elif not b.get("suppressed"):
                assert b[field] == a[field]
    assert small > 0, "the team should have some small counts in 2020"
    assert "suppressed" not in full[0]


def test_protect_records_hides_small_counts_and_the_other_sex():
    rows = [dict(code="K2", month="2020-01", jobcenter_id="x", sex=s, numerator=n,
                 denominator=100, value=n, reason=None) for s, n in (("all", 10), ("m", 2), ("w", 8))]
    out = protect_records(rows)
    assert out[0] == rows[0]
    assert out[1]["numerator"] is None and out[1]["suppressed"] and out[1]["value"] is None
    assert out[2]["numerator"] is None and out[2]["suppressed"]  # else 10 - 8 reveals m
    assert set(JSON_KEYS) <= set(out[1])


def test_protect_records_across_the_organisation_tree():
    """Jobcenter J (unit u0) = Standorte S1 + S2; S1 = teams T1 + T2. Numerators (sex all):
    J 40, S1 12, S2 28, T1 2, T2 10. T1's 2 is hidden (primary); S1 = T1 + T2 would reveal it
    as 12 − 10, so T2 is hidden too (secondary). Then S1 and S2 are visible beside J: nothing
    else is hidden. The rows of u0 are the Jobcenter's."""
    units = [dict(unit_id="u0", parent_unit_id=None, level="jobcenter"),
             dict(unit_id="s1", parent_unit_id="u0", level="standort"),
             dict(unit_id="s2", parent_unit_id="u0", level="standort"),
             dict(unit_id="t1", parent_unit_id="s1", level="team"),
             dict(unit_id="t2", parent_unit_id="s1", level="team")]

    def row(unit, n, code="K2"):
        return dict(code=code, month="2020-01", jobcenter_id="x", sex="all", unit_id=unit,
                    numerator=n, denominator=500, value=n / 5)

    rows = [row(None, 40), row("s1", 12), row("s2", 28), row("t1", 2), row("t2", 10)]
    out = {r["unit_id"]: r for r in protect_records(rows, units)}
    assert out["t1"]["numerator"] is None and out["t1"]["value"] is None  # primary
    assert out["t2"]["numerator"] is None and out["t2"]["suppressed"]  # else 12 − 10
    assert [out[u]["numerator"] for u in (None, "s1", "s2")] == [40, 12, 28]
    assert all(out[u]["denominator"] == 500 for u in out)  # 500 is not small
    # the Jobcenter-level unit u0 stands for the total: S2 hidden, S1 visible, u0 visible
    # would reveal S2 = 40 − 12, so S1 goes too
    rows = [row("u0", 40), row("s1", 38), row("s2", 2)]
    out = {r["unit_id"]: r for r in protect_records(rows, units)}
    assert out["s2"]["numerator"] is None and out["s1"]["numerator"] is None
    assert out["u0"]["numerator"] == 40
    # euro sums are not protected
    assert protect_records([row(None, 2, "K1")], units)[0]["numerator"] == 2


def test_no_answer_reveals_a_hidden_count_by_difference(client_as, web_store):
    """For the read-only role, ask the API for the Jobcenter, every Standort and every team:
    in every total with its parts (a unit and its children; ``all`` with ``m`` and ``w``)
    either no cell or at least two are hidden, so none can be recomputed."""
    from amip.store import Store

    with Store.open(web_store, read_only=True) as store:
        units = store.view().table("units").to_pyarrow().to_pylist()
    lz = client_as("lz")
    answers = {}
    for u in [None] + [u["unit_id"] for u in units if u["level"] != "jobcenter"]:
        query = "/api/v1/indicators?month=2020-06" + (f"&unit={u}" if u else "")
        for r in lz.get(query).json():
            answers[(u, r["code"], r["sex"])] = r
    assert any(r.get("suppressed") for r in answers.values()), "some small counts expected"
    children = {}
    for u in units:
        if u["level"] != "jobcenter":
            parent = u["parent_unit_id"]
            parent = None if any(p["unit_id"] == parent and p["level"] == "jobcenter"
                                 for p in units) else parent
            children.setdefault(parent, []).append(u["unit_id"])
    codes = {code for _, code, _ in answers}
    checked = 0
    for field in ("numerator", "denominator"):
        for code in codes:
            for total, parts in children.items():
                for sex in ("all", "m", "w"):
                    cells = [answers[(x, code, sex)] for x in [total, *parts]]
                    if cells[0][field] is None and not cells[0].get("suppressed"):
                        continue  # not a count (e.g. euro sums not delivered)
                    hidden = sum(c[field] is None for c in cells)
                    assert hidden != 1, (field, code, total, sex)
                    checked += 1
            for u in [None, *[x for xs in children.values() for x in xs]]:
                hidden = sum(answers[(u, code, s)][field] is None
                             and answers[(u, code, s)].get("suppressed", False)
                             for s in ("all", "m", "w"))
                assert hidden != 1, (field, code, u)
    assert checked > 100


def test_wrong_passwords_are_rate_limited_and_audited(web_app, web_settings):
    web_app.state.users.add_user("victim", "lesezugriff", password="correct horse battery")
    c = TestClient(web_app)
    for _ in range(web_settings.login_attempts):
        r = login(c, "victim", "wrong password!")
        assert r.status_code == 401
        assert "falsch" in r.text
    r = login(c, "victim", "wrong password!")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    r = login(c, "victim", "correct horse battery")  # also the right one during the lockout
    assert r.status_code == 429
    failed = audit_rows(web_app, actor="victim", action="login")
    assert sum(e["outcome"] == "failed" for e in failed) == web_settings.login_attempts
    assert sum(e["outcome"] == "denied" for e in failed) == 2
    # another user from the same address is not locked
    assert login(TestClient(web_app), "lz", web_app.state.passwords["lz"]).status_code == 303


def test_unknown_user_is_rate_limited_too(web_app, web_settings):
    c = TestClient(web_app)
    codes = [login(c, "nobody", "x" * 12).status_code
             for _ in range(web_settings.login_attempts + 1)]
    assert codes == [401] * web_settings.login_attempts + [429]


def test_csrf_token_required(web_app):
    c = TestClient(web_app)
    c.get("/login")
    r = c.post("/login", data={"username": "ctl", "password": web_app.state.passwords["ctl"]})
    assert r.status_code == 403
    r = c.post("/login", data={"username": "ctl", "password": web_app.state.passwords["ctl"],
                               "csrf_token": "forged"})
    assert r.status_code == 403
    assert login(c, "ctl", web_app.state.passwords["ctl"]).status_code == 303
    assert c.get("/api/v1/units").status_code == 200
    assert c.post("/logout").status_code == 403  # no token: still logged in
    assert c.get("/api/v1/units").status_code == 200


def test_login_rotates_the_session_and_logout_ends_it(web_app):
    c = TestClient(web_app)
    token_before = form_token(c.get("/login").text)
    assert login(c, "gf", web_app.state.passwords["gf"]).status_code == 303
    cookie = c.cookies.get("amip_session")
    token = form_token(c.get("/login").text)
    assert token != token_before
    r = c.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/api/v1/units").status_code == 401
    # replaying the old cookie does not revive the session (it lives server-side)
    replay = TestClient(web_app, cookies={"amip_session": cookie})
    assert replay.get("/api/v1/units").status_code == 401
    actions = [(e["actor"], e["action"]) for e in audit_rows(web_app)[:3]]
    assert ("gf", "logout") in actions and ("gf", "login") in actions


def test_login_redirects_only_to_local_paths(web_app):
    c = TestClient(web_app)
    token = form_token(c.get("/login").text)
    r = c.post("/login", data={"username": "gf", "password": web_app.state.passwords["gf"],
                               "csrf_token": token, "next": "//evil.example/x"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_disabled_user_is_logged_out(web_app):
    users = web_app.state.users
    pw = users.add_user("leaver", "controlling")
    c = TestClient(web_app)
    assert login(c, "leaver", pw).status_code == 303
    assert c.get("/api/v1/units").status_code == 200
    users.disable_user("leaver", actor="ctl")
    assert c.get("/api/v1/units").status_code == 401
    assert login(TestClient(web_app), "leaver", pw).status_code == 401
    assert audit_rows(web_app, action="user.disable")[0]["scope"] == "user=leaver"


def test_audit_trail_is_append_only(web_settings, client_as):
    con = sqlite3.connect(web_settings.users_db)
    try:
        assert con.execute("SELECT count(*) FROM audit").fetchone()[0] > 0
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE audit SET outcome = 'ok'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM audit")
    finally:
        con.close()


def test_audit_readable_by_controlling_only(client_as, web_app):
    entries = client_as("ctl").get("/api/v1/audit?limit=5").json()
    assert 0 < len(entries) <= 5 and {"at", "actor", "action", "scope", "outcome"} <= \
        set(entries[0])
    for name in ("gf", "tl", "ifk", "lz"):
        assert client_as(name).get("/api/v1/audit").status_code == 403
    assert audit_rows(web_app, actor="lz", action="audit.read", outcome="denied")


def test_user_store_rules(web_app):
    from amip.web.users import UserError

    users = web_app.state.users
    with pytest.raises(UserError, match="Unbekannte Rolle"):
        users.add_user("x1", "admin")
    with pytest.raises(UserError, match="braucht eine Einheit der Ebene team"):
        users.add_user("x2", "teamleitung")
    with pytest.raises(UserError, match="gibt es schon"):
        users.add_user("ctl", "controlling")
    with pytest.raises(UserError, match="mindestens 12 Zeichen"):
        users.add_user("x3", "controlling", password="short")
    pw = users.add_user("x4", "controlling")
    assert len(pw) >= 16
    row = users._con.execute("SELECT password_hash FROM users WHERE name='x4'").fetchone()
    assert row[0].startswith("$argon2id$") and pw not in row[0]


def test_reading_the_trail_through_the_api_is_recorded(client_as, web_app):
    before = len(audit_rows(web_app, actor="ctl", action="audit.read", outcome="ok"))
    r = client_as("ctl").get("/api/v1/audit?limit=3&action=login")
    assert r.status_code == 200 and len(r.json()) <= 3
    rows = audit_rows(web_app, actor="ctl", action="audit.read", outcome="ok")
    assert len(rows) == before + 1
    assert rows[0]["scope"] == f"api rows={len(r.json())} action=login"
