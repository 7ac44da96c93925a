"""`amip groups`: the customer-group monitor for a month, a Standort or team (German table, JSON
or CSV)."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.cli.indicators_cmd import _month, write_csv
from amip.cli.store_cmds import err, open_store, say
from amip.engine.group_monitor import group_monitor
from amip.engine.horizon import NoFigures, horizon
from amip.engine.indicators import UnknownUnit

console = Console()
FIGURES = ("stock", "inflows", "outflows", "integrations", "integration_rate", "lzb_share",
           "activation_rate")
LABELS = ("Bestand", "Zugänge", "Abgänge", "Integrationen", "IQ 12 Mon.", "LZB-Anteil",
          "Aktivierung")


@click.command("groups")
@click.option("--store", "store_path", type=click.Path(dir_okay=False),
              help="Datenbestand (Standard: $AMIP_STORE oder amip.duckdb).")
@click.option("--month", "month", callback=_month, required=True, help="Berichtsmonat JJJJ-MM.")
@click.option("--unit", "unit_id", help="Ein Standort oder Team (Standard: das Jobcenter).")
@click.option("--jobcenter", "jobcenter_id", help="Das Jobcenter (nötig bei mehreren).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="csv: deutsches CSV (Semikolon, Dezimalkomma).")
def groups_cmd(store_path, month, unit_id, jobcenter_id, fmt) -> None:
    """Kundengruppen: Bestand, Zugänge, Abgänge, Integrationen, LZB-Anteil und Aktivierung."""
    store = open_store(store_path)
    try:
        view = store.view()
        horizon(view).check_months([month])  # §10.2 item 30
        data = group_monitor(view, month, jobcenter_id, unit_id)
    except UnknownUnit as e:
        raise click.UsageError(str(e)) from None
    except NoFigures as e:
        say(err, f"Fehler: {e}", "red")
        sys.exit(2)
    finally:
        store.close()
    if fmt == "json":
        json.dump(data, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    elif fmt == "csv":
        _csv(data)
    else:
        _table(data)


def _csv(data: dict) -> None:
    scope = data["unit_id"] or data["jobcenter_id"]

    def rows():
        for gid, series in data["trend"].items():
            for f in series:
                yield [scope, gid, f["month"], *[f.get(k) for k in FIGURES]]
        for u in data["units"]:
            for gid, f in u["figures"].items():
                yield [u["unit_id"], gid, data["month"], *[f.get(k) for k in FIGURES]]
    write_csv(("unit_id", "group", "month", *FIGURES), rows())


def _cell(key: str, value) -> str:
    if key in ("integration_rate", "lzb_share", "activation_rate"):
        return i18n.pct(value)
    return i18n.num(value)


def _table(data: dict) -> None:
    names = {g["id"]: g["name"] for g in data["groups"]}
    short = {g["id"]: g["short"] or g["name"] for g in data["groups"]}
    scope = data["unit_name"] or f"Jobcenter {data['jobcenter_id']}"
    month = data["month"]
    t = Table(title=f"Kundengruppen – {scope}, Berichtsmonat {month[5:]}.{month[:4]}",
              title_justify="left")
    t.add_column("Kundengruppe")
    for label in LABELS:
        t.add_column(label, justify="right")
    for gid, f in data["figures"].items():
        t.add_row(short[gid], *[_cell(k, f.get(k)) for k in FIGURES])
    console.print(t)
    if data["units"]:
        t = Table(title="Bestand nach Einheit", title_justify="left")
        t.add_column("Einheit")
        for gid in data["figures"]:
            t.add_column(short[gid], justify="right")
        for u in data["units"]:
            t.add_row(u["name"], *[i18n.num(u["figures"][g]["stock"]) for g in data["figures"]])
        console.print(t)
    t = Table(title="Verlauf: Bestand", title_justify="left")
    t.add_column("Monat")
    for gid in data["trend"]:
        t.add_column(short[gid], justify="right")
    months = [f["month"] for f in next(iter(data["trend"].values()))]
    for i, m in enumerate(months):
        t.add_row(f"{m[5:]}.{m[:4]}",
                  *[i18n.num(series[i]["stock"]) for series in data["trend"].values()])
    console.print(t)
    for g in data["groups"]:
        say(console, f"{g['short']}: {g['name']}" + (f" – {g['note']}" if g["note"] else ""))
    say(console, "Integrationsquote: Integrationen der letzten zwölf Monate je durchschnittlichem "
                 "Bestand der zwölf Vormonate; Aktivierungsquote wie K3E2 (Maßnahmen der "
                 "Aktivierungsliste am Stichtag).")
