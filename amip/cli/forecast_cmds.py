"""`amip forecast`: the backtest leaderboard and the Zielwerterwartung (docs/forecast.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.cli.indicators_cmd import _month, write_csv
from amip.cli.progress import bar
from amip.cli.store_cmds import open_store, say
from amip.engine.calendar import month_start, parse_month

#: English JSON keys of a leaderboard row
BACKTEST_KEYS = ("series", "model", "rank", "chosen", "n", "mae", "mape", "coverage",
                 "interval_score")
PROPOSAL_KEYS = ("measure", "year", "month", "value", "lower", "upper", "level", "unit", "basis",
                 "model", "coverage")


@click.group("forecast")
def forecast_group() -> None:
    """Prognosen: Backtest, Modellwahl und Zielwerterwartung."""


@forecast_group.command("backtest")
@click.option("--store", "store_path", type=click.Path(dir_okay=False),
              help="Datenbestand (Standard: $AMIP_STORE oder amip.duckdb).")
@click.option("--month", "month", callback=_month,
              help="Letzter Prognoseursprung JJJJ-MM (Standard: der letzte vollständige Monat).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="csv: deutsches CSV (Semikolon, Dezimalkomma).")
def backtest_cmd(store_path, month, fmt) -> None:
    """Rollierender Backtest der Prognosen: Rangliste je Reihe und gewähltes Modell."""
    from amip.engine.backtest import cached_backtest

    with open_store(store_path) as store, bar(counted=True) as progress:
        task = progress.add_task("Backtest", total=None)
        bt = cached_backtest(store.view(), month,
                             progress=lambda k, n: progress.update(task, completed=k, total=n))
    rows = [r for ranks in bt.leaderboard.values() for r in ranks]
    if fmt == "json":
        json.dump({"jobcenter_id": bt.jobcenter_id, "first_origin": bt.first_origin,
                   "last_origin": bt.last_origin, "origins": bt.n_origins, "n_paths": bt.n_paths,
                   "seed": bt.seed, "level": bt.level, "rules": bt.rules,
                   "choice": bt.choice.as_dict(),
                   "leaderboard": [{k: getattr(r, k) for k in BACKTEST_KEYS} for r in rows],
                   "scores": [vars(s) for s in bt.scores], "notes": list(bt.notes)},
                  sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    elif fmt == "csv":
        write_csv(BACKTEST_KEYS, ([getattr(r, k) for k in BACKTEST_KEYS] for r in rows))
    else:
        _backtest_table(bt)


def _backtest_table(bt) -> None:
    from amip.engine.backtest import CHOSEN, SERIES
    from amip.engine.forecast import MODELS

    names = {**{k: v[0] for k, v in MODELS.items()}, CHOSEN: "gewählte je Reihe"}

    console = Console(width=max(Console().width, 120))
    labels = {s.key: s.label for s in SERIES}
    t = Table(title=f"Backtest der Prognosen – Jobcenter {bt.jobcenter_id} – Ursprünge "
                    f"{_m(bt.first_origin)} bis {_m(bt.last_origin)} ({bt.n_origins}), "
                    f"Horizont 1–12 Monate", title_justify="left")
    for col in ("Reihe", "Modell", "Intervall-Score", "MAE", "MAPE", "Abdeckung 80 %", "Rang",
                "gewählt"):
        t.add_column(col, justify="left" if col in ("Reihe", "Modell") else "right")
    for key, ranks in bt.leaderboard.items():
        digits = 2 if key in ("K2", "K3") else 1
        for r in ranks:
            t.add_row(labels[key] if r.rank == 1 else "", names[r.model],
                      i18n.num(r.interval_score, digits) if r.interval_score is not None
                      else "–",
                      i18n.num(r.mae, digits) if r.mae is not None else "–",
                      i18n.pct(r.mape, 1) if r.mape is not None else "–",
                      i18n.pct(r.coverage * 100, 0) if r.coverage is not None else "–",
                      str(r.rank), "✓" if r.chosen else "")
        t.add_section()
    console.print(t)
    say(console, "Rang nach dem Intervall-Score des 80-%-Intervalls (Breite plus Strafe je "
                 "Verfehlung, kleiner ist besser). Intervall-Score und MAE bei K2 und K3 in "
                 "Prozentpunkten, sonst in Personen; MAPE nur über Monate mit Istwert ≠ 0. K2 und "
                 "K3 nutzen die für ihre Reihen gewählten Modelle („gewählte je Reihe“, wenn "
                 "diese verschieden sind).")
    for note in bt.notes:
        say(console, f"Hinweis: {note}.", "yellow")


def _m(month: str) -> str:
    return i18n.month(month_start(parse_month(month)))


@forecast_group.command("proposal")
@click.option("--year", type=int, required=True, help="Das Planungsjahr JJJJ.")
@click.option("--store", "store_path", type=click.Path(dir_okay=False),
              help="Datenbestand (Standard: $AMIP_STORE oder amip.duckdb).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def proposal_cmd(year, store_path, fmt) -> None:
    """Zielwerterwartung für das Planungsjahr: K2, K3 und Integrationen mit 80-%-Intervall."""
    from amip.engine.backtest import (PROPOSAL_MEASURES, cached_backtest, proposal_month,
                                      proposed_target)

    with open_store(store_path) as store, bar(counted=True) as progress:
        view = store.view()
        proposal_month(view, year)  # a year that is over: say so before the backtest
        task = progress.add_task("Backtest (Modellwahl)", total=None)
        bt = cached_backtest(
            view, progress=lambda k, n: progress.update(task, completed=k, total=n))
        task = progress.add_task("Zielwerterwartung", total=len(PROPOSAL_MEASURES))
        out = []
        for m in PROPOSAL_MEASURES:
            out.append(proposed_target(view, year, m, backtest=bt))
            progress.advance(task)
    if fmt == "json":
        json.dump([{k: getattr(p, k) for k in PROPOSAL_KEYS} for p in out], sys.stdout, indent=1,
                  ensure_ascii=False)
        sys.stdout.write("\n")
        return
    console = Console(width=max(Console().width, 120))
    t = Table(title=f"Zielwerterwartung {year} – aus den Daten bis {_m(out[0].month)}",
              title_justify="left")
    for col in ("Größe", "Erwartung", "80-%-Intervall", "Abdeckung im Backtest", "Modell"):
        t.add_column(col, justify="right" if col != "Größe" and col != "Modell" else "left")
    for p in out:
        fmt_v = (lambda x: i18n.pct(x, 1, signed=p.measure == "K3")) if p.unit == "percent" \
            else (lambda x: i18n.num(x, 0))
        interval = "–" if p.lower is None else f"{fmt_v(p.lower)} bis {fmt_v(p.upper)}"
        t.add_row(p.basis, fmt_v(p.value) if p.value is not None else "–", interval,
                  "–" if p.coverage is None else i18n.pct(p.coverage * 100, 0), p.model)
    console.print(t)
    say(console, "Abdeckung im Backtest: Anteil der Istwerte im 80-%-Intervall derselben "
                 "Modelle, Horizont 1–12 Monate (K2, K3: der Monatswert; Integrationen: der "
                 "Monat, nicht die Jahressumme).")
