"""The drill-down table adds up (with its "ohne Zuordnung" row), follows the sex tab, and the
rule change of K2E3 (VO 2019, first month April 2019) is marked in the chart and in the change
columns."""

from __future__ import annotations

import html
import json
import re

from amip import i18n
from amip.engine.calendar import format_month, parse_month
from amip.engine.indicators import compute


def cells(text: str) -> dict[str, list[str]]:
    """unit id -> the row's cell texts (Zähler, Nenner, Wert, Vorjahr, Veränderung)."""
    out = {}
    for unit, body in re.findall(r'<tr[^>]*data-unit="([^"]+)"[^>]*>(.*?)</tr>', text, re.S):
        out[unit] = [re.sub(r"<[^>]+>", "", c).strip()
                     for c in re.findall(r'<td class="num"[^>]*>(.*?)</td>', body, re.S)]
    return out


def number(s: str) -> float:
    return float(s.replace("\u00a0€", "").replace(".", "").replace(",", "."))


def test_standorte_and_ohne_zuordnung_add_up_to_the_jobcenter_k1(client_as, web_app, latest):
    """K1 (euros): the Standorte alone fall short of the Jobcenter (persons without a team);
    with the row "ohne Zuordnung" Zähler and Nenner add up to the total row."""
    text = client_as("gf").get(f"/kennzahl/K1/einheiten?monat={latest}").text
    rows = cells(text)
    unassigned = [u for u in rows if u.endswith("~ohne-zuordnung")]
    assert len(unassigned) == 1 and "ohne Zuordnung" in text
    total_id = unassigned[0].removesuffix("~ohne-zuordnung")
    parts = [u for u in rows if u != total_id]
    for col in (0, 1):  # Zähler, Nenner (whole euros)
        total = number(rows[total_id][col])
        standorte = sum(number(rows[u][col]) for u in parts if u not in unassigned)
        assert standorte < total
        assert abs(sum(number(rows[u][col]) for u in parts) - total) <= len(parts)  # rounding


def test_unit_table_follows_the_sex_tab(client_as, web_app, latest):
    services = web_app.state.services
    m = parse_month(latest)
    text = client_as("gf").get(f"/kennzahl/K2/einheiten?monat={latest}&geschlecht=w").text
    rows = cells(text)
    standort = next(u for u in rows if "~" not in u and "-" in u)
    k2w = next(r for r in services.query(compute, [m], None, standort)
               if r.code == "K2" and r.sex == "w")
    assert rows[standort][2] == i18n.pct(k2w.value)
    assert "Frauen" in text
    page = client_as("gf").get(f"/kennzahl/K2?monat={latest}&geschlecht=w").text
    assert re.search(r'hx-get="/kennzahl/K2/einheiten\?monat=[^"]*geschlecht=w"', page)


def test_k2e3_rule_change_is_marked_and_not_compared(client_as):
    """April 2019 is the first month under VO 2019 (Stichtag after 22.03.2019): its chart has a
    rule at April 2019; April 2019 against April 2018 (VO 2010) shows no change, with a reason."""
    page = client_as("gf").get("/kennzahl/K2E3?monat=2019-06").text
    spec = json.loads(html.unescape(re.search(r'id="verlauf" data-spec="([^"]*)"', page).group(1)))
    rules = [layer for layer in spec["layer"]
             if layer.get("mark", {}).get("type") in ("rule", "text")
             and "Regeländerung" in json.dumps(layer, ensure_ascii=False)]
    assert rules and "2019-04-01" in json.dumps(spec)
    assert "Keine Veränderung ausweisbar" in page and "VO 2019" in page
    assert "Arbeitslosengeld II" in page  # the benefit's name in force in June 2019
    table = re.search(r'<table id="zeitreihe">.*?</table>', page, re.S).group(0)
    assert len(re.findall(r"Regeländerung \(VO 2019\)", table)) == 1  # April 2019's row
    units = client_as("gf").get("/kennzahl/K2E3/einheiten?monat=2019-06").text
    assert all(row[4] == "–" for row in cells(units).values())
    assert "Keine Veränderung ausweisbar" in units
    # a month whose year before is under the same rules compares as before
    later = client_as("gf").get("/kennzahl/K2E3/einheiten?monat=2020-06").text
    assert "Keine Veränderung ausweisbar" not in later
    assert any(row[4] != "–" for row in cells(later).values())
    # K2 was not redefined: no mark, the change is shown
    k2 = client_as("gf").get("/kennzahl/K2?monat=2019-06").text
    assert "Regeländerung" not in k2 and format_month(parse_month("2019-06"))
