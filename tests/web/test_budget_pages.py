"""The page Budget (/budget) on small extracts worked out by hand (tests/engine/test_budget_status
and test_budget_outcomes): the engine's figures in German formats, the landing's warnings, the
outcomes labelled descriptive and, for Lesezugriff, without small counts."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from tests.engine import test_budget_outcomes, test_budget_status
from tests.web.conftest import login

pytestmark = pytest.mark.duckdb_only


def _client(tmp_path_factory, ex, role: str, prepare=None) -> tuple[TestClient, object]:
    """A signed-in client of a store with the extract ``ex``; ``prepare(store)``: changes to
    the store after the import."""
    from amip.store import Store
    from amip.web.app import create_app
    from amip.web.settings import Settings

    d = tmp_path_factory.mktemp("budget-web")
    with Store.open(d / "amip.duckdb") as store:
        store.import_tables(ex.tables(), source="test case", description=ex.description)
        if prepare is not None:
            prepare(store)
    app = create_app(Settings(store=str(d / "amip.duckdb"), secure_cookies=False,
                              users_db=str(d / "users.sqlite")))
    client = TestClient(app)
    assert login(client, role, app.state.users.add_user(role, role, None, None)) \
        .status_code == 303
    return client, app


@pytest.fixture(scope="module")
def ctl(tmp_path_factory):
    client, app = _client(tmp_path_factory, test_budget_status.case(), "controlling")
    yield client
    app.state.services.close()
    app.state.users.close()


@pytest.fixture(scope="module")
def outcome_clients(tmp_path_factory):
    ex = test_budget_outcomes.case()
    made = [_client(tmp_path_factory, ex, role) for role in ("controlling", "lesezugriff")]
    yield [c for c, _ in made]
    for _, app in made:
        app.state.services.close()
        app.state.users.close()


def cells(page: str, table_id: str) -> dict[tuple[str, str], list[str]]:
    """(data-title or data-key, data-instrument) → the row's cell texts."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    out = {}
    for attrs, body in re.findall(r"<tr ([^>]*)>(.*?)</tr>", table, re.S):
        key = re.search(r'data-(?:title|key|instrument)="([^"]*)"', attrs).group(1)
        instr = re.search(r'data-instrument="([^"]*)"', attrs)
        out[(key, instr.group(1) if instr else "")] = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split())
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body, re.S)]
    return out


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())  # NBSP → space


def test_status_overview_landing_and_comparison(ctl):
    r = ctl.get("/budget?jahr=2020&stand=2020-06-30")
    assert r.status_code == 200, r.text
    page = r.text
    assert '<a href="/budget" aria-current="page">Budget</a>' in page
    assert 'href="/budget/szenarien?jahr=2020"' in page
    status = cells(page, "budget-status")
    # item 53: bookings up to 30.06. fbw: open 70.000 − 25.000 − 5.000 = 40.000, available
    # 100.000 − 25.000 − 40.000 = 35.000, Bindungsquote 65 %, Ausgabequote 25 %; no Vorbindung
    # booked in 2020 yet (1.10.)
    assert status[("egl", "fbw")][1:] == ["100.000,00 €", "25.000,00 €", "40.000,00 €",
                                          "0,00 €", "35.000,00 €", "65,00 %", "25,00 %"]
    # the title: plan 150.000 (the Umschichtung of 1.9. not yet), paid 25.000 + 26.000,
    # open 40.000: Bindungsquote 91.000 / 150.000 = 60,67 %
    assert status[("egl", "")][-2] == "60,67 %"
    words = text(page)
    # Gesamtbudget 150.000 + 200.000; KFA: 200.000 ÷ 0,848 = 235.849,06, × 0,152 = 35.849,06
    assert "Gesamtbudget (Eingliederungsleistungen und Verwaltungskosten) 350.000,00 €" in words
    assert re.search(r'id="kfa">35\.849,06\xa0€', page)
    # landing at the end of June, linear path (no previous year paid): fbw pays 25.000 in
    # March, nothing in April–June → level 0, landing 25.000 + max(open 40.000, 0) = 65.000,
    # −35 % → Unterausschöpfung. egz pays 26.000 in May: level 26.000 ÷ (3/12) = 104.000,
    # × (1 − 6/12) = 52.000 → landing 78.000 on a plan of 50.000 (+56 %) → Überschreitung;
    # interval from the months' own levels 0 and 312.000: 26.000 to 26.000 + 156.000
    land = cells(page, "landung")
    assert land[("egl", "fbw")][5:8] == ["65.000 €", "65.000 € – 65.000 €", "−35,0 %"]
    assert land[("egl", "egz")][5:9] == ["78.000 €", "26.000 € – 182.000 €", "+56,0 %",
                                         "Überschreitung"]
    warnings = re.search(r'<div class="error" role="alert" id="warnungen">(.*?)</div>', page,
                         re.S).group(1)
    assert 'data-warning="unter" data-title="egl" data-instrument="fbw"' in warnings
    assert "Überschreitung (über Plan + 3 %) – Landung 78.000" in text(warnings)
    # burn curves per title, drill-down per instrument
    assert page.count('class="chart"') == 2 + 1  # egl, vk + the EGL distribution
    drill = ctl.get("/budget?jahr=2020&stand=2020-06-30&titel=egl").text
    assert re.findall(r'<figure class="block" data-title="egl" data-instrument="(\w*)"', drill) \
        == ["egz", "fbw"]
    # the year comparison of the allocations: egl 90.000 → 150.000, +66,7 %
    comp = cells(page, "jahresvergleich")
    assert comp[("egl", "")][1:] == ["90.000 €", "150.000 €", "60.000 €", "+66,7 %"]


def test_switching_the_year(ctl):
    page = ctl.get("/budget?jahr=2019").text
    assert re.search(r'id="haushaltsjahr">2019<', page)
    # 2019: the commitment of 10.11.2019 for 2020 is a Vorbindung of 2019 (item 52)
    assert cells(page, "budget-status")[("egl", "fbw")][4] == "30.000,00 €"
    assert ctl.get("/budget?jahr=2031").status_code == 404
    assert ctl.get("/budget?jahr=zwanzig").status_code == 422
    assert ctl.get("/budget?jahr=2020&stand=30.06.2020").status_code == 200
    assert ctl.get("/budget?jahr=2020&stand=gestern").status_code == 422


def test_outcomes_and_disclosure(outcome_clients):
    ctl, lz = outcome_clients
    url = "/budget?jahr=2020&stand=2020-12-31"
    r = ctl.get(url)
    page = r.text  # on failure, say what the page showed instead (it failed once under load)
    assert r.status_code == 200 and "beschreibend, nicht kausal" in page \
        and "keine Wirkungsmessung" in page, (r.status_code, text(page)[:800])
    # test_budget_outcomes: fbw 4 Austritte, 3 within the horizon, EQ 1/3, VQ 2/3, five
    # participants, 12.000 € paid → 2.400 per participant, 12.000 per Eingliederung
    fbw = cells(page, "ergebnisse")[("fbw", "fbw")]
    assert fbw[1:] == ["4", "3", "33,3 %", "66,7 %", "5", "12.000,00 €", "2.400,00 €",
                       "12.000,00 €"]
    # Lesezugriff: one Eingliederung and two Verbleibe are small counts: the quotas and the
    # cost per Eingliederung derived from them are hidden; 4 Austritte and 5 participants not
    fbw = cells(lz.get(url).text, "ergebnisse")[("fbw", "fbw")]
    assert fbw[1:] == ["4", "3", "–", "–", "5", "12.000,00 €", "2.400,00 €", "–"]


def test_the_page_jobcenter_does_not_depend_on_the_row_order(tmp_path_factory):
    """test_budget_outcomes has two Jobcenter: 03504 with the budget, 03505 where person g
    moved. The store returns its current rows in the order a parallel query wrote them: the
    page takes the first Jobcenter by key, 03504, whatever that order. (Under load the page
    once took 03505 and said there were no budget data.) Here the rows are kept reversed."""
    def reverse(store):
        store.con.execute("CREATE OR REPLACE TABLE amip_current_jobcenters AS SELECT * FROM "
                          "amip_current_jobcenters ORDER BY jobcenter_id DESC")
        assert [r[0] for r in store.con.execute(
            "SELECT jobcenter_id FROM amip_current_jobcenters").fetchall()] == ["03505", "03504"]

    client, app = _client(tmp_path_factory, test_budget_outcomes.case(), "controlling", reverse)
    try:
        page = client.get("/budget?jahr=2020&stand=2020-12-31").text
        assert 'id="keine-budgetdaten"' not in page
        assert re.search(r'id="haushaltsjahr">2020<', page)
        assert "Jobcenter 03504" in text(page) and "Jobcenter 03505" not in text(page)
    finally:
        app.state.services.close()
        app.state.users.close()


def test_outcomes_by_group_on_the_page(tmp_path_factory):
    client, app = _client(tmp_path_factory, test_budget_outcomes.group_case(), "controlling")
    try:
        page = client.get("/budget?jahr=2020&stand=2020-12-31&gruppen=1").text
        table = re.search(r'<table[^>]*id="ergebnisse-gruppen".*?</table>', page, re.S).group(0)
        rows = [[text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", body, re.S)]
                for body in re.findall(r"<tr data-instrument[^>]*>(.*?)</tr>", table, re.S)]
        # test_budget_outcomes.test_outcomes_by_customer_group
        assert [(r[1], r[2], r[4]) for r in rows] == [
            ("Langzeitleistungsbeziehende (LZB)", "1", "100,0 %"),
            ("Alleinerziehende", "1", "0,0 %"), ("ohne Berufsabschluss", "2", "50,0 %")]
        assert "keiner Kundengruppe zugeordnet" in page
    finally:
        app.state.services.close()
        app.state.users.close()
