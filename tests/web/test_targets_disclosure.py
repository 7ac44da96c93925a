"""Disclosure control of the target status outside the Ziele page (issue 12 item 3): a role with
``disclosure = true`` (Lesezugriff) sees a small count of persons hidden in the overview's Ziel
light and in ``/api/v1/targets/status`` as on the Ziele page; Controlling sees it.

The case: a Jobcenter whose LZB stock (K3) in June 2020 is 2 persons — p01 and p02, ELB since
2015 (21 of 24 months and more) — beside ten persons ELB since December 2019 (7 months: no LZB);
its 2020 targets: K3 −10 %, and the LZB customer group's stock (``stock@lzb``, the same two
persons) −10 %."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from amip.store import Store
from tests.engine.builder import JC, Ex
from tests.web.conftest import login

MONTH = "2020-06"


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    from amip.steering import known_jobcenters, known_units
    from amip.web.app import create_app
    from amip.web.settings import Settings

    ex = Ex()
    ex.unit("u0", None, "jobcenter").unit("s1", "u0", "standort").unit("t1", "s1", "team")
    for p in ("p01", "p02"):
        ex.elb(p, "2015-01-01").caseload(p, "t1", "2015-01-01")
    for i in range(3, 13):
        p = f"p{i:02d}"
        ex.elb(p, "2019-12-01").caseload(p, "t1", "2019-12-01")
    folder = tmp_path_factory.mktemp("small")
    path = folder / "amip.duckdb"
    with Store.open(path) as s:
        s.import_tables(ex.tables(), source="small", description=ex.description)
    app = create_app(Settings(store=str(path), secure_cookies=False,
                              steering_url=f"sqlite:///{folder / 'steering.sqlite'}",
                              users_db=str(folder / "users.sqlite")))
    csv = folder / "targets.csv"
    csv.write_text("jobcenter_id;unit_id;year;measure;sex;value;status;source;note\n"
                   f"{JC};;2020;K3;all;-10;vereinbart;Programm;\n"
                   f"{JC};;2020;stock@lzb;all;-10;vereinbart;Programm;\n", encoding="utf-8")
    with Store.open(path, read_only=True) as s:
        view = s.view()
        app.state.steering.import_targets(csv, "test", None, known_units(view),
                                          known_jobcenters(view))
    out = {}
    for name, role in (("ctl", "controlling"), ("lz", "lesezugriff")):
        password = app.state.users.add_user(name, role, None, None)
        out[name] = TestClient(app)
        assert login(out[name], name, password).status_code == 303
    yield out
    app.state.services.close()
    app.state.users.close()
    app.state.steering.close()


def k3_light(client) -> tuple[str, str]:
    html = client.get(f"/?month={MONTH}").text
    cell = re.search(r'id="row-K3".*?data-light="([a-z]+)"><span class="light [a-z]+" '
                     r'title="([^"]+)"', html, re.S)
    assert cell, html[:500]
    return cell.group(1), unescape(cell.group(2))


def k3_api(client) -> dict:
    r = client.get(f"/api/v1/targets/status?month={MONTH}")
    assert r.status_code == 200, r.text
    return next(x for x in r.json() if x["measure"] == "K3" and x["unit_id"] is None
                and x["sex"] == "all")


def test_controlling_sees_the_small_count(clients):
    rec = k3_api(clients["ctl"])
    # S(Jun 2020) = 2; Zielpfad = S(Dec 2019) × (1 − 10 % × 6/12) = 2 × 0.95 = 1.9
    assert rec["actual"] == 2 and rec["path"] == pytest.approx(1.9)
    assert rec["light"] == "red" and "suppressed" not in rec
    light, title = k3_light(clients["ctl"])
    assert light == "bad" and "Ist 2" in title


def test_lesezugriff_sees_it_suppressed_in_the_overview_and_the_api(clients):
    rec = k3_api(clients["lz"])
    assert rec["suppressed"] is True
    assert rec["actual"] is None and rec["gap"] is None and rec["gap_percent"] is None
    assert rec["light"] == "grey"
    assert rec["target"] == -10 and rec["path"] == pytest.approx(1.9)  # agreed figures stay
    light, title = k3_light(clients["lz"])
    assert light == "none" and "geheim" in title and "Ist 2" not in title


def group_light(client) -> tuple[str, str]:
    html = client.get(f"/kundengruppen?monat={MONTH}&gruppe=lzb").text
    cell = re.search(r'<span class="light ([a-z]+)" data-measure="stock@lzb" title="([^"]+)"',
                     html)
    assert cell, html[:500]
    return cell.group(1), unescape(cell.group(2))


def test_the_customer_groups_target_light_too(clients):
    cls, title = group_light(clients["ctl"])
    assert cls != "none" and "Ist 2" in title
    cls, title = group_light(clients["lz"])
    assert cls == "none" and "geheim" in title and "Ist 2" not in title
