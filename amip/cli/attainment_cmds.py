"""`amip targets status` and `amip plan status` (issue 12 item 7): Zielnachhaltung and the
planning round from the core (:mod:`amip.attainment.status`); this module only reads the
steering store, routes and formats.

The ``targets`` and ``plan`` groups live in :mod:`amip.cli.steering_cmds`; :func:`register`
adds the two ``status`` commands to them.
"""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.attainment.records import PLAN_KEYS, STATUS_KEYS, PlanRecord, StatusRecord
from amip.cli.indicators_cmd import write_csv
from amip.cli.store_cmds import open_store, say, store_option
from amip.engine.calendar import month_start, parse_month

LIGHTS = {"green": "grün", "yellow": "gelb", "red": "rot", "grey": "grau"}
SEXES = {"all": "Insgesamt", "m": "Männer", "w": "Frauen"}
LEVELS = {"jobcenter": "Jobcenter", "standort": "Standort", "team": "Team"}


def _month(ctx, param, value):
    try:
        return parse_month(value)
    except ValueError:
        raise click.BadParameter(f"kein Monat: {value!r} (erwartet JJJJ-MM)") from None


@click.command("status")
@click.option("--month", "month", required=True, callback=_month, help="Berichtsmonat JJJJ-MM.")
@store_option
@click.option("--unit", "unit_id", help="Nur diese Einheit und die darunter (Standort, Team).")
@click.option("--format", "fmt", type=click.Choice(["json", "table", "csv"]), default="table",
              show_default=True, help="csv: deutsches CSV (Semikolon, Dezimalkomma).")
@click.option("--no-expectation", is_flag=True,
              help="Ohne Jahresendprognose (schneller).")
def targets_status(month: int, store_path: str, unit_id: str | None, fmt: str,
                   no_expectation: bool) -> None:
    """Zielnachhaltung eines Monats: Ist, Zielpfad, Abstand, Ampel und Jahresendprognose je
    Ziel für das Jobcenter, jeden Standort und jedes Team."""
    from amip.attainment.status import target_status
    from amip.steering import Steering
    from amip.steering.inputs import status_inputs

    store = open_store(store_path)
    try:
        with Steering.open(store_path) as steering:
            i = status_inputs(steering, month // 12)
        records = target_status(store.view(), i.targets, month, unit_id, i.measure_values,
                                i.plans, with_expectation=not no_expectation,
                                measures=i.measures)
    finally:
        store.close()
    if fmt == "json":
        json.dump([r.as_json() for r in records], sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    elif fmt == "csv":
        write_csv(STATUS_KEYS, ([r.as_json()[k] for k in STATUS_KEYS] for r in records))
    else:
        _status_table(records, month)


def _num(x: float | None) -> str:
    return "–" if x is None else i18n.num(x, 0 if float(x).is_integer() else 1)


def _status_table(records: list[StatusRecord], month: int) -> None:
    console = Console(width=max(Console().width, 140))
    t = Table(title=f"Zielnachhaltung – {i18n.month(month_start(month))}", title_justify="left")
    for col, right in (("Einheit", False), ("Messgröße", False), ("Geschlecht", False),
                       ("Ziel", True), ("Ist", True), ("Zielpfad", True), ("Abstand", True),
                       ("Abstand %", True), ("Ampel", False), ("Erwartung Dezember", True)):
        t.add_column(col, justify="right" if right else "left")
    notes: dict[str, int] = {}
    for r in records:
        mark = f" ({notes.setdefault(r.reason, len(notes) + 1)})" if r.reason else ""
        unit = f"{LEVELS.get(r.level, r.level)} {r.unit_id}" if r.unit_id else \
            f"Jobcenter {r.jobcenter_id}"
        expected = "–" if r.expected is None else \
            f"{_num(r.expected)} ({_num(r.expected_lower)}–{_num(r.expected_upper)})"
        t.add_row(unit, r.measure + mark, SEXES.get(r.sex, r.sex), _num(r.target),
                  _num(r.actual), _num(r.path), _num(r.gap), i18n.pct(r.gap_percent, 1),
                  LIGHTS[r.light], expected)
    console.print(t)
    for reason, i in notes.items():
        say(console, f"({i}) {reason}")


@click.command("status")
@click.option("--year", "year", required=True, type=int, help="Planungsjahr JJJJ.")
@click.option("--measure", "measure", required=True, help="Messgröße (z. B. integrations).")
@click.option("--key", "key", type=click.Choice(["elb", "marktnah", "equal"]), default="elb",
              show_default=True, help="Schlüssel, nach dem die Planungslücke verteilt wird.")
@store_option
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table",
              show_default=True)
def plan_status(year: int, measure: str, key: str, store_path: str, fmt: str) -> None:
    """Planungsrunde: Teampläne, Summen je Standort und Jobcenter, Planungslücke und der
    Vorschlag, sie nach dem Schlüssel zu verteilen."""
    from amip.attainment.status import plan_status as status
    from amip.steering import Steering

    store = open_store(store_path)
    try:
        with Steering.open(store_path) as steering:
            plans = steering.plans(year, measure)
            targets = [t for t in steering.targets(year=year)
                       if t.measure == measure and t.unit_id is None and t.sex == "all"]
        jcs = {t.jobcenter_id for t in targets} | {p.jobcenter_id for p in plans}
        records = []
        for jc in sorted(jcs) or [None]:
            target = next((t for t in targets if t.jobcenter_id == jc), None)
            records += status(store.view(), [p for p in plans if p.jobcenter_id == jc], target,
                              year, measure, key, jobcenter_id=jc)
    finally:
        store.close()
    if fmt == "json":
        json.dump([r.as_json() for r in records], sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _plan_table(records, year, measure, key)


def _plan_table(records: list[PlanRecord], year: int, measure: str, key: str) -> None:
    t = Table(title=f"Planung {year} – {measure} (Schlüssel {key})", title_justify="left")
    for col, right in (("Einheit", False), ("Ebene", False), ("Plan", True), ("Schlüssel", True),
                       ("Vorschlag", True), ("Summe", True), ("Ziel", True)):
        t.add_column(col, justify="right" if right else "left")
    for r in records:
        t.add_row(r.unit_id or "–", LEVELS.get(r.level, r.level), _num(r.planned),
                  _num(r.key_value), _num(r.proposed), _num(r.total), _num(r.target))
    Console().print(t)
    reason = next((r.reason for r in records if r.reason), None)
    if reason:
        say(Console(), f"Hinweis: {reason}")


def register(targets_group: click.Group, plan_group: click.Group) -> None:
    """Add ``status`` to the ``targets`` and ``plan`` groups of amip.cli.steering_cmds."""
    targets_group.add_command(targets_status)
    plan_group.add_command(plan_status)


__all__ = ["targets_status", "plan_status", "register", "PLAN_KEYS"]
