"""In a real browser (Playwright, Debian's Chromium, as tests/web/test_browser.py): an IFK logs
in and lands on the Intensivbetreuung, enrols two customers of the own candidate list and records
a contact; the Teamleitung sees only the own team; Lesezugriff sees no person. Screenshot:
``intensivbetreuung.png`` in ``/tmp/amip-shots/`` (``AMIP_SHOTS``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import CASEWORKER, TEAM
from tests.web.test_browser import CHROMIUM, SHOTS, serving
from tests.web.test_browser_targets import _page, chromium  # noqa: F401  (a fixture)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")


@pytest.fixture(scope="module")
def server(web_store, tmp_path_factory):
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    tmp = tmp_path_factory.mktemp("browser-care")
    users_db = tmp / "users.sqlite"
    store = UserStore(Settings(store=str(web_store), users_db=str(users_db)))
    passwords = {"ifk": store.add_user("ifk", "ifk", TEAM, CASEWORKER),
                 "tl": store.add_user("tl", "teamleitung", TEAM),
                 "lz": store.add_user("lz", "lesezugriff")}
    store.close()
    with serving(str(web_store), str(users_db), f"sqlite:///{tmp / 'steering.sqlite'}") as base:
        yield base, passwords


def test_ifk_enrols_two_and_records_a_contact_team_and_reader_scopes(server, chromium):
    base, pw = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    ifk = _page(chromium, base, "ifk", pw["ifk"], errors, "/intensivbetreuung")
    assert ifk.locator("#fachkraft").inner_text() == CASEWORKER
    assert ifk.locator("nav.main [aria-current=page]").inner_text() == "Intensivbetreuung"
    rows = ifk.locator("#kandidaten-liste tbody tr")
    assert rows.count() >= 3
    left = [int(t.replace(".", "")) for t in
            ifk.locator("#kandidaten-liste td.days-left").all_inner_texts()]
    assert left == sorted(left)
    chosen = [rows.nth(i).get_attribute("data-person") for i in range(2)]
    for pid in chosen:  # enrol the two with the fewest days left
        ifk.locator(f'#kandidaten-liste tr[data-person="{pid}"] form.enrol-form button').click()
        ifk.wait_for_selector(f'#betreute tr[data-person="{pid}"]')
    assert ifk.locator("#kontingent").inner_text() == "(2 von 2 Plätzen belegt)"
    # beyond the quota the form asks for a reason
    third = ifk.locator("#kandidaten-liste tbody tr form.enrol-form").first
    assert third.locator("input[name=reason]").count() == 1

    # a contact for the first: the counter of recorded contacts goes up
    row = ifk.locator(f'#betreute tr[data-person="{chosen[0]}"]')
    before = row.locator("td.contacts").inner_text()
    row.locator("select[name=kind]").select_option("beratung")
    row.locator("input[name=note]").fill("Erstgespräch")
    row.locator("form.contact-form button").click()
    ifk.wait_for_selector(f'#betreute tr[data-person="{chosen[0]}"]')
    row = ifk.locator(f'#betreute tr[data-person="{chosen[0]}"]')
    assert row.locator("td.contacts").inner_text().startswith("1 von 1")
    assert row.locator("td.due").inner_text() == "nein"
    assert before.endswith("von 1")
    ifk.screenshot(path=str(SHOTS / "intensivbetreuung.png"), full_page=True)

    # the Teamleitung: only the own team, the IFK's enrolments among them
    tl = _page(chromium, base, "tl", pw["tl"], errors)
    tl.goto(base + "/intensivbetreuung")
    teams = set(tl.locator("#kandidaten-liste tbody tr td:nth-child(3)").all_inner_texts())
    assert teams == {TEAM}
    assert {tl.locator("#betreute tbody tr").nth(i).get_attribute("data-person")
            for i in range(tl.locator("#betreute tbody tr").count())} == set(chosen)

    # Lesezugriff: counts, no person
    lz = _page(chromium, base, "lz", pw["lz"], errors)
    lz.goto(base + "/intensivbetreuung")
    assert lz.locator("#care-counts").count() == 1
    assert lz.locator("#kandidaten-liste, #betreute").count() == 0
    html = lz.content()
    assert not any(pid in html for pid in chosen)
    assert "P0" not in lz.locator("main").inner_text()
    assert not errors, errors
