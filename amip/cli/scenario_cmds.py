"""`amip budget scenario add|list|show|compare|history|withdraw`: named budget scenarios (issue
13 item 4). Kept in the steering store (:mod:`amip.steering.scenarios`), computed by
:mod:`amip.engine.budget_scenario`; JSON keys English, tables German."""

from __future__ import annotations

import tomllib
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.cli.budget_cmds import _dump, _year
from amip.cli.indicators_cmd import _month
from amip.cli.steering_cmds import (OPERATION, _as_of, _steering, reason_option,
                                    steering_option, user_option)
from amip.cli.store_cmds import open_store, say, store_option
from amip.engine import budget_scenario as engine
from amip.engine.scenario_changes import parse_changes
from amip.errors import DataError

ROW_KEYS = ("jobcenter_id", "year", "name", "description", "changes", "version",
            "recorded_at", "recorded_by", "reason", "operation")

year_option = click.option("--year", type=int, required=True, callback=_year,
                           help="Haushaltsjahr JJJJ.")
jobcenter_option = click.option("--jobcenter", "jobcenter_id",
                                help="Jobcenter (Standard: das einzige mit einem Budgetplan).")
basis_option = click.option("--basis", "basis_month", callback=_month,
                            help="Letzter Monat der zwölf Monate, aus denen Kosten und Quoten "
                                 "stammen, JJJJ-MM (Standard: Dezember des Vorjahres).")
format_option = click.option("--format", "fmt", type=click.Choice(["json", "table"]),
                             default="table", show_default=True)


def computed(command):
    """The options of the commands that compute results (show, compare)."""
    for option in reversed((year_option, jobcenter_option, basis_option, store_option,
                            steering_option, format_option)):
        command = option(command)
    return command


@click.group("scenario")
def scenario_group() -> None:
    """Szenarien: Planansätze ändern und die erwarteten Eintritte, Teilnehmenden,
    Eingliederungen und die Wirkung auf K2 sehen (beschreibend, nicht kausal)."""


def read_file(path: str) -> tuple[str | None, list[str]]:
    """A scenario file: TOML with ``description`` and ``changes = ["…", …]`` (the text form), or
    plain text with one change per line (# comments)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise DataError(f"Szenariodatei {path}: {e.strerror}") from None
    if p.suffix.lower() != ".toml":
        return None, text.splitlines()
    try:
        d = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DataError(f"Szenariodatei {path}: kein gültiges TOML ({e})") from None
    changes = d.get("changes")
    if not isinstance(changes, list) or not all(isinstance(c, str) for c in changes):
        raise DataError(f"Szenariodatei {path}: changes = [\"…\", …] fehlt (eine Änderung je "
                        "Text, z. B. \"instrument=fbw:-10%\")")
    return d.get("description"), changes


def _jobcenter(store_path: str, year: int, jobcenter_id: str | None) -> str:
    with open_store(store_path) as store:
        return engine.plan_jobcenter(store.view(), year, jobcenter_id)


@scenario_group.command("add")
@click.argument("name")
@year_option
@click.option("--change", "changes", multiple=True,
              help="Eine Änderung (mehrfach): instrument=fbw:250000, instrument=16i:+100%, "
                   "title=egl:-10%, move=fbw>egz:100000 oder move=fbw:-100,egz:+100.")
@click.option("--file", "file", type=click.Path(dir_okay=False),
              help="Änderungen aus einer Datei: TOML (description, changes = [...]) oder Text "
                   "(eine Änderung je Zeile).")
@click.option("--description", help="Beschreibung des Szenarios.")
@click.option("--version", "expected_version", type=int, default=0, show_default=True,
              help="Die Version, auf der die Änderung beruht (0: neues Szenario).")
@jobcenter_option
@store_option
@steering_option
@reason_option
@user_option
def add_cmd(name, year, changes, file, description, expected_version, jobcenter_id, store_path,
            steering_url, reason, user) -> None:
    """Ein Szenario speichern (oder mit --version ändern); jede Änderung eine neue Version."""
    texts = list(changes)
    if file:
        desc, more = read_file(file)
        texts += more
        description = description or desc
    if not texts:
        raise click.UsageError("keine Änderung: --change oder --file angeben")
    parsed = parse_changes(texts)
    jc = _jobcenter(store_path, year, jobcenter_id)
    with _steering(store_path, steering_url) as st:
        row = st.save_scenario(jc, year, name, description, parsed, user, reason,
                               expected_version)
    say(Console(), f"Szenario „{row.name}“ {year} (Jobcenter {jc}) gespeichert: Version "
                   f"{row.version}, {len(row.changes)} Änderung(en).")


@scenario_group.command("withdraw")
@click.argument("name")
@year_option
@click.option("--version", "expected_version", type=int, required=True,
              help="Die Version, auf der das Zurückziehen beruht.")
@jobcenter_option
@store_option
@steering_option
@reason_option
@user_option
def withdraw_cmd(name, year, expected_version, jobcenter_id, store_path, steering_url, reason,
                 user) -> None:
    """Ein Szenario zurückziehen (eine neue Version; der Verlauf bleibt)."""
    jc = _jobcenter(store_path, year, jobcenter_id)
    with _steering(store_path, steering_url) as st:
        row = st.withdraw_scenario(name, year, jc, user, reason, expected_version)
    say(Console(), f"Szenario „{row.name}“ {year} zurückgezogen (Version {row.version}).")


def _rows_out(rows, fmt: str, title: str, history: bool = False) -> None:
    if fmt == "json":
        _dump([r.as_json() for r in rows])
        return
    t = Table(title=title, title_justify="left")
    cols = ["Jobcenter", "Jahr", "Name", "Beschreibung", "Änderungen", "Version", "erfasst",
            "von"] + (["Änderung", "Begründung"] if history else [])
    for c in cols:
        t.add_column(c, justify="right" if c in ("Jahr", "Version") else "left")
    for r in rows:
        t.add_row(r.jobcenter_id, str(r.year), r.name, r.description or "–",
                  "\n".join(c.text for c in r.changes), str(r.version),
                  i18n.local_time(r.recorded_at), r.recorded_by,
                  *([OPERATION.get(r.operation, r.operation), r.reason or "–"] if history
                    else []))
    Console(width=max(Console().width, 160)).print(t)
    if not rows:
        say(Console(), "Keine Szenarien.")


@scenario_group.command("list")
@year_option
@click.option("--as-of", "as_of", callback=_as_of,
              help="Stand an diesem Tag (Ende des Tages) oder Zeitpunkt.")
@click.option("--jobcenter", "jobcenter_id", help="Nur dieses Jobcenter.")
@store_option
@steering_option
@format_option
def list_cmd(year, as_of, jobcenter_id, store_path, steering_url, fmt) -> None:
    """Die gespeicherten Szenarien eines Jahres."""
    with _steering(store_path, steering_url) as st:
        rows = st.scenarios(year, as_of, jobcenter_id)
    _rows_out(rows, fmt, f"Szenarien {year}")


@scenario_group.command("history")
@click.option("--year", type=int, callback=_year, help="Nur dieses Jahr.")
@click.option("--name", help="Nur dieses Szenario.")
@store_option
@steering_option
@format_option
def history_cmd(year, name, store_path, steering_url, fmt) -> None:
    """Jede Version der Szenarien mit wer, wann und warum (älteste zuerst)."""
    with _steering(store_path, steering_url) as st:
        rows = st.scenario_history(year, name)
    _rows_out(rows, fmt, "Verlauf der Szenarien", history=True)


def _basis(store_path, steering_url, year, jobcenter_id, basis_month):
    """The Jobcenter, the scenario basis (with the K2 targets) and the steering store rows."""
    with open_store(store_path) as store:
        view = store.view()
        jc = engine.plan_jobcenter(view, year, jobcenter_id)
        with _steering(store_path, steering_url) as st:
            targets = st.scenario_targets(jc, year)
            rows = st.scenarios(year, jobcenter_id=jc)
        return jc, engine.scenario_basis(view, year, jc, basis_month, targets), rows


@scenario_group.command("show")
@click.argument("name")
@computed
def show_cmd(name, year, jobcenter_id, basis_month, store_path, steering_url, fmt) -> None:
    """Das Ergebnis eines Szenarios: je Instrument Plan und Szenario, erwartete Teilnehmende,
    Eintritte, Eingliederungen, Integrationen, die Wirkung auf K2 und alle Annahmen."""
    jc, basis, rows = _basis(store_path, steering_url, year, jobcenter_id, basis_month)
    row = next((r for r in rows if r.name == name), None)
    if row is None:
        raise DataError(f"Szenario {name!r} {year} (Jobcenter {jc}) gibt es nicht "
                        "(amip budget scenario list).")
    result = engine.result_of(basis, row).as_json()
    if fmt == "json":
        _dump(result)
    else:
        _result_table(result)


@scenario_group.command("compare")
@click.argument("names", nargs=-1)
@computed
def compare_cmd(names, year, jobcenter_id, basis_month, store_path, steering_url, fmt) -> None:
    """Szenarien nebeneinander mit dem Basisplan (ohne Namen: alle des Jahres)."""
    jc, basis, rows = _basis(store_path, steering_url, year, jobcenter_id, basis_month)
    known = {r.name: r for r in rows}
    missing = [n for n in names if n not in known]
    if missing:
        raise DataError(f"Szenario {', '.join(map(repr, missing))} {year} (Jobcenter {jc}) gibt "
                        "es nicht (amip budget scenario list).")
    out = engine.compare_rows(basis, [known[n] for n in names] if names else rows)
    if fmt == "json":
        _dump(out)
    else:
        _compare_table(out)


# -- tables ------------------------------------------------------------------------------------

def _n(x, digits: int = 1) -> str:
    return i18n.num(x, digits) if x is not None else "–"


def _d(x, digits: int = 1) -> str:
    if x is None:
        return "–"
    return ("+" if x > 0 else "") + i18n.num(x, digits)


def _label(line: dict) -> str:
    return "Summe" if line["instrument"] is None else f"{line['title']} · {line['instrument']}"


def _result_table(r: dict) -> None:
    console = Console(width=max(Console().width, 160))
    t = Table(title=f"Szenario „{r['name']}“ {r['year']} – Jobcenter {r['jobcenter_id']} "
                    f"(Version {r['version']})", title_justify="left")
    for c in ("Titel · Instrument", "Plan", "Szenario", "Δ €", "Teilnehmende", "Eintritte",
              "Eingliederungen", "Integrationen", "Δ Integrationen", "Hinweis"):
        t.add_column(c, justify="left" if c in ("Titel · Instrument", "Hinweis") else "right")
    for ln in [*r["lines"], r["total"]]:
        t.add_row(_label(ln), i18n.eur(ln["plan"]), i18n.eur(ln["scenario"]),
                  _d(ln["delta"], 0),
                  *(f"{_n(ln[k + '_plan'])} → {_n(ln[k + '_scenario'])}"
                    for k in ("participants", "eintritte", "eingliederungen", "integrationen")),
                  _d(ln["integrationen_delta"]), ln["reason"] or "",
                  style="bold" if ln["instrument"] is None else None)
    console.print(t)
    if r["description"]:
        say(console, f"Beschreibung: {r['description']}")
    say(console, "Änderungen: " + "; ".join(r["changes"]))
    _k2_text(console, r)
    a = Table(title=f"Annahmen (beobachtet {r['basis']['from']} bis {r['basis']['to']})",
              title_justify="left")
    for c in ("Instrument", "Zahlungen", "Teilnehmende", "Eintritte", "Austritte",
              "auswertbar", "in sv", "Kosten je Teilnehmenden", "Eingliederungsquote",
              "Integrationen aus", "Hinweis"):
        a.add_column(c, justify="left" if c in ("Instrument", "Integrationen aus", "Hinweis")
                     else "right")
    for x in r["assumptions"]:
        if x["instrument"] is None:
            continue
        a.add_row(f"{x['title']} · {x['instrument']}", i18n.eur(x["payments"], True),
                  _n(x["participants"], 0), _n(x["eintritte"], 0), _n(x["austritte"], 0),
                  _n(x["in_horizon"], 0), _n(x["eingliederungen"], 0),
                  i18n.eur(x["cost_per_participant"], True), i18n.pct(x["eingliederungsquote"]),
                  x["integrationen_from"].capitalize(), x["reason"] or "")
    console.print(a)
    say(console, f"Hinweis: {r['caveat']}")


def _k2_text(console, r: dict) -> None:
    k = r["k2"]
    if k["points_delta"] is None:
        say(console, f"Wirkung auf K2: keine Angabe ({k['reason'] or 'keine Integrationen'}).")
        return
    target = f"; Ziel K2 {i18n.pct(k['target'])}" if k["target"] is not None else ""
    goal = (f"; Ziel Integrationen {i18n.num(k['integrations_target'])}"
            if k["integrations_target"] is not None else "")
    say(console, f"Wirkung auf K2: {_d(k['integrations_delta'])} Integrationen, "
                 f"{_d(k['points_delta'], 2)} Prozentpunkte (Nenner: durchschnittlicher "
                 f"ELB-Bestand {i18n.num(k['denominator'], 1)}){target}{goal}.")


def _compare_table(out: dict) -> None:
    console = Console(width=max(Console().width, 160))
    base, scens = out["base"], out["scenarios"]
    t = Table(title=f"Szenarien {base['year']} – Jobcenter {base['jobcenter_id']} neben dem "
                    "Basisplan", title_justify="left")
    t.add_column("Titel · Instrument")
    t.add_column("Basisplan", justify="right")
    for s in scens:
        t.add_column(f"{s['name']}\nPlan", justify="right")
        t.add_column("Δ Eingl.", justify="right")
    for ln in [*base["lines"], base["total"]]:
        cells = [_label(ln), i18n.eur(ln["plan"])]
        for s in scens:
            sl = (s["total"] if ln["instrument"] is None else
                  next((x for x in s["lines"] if (x["title"], x["instrument"]) ==
                        (ln["title"], ln["instrument"])), None))
            cells += ["–", "–"] if sl is None else [i18n.eur(sl["scenario"]),
                                                    _d(sl["eingliederungen_delta"])]
        t.add_row(*cells, style="bold" if ln["instrument"] is None else None)
    console.print(t)
    for s in scens:
        extra = [x for x in s["lines"] if (x["title"], x["instrument"]) not in
                 {(b["title"], b["instrument"]) for b in base["lines"]}]
        for x in extra:
            say(console, f"{s['name']}: neu {_label(x)} {i18n.eur(x['scenario'])}")
        say(console, f"{s['name']}: " + "; ".join(s["changes"]))
        _k2_text(console, s)
    say(console, f"Hinweis: {base['caveat']}")
