"""The page "Vergleich" and /api/v1/compare on a small national store (24 synthetic Jobcenter):
German numbers, the API equal to the engine's figures, and whose Jobcenter each role sees."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import logged_in

LAND = "SH"  # two Jobcenter in the national store below: 01005, 01014
LAND_JCS = {"01005", "01014"}
OTHER_JC = "03036"  # in NI
MONTH = "2020-06"
#: name -> (role, unit)
COMPARE_USERS = {"ctl": ("controlling", None), "lz": ("lesezugriff", None),
                 "rd": ("land", LAND), "tl": ("teamleitung", "01014-mi-markt")}


@pytest.fixture(scope="session")
def national_store(tmp_path_factory):
    """24 synthetic Jobcenter of the national profile, 2019–2020, at 1 % of their size."""
    from amip.store import Store
    from amip.synth import generate

    path = tmp_path_factory.mktemp("national") / "amip.duckdb"
    tables = generate(profile="national", seed=7, scale=0.01, jobcenters=24,
                      start=dt.date(2019, 1, 1), end=dt.date(2020, 12, 31))
    store = Store.open(path)
    store.import_tables(tables, source="synth national")
    store.close()
    return path


@pytest.fixture(scope="session")
def national_app(national_store, tmp_path_factory):
    from amip.web.app import create_app
    from amip.web.settings import Settings

    settings = Settings(store=str(national_store), secure_cookies=False,
                        users_db=str(tmp_path_factory.mktemp("cusers") / "users.sqlite"))
    app = create_app(settings)
    app.state.close_on_shutdown = False
    app.state.passwords = {name: app.state.users.add_user(name, role, unit)
                           for name, (role, unit) in COMPARE_USERS.items()}
    yield app
    app.state.services.close()
    app.state.users.close()
    app.state.steering.close()


@pytest.fixture(scope="session")
def as_user(national_app):
    return logged_in(national_app)


@pytest.fixture(scope="session")
def engine(national_store):
    """The engine's own results for MONTH, straight from the store (no web in between)."""
    from amip.compare import expected, figures, peers, rankings
    from amip.store import Store

    with Store.open(national_store, read_only=True) as store:
        view = store.view()
        c = figures(view, MONTH)
        return {"figures": c, "ranks": {(r.jobcenter_id, r.code): r
                                        for r in rankings(c, "vergleichstyp")},
                "expected": expected(view, [MONTH], "K2"),
                "peers": peers(view, MONTH, "01014")}


def cells(html: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr data-jobcenter="{row_id}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>",
                                                                   row, re.S)]


def as_json(result):
    """A result of amip.compare as the JSON the CLI prints (tuples become lists)."""
    return json.loads(json.dumps(asdict(result)))


def de(value: float, digits: int = 1) -> str:
    """German by hand: 23.45 → '23,5' (thousands with a dot)."""
    text = f"{value:,.{digits}f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return text.replace("-", "\u2212")


# -- the page -----------------------------------------------------------------------------------

def test_page_shows_every_jobcenter_with_german_numbers_rank_and_expectation(as_user, engine):
    r = as_user("ctl").get(f"/vergleich?monat={MONTH}&kennzahl=K2&gruppe=vergleichstyp")
    assert r.status_code == 200, r.text
    html = r.text
    assert "Vergleich der Jobcenter" in html and "Juni 2020" in html
    assert html.count('<tr data-jobcenter="') == 24
    c = engine["figures"]
    for jc in ("01014", OTHER_JC):
        fig = c.row(jc).figures["K2"]
        row = cells(html, jc)
        assert f"{de(fig.value)}\u00a0%" in row  # e.g. "23,4 %": comma, no-break space
        rank = engine["ranks"][(jc, "K2")]
        assert f"{rank.rank} von {rank.of}" in row
        e = next(x for x in engine["expected"].rows if x.jobcenter_id == jc)
        if e.expected is not None:
            assert f"{de(e.expected)}\u00a0%" in row
            assert f"{de(e.lower)}\u00a0% bis {de(e.upper)}\u00a0%" in row
            assert e.verdict in row
    national = c.aggregate("national").figures["K2"].value
    assert f"{de(national)}\u00a0%" in html
    assert 'id="punktdiagramm"' in html and 'class="chart" data-spec=' in html
    assert "kein Urteil" in html and "keinen Einfluss" in html  # descriptive, not causal
    assert '<a href="/vergleich"' in html  # the nav entry


def test_sorting_by_value_on_the_server(as_user, engine):
    html = as_user("ctl").get(f"/vergleich?monat={MONTH}&kennzahl=K3&sortierung=wert"
                              "&richtung=ab").text
    order = re.findall(r'<tr data-jobcenter="([^"]+)">', html)
    c = engine["figures"]
    values = [c.row(j).figures["K3"].value for j in order]
    shown = [v for v in values if v is not None]
    assert shown == sorted(shown, reverse=True) and values[:len(shown)] == shown
    assert 'aria-sort="descending"' in html


def test_one_group_and_a_dot_plot_of_at_most_so_many(as_user, monkeypatch):
    from amip.web import compare_pages

    monkeypatch.setattr(compare_pages, "MAX_PLOT", 10)
    html = as_user("ctl").get(f"/vergleich?monat={MONTH}&kennzahl=K2").text
    assert 'id="zu-viele"' in html and 'id="punktdiagramm"' not in html
    html = as_user("ctl").get(f"/vergleich?monat={MONTH}&kennzahl=K2&nur=IIIb").text
    assert len(re.findall(r'<tr data-jobcenter="', html)) == 3
    assert 'id="punktdiagramm"' in html and 'id="zu-viele"' not in html
    assert "nur=IIIb&amp;sortierung=wert" in html  # sorting keeps the group
    html = as_user("ctl").get(f"/vergleich?monat={MONTH}&kennzahl=K2&gruppe=land&nur=IIIb").text
    assert len(re.findall(r'<tr data-jobcenter="', html)) == 24  # not a Land: all


def test_grouping_by_land_shows_the_laender(as_user, engine):
    html = as_user("ctl").get(f"/vergleich?monat={MONTH}&kennzahl=K2&gruppe=land").text
    assert 'data-level="land" data-key="SH"' in html
    assert 'data-level="vergleichstyp"' not in html
    sh = engine["figures"].aggregate("land", "SH").figures["K2"]
    agg = re.search(r'data-key="SH"><th>SH</th>(.*?)</tr>', html, re.S).group(1)
    assert f"{de(sh.value)}\u00a0%" in agg


def test_a_jobcenter_among_its_peers(as_user, engine):
    r = as_user("ctl").get(f"/vergleich/01014?monat={MONTH}&kennzahl=K2")
    assert r.status_code == 200, r.text
    html = r.text
    assert "Wo steht das Jobcenter unter seinesgleichen" in html
    p = engine["peers"]
    k2 = next(m for m in p.measures if m.code == "K2")
    row = re.search(r'<tr data-code="K2">(.*?)</tr>', html, re.S).group(1)
    assert f"{de(k2.figure.value)}\u00a0%" in row
    assert f"{k2.rank_vergleichstyp.rank} von {k2.rank_vergleichstyp.of}" in row
    if k2.median is not None:
        assert f"{de(k2.median)}\u00a0%" in row
    assert 'id="verlauf"' in html and "Dezember 2019" in html  # twelve months back


def test_a_store_with_one_jobcenter_says_a_comparison_needs_several(client_as):
    r = client_as("ctl").get("/vergleich")
    assert r.status_code == 200
    assert "Ein Vergleich braucht mehrere Jobcenter" in r.text
    assert 'class="chart"' not in r.text and "vergleich-tabelle" not in r.text


# -- the API ------------------------------------------------------------------------------------

def test_api_equals_the_engine(as_user, engine):
    r = as_user("ctl").get(f"/api/v1/compare?month={MONTH}&measures=K2,K3")
    assert r.status_code == 200, r.text
    recs = r.json()
    c = engine["figures"]
    mine = [x for x in recs if x["level"] == "jobcenter"]
    assert len(mine) == 24 * 2
    for x in mine:
        fig = c.row(x["jobcenter_id"]).figures[x["code"]]
        assert (x["value"], x["numerator"], x["denominator"]) == \
            (fig.value, fig.numerator, fig.denominator)
        if x["code"] == "K2":
            assert x["rank"] == engine["ranks"][(x["jobcenter_id"], "K2")].rank
    nat = next(x for x in recs if x["level"] == "national" and x["code"] == "K2")
    assert nat["value"] == c.aggregate("national").figures["K2"].value and nat["of"] == 24
    # exactly the records of `amip compare --format json` (amip.compare.records)
    from amip.compare.records import FIGURE_KEYS, figure_records
    assert all(tuple(x) == FIGURE_KEYS for x in recs)
    assert recs == json.loads(json.dumps(figure_records(c, "vergleichstyp",
                                                        codes=("K2", "K3"))))
    by_land = as_user("ctl").get(f"/api/v1/compare?month={MONTH}&measures=K2&by=land").json()
    assert by_land == json.loads(json.dumps(figure_records(c, "land", codes=("K2",))))


def test_api_expected_and_peers_equal_the_engine(as_user, engine):
    b = as_user("ctl").get(f"/api/v1/compare/expected?month={MONTH}&measures=K2").json()
    assert b == [as_json(engine["expected"])]
    p = as_user("ctl").get(f"/api/v1/compare/01014?month={MONTH}").json()
    assert p == [as_json(engine["peers"])]


def test_api_reads_are_audited(as_user, national_app):
    as_user("ctl").get(f"/api/v1/compare?month={MONTH}&measures=K2")
    rows = national_app.state.users.audit.entries(limit=5, actor="ctl", action="compare.read")
    assert rows and rows[0]["outcome"] == "ok" and "months=2020-06" in rows[0]["scope"]


def test_api_rejects_bad_parameters_in_german(as_user):
    ctl = as_user("ctl")
    r = ctl.get("/api/v1/compare?month=2020-06&measures=K9")
    assert r.status_code == 400 and "unbekannte Kennzahl K9" in r.json()["detail"]
    r = ctl.get("/api/v1/compare/expected?month=2020-06&measures=K1")
    assert r.status_code == 400 and "keinen Erwartungswert" in r.json()["detail"]
    assert ctl.get("/api/v1/compare/99999?month=2020-06").status_code == 404


# -- roles --------------------------------------------------------------------------------------

def test_land_role_sees_its_land_by_name_and_all_aggregates(as_user, engine):
    rd = as_user("rd")
    html = rd.get(f"/vergleich?monat={MONTH}&kennzahl=K2").text
    assert set(re.findall(r'<tr data-jobcenter="([^"]+)">', html)) == LAND_JCS
    assert 'data-level="national"' in html and html.count('data-level="vergleichstyp"') == 13
    recs = rd.get(f"/api/v1/compare?month={MONTH}&measures=K2").json()
    assert {x["jobcenter_id"] for x in recs if x["level"] == "jobcenter"} == LAND_JCS
    assert sum(x["level"] == "vergleichstyp" for x in recs) == 13
    assert rd.get(f"/vergleich/01005?monat={MONTH}").status_code == 200
    r = rd.get(f"/api/v1/compare/{OTHER_JC}?month={MONTH}")
    assert r.status_code == 403 and "Landes SH" in r.json()["detail"]
    assert rd.get(f"/vergleich/{OTHER_JC}?monat={MONTH}").status_code == 403


def test_land_role_has_no_person_level_pages(as_user, national_app):
    rd = as_user("rd")
    for path in ("/intensivbetreuung", "/fruehwarnung", "/", "/kennzahl/K2",
                 "/kennzahl/K2/einheiten?einheit=01014", "/kundengruppen", "/datenqualitaet",
                 "/ziele", "/budget", "/berichte", "/protokoll", "/benutzer"):
        r = rd.get(path, headers={"accept": "text/html"})
        assert r.status_code == 403, path
        assert "Kein Zugriff" in r.text and "Land / Regionaldirektion darf" in r.text
    for path in ("/api/v1/persons?unit=01014-mi-markt", "/api/v1/care/candidates",
                 "/api/v1/quality/followups", "/api/v1/indicators?month=2020-06",
                 "/api/v1/units", "/api/v1/audit"):
        r = rd.get(path)
        assert r.status_code == 403, path
        assert r.headers["content-type"] == "application/problem+json"
        assert "nicht öffnen" in r.json()["detail"]
    denied = national_app.state.users.audit.entries(limit=50, actor="rd", action="access")
    assert "path=/intensivbetreuung" in {e["scope"] for e in denied}  # (then flood control)
    assert all(e["outcome"] == "denied" for e in denied)
    html = rd.get("/vergleich").text  # the navigation offers only what the role may open
    nav = re.search(r'<nav class="main".*?</nav>', html, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', nav) == ["/vergleich", "/glossar"]
    assert '<div class="brand"><a href="/vergleich">' in html
    assert rd.get("/glossar").status_code == 200


def test_land_user_needs_a_land_of_the_store(national_app):
    from amip.web.users import UserError

    with pytest.raises(UserError, match="braucht ein Land des Datenbestands.*SH"):
        national_app.state.users.add_user("rd2", "land", "XX")
    with pytest.raises(UserError, match="braucht ein Land"):
        national_app.state.users.add_user("rd3", "land")


def test_land_login_lands_on_the_comparison(national_app):
    from tests.web.conftest import login

    c = TestClient(national_app)
    r = login(c, "rd", national_app.state.passwords["rd"])
    assert r.status_code == 303 and r.headers["location"] == "/vergleich"


def test_own_role_sees_only_its_jobcenter_by_name(as_user):
    tl = as_user("tl")
    html = tl.get(f"/vergleich?monat={MONTH}&kennzahl=K2").text
    assert re.findall(r'<tr data-jobcenter="([^"]+)">', html) == ["01014"]
    assert tl.get(f"/api/v1/compare/{OTHER_JC}?month={MONTH}").status_code == 403


def test_disclosure_hides_small_counts_and_what_reveals_them(as_user, engine):
    """For roles with disclosure = true a numerator of 1–2 is hidden with its value and rank,
    and no total (Bund, Land, Vergleichstyp) lets it be worked out as total − Σ visible parts."""
    from amip.catalogue import load
    from amip.web.compare import protect

    c = engine["figures"]
    counted = [k for k in c.measures if load().indicators[k].unit == "Personen"]
    small = [(r.jobcenter_id, k) for r in c.rows for k in counted
             if r.figures[k].numerator is not None and 1 <= r.figures[k].numerator <= 2]
    assert small, "the store should have small counts (1 % of the size)"
    shown, hidden = protect(c, True)
    assert {(jc, k) for jc, k in small} <= hidden
    for k in counted:
        groups = [(a, [r for r in shown.rows if a.level == "national"
                       or getattr(r, a.level) == a.key]) for a in shown.aggregates]
        for a, parts in groups:
            gone = [r for r in parts if r.figures[k].numerator is None]
            if a.figures[k].numerator is not None:
                assert len(gone) != 1, (k, a.level, a.key)  # total − the rest would reveal it
        for r in shown.rows:
            f = r.figures[k]
            assert f.numerator is None or not 1 <= f.numerator <= 2
    # the API of a role under disclosure control: nothing small, value and rank gone with it
    for name in ("lz", "rd"):
        recs = as_user(name).get(f"/api/v1/compare?month={MONTH}").json()
        for x in recs:
            if x["code"] in counted:
                assert x["numerator"] is None or not 1 <= x["numerator"] <= 2, x
            if x["level"] == "jobcenter" and (x["jobcenter_id"], x["code"]) in hidden:
                assert x["value"] is None and x["rank"] is None and "geheim" in x["reason"]
    full = as_user("ctl").get(f"/api/v1/compare?month={MONTH}").json()
    assert any(x["numerator"] is not None and 1 <= x["numerator"] <= 2 for x in full
               if x["code"] in counted)

