"""In a real browser (Playwright, Debian's Chromium, as tests/web/test_browser.py): the
Teamleitung opens "Datenqualität", sees only its own team's rows, sets one to "in Klärung" with
a reason, and the row shows the new state with who; a Lesezugriff user sees counts but no
person. Screenshot: ``datenqualitaet.png`` in ``/tmp/amip-shots/`` (``AMIP_SHOTS``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import TEAM
from tests.web.test_browser import CHROMIUM, SHOTS, chromium, serving  # noqa: F401 (fixture)
from tests.web.test_browser_targets import _page

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")

MONTH = "2020-06"


@pytest.fixture(scope="module")
def server(web_store, tmp_path_factory):
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    tmp = tmp_path_factory.mktemp("browser-quality")
    users_db = tmp / "users.sqlite"
    store = UserStore(Settings(store=str(web_store), users_db=str(users_db)))
    passwords = {"tl": store.add_user("tl", "teamleitung", TEAM),
                 "lz": store.add_user("lz", "lesezugriff")}
    store.close()
    with serving(str(web_store), str(users_db), f"sqlite:///{tmp / 'steering.sqlite'}") as base:
        yield base, passwords


def test_teamleitung_sets_a_row_in_klaerung(server, chromium):
    base, pw = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    tl = _page(chromium, base, "tl", pw["tl"], errors)
    tl.click("nav.main >> text=Datenqualität")
    tl.wait_for_selector("#nachverfolgung-liste")
    tl.goto(f"{base}/datenqualitaet?monat={MONTH}&status=offen")
    rows = tl.locator("#nachverfolgung-liste tbody tr[data-key]")
    assert rows.count() > 0
    teams = {rows.nth(i).locator("td").nth(2).inner_text() for i in range(rows.count())}
    assert len(teams) == 1  # the own team only
    first = rows.first
    key = first.get_attribute("data-key")
    first.locator("select[name=state]").select_option(label="in Klärung")
    first.locator("input[name=reason]").fill("Akte angefordert")
    first.locator("button[type=submit]").click()
    tl.wait_for_url("**/datenqualitaet?**")
    tl.goto(f"{base}/datenqualitaet?monat={MONTH}&status=in_klaerung")
    row = tl.locator(f'#nachverfolgung-liste tr[data-key="{key}"]')
    assert row.get_attribute("data-state") == "in_klaerung"
    assert row.locator("td.state").inner_text() == "in Klärung"
    assert "tl" in row.inner_text() and "Akte angefordert" in row.inner_text()
    tl.wait_for_selector("#verlauf .chart svg")  # the trend charts render (vendored Vega)
    tl.screenshot(path=str(SHOTS / "datenqualitaet.png"), full_page=False)

    lz = _page(chromium, base, "lz", pw["lz"], errors)
    lz.goto(f"{base}/datenqualitaet?monat={MONTH}")
    lz.wait_for_selector("#nur-zahlen")
    assert lz.locator("#nachverfolgung-liste").count() == 0
    assert key.split(":")[1].split("|")[0] not in lz.content()
    assert errors == []
