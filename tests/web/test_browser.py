"""In a real browser: Playwright drives Debian's Chromium against ``amip serve`` on loopback.

Login → the overview shows the same K2 value as ``amip indicators`` → the Vega-Lite charts are
drawn → drill-down Jobcenter → Standort → Team → logout; no console error, and no request leaves
127.0.0.1. Screenshots of the main pages go to ``/tmp/amip-shots/`` (looked at by hand).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from amip import i18n

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("AMIP_SHOTS", "/tmp/amip-shots"))

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")


SERVE = """
import sys, uvicorn
from amip.web.app import create_app
from amip.web.settings import Settings
settings = Settings(store=sys.argv[1], users_db=sys.argv[2], secure_cookies=False,
                    steering_url=sys.argv[4] if len(sys.argv) > 4 else None)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(*args: str):
    """The app under uvicorn in a subprocess (``SERVE`` with the store, users database and
    ``args`` after the port) until it answers /api/v1/health: yields its base URL."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVE, *args[:2], str(port), *args[2:]],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stdout.read().decode()) from None
                time.sleep(0.1)
        else:
            raise RuntimeError("amip serve did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(web_store, tmp_path_factory):
    """The app under uvicorn in a subprocess (as ``amip serve --insecure-cookies``: own users
    database, cookies over http), with one user."""
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    users_db = tmp_path_factory.mktemp("browser") / "users.sqlite"
    store = UserStore(Settings(store=str(web_store), users_db=str(users_db)))
    password = store.add_user("Erika Muster", "controlling")
    store.close()
    with serving(str(web_store), str(users_db)) as base:
        yield base, "Erika Muster", password


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def watched(chromium, height: int = 900):
    """A new German page and the lists it fills: console errors, requests leaving loopback."""
    page = chromium.new_page(viewport={"width": 1280, "height": height}, locale="de-DE")
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith("http://127.0.0.1:")
            or r.url.startswith("data:") else outside.append(r.url))
    return page, errors, outside


def cli_k2(store, month: str) -> float:
    from amip.cli.indicators_cmd import indicators_cmd

    result = CliRunner().invoke(indicators_cmd, ["--store", str(store), "--month", month,
                                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    return next(r["value"] for r in json.loads(result.output)
                if r["code"] == "K2" and r["sex"] == "all")


def test_login_overview_drilldown_logout(server, chromium, web_store, latest):
    base, name, password = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, errors, outside = watched(chromium)

    page.goto(base + "/")  # not logged in: the login page
    assert "/login" in page.url
    page.screenshot(path=str(SHOTS / "login.png"))
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url(base + "/")

    # the overview: K2 as `amip indicators` prints it, and the sparklines drawn by vega-embed
    k2 = page.locator("#row-K2 td.value").inner_text().strip()
    assert k2 == i18n.pct(cli_k2(web_store, latest))
    page.wait_for_selector("#row-K2 .chart svg")
    assert page.locator(".chart svg").count() >= 14
    assert page.locator(".who .role").inner_text() == "Controlling"
    page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)

    # detail with the forecast chart, then drill down to a team
    page.click("#row-K2 a")
    page.wait_for_selector("#verlauf svg")
    page.wait_for_selector("#einheiten-tabelle")  # loaded by htmx
    assert page.locator("#wert").inner_text().strip() == k2
    page.screenshot(path=str(SHOTS / "detail.png"), full_page=True)
    page.locator("#einheiten-tabelle a.unit-link").first.click()  # a Standort
    page.wait_for_selector("#einheiten-tabelle")
    assert "Team" in page.locator("#einheiten-tabelle thead").inner_text()
    page.locator("#einheiten-tabelle a.unit-link").first.click()  # a team
    page.wait_for_selector("#einheiten p")
    assert "unterste Ebene" in page.locator("#einheiten").inner_text()
    crumbs = page.locator("nav.breadcrumb").inner_text()
    assert "Jobcenter" in crumbs and "Geschäftsstelle" in crumbs and "Team" in crumbs
    page.wait_for_selector("#verlauf svg")
    page.screenshot(path=str(SHOTS / "detail-team.png"), full_page=True)

    page.click("nav.main >> text=Kundengruppen")
    page.wait_for_selector("#fluss-chart svg")
    page.screenshot(path=str(SHOTS / "kundengruppen.png"), full_page=True)
    page.click("nav.main >> text=Datenstand")
    page.wait_for_selector("#wartezeit")
    assert "vorläufig" in page.content() and "endgültig" in page.content()
    page.screenshot(path=str(SHOTS / "datenstand.png"), full_page=True)

    page.click(".who button")  # logout (a POST form with the CSRF token)
    page.wait_for_url("**/login")
    page.goto(base + "/")
    assert "/login" in page.url  # the session is gone

    assert not errors, errors
    assert not outside, outside
    page.close()


PHONE = {"width": 375, "height": 667}


def test_phone_viewport_no_horizontal_overflow(server, chromium):
    """At a phone's 375×667 the overview, a Kennzahl page, the Datenstand page and the glossary fit
    the width (the body never scrolls sideways; wide tables scroll inside their own box) and every
    link of the main navigation is visible and leads to its page."""
    base, name, password = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=PHONE, locale="de-DE", is_mobile=True, has_touch=True,
                                   device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(120_000)  # a first Kennzahl page computes its forecast (slow on a busy machine)
    page.goto(base + "/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url(base + "/")

    def overflow() -> list[str]:
        """The page's width beyond the viewport, and the elements that stick out on the right."""
        return page.evaluate("""() => {
            const de = document.documentElement, out = [];
            if (de.scrollWidth > de.clientWidth) out.push(`scrollWidth ${de.scrollWidth} > ${de.clientWidth}`);
            for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.width && r.right > de.clientWidth + 0.5 && !el.closest('.scroll, .tabs'))
                    out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} right=${Math.round(r.right)}`);
            }
            return out.slice(0, 8);
        }""")

    pages = [("/", "#row-K2 .chart svg", "phone-overview"),
             ("/kennzahl/K2", "#einheiten-tabelle", "phone-kennzahl"),
             ("/datenstand", "#wartezeit", "phone-datenstand"),
             ("/glossar", "dl.glossary", "phone-glossar")]
    for path, ready, shot in pages:
        page.goto(base + path)
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
        assert overflow() == [], (path, overflow())

    # the navigation: every link fully inside the viewport, big enough to tap, and it works
    links = page.locator("nav.main a")
    assert links.count() >= 4
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (i, box)
        assert box["height"] >= 24, (i, box)  # a finger can hit it
    page.click("nav.main >> text=Datenstand")
    page.wait_for_selector("#wartezeit")
    assert page.url.endswith("/datenstand")
    assert page.locator(".who button").is_visible()  # logout reachable
    context.close()
