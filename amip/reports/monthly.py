"""The Monatsbericht for Geschäftsführung and teams, as a :class:`Report`.

All 15 measures with Zähler/Nenner and the change to the previous year, by sex; the
Jahresfortschrittswert with target lights (once targets exist); the forecast of K2 with its
80 % interval; budget burn; data-quality counts; and a page per Standort. Internal by
default: exact counts, no suppression.

The forecasts and the Zielnachhaltung are independent of the engine pass: the CLI computes both
in one background process (``amip.cli.report_cmd.forecasts_and_targets_from_store`` via
:mod:`amip.background`) and hands ``monthly`` callables for them, asked for after the engine pass.
"""

from __future__ import annotations

from typing import Callable

from amip import i18n
from amip.catalogue import load
from amip.engine.calendar import (format_month, month_end, month_index, month_start,
                                  parse_month, stichtag)
from amip.engine.comparison import incomparable
from amip.engine.drilldown import unassigned_id
from amip.engine.forecast import Forecast, forecast_all
from amip.engine.group_monitor import group_monitor
from amip.engine.indicators import compute
from amip.engine.budget import WARNINGS, budget_catalogue, landing, status
from amip.engine.overview import jobcenter, last_benefit_month, latest_complete_month
from amip.engine.quality import data_quality
from amip.engine.quality_rules import run_quality
from amip.engine.horizon import horizon
from amip.extract.schema import INSTRUMENTS
from amip import charts
from amip.charts import burn_chart, burn_rows
from amip.disclosure import protect_groups
from amip.reports import disclosure, tables
from amip.reports.group_tables import groups_table
from amip.reports.model import Chart, Column, Report, ReportTable, Row, Section, Text
from amip.reports.targets import (CHART_MEASURES, TargetFigures, attainment_charts,
                                  attainment_table, jfw_columns, standort_table, target_figures)

JFW_CODES = ["K2", "K2E1", "K2E2", "K2E3", "K2E4", "K3E1"]
TITLE_LABELS = {"egl": "Eingliederungsleistungen (EGL)", "vk": "Verwaltungskosten (VK)",
                "kommunal": "Kommunale Mittel"}
TITLES = budget_catalogue().titles
NO_TARGETS = ("Für dieses Jahr sind noch keine Zielwerte erfasst: die Ampel (Ist gegen "
              "Zielpfad) erscheint, sobald die Zielplanung in amip geführt wird.")

NO_PUBLIC_FORECASTS = ("Prognosen sind in der veröffentlichten Fassung nicht enthalten (wie im "
                       "Dashboard für Rollen mit Geheimhaltung kleiner Werte).")


#: the Monatsbericht's forecasts: the Integrationsquote K2 with its Jahresfortschrittswert, from
#: five years of monthly history with 500 paths, enough for an 80 % interval and quick to fit.
#: Every code works here; each further one costs the report about 0.5 s (K3: LZB days over five
#: years, a chart, a page), so the others are forecast on the dashboard's detail pages.
FORECAST = dict(codes=("K2",), n_paths=500, history_months=60)


def report_month(db, month: int | None = None) -> int:
    """The Berichtsmonat: ``month``, or (None) the latest month with complete data, as the
    dashboard opens on (its Stichtag covered by the data date, benefit rows delivered).
    :class:`~amip.engine.horizon.NoFigures` (a ValueError) for a month without any figure."""
    if month is not None:
        horizon(db).check_months([month])
        return month
    latest = latest_complete_month(db)
    if latest is None:
        raise ValueError("Der Datenbestand enthält keine Daten: zuerst einen Auszug importieren "
                         "(amip import).")
    return month_index(latest)


def kennzahl_forecasts(db, month: int | None, jobcenter_id: str | None = None
                       ) -> dict[str, Forecast]:
    """The forecasts the Monatsbericht shows for Berichtsmonat ``month``, by code."""
    month = report_month(db, month)
    jc = jobcenter(db, jobcenter_id)["jobcenter_id"]
    return forecast_all(db, format_month(month), list(FORECAST["codes"]),
                        n_paths=FORECAST["n_paths"], history_months=FORECAST["history_months"],
                        jobcenter_id=jc)


def monthly(db, month: int | None, jobcenter_id: str | None = None, public: bool = False,
            forecasts: Callable[[], dict[str, Forecast]] | None = None,
            targets=None) -> Report:
    """Build the Monatsbericht for month index ``month`` (None: :func:`report_month`).
    ``forecasts`` (e.g. ``amip.background.start(forecasts_from_store, …).result``) gives the
    forecasts computed elsewhere; without it :func:`kennzahl_forecasts` runs here. The published
    version (``public``) has no forecasts, as the dashboard shows none to roles under disclosure
    control. ``targets``: the steering store's ``StatusInputs`` of the month's year (read by the
    shell) or their :class:`~amip.reports.targets.TargetFigures` computed elsewhere (e.g. the
    ``.result`` of ``amip.cli.report_cmd.targets_from_store`` in a background process), or a
    callable giving either; section 2 shows their Zielnachhaltung."""
    cat = load()
    month = report_month(db, month)
    jc = jobcenter(db, jobcenter_id)
    jc_id, name = jc["jobcenter_id"], jc["name"]
    data_date = db.latest_recorded_on(("elb_spells",))
    t, t0 = format_month(month), format_month(month - 12)
    label = i18n.month(month_start(month))
    source = f"Quelle: eigene Daten des Jobcenters (amip), Datenstand " \
             f"{i18n.day(data_date) if data_date else '–'}"
    warning = ""  # a figure whose data do not reach carries its reason (indicator_table)

    units = db.table("units").select("unit_id", "jobcenter_id", "parent_unit_id", "level",
                                     "name").order_by("unit_id").to_pyarrow().to_pylist()
    standorte = [u for u in units if u["jobcenter_id"] == jc_id and u["level"] == "standort"]
    top = next((u for u in units if u["jobcenter_id"] == jc_id and u["level"] == "jobcenter"),
               None)
    rest = [unassigned_id(top["unit_id"])] if top is not None and standorte else []
    # one engine pass: t−12..t (13 months: one rule version unless t is in 2019), whole
    # Jobcenter and each Standort, month values and JFW
    everything = compute(db, list(range(month - 12, month + 1)), jobcenter_id=jc_id,
                         unit_ids=[u["unit_id"] for u in standorte] + rest, include_total=True,
                         bases=("month", "jfw"))
    whole = [r for r in everything if r.unit_id is None]
    history = [r for r in whole if r.basis == "month"]
    jfw = [r for r in whole if r.basis == "jfw"]
    by_unit = [r for r in everything if r.unit_id is not None and r.basis == "month"]
    # published: small counts hidden across the Jobcenter and its Standorte, as on the web
    hidden = disclosure.hidden_fields(everything, units) if public else None

    sections = [
        Section("1", "Kennzahlen nach § 48a SGB II", [
            Text(f"Alle Kennzahlen und Ergänzungsgrößen für {label} mit Zähler und Nenner, "
                 f"verglichen mit dem Vorjahresmonat, insgesamt und nach Geschlecht. "
                 f"Regelwerk: {cat.rules_for(stichtag(month)).label}; die Leistung für "
                 f"erwerbsfähige Leistungsberechtigte heißt im Berichtsmonat "
                 f"{_benefit_name(cat, month)}."),
            tables.indicator_table("kennzahlen", f"Kennzahlen nach § 48a SGB II, {label}",
                                   tables.by_key(history, t), tables.by_key(history, t0), source,
                                   warning=warning, hidden=hidden),
            _k2_chart(history, source),
        ]),
        None,  # the targets and the forecast, asked for last: they may still be computing
        None,  # elsewhere (amip.cli.report_cmd: one background process for both)
        _budget_section(db, jc_id, month, label, source),
        _quality_section(db, jc_id, month, label, source),
        Section("6", "Standorte", sections=[
            Section(f"6.{i}", u["name"], [tables.indicator_table(
                f"standort-{u['unit_id']}"[:31], f"{u['name']}: Kennzahlen, {label}",
                tables.by_key(by_unit, t, u["unit_id"]), tables.by_key(by_unit, t0, u["unit_id"]),
                source, note="Zuordnung der Personen über die Teamzuständigkeit (caseload) am "
                             "maßgeblichen Stichtag.", warning=warning, hidden=hidden)])
            for i, u in enumerate(standorte, start=1)] + [
            Section(f"6.{len(standorte) + 1}", "ohne Zuordnung", [tables.indicator_table(
                "ohne-zuordnung", f"Personen und Beträge ohne Standort: Kennzahlen, {label}",
                tables.by_key(by_unit, t, r), tables.by_key(by_unit, t0, r), source,
                note="Personen ohne Team am maßgeblichen Stichtag (keine oder keine gültige "
                     "Teamzuständigkeit): mit den Standorten zusammen ergeben Zähler und Nenner "
                     "das Jobcenter.", warning=warning, hidden=hidden)])
            for r in rest],
            placeholder="" if standorte else "Im Datenbestand sind keine Standorte angelegt."),
        _groups_section(db, jc_id, month, label, source, public),
    ]
    tf = _target_figures(db, targets, jc_id, month, public)
    followed = tf is not None and bool(tf.records)
    sections[1] = Section("2", "Jahresfortschritt und Ziele", [
        Text("Der Jahresfortschrittswert (JFW) misst die Quoten vom Januar bis zum "
             "Berichtsmonat: Integrationen seit Januar je durchschnittlichem Bestand der "
             "Vormonate seit Dezember des Vorjahres."),
        _jfw_table(jfw, t, t0, label, source, hidden, tf),
        *(_attainment_blocks(tf, units, source, public) if followed else []),
    ], placeholder="" if followed else NO_TARGETS)
    if public:  # as on the dashboard: roles under disclosure control see no forecasts
        sections[2] = Section("3", "Prognose", placeholder=NO_PUBLIC_FORECASTS)
    else:
        results = forecasts() if forecasts else kennzahl_forecasts(db, month, jc_id)
        sections[2] = _forecast_section(results, history, label, source)
    return Report("monthly", f"Monatsbericht {label}",
                  "Kennzahlen, Jahresfortschritt, Budget, Datenqualität und Kundengruppen", jc_id, name,
                  t, data_date, sections, public=public, definitions=_definitions(cat))


def _groups_section(db, jc: str, month: int, label: str, source: str, public: bool) -> Section:
    """The customer groups of the month (:func:`group_monitor`, as the page Kundengruppen)."""
    data = group_monitor(db, month, jc)
    if public:
        data = protect_groups(data)
    return Section("7", "Kundengruppen", [groups_table(
        "kundengruppen", f"Kundengruppen, {label}", data, source)])


def _k2_chart(history, source: str) -> Chart:
    data = [{"monat": f"{r.month}-15", "wert": r.value} for r in history
            if r.code == "K2" and r.sex == "all" and r.value is not None]
    return Chart("k2-verlauf", "Integrationsquote (K2), gleitende zwölf Monate, in %",
                 charts.line_series(data, kind="pct"), data, source=source)


def _target_figures(db, targets, jc_id: str, month: int, public: bool) -> TargetFigures | None:
    got = targets() if callable(targets) else targets
    if got is None or isinstance(got, TargetFigures):
        return got
    if got.year != month // 12:
        return None
    return target_figures(db, got, jc_id, month, with_expectation=not public,
                          curves=CHART_MEASURES)


def _attainment_blocks(tf: TargetFigures, units: list[dict], source: str, public: bool) -> list:
    """Zielnachhaltung of every target, Ist gegen Zielpfad (K2, Integrationen), lights by
    Standort."""
    blocks = [Text(f"Die Zielnachhaltung vergleicht das Ist mit dem Zielpfad: dem Stand, der "
                   f"im Berichtsmonat erreicht sein müsste, wenn das Jahr genau das Ziel "
                   f"erreicht (Quoten und Anzahlen mit dem Saisonverlauf der drei Vorjahre, "
                   f"Bestände linear, Obergrenzen konstant)."
                   + ("" if public else " Die Erwartung für Dezember ist der Median der "
                      "Prognose mit ihrem 80-%-Intervall.")),
              attainment_table(tf, source, public), *attainment_charts(tf, source, public)]
    lights = standort_table(tf, units)
    return blocks + ([lights] if lights is not None else [])


def _jfw_table(jfw, t: str, t0: str, label: str, source: str,
               hidden: dict | None = None, tf: TargetFigures | None = None) -> ReportTable:
    cat = load()
    now, before = tables.by_key(jfw, t, basis="jfw"), tables.by_key(jfw, t0, basis="jfw")
    rows, notes = [], []
    for code in JFW_CODES:
        r, b = now.get((code, "all")), before.get((code, "all"))
        reason = incomparable(code, r.rules, b.rules) if r and b else None
        if reason:
            notes.append(reason.replace("Keine Veränderung ausweisbar", "JFW und JFW Vorjahr "
                                        "nicht vergleichbar"))
        row = Row(f"{code} {cat.indicators[code].name}", [
            r.numerator if r else None, r.denominator if r else None, r.value if r else None,
            b.value if b else None,
            *(jfw_columns(tf, code) if tf and tf.records else [None] * 3 + ["keine Zielwerte"])
        ])
        for rec, cells in ((r, ((0, "numerator"), (1, "denominator"), (2, "value"))),
                           (b, ((3, "value"),))):
            row.suppressed |= {i for i, f in cells if f in disclosure.hidden_of(hidden, rec)}
        if 2 in row.suppressed:  # Ist = Zielpfad + Abstand
            row.suppressed.add(6)
        rows.append(row)
    return ReportTable("jahresfortschritt", f"Jahresfortschrittswerte, {label}",
                       [Column("Zähler", "number"), Column("Nenner", "number"),
                        Column("JFW in %", "pct"), Column("JFW Vorjahr in %", "pct"),
                        Column("Ziel in %", "pct"), Column("Zielpfad in %", "pct"),
                        Column("Abstand in Pp.", "number"),
                        Column("Ampel", "text")], rows, stub="Kennzahl", source=source,
                       note=" ".join(notes))


def _forecast_section(results: dict[str, Forecast], history, label: str,
                      source: str) -> Section:
    """Per Kennzahl a chart (actual solid, forecast dashed in its 80 % band) and a table to
    December; K2 also with its Jahresfortschrittswert, the figure its target is agreed on."""
    cat = load()
    blocks = []
    for code, result in results.items():
        name = cat.indicators[code].name
        actual = [{"monat": f"{r.month}-15", "wert": r.value} for r in history
                  if r.code == code and r.sex == "all" and r.value is not None]
        points = [{"monat": f"{p.month}-15", "wert": p.value, "untere": p.lower,
                   "obere": p.upper} for p in result.points]
        kind = "change_pct" if cat.indicators[code].form == "change" else "pct"
        blocks.append(Chart(f"{code.lower()}-prognose",
                            f"{name} ({code}): Ist und Prognose mit 80-%-Intervall, in %",
                            charts.line_series(actual, forecast=points, kind=kind),
                            actual + points, source=source, note=result.model))
        columns = [Column(f"{code} in %", kind), Column("untere Grenze", kind),
                   Column("obere Grenze", kind)]
        with_jfw = any(p.jfw is not None for p in result.points)
        if with_jfw:
            columns += [Column("JFW in %", "pct"), Column("JFW untere Grenze", "pct"),
                        Column("JFW obere Grenze", "pct")]
        rows = [Row(i18n.month(month_start(parse_month(p.month))),
                    [p.value, p.lower, p.upper]
                    + ([p.jfw, p.jfw_lower, p.jfw_upper] if with_jfw else []))
                for p in result.points]
        notes = " ".join(f"{n}." for n in result.notes)
        blocks.append(ReportTable(
            f"{code.lower()}-prognose", f"Prognose: {name} ({code}) bis "
            f"{i18n.month(month_start(parse_month(result.points[-1].month)))}",
            columns, rows, stub="Monat", source=source,
            note=f"{result.model}. Das Intervall enthält den künftigen Wert mit 80 % "
                 f"Wahrscheinlichkeit, wenn sich die Entwicklung fortsetzt. {notes}".strip()))
    return Section("3", "Prognose", [
        Text(f"Prognose ab {label}: Median und 80-%-Intervall aus {FORECAST['n_paths']} "
             f"simulierten Verläufen der monatlichen Zahlen, die in die Kennzahl eingehen "
             f"(exponentielle Glättung, ETS, fortgeschrieben mit denselben Rechenregeln wie die "
             f"Kennzahl); die Prognosen aller Kennzahlen zeigt das Dashboard.")] + blocks)


def _budget_section(db, jc: str, month: int, label: str, source: str) -> Section:
    """Budget status at the end of the month, the landing per title and instrument, its
    warnings, and the EGL burn curve against the plan path (amip.engine.budget, §12)."""
    year = month // 12
    rows = status(db, year, month_end(month), jc)
    if not rows:
        return Section("4", "Budget", placeholder="Für dieses Jahr liegen noch keine Budgetdaten vor.")
    lands = {(r.title, r.instrument): r for r in landing(db, year, month, jc)}
    out = []
    for r in sorted(rows, key=lambda r: (TITLES.index(r.title) if r.title in TITLES
                                         else len(TITLES), r.instrument is not None)):
        lr = lands.get((r.title, r.instrument))
        out.append(Row(_budget_label(r), [
            r.plan, r.payments, r.open_commitments, r.bindungsquote, r.ausgabequote,
            lr and lr.path[lr.month - 1], lr and lr.landing, lr and lr.deviation_percent],
            level=0 if r.instrument is None else 1, total=r.instrument is None))
    table = ReportTable(
        "mittelabfluss", f"Budget {year}: Stand und Jahresabschluss-Prognose, Ende {label}",
        [Column("Plan", "eur"), Column("Zahlungen", "eur"), Column("offene Bindungen", "eur"),
         Column("Bindungsquote in %", "pct"), Column("Ausgabequote in %", "pct"),
         Column(f"Planpfad Ende {label}", "eur"), Column("Landung", "eur"),
         Column("Abweichung in %", "change_pct")],
        out, stub="Titel / Instrument", source=source, public=False,
        note="Plan mit Umschichtungen. Planpfad: Monatsanteile der Zahlungen der drei Vorjahre "
             "(oder das erklärte Profil). Landung: Zahlungen + max(offene Bindungen, "
             "Hochrechnung der letzten drei Monate).")
    warnings = [f"{_budget_label(r)}: {WARNINGS[r.warning]} – Landung {i18n.eur(r.landing)} "
                f"(Intervall {i18n.eur(r.landing_low)} bis {i18n.eur(r.landing_high)}) bei einem Plan von "
                f"{i18n.eur(r.plan)}." for r in lands.values() if r.warning]
    blocks = [table, Text("**Warnungen:** " + " ".join(warnings) if warnings else
                          "Keine Warnung: jede Landung liegt innerhalb Plan ± 3 %.")]
    egl = lands.get(("egl", None))
    if egl is not None:
        actual, plan, land = burn_rows(egl)
        blocks.append(Chart("egl-abfluss", f"Eingliederungsleistungen {year}: Zahlungen "
                            f"kumuliert gegen den Planpfad und Landung, in Euro",
                            burn_chart(egl), actual + plan + land, source=source))
    return Section("4", "Budget", blocks)


def _budget_label(r) -> str:
    """A status or landing row's German name: the title's, or the instrument's."""
    return TITLE_LABELS.get(r.title, r.title) if r.instrument is None \
        else INSTRUMENTS.get(r.instrument, r.instrument)


def _quality_section(db, jc: str, month: int, label: str, source: str) -> Section:
    day = stichtag(month)
    q = data_quality(db, jc, day)
    rows = [Row("ELB ohne Integrationsprognose", [q["no_prognosis"], q["elb"]]),
            Row("ELB ohne Teamzuordnung (caseload)", [q["no_team"], q["elb"]]),
            Row("Arbeitslose ohne Beratungskontakt in den letzten 3 Monaten",
                [q["no_contact"], q["unemployed"]])]
    counts = ReportTable("datenqualitaet", f"Datenqualität am Stichtag {i18n.day(day)}",
                         [Column("Anzahl"), Column("von")], rows, stub="Prüfpunkt",
                         source=source, public=False)
    blocks = [counts]
    # the declared rules over the twelve months ending with the Berichtsmonat (run_quality:
    # the same figures as `amip quality` and the page Datenqualität)
    report = run_quality(db, month, jc, 12, by_team=False)
    blocks.append(tables.rules_table(report, f"Prüfregeln der Datenqualität, "
                                      f"{i18n.month(month_start(report.m_lo))} bis {label}",
                              source))
    rated = [r for r in report.results if r.rates]
    if rated:
        blocks.append(ReportTable(
            "fallpruefungen", f"Fallprüfungen {i18n.month(month_start(report.m_lo))} bis {label}",
            [Column("geprüfte Merkmale"), Column("Fehler"), Column("Fehlerquote in %", "pct"),
             Column("Ziel: unter … %", "pct"), Column(f"Fehlerquote {label} in %", "pct")],
            [Row(r.rule.name, [sum(x[1] for x in r.rates.values()),
                               sum(x[0] for x in r.rates.values()), r.error_rate(),
                               float(r.rule.params["target_pct"]), r.error_rate(month)])
             for r in rated],
            stub="Prüfbereich", source=source, public=False))
    return Section("5", "Datenqualität", blocks)


def _benefit_name(cat, month: int) -> str:
    """The benefit's name in force at the Stichtag (ALG II, Bürgergeld, Grundsicherungsgeld)."""
    b = cat.benefit_for(stichtag(month))
    return b.name if b.short == b.name else f"{b.name} ({b.short})"


def _definitions(cat) -> list[tuple[str, str]]:
    return [(i.code, f"{i.name} ({i.legal_basis})") for i in cat.indicators.values()] + [
        ("JFW", "Jahresfortschrittswert: Quote vom Januar bis zum Berichtsmonat."),
        ("Instrumente", ", ".join(f"{k}: {v}" for k, v in INSTRUMENTS.items())),
    ]
