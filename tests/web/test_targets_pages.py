"""Ziele, Planung, the overview's target lights and the targets/plans API (issue 12 item 6) on
the default synthetic Jobcenter with the seed's 2020 targets (examples/targets.csv): the numbers
are the CLI's, rights come from roles.toml and are enforced on the server, a stale form is
refused, and every change is audited."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from amip import i18n
from tests.web.conftest import OTHER_TEAM, TEAM, USERS, form_token, logged_in

ROOT = Path(__file__).resolve().parents[2]
MONTH = "2020-06"


@pytest.fixture(scope="module")
def steering_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('steering') / 'steering.sqlite'}"


@pytest.fixture(scope="module")
def app(web_store, steering_url, tmp_path_factory):
    """An app with its own users and steering store, the seed's targets imported."""
    from amip.steering import known_jobcenters, known_units
    from amip.store import Store
    from amip.web.app import create_app
    from amip.web.settings import Settings

    settings = Settings(store=str(web_store), secure_cookies=False, steering_url=steering_url,
                        users_db=str(tmp_path_factory.mktemp("tusers") / "users.sqlite"))
    app = create_app(settings)
    app.state.close_on_shutdown = False
    app.state.passwords = {name: app.state.users.add_user(name, role, unit, cw)
                           for name, (role, unit, cw) in USERS.items()}
    store = Store.open(web_store, read_only=True)
    try:
        view = store.view()
        app.state.steering.import_targets(ROOT / "examples" / "targets.csv", "test", None,
                                          known_units(view), known_jobcenters(view))
    finally:
        store.close()
    yield app
    app.state.services.close()
    app.state.users.close()
    app.state.steering.close()


@pytest.fixture(scope="module")
def as_user(app):
    return logged_in(app)


@pytest.fixture(scope="module")
def cli_status(web_store, steering_url):
    """``amip targets status --month 2020-06 --format json``: the contract the web follows."""
    from amip.cli.main import cli

    r = CliRunner().invoke(cli, ["targets", "status", "--month", MONTH, "--store",
                                 str(web_store), "--format", "json"],
                           env={"AMIP_STEERING": steering_url})
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _audit(app, action: str) -> list[dict]:
    return app.state.users.audit.entries(500, 0, None, action, None)


def test_api_status_is_the_cli_json(as_user, cli_status):
    r = as_user("ifk").get(f"/api/v1/targets/status?month={MONTH}")
    assert r.status_code == 200
    assert r.json() == cli_status
    # under disclosure control (Lesezugriff): the Jobcenter's records only
    r = as_user("lz").get(f"/api/v1/targets/status?month={MONTH}")
    assert r.json() == [{**x, "suppressed": False} for x in cli_status if x["unit_id"] is None]
    assert as_user("lz").get(f"/ziele?monat={MONTH}&einheit={TEAM}").status_code == 403
    k2 = next(x for x in cli_status if x["measure"] == "K2" and x["unit_id"] is None
              and x["sex"] == "all")
    assert k2["target"] == 23.4 and k2["actual"] is not None and k2["light"] != "grey"


def test_ziele_page_shows_the_status(as_user, cli_status):
    html = as_user("gf").get(f"/ziele?monat={MONTH}").text
    for rec in (x for x in cli_status if x["unit_id"] is None):
        row = re.search(rf'<tr data-measure="{rec["measure"]}" data-sex="{rec["sex"]}" '
                        rf'data-light="([a-z]+)">(.*?)</tr>', html, re.S)
        assert row, rec
        assert row.group(1) == rec["light"]
        if rec["measure"] == "K2" and rec["sex"] == "all":
            # the Ist of K2 is the JFW in percent, one decimal: e.g. 11,2 %
            actual = re.search(r'class="num actual">([^<]+)<', row.group(2)).group(1)
            assert unescape(actual) == i18n.pct(rec["actual"], 1)
            path = re.search(r'class="num path">([^<]+)<', row.group(2)).group(1)
            assert unescape(path) == i18n.pct(rec["path"], 1)
    url = unescape(re.search(r'hx-get="(/ziele/verlauf\?[^"]*)"', html).group(1))
    charts = as_user("gf").get(url).text  # the htmx partial: Ist and Zielpfad Jan..Juni
    chart = re.search(r'id="verlauf-K2-all" class="target-chart" hx-swap-oob="true">'
                      r'<div class="chart" data-spec="([^"]+)"', charts)
    spec = json.loads(unescape(chart.group(1)))
    points = [v for layer in spec["layer"] for v in layer["data"]["values"]
              if v.get("reihe") == "Ist"]
    k2 = next(x for x in cli_status if x["measure"] == "K2" and x["unit_id"] is None
              and x["sex"] == "all")
    assert len(points) == 6 and points[-1]["wert"] == k2["actual"]
    assert 'id="ziel-neu"' in html  # Geschäftsführung may enter targets


def test_ziele_drilldown_to_a_team(as_user, app):
    units = app.state.services.table("units")
    team = next(u for u in units if u["unit_id"] == TEAM)
    standort = team["parent_unit_id"]
    html = as_user("ctl").get(f"/ziele?monat={MONTH}").text
    assert f'data-unit="{standort}"' in html  # the Standorte below the Jobcenter
    html = as_user("ctl").get(f"/ziele?monat={MONTH}&einheit={standort}").text
    assert f'data-unit="{TEAM}"' in html
    r = as_user("ctl").get(f"/ziele?monat={MONTH}&einheit={TEAM}")
    assert r.status_code == 200 and "K2" in r.text


def test_overview_lights_are_the_status(as_user, cli_status):
    html = as_user("ctl").get(f"/?month={MONTH}").text
    for code in ("K2", "K3"):
        rec = next(x for x in cli_status if x["measure"] == code and x["unit_id"] is None
                   and x["sex"] == "all")
        cls = {"green": "good", "yellow": "warn", "red": "bad", "grey": "none"}[rec["light"]]
        cell = re.search(rf'id="row-{code}".*?data-light="([a-z]+)"><span class="light '
                         rf'[a-z]+" title="([^"]+)"', html, re.S)
        assert cell.group(1) == cls
        if rec["light"] != "grey":
            assert "Zielpfad" in unescape(cell.group(2))
    # a measure without a target: grey with the reason
    cell = re.search(r'id="row-K1".*?data-light="([a-z]+)"><span class="light [a-z]+" '
                     r'title="([^"]+)"', html, re.S)
    assert cell.group(1) == "none" and "kein Ziel" in unescape(cell.group(2))


def _form(html: str, measure: str, sex: str = "all") -> dict:
    m = re.search(rf'<form method="post" action="/ziele" class="target-form" '
                  rf'data-measure="{measure}" data-sex="{sex}">(.*?)</form>', html, re.S)
    assert m, f"no form for {measure}"
    fields = dict(re.findall(r'<input[^>]*? name="([a-z_]+)" value="([^"]*)"', m.group(1)))
    return {k: unescape(v) for k, v in fields.items()}


def test_stale_target_form_is_refused(as_user, app):
    ctl, gf = as_user("ctl"), as_user("gf")
    page_a = ctl.get(f"/ziele?monat={MONTH}").text
    page_b = gf.get(f"/ziele?monat={MONTH}").text
    a, b = _form(page_a, "integrations"), _form(page_b, "integrations")
    assert a["version"] == b["version"] == "1" and a["value"] == "1141"
    a.update(value="1.150", status="vereinbart", reason="Nachverhandlung")
    r = ctl.post("/ziele", data=a, follow_redirects=False)
    assert r.status_code == 303, r.text
    b.update(value="1.160", status="vereinbart", reason="andere Nachverhandlung")
    r = gf.post("/ziele", data=b, follow_redirects=False)
    assert r.status_code == 409
    assert "inzwischen von ctl" in r.text and "bitte neu laden" in r.text
    assert re.search(r'id="aktueller-wert">1150<', r.text)  # the current value shown
    t = app.state.steering.target(("03504", None, 2020, "integrations", "all"))
    assert t.value == 1150 and t.version == 2
    outcomes = [e["outcome"] for e in _audit(app, "target.set")]
    assert "ok" in outcomes and "failed" in outcomes


def test_agreed_target_needs_a_reason(as_user):
    ctl = as_user("ctl")
    f = _form(ctl.get(f"/ziele?monat={MONTH}").text, "K3")
    f.update(value="-11", reason="")
    r = ctl.post("/ziele", data=f, follow_redirects=False)
    assert r.status_code == 422 and "Begründung" in r.text  # a DataError


def test_read_only_roles_cannot_post_targets(as_user, app):
    lz = as_user("lz")
    html = lz.get(f"/ziele?monat={MONTH}").text
    assert 'id="ziel-neu"' not in html and 'class="target-form"' not in html
    data = {"csrf_token": form_token(html), "measure": "K2", "year": "2020", "value": "30",
            "version": "1", "reason": "x"}
    r = lz.post("/ziele", data=data, follow_redirects=False)
    assert r.status_code == 403
    r = lz.post("/api/v1/targets", json={"measure": "K1", "year": 2020, "value": 1},
                headers={"x-csrf-token": form_token(html)})
    assert r.status_code == 403 and r.headers["content-type"].startswith(
        "application/problem+json")
    denied = [e for e in _audit(app, "target.set") if e["outcome"] == "denied"]
    assert {e["actor"] for e in denied} == {"lz"}


def test_api_target_post_put_and_stale(as_user, app):
    ctl = as_user("ctl")
    r = ctl.post("/api/v1/targets", json={"measure": "K1E1", "year": 2020, "value": -2.5,
                                          "note": "API"})
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["value"] == -2.5
    r = ctl.post("/api/v1/targets", json={"measure": "K1E1", "year": 2020, "value": -3})
    assert r.status_code == 409  # exists: PUT with its version
    r = ctl.put("/api/v1/targets/2020/K1E1", json={"value": -3, "version": 1,
                                                   "reason": "neu"})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = ctl.put("/api/v1/targets/2020/K1E1", json={"value": -4, "version": 1, "reason": "alt"})
    assert r.status_code == 409 and "bitte neu laden" in r.json()["detail"]
    targets = ctl.get("/api/v1/targets?year=2020").json()
    assert any(t["measure"] == "K1E1" and t["value"] == -3 for t in targets)


def test_api_withdraws_a_target_with_its_version(as_user, app):
    """Withdrawing is a new version (the history keeps every one); a stale version is refused,
    a role without `targets = edit` is denied, and the target no longer counts."""
    ctl = as_user("ctl")
    r = ctl.post("/api/v1/targets", json={"measure": "K1E4", "year": 2020, "value": 3.0,
                                          "status": "in_abstimmung"})
    assert r.status_code == 201 and r.json()["version"] == 1
    url = "/api/v1/targets/2020/K1E4/withdraw"
    assert as_user("lz").post(url, json={"version": 1}).status_code == 403
    assert ctl.post(url, json={"version": 2}).status_code == 409  # no version 2 yet
    r = ctl.post(url, json={"version": 1, "reason": "doppelt erfasst"})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert not any(t["measure"] == "K1E4" for t in ctl.get("/api/v1/targets?year=2020").json())
    assert ctl.post(url, json={"version": 2}).status_code == 404  # gone
    history = app.state.steering.target_history(year=2020, measure="K1E4")
    assert [h.version for h in history] == [1, 2] and history[-1].withdrawn
    assert _audit(app, "target.withdraw")


def test_planning_rights_and_agreement(as_user, app):
    tl, ctl = as_user("tl"), as_user("ctl")
    latest = app.state.services.latest_month()
    year = latest // 12 + 1
    html = tl.get(f"/planung?jahr={year}&kennzahl=integrations").text
    editable = re.findall(r'class="plan-form" data-unit="([^"]+)"', html)
    assert editable == [TEAM]  # Teamleitung: only the own team
    token = form_token(html)
    base = {"csrf_token": token, "year": str(year), "measure": "integrations", "version": "0"}
    r = tl.post("/planung/plan", data={**base, "unit_id": OTHER_TEAM, "value": "40"},
                follow_redirects=False)
    assert r.status_code == 403
    r = tl.post(f"/api/v1/plans/{year}/integrations/teams/{OTHER_TEAM}",
                json={"value": 40}, headers={"x-csrf-token": token})
    assert r.status_code == 403
    r = tl.post("/planung/plan", data={**base, "unit_id": TEAM, "value": "55"},
                follow_redirects=False)
    assert r.status_code == 303, r.text
    assert [e["outcome"] for e in _audit(app, "plan.set")].count("denied") == 2
    # Controlling: a target for the year, then agree the round with the proposal
    r = ctl.post("/api/v1/targets", json={"measure": "integrations", "year": year,
                                          "value": 1200})
    assert r.status_code == 201, r.text
    status = ctl.get(f"/api/v1/plans/status?year={year}&measure=integrations").json()
    jc = status[0]
    # the gap 1200 − 55 is split over the teams: the proposals add up to it
    assert jc["target"] == 1200 and jc["planned"] == 55 and jc["proposed"] == 1200 - 55
    assert jc["total"] == 1200
    r = ctl.post(f"/api/v1/plans/{year}/integrations/agree", json={"key": "elb"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "vereinbart"
    plans = {p.unit_id: p for p in app.state.steering.plans(year, "integrations")}
    teams = {x["unit_id"]: x["proposed"] for x in status if x["level"] == "team"}
    assert {u: float(p.accepted) for u, p in plans.items()} == teams
    assert _audit(app, "plan.agree")[0]["outcome"] == "ok"
    html = ctl.get(f"/planung?jahr={year}&kennzahl=integrations").text
    assert 'id="rundenstatus">vereinbart<' in html and "Verlauf" in html
    assert len(re.findall(r'class="plan-form"', html)) == len(teams)  # Controlling: all


def test_plan_status_api_is_the_cli_json(as_user, app, web_store, steering_url):
    from amip.cli.main import cli

    year = app.state.services.latest_month() // 12 + 1
    r = CliRunner().invoke(cli, ["plan", "status", "--year", str(year), "--measure",
                                 "integrations", "--key", "equal", "--store", str(web_store),
                                 "--format", "json"], env={"AMIP_STEERING": steering_url})
    assert r.exit_code == 0, r.output
    api = as_user("lz").get(f"/api/v1/plans/status?year={year}&measure=integrations&key=equal")
    assert api.json() == json.loads(r.output)


def test_zielwerterwartung_partial(as_user, app):
    from amip.engine.backtest import proposed_target

    services = app.state.services
    year = services.latest_month() // 12 + 1
    html = as_user("ctl").get(f"/planung/erwartung?jahr={year}&kennzahl=K2").text
    p = services.query(proposed_target, year, "K2", jobcenter_id="03504")
    assert f'id="zielwerterwartung">{i18n.pct(p.value)}<' in html.replace("&nbsp;", "\u00a0")
    assert i18n.pct(p.lower) in html and i18n.pct(p.upper) in html
    # the models of K2's own first row in the backtest, with its measured coverage
    assert p.coverage is not None
    assert f"trafen solche Intervalle {round(p.coverage * 100)}&nbsp;% der Istwerte" in html
    html = as_user("ctl").get(f"/planung/erwartung?jahr={year}&kennzahl=kdu_ausgaben").text
    assert "keine Zielwerterwartung" in html


def test_audit_names_are_declared():
    from amip.web.audit import labels

    actions = labels()["actions"]
    for a in ("target.set", "plan.set", "plan.round", "plan.agree"):
        assert a in actions


def test_downloaded_monatsbericht_shows_the_targets(as_user):
    """The dashboard's Monatsbericht download is built with the steering store's targets, as
    `amip report monthly` is: its workbook holds the Zielnachhaltung of the seed's K2 target
    (23,4 %, examples/targets.csv), which the report without targets does not."""
    import io
    import zipfile

    r = as_user("ctl").get("/berichte/monatsbericht-2020-11.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    book = zipfile.ZipFile(io.BytesIO(r.content))
    text = book.read("xl/sharedStrings.xml").decode()
    assert "Zielnachhaltung" in text
    assert "Zielwerte erfasst" not in text  # the grey box of a report without targets


def test_every_month_of_the_year_has_its_light(as_user, cli_status):
    """The Ziele page's charts carry the light of every month Jan..Juni 2020; June's is the
    light of `amip targets status --month 2020-06` (the months before: their own status)."""
    html = as_user("ctl").get(f"/ziele?monat={MONTH}").text
    url = unescape(re.search(r'hx-get="(/ziele/verlauf\?[^"]*)"', html).group(1))
    charts = as_user("ctl").get(url).text
    block = re.search(r'id="verlauf-K2-all".*?<p class="month-lights"[^>]*>(.*?)</p>', charts,
                      re.S).group(1)
    lights = re.findall(r'class="light (good|warn|bad|none)"', block)
    assert len(lights) == 6  # January .. June
    k2 = next(x for x in cli_status if x["measure"] == "K2" and x["unit_id"] is None
              and x["sex"] == "all")
    assert lights[-1] == {"green": "good", "yellow": "warn", "red": "bad", "grey": "none"}[k2["light"]]
    assert "Juni 2020" in block and "Jan" in block


def test_the_form_withdraws_a_target_with_a_reason(as_user, app):
    """The Ziele page's "Zurückziehen": an agreed target needs a reason; then a new version
    marked withdrawn (the target leaves the page, its versions stay), audited."""
    ctl = as_user("ctl")
    f = _form(ctl.get(f"/ziele?monat={MONTH}").text, "fehlerquote_but")
    f.update(aktion="zurueckziehen", reason="")
    r = ctl.post("/ziele", data=f, follow_redirects=False)
    assert r.status_code == 422 and "Begründung" in r.text  # vereinbart: a reason is due
    f.update(reason="Prüfung entfällt 2020")
    r = ctl.post("/ziele", data=f, follow_redirects=False)
    assert r.status_code == 303, r.text
    t = app.state.steering.target(("03504", None, 2020, "fehlerquote_but", "all"))
    assert t.withdrawn and t.version == int(f["version"]) + 1
    assert 'data-measure="fehlerquote_but"' not in ctl.get(f"/ziele?monat={MONTH}").text
    assert any(e["outcome"] == "ok" for e in _audit(app, "target.withdraw"))


def test_read_only_role_sees_small_counts_suppressed(as_user, app, tmp_path):
    """Lesezugriff (``disclosure = true``) sees the Ziele page as the rest of the web: a small
    count of persons as "*", with the gap and light derived from it withheld; Controlling sees
    the count. The seed's target on § 16a services (entered monthly, in Abstimmung) gets values
    for January..June 2020: 1 + 0 + 0 + 0 + 1 + 0 = 2 persons by June, a small count (1–2)."""
    values = tmp_path / "werte.csv"
    values.write_text("measure;jobcenter_id;unit_id;month;value\n" + "".join(
        f"leistungen_16a;03504;;2020-0{k};{v}\n" for k, v in zip(range(1, 7), (1, 0, 0, 0, 1, 0))))
    app.state.steering.import_measure_values(values, "test")

    def row(user: str) -> str:
        html = as_user(user).get(f"/ziele?monat={MONTH}").text
        found = re.search(r'<tr data-measure="leistungen_16a" data-sex="all" '
                          r'data-light="([a-z]+)">(.*?)</tr>', html, re.S)
        assert found, user
        return found.group(2)

    def actual(cells: str) -> str:
        return unescape(re.search(r'class="num actual">([^<]+)<', cells).group(1)).strip()

    assert actual(row("ctl")) == "2"
    hidden = row("lz")
    assert actual(hidden) == "*"
    assert unescape(re.search(r'class="num gap">([^<]+)<', hidden).group(1)).strip() == "–"
    # a large count stays visible for the role: the Integrationen Jan..Juni of the Jobcenter
    big = re.search(r'<tr data-measure="integrations" data-sex="all" data-light="[a-z]+">'
                    r'(.*?)</tr>', as_user("lz").get(f"/ziele?monat={MONTH}").text, re.S)
    assert actual(big.group(1)) not in ("*", "–")

    def ist_points(user: str) -> list:
        """The chart's Ist Jan..Juni: Σ Jan..k = 1, 1, 1, 1, 2, 2 — every one small."""
        html = as_user(user).get(f"/ziele?monat={MONTH}").text
        url = unescape(re.search(r'hx-get="(/ziele/verlauf\?[^"]*)"', html).group(1))
        part = re.search(r'id="verlauf-leistungen_16a-all" class="target-chart" '
                         r'hx-swap-oob="true">(.*?)</div>', as_user(user).get(url).text, re.S)
        spec = re.search(r'data-spec="([^"]+)"', part.group(1))
        if spec is None:
            return []
        return [v["wert"] for layer in json.loads(unescape(spec.group(1)))["layer"]
                for v in layer["data"]["values"] if v.get("reihe") == "Ist"]

    assert ist_points("ctl") == [1, 1, 1, 1, 2, 2]
    assert ist_points("lz") == []

    # the API as the page: for Lesezugriff the small Ist is null and marked suppressed
    def api(user: str) -> dict:
        r = as_user(user).get(f"/api/v1/targets/status?month={MONTH}")
        assert r.status_code == 200
        return next(x for x in r.json() if x["measure"] == "leistungen_16a"
                    and x["unit_id"] is None and x["sex"] == "all")
    assert api("ctl")["actual"] == 2 and "suppressed" not in api("ctl")
    hidden = api("lz")
    assert hidden["actual"] is None and hidden["suppressed"] is True
    assert hidden["gap"] is None and hidden["light"] == "grey"
