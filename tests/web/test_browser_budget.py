"""In a real browser (Playwright, Debian's Chromium, as tests/web/test_browser.py): Lesezugriff
opens the page Budget on the default synthetic Jobcenter, the burn curves are drawn, the year is
switched with the selector, and the figures follow the engine's status. Screenshot:
``budget.png`` in ``/tmp/amip-shots/`` (``AMIP_SHOTS``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from amip import i18n
from tests.web.test_browser import ARGS, CHROMIUM, SHOTS, serving

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")


@pytest.fixture(scope="module")
def server(web_store, tmp_path_factory):
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    users_db = tmp_path_factory.mktemp("browser-budget") / "users.sqlite"
    store = UserStore(Settings(store=str(web_store), users_db=str(users_db)))
    password = store.add_user("lz", "lesezugriff")
    store.close()
    with serving(str(web_store), str(users_db)) as base:
        yield base, password


def test_budget_page_and_switching_the_year(server, web_store):
    from playwright.sync_api import sync_playwright

    from amip.engine.budget import status, years
    from amip.store import Store

    base, password = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors, outside = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-DE")
        page.set_default_timeout(90_000)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith("http://127.0.0.1:")
                or r.url.startswith("data:") else outside.append(r.url))
        page.goto(base + "/login")
        page.fill("#username", "lz")
        page.fill("#password", password)
        page.click("button.primary")
        page.wait_for_url(base + "/")

        page.click("nav.main a[href='/budget']")
        page.wait_for_selector("#budget-status")
        page.wait_for_selector("#abflusskurven .chart svg")  # drawn by vega-embed
        page.wait_for_selector("#egl-verteilung svg")
        first = int(page.locator("#haushaltsjahr").inner_text())
        page.screenshot(path=str(SHOTS / "budget.png"), full_page=True)

        with Store.open(web_store, read_only=True) as store:
            view = store.view()
            other = next(y for y in reversed(years(view)) if y != first)
            page.select_option("#jahr", str(other))  # submits the form (data-autosubmit)
            page.wait_for_selector(f"#haushaltsjahr:text('{other}')")
            stand = page.locator("#stand").input_value()
            import datetime as dt

            rows = {(r.title, r.instrument): r
                    for r in status(view, other, dt.date.fromisoformat(stand))}
        egl = page.locator('#budget-status tr[data-title="egl"][data-instrument=""] td.plan')
        assert egl.inner_text().replace("\u00a0", " ") == \
            i18n.eur(rows[("egl", None)].plan, cents=True).replace("\u00a0", " ")
        page.wait_for_selector("#abflusskurven .chart svg")
        browser.close()
    assert not errors, errors
    assert not outside, outside
