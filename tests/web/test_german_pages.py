"""Issue 11 item 3 in the web: styled German error pages for browsers (the API keeps problem
details), and the Protokoll in local time with German action names."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from amip import i18n
from amip.web.audit import labels

HTML = {"accept": "text/html"}


def test_a_browser_gets_german_error_pages_in_the_layout(client_as, anonymous):
    ctl, lz = client_as("ctl"), client_as("lz")
    r = ctl.get("/gibt-es-nicht", headers=HTML)
    assert r.status_code == 404 and "<h1>Nicht gefunden</h1>" in r.text
    assert "Unter /gibt-es-nicht gibt es keine Seite." in r.text
    assert 'href="/static/amip.css"' in r.text and 'aria-label="Hauptnavigation"' in r.text
    r = lz.get("/protokoll", headers=HTML)
    assert r.status_code == 403 and "<h1>Kein Zugriff</h1>" in r.text
    assert "darf das Protokoll nicht lesen" in r.text and "Forbidden" not in r.text
    r = ctl.post("/benutzer/sperren", data={"name": "lz"}, headers=HTML)  # no CSRF token
    assert r.status_code == 403 and "bitte die Seite neu laden" in r.text
    r = anonymous.get("/nirgends", headers=HTML)
    assert r.status_code == 404 and "<h1>Nicht gefunden</h1>" in r.text
    assert "Hauptnavigation" not in r.text and 'href="/login"' in r.text


def test_the_api_keeps_problem_details(client_as):
    r = client_as("ctl").get("/api/v1/gibt-es-nicht", headers=HTML)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Not Found"


def test_an_unexpected_error_is_a_german_page_without_internals(web_app):
    from fastapi.testclient import TestClient

    @web_app.get("/test-absturz")
    def crash():
        raise RuntimeError("geheimes Innenleben")

    try:
        r = TestClient(web_app, raise_server_exceptions=False).get("/test-absturz", headers=HTML)
        assert r.status_code == 500 and "<h1>Interner Fehler</h1>" in r.text
        assert "unerwarteter Fehler" in r.text and "geheimes" not in r.text
    finally:
        web_app.router.routes[:] = [x for x in web_app.router.routes
                                    if getattr(x, "path", "") != "/test-absturz"]


def test_local_time_follows_summer_and_winter_time():
    assert i18n.local_time("2026-12-01T22:10:05+00:00") == "01.12.2026, 23:10:05"  # CET = UTC+1
    assert i18n.local_time("2026-07-01T22:10:05+00:00") == "02.07.2026, 00:10:05"  # CEST = UTC+2
    assert i18n.local_time(dt.datetime(2026, 3, 29, 1, 0)) == "29.03.2026, 03:00:00"  # naive: UTC


def test_the_protokoll_shows_local_time_and_german_action_names(client_as, web_app):
    ctl = client_as("ctl")
    ctl.get("/protokoll")
    page = ctl.get("/protokoll", params={"aktion": "audit.read"}).text
    at = web_app.state.users.audit.entries(limit=1, actor="ctl", action="audit.read")[0]["at"]
    assert f'<time datetime="{at}">{i18n.local_time(at)}</time>' in page
    assert '<td title="audit.read">Protokoll gelesen</td>' in page
    assert ">erfolgreich</span>" in page and "(UTC)" not in page
    assert '<option value="user.enable" >Benutzer aktiviert</option>' in page


def test_every_recorded_action_has_a_german_name():
    """Scans the web package for the actions it records (first string argument of
    ``record``, ``_managing`` and the ``action`` defaults; the action variables in between)."""
    found = set()
    for path in Path("amip/web").glob("*.py"):
        text = path.read_text()
        call = r'(?:\.record|_managing)\([^"]*?"([a-z_]+\.[a-z_]+|login|logout)"'
        found |= set(re.findall(call, text, re.S))
        found |= set(re.findall(r'action: str = "([a-z_.]+)"', text))
    assert {"login", "user.add", "persons.read", "user.password_reset"} <= found
    assert found <= set(labels()["actions"]), found - set(labels()["actions"])


def test_the_kennzahl_pages_name_the_facts_in_german(client_as, latest):
    from amip.engine.facts import FACT_LABELS, FACTS

    assert set(FACT_LABELS) == set(FACTS)
    ctl = client_as("ctl")
    for code, numerator in (("K3E2", "aktivierte LZB"), ("K2E3", "kontinuierlich Beschäftigte")):
        page = ctl.get(f"/kennzahl/{code}", params={"monat": latest}).text
        assert f"<dt>Zähler (Z)</dt><dd>{numerator}</dd>" in page
        assert "lzb_active" not in page and "sv_continued" not in page


def test_the_persons_of_no_team_have_no_person_list(client_as):
    """The "ohne Zuordnung" row of the drill-down is no unit with persons to list: 404, German."""
    from amip.engine.drilldown import unassigned_id

    r = client_as("ctl").get(f"/api/v1/persons?unit={unassigned_id('03504')}")
    assert r.status_code == 404
    assert "steht für die Personen ohne Team" in r.json()["detail"]


def test_the_datenstand_page_shows_imports_in_local_time(client_as, web_store):
    from amip.store import Store

    with Store.open(web_store, read_only=True) as store:
        at = store.imports()[0]["imported_at"]  # naive UTC
    page = client_as("ctl").get("/datenstand").text
    table = page.split('id="importe"', 1)[1].split("</table>", 1)[0]
    assert i18n.local_time(at) in table  # Berlin: UTC+1 or +2, so never the UTC clock time
    assert at.strftime("%d.%m.%Y, %H:%M:%S") not in table
