"""In a real browser: the page /budget/szenarien on the small extract of
tests/engine/test_budget_scenario.py — the Vega-Lite chart of Δ Eingliederungen is drawn, a new
scenario entered in the form appears beside the base plan, no console error, nothing leaves
127.0.0.1. Screenshot: /tmp/amip-shots/budget_szenarien.png."""

from __future__ import annotations

import pytest

from tests.engine import test_budget_scenario
from tests.engine.test_budget_cli import store_of
from tests.web.test_browser import CHROMIUM, SHOTS, chromium, serving, watched  # noqa: F401

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian chromium not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from amip.engine.scenario_changes import parse_changes
    from amip.steering import Steering
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    tmp = tmp_path_factory.mktemp("scenbrowser")
    store = store_of(tmp, test_budget_scenario.case())
    url = f"sqlite:///{tmp / 'steering.sqlite'}"
    with Steering.open(url=url) as st:
        st.save_scenario("03504", 2020, "Kürzung", "EGL −10 %",
                         parse_changes(["title=egl:-10%"]), "test")
    users = UserStore(Settings(store=store, users_db=str(tmp / "users.sqlite")))
    password = users.add_user("Erika Muster", "controlling")
    users.close()
    with serving(store, str(tmp / "users.sqlite"), url) as base:
        yield base, "Erika Muster", password


def test_scenario_page_in_the_browser(server, chromium):  # noqa: F811
    base, name, password = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, errors, outside = watched(chromium, 1000)
    page.goto(base + "/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url(base + "/")
    page.goto(base + "/budget/szenarien?jahr=2020")
    page.wait_for_selector("#szenario-chart svg")
    page.fill("#neues-szenario input[name=name]", "Umbau")
    page.fill("#neues-szenario textarea[name=changes]", "\n".join(test_budget_scenario.CHANGES))
    page.click("#neues-szenario button[type=submit]")
    page.wait_for_selector('#vergleich th[data-scenario="Umbau"]')
    total = page.locator('#vergleich tr[data-instrument="summe"]').inner_text()
    assert "188.000\xa0€" in total and "169.200\xa0€" in total and "212.400\xa0€" in total
    page.wait_for_selector("#szenario-chart svg")
    page.screenshot(path=str(SHOTS / "budget_szenarien.png"), full_page=True)
    page.click("#zurueck")
    assert page.url.endswith("/budget")
    assert errors == [] or all("404" in e for e in errors), errors  # /budget: another helper's
    assert outside == []
