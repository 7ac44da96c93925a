"""`amip risk`: the early warning — train, score, audit, record a caseworker's decision
(amip/risk/README.md, docs/risk-model-card.md). The score supports a decision, never makes one."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from amip import i18n
from amip.cli.indicators_cmd import _month
from amip.cli.steering_cmds import _default_user, steering_option
from amip.cli.store_cmds import open_store, store_file, store_option
from amip.engine.calendar import format_month

FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                      show_default=True)


def _jobcenter(view, jobcenter_id: str | None) -> str:
    from amip.steering import known_jobcenters

    known = sorted(known_jobcenters(view))
    if jobcenter_id is None:
        if len(known) != 1:
            raise click.UsageError("Der Datenbestand enthält mehrere Jobcenter: bitte --jobcenter "
                                   f"angeben ({', '.join(known)}).")
        return known[0]
    if jobcenter_id not in known:
        raise click.UsageError(f"Jobcenter {jobcenter_id!r} ist nicht im Datenbestand.")
    return jobcenter_id


def _latest_month(view) -> int:
    from amip.risk.features import latest_month

    m = latest_month(view)
    if m is None:
        raise click.UsageError("Der Datenbestand enthält keine Leistungszeiten.")
    return m


def _dump(obj) -> None:
    json.dump(obj, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


def _console() -> Console:
    return Console(width=max(Console().width, 110))


@click.group("risk")
def risk_group() -> None:
    """Frühwarnung: Risiko des Langzeitleistungsbezugs (trainieren, bewerten, prüfen, entscheiden)."""


@risk_group.command("train")
@store_option
@click.option("--jobcenter", "jobcenter_id", help="Jobcenter (Standard: das einzige im Bestand).")
@click.option("--with-protected", is_flag=True,
              help="Geschützte Merkmale (Alter) als Eingaben zulassen (Standard: nur zur Prüfung).")
@FORMAT
def train_cmd(store_path, jobcenter_id, with_protected, fmt) -> None:
    """Modelle trainieren und bewerten (zeitliche Aufteilung), neben dem Datenbestand speichern."""
    from amip.risk.audit import MODEL_LABELS
    from amip.risk.models import save, train

    path = store_file(store_path)
    with open_store(path) as store:
        view = store.view()
        model = train(view, _jobcenter(view, jobcenter_id), with_protected=with_protected)
    where = save(model, path)
    meta = model.metadata()
    if fmt == "json":
        _dump({**meta, "saved_to": str(where)})
        return
    t = Table(title=f"Frühwarnung – Jobcenter {model.jobcenter_id} – Bewertung auf den "
                    "Testmonaten (kalibriert)", title_justify="left")
    for c in ("Ziel", "Modell", "AUC", "Brier", "Personen", "davon eingetreten", "verwendet",
              "Schwelle", "Testmonate"):
        t.add_column(c, justify="left" if c in ("Ziel", "Modell", "Testmonate") else "right")
    for target, f in meta["targets"].items():
        for kind, m in f["metrics"].items():
            t.add_row(f["short"], MODEL_LABELS[kind], i18n.num(m["auc"], 3), i18n.num(m["brier"], 3),
                      i18n.num(m["n"]), i18n.num(m["positives"]),
                      "ja" if kind == f["chosen"] else "",
                      i18n.num(f["audit"]["choice"]["threshold"], 2) if kind == f["chosen"] else "",
                      _span(f["months"]["test"]))
    console = _console()
    console.print(t)
    console.print("Training auf früheren Bewertungsmonaten (deren Ausgang vor der Kalibrierung "
                  "feststand), Kalibrierung (Platt) auf vier weiteren, Bewertung auf den vier "
                  f"letzten mit bekanntem Ausgang. Gespeichert: {where}")


def _span(months: list[str]) -> str:
    return f"{months[0]} bis {months[-1]}" if months else "–"


@risk_group.command("score")
@store_option
@click.option("--month", "month", callback=_month,
              help="Bewertungsmonat JJJJ-MM (Standard: der letzte Monat mit Daten).")
@click.option("--caseworker", help="Nur der Bestand dieser Fachkraft (caseworker_id).")
@click.option("--limit", type=int, default=30, show_default=True,
              help="Tabelle: höchstens so viele Personen (JSON: alle).")
@FORMAT
def score_cmd(store_path, month, caseworker, limit, fmt) -> None:
    """Personen eines Monats bewerten: Wahrscheinlichkeiten und Gründe (unterstützt die
    Entscheidung der Fachkraft, ersetzt sie nicht)."""
    from amip.risk.models import load_model
    from amip.risk.reasons import score

    path = store_file(store_path)
    model = load_model(path)
    with open_store(path) as store:
        view = store.view()
        month = _latest_month(view) if month is None else month
        rows = score(view, model, month, caseworker)
        stale = view.data_state() != model.data_state
    if fmt == "json":
        _dump({"month": format_month(month), "jobcenter_id": model.jobcenter_id,
               "model_data_state": model.data_state, "model_outdated": stale,
               "thresholds": {k: f.audit.get("choice", {}).get("threshold")
                              for k, f in model.targets.items()},
               "persons": [{**r, "month": format_month(r["month"])} for r in rows]})
        return
    t = Table(title=f"Frühwarnung {format_month(month)} – {len(rows)} Personen (ELB, noch nicht "
                    "LZB)" + (f", Fachkraft {caseworker}" if caseworker else ""),
              title_justify="left")
    for c in ("Person", "LZB in 6 Mon.", "LZB in 12 Mon.", "LZA in 12 Mon.", "Hinweis",
              "Gründe (LZB in 12 Mon.)"):
        t.add_column(c, justify="right" if c.startswith(("LZB in", "LZA in")) else "left")
    for r in rows[:limit]:
        s = r["scores"]
        t.add_row(r["person_id"], *[i18n.pct(None if s.get(k) is None else s[k] * 100, 0)
                                    for k in ("lzb_6", "lzb_12", "lza_12")],
                  "Risiko" if r["flagged"].get("lzb_12") else "",
                  "; ".join(x["text"] for x in r["reasons"].get("lzb_12", [])))
    console = _console()
    console.print(t)
    if stale:
        console.print("Hinweis: Das Modell wurde mit einem älteren Datenstand trainiert "
                      "(amip risk train).")
    console.print("Die Bewertung unterstützt die Entscheidung der Fachkraft und ersetzt sie nicht "
                  "(amip risk decide).")


@risk_group.command("audit")
@store_option
@steering_option
@FORMAT
def audit_cmd(store_path, steering_url, fmt) -> None:
    """Fairness-Prüfung: Quoten je geschützter Gruppe mit Intervallen, Abwägung Genauigkeit –
    Gleichbehandlung, gewählte Schwelle, Abweichungen der Fachkräfte je Gruppe."""
    from amip.risk.audit import METRIC_LABELS, METRICS, decision_attributes, override_rates
    from amip.risk.features import risk_catalogue
    from amip.risk.models import load_model
    from amip.steering import Steering

    path = store_file(store_path)
    model = load_model(path)
    with Steering.open(path, steering_url) as st:
        decisions = st.decisions()
    with open_store(path) as store:
        attrs = decision_attributes(store.view(), decisions)
    overrides = override_rates([{"person_id": d.person_id, "decision": d.decision}
                                for d in decisions], attrs)
    meta = model.metadata()
    if fmt == "json":
        _dump({"jobcenter_id": model.jobcenter_id, "data_state": model.data_state,
               "targets": {k: {"name": v["name"], "chosen": v["chosen"],
                               "test_months": v["months"]["test"], **v["audit"]}
                           for k, v in meta["targets"].items()},
               "decisions": len(decisions), "overrides": overrides})
        return
    cat = risk_catalogue()
    console = _console()
    for target, v in meta["targets"].items():
        choice = v["audit"]["choice"]
        t = Table(title=f"{v['name']} – Schwelle {i18n.num(choice['threshold'], 2)} "
                        f"(Testmonate {_span(v['months']['test'])})", title_justify="left")
        t.add_column("Merkmal")
        t.add_column("Gruppe")
        t.add_column("Personen", justify="right")
        for label in METRIC_LABELS.values():
            t.add_column(label, justify="right")
        for attr, rows in v["audit"]["groups"].items():
            names = cat.audit[attr]
            for r in rows:
                t.add_row(names["name"], names["values"].get(r["group"], r["group"])
                          + (" (klein)" if r["small"] else ""), i18n.num(r["n"]),
                          *[_with_ci(r, m) for m in METRICS])
        console.print(t)
        console.print(_tradeoff_table(v["audit"]["tradeoff"], choice["threshold"]))
        console.print(choice["rule"])
        if not choice["constraint_met"]:
            console.print("Die Gleichbehandlungsgrenze war bei keiner Schwelle einzuhalten.")
    t = Table(title=f"Entscheidungen der Fachkräfte: {len(decisions)}, davon abweichend je "
                    "Gruppe", title_justify="left")
    for c in ("Merkmal", "Gruppe", "Entscheidungen", "abweichend", "Anteil"):
        t.add_column(c, justify="left" if c in ("Merkmal", "Gruppe") else "right")
    for attr, rows in overrides.items():
        for r in rows:
            t.add_row(cat.audit[attr]["name"], cat.audit[attr]["values"].get(r["group"], r["group"]),
                      i18n.num(r["decisions"]), i18n.num(r["overrides"]),
                      i18n.pct(None if r["override_rate"] is None else r["override_rate"] * 100))
    console.print(t)


def _tradeoff_table(rows: list[dict], chosen: float) -> Table:
    """Accuracy against equity per threshold (0,10, 0,20 … 0,90 and the chosen one)."""
    t = Table(title="Abwägung Genauigkeit – Gleichbehandlung je Schwelle", title_justify="left")
    for c in ("Schwelle", "balancierte Genauigkeit", "Auswahlquote",
              "größter Abstand der Fehlerraten (FPR/FNR)", "größter Abstand der Auswahlquoten"):
        t.add_column(c, justify="right")
    for r in [r for i, r in enumerate(rows) if i % 2 == 1 or r["threshold"] == chosen]:
        eo = [g["equalized_odds"] for g in r["gaps"].values() if g["equalized_odds"] is not None]
        sr = [g["selection_rate"] for g in r["gaps"].values() if g["selection_rate"] is not None]
        mark = " (gewählt)" if r["threshold"] == chosen else ""
        t.add_row(i18n.num(r["threshold"], 2) + mark,
                  i18n.pct(None if r["balanced_accuracy"] is None else r["balanced_accuracy"] * 100),
                  i18n.pct(r["selection_rate"] * 100),
                  i18n.num(max(eo), 3) if eo else "–", i18n.num(max(sr), 3) if sr else "–")
    return t


def _with_ci(row: dict, metric: str) -> str:
    v, ci = row.get(metric), row.get(metric + "_ci")
    text = i18n.pct(None if v is None else v * 100)
    if ci:
        text += f" [{i18n.num(ci[0] * 100, 1)}–{i18n.num(ci[1] * 100, 1)}]"
    return text


@risk_group.command("decide")
@click.argument("person_id")
@click.option("--decision", type=click.Choice(["folgen", "abweichen"]), required=True,
              help="folgen: der Frühwarnung folgen; abweichen: nicht folgen (Grund nötig).")
@click.option("--reason", help="Begründung (Pflicht bei abweichen).")
@click.option("--month", "month", callback=_month,
              help="Bewertungsmonat JJJJ-MM (Standard: der letzte Monat mit Daten).")
@click.option("--target", default="lzb_12", show_default=True, help="Bewertetes Ziel.")
@click.option("--caseworker", help="Entscheidende Fachkraft (Standard: --user).")
@click.option("--expected-version", type=int, default=None,
              help="Version, auf der die Änderung beruht (Standard: die aktuelle).")
@click.option("--user", "user", default=_default_user, show_default="cli:<Anmeldename>",
              help="Wer erfasst (steht in jeder Version).")
@store_option
@steering_option
@FORMAT
def decide_cmd(person_id, decision, reason, month, target, caseworker, expected_version, user,
               store_path, steering_url, fmt) -> None:
    """Die Entscheidung einer Fachkraft zur Frühwarnung einer Person erfassen."""
    from amip.risk.models import load_model
    from amip.risk.reasons import score
    from amip.steering import Steering

    path = store_file(store_path)
    model = load_model(path)
    with open_store(path) as store:
        view = store.view()
        month = _latest_month(view) if month is None else month
        mine = [r for r in score(view, model, month) if r["person_id"] == person_id]
    if not mine:
        raise click.UsageError(f"Person {person_id} ist {format_month(month)} nicht in der "
                               "Frühwarnung (ELB, noch nicht LZB).")
    if target not in mine[0]["scores"]:
        raise click.UsageError(f"Ziel {target!r} unbekannt ({', '.join(mine[0]['scores'])}).")
    shown = mine[0]["scores"][target]
    with Steering.open(path, steering_url) as st:
        if expected_version is None:
            before = [d for d in st.decisions(format_month(month))
                      if d.person_id == person_id and d.target == target]
            expected_version = before[0].version if before else 0
        d = st.decide(person_id, format_month(month), decision, user, reason, shown, target,
                      caseworker, expected_version)
    if fmt == "json":
        _dump({"person_id": d.person_id, "month": d.month, "target": d.target,
               "score": None if d.score is None else float(d.score), "decision": d.decision,
               "caseworker": d.caseworker, "reason": d.reason, "version": d.version,
               "recorded_at": d.recorded_at.isoformat(), "recorded_by": d.recorded_by})
        return
    click.echo(f"Entscheidung erfasst: {d.person_id} {d.month} {d.decision} (Version {d.version},"
               f" Wahrscheinlichkeit {i18n.pct(None if shown is None else shown * 100, 0)}).")
