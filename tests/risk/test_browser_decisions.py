"""In a real browser (Playwright, Debian's Chromium, as tests/web/test_browser_care.py): Controlling
opens /fruehwarnung (evaluation and audit tables, no console error); an IFK records "abweichen"
with a reason on a scored candidate of the own list; the row shows it and Controlling's page
counts it among the overrides by group. Screenshot ``fruehwarnung.png`` in ``/tmp/amip-shots/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.risk.test_decisions import latest_month, scored_pair, trained_store
from tests.web.test_browser import CHROMIUM, SHOTS, serving
from tests.web.test_browser_targets import _page, chromium  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason="Debian chromium not installed")]


@pytest.fixture(scope="module")
def server(small_store, small_store_file, tmp_path_factory):
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    tmp = tmp_path_factory.mktemp("browser-risk")
    store = trained_store(small_store, small_store_file, tmp)
    mine, _ = scored_pair(small_store, store, latest_month(small_store))
    users_db = tmp / "users.sqlite"
    users = UserStore(Settings(store=str(store), users_db=str(users_db)))
    passwords = {"ifk": users.add_user("ifk", "ifk", mine["unit_id"], mine["caseworker_id"]),
                 "c": users.add_user("c", "controlling", None, None)}
    users.close()
    with serving(str(store), str(users_db), f"sqlite:///{tmp / 'steering.sqlite'}") as base:
        yield base, passwords, mine


def test_controlling_page_and_an_ifk_deviating_with_a_reason(server, chromium):
    base, pw, mine = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    ctl = _page(chromium, base, "c", pw["c"], errors)
    ctl.goto(base + "/fruehwarnung")
    assert ctl.locator("nav.main [aria-current=page]").inner_text() == "Frühwarnung"
    assert ctl.locator("section.risk-target table.data").count() >= 4
    assert "Noch keine Entscheidung" in ctl.locator("#abweichungen").inner_text()

    ifk = _page(chromium, base, "ifk", pw["ifk"], errors, "/intensivbetreuung")
    row = ifk.locator(f'#kandidaten-liste tr[data-person="{mine["person_id"]}"]')
    assert row.locator("td.decision").inner_text().startswith("offen")
    row.locator("select[name=decision]").select_option("abweichen")
    row.locator("form.decide-form input[name=reason]").fill("Arbeitsaufnahme zugesagt")
    row.locator("form.decide-form button").click()
    ifk.wait_for_selector(f'#kandidaten-liste tr[data-person="{mine["person_id"]}"] '
                          '.decided[data-decision="abweichen"]')
    row = ifk.locator(f'#kandidaten-liste tr[data-person="{mine["person_id"]}"]')
    assert "abgewichen: Arbeitsaufnahme zugesagt" in row.locator("td.decision").inner_text()

    ctl.reload()
    assert ctl.locator("#abweichungen-gruppen tbody tr").count() >= 4
    assert "davon abweichend" in ctl.locator("main").inner_text()
    ctl.screenshot(path=str(SHOTS / "fruehwarnung.png"), full_page=True)
    assert not errors, errors
