"""The programme: chapters of the 2020 programme, numbers equal to the engine's, small cells hidden."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from amip import i18n
from amip.engine.calendar import parse_month
from amip.engine.indicators import compute
from amip.reports.disclosure import protect
from amip.reports.export import write_all
from amip.reports.figures import programme_figures
from amip.reports.programme import build, load_texts, placeholders, render_texts
from tests.conftest import edit

CHAPTERS = ["Vorwort", "1 Grundsicherung für Arbeitsuchende im Landkreis",
            "2 Angebot und Nachfrage auf dem Arbeitsmarkt", "3 Ziele im Jobcenter Elbe-Elster",
            "4 Ressourcen", "5 Operative Schwerpunkte", "6 Rechtmäßigkeit und Qualität",
            "7 Zusammenarbeit", "8 Schlussbemerkungen"]


@pytest.fixture(scope="module")
def figures(default_store):
    return programme_figures(default_store.view(), 2020)


@pytest.fixture(scope="module")
def pdf_text(figures, tmp_path_factory):
    report = build(figures)
    protect(report)
    out = tmp_path_factory.mktemp("programme")
    paths = write_all(report, out, "programm-2020", formats=("pdf",))
    text = subprocess.run(["pdftotext", "-layout", str(paths["pdf"]), "-"], check=True,
                          capture_output=True, text=True).stdout
    return " ".join(text.split())  # one line, single spaces: numbers wrap differently


def test_the_chapters_of_the_2020_programme_in_order(pdf_text):
    body = pdf_text.split("Vorwort", 2)[-1]  # after the Inhaltsverzeichnis
    positions = [pdf_text.find(c, len(pdf_text) - len(body) - len("Vorwort")) for c in CHAPTERS]
    assert all(p >= 0 for p in positions), dict(zip(CHAPTERS, positions))
    assert positions == sorted(positions)
    assert "Inhaltsverzeichnis" in pdf_text and "Seite 1 von" in pdf_text


def test_key_figures_equal_the_engine(default_store, figures, pdf_text):
    view = default_store.view()
    dec = [r for r in compute(view, [parse_month("2019-12")]) if r.sex == "all"]
    k2 = next(r for r in dec if r.code == "K2")
    text = pdf_text.replace(i18n.NBSP, " ")
    shown = i18n.pct(k2.value).replace(i18n.NBSP, " ")
    assert f"Integrationsquote lag bei {shown} ({i18n.num(k2.numerator)} Integrationen)" in text
    # the indicator table shows the engine's K2 value and the ELB stock (K1E2 numerator)
    k1e2 = next(r for r in dec if r.code == "K1E2")
    assert i18n.num(k1e2.numerator) in pdf_text
    # ELB Jahresdurchschnitt 2019: the mean of the 12 Stichtag stocks of the engine
    stocks = [next(r for r in compute(view, [parse_month(f"2019-{m:02d}")], codes=["K1E2"])
                   if r.sex == "all").numerator for m in range(1, 13)]
    jdw = sum(stocks) / 12
    assert figures.jdw[2019]["elb"] == pytest.approx(jdw)
    assert f"waren im Jobcenter Elbe-Elster {i18n.num(jdw)} erwerbsfähige" in pdf_text


def test_arbeitslose_table_matches_the_stock(default_store, figures, pdf_text):
    from amip.engine import stocks

    day = stocks.stichtag(2019, 12)
    assert figures.unemployed["now"]["total"] == stocks.count(stocks.unemployed(
        default_store.view(), day, "03504"))
    assert f"Arbeitslose insgesamt {i18n.num(figures.unemployed['now']['total'])}" in pdf_text


def test_budget_and_targets_sections(pdf_text):
    assert "Verwaltungskosten (VK) 9.069.867 € 8.581.009 €" in pdf_text.replace(i18n.NBSP, " ")
    assert "Für diesen Abschnitt liegen noch keine Daten vor" in pdf_text  # 3.2 Lokale Ziele


def test_small_cells_are_suppressed_in_a_small_jobcenter(tmp_path):
    """A Jobcenter a fiftieth of Elbe-Elster's size has counts of 1 and 2: they are hidden."""
    from amip.store import Store
    from amip.synth import generate

    store = Store.memory()
    store.import_tables(generate(scale=0.02, start=dt.date(2017, 1, 1)), source="small")
    report = build(programme_figures(store.view(), 2020))
    hidden = protect(report)
    assert hidden > 0
    for table in report.tables():
        if not table.public:
            continue
        for row in table.rows:
            for i, col in enumerate(table.columns):
                if col.kind == "count" and i not in row.suppressed:
                    assert row.values[i] not in (1, 2), (table.id, row.label)
    paths = write_all(report, tmp_path, "klein", formats=("pdf", "csv"))
    text = subprocess.run(["pdftotext", str(paths["pdf"]), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Datenschutz" in text
    csv_text = "".join(p.read_text(encoding="utf-8-sig") for p in paths["csv"].glob("*.csv"))
    assert "*" in csv_text


def test_an_unknown_placeholder_names_the_file(figures):
    from amip.reports.programme import placeholders

    texts = load_texts()
    texts["01_grundsicherung"] += "{{ elb.jdw_typo }}"
    with pytest.raises(ValueError, match=r"text 01_grundsicherung.md: unknown placeholder"):
        render_texts(texts, placeholders(figures))


def test_a_store_with_little_data_gives_a_programme_with_grey_boxes(extract):
    """Three persons, one benefit month each, no budget (tests/conftest.BASE_EXTRACT): every
    text's placeholders still exist (the three largest EGL instruments are "–"), and the
    budget chapters show their "no data" box instead of a text about missing figures."""
    from amip.store import Store

    store = Store.memory()
    # p1's spell recorded in January 2020: the ELB data reach December 2019, the reference month
    store.import_extract(extract(edit("elb_spells", "p1,b1,03504,elb,head,2019-01-01,,2019-01-03",
                                      "p1,b1,03504,elb,head,2019-01-01,,2020-01-20")))
    report = build(programme_figures(store.view(), 2020))
    chapter4 = next(s for s in report.sections if s.number == "4")
    assert chapter4.blocks == [] and "keine Budgetdaten" in chapter4.placeholder
    assert chapter4.sections[0].blocks == [] and chapter4.sections[0].placeholder
    texts = render_texts(load_texts(), placeholders(programme_figures(store.view(), 2020)))
    assert "– (–), – (–) und" in texts["04_eingliederung"]


def test_chapter_6_is_run_quality_of_the_reference_year(default_store, figures):
    """Chapter 6: the case-file error rates and the data-quality rules of January..December
    2019 are exactly ``run_quality`` (as `amip quality --month 2019-12`), no separate path."""
    from amip.engine.quality_rules import run_quality

    want = run_quality(default_store.view(), parse_month("2019-12"), figures.jobcenter_id,
                       by_team=False)
    report = build(figures)
    tables_ = {t.id: t for t in report.tables()}
    rules = {r.label: r.values for r in tables_["pruefregeln"].rows}
    for r in want.results:
        if r.rates is None:
            assert rules[r.rule.name][1] == r.flagged
    rates = {r.label: r.values for r in tables_["qualitaet"].rows}
    for r in want.results:
        if r.rates:
            assert rates[r.rule.name][2] == pytest.approx(r.error_rate())
            assert rates[r.rule.name][3] == 5.0
    texts = render_texts(load_texts(), placeholders(figures))
    chapter = " ".join(texts["06_qualitaet"].split())
    assert "Regeln der Datenqualität meldeten im Jahr 2019" in chapter


def test_chapter_4_is_the_engine_comparison(default_store, figures):
    """Seed table 4 comes from amip.engine.budget.comparison (one core), in the seed's order,
    with the seed's figures; the EGL distribution from status and distribution."""
    from amip.engine.budget import comparison, distribution, status
    from amip.reports.programme import budget_table, egl_chart

    view = default_store.view()
    rows = {r.key: r for r in comparison(view, 2019, 2020)}
    table = budget_table(figures)
    assert [r.label for r in table.rows] == ["Verwaltungskosten (VK)",
                                              "Eingliederungsleistungen (EGL)", "Gesamtbudget",
                                              "Kommunaler Finanzierungsanteil (15,2 % der VK "
                                              "insgesamt)"]
    for row, key in zip(table.rows, ("vk", "egl", "gesamtbudget", "kfa")):
        r = rows[key]
        assert row.values == [r.before, r.now, r.delta, r.delta_percent]
    # the seed: VK 9.069.867 → 8.581.009 (−488.858, −5,4 %), EGL 7.129.465 → 7.053.067
    assert [float(x) for x in table.rows[0].values[:3]] == [9069867.0, 8581009.0, -488858.0]
    assert round(table.rows[0].values[3], 1) == -5.4
    assert [float(x) for x in table.rows[1].values[:2]] == [7129465.0, 7053067.0]
    shares = distribution(status(view, 2020), "egl")
    chart = egl_chart(figures)
    assert [d["Anteil"] for d in chart.data] == [s.percent for s in shares]
    assert sum(float(s.plan) for s in shares) == pytest.approx(
        float(next(r.plan for r in status(view, 2020) if (r.title, r.instrument) == ("egl", None))))
    texts = render_texts(load_texts(), placeholders(figures))
    assert "kommunaler Finanzierungsanteil" in texts["04_verwaltungskosten"]
    assert i18n.eur(rows["kfa"].now) in texts["04_verwaltungskosten"]


def test_chapter_5_draws_from_the_group_monitor(figures):
    """The reference year's figures of every group (December 2019, the trend Jan..Dec 2019) and
    a table per group with its twelve months in its section."""

    report = build(figures, public=False)
    data = figures.group_monitor
    assert data["month"] == "2019-12"
    overview = next(t for t in report.tables() if t.id == "kundengruppen")
    u25 = next(r for r in overview.rows if r.label.startswith("Junge Menschen"))
    trend = data["trend"]["u25"]
    assert u25.values[0] == data["figures"]["u25"]["stock"]
    assert u25.values[1] == sum(t["inflows"] for t in trend)        # Zugänge Jan..Dec 2019
    assert u25.values[3] == sum(t["integrations"] for t in trend)   # Integrationen im Jahr
    assert u25.values[3] == u25.values[4]  # the year's = the twelve months to December
    months = next(t for t in report.tables() if t.id == "gruppe-u25")
    assert months.rows[0].label == "01.2019" and len(months.rows) == 12
    sections = {s.number: s for s in report.sections}
    lzb = [b for s in sections["5"].sections if s.number == "5.2" for b in s.blocks
           if getattr(b, "id", "").startswith("gruppe-")]
    assert [b.id for b in lzb] == ["gruppe-lza", "gruppe-lzb"]
