"""Fixtures of the web tests: the default synthetic Jobcenter in a store file, one app with a
user per role, and logged-in TestClients."""

from __future__ import annotations

import re
import warnings

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)

from fastapi.testclient import TestClient  # noqa: E402

TEAM = "03504-fi-markt"  # a team of the default synthetic Jobcenter
OTHER_TEAM = "03504-hz-markt"
CASEWORKER = "cw-fi-08"  # works in TEAM
#: name -> (role, unit, caseworker)
USERS = {
    "gf": ("geschaeftsfuehrung", None, None),
    "ctl": ("controlling", None, None),
    "tl": ("teamleitung", TEAM, None),
    "ifk": ("ifk", TEAM, CASEWORKER),
    "lz": ("lesezugriff", None, None),
}


@pytest.fixture(scope="session")
def web_store(store_file):
    """The default synthetic Jobcenter in a store file (Services opens files)."""
    return store_file


@pytest.fixture(scope="session")
def web_settings(web_store, tmp_path_factory):
    from amip.web.settings import Settings

    return Settings(store=str(web_store), secure_cookies=False, login_attempts=3,
                    lockout_seconds=60,
                    users_db=str(tmp_path_factory.mktemp("users") / "users.sqlite"))


@pytest.fixture(scope="session")
def web_app(web_settings):
    from amip.web.app import create_app

    app = create_app(web_settings)
    app.state.close_on_shutdown = False  # schemathesis enters the lifespan per request
    app.state.passwords = {name: app.state.users.add_user(name, role, unit, cw)
                           for name, (role, unit, cw) in USERS.items()}
    yield app
    app.state.services.close()
    app.state.users.close()


def form_token(html: str) -> str:
    m = re.search(r'name="csrf_token"\s+value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"\s+name="csrf_token"', html)
    assert m, "no csrf_token field in the form"
    return m.group(1)


def login(client: TestClient, name: str, password: str):
    token = form_token(client.get("/login").text)
    return client.post("/login", data={"username": name, "password": password,
                                       "csrf_token": token}, follow_redirects=False)


def logged_in(app):
    """make(name) -> a TestClient of ``app`` logged in as that user (one per name)."""
    clients = {}

    def make(name: str) -> TestClient:
        if name not in clients:
            c = TestClient(app)
            r = login(c, name, app.state.passwords[name])
            assert r.status_code == 303, r.text
            clients[name] = c
        return clients[name]

    return make


@pytest.fixture(scope="session")
def client_as(web_app):
    """client_as(name) -> a TestClient logged in as that user (one per name and session)."""
    return logged_in(web_app)


@pytest.fixture(scope="session")
def anonymous(web_app):
    return TestClient(web_app)


@pytest.fixture(scope="session")
def latest(web_app) -> str:
    from amip.engine.calendar import format_month

    return format_month(web_app.state.services.latest_month())


@pytest.fixture
def users(web_store, tmp_path):
    """A users database beside the session's default store (tests of amip.web.users)."""
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    store = UserStore(Settings(store=str(web_store), users_db=str(tmp_path / "u.sqlite")))
    yield store
    store.close()
