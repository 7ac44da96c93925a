"""The Arbeitsmarkt- und Integrationsprogramm as a :class:`Report`, chapter by chapter.

The structure follows the 2020 programme of Jobcenter Elbe-Elster (Vorwort; 1 Grundsicherung im
Landkreis; 2 Angebot und Nachfrage; 3 Ziele; 4 Ressourcen; 5 Schwerpunkte; 6 Qualität;
7 Zusammenarbeit; 8 Schlussbemerkungen). Numbers come from :mod:`amip.reports.figures`; the
narrative is one editable Markdown file per chapter (``texts/programme/``) with placeholders.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from amip import i18n
from amip.extract.schema import INSTRUMENTS
from amip import charts
from amip.reports import disclosure, group_tables, tables
from amip.reports.targets import goal_placeholders, goals_table, scope_table
from amip.disclosure import protect_groups
from amip.engine.groups import AGE_GROUPS
from amip.reports.figures import Programme, programme_figures
from amip.reports.model import Chart, Column, Report, ReportTable, Row, Section, Text

TEXTS = Path(__file__).parent / "texts" / "programme"
SOURCE = "Quelle: eigene Daten des Jobcenters (amip), Datenstand {date}"
PROGNOSIS_LABELS = {
    "marktnah": 'Kunden mit Integrationsprognose "marktnah"',
    "nicht_marktnah": 'Kunden mit Integrationsprognose "nicht marktnah"',
    "integriert": "davon: I Integriert, aber weiterhin hilfebedürftig",
    "nicht_erforderlich": "davon: Z Zuordnung nicht erforderlich",
    None: "davon: X Fehlende Werte",
}
DEFINITIONS = [
    ("ELB", "Erwerbsfähige Leistungsberechtigte: Personen mit Leistungsanspruch nach dem SGB II "
            "am Stichtag (15. des Monats)."),
    ("BG", "Bedarfsgemeinschaft mit mindestens einer erwerbsfähigen leistungsberechtigten Person."),
    ("Jahresdurchschnitt (JDW)", "Mittel der zwölf Monatsbestände an den Stichtagen eines Jahres."),
    ("LZB", "Langzeitleistungsbeziehende: ELB mit mindestens 638 Tagen Leistungsbezug in den "
            "letzten 730 Tagen (21 von 24 Monaten)."),
    ("Langzeitarbeitslose", "Arbeitslose, die ein Jahr oder länger arbeitslos sind (§ 18 SGB III)."),
    ("Integrationsquote (K2)", "Integrationen der letzten zwölf Monate je durchschnittlichem "
                               "ELB-Bestand der zwölf Vormonate."),
    ("*", "Wert aus Gründen des Datenschutzes nicht ausgewiesen (Werte 1–2 und Werte, aus denen "
          "sie sich errechnen ließen)."),
]


# -- text ---------------------------------------------------------------------------------------

def placeholders(p: Programme) -> dict:
    """The values the chapter texts may use, formatted in German."""
    ref, jdw = p.ref_year, p.jdw
    # a Jahresdurchschnitt exists only for years whose twelve Stichtage the data reach
    elb, elb_prev = jdw.get(ref, {}).get("elb"), jdw.get(ref - 1, {}).get("elb")
    first = min(jdw) if jdw else None
    both = elb is not None and elb_prev is not None
    al, al_prev = p.unemployed["now"], p.unemployed["before"]
    emp, emp_prev = p.employment["now"], p.employment["before"]
    prog_total = sum(sum(v.values()) for v in p.prognosis_by_age.values())
    k2, k3 = p.indicators.get(("K2", "all")), p.indicators.get(("K3", "all"))
    lzb_n = p.indicators.get(("K3", "all"))
    elb_n = p.indicators.get(("K1E2", "all"))
    budget = {r.key: r for r in p.budget}
    top = {}  # every placeholder exists, "–" where the data have fewer than three instruments
    for i in range(1, 4):
        share = p.egl[i - 1] if i <= len(p.egl) else None
        top[f"top{i}"] = INSTRUMENTS.get(share.instrument, share.instrument) if share else "–"
        top[f"top{i}_share"] = i18n.pct(share.percent) if share else "–"
    rated = [r for r in p.quality.results if r.rates] if p.quality else []
    quality_parts = [f"{r.rule.name}: {i18n.pct(r.error_rate())}" for r in rated]
    checked = [r for r in p.quality.results if r.flagged is not None and r.rates is None] \
        if p.quality else []
    flagged = sorted((r for r in checked if r.flagged), key=lambda r: -r.flagged)
    change = _change(elb, elb_prev)
    return {
        "jc": {"name": p.jobcenter_name, "id": p.jobcenter_id,
               "genitive": genitive(p.jobcenter_name)},
        "year": str(p.year), "ref_year": str(ref),
        "data_date": i18n.day(p.data_date) if p.data_date else "–",
        "elb": {"jdw": i18n.num(elb), "jdw_prev": i18n.num(elb_prev),
                "change_abs": i18n.num(abs(elb - elb_prev)) if both else "–",
                "change_pct": i18n.signed_pct(change),
                "direction": ("gesunken" if elb < elb_prev else "gestiegen") if both else
                "nicht vergleichbar",
                "change_word": ("weniger" if elb < elb_prev else "mehr") if both else "–",
                "first_year": str(first) if first else "–",
                "jdw_first": i18n.num(jdw[first]["elb"]) if first else "–",
                "long_direction": _long_direction(jdw[first]["elb"], elb) if first and elb
                is not None else "nicht vergleichen lassen"},
        "bg": {"jdw": i18n.num(jdw.get(ref, {}).get("bg"))},
        "al": {"total": i18n.num(al["total"]),
               "change_pct": i18n.signed_pct(_change(al["total"], al_prev["total"])),
               "men_pct": i18n.pct(_share(al["men"], al["total"])),
               "women_pct": i18n.pct(_share(al["women"], al["total"])),
               "u25": i18n.num(al["u25"]), "lza_pct": i18n.pct(_share(al["lza"], al["total"]))},
        "refugees": {"jdw": i18n.num(p.refugees_jdw)},
        "emp": {"total": i18n.num(emp["employed"]),
                "share": i18n.pct(_share(emp["employed"], emp["elb"])),
                "change_pct": i18n.signed_pct(_change(emp["employed"], emp_prev["employed"]))},
        "prog": {"not_near_pct": i18n.pct(_share(sum(p.prognosis_by_age["nicht_marktnah"].values()),
                                                 prog_total))},
        "ub": {k: i18n.num(v) for k, v in p.underemployment.items()},
        "k2": {"value": i18n.pct(k2.value if k2 else None),
               "numerator": i18n.num(k2.numerator if k2 else None)},
        "k3": {"value": i18n.signed_pct(k3.value if k3 else None)},
        "lzb": {"share": i18n.pct(_share(lzb_n.numerator, elb_n.numerator)
                                  if lzb_n and elb_n else None)},
        "budget": {**{k: i18n.eur(budget[k].now if k in budget else None)
                      for k in ("egl", "vk", "kfa")},
                   "total": i18n.eur(budget["gesamtbudget"].now if budget else None),
                   "change_pct": i18n.signed_pct(budget["gesamtbudget"].delta_percent
                                                 if budget else None)},
        "egl": top,
        "groups": {g: {k: i18n.num(v) for k, v in c.items()} for g, c in p.groups.items()},
        "quality": {"summary": "; ".join(quality_parts) + "." if quality_parts
                    else "für das Jahr liegen noch keine Prüfergebnisse vor.",
                    "rules": i18n.num(len(checked)),
                    "flagged": i18n.num(sum(r.flagged for r in checked)),
                    "top": ", ".join(f"{r.rule.name} ({i18n.num(r.flagged)})"
                                     for r in flagged[:3]) or "keine"},
        "targets": goal_placeholders(p.targets, p.indicators),
    }


def genitive(name: str) -> str:
    """'Jobcenter Elbe-Elster' → 'Jobcenters Elbe-Elster' (des …)."""
    first, _, rest = name.partition(" ")
    return f"{first}s {rest}".strip() if first == "Jobcenter" else name


def _change(now, before) -> float | None:
    return None if not before or now is None else (float(now) / float(before) - 1) * 100


def _share(part, whole) -> float | None:
    return None if not whole or part is None else float(part) / float(whole) * 100


def _long_direction(first: float, now: float) -> str:
    change = _change(now, first)
    if change is None:
        return "nicht vergleichen lassen"
    verb = "verringert" if change < 0 else "erhöht"
    return f"um {i18n.pct(abs(change), 0)} {verb}"


def load_texts(directory: Path = TEXTS) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.md"))
            if p.name != "README.md"}


def render_texts(texts: dict[str, str], values: dict) -> dict[str, str]:
    """Fill the placeholders; an unknown placeholder is an error naming file and name."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    out = {}
    for name, text in texts.items():
        try:
            out[name] = env.from_string(text).render(**values)
        except jinja2.UndefinedError as e:
            raise ValueError(f"text {name}.md: unknown placeholder ({e.message})") from None
    return out


# -- tables -------------------------------------------------------------------------------------

def _source(p: Programme) -> str:
    return SOURCE.format(date=i18n.day(p.data_date) if p.data_date else "–")


def elb_chart(p: Programme) -> Chart:
    data = [{"Jahr": str(y), "ELB": round(v["elb"]), "BG": round(v["bg"])}
            for y, v in sorted(p.jdw.items())]
    return Chart("elb-jahresdurchschnitt",
                 f"Entwicklung der erwerbsfähigen Leistungsberechtigten (ELB) "
                 f"{min(p.jdw)}–{max(p.jdw)} (Jahresdurchschnitt)",
                 charts.bar_series(data, x="Jahr", y="ELB"), data, source=_source(p))


def unemployed_table(p: Programme) -> ReportTable:
    now, before = p.unemployed["now"], p.unemployed["before"]
    labels = [("total", "Arbeitslose insgesamt", 0), ("men", "Männer", 1), ("women", "Frauen", 1),
              ("u25", "unter 25 Jahre", 1), ("lza", "langzeitarbeitslos", 1),
              ("foreign", "Ausländerinnen und Ausländer", 1),
              ("severely_disabled", "schwerbehindert", 1), ("single_parents", "alleinerziehend", 1)]
    rows = [Row(label, [now[k], before[k], now[k] - before[k], _change(now[k], before[k])],
                level=level, total=level == 0) for k, label, level in labels]
    return ReportTable(
        "arbeitslose", f"Arbeitslose in der Grundsicherung, Dezember {p.ref_year}",
        [Column(f"Dez. {p.ref_year}"), Column(f"Dez. {p.ref_year - 1}"),
         Column("Veränderung absolut", "number", derived_from=(0, 1)),
         Column("in %", "change_pct", derived_from=(0, 1))],
        rows, stub="Merkmal", source=_source(p), sums=[(0, [1, 2])])  # men + women + sex d


def employment_table(p: Programme) -> ReportTable:
    now, before = p.employment["now"], p.employment["before"]
    labels = [("elb", "ELB insgesamt", 0), ("employed", "erwerbstätige ELB", 0),
              ("dependent", "abhängig erwerbstätig", 1), ("le450", "bis 450 Euro", 1),
              ("le850", "über 450 bis 850 Euro", 1), ("le1200", "über 850 bis 1.200 Euro", 1),
              ("gt1200", "über 1.200 Euro", 1), ("self_employed", "selbständig erwerbstätig", 1)]
    rows = []
    for k, label, level in labels:
        share = None if k == "elb" else _share(now[k], now["employed"])
        rows.append(Row(label, [now[k], now[k] - before[k], _change(now[k], before[k]), share],
                        level=level, total=k == "employed"))
    return ReportTable(
        "erwerbstaetige-elb", f"Erwerbstätige ELB, Dezember {p.ref_year}",
        [Column("Berichtsmonat"),
         Column("Veränderung zum Vorjahr absolut", "number", derived_from=0),
         Column("in %", "change_pct", derived_from=0),
         Column("Anteil in %", "pct", derived_from=0)],
        rows, stub="Merkmal", source=_source(p), sums=[(2, [3, 4, 5, 6])])


def prognosis_table(p: Programme) -> ReportTable:
    by = {k: {a: round(v) for a, v in ages.items()} for k, ages in p.prognosis_by_age.items()}
    total = {a: sum(by[k][a] for k in by) for a in AGE_GROUPS}
    grand = sum(total.values())

    def row(label, ages, level=0, is_total=False):
        n = sum(ages.values())
        return Row(label, [n, None if is_total else _share(n, grand),
                           *(ages[a] for a in AGE_GROUPS)], level=level, total=is_total)

    other = {a: by["integriert"][a] + by["nicht_erforderlich"][a] + by[None][a] for a in AGE_GROUPS}
    rows = [row("Erwerbsfähige Leistungsberechtigte gesamt", total, is_total=True),
            row(PROGNOSIS_LABELS["marktnah"], by["marktnah"]),
            row(PROGNOSIS_LABELS["nicht_marktnah"], by["nicht_marktnah"]),
            row("Sonstige Integrationsprognosen", other),
            row(PROGNOSIS_LABELS["integriert"], by["integriert"], 1),
            row(PROGNOSIS_LABELS["nicht_erforderlich"], by["nicht_erforderlich"], 1),
            row(PROGNOSIS_LABELS[None], by[None], 1)]
    return ReportTable(
        "prognose-alter",
        f"Erwerbsfähige Leistungsberechtigte nach Integrationsprognosen und Altersgruppen "
        f"(JDW {p.ref_year})",
        [Column("gesamt"), Column("Anteil an ELB gesamt in %", "pct", derived_from=0),
         Column("15 bis unter 25 Jahre"), Column("25 bis unter 55 Jahre"),
         Column("55 Jahre und älter")],
        rows, stub="", source=_source(p), sums=[(0, [1, 2, 3]), (3, [4, 5, 6])],
        note="Gerundete Jahresdurchschnitte; Summen können durch Rundung abweichen.")


def underemployment_table(p: Programme) -> ReportTable:
    u = p.underemployment
    return ReportTable(
        "unterbeschaeftigung", f"Unterbeschäftigung in der Grundsicherung, Dezember {p.ref_year}",
        [Column("Personen")],
        [Row("Arbeitslose", [u["unemployed"]]),
         Row("Teilnehmende an Maßnahmen (nicht arbeitslos)", [u["measures"]]),
         Row("Unterbeschäftigung (ohne Sonderstatus)", [u["total"]], total=True)],
        stub="", source=_source(p), sums=[(2, [0, 1])])


def indicator_table(p: Programme, public: bool = True) -> ReportTable:
    """The § 48a table; published: small counts hidden (disclosure.hidden_fields)."""
    records = [*p.indicators.values(), *p.indicators_before.values()]
    return tables.indicator_table("kennzahlen-48a",
                                  f"Kennzahlen nach § 48a SGB II, Dezember {p.ref_year}",
                                  p.indicators, p.indicators_before, _source(p),
                                  hidden=disclosure.hidden_fields(records) if public else None)


#: the rows of the seed's table 4 in its order (keys of :func:`amip.engine.budget.comparison`)
BUDGET_LABELS = {"vk": "Verwaltungskosten (VK)", "egl": "Eingliederungsleistungen (EGL)",
                 "gesamtbudget": "Gesamtbudget",
                 "kfa": "Kommunaler Finanzierungsanteil (15,2 % der VK insgesamt)"}


def budget_table(p: Programme) -> ReportTable | None:
    """Seed table 4: the rows of :func:`amip.engine.budget.comparison` (allocation of the
    reference year, estimate of the programme year, delta absolute and in %)."""
    if not p.budget:
        return None
    order = list(BUDGET_LABELS)
    rows = [Row(BUDGET_LABELS.get(r.key, r.label), [r.before, r.now, r.delta, r.delta_percent],
                total=r.key == "gesamtbudget")
            for r in sorted(p.budget, key=lambda r: order.index(r.key) if r.key in order
                            else len(order))]
    return ReportTable(
        "budget", f"Budget {p.year - 1} und {p.year} in Euro",
        [Column(f"Zuteilung {p.year - 1}", "eur"), Column(f"Schätzwerte {p.year}", "eur"),
         Column("Delta absolut", "eur"), Column("Delta in %", "change_pct")],
        rows, stub="", source=_source(p), public=False,
        note="Zuteilungen laut Budgetplan (ohne Umschichtungen); kommunaler "
             "Finanzierungsanteil: 15,2 % der Verwaltungskosten insgesamt (Bundesanteil ÷ 0,848, "
             "§ 46 Abs. 3 SGB II).")


def egl_chart(p: Programme) -> Chart | None:
    if not p.egl:
        return None
    data = [{"Instrument": INSTRUMENTS.get(s.instrument, s.instrument), "Euro": s.plan,
             "Anteil": s.percent} for s in p.egl]
    return Chart("egl-verteilung", f"Verteilung des Eingliederungsbudgets {p.year}",
                 charts.share_bars(data, category="Instrument", value="Anteil"), data,
                 source=_source(p))


#: the customer groups (groups.toml) each section of chapter 5 is about
SECTION_GROUPS = {"5.1": ("u25",), "5.2": ("lza", "lzb"), "5.3.1": ("health",),
                  "5.3.2": ("single_parents",), "5.3.3": ("returners",),
                  "5.3.4": ("no_vocational_training",), "5.3.5": ("refugees",)}


def _groups(p: Programme, public: bool) -> dict | None:
    if p.group_monitor is None:
        return None
    return protect_groups(p.group_monitor) if public else p.group_monitor


def groups_table(p: Programme, public: bool = True) -> ReportTable | None:
    """The reference year's figures of every customer group (the group monitor of December)."""
    data = _groups(p, public)
    return data and group_tables.groups_table(
        "kundengruppen", f"Kundengruppen im Jahr {p.ref_year}", data, _source(p), year=True)


def group_tables_of(p: Programme, section: str, public: bool = True) -> list:
    """One table per group of a section of chapter 5: its twelve months of the reference year."""
    data = _groups(p, public)
    if data is None:
        return []
    names = {g["id"]: g["name"] for g in data["groups"]}
    return [group_tables.group_months_table(f"gruppe-{gid}"[:31],
                                            f"{names[gid]} im Jahr {p.ref_year}", data, gid,
                                            _source(p))
            for gid in SECTION_GROUPS[section] if gid in names]


def quality_table(p: Programme) -> ReportTable | None:
    """The case-file error rates of the reference year against their targets (the rules of
    kind ``casefile_error_rate``)."""
    rated = [r for r in p.quality.results if r.rates] if p.quality else []
    if not rated:
        return None
    rows = []
    for r in rated:
        errors, items = (sum(x[i] for x in r.rates.values()) for i in (0, 1))
        rate, target = r.error_rate(), float(r.rule.params["target_pct"])
        rows.append(Row(r.rule.name, [
            items, errors, rate, target,
            "–" if rate is None else ("erreicht" if rate < target else "nicht erreicht")]))
    return ReportTable(
        "qualitaet", f"Fehlerquoten der Fallprüfungen {p.ref_year}",
        [Column("geprüfte Merkmale"), Column("Fehler"), Column("Fehlerquote in %", "pct"),
         Column("Ziel: unter … %", "pct"), Column("Ziel", "text")],
        rows, stub="Prüfbereich", source=_source(p), public=False)


def quality_rules_table(p: Programme, label: str | None = None,
                        table_id: str = "pruefregeln") -> ReportTable | None:
    """The data-quality rules with their flagged rows in the period and in its last month and
    the light (:func:`amip.engine.quality_rules.rule_light`); not checkable: no number."""
    return tables.rules_table(p.quality, label or f"Prüfregeln der Datenqualität "
                                                  f"{p.ref_year}", _source(p), table_id) \
        if p.quality else None


# -- the report ---------------------------------------------------------------------------------

def build(p: Programme, texts: dict[str, str] | None = None, public: bool = True) -> Report:
    t = render_texts(texts or load_texts(), placeholders(p))

    def text(name):
        return Text(t[name]) if name in t else Text("")

    def maybe(*blocks):
        return [b for b in blocks if b is not None]

    no_targets = ("Zielwerte (Zielvereinbarung, lokale und kommunale Ziele) sind noch nicht "
                  "erfasst; sie erscheinen hier, sobald die Zielplanung in amip geführt wird.")
    tf = p.targets
    goals = goals_table(tf, p.indicators, _source(p)) \
        if tf and tf.own("gesetzlich") else None
    local = tf and scope_table(tf, "lokal", f"Lokale Ziele {p.year}", _source(p), public)
    municipal = tf and scope_table(tf, "kommunal", f"Kommunale Ziele {p.year}", _source(p),
                                   public)
    none_of = ("Für {y} sind keine {what} Ziele erfasst.").format
    budget, egl, quality = budget_table(p), egl_chart(p), quality_table(p)
    rules = quality_rules_table(p)
    vk = next((r.now for r in p.budget if r.key == "vk"), None) is not None
    sections = [
        Section("", "Vorwort", [text("00_vorwort")]),
        Section("1", "Grundsicherung für Arbeitsuchende im Landkreis",
                [text("01_grundsicherung"), elb_chart(p), text("01_arbeitslose"),
                 unemployed_table(p), text("01_gefluechtete"), text("01_erwerbstaetige"),
                 employment_table(p)]),
        Section("2", "Angebot und Nachfrage auf dem Arbeitsmarkt", sections=[
            Section("2.1", "Das Angebot an Arbeitskräften",
                    [text("02_angebot"), prognosis_table(p), text("02_unterbeschaeftigung"),
                     underemployment_table(p)]),
            Section("2.2", "Die Nachfrage nach Arbeitskräften", [text("02_nachfrage")]),
        ]),
        Section("3", f"Ziele im {p.jobcenter_name}", sections=[
            Section("3.1", "Geschäftspolitische Ziele",
                    maybe(text("03_ziele"), goals, indicator_table(p, public)),
                    placeholder="" if goals else no_targets),
            Section("3.2", "Lokale Ziele", maybe(local),
                    placeholder="" if local else
                    none_of(y=p.year, what="lokalen") if tf and tf.targets else no_targets),
            Section("3.3", "Kommunale Ziele", maybe(municipal),
                    placeholder="" if municipal else
                    none_of(y=p.year, what="kommunalen") if tf and tf.targets else no_targets),
        ]),
        # a section without data shows its grey box, not a text about figures that are missing
        Section("4", "Ressourcen", maybe(budget and text("04_ressourcen"), budget), sections=[
            Section("4.1", "Personal und Verwaltungskostenhaushalt",
                    maybe(text("04_verwaltungskosten") if vk else None),
                    placeholder="" if vk else "Für das Programmjahr sind noch keine "
                                               "Verwaltungskosten geplant."),
            Section("4.2", "Eingliederungsleistungen", maybe(egl and text("04_eingliederung"), egl),
                    placeholder="" if egl else "Für das Programmjahr ist noch kein "
                                                "Eingliederungsbudget geplant."),
        ], placeholder="" if budget else "Für das Programmjahr liegen noch keine Budgetdaten vor."),
        Section("5", "Operative Schwerpunkte und geschäftspolitische Handlungsfelder",
                [text("05_schwerpunkte"), groups_table(p, public)], sections=[
            Section("5.1", "Übergang Schule–Beruf: junge Menschen unter 25", [text("05_u25"), *group_tables_of(p, "5.1", public)]),
            Section("5.2", "Reduzierung der Langzeitarbeitslosigkeit und des Langzeitleistungsbezuges",
                    [text("05_lzb"), *group_tables_of(p, "5.2", public)]),
            Section("5.3", "Arbeits- und Fachkräftesicherung", sections=[
                Section("5.3.1", "Schwerbehinderte Menschen und Rehabilitanden", [text("05_sb"), *group_tables_of(p, "5.3.1", public)]),
                Section("5.3.2", "Alleinerziehende", [text("05_ae"), *group_tables_of(p, "5.3.2", public)]),
                Section("5.3.3", "Berufsrückkehrende", [text("05_rueckkehr"), *group_tables_of(p, "5.3.3", public)]),
                Section("5.3.4", "Kunden ohne Abschluss zu Fachkräften ausbilden",
                        [text("05_abschluss"), *group_tables_of(p, "5.3.4", public)]),
                Section("5.3.5", "Geflüchtete Menschen in Ausbildung und Arbeit integrieren",
                        [text("05_gefluechtete"), *group_tables_of(p, "5.3.5", public)]),
            ]),
        ]),
        Section("6", "Rechtmäßigkeit und Qualität der operativen Umsetzung",
                maybe((quality or rules) and text("06_qualitaet"), quality, rules),
                placeholder="" if quality or rules else
                "Für das Bezugsjahr liegen keine Fallprüfungen und keine Daten zur Prüfung vor."),
        Section("7", "Zusammenarbeit mit den Trägern", [text("07_zusammenarbeit")]),
        Section("8", "Schlussbemerkungen", [text("08_schluss")]),
    ]
    return Report("programme", "Arbeitsmarkt- und Integrationsprogramm",
                  f"des {genitive(p.jobcenter_name)} für das Jahr {p.year}", p.jobcenter_id,
                  p.jobcenter_name, str(p.year), p.data_date, sections, public=public,
                  definitions=DEFINITIONS)


def programme(db, year: int, jobcenter_id: str | None = None, texts_dir: Path | None = None,
              public: bool = True, targets=None) -> Report:
    """Compute the figures and build the programme report for ``year``; ``targets``: the
    steering store's ``StatusInputs`` of the year (chapter 3), read by the shell."""
    figures = programme_figures(db, year, jobcenter_id, targets)
    return build(figures, load_texts(texts_dir) if texts_dir else None, public)
