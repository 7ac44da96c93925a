"""Renderers: HTML, PDF (WeasyPrint), XLSX and CSV of a small hand-made report."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
import zipfile

import pytest

from amip import charts
from amip.reports.export import write_all, write_csv, write_xlsx
from amip.reports.model import Chart, Column, Report, ReportTable, Row, Section, Text
from amip.reports.render_html import render_html

POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts")


def make_report() -> Report:
    elb = [{"jahr": str(y), "elb": v, "art": "Ist"} for y, v in
           zip(range(2010, 2020), [9812, 9401, 8932, 8310, 7904, 7433, 7021, 6544, 5931, 5485])]
    elb.append({"jahr": "2020", "elb": 5200, "art": "Plan"})
    table = ReportTable(
        id="alo_personengruppen",
        title="Arbeitslose nach Personengruppen, September 2019",
        stub="Personengruppe",
        columns=[Column("Anzahl", "count"), Column("Anteil", "pct", derived_from=0),
                 Column("Veränderung zum Vorjahr", "change_pct"),
                 Column("Kosten", "eur")],
        rows=[
            Row("Arbeitslose insgesamt", [5485, 100.0, -3.4, 7053067], total=True),
            Row("Männer", [3060, 55.8, 1.2, 3900000], level=1),
            Row("Frauen", [2425, 44.2, -8.0, 3153067], level=1),
            Row("Schwerbehinderte", [2, 0.0, 0.0, 1200], level=0, suppressed={0, 1}),
        ],
        source="Statistik der BA, eigene Berechnung",
        note="Anteil an allen Arbeitslosen.",
    )
    chart = Chart(id="elb_jdw", title="Erwerbsfähige Leistungsberechtigte (ELB), Jahresdurchschnitt",
                  spec=charts.bar_series(elb, "jahr", "elb", scenario="art"), data=elb,
                  source="Statistik der BA, eigene Darstellung")
    return Report(
        kind="programme", title="Arbeitsmarkt- und Integrationsprogramm",
        subtitle="des Jobcenters Elbe-Elster für das Jahr 2020", jobcenter_id="12062",
        jobcenter_name="Elbe-Elster", period="2020", data_date=dt.date(2019, 11, 14),
        public=True, created=dt.date(2019, 11, 20),
        definitions=[("ELB", "Erwerbsfähige Leistungsberechtigte nach § 7 SGB II."),
                     ("JDW", "Jahresdurchschnittswert: Mittel der zwölf Monatswerte.")],
        sections=[
            Section("1", "Grundsicherung für Arbeitsuchende im Landkreis", blocks=[
                Text("Im Jahresdurchschnitt 2019 waren **5.485** erwerbsfähige "
                     "Leistungsberechtigte auf Leistungen angewiesen.\n\n- erstens\n- zweitens"),
                chart, table]),
            Section("2", "Ressourcen", sections=[
                Section("2.1", "Eingliederungsleistungen",
                        placeholder="Die Budgetdaten (Eingliederungstitel) sind noch nicht "
                                    "importiert."),
            ]),
        ],
    )


@pytest.fixture(scope="module")
def report() -> Report:
    return make_report()


@pytest.fixture(scope="module")
def html(report) -> str:
    return render_html(report)


def test_html_german_numbers_and_suppression(html):
    assert "5.485" in html
    assert "55,8\u00a0%" in html
    assert "+1,2\u00a0%" in html and "\u22123,4\u00a0%" in html and "\u22128,0\u00a0%" in html
    assert "7.053.067\u00a0€" in html
    assert '<td class="num supp">*</td>' in html
    assert "Wert aus Gründen des Datenschutzes nicht ausgewiesen" in html
    assert 'class="lvl1"' in html and 'class="total"' in html
    assert "Für diesen Abschnitt liegen noch keine Daten vor:" in html
    assert "Quelle: Statistik der BA, eigene Berechnung" in html
    assert "Stand: 14.11.2019" in html
    assert "<strong>5.485</strong>" in html and "<li>zweitens</li>" in html


def test_html_structure(html):
    assert html.count("<svg") == 1
    for ident in ("abschnitt-1", "abschnitt-2", "abschnitt-2-1", "anhang-definitionen"):
        assert f'href="#{ident}"' in html and f'id="{ident}"' in html
    assert "Tabelle 1: Arbeitslose nach Personengruppen" in html
    assert "Abbildung 1: Erwerbsfähige Leistungsberechtigte" in html
    assert "<dt>ELB</dt>" in html


def test_html_has_no_external_urls(html):
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "<link" not in html and "<script" not in html


def test_chart_svg_offline():
    svg = charts.to_svg(charts.share_bars(
        [{"i": "Weiterbildung", "a": 22.0}, {"i": "Aktivierung", "a": 31.5}], "i", "a"), "t")
    assert "31,5\u00a0%" in svg and 'font-family="DejaVu Sans"' in svg
    assert set(re.findall(r"https?://[^\s\"'<>)]+", svg)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_markdown_escapes_raw_html(report):
    from amip.reports.render_html import markdown
    assert "<script>" not in markdown("a <script>alert(1)</script>")


@pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")
def test_pdf(report, html, tmp_path):
    from amip.reports.render_pdf import render_pdf
    pdf = tmp_path / "r.pdf"
    render_pdf(report, pdf, html=html)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = re.findall(r"Seite (\d+) von (\d+)", text)
    assert pages and pages[0] == ("1", pages[0][1]) and int(pages[0][1]) >= 4
    assert "Arbeitsmarkt- und Integrationsprogramm" in text
    assert "Inhaltsverzeichnis" in text
    toc = text.split("Inhaltsverzeichnis", 1)[1]
    assert re.search(r"Grundsicherung für Arbeitsuchende im Landkreis[ .]+\d+", toc)
    assert re.search(r"2\.1\s+Eingliederungsleistungen[ .]+\d+", toc)
    for s in ("5.485", "55,8 %", "−3,4 %", "7.053.067 €", "Quelle: Statistik der BA",
              "Für diesen Abschnitt liegen noch keine Daten vor", "9.812"):
        assert s in text.replace("\u00a0", " "), s
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts
    assert any("DejaVu-Sans" in line for line in fonts)


def test_xlsx(report, tmp_path):
    path = write_xlsx(report, tmp_path / "r.xlsx")
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        sheets = re.findall(r'<sheet name="([^"]+)"', workbook)
        assert sheets[0] == "Definitionen" and "alo_personengruppen" in sheets
        assert any(s.startswith("abb_elb_jdw") or s == "elb_jdw" for s in sheets)
        n = sheets.index("alo_personengruppen") + 1
        xml = z.read(f"xl/worksheets/sheet{n}.xml").decode()
        strings = z.read("xl/sharedStrings.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert "<v>5485</v>" in xml and "<v>7053067</v>" in xml
    values = [float(v) for v in re.findall(r"<v>([-0-9.E]+)</v>", xml)]
    assert pytest.approx(0.558) in values  # percent as a fraction, shown as 55,8 % by Excel
    assert pytest.approx(-0.034) in values
    assert "Datenstand" in strings and "14.11.2019" in strings and "Elbe-Elster" in strings
    assert "<t>*</t>" in strings and "Quelle: Statistik der BA, eigene Berechnung" in strings
    assert 'formatCode="#,##0"' in styles and "0.0%" in styles


def test_csv(report, tmp_path):
    paths = write_csv(report, tmp_path / "csv")
    names = sorted(p.name for p in paths)
    assert names == ["abb_elb_jdw.csv", "alo_personengruppen.csv"]
    raw = (tmp_path / "csv" / "alo_personengruppen.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][0] == "Personengruppe" and rows[0][2] == "Anteil (%)"
    assert rows[1] == ["Arbeitslose insgesamt", "5485", "100,0", "-3,4", "7053067"]
    assert rows[2][0] == "  Männer" and rows[2][2] == "55,8"
    assert rows[4][:3] == ["Schwerbehinderte", "*", "*"]


def test_write_all_refuses_overwrite(report, tmp_path):
    out = write_all(report, tmp_path, "programm-2020", formats={"html", "xlsx", "csv"})
    assert set(out) == {"html", "xlsx", "csv"}
    assert (tmp_path / "programm-2020.html").exists() and (tmp_path / "csv").is_dir()
    before = (tmp_path / "programm-2020.html").stat().st_mtime_ns
    with pytest.raises(FileExistsError):
        write_all(report, tmp_path, "programm-2020", formats={"html"})
    assert (tmp_path / "programm-2020.html").stat().st_mtime_ns == before
    write_all(report, tmp_path, "programm-2020", formats={"html"}, overwrite=True)


def test_chart_with_remote_data_is_refused():
    spec = {"data": {"url": "https://example.org/data.csv"}, "mark": "bar",
            "encoding": {"x": {"field": "a", "type": "nominal"}}}
    with pytest.raises(ValueError, match="remote"):
        charts.to_svg(spec)


def test_all_chart_helpers_render():
    rows = [{"monat": dt.date(2019, m, 1), "wert": 100 + m} for m in range(1, 13)]
    fc = [{"monat": dt.date(2020, m, 1), "wert": 110 - m, "untere": 100 - m, "obere": 120 - m}
          for m in range(1, 4)]
    svg = charts.to_svg(charts.line_series(rows, plan=rows[6:], forecast=fc), "l")
    assert "Prognose" in svg and "Plan" in svg and "Ist" in svg
    grp = [{"g": g, "j": j, "v": v} for g, j, v in
           [("Männer", "Vorjahr", 55.8), ("Männer", "Ist", 54.1), ("Frauen", "Vorjahr", 44.2),
            ("Frauen", "Ist", 45.9)]]
    assert "45,9\u00a0%" in charts.to_svg(charts.grouped_bars(grp, "g", "v", "j", kind="pct"))
    bars = [{"jahr": "2019", "elb": 5485, "art": "Ist"}, {"jahr": "2020", "elb": 5200,
                                                          "art": "Prognose"}]
    svg = charts.to_svg(charts.bar_series(bars, "jahr", "elb", scenario="art"), "b")
    assert "5.485" in svg and 'fill="url(#b-hatch)"' in svg


def test_chart_helpers_give_valid_vega_lite():
    """Rendering skips Altair's schema validation for speed; here every helper's spec is
    validated against the Vega-Lite schema (an invalid one raises)."""
    rows = [{"monat": dt.date(2019, m, 1), "wert": 100 + m} for m in range(1, 13)]
    fc = [{"monat": dt.date(2020, 1, 1), "wert": 110, "untere": 100, "obere": 120}]
    specs = [
        charts.line_series(rows, plan=rows[6:], forecast=fc, kind="pct"),
        charts.line_series(rows, kind="eur", zero=True),
        charts.grouped_bars([{"g": "Männer", "j": "Ist", "v": 1.0}], "g", "v", "j", kind="pct"),
        charts.bar_series([{"jahr": "2019", "elb": 5485, "art": "Ist"}], "jahr", "elb",
                          scenario="art"),
        charts.share_bars([{"k": "U25", "v": 12.5}], "k", "v"),
    ]
    for chart in specs:
        assert charts.spec_of(chart, validate=True)["$schema"].startswith(
            "https://vega.github.io/schema/vega-lite/")
    broken = charts.bar_series([{"jahr": "2019", "elb": 1}], "jahr", "elb")
    broken.width = "no-such-width"
    with pytest.raises(Exception, match="no-such-width"):
        charts.spec_of(broken, validate=True)


def test_by_kind_formats():
    from amip import i18n
    assert i18n.by_kind(5485, "count") == "5.485"
    assert i18n.by_kind(23.4, "pct") == "23,4\u00a0%"
    assert i18n.by_kind(1.2, "change_pct") == "+1,2\u00a0%"
    assert i18n.by_kind(-3.4, "change_pct") == "\u22123,4\u00a0%"
    assert i18n.by_kind(-0.01, "change_pct") == "0,0\u00a0%"
    assert i18n.by_kind(7053067, "eur") == "7.053.067\u00a0€"
    assert i18n.by_kind(-45, "count") == "\u221245"
    assert i18n.by_kind(None, "count") == "–"


def test_sheet_names_are_unique_and_short():
    from amip.reports.export import sheet_names
    r = make_report()
    long = "x" * 40
    r.sections[0].blocks += [ReportTable(long, "A", [Column("n")], [Row("a", [1])]),
                             ReportTable(long + "y", "B", [Column("n")], [Row("a", [1])]),
                             ReportTable("a/b:c", "C", [Column("n")], [Row("a", [1])])]
    names = list(sheet_names(r).values())
    assert len(set(n.lower() for n in names)) == len(names)
    assert all(len(n) <= 31 for n in names) and "a_b_c" in names


def test_monthly_period_on_title_page():
    r = make_report()
    r.kind, r.period, r.subtitle = "monthly", "2020-06", "Kennzahlen"
    assert "Berichtsmonat Juni 2020" in render_html(r)
