"""The German web pages: they render for every role, show the engine's numbers in German formats,
drill down Jobcenter → Standort → Team, and refer to nothing outside the server."""

from __future__ import annotations

import html
import json
import re

import pytest

from amip import i18n
from amip.engine.calendar import month_start, parse_month
from amip.engine.indicators import compute
from tests.web.conftest import USERS

URL = re.compile(r"https?://", re.I)
PAGES = ["/", "/kennzahl/K2", "/kennzahl/K1E2?geschlecht=w", "/kundengruppen", "/datenstand",
         "/budget", "/kennzahl/K2/einheiten", "/datenqualitaet"]
GERMAN_PCT = re.compile(r"\d,\d\u00a0%")
GERMAN_THOUSANDS = re.compile(r"\b\d{1,3}\.\d{3}\b")


def row(text: str, row_id: str) -> str:
    m = re.search(rf'<tr id="{row_id}".*?</tr>', text, re.S)
    assert m, f"no row {row_id}"
    return m.group(0)


def specs(text: str) -> list[dict]:
    return [json.loads(html.unescape(s)) for s in re.findall(r'data-spec="([^"]*)"', text)]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_in_german_without_external_urls(client_as, path):
    r = client_as("gf").get(path)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    assert not URL.search(r.text), URL.search(r.text)
    if path != "/kennzahl/K2/einheiten":  # full pages (the partial is a bare table)
        assert '<html lang="de">' in r.text
        assert "Abmelden" in r.text and 'action="/logout"' in r.text
        assert re.search(r'name="csrf_token" value="[^"]+"', r.text)
        assert "Geschäftsführung" in r.text  # the role label beside the user's name
    assert GERMAN_PCT.search(r.text) or GERMAN_THOUSANDS.search(r.text)
    for spec in specs(r.text):
        assert "$schema" not in spec and "url" not in spec.get("data", {})


@pytest.mark.parametrize("name", list(USERS))
def test_every_role_sees_the_pages(client_as, name):
    for path in ("/", "/kennzahl/K3", "/kundengruppen", "/datenstand", "/datenqualitaet"):
        r = client_as(name).get(path)
        assert r.status_code == 200, (name, path, r.text[:300])
        assert not URL.search(r.text)


def test_overview_shows_the_engines_k2(client_as, web_app, latest):
    services = web_app.state.services
    m = parse_month(latest)
    k2 = next(r for r in services.query(compute, [m]) if r.code == "K2" and r.sex == "all")
    text = client_as("ctl").get("/").text
    assert i18n.pct(k2.value) in row(text, "row-K2")
    assert i18n.month(month_start(m)) in text  # "Dezember 2020"
    assert "kein Ziel für K2" in text  # no targets in this store: grey with the reason
    assert len(specs(text)) == 15  # one sparkline per measure
    lengths = [len(s["data"]["values"]) for s in specs(text)]
    assert max(lengths) == 13 and lengths.count(13) >= 12  # K2E3 lacks its latest months


def test_changes_are_signed_like_the_cli(client_as, web_app, latest):
    m = parse_month(latest)
    k1e2 = next(r for r in web_app.state.services.query(compute, [m])
                if r.code == "K1E2" and r.sex == "all")
    assert i18n.by_kind(k1e2.value, "change_pct") in row(client_as("gf").get("/").text, "row-K1E2")


def test_detail_has_series_forecast_sexes_and_definition(client_as, web_app, latest):
    text = client_as("ctl").get(f"/kennzahl/K2?monat={latest}").text
    assert "§ 5 Abs. 1 SGB2§48aFKV" in text  # legal basis from the catalogue
    assert "Integrationsquote" in text and "Zähler" in text and "Nenner" in text
    for label in ("Insgesamt", "Männer", "Frauen"):
        assert label in text
    assert text.count('class="badge') >= 24  # one Wartezeit status per month of the series
    chart = next(s for s in specs(text) if "layer" in s and any(
        layer.get("mark", {}).get("type") == "area" for layer in s["layer"]))
    assert chart  # the forecast band
    assert "Prognose" in json.dumps(chart)
    zeitreihe = re.search(r'<table id="zeitreihe">.*?</table>', text, re.S).group(0)
    assert zeitreihe.count("<tr") == 25  # header + 24 months


def test_drill_down_jobcenter_standort_team(client_as, latest):
    c = client_as("gf")
    top = c.get(f"/kennzahl/K2/einheiten?monat={latest}").text
    standorte = re.findall(r'<tr data-unit="([^"]+)">', top)  # not "ohne Zuordnung", total
    assert len(standorte) == 3 and "Standort" in top
    teams_page = c.get(f"/kennzahl/K2/einheiten?monat={latest}&einheit={standorte[0]}").text
    teams = re.findall(r'<tr data-unit="([^"]+)">', teams_page)
    assert teams and all(t.startswith(standorte[0] + "-") for t in teams)
    assert GERMAN_PCT.search(teams_page)
    detail = c.get(f"/kennzahl/K2?monat={latest}&einheit={teams[0]}")
    assert detail.status_code == 200
    assert 'aria-current="page"' in detail.text  # the breadcrumb ends at the team
    leaf = c.get(f"/kennzahl/K2/einheiten?monat={latest}&einheit={teams[0]}").text
    assert "unterste Ebene" in leaf


def test_lesezugriff_gets_no_forecast(client_as):
    text = client_as("lz").get("/kennzahl/K2").text
    assert "nicht freigegeben" in text


def test_errors(client_as):
    c = client_as("gf")
    assert c.get("/kennzahl/K9").status_code == 404
    assert c.get("/kennzahl/K2?monat=2020-13").status_code == 422
    assert c.get("/kennzahl/K2?monat=2999-01").status_code == 404
    assert c.get("/kennzahl/K2?einheit=nope").status_code == 404
    assert c.get("/kennzahl/K2?geschlecht=x").status_code == 422


def test_pages_need_a_login(anonymous):
    for path in ("/", "/kennzahl/K2", "/kundengruppen", "/datenstand"):
        r = anonymous.get(path, follow_redirects=False)
        assert r.status_code in (302, 303, 307), path
        assert r.headers["location"].startswith("/login")


def test_login_page(anonymous):
    r = anonymous.get("/login")
    assert r.status_code == 200
    assert "Anmelden" in r.text and 'name="csrf_token"' in r.text
    assert not URL.search(r.text)


@pytest.mark.parametrize("name", ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js",
                                  "htmx.min.js"])
def test_vendored_static_files(anonymous, name):
    r = anonymous.get(f"/static/vendor/{name}")
    assert r.status_code == 200 and len(r.content) > 30_000
    assert "javascript" in r.headers["content-type"]
    versions = anonymous.get("/static/vendor/VERSIONS.txt").text
    assert {"vega@6.4.0", "vega-lite@6.5.0", "vega-embed@7.3.0", "htmx.org@2.0.11"} <= \
        set(re.findall(r"\S+@\d+\.\d+\.\d+", versions))


def test_own_static_files(anonymous):
    for path in ("/static/amip.css", "/static/amip.js", "/static/favicon.svg"):
        assert anonymous.get(path).status_code == 200


def test_lesezugriff_sees_small_counts_suppressed(client_as, latest):
    """Disclosure control as in the API: small team counts become ``*`` for Lesezugriff only."""
    path = f"/kennzahl/K2E4/einheiten?monat={latest}&einheit=03504-hz"
    assert client_as("lz").get(path).text.count(">*<") > 0
    assert client_as("gf").get(path).text.count(">*<") == 0


def test_controlling_reads_the_audit_trail_in_the_ui_and_the_read_is_recorded(client_as):
    ctl = client_as("ctl")
    page = ctl.get("/protokoll")
    assert page.status_code == 200 and "Protokoll" in page.text
    assert 'href="/protokoll"' in ctl.get("/").text  # in the navigation for Controlling
    again = ctl.get("/protokoll", params={"aktion": "audit.read"}).text
    # the first read is in the trail, with its German name
    assert again.count('<td title="audit.read">Protokoll gelesen</td>') >= 1


def test_roles_without_the_audit_right_get_403_and_the_attempt_is_recorded(client_as):
    lz = client_as("lz")
    assert lz.get("/protokoll").status_code == 403
    assert 'href="/protokoll"' not in lz.get("/").text
    denied = client_as("ctl").get("/protokoll", params={"aktion": "audit.read",
                                                         "ergebnis": "denied"}).text
    assert "<td>lz</td>" in denied
