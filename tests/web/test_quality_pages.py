"""The page "Datenqualität" and the data-quality API (issue 14 items 3–5) on the default
synthetic Jobcenter: the rules' figures are the CLI's, person-level follow-up rows only for
roles whose ``persons`` right allows them (Teamleitung: the own team; Lesezugriff: counts only),
each read and change audited, a stale state change refused with 409."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from click.testing import CliRunner

from tests.web.conftest import TEAM, USERS, form_token
from tests.web.test_targets_pages import as_user  # noqa: F401 (the fixture, on this app)

MONTH = "2020-06"


@pytest.fixture(scope="module")
def app(web_store, tmp_path_factory):
    """An app with its own users and (empty) steering store."""
    from amip.web.app import create_app
    from amip.web.settings import Settings

    tmp = tmp_path_factory.mktemp("quality")
    settings = Settings(store=str(web_store), secure_cookies=False,
                        steering_url=f"sqlite:///{tmp / 'steering.sqlite'}",
                        users_db=str(tmp / "users.sqlite"))
    app = create_app(settings)
    app.state.close_on_shutdown = False
    app.state.passwords = {name: app.state.users.add_user(name, role, unit, cw)
                           for name, (role, unit, cw) in USERS.items()}
    yield app
    app.state.services.close()
    app.state.users.close()
    app.state.steering.close()


@pytest.fixture(scope="module")
def cli_quality(web_store):
    from amip.cli.main import cli

    r = CliRunner().invoke(cli, ["quality", "--month", MONTH, "--store", str(web_store),
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _audit(app, action: str) -> list[dict]:
    return app.state.users.audit.entries(500, 0, None, action, None)


def test_api_quality_is_the_cli_json(as_user, cli_quality):
    api = as_user("ctl").get(f"/api/v1/quality?month={MONTH}").json()
    assert api == cli_quality
    lz = as_user("lz").get(f"/api/v1/quality?month={MONTH}").json()
    assert [r["flagged"] for r in lz["rules"]] == [r["flagged"] for r in cli_quality["rules"]]
    assert all(r["by_team"] is None for r in lz["rules"])  # no team split under disclosure
    trend = as_user("lz").get(f"/api/v1/quality/trend?month={MONTH}").json()
    by_rule = {}
    for rec in trend["trend"]:
        by_rule[rec["rule_id"]] = by_rule.get(rec["rule_id"], 0) + rec["flagged"]
    assert by_rule == {r["id"]: r["flagged"] for r in cli_quality["rules"]
                       if r["flagged"] is not None}
    kdu = [t for t in trend["trend"] if t["rule_id"] == "kdu_error_rate"]
    assert all(t["target_pct"] == 5 for t in kdu)
    assert all(t["rate"] is None or t["rate"] == pytest.approx(t["errors"] / t["items"] * 100)
               for t in kdu)


def test_followup_rows_by_role(as_user, app):
    ctl = as_user("ctl").get(f"/api/v1/quality/followups?month={MONTH}").json()
    assert ctl["rows"] and {r["state"] for r in ctl["rows"]} == {"offen"}
    tl = as_user("tl").get(f"/api/v1/quality/followups?month={MONTH}").json()
    assert tl["rows"], "the team has flagged rows in the synthetic data"
    assert {r["unit_id"] for r in tl["rows"]} == {TEAM}
    assert len(tl["rows"]) == sum(1 for r in ctl["rows"] if r["unit_id"] == TEAM)
    lz = as_user("lz").get(f"/api/v1/quality/followups?month={MONTH}").json()
    assert lz["rows"] is None
    assert sum(sum(c.values()) for c in lz["counts"].values()) == len(ctl["rows"])
    r = as_user("tl").get(f"/api/v1/quality/followups?month={MONTH}&unit=03504-hz-markt")
    assert r.status_code == 403
    reads = _audit(app, "quality.read")
    assert any(e["actor"] == "tl" and e["outcome"] == "ok" for e in reads)
    assert any(e["actor"] == "tl" and e["outcome"] == "denied" for e in reads)
    assert not any(e["actor"] == "lz" for e in reads)  # counts are no person-level read


def test_api_state_change_stale_and_unknown(as_user, app):
    rows = as_user("tl").get(f"/api/v1/quality/followups?month={MONTH}").json()["rows"]
    row = rows[0]
    body = {"rule_id": row["rule_id"], "row_key": row["row_key"], "state": "in_klaerung",
            "reason": "Akte angefordert", "version": 0}
    r = as_user("tl").post(f"/api/v1/quality/followups?month={MONTH}", json=body)
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["version"], r.json()["unit_id"]) == \
        ("in_klaerung", 1, TEAM)
    stale = as_user("ctl").post(f"/api/v1/quality/followups?month={MONTH}",
                                json={**body, "state": "erledigt"})
    assert stale.status_code == 409 and "inzwischen von tl" in stale.json()["detail"]
    bad = as_user("ctl").post(f"/api/v1/quality/followups?month={MONTH}",
                              json={**body, "state": "geklärt", "version": 1})
    assert bad.status_code == 422 and "Status 'geklärt' gibt es nicht" in bad.json()["detail"]
    lz = as_user("lz").post(f"/api/v1/quality/followups?month={MONTH}",
                            json={**body, "version": 1})
    assert lz.status_code == 403
    other = as_user("ctl").get(f"/api/v1/quality/followups?month={MONTH}").json()["rows"]
    outside = next(x for x in other if x["unit_id"] != TEAM)
    r = as_user("tl").post(f"/api/v1/quality/followups?month={MONTH}",
                           json={**body, "row_key": outside["row_key"],
                                 "rule_id": outside["rule_id"]})
    assert r.status_code == 403
    assert app.state.steering.followup(row["rule_id"], row["row_key"]).version == 1
    changes = {(e["actor"], e["outcome"]) for e in _audit(app, "quality.followup")}
    assert {("tl", "ok"), ("ctl", "failed"), ("lz", "denied"), ("tl", "denied")} <= changes
    now = as_user("tl").get(f"/api/v1/quality/followups?month={MONTH}&state=in Klärung").json()
    assert [x["row_key"] for x in now["rows"]] == [row["row_key"]]


def test_page_renders_per_role(as_user, cli_quality):
    page = as_user("tl").get(f"/datenqualitaet?monat={MONTH}")
    assert page.status_code == 200
    text = unescape(page.text)
    assert 'href="/datenqualitaet"' in text and 'aria-current="page"' in text
    for rule in cli_quality["rules"]:
        assert f'data-rule="{rule["id"]}"' in text
    kdu = next(r for r in cli_quality["rules"] if r["id"] == "kdu_error_rate")
    assert re.search(r'<tr data-rule="kdu_error_rate".*?</tr>', text, re.S)
    assert "Fehlerquoten der Fallprüfungen" in text and "unter 5 %" in text
    assert kdu["flagged"] is not None
    assert 'id="nachverfolgung-liste"' in text and "followup-form" in text
    assert 'class="chart"' in text
    units = set(re.findall(r'<tr data-rule="[^"]+" data-key="[^"]+" data-state="[^"]+">\s*'
                           r'<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>', text))
    assert len(units) == 1  # the own team only
    lz = unescape(as_user("lz").get(f"/datenqualitaet?monat={MONTH}").text)
    assert 'id="nur-zahlen"' in lz and "nachverfolgung-liste" not in lz
    assert not re.search(r"P\d{7}", lz)  # no pseudonymous person id on the page


def test_page_form_sets_a_state_and_refuses_stale(as_user, app):
    c = as_user("tl")
    text = c.get(f"/datenqualitaet?monat={MONTH}&status=offen").text
    form = re.search(r'<form method="post" action="/datenqualitaet/nachverfolgung".*?</form>',
                     text, re.S).group(0)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    fields = {k: unescape(v) for k, v in fields.items()}
    data = {**fields, "state": "erledigt", "reason": "nacherfasst", "csrf_token": form_token(text)}
    r = c.post("/datenqualitaet/nachverfolgung", data=data, follow_redirects=False)
    assert r.status_code == 303
    again = c.post("/datenqualitaet/nachverfolgung", data=data, follow_redirects=False)
    assert again.status_code == 409 and "bitte neu laden" in unescape(again.text)
    assert app.state.steering.followup(fields["rule_id"], fields["row_key"]).state == "erledigt"


def test_ifk_sees_only_the_own_caseload(as_user, app):
    from amip.engine.calendar import parse_month
    from tests.web.conftest import CASEWORKER

    ifk = as_user("ifk").get(f"/api/v1/quality/followups?month={MONTH}").json()
    tl = as_user("tl").get(f"/api/v1/quality/followups?month={MONTH}").json()
    assert ifk["rows"] is not None and CASEWORKER in ifk["scope"]
    assert {r["row_key"] for r in ifk["rows"]} <= {r["row_key"] for r in tl["rows"]}
    mine = {p["person_id"] for p in app.state.services.persons(
        parse_month(MONTH), "03504", None, CASEWORKER)}
    assert all(r["person_id"] in mine for r in ifk["rows"])
    assert len(ifk["rows"]) < len(tl["rows"])
