"""The page Frühwarnung: evaluation and audit for Controlling, refused to other roles."""

import shutil

import pytest
from fastapi.testclient import TestClient

from amip.risk.models import save, train
from tests.web.conftest import login

pytestmark = pytest.mark.slow


@pytest.fixture
def app(small_store_file, tmp_path):
    from amip.web.app import create_app
    from amip.web.settings import Settings

    store = tmp_path / "amip.duckdb"
    shutil.copy(small_store_file, store)
    app = create_app(Settings(store=str(store), secure_cookies=False,
                              users_db=str(tmp_path / "users.sqlite")))
    app.state.passwords = {"c": app.state.users.add_user("c", "controlling", None, None),
                           "g": app.state.users.add_user("g", "geschaeftsfuehrung", None, None)}
    yield app
    app.state.services.close()
    app.state.users.close()


def client(app, name):
    c = TestClient(app)
    assert login(c, name, app.state.passwords[name]).status_code == 303
    return c


def test_page_for_controlling_only(app, small_store):
    c = client(app, "c")
    r = c.get("/fruehwarnung")
    assert r.status_code == 200 and "Noch kein Modell" in r.text and "amip risk train" in r.text
    save(train(small_store.view(), "03504", targets=["lzb_12"]), app.state.services.settings.store)
    r = c.get("/fruehwarnung")
    assert r.status_code == 200
    for text in ("Übergang in den Langzeitleistungsbezug innerhalb von 12 Monaten", "LightGBM",
                 "Logistische Regression (Basis)", "Kalibrierung", "Staatsangehörigkeit",
                 "Falsch-negativ-Rate", 'href="/fruehwarnung"', "(gewählt)"):
        assert text in r.text
    assert client(app, "g").get("/fruehwarnung").status_code == 403


def test_the_page_follows_its_own_declared_right(app, tmp_path, monkeypatch):
    """Frühwarnung is gated on ``risk_audit`` in roles.toml, not on ``audit``: declared for
    Controlling only; with a roles file that gives it to Geschäftsführung and takes it from
    Controlling (whose ``audit`` stays true) the page and the API follow the file."""
    from amip.web import users

    declared = {k: r.risk_audit for k, r in users.load_roles().items()}
    assert declared == {"geschaeftsfuehrung": False, "controlling": True, "teamleitung": False,
                        "ifk": False, "lesezugriff": False, "land": False}
    text = users.ROLES_FILE.read_text(encoding="utf-8")
    flipped = tmp_path / "roles.toml"
    gf, rest = text.split("[controlling]")
    co, rest = rest.split("[teamleitung]")
    flipped.write_text(gf.replace("risk_audit = false", "risk_audit = true") + "[controlling]"
                       + co.replace("risk_audit = true", "risk_audit = false") + "[teamleitung]"
                       + rest, encoding="utf-8")
    roles = users.load_roles(flipped)
    assert roles["geschaeftsfuehrung"].risk_audit and not roles["controlling"].risk_audit
    assert roles["controlling"].audit
    original = users.load_roles
    monkeypatch.setattr(users, "load_roles", lambda path=flipped: original(path))
    g, c = client(app, "g"), client(app, "c")
    assert g.get("/fruehwarnung").status_code == 200
    assert 'href="/fruehwarnung"' in g.get("/fruehwarnung").text  # the menu shows it
    assert c.get("/fruehwarnung").status_code == 403
    assert c.get("/api/v1/risk/decisions").status_code == 403
    assert 'href="/fruehwarnung"' not in c.get("/").text
