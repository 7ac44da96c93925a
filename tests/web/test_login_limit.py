"""The login limit holds under concurrency, cannot lock a user out, and the audit trail cannot be
flooded; client addresses come from a proxy's headers only when the proxy is trusted."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from amip.web.settings import AUDIT_FIELDS, AuditLimit, Settings
from amip.web.users import LockedOut, UserStore
from tests.web.conftest import form_token, login

PASSWORD = "correct horse battery"


def storm(app, name: str, password: str, addresses: list[str]) -> list[int]:
    """One login per address, all posted at the same moment from their own threads."""
    clients = [TestClient(app, client=(a, 50000)) for a in addresses]
    tokens = [form_token(c.get("/login").text) for c in clients]
    start = threading.Barrier(len(clients))

    def post(i: int) -> int:
        start.wait()
        return clients[i].post("/login", data={"username": name, "password": password,
                                               "csrf_token": tokens[i]},
                               follow_redirects=False).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(post, range(len(clients))))


def audit_rows(app, **kw) -> list[dict]:
    return app.state.users.audit.entries(limit=1000, **kw)


def test_concurrent_wrong_passwords_from_one_address_are_checked_at_most_the_limit(
        web_app, web_settings):
    users = web_app.state.users
    users.add_user("sturm", "lesezugriff", password=PASSWORD)
    before = users.password_checks
    codes = storm(web_app, "sturm", "wrong password!", ["testclient"] * 40)
    # 40 at once from one address: the first login_attempts (3) reserve their check, the
    # other 37 are refused before argon2 runs
    assert users.password_checks - before == web_settings.login_attempts
    assert sorted(codes) == [401] * 3 + [429] * 37
    rows = audit_rows(web_app, actor="sturm", action="login")
    assert sum(r["outcome"] == "failed" for r in rows) == 3
    # 37 refusals with the same user, action, outcome and address: 10 rows (flood control),
    # the other 27 summed up when the minute is over
    assert sum(r["outcome"] == "denied" for r in rows) == 10


def test_the_account_limit_holds_across_addresses_and_a_known_device_still_gets_in(
        web_app, web_settings):
    users = web_app.state.users
    users.add_user("reisende", "lesezugriff", password=PASSWORD)
    home = TestClient(web_app, client=("10.1.0.1", 50000))
    assert login(home, "reisende", PASSWORD).status_code == 303
    assert home.cookies.get("amip_device")
    before = users.password_checks
    codes = storm(web_app, "reisende", "wrong password!", [f"10.2.0.{i}" for i in range(40)])
    # 40 addresses, one guess each: the per-address limit never binds; the account-wide one
    # lets account_attempts (10) be checked, then each check waits account_delay (30 s)
    assert users.password_checks - before == web_settings.account_attempts == 10
    assert sorted(codes) == [401] * 10 + [429] * 30
    # the right password from a new browser waits too, and is told how long
    r = login(TestClient(web_app, client=("10.3.0.1", 50000)), "reisende", PASSWORD)
    assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 30
    assert f"Bitte in {r.headers['retry-after']} Sekunden erneut versuchen." in r.text
    # ... but the browser of an earlier login is limited only per device
    assert login(home, "reisende", PASSWORD).status_code == 303


def test_a_device_cookie_counts_only_for_its_user_and_its_own_failures_lock_it(web_app):
    users = web_app.state.users
    users.add_user("geraet-a", "lesezugriff", password=PASSWORD)
    users.add_user("geraet-b", "lesezugriff", password=PASSWORD)
    home = TestClient(web_app, client=("10.4.0.1", 50000))
    assert login(home, "geraet-a", PASSWORD).status_code == 303
    storm(web_app, "geraet-b", "wrong password!", [f"10.5.0.{i}" for i in range(12)])
    # a's device cookie does not make the browser a known device of b
    assert login(home, "geraet-b", PASSWORD).status_code == 429
    # wrong passwords from a's own device count against that device (login_attempts = 3)
    codes = [login(home, "geraet-a", "wrong password!").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert login(home, "geraet-a", PASSWORD).status_code == 429
    assert login(TestClient(web_app, client=("10.4.0.2", 50000)), "geraet-a",
                 PASSWORD).status_code == 303


def test_an_administrator_lifts_the_limit_in_the_cli_and_on_the_page(web_app, web_settings,
                                                                       client_as):
    from amip.cli.web_cmd import users_group

    users = web_app.state.users
    for name in ("gesperrt-cli", "gesperrt/web"):
        users.add_user(name, "lesezugriff", password=PASSWORD)
        storm(web_app, name, "wrong password!", [f"10.6.0.{i}" for i in range(11)])
        assert users.login_failures()[name] == 10
        assert login(TestClient(web_app, client=("10.7.0.1", 50000)), name,
                     PASSWORD).status_code == 429
    r = CliRunner().invoke(users_group, ["unlock", "gesperrt-cli", "--store",
                                         web_settings.store, "--users-db",
                                         web_settings.users_db])
    assert r.exit_code == 0, r.output
    assert "Anmeldesperre von gesperrt-cli aufgehoben (gezählte Fehlversuche: 10)" in r.output
    assert CliRunner().invoke(users_group, ["unlock", "niemand", "--users-db",
                                            web_settings.users_db]).exit_code == 2
    ctl = client_as("ctl")
    page = ctl.get("/benutzer")
    assert 'action="/benutzer/entsperren"' in page.text and "gesperrt/web" in page.text
    r = ctl.post("/benutzer/entsperren", data={"name": "gesperrt/web",
                                               "csrf_token": form_token(page.text)},
                 follow_redirects=False)
    assert r.status_code == 303
    for name in ("gesperrt-cli", "gesperrt/web"):
        assert name not in users.login_failures()
        assert login(TestClient(web_app, client=("10.7.0.2", 50000)), name,
                     PASSWORD).status_code == 303
    unlocked = audit_rows(web_app, action="user.unlock")
    assert {(r["actor"].split(":")[0], r["scope"]) for r in unlocked} >= {
        ("cli", "user=gesperrt-cli failures=10"), ("ctl", "user=gesperrt/web failures=10")}


@pytest.fixture
def store_with(web_store, tmp_path):
    """store_with(**settings) -> a UserStore on its own database (closed after the test)."""
    opened = []

    def make(**kw) -> UserStore:
        opened.append(UserStore(Settings(store=str(web_store), secure_cookies=False,
                                         users_db=str(tmp_path / f"u{len(opened)}.sqlite"), **kw)))
        return opened[-1]

    yield make
    for s in opened:
        s.close()


def test_the_account_delay_grows_with_every_failure(store_with):
    users = store_with(account_attempts=2, account_delay=1)
    users.add_user("langsam", "lesezugriff", password=PASSWORD)
    assert users.verify("langsam", "wrong 1", "10.0.0.1") is None
    assert users.verify("langsam", "wrong 2", "10.0.0.2") is None
    # 2 failures = account_attempts: the next check waits 1 s × 2^(2 − 2) = 1 s
    with pytest.raises(LockedOut) as e:
        users.verify("langsam", PASSWORD, "10.0.0.3")
    assert e.value.retry_after == 1
    time.sleep(1.1)
    assert users.verify("langsam", "wrong 3", "10.0.0.3") is None
    # 3 failures: 1 s × 2^(3 − 2) = 2 s after the latest
    with pytest.raises(LockedOut) as e:
        users.verify("langsam", PASSWORD, "10.0.0.4")
    assert e.value.retry_after == 2
    assert users.verify("langsam", PASSWORD, device="known-1") is not None


def test_a_global_rate_of_password_checks_spares_known_devices(store_with):
    users = store_with(login_checks_per_minute=5)
    users.add_user("bekannt", "lesezugriff", password=PASSWORD)
    for i in range(5):  # five checks from unknown devices (of names that need not exist)
        assert users.verify(f"rate-{i}", "wrong password", f"10.8.0.{i}") is None
    with pytest.raises(LockedOut) as e:
        users.verify("bekannt", PASSWORD, "10.8.1.1")
    assert 55 <= e.value.retry_after <= 60  # until the first of the five is a minute old
    assert users.password_checks == 5
    assert users.verify("bekannt", PASSWORD, "10.8.1.1", device="known-2") is not None


def test_overlong_names_are_counted_cut(store_with):
    users = store_with(login_attempts=1)
    long = "x" * 5000
    assert users.verify(long, "wrong password", "10.9.9.9") is None
    with pytest.raises(LockedOut):
        users.verify(long + "y", "wrong password", "10.9.9.9")  # the same first 100 characters
    actors = {r["actor"] for r in users.audit.entries()}
    assert actors == {"x" * 100 + "…"}


def test_failed_and_denied_rows_are_limited_and_summed_up(store_with):
    users = store_with(audit_limits=(AuditLimit(AUDIT_FIELDS, rows=3, window=1),
                                     AuditLimit(("action", "outcome"), rows=5, window=1)))
    trail = users.audit
    for _ in range(20):
        trail.record("mallory", "persons.read", "unit=x", "denied", "10.0.0.66")
        trail.record("alice", "persons.read", "unit=y", "ok", "10.0.0.1")
    for i in range(12):  # changing names: the wider limit (per action and outcome) holds
        trail.record(f"name-{i}", "login", "", "failed", f"10.1.0.{i}")
    rows = trail.entries(1000)
    assert sum(r["actor"] == "mallory" for r in rows) == 3
    assert sum(r["actor"] == "alice" for r in rows) == 20  # successful reads: all of them
    assert sum(r["action"] == "login" for r in rows) == 5
    time.sleep(1.1)
    trail.record("mallory", "persons.read", "unit=x", "denied", "10.0.0.66")
    rows = trail.entries(1000)
    # the windows have ended: one summary per full window, before the next allowed row
    summary = [r for r in rows if r["scope"].startswith("weitere")]
    assert {(r["actor"], r["action"], r["outcome"], r["address"], r["scope"].split(" von ")[0])
            for r in summary} == {
        ("mallory", "persons.read", "denied", "10.0.0.66",
         "weitere 17 gleichartige Ereignisse"),  # 20 − 3
        ("*", "login", "failed", "*",
         "weitere 7 gleichartige Ereignisse (verschiedene Benutzer und Adressen)")}  # 12 − 5
    # newest first: the new row, then the summaries in the order of the limits
    assert [r["actor"] for r in rows[:3]] == ["mallory", "*", "mallory"]
    assert rows[0]["scope"] == "unit=x"


# -- trusted proxies and flood control over HTTP ------------------------------------------------

@pytest.fixture(scope="module")
def proxied(web_store, tmp_path_factory):
    from amip.web.app import create_app

    settings = Settings(store=str(web_store), secure_cookies=False,
                        users_db=str(tmp_path_factory.mktemp("proxied") / "users.sqlite"),
                        trusted_proxies=["10.9.0.0/16"],
                        audit_limits=(AuditLimit(AUDIT_FIELDS, rows=3, window=1),))
    app = create_app(settings)
    app.state.close_on_shutdown = False
    for name, role in (("pruefer", "controlling"), ("leser", "lesezugriff")):
        app.state.users.add_user(name, role, password=PASSWORD)
    yield app
    app.state.services.close()
    app.state.users.close()


def address_of_login(app, peer: str, forwarded: str | None) -> str:
    """Log in as pruefer from ``peer`` with that X-Forwarded-For; the address in the trail."""
    c = TestClient(app, client=(peer, 50000))
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    token = form_token(c.get("/login", headers=headers).text)
    r = c.post("/login", data={"username": "pruefer", "password": PASSWORD,
                               "csrf_token": token}, headers=headers, follow_redirects=False)
    assert r.status_code == 303
    return audit_rows(app, actor="pruefer", action="login")[0]["address"]


def test_forwarded_addresses_count_only_from_trusted_proxies(proxied):
    assert address_of_login(proxied, "192.0.2.7", "203.0.113.9") == "192.0.2.7"  # spoofed
    assert address_of_login(proxied, "10.9.0.1", "203.0.113.9") == "203.0.113.9"
    # a chain: the nearest address that is not a trusted proxy
    assert address_of_login(proxied, "10.9.0.1", "198.51.100.1, 10.9.4.4") == "198.51.100.1"
    assert address_of_login(proxied, "10.9.0.1", None) == "10.9.0.1"


def test_trusted_proxies_are_checked_and_come_from_the_environment(monkeypatch, tmp_path):
    from amip.cli.web_cmd import serve_cmd

    with pytest.raises(ValueError, match="keine IP-Adresse"):
        Settings(store=str(tmp_path / "a.duckdb"), trusted_proxies=["proxy.example"])
    r = CliRunner().invoke(serve_cmd, ["--store", str(tmp_path / "a.duckdb"),
                                       "--trusted-proxy", "10.0.0.300"])
    assert r.exit_code == 2 and "Vertrauenswürdiger Proxy '10.0.0.300'" in r.output
    monkeypatch.setenv("AMIP_TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16")
    assert Settings(store=str(tmp_path / "a.duckdb")).trusted_proxies == ["10.0.0.1/32",
                                                                         "10.1.0.0/16"]


def test_denied_requests_cannot_flood_the_trail_but_reads_are_all_recorded(proxied):
    leser = TestClient(proxied, client=("192.0.2.20", 50000))
    pruefer = TestClient(proxied, client=("192.0.2.21", 50000))
    assert login(leser, "leser", PASSWORD).status_code == 303
    assert login(pruefer, "pruefer", PASSWORD).status_code == 303
    for _ in range(20):
        assert leser.get("/api/v1/audit").status_code == 403
        assert pruefer.get("/api/v1/audit?limit=1").status_code == 200
    assert len(audit_rows(proxied, actor="leser", action="audit.read")) == 3
    assert len(audit_rows(proxied, actor="pruefer", action="audit.read")) == 20
    time.sleep(1.1)
    rows = audit_rows(proxied, actor="leser", action="audit.read")
    assert len(rows) == 4 and rows[0]["outcome"] == "denied" and \
        rows[0]["scope"].startswith("weitere 17 gleichartige Ereignisse von ")
