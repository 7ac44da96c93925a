"""Render the catalogue as the documentation page docs/indicators.md (kept in sync by a test).

Regenerate with ``amip indicators --list --format md > docs/indicators.md``.
"""

from __future__ import annotations

import tomllib

from amip.catalogue import HERE, load

FORM_TEXT = {
    "change": "Veränderungsrate: (Zähler / Nenner − 1) × 100; Zähler im Berichtsmonat t, Nenner im "
              "Vorjahresmonat t−12",
    "rolling_quota": "Quote: Zähler = Summe der Monate t−11..t; Nenner = Durchschnitt der Bestände "
                     "an den Stichtagen t−12..t−1 (die zwölf Vormonate); × 100",
    "rolling_ratio": "Anteil: Zähler und Nenner = Summe der Monate t−11..t; × 100",
    "month_quota": "Quote im Monat: Zähler und Nenner am Stichtag des Berichtsmonats; × 100",
    "mean_rate": "Durchschnittliche Rate: Mittel der zwölf Monatsraten t−11..t, jede Zähler(m) / "
                 "Nenner; × 100; Zähler und Nenner ausgewiesen als Zwölfmonatssummen",
}

FACT_TEXT = {
    "llu": "Summe `llu_eur` der Personen des Jobcenters im Kalendermonat (Zuordnung über den "
           "ELB-/NEF-Zeitraum, der den Monat überlappt; bei mehreren der mit dem spätesten Beginn)",
    "luh": "Summe `luh_eur`, Zuordnung wie bei LLU",
    "elb": "ELB-Bestand am Stichtag: Personen mit einem `elb`-Zeitraum, der den Stichtag abdeckt",
    "elb_in": "Zugänge: im Bestand am Stichtag t, nicht am Stichtag t−1 (desselben Jobcenters)",
    "elb_out": "Abgänge: im Bestand am Stichtag t−1, nicht am Stichtag t",
    "integrations": "Integrationen: Beginn einer sv-pflichtigen Beschäftigung, Ausbildung oder "
                    "Selbständigkeit (ungefördert oder beschäftigungsbegleitend gefördert) im "
                    "Suchfenster A oder B; höchstens eine je Person und Monat",
    "marginal_entries": "Eintritte in geringfügige Beschäftigung, Suchfenster wie bei Integrationen",
    "public_entries": "Eintritte in öffentlich geförderte Beschäftigung (Förderung 16i, FAV, "
                      "Soziale Teilhabe; Maßnahmen AGH, 16i, FAV, Soziale Teilhabe), Suchfenster wie "
                      "bei Integrationen; dieselbe Person im selben Monat einmal",
    "sv_integrations": "Integrationen mit mindestens einem Beginn sv-pflichtiger Beschäftigung",
    "sv_continued": "davon: sv-pflichtig beschäftigt am Stichtag jedes der sechs Folgemonate "
                    "(VO 2010: des zwölften Folgemonats)",
    "integrations_single_parents": "Integrationen von Personen, die am Stichtag t−1 alleinerziehend "
                                   "waren (Hauptperson einer Alleinerziehenden-BG)",
    "single_parents": "Bestand alleinerziehender ELB (Hauptperson einer BG vom Typ "
                      "`single_parent`)",
    "lzb": "LZB-Bestand: ELB im Bestand mit mindestens 638 ELB-Tagen in den 730 Tagen bis zum "
           "Stichtag (einschließlich), Überschneidungen einmal, über Jobcenter hinweg",
    "lzb_in": "Zugänge in LZB: LZB am Stichtag t, nicht LZB (oder nicht im Bestand) am Stichtag t−1",
    "lzb_out": "Abgänge aus LZB: LZB am Stichtag t−1, nicht mehr LZB (oder nicht im Bestand) am "
               "Stichtag t",
    "integrations_lzb": "Integrationen von Personen, die am Stichtag t−1 LZB waren",
    "lzb_active": "LZB am Stichtag in einer Maßnahme der aktiven Arbeitsförderung (Liste der "
                  "Regelversion), Personen, nicht Förderfälle",
}


def render_markdown() -> str:
    cat = load()
    p = cat.parameters
    out = [
        "# Kennzahlen nach § 48a SGB II",
        "",
        "Generated from `amip/catalogue/*.toml` by `amip indicators --list --format md`; do not "
        "edit by hand. Readings follow the domain reference, §10 (the readings amip pins).",
        "",
        f"- Stichtag: der {p.stichtag_day}. des Monats. Wartezeit: {p.wartezeit_months} Monate "
        "(`--published`: Daten mit `recorded_on` bis zum Ende des Monats t+3).",
        f"- LZB: mindestens {p.lzb_threshold_days} ELB-Tage in {p.lzb_window_days} Tagen.",
        "- Jeder Wert je Jobcenter für `all`, `m`, `w` (Personen mit `d` nur in `all`); ein Nenner "
        "0 ergibt keinen Wert (`null`).",
        "",
        "## Regelversionen",
        "",
        "| Version | gültig ab | gültig bis | Fassung |",
        "|---|---|---|---|",
    ]
    for v in cat.rules.values():
        out.append(f"| {v.label} (`{v.key}`) | {v.valid_from:%d.%m.%Y} | "
                   f"{v.valid_to:%d.%m.%Y} | {v.title}; {v.source} |" if v.valid_to else
                   f"| {v.label} (`{v.key}`) | {v.valid_from:%d.%m.%Y} | – | {v.title}; {v.source} |")
    out += ["", "Der Berichtsmonat wählt die am Stichtag gültige Version; `--rules` erzwingt eine.",
            "", "## Übersicht", "", "| Code | Bezeichnung | Art | Rechtsgrundlage |",
            "|---|---|---|---|"]
    for i in cat.indicators.values():
        out.append(f"| {i.code} | {i.name} | {i.kind} | {i.legal_basis} |")
    for i in cat.indicators.values():
        out += ["", f"## {i.code} – {i.name}", "", i.description, "",
                f"- Ziel: {i.goal}; {i.kind}; {i.legal_basis}",
                f"- Form: {FORM_TEXT[i.form]}",
                f"- Zähler (`{i.numerator}`): {FACT_TEXT[i.numerator]}",
                f"- Nenner (`{i.denominator}`): {FACT_TEXT[i.denominator]}"]
        if i.form == "mean_rate":
            out.append(f"- Nenner der Monatsrate: Stichtag {'t' if i.denominator_lag == 0 else 't−1'}")
        if i.name_by_rules:
            names = "; ".join(f"{v.label}: {getattr(v, i.name_by_rules)}" for v in cat.rules.values())
            out.append(f"- Bezeichnung je Regelversion: {names}")
    out += ["", "## Lesarten, die amip festlegt", "",
            "Wo die Quellen Raum lassen, gilt (Quelle: Domänenreferenz):", ""]
    readings = tomllib.loads((HERE / "readings.toml").read_text(encoding="utf-8"))["reading"]
    for r in readings:
        out.append(f"- **{r['topic']}**: {r['text']} ({r['basis']})")
    out += ["", "## Instrumentenlisten je Regelversion", ""]
    for v in cat.rules.values():
        out += [f"### {v.label}", "",
                f"- Integration: Arten {', '.join(v.integration_kinds)}; Förderungen "
                f"{', '.join(v.integration_fundings)}",
                f"- öffentlich gefördert (K2E2): Förderungen {', '.join(v.public_fundings)}; "
                f"Instrumente {', '.join(v.public_instruments)}",
                f"- aktive Arbeitsförderung (K3E2): {', '.join(v.activation_instruments)}",
                f"- K2E3: sv-Beschäftigung an den Stichtagen der Folgemonate "
                f"{', '.join(f'm+{k}' for k in v.k2e3_months_after)}", ""]
    return "\n".join(out).rstrip() + "\n"
