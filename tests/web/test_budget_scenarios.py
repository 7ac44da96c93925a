"""The budget API (/api/v1/budget, also /api/budget) and the page /budget/szenarien on the small
extract of tests/engine/test_budget_scenario.py (figures worked out by hand there): the JSON is
the CLI's, the ``budget`` right of roles.toml is enforced on the server, stale versions get 409,
every change is audited as ``budget.scenario``, the page renders and its form saves."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from click.testing import CliRunner

from tests.engine import test_budget_scenario
from tests.engine.test_budget_cli import store_of
from tests.web.conftest import USERS, form_token, logged_in

CHANGES = test_budget_scenario.CHANGES


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(app, store path, steering URL): an app on the small extract with a user per role."""
    from amip.web.app import create_app
    from amip.web.settings import Settings

    tmp = tmp_path_factory.mktemp("scen")
    store = store_of(tmp, test_budget_scenario.case())
    url = f"sqlite:///{tmp / 'steering.sqlite'}"
    app = create_app(Settings(store=store, secure_cookies=False, steering_url=url,
                              users_db=str(tmp / "users.sqlite")))
    app.state.close_on_shutdown = False
    app.state.passwords = {name: app.state.users.add_user(name, role, unit, cw)
                           for name, (role, unit, cw) in USERS.items()
                           if role in ("geschaeftsfuehrung", "controlling", "lesezugriff")}
    yield app, store, url
    app.state.services.close()
    app.state.users.close()
    app.state.steering.close()


@pytest.fixture(scope="module")
def as_user(setup):
    return logged_in(setup[0])


def cli(store, url, *args):
    from amip.cli.main import cli as main

    r = CliRunner().invoke(main, [*args, "--store", store, "--format", "json"],
                           env={"AMIP_STEERING": url}, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def audited(app) -> set[tuple[str, str]]:
    """(actor, outcome) of the audit rows of action budget.scenario."""
    return {(e["actor"], e["outcome"])
            for e in app.state.users.audit.entries(limit=1000, action="budget.scenario")}


def test_read_routes_are_the_cli_json(setup, as_user):
    app, store, url = setup
    c = as_user("lz")
    for path, args in [("/api/v1/budget/status?year=2020", ("budget", "status", "--year",
                                                             "2020")),
                       ("/api/budget/status?year=2020&as_of=2020-06-30",
                        ("budget", "status", "--year", "2020", "--as-of", "2020-06-30")),
                       ("/api/v1/budget/comparison?year=2020&year_before=2019",
                        ("budget", "compare", "--year", "2020", "--before", "2019")),
                       ("/api/v1/budget/outcomes?month=2019-12",
                        ("budget", "outcomes", "--month", "2019-12"))]:
        r = c.get(path)
        assert r.status_code == 200, (path, r.text)
        want = cli(store, url, *args)
        if "outcomes" in path:  # Lesezugriff: Austritte of 1–2 and their quotas are null
            want = [dict(w, **({} if not 1 <= w["austritte"] <= 2 else dict(
                austritte=None, eingliederungsquote=None, verbleibsquote=None,
                cost_per_eingliederung=None))) for w in want]
        assert r.json() == want, path
    ctl = as_user("ctl")
    assert ctl.get("/api/v1/budget/outcomes?month=2019-12").json() == \
        cli(store, url, "budget", "outcomes", "--month", "2019-12")
    r = ctl.get("/api/v1/budget/landing?year=2020&month=2019-12")
    assert r.status_code == 400 and "nicht im Haushaltsjahr 2020" in r.json()["detail"]


def test_scenarios_roles_audit_and_stale(setup, as_user):
    app, store, url = setup
    body = {"name": "Umbau", "year": 2020, "changes": CHANGES, "description": "Umbau"}
    r = as_user("lz").post("/api/v1/budget/scenarios", json=body)
    assert r.status_code == 403 and "Lesezugriff darf keine Szenarien" in r.json()["detail"]
    r = as_user("ctl").post("/api/v1/budget/scenarios", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["changes"][1] == "move=fbw:-20000,egz:+20000"
    r = as_user("gf").post("/api/v1/budget/scenarios", json=body)  # exists already
    assert r.status_code == 409
    bad = as_user("gf").post("/api/v1/budget/scenarios",
                             json=dict(body, name="X", changes=["move=fbw:-1,egz:+2"]))
    assert bad.status_code == 422 and "ergibt in Summe +1 €, nicht 0" in bad.json()["detail"]
    # the result is the CLI's (the hand-worked figures)
    got = as_user("lz").get("/api/v1/budget/scenarios/2020/Umbau").json()
    assert got == cli(store, url, "budget", "scenario", "show", "Umbau", "--year", "2020") \
        | {"assumptions": got["assumptions"]}
    assert got["k2"]["points_delta"] == pytest.approx(80 / 3)
    # Lesezugriff: the small counts of the assumptions are protected (egz: 2 participants)
    egz = next(a for a in got["assumptions"] if a["instrument"] == "egz")
    assert egz["participants"] is None and "kleine Fallzahlen" in egz["reason"]
    full = as_user("ctl").get("/api/v1/budget/scenarios/2020/Umbau").json()
    assert next(a for a in full["assumptions"] if a["instrument"] == "egz")["participants"] == 2
    # change with the version; a stale version → 409 with a German message
    put = {"changes": ["title=egl:-10%"], "version": 1, "reason": "nur Kürzung"}
    assert as_user("gf").put("/api/v1/budget/scenarios/2020/Umbau", json=put).json()[
        "version"] == 2
    r = as_user("ctl").put("/api/v1/budget/scenarios/2020/Umbau", json=put)
    assert r.status_code == 409 and "inzwischen von gf" in r.json()["detail"]
    assert as_user("lz").get("/api/v1/budget/scenarios?year=2020").json()[0]["changes"] == [
        "title=egl:-10%"]
    side = as_user("lz").get("/api/v1/budget/scenarios/2020").json()
    assert side["base"]["name"] == "Basisplan" and [s["name"] for s in side["scenarios"]] == [
        "Umbau"]
    assert as_user("lz").get("/api/v1/budget/scenarios/2020/Nie").status_code == 404
    assert {("lz", "denied"), ("ctl", "ok"), ("gf", "ok"), ("gf", "failed"),
            ("ctl", "failed")} <= audited(app)


def test_page_renders_and_the_form_saves(setup, as_user):
    app, store, url = setup
    c = as_user("gf")
    page = c.get("/budget/szenarien?jahr=2020")
    assert page.status_code == 200, page.text
    html = unescape(page.text)
    assert 'href="/budget"' in html and "Budget-Szenarien 2020" in html
    assert 'id="neues-szenario"' in html
    token = form_token(page.text)
    r = c.post("/budget/szenarien", data={
        "csrf_token": token, "year": "2020", "name": "Seite", "version": "0",
        "description": "vom Formular", "changes": "\n".join(CHANGES), "aktion": "speichern"},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    html = unescape(c.get("/budget/szenarien?jahr=2020").text)
    row = re.search(r'<tr class="total" data-instrument="summe">(.*?)</tr>', html, re.S).group(1)
    # base 188.000 €, the scenario "Seite" 212.400 € (the hand-worked plan lines)
    assert "188.000\xa0€" in row and "212.400\xa0€" in row
    assert 'id="szenario-chart"' in html and "Seite" in html and "5.000\xa0€" in html
    # a stale form (version 0 for an existing name): 409, the page shows why
    r = c.post("/budget/szenarien", data={
        "csrf_token": token, "year": "2020", "name": "Seite", "version": "0",
        "changes": "title=egl:-1%", "aktion": "speichern"})
    assert r.status_code == 409 and "wurde inzwischen von gf" in unescape(r.text)
    # bad input: 422 and the German error, nothing saved
    r = c.post("/budget/szenarien", data={
        "csrf_token": token, "year": "2020", "name": "Falsch", "version": "0",
        "changes": "instrument=xyz:1", "aktion": "speichern"})
    assert r.status_code == 422 and "Instrument 'xyz' unbekannt" in unescape(r.text)
    assert app.state.steering.scenario("Falsch", 2020, "03504") is None
    # read-only role: no form, and a forged post is refused
    lz = as_user("lz")
    html = lz.get("/budget/szenarien?jahr=2020").text
    assert 'id="neues-szenario"' not in html and "Seite" in html
    r = lz.post("/budget/szenarien", data={
        "csrf_token": form_token(html), "year": "2020", "name": "X", "version": "0",
        "changes": "title=egl:-1%"})
    assert r.status_code == 403
    # withdraw from the page
    v = app.state.steering.scenario("Seite", 2020, "03504").version
    r = c.post("/budget/szenarien", data={
        "csrf_token": token, "year": "2020", "name": "Seite", "version": str(v),
        "changes": "", "aktion": "zurueckziehen", "reason": "erledigt"}, follow_redirects=False)
    assert r.status_code == 303
    assert app.state.steering.scenario("Seite", 2020, "03504").withdrawn


def test_rights_and_audit_name_are_declared():
    from amip.web.audit import labels
    from amip.web.users import load_roles

    assert labels()["actions"]["budget.scenario"].startswith("Budget-Szenario")
    assert {k: r.budget for k, r in load_roles().items()} == {
        "geschaeftsfuehrung": "edit", "controlling": "edit", "teamleitung": "read",
        "ifk": "read", "lesezugriff": "read", "land": "read"}


@pytest.mark.parametrize("path", ["/api/v1/budget/status", "/api/v1/budget/landing",
                                  "/api/v1/budget/outcomes", "/api/v1/budget/comparison",
                                  "/api/v1/budget/scenarios", "/api/v1/budget/scenarios/{year}",
                                  "/api/v1/budget/scenarios/{year}/{name}"])
def test_no_server_error(path, setup, as_user):
    """schemathesis examples of each budget operation (GET and the writes): never a 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    api = schemathesis.openapi.from_asgi("/api/v1/openapi.json", setup[0])
    ops = [o for o in (r.ok() for r in api.get_all_operations()) if o.path == path]
    cookie = as_user("ctl").cookies.get("amip_session")
    assert ops
    for op in ops:
        @given(case=op.as_strategy())
        @settings(max_examples=15, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(cookies={"amip_session": cookie})
            assert response.status_code < 500, (case.method, case.path, case.query,
                                                response.text[:500])
        check()
