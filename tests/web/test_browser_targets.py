"""In a real browser (Playwright, Debian's Chromium, as tests/web/test_browser.py): Controlling
enters a target, the Teamleitung enters its team's plan (only its own team is editable),
Controlling opens and agrees the round, and of two pages changing the same target the second
is refused with the current value shown. Screenshots: ``ziele.png``, ``planung.png`` in
``/tmp/amip-shots/`` (``AMIP_SHOTS``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.web.conftest import TEAM
from tests.web.test_browser import ARGS, CHROMIUM, SHOTS, serving

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")

MONTH = "2020-06"
#: the "Ändern" button of the K2 target's form (beside it: "Zurückziehen")
CHANGE_K2 = 'form.target-form[data-measure="K2"] button[type=submit]:not([name=aktion])'


@pytest.fixture(scope="module")
def server(web_store, tmp_path_factory):
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    tmp = tmp_path_factory.mktemp("browser-targets")
    users_db = tmp / "users.sqlite"
    store = UserStore(Settings(store=str(web_store), users_db=str(users_db)))
    passwords = {"ctl": store.add_user("ctl", "controlling"),
                 "gf": store.add_user("gf", "geschaeftsfuehrung"),
                 "tl": store.add_user("tl", "teamleitung", TEAM)}
    store.close()
    with serving(str(web_store), str(users_db), f"sqlite:///{tmp / 'steering.sqlite'}") as base:
        yield base, passwords


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _page(chromium, base, name, password, errors, landing: str = "/"):
    """A fresh browser context logged in as ``name`` (on its role's ``landing`` page)."""
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = ctx.new_page()
    page.set_default_timeout(90_000)  # a first status of the month computes for seconds
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + "/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url(base + landing)
    return page


def test_target_plan_agreement_and_stale_form(server, chromium):
    base, pw = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    ctl = _page(chromium, base, "ctl", pw["ctl"], errors)

    # Controlling enters the K2 target of 2020 for all persons
    ctl.goto(f"{base}/ziele?monat={MONTH}")
    form = ctl.locator("#ziel-neu")
    form.locator("select[name=measure]").select_option("K2")
    form.locator("input[name=value]").fill("23,4")
    form.locator("button[type=submit]").click()
    ctl.wait_for_selector('tr[data-measure="K2"][data-sex="all"]')
    row = ctl.locator('tr[data-measure="K2"][data-sex="all"]')
    assert row.locator("td.target").inner_text().strip() == "23,4\u00a0%"
    ctl.wait_for_selector("section.target .chart svg")  # the htmx partial
    ctl.screenshot(path=str(SHOTS / "ziele.png"), full_page=True)

    # two pages hold version 1; the first change wins, the second is refused
    gf = _page(chromium, base, "gf", pw["gf"], errors)
    gf.goto(f"{base}/ziele?monat={MONTH}")
    for page, value in ((ctl, "24,0"), (gf, "25,0")):
        f = page.locator('form.target-form[data-measure="K2"][data-sex="all"]')
        f.locator("input[name=value]").fill(value)
        f.locator("input[name=reason]").fill("Nachverhandlung")
    ctl.locator(CHANGE_K2).click()
    ctl.wait_for_load_state()
    gf.locator(CHANGE_K2).click()
    gf.wait_for_selector("#fehler")
    assert "inzwischen von ctl" in gf.locator("#fehler").inner_text()
    assert gf.locator("#aktueller-wert").inner_text() == "24"

    # the Teamleitung plans its own team only
    year = 2021
    tl = _page(chromium, base, "tl", pw["tl"], errors)
    tl.goto(f"{base}/planung?jahr={year}&kennzahl=integrations")
    forms = tl.locator("form.plan-form")
    assert forms.count() == 1 and forms.first.get_attribute("data-unit") == TEAM
    forms.first.locator("input[name=value]").fill("60")
    forms.first.locator("button[type=submit]").click()
    tl.wait_for_selector(f'tr[data-unit="{TEAM}"] td.planned')
    assert tl.locator(f'tr[data-unit="{TEAM}"] td.planned').inner_text().strip() == "60"

    # Controlling opens the round and agrees it
    ctl.goto(f"{base}/planung?jahr={year}&kennzahl=integrations")
    assert ctl.locator("form.plan-form").count() > 1
    ctl.locator("#runde button[type=submit]").click()
    ctl.wait_for_selector("#runde-vereinbaren:not([disabled])")
    ctl.click("#runde-vereinbaren")
    ctl.wait_for_selector("#rundenstatus:text(\"vereinbart\")")
    ctl.screenshot(path=str(SHOTS / "planung.png"), full_page=True)
    # the refused stale form answers 409: the browser logs it; nothing else may fail
    assert not [e for e in errors if "status of 409" not in e], errors
