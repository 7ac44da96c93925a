"""`amip budget status|outcomes|landing`: the budget figures (a stable contract, issue 13 item 6).

JSON keys are English and stable; tables are German with German number formats. The figures
come from :mod:`amip.engine.budget` (domain reference §12 items 38–43, §12.1 items 52–58).
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.cli.indicators_cmd import _date, _month, write_csv
from amip.cli.store_cmds import open_store, say, store_option
from amip.catalogue.monitors import customer_groups
from amip.engine import budget as engine
from amip.engine.calendar import month_start

EXIT_NO_DATA = 2


def _year(ctx, param, value):
    if value is None:
        return None
    if not 2000 <= value <= 2100:
        raise click.BadParameter(f"kein Haushaltsjahr: {value} (erwartet 2000 bis 2100)")
    return value


format_option = click.option("--format", "fmt", type=click.Choice(["json", "table"]),
                             default="table", show_default=True)


@click.group("budget")
def budget_group() -> None:
    """Budget: Stand je Titel und Instrument, Jahresabschluss-Prognose, Ergebnisse je Instrument."""


def _no_data(text: str) -> None:
    say(Console(stderr=True), f"Fehler: {text}", "red")
    sys.exit(EXIT_NO_DATA)


def _dump(records: list[dict] | dict) -> None:
    json.dump(records, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


def _console() -> Console:
    return Console(width=max(Console().width, 140))


def _title_label(title: str, instrument: str | None) -> str:
    return f"{title} insgesamt" if instrument is None else f"{title} · {instrument}"


@budget_group.command("status")
@click.option("--year", type=int, required=True, callback=_year, help="Haushaltsjahr JJJJ.")
@click.option("--as-of", "as_of", callback=_date,
              help="Nur Buchungen bis zu diesem Tag (einschließlich) berücksichtigen.")
@click.option("--jobcenter", "jobcenter_id", help="Nur dieses Jobcenter.")
@store_option
@click.option("--format", "fmt", type=click.Choice(["json", "table", "csv"]), default="table",
              show_default=True, help="csv: deutsches CSV (Semikolon, Dezimalkomma).")
def status_cmd(year, as_of, jobcenter_id, store_path, fmt) -> None:
    """Budgetstand: Plan (mit Umschichtungen), Zahlungen, offene Bindungen, Vorbindungen,
    verfügbare Mittel, Bindungs- und Ausgabequote."""
    with open_store(store_path) as store:
        rows = engine.status(store.view(), year, as_of, jobcenter_id)
    if not rows:
        _no_data(f"Für das Haushaltsjahr {year} gibt es keinen Plan und keine Buchungen"
                 + (f" des Jobcenters {jobcenter_id}" if jobcenter_id else "") + ".")
    if fmt == "json":
        _dump([r.as_json() for r in rows])
    elif fmt == "csv":
        write_csv(engine.STATUS_KEYS, ([getattr(r, k) for k in engine.STATUS_KEYS] for r in rows))
    else:
        _status_table(rows, year, as_of)


def _status_table(rows, year, as_of) -> None:
    console = _console()
    for jc in dict.fromkeys(r.jobcenter_id for r in rows):
        stand = f", Buchungsstand {i18n.day(as_of)}" if as_of else ""
        t = Table(title=f"Budget {year} – Jobcenter {jc}{stand}", title_justify="left")
        for col in ("Titel / Instrument", "Plan", "Zahlungen", "offene Bindungen",
                    "Vorbindungen", "verfügbar", "Bindungsquote", "Ausgabequote"):
            t.add_column(col, justify="left" if col.startswith("Titel") else "right")
        mine = [r for r in rows if r.jobcenter_id == jc]
        for r in mine:
            t.add_row(_title_label(r.title, r.instrument),
                      *(i18n.eur(x, cents=True) for x in (r.plan, r.payments, r.open_commitments,
                                                          r.vorbindungen, r.available)),
                      i18n.pct(r.bindungsquote), i18n.pct(r.ausgabequote),
                      style="bold" if r.instrument is None else None)
        console.print(t)
        for o in engine.overview(mine):
            say(console, f"Gesamtbudget (Eingliederungsleistungen und Verwaltungskosten): "
                         f"{i18n.eur(o.gesamtbudget, cents=True)}")
            if o.kfa is not None:
                say(console, f"Kommunaler Finanzierungsanteil (15,2 % von "
                             f"{i18n.eur(o.vk_total, cents=True)} Verwaltungskosten insgesamt): "
                             f"{i18n.eur(o.kfa, cents=True)}")
        say(console, "Quoten: – wenn der Plan 0 € beträgt.")


@budget_group.command("outcomes")
@click.option("--month", "month", callback=_month, required=True,
              help="Letzter Monat des Zwölfmonatszeitraums JJJJ-MM (Dezember: das Jahr).")
@click.option("--to", "to", callback=_month,
              help="Eine Reihe: je Monat von --month bis --to (JJJJ-MM) ein Zwölfmonatszeitraum.")
@click.option("--jobcenter", "jobcenter_id", help="Nur dieses Jobcenter.")
@click.option("--by-group", "by_group", is_flag=True,
              help="Je Kundengruppe (groups.toml) zum Eintritt; ohne Kosten.")
@store_option
@format_option
def outcomes_cmd(month, to, jobcenter_id, by_group, store_path, fmt) -> None:
    """Ergebnisse je Instrument über die zwölf Monate t−11..t: Austritte, Eingliederungs- und
    Verbleibsquote, Kosten je Teilnehmer und je Eingliederung (beschreibend, nicht kausal)."""
    months = list(range(month, (to if to is not None else month) + 1))
    if not months:
        raise click.UsageError("--to liegt vor --month")
    with open_store(store_path) as store:
        rows = engine.outcomes(store.view(), months, jobcenter_id, by_group=by_group)
    if not rows:
        _no_data(f"Für die zwölf Monate bis {i18n.month(month_start(months[-1]))} gibt es keine "
                 f"Teilnahmen an Maßnahmen.")
    if fmt == "json":
        _dump([r.as_json() for r in rows])
        return
    console = _console()
    groups = customer_groups()
    for jc, mon in dict.fromkeys((r.jobcenter_id, r.month) for r in rows):
        t = Table(title=f"Ergebnisse je Instrument – Jobcenter {jc} – zwölf Monate bis "
                        f"{i18n.month(dt.date.fromisoformat(mon + '-01'))}", title_justify="left")
        costs = ("Teilnehmende",) if by_group else ("Teilnehmende", "Zahlungen",
                                                     "Kosten je Teilnehmer",
                                                     "Kosten je Eingliederung")
        for col in ("Instrument", *(("Kundengruppe",) if by_group else ()), "Austritte",
                    "davon auswertbar", "Eingliederungsquote", "Verbleibsquote", *costs):
            t.add_column(col, justify="left" if col in ("Instrument", "Kundengruppe")
                         else "right")
        for r in (r for r in rows if (r.jobcenter_id, r.month) == (jc, mon)):
            money = () if by_group else (
                i18n.eur(r.payments, cents=True), i18n.eur(r.cost_per_participant, True),
                i18n.eur(r.cost_per_eingliederung, True))
            t.add_row(r.instrument, *((groups[r.group].name,) if by_group else ()),
                      i18n.num(r.austritte), i18n.num(r.in_horizon),
                      i18n.pct(r.eingliederungsquote), i18n.pct(r.verbleibsquote),
                      i18n.num(r.participants), *money)
        console.print(t)
    say(console, f"Hinweis: {engine.budget_catalogue().caveat}")
    if by_group:
        say(console, f"Kundengruppe der Person am letzten Stichtag vor dem Eintritt (vor Beginn "
                     f"der zwölf Monate: vor deren Beginn); keine Kosten: "
                     f"{engine.NO_GROUP_COSTS}.")
    say(console, "Eingliederungsquote: sozialversicherungspflichtig beschäftigt sechs Monate nach "
                 "dem Austritt; Verbleibsquote: dann nicht arbeitslos. Nur Austritte, deren Tag "
                 "sechs Monate später im Datenstand liegt (auswertbar).")


@budget_group.command("landing")
@click.option("--year", type=int, required=True, callback=_year, help="Haushaltsjahr JJJJ.")
@click.option("--month", "month", callback=_month, required=True,
              help="Stand: Ende dieses Monats JJJJ-MM (im Haushaltsjahr).")
@click.option("--jobcenter", "jobcenter_id", help="Nur dieses Jobcenter.")
@click.option("--profile", type=click.Choice(sorted(engine.budget_catalogue().profiles)),
              help="Ein erklärtes Ausgabenprofil statt der Monatsanteile der drei Vorjahre.")
@store_option
@format_option
def landing_cmd(year, month, jobcenter_id, profile, store_path, fmt) -> None:
    """Mittelabfluss gegen den Planpfad und Prognose des Jahresabschlusses mit Intervall;
    Warnung, wenn die Landung außerhalb Plan ± 3 % liegt."""
    if month // 12 != year:
        raise click.UsageError(f"--month {month // 12:04d}-{month % 12 + 1:02d} liegt nicht im "
                               f"Haushaltsjahr {year}")
    with open_store(store_path) as store:
        rows = engine.landing(store.view(), year, month, jobcenter_id, profile)
    if not rows:
        _no_data(f"Für das Haushaltsjahr {year} gibt es keinen Plan und keine Zahlungen.")
    if fmt == "json":
        _dump([r.as_json() for r in rows])
        return
    console = _console()
    label = i18n.month(month_start(month))
    for jc in dict.fromkeys(r.jobcenter_id for r in rows):
        t = Table(title=f"Jahresabschluss-Prognose {year} – Jobcenter {jc} – Stand Ende {label}",
                  title_justify="left")
        for col in ("Titel / Instrument", "Plan", "Planpfad", "Zahlungen", "offene Bindungen",
                    "Landung", "Intervall", "Abweichung", "Hinweis"):
            t.add_column(col, justify="left" if col in ("Titel / Instrument", "Hinweis")
                         else "right")
        for r in (r for r in rows if r.jobcenter_id == jc):
            t.add_row(_title_label(r.title, r.instrument), i18n.eur(r.plan),
                      i18n.eur(r.path[r.month - 1]), i18n.eur(r.payments),
                      i18n.eur(r.open_commitments), i18n.eur(r.landing),
                      f"{i18n.eur(r.landing_low)} – {i18n.eur(r.landing_high)}",
                      i18n.pct(r.deviation_percent, signed=True),
                      engine.WARNINGS.get(r.warning, "") if r.warning else "",
                      style="bold" if r.instrument is None else None)
        console.print(t)
    say(console, "Planpfad: Monatsanteile der Zahlungen der drei Vorjahre (oder das erklärte "
                 "Profil); Landung: Zahlungen + max(offene Bindungen, Hochrechnung der letzten "
                 "drei Monate); Warnung außerhalb Plan ± 3 %.")


@budget_group.command("compare")
@click.option("--year", type=int, required=True, callback=_year, help="Haushaltsjahr JJJJ.")
@click.option("--before", type=int, callback=_year, help="Vergleichsjahr (Standard: Vorjahr).")
@click.option("--jobcenter", "jobcenter_id", help="Nur dieses Jobcenter.")
@store_option
@format_option
def compare_cmd(year, before, jobcenter_id, store_path, fmt) -> None:
    """Jahresvergleich der Zuteilungen: Eingliederungsleistungen, Verwaltungskosten,
    Gesamtbudget und kommunaler Finanzierungsanteil, Delta absolut und in %."""
    before = before if before is not None else year - 1
    with open_store(store_path) as store:
        rows = engine.comparison(store.view(), before, year, jobcenter_id)
    if not rows:
        _no_data(f"Für {before} und {year} gibt es keinen Budgetplan.")
    if fmt == "json":
        _dump(engine.comparison_json(rows, before, year))
        return
    console = _console()
    for jc in dict.fromkeys(r.jobcenter_id for r in rows):
        t = Table(title=f"Budget {before} und {year} – Jobcenter {jc}", title_justify="left")
        for col in ("", f"Zuteilung {before}", f"Schätzwert {year}", "Delta absolut",
                    "Delta in %"):
            t.add_column(col, justify="right" if col else "left")
        for r in (r for r in rows if r.jobcenter_id == jc):
            t.add_row(r.label, i18n.eur(r.before), i18n.eur(r.now),
                      i18n.eur(r.delta), i18n.pct(r.delta_percent, signed=True),
                      style="bold" if r.key == "gesamtbudget" else None)
        console.print(t)
