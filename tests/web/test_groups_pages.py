"""The page Kundengruppen, its Excel download and the API /api/v1/groups (issue 14) on the default
synthetic Jobcenter, with two group targets imported into the steering store of the Ziele tests
(beside the seed's): the page shows the figures of :func:`group_monitor` (the CLI's JSON), drills
down by Standort and team, shows a group target's light, and hides small counts from
Lesezugriff."""

from __future__ import annotations

import re
from html import unescape

import pytest

from amip import i18n
from tests.web.conftest import TEAM
from tests.web.test_targets_pages import app, as_user, steering_url  # noqa: F401

MONTH = "2020-06"
STANDORT = "03504-fi"


@pytest.fixture(scope="module", autouse=True)
def group_targets(app, web_store, tmp_path_factory):
    """Two group targets for 2020 beside the seed's (``amip targets import``)."""
    from amip.steering import known_jobcenters, known_units
    from amip.store import Store

    csv = tmp_path_factory.mktemp("groups") / "targets.csv"
    csv.write_text("jobcenter_id;unit_id;year;measure;sex;value;status;source;note\n"
                   "03504;;2020;integrations@lzb;all;300;vereinbart;Test;\n"
                   "03504;;2020;activation_rate@u25;all;50;vereinbart;Test;\n", encoding="utf-8")
    with Store.open(web_store, read_only=True) as store:
        view = store.view()
        app.state.steering.import_targets(csv, "test", None, known_units(view),
                                          known_jobcenters(view))


@pytest.fixture(scope="module")
def monitor(web_store):
    """The engine's answer for the month: what the CLI prints as JSON."""
    from amip.engine.calendar import parse_month
    from amip.engine.group_monitor import group_monitor
    from amip.store import Store

    with Store.open(web_store, read_only=True) as store:
        return {u: group_monitor(store.view(), parse_month(MONTH), None, u)
                for u in (None, STANDORT)}


def cells(html: str, row_attr: str) -> dict[str, str]:
    """figure key → the cell text of the table row ``<tr data-…="…">``."""
    row = re.search(rf'<tr {row_attr}[^>]*>(.*?)</tr>', html, re.S).group(1)
    return {k: re.sub(r"<[^>]+>", "", unescape(v)).strip()
            for k, v in re.findall(r'data-figure="(\w+)">(.*?)</td>', row, re.S)}


def test_the_page_shows_the_monitor(as_user, monitor):
    page = as_user("ctl").get(f"/kundengruppen?monat={MONTH}").text
    data = monitor[None]
    assert len(re.findall(r'<tr data-group="', page)) == len(data["groups"]) == 8
    lzb = cells(page, 'data-group="lzb"')
    f = data["figures"]["lzb"]
    assert lzb["stock"] == i18n.num(f["stock"]) and lzb["inflows"] == i18n.num(f["inflows"])
    assert lzb["integration_rate"] == i18n.pct(f["integration_rate"])
    assert lzb["activation_rate"] == i18n.pct(f["activation_rate"])
    # definitions and sources, the trend chart and twelve months of the table
    assert "§ 48a SGB II, VO § 6 Abs. 1" in page and "jünger als 25 Jahre" in page
    assert 'id="gruppen-chart" data-spec=' in page
    assert len(re.findall(r'<tr data-month="', page)) == 12


def test_drill_down_by_standort_and_team(as_user, monitor):
    page = as_user("ctl").get(f"/kundengruppen?monat={MONTH}&gruppe=u25").text
    # below the Jobcenter: its Standorte and "ohne Zuordnung", each linking one level down
    units = re.findall(r'<tr data-unit="([^"]+)"', page)
    assert units == [u["unit_id"] for u in monitor[None]["units"]]
    assert f'href="/kundengruppen?monat={MONTH}&einheit={STANDORT}&gruppe=u25"' in page
    page = as_user("ctl").get(f"/kundengruppen?monat={MONTH}&einheit={STANDORT}"
                              "&gruppe=u25").text
    data = monitor[STANDORT]
    team = next(u for u in data["units"] if u["unit_id"] == TEAM)
    assert cells(page, f'data-unit="{TEAM}"')["stock"] == i18n.num(team["figures"]["u25"]["stock"])
    # the teams add up to the Standort (with "ohne Zuordnung")
    assert sum(u["figures"]["u25"]["stock"] for u in data["units"]) == \
        data["figures"]["u25"]["stock"]
    team_page = as_user("ctl").get(f"/kundengruppen?monat={MONTH}&einheit={TEAM}").text
    assert 'id="einheiten-tabelle"' not in team_page  # a team is the lowest level
    assert as_user("ctl").get("/kundengruppen?einheit=nope").status_code == 404
    assert as_user("ctl").get("/kundengruppen?gruppe=nope").status_code == 404


def test_a_group_target_shows_its_light(as_user, app):
    page = as_user("ctl").get(f"/kundengruppen?monat={MONTH}&gruppe=lzb").text
    assert 'data-measure="integrations@lzb"' in page
    row = re.search(r'<tr data-measure="integrations@lzb">(.*?)</tr>', page, re.S).group(1)
    assert "300" in row and re.search(r'class="light (good|warn|bad)"', row)
    # the same record as the Zielnachhaltung's (amip targets status)
    from amip.web.targets import statuses
    from amip.engine.calendar import parse_month

    r = next(r for r in statuses(app.state.services, app.state.steering, parse_month(MONTH),
                                 expectation=False)
             if r.measure == "integrations@lzb" and r.unit_id is None)
    assert i18n.num(r.actual) in row and r.light in ("green", "yellow", "red")


def test_api_is_the_cli_json(as_user, monitor):
    r = as_user("ctl").get(f"/api/v1/groups?month={MONTH}")
    assert r.status_code == 200
    assert r.json() == monitor[None]
    r = as_user("ctl").get(f"/api/v1/groups?month={MONTH}&unit={STANDORT}")
    assert r.json() == monitor[STANDORT]
    t = as_user("ctl").get(f"/api/v1/groups/refugees/trend?month={MONTH}").json()
    assert t["trend"] == monitor[None]["trend"]["refugees"] and t["group"]["id"] == "refugees"
    assert as_user("ctl").get(f"/api/v1/groups/xx/trend?month={MONTH}").status_code == 404
    assert as_user("ctl").get(f"/api/v1/groups?month={MONTH}&unit=xx").status_code == 404
    assert as_user("ctl").get("/api/v1/groups?month=2020-13").status_code == 400


def small(v) -> bool:
    return isinstance(v, int) and 1 <= v <= 2


def test_lesezugriff_sees_no_small_count(as_user, monitor):
    data = as_user("lz").get(f"/api/v1/groups?month={MONTH}&unit={STANDORT}").json()
    blocks = [*data["figures"].values(), *(f for u in data["units"] for f in u["figures"].values()),
              *(t for s in data["trend"].values() for t in s)]
    counts = ("stock", "inflows", "outflows", "integrations", "integrations_12m")
    assert not any(small(b.get(k)) for b in blocks for k in counts)
    assert all("mean_stock_12m" not in b for b in blocks)
    hidden = [(b, k) for b in blocks for k in b["suppressed"]]
    assert hidden and all(b[k] is None for b, k in hidden)
    # the unprotected answer had small counts there
    raw = monitor[STANDORT]
    assert any(small(f.get(k)) for u in raw["units"] for f in u["figures"].values()
               for k in counts)
    page = as_user("lz").get(f"/kundengruppen?monat={MONTH}&einheit={STANDORT}").text
    assert 'title="Geheimhaltung: kleine Fallzahl">*</span>' in page
    assert "aus Gründen des Datenschutzes unterdrückt" in page


def test_excel_follows_the_page(as_user):
    from tests.web.test_dashboard_tools import column, workbook

    r = as_user("lz").get(f"/excel/kundengruppen.xlsx?monat={MONTH}&einheit={STANDORT}"
                          "&gruppe=lzb")
    assert r.status_code == 200
    sheets = workbook(r.content)
    assert {"kundengruppen", "verlauf", "einheiten"} <= set(sheets)
    page = as_user("lz").get(f"/kundengruppen?monat={MONTH}&einheit={STANDORT}").text
    stock = column(sheets["kundengruppen"], "Bestand")["Langzeitleistungsbeziehende (LZB)"]
    assert i18n.num(stock) == cells(page, 'data-group="lzb"')["stock"]
    assert len(column(sheets["verlauf"], "Bestand")) == 12
