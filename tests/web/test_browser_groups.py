"""The page Kundengruppen in a real browser (Playwright, Debian's Chromium, as
tests/web/test_browser.py): Controlling picks a group, sees its charts drawn and drills down
Jobcenter → Standort → team; Lesezugriff sees `*` where small counts are. Screenshots:
``kundengruppen-standort.png``, ``kundengruppen-lesezugriff.png`` in ``/tmp/amip-shots/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_browser import CHROMIUM, SHOTS, chromium, serving  # noqa: F401
from tests.web.test_browser_targets import _page

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")

MONTH = "2020-06"


@pytest.fixture(scope="module")
def server(web_store, tmp_path_factory):
    """The app under uvicorn with a Controlling and a Lesezugriff user."""
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    users_db = tmp_path_factory.mktemp("browser-groups") / "users.sqlite"
    store = UserStore(Settings(store=str(web_store), users_db=str(users_db)))
    users = {"ctl": store.add_user("ctl", "controlling"), "lz": store.add_user("lz", "lesezugriff")}
    store.close()
    with serving(str(web_store), str(users_db)) as base:
        yield base, users


def logged_in(chromium, base: str, name: str, password: str, errors: list):  # noqa: F811
    page = _page(chromium, base, name, password, errors)
    page.set_default_timeout(120_000)  # the landing page computes the overview first
    return page


def test_pick_a_group_and_drill_down(server, chromium):  # noqa: F811
    base, users = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list = []
    page = logged_in(chromium, base, "ctl", users["ctl"], errors)
    page.goto(f"{base}/kundengruppen?monat={MONTH}")
    page.select_option("select[name=gruppe]", "lzb")  # autosubmit
    page.wait_for_url("**gruppe=lzb**")
    assert page.locator("#gruppe").inner_text().startswith("Langzeitleistungsbeziehende")
    page.wait_for_selector("#gruppen-chart svg")
    page.wait_for_selector("#fluss-chart svg")
    assert "Standort" in page.locator("#einheiten-tabelle thead").inner_text()
    page.locator("#einheiten-tabelle a.unit-link").first.click()  # a Standort
    page.wait_for_selector("#einheiten-tabelle")
    assert "Team" in page.locator("#einheiten-tabelle thead").inner_text()
    assert "gruppe=lzb" in page.url  # the group stays chosen
    crumbs = page.locator("nav.breadcrumb").inner_text()
    assert "Jobcenter" in crumbs and "Geschäftsstelle" in crumbs
    page.screenshot(path=str(SHOTS / "kundengruppen-standort.png"), full_page=True)
    page.locator("#einheiten-tabelle a.unit-link").first.click()  # a team: the lowest level
    page.wait_for_selector("#kundengruppen")
    assert page.locator("#einheiten-tabelle").count() == 0
    assert errors == []


def test_lesezugriff_sees_stars(server, chromium):  # noqa: F811
    base, users = server
    errors: list = []
    page = logged_in(chromium, base, "lz", users["lz"], errors)
    page.goto(f"{base}/kundengruppen?monat={MONTH}&einheit=03504-fi")
    page.wait_for_selector("#kundengruppen")
    assert page.locator("td.num span:text-is('*')").count() > 0
    assert "Datenschutzes unterdrückt" in page.content()
    page.screenshot(path=str(SHOTS / "kundengruppen-lesezugriff.png"), full_page=True)
    assert errors == []
