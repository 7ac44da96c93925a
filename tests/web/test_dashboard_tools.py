"""The everyday dashboard tools (issue 11 item 4): the overview's month selector, the
Jahresfortschrittswert beside the monthly value, Excel of what a page shows, the glossary, the
loading indicator, and the Monatsbericht of Lesezugriff without the forecasts its pages hide."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

import pytest

from amip import i18n
from amip.engine.calendar import format_month, month_start, parse_month
from amip.engine.indicators import compute
from tests.web.test_pages import row

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def workbook(content: bytes) -> dict[str, dict[str, object]]:
    """Sheet name → {cell ref: value} of an XLSX (numbers as float, text as str)."""
    z = zipfile.ZipFile(io.BytesIO(content))
    strings = [si.findtext(".//m:t", "", NS) or "".join(t.text or "" for t in si.iter(
        f"{{{NS['m']}}}t")) for si in ElementTree.fromstring(
        z.read("xl/sharedStrings.xml")).findall("m:si", NS)] \
        if "xl/sharedStrings.xml" in z.namelist() else []
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = {r.get("Id"): r.get("Target") for r in ElementTree.fromstring(
        z.read("xl/_rels/workbook.xml.rels"))}
    out = {}
    for sheet in book.find("m:sheets", NS):
        xml = ElementTree.fromstring(z.read("xl/" + rels[sheet.get(RELS)].lstrip("/")
                                            .removeprefix("xl/")))
        cells = {}
        for c in xml.iter(f"{{{NS['m']}}}c"):
            v = c.findtext("m:v", None, NS)
            if v is None:
                continue
            cells[c.get("r")] = strings[int(v)] if c.get("t") == "s" else float(v)
        out[sheet.get("name")] = cells
    return out


def column(cells: dict[str, object], label: str) -> dict[str, object]:
    """Row label (column A) → the cell in the column headed ``label`` (row 3)."""
    col = next(ref[0] for ref, v in cells.items() if ref[1:] == "3" and v == label)
    out, n = {}, 4
    while f"A{n}" in cells:  # the table's rows, up to the empty row before its notes
        out[cells[f"A{n}"]] = cells.get(f"{col}{n}")
        n += 1
    return out


def engine(web_app, months, **kw):
    return web_app.state.services.query(compute, list(months), **kw)


# -- month selector -----------------------------------------------------------------------------


def test_the_overview_shows_a_chosen_month_and_defaults_to_the_latest(client_as, web_app, latest):
    c = client_as("ctl")
    m = parse_month("2019-06")
    k2 = next(r for r in engine(web_app, [m]) if r.code == "K2" and r.sex == "all")
    text = c.get("/?month=2019-06").text
    assert '<strong id="berichtsmonat">Juni 2019</strong>' in text
    assert '<option value="2019-06" selected>' in text  # the selection is kept
    assert i18n.pct(k2.value) in row(text, "row-K2")
    assert 'href="/excel/uebersicht.xlsx?month=2019-06"' in text
    default = c.get("/").text
    assert f'<option value="{latest}" selected>' in default
    assert i18n.month(month_start(parse_month(latest))) in default
    assert c.get("/?month=2019-13").status_code == 422
    assert c.get("/?month=2031-01").status_code == 404



@pytest.mark.parametrize("path", ["/", "/kennzahl/K2", "/kundengruppen"])
def test_month_selectors_run_from_the_last_to_the_first_month_with_figures(client_as, web_app,
                                                                          path):
    """Every month selector offers exactly the months with figures, newest first: the demo data
    (2009–2020) have figures over more than five years, so a fixed 60 months would cut them."""
    reach = web_app.state.services.horizon()
    first, last = reach.figure_range()
    assert last - first + 1 > 61  # the data reach further back than a fixed 60 months
    assert not reach.any_figure(first - 1) and not reach.any_figure(last + 1)
    text = client_as("ctl").get(path).text
    form = text.split('<form class="filters"', 1)[1].split("</select>", 1)[0]
    offered = re.findall(r'<option value="(\d{4}-\d{2})"', form)
    assert offered == [format_month(k) for k in range(last, first - 1, -1)], \
        (offered[:2], offered[-2:], format_month(first), format_month(last))


# -- Jahresfortschrittswert ---------------------------------------------------------------------


def test_the_jfw_stands_beside_the_monthly_value(client_as, web_app, latest):
    """The overview and the Kennzahl page show the engine's JFW (``amip indicators --jfw``) for
    the quotas; changes and rates have none."""
    m = parse_month(latest)
    jfw = {r.code: r.value for r in engine(web_app, [m], jfw=True) if r.sex == "all"}
    assert set(jfw) == {"K2", "K2E1", "K2E2", "K2E3", "K2E4", "K3E1"}
    text = client_as("ctl").get("/").text
    cell = re.compile(r'<td class="num jfw">([^<]*)</td>')
    assert cell.search(row(text, "row-K2")).group(1) == i18n.pct(jfw["K2"])
    assert cell.search(row(text, "row-K1")).group(1) == ""  # a change: no JFW
    assert cell.search(row(text, "row-K1E3")).group(1) == ""  # a rate: no JFW
    page = client_as("ctl").get(f"/kennzahl/K2?monat={latest}").text
    assert re.search(r'id="jfw">([^<]*)<', page).group(1) == i18n.pct(jfw["K2"])
    prev = next(r.value for r in engine(web_app, [m - 12], jfw=True)
                if r.code == "K2" and r.sex == "all")
    assert i18n.pct(prev) in page
    assert 'id="jfw"' not in client_as("ctl").get(f"/kennzahl/K1?monat={latest}").text


def test_lesezugriff_sees_the_jfw_under_disclosure_control(client_as, latest):
    """The JFW of a whole Jobcenter has large counts: Lesezugriff sees the same value."""
    lz, ctl = client_as("lz").get("/").text, client_as("ctl").get("/").text
    cell = re.compile(r'<td class="num jfw">([^<]*)</td>')
    assert cell.search(row(lz, "row-K2")).group(1) == cell.search(row(ctl, "row-K2")).group(1)


# -- Excel ----------------------------------------------------------------------------------------


def test_the_overview_as_excel_holds_real_numbers(client_as, web_app, latest):
    m = parse_month(latest)
    r = client_as("ctl").get(f"/excel/uebersicht.xlsx?month={latest}")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert f'filename="uebersicht-{latest}.xlsx"' in r.headers["content-disposition"]
    sheets = workbook(r.content)
    assert list(sheets) == ["Definitionen", "kennzahlen"]
    label = i18n.month(month_start(m))
    values = column(sheets["kennzahlen"], f"{label} in %")
    jfws = column(sheets["kennzahlen"], "JFW in %")
    by = {x.code: x for x in engine(web_app, [m]) if x.sex == "all"}
    jfw = {x.code: x.value for x in engine(web_app, [m], jfw=True) if x.sex == "all"}
    name = load_name("K2")
    assert values[f"K2 {name}"] == pytest.approx(by["K2"].value)  # a number, not text
    assert jfws[f"K2 {name}"] == pytest.approx(jfw["K2"])
    assert jfws[f"K1 {load_name('K1')}"] is None


def load_name(code: str) -> str:
    from amip.catalogue import load

    return load().indicators[code].name


def test_a_kennzahl_page_as_excel_has_series_sexes_and_units(client_as, web_app, latest):
    m = parse_month(latest)
    r = client_as("gf").get(f"/excel/kennzahl/K2.xlsx?monat={latest}")
    assert r.status_code == 200
    sheets = workbook(r.content)
    assert {"zeitreihe", "geschlecht", "jfw", "einheiten"} <= set(sheets)
    series = column(sheets["zeitreihe"], "Zähler")
    label = i18n.month(month_start(m))
    k2 = next(x for x in engine(web_app, [m]) if x.code == "K2" and x.sex == "all")
    assert series[label] == k2.numerator
    assert len(series) == 24
    units = column(sheets["einheiten"], "Wert in %")
    page = client_as("gf").get(f"/kennzahl/K2/einheiten?monat={latest}").text
    names = re.findall(r'class="unit-link"[^>]*>([^<]+)<', page)
    # the page's three Standorte and its "ohne Zuordnung" row (persons without a team)
    assert sorted(units) == sorted(names + ["ohne Zuordnung"]) and len(names) == 3
    assert all(isinstance(v, float) for v in units.values())


def test_excel_hides_for_lesezugriff_what_the_page_hides(client_as, latest):
    """A team's small counts are ``*`` on the page and in the workbook, in the same cells."""
    path = f"K2E4.xlsx?monat={latest}&einheit=03504-hz"
    page = client_as("lz").get(f"/kennzahl/K2E4/einheiten?monat={latest}&einheit=03504-hz").text
    stars = page.count(">*<")
    assert stars > 0
    sheets = workbook(client_as("lz").get(f"/excel/kennzahl/{path}").content)
    units = sheets["einheiten"]
    assert sum(1 for ref, v in units.items() if v == "*" and ref[0] in "BCDE") == stars
    internal = workbook(client_as("gf").get(f"/excel/kennzahl/{path}").content)["einheiten"]
    assert "*" not in internal.values()


def test_kundengruppen_as_excel(client_as, latest):
    r = client_as("ctl").get(f"/excel/kundengruppen.xlsx?monat={latest}")
    assert r.status_code == 200
    sheets = workbook(r.content)
    page = client_as("ctl").get(f"/kundengruppen?monat={latest}").text
    lzb = re.search(r'<tr data-group="lzb"[^>]*>.*?<td class="num" data-figure="stock">'
                    r'([^<]*)</td>', page, re.S).group(1)
    stock = column(sheets["kundengruppen"], "Bestand")["Langzeitleistungsbeziehende (LZB)"]
    assert i18n.num(stock) == lzb
    assert len(column(sheets["verlauf"], "Zugänge")) == 12
    assert 'href="/excel/kundengruppen.xlsx?monat=' in page


def test_excel_needs_a_login_and_a_known_month(anonymous, client_as):
    assert anonymous.get("/excel/uebersicht.xlsx", follow_redirects=False).status_code in (303, 401)
    assert client_as("ctl").get("/excel/uebersicht.xlsx?month=2031-01").status_code == 404
    assert client_as("ctl").get("/excel/kennzahl/K99.xlsx").status_code == 404


# -- glossary -----------------------------------------------------------------------------------


def test_the_glossary_explains_the_terms_from_the_catalogue(client_as):
    from amip.catalogue import load

    cat = load()
    text = client_as("lz").get("/glossar").text
    for anchor, term in (("elb", "ELB"), ("bg", "BG"), ("lzb", "LZB"),
                         ("integrationsquote", "Integrationsquote"), ("stichtag", "Stichtag"),
                         ("jfw", "JFW"), ("datenstand", "Datenstand"), ("wartezeit", "Wartezeit")):
        assert re.search(rf'<dt id="{anchor}">[^<]*{term}', text), anchor
    for code, ind in cat.indicators.items():  # every measure, with its definition
        assert f'<dt id="{code.lower()}">{code} – {ind.name}</dt>' in text
        assert ind.description in text
    p = cat.parameters  # parameters filled in from parameters.toml
    assert f"an mindestens {p.lzb_threshold_days} Tagen" in text
    assert f"der {p.stichtag_day}. des Monats" in text
    assert "{" not in text.split("<main>")[1]
    assert 'href="/glossar"' in client_as("lz").get("/").text  # in the navigation
    assert 'href="/glossar#k2"' in client_as("lz").get("/kennzahl/K2").text


# -- loading indicator ----------------------------------------------------------------------------


def test_the_lazily_loaded_drill_down_has_a_loading_indicator(client_as, anonymous):
    text = client_as("ctl").get("/kennzahl/K2").text
    target = re.search(r'hx-indicator="#([\w-]+)"', text).group(1)
    assert re.search(rf'id="{target}"[^>]*>\s*<span class="spinner"', text)
    css = anonymous.get("/static/amip.css").text
    assert "@keyframes amip-spin" in css and ".chart[data-spec]:not([data-rendered])" in css


# -- the Monatsbericht follows the role -----------------------------------------------------------


def test_lesezugriffs_monatsbericht_has_no_forecasts_as_its_pages(client_as):
    """The pages hide forecasts from Lesezugriff (test_pages.test_lesezugriff_gets_no_forecast);
    so does its Monatsbericht, while Controlling's has them."""
    lz = workbook(client_as("lz").get("/berichte/monatsbericht-2020-11.xlsx").content)
    ctl = workbook(client_as("ctl").get("/berichte/monatsbericht-2020-11.xlsx").content)
    assert "k2-prognose" in ctl and "abb_k2-prognose" in ctl
    assert not any("prognose" in name for name in lz)
    assert "kennzahlen" in lz and "jahresfortschritt" in lz
