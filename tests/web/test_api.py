"""The REST API: the same numbers as the CLI, reference data, problem details, OpenAPI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from amip.cli.indicators_cmd import indicators_cmd
from tests.web.conftest import TEAM

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def cli_json(store, *args) -> list[dict]:
    result = CliRunner().invoke(indicators_cmd, ["--store", str(store), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("args", [["--month", "2020-06"], ["--month", "2019-11", "--to", "2020-01"],
                                  ["--month", "2020-06", "--unit", TEAM],
                                  ["--month", "2020-03", "--jfw"],
                                  ["--month", "2019-06", "--published"]])
def test_indicators_equal_the_cli(client_as, web_store, args):
    params = {a.lstrip("-"): b for a, b in zip(args[::2], args[1::2]) if not b.startswith("-")}
    if "--jfw" in args:
        params = {"month": args[1], "jfw": "true"}
    if "--published" in args:
        params = {"month": args[1], "published": "true"}
    r = client_as("ctl").get("/api/v1/indicators", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == cli_json(web_store, *args)


def test_indicators_of_the_latest_month(client_as, web_store, latest):
    api = client_as("gf").get(f"/api/v1/indicators?month={latest}").json()
    assert {r["code"] for r in api} >= {"K1", "K2", "K3"}
    assert api == cli_json(web_store, "--month", latest)


def test_catalogue_units_imports(client_as):
    c = client_as("lz")
    cat = c.get("/api/v1/catalogue").json()
    assert len(cat["indicators"]) == 15
    k2 = next(i for i in cat["indicators"] if i["code"] == "K2")
    assert "48a" in k2["legal_basis"] and k2["form"] and k2["name"]
    assert cat["rules"] and all("valid_from" in v for v in cat["rules"])
    units = c.get("/api/v1/units").json()
    assert {u["level"] for u in units} == {"jobcenter", "standort", "team", "unassigned"}
    rest = [u for u in units if u["level"] == "unassigned"]  # one per unit with children
    assert len(rest) == len({u["parent_unit_id"] for u in units if u["level"] != "unassigned"
                             and u["parent_unit_id"]})
    k2 = c.get(f"/api/v1/indicators?month=2020-06&unit={rest[0]['unit_id']}").json()
    assert k2 and all(r["unit_id"] == rest[0]["unit_id"] for r in k2)
    assert TEAM in {u["unit_id"] for u in units}
    imports = c.get("/api/v1/imports").json()
    assert imports[0]["source"] == "synth default" and imports[0]["files"]


def test_health_needs_no_login(anonymous):
    r = anonymous.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def assert_problem(r, status: int, *words: str):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert PROBLEM_KEYS <= set(body) and body["status"] == status
    for w in words:
        assert w in body["detail"], body


def test_problem_details(client_as, anonymous):
    c = client_as("ctl")
    assert_problem(anonymous.get("/api/v1/indicators?month=2020-06"), 401, "Nicht angemeldet")
    assert_problem(c.get("/api/v1/indicators?month=2020-13"), 400, "month", "2020-13")
    assert_problem(c.get("/api/v1/indicators?month=2020-06&as_of=gestern"), 400, "as_of",
                   "gestern")
    assert_problem(c.get("/api/v1/indicators?month=2020-06&to=2020-01"), 400, "to")
    assert_problem(c.get("/api/v1/indicators?month=2020-06&rules=xyz"), 400, "rules", "xyz")
    assert_problem(c.get("/api/v1/indicators?month=2020-06&unit=nope"), 404, "nope")
    assert_problem(c.get("/api/v1/persons?unit=nope"), 404, "nope")
    assert_problem(c.get("/api/v1/no-such-thing"), 404)
    assert_problem(c.get("/api/v1/indicators"), 422, "month")
    assert_problem(c.get("/api/v1/persons?unit=x&limit=0"), 422, "limit")
    assert_problem(client_as("lz").get(f"/api/v1/persons?unit={TEAM}"), 403)
    assert_problem(client_as("tl").get("/api/v1/audit"), 403)


def test_openapi_and_docs(anonymous):
    spec = anonymous.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "amip"
    assert {"/api/v1/indicators", "/api/v1/catalogue", "/api/v1/units", "/api/v1/imports",
            "/api/v1/persons", "/api/v1/audit", "/api/v1/health"} <= set(spec["paths"])
    assert "/login" not in spec["paths"]
    docs = anonymous.get("/api/v1/docs")
    assert docs.status_code == 200 and "/api/v1/indicators" in docs.text


def test_security_headers(anonymous):
    r = anonymous.get("/login")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"]


def test_december_2020_is_null_with_reason_in_api_cli_and_pages(client_as, web_store):
    """One rule everywhere (§10.2): December 2020 (benefit claims not yet recorded) is
    shown, with K1 null and its reason, in the API, the CLI JSON and the Kennzahl page; a
    month without any figure is a 404 naming the covered range."""
    reason = "Leistungsdaten für Dezember 2020 noch nicht erfasst (Datenstand 30.11.2020)"
    c = client_as("ctl")
    api = c.get("/api/v1/indicators?month=2020-12").json()
    k1 = next(r for r in api if r["code"] == "K1" and r["sex"] == "all")
    assert (k1["numerator"], k1["denominator"], k1["value"], k1["reason"]) == \
        (None, None, None, reason)
    assert api == cli_json(web_store, "--month", "2020-12")
    page = c.get("/kennzahl/K1?monat=2020-12")
    assert page.status_code == 200 and f"kein Wert: {reason}" in page.text
    gone = c.get("/api/v1/indicators?month=2030-01")
    assert gone.status_code == 404
    assert "Januar 2009 bis Dezember 2020" in gone.json()["detail"]
    assert c.get("/kennzahl/K1?monat=2030-01").status_code == 404


def test_datenstand_page_shows_the_horizon_per_table(client_as):
    text = client_as("ctl").get("/datenstand").text
    assert "Datenstand je Tabelle" in text and "<code>benefit_months</code>" in text
    assert "30.11.2020" in text and "erklärt (extract.toml)" in text
    assert "Kennzahlen gibt es für Januar 2009 bis Dezember 2020" in text
