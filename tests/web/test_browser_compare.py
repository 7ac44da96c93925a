"""In a real browser (Playwright, Debian's Chromium, as tests/web/test_browser.py): a user of the
Land role logs in, lands on "Vergleich", sorts the table by value, opens a Jobcenter and sees it
among its peers with the chart of expected vs actual; Controlling sees every Jobcenter and the
dot plot. Screenshots: ``vergleich.png``, ``vergleich_jobcenter.png`` in ``/tmp/amip-shots/``."""

from __future__ import annotations

import re
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.web.test_browser import CHROMIUM, SHOTS, chromium, serving  # noqa: F401 (fixture)
from tests.web.test_browser_targets import _page
from tests.web.test_compare_pages import LAND, LAND_JCS, MONTH, national_store  # noqa: F401

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")


@pytest.fixture(scope="module")
def server(national_store, tmp_path_factory):  # noqa: F811
    from amip.web.settings import Settings
    from amip.web.users import UserStore

    tmp = tmp_path_factory.mktemp("browser-compare")
    users_db = tmp / "users.sqlite"
    store = UserStore(Settings(store=str(national_store), users_db=str(users_db)))
    passwords = {"rd": store.add_user("rd", "land", LAND),
                 "ctl": store.add_user("ctl", "controlling")}
    store.close()
    with patient_exit(), serving(str(national_store), str(users_db),
                                 f"sqlite:///{tmp / 'steering.sqlite'}") as base:
        yield base, passwords


@contextmanager
def patient_exit(seconds: int = 120):
    """Give the server time to end: on 24 Jobcenter its warm-up (the latest month's figures
    and persons of every Jobcenter, joined at shutdown) outlasts serving()'s 10 s."""
    wait = subprocess.Popen.wait

    def patient(self, timeout=None):
        return wait(self, timeout=None if timeout is None else max(timeout, seconds))
    subprocess.Popen.wait = patient
    try:
        yield
    finally:
        subprocess.Popen.wait = wait


def values(page) -> list[float | None]:
    """The Wert column as numbers (German text → float; – → None)."""
    out = []
    for cell in page.locator("#vergleich-tabelle tbody tr td:nth-of-type(2)").all_inner_texts():
        text = cell.replace("\u00a0%", "").replace(".", "").replace(",", ".") \
            .replace("\u2212", "-").strip()
        out.append(None if text in ("–", "") else float(text))
    return out


def test_land_user_sorts_the_table_and_opens_a_jobcenter(server, chromium):
    base, pw = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    rd = _page(chromium, base, "rd", pw["rd"], errors, landing="/vergleich")
    assert rd.locator("nav.main a").all_inner_texts() == ["Vergleich", "Glossar"]
    rd.goto(f"{base}/vergleich?monat={MONTH}&kennzahl=K2")
    rows = rd.locator("#vergleich-tabelle tbody tr")
    assert {rows.nth(i).get_attribute("data-jobcenter") for i in range(rows.count())} == LAND_JCS
    rd.click('#vergleich-tabelle th[data-col="wert"] a')  # ascending
    rd.wait_for_selector('#vergleich-tabelle th[data-col="wert"][aria-sort="ascending"]')
    up = [v for v in values(rd) if v is not None]
    assert up == sorted(up)
    rd.click('#vergleich-tabelle th[data-col="wert"] a')  # again: descending
    rd.wait_for_selector('#vergleich-tabelle th[data-col="wert"][aria-sort="descending"]')
    down = [v for v in values(rd) if v is not None]
    assert down == sorted(up, reverse=True)
    first = rd.locator("#vergleich-tabelle tbody tr").first
    jc = first.get_attribute("data-jobcenter")
    first.locator("th a").click()
    rd.wait_for_url(re.compile(rf".*/vergleich/{jc}\?.*"))
    assert "Wo steht das Jobcenter unter seinesgleichen" in rd.inner_text("h1")
    assert rd.locator("#kennzahlen tbody tr").count() == 15
    rd.wait_for_selector("#verlauf .chart svg")  # expected vs actual over months (Vega)
    rd.screenshot(path=str(SHOTS / "vergleich_jobcenter.png"), full_page=True)
    rd.goto(f"{base}/intensivbetreuung")
    assert "Kein Zugriff" in rd.inner_text("main")

    ctl = _page(chromium, base, "ctl", pw["ctl"], errors)
    ctl.click("nav.main >> text=Vergleich")
    ctl.wait_for_selector("#punktdiagramm .chart svg")
    assert ctl.locator("#vergleich-tabelle tbody tr").count() == 24
    ctl.screenshot(path=str(SHOTS / "vergleich.png"), full_page=True)
    assert [e for e in errors if "403" not in e] == []
