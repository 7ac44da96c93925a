"""`amip report programme|monthly`: the Arbeitsmarkt- und Integrationsprogramm and the
Monatsbericht as PDF, HTML, XLSX and CSV."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from amip import i18n
from amip.cli.indicators_cmd import _date, _month
from amip.cli.progress import bar as progress_bar
from amip.cli.steering_cmds import steering_option
from amip.cli.store_cmds import existing_store, open_store
from amip.store import DEFAULT_STORE, Store

console = Console()
FORMATS = ("pdf", "html", "xlsx", "csv")


def _formats(ctx, param, value: str) -> tuple[str, ...]:
    chosen = tuple(f.strip() for f in value.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"eines oder mehrere von {', '.join(FORMATS)} "
                                 "(durch Kommas getrennt)")
    return chosen


def _common(f):
    for option in reversed([
        click.option("--store", "store_path", type=click.Path(dir_okay=False),
                     default=lambda: os.environ.get("AMIP_STORE", DEFAULT_STORE),
                     show_default=f"$AMIP_STORE oder {DEFAULT_STORE}",
                     help="Datenbestand (DuckDB-Datei)."),
        click.option("--jobcenter", "jobcenter_id", help="Jobcenter (Standard: das erste)."),
        click.option("--as-of", "as_of", callback=_date,
                     help="Die Daten, wie sie an diesem Tag bekannt waren (JJJJ-MM-TT; später "
                          "erfasste Zeilen zählen nicht), z. B. der Tag, an dem ein Bericht "
                          "zuerst geschrieben wurde: derselbe Bericht, was auch immer seither "
                          "importiert wurde."),
        click.option("--out", "out_dir", type=click.Path(file_okay=False), default="berichte",
                     show_default=True, help="Ordner für die Dateien."),
        click.option("--format", "formats", default=",".join(FORMATS), callback=_formats,
                     show_default=True, help="Durch Kommas getrennt: pdf, html, xlsx, csv."),
        click.option("--overwrite", is_flag=True,
                     help="Dateien eines früheren Laufs ersetzen."),
        steering_option,
    ]):
        f = option(f)
    return f


@click.group("report")
def report_cmd() -> None:
    """Berichte: das Arbeitsmarkt- und Integrationsprogramm und der Monatsbericht."""


@report_cmd.command("programme")
@click.option("--year", type=int,
              help="Programmjahr, z. B. 2020 (Daten von 2019); Standard: das neueste, das die "
                   "Daten erlauben (das Jahr nach dem letzten vollständigen Dezember).")
@click.option("--internal", is_flag=True,
              help="Genaue Zahlen, ohne Geheimhaltung kleiner Werte (nicht zur Veröffentlichung).")
@click.option("--texts", "texts_dir", type=click.Path(file_okay=False, exists=True),
              help="Ordner mit eigenen Kapiteltexten (siehe amip/reports/texts/programme).")
@click.option("--placeholders", is_flag=True,
              help="Die Platzhalter auflisten, die die Texte verwenden können.")
@_common
def programme_cmd(year, internal, texts_dir, placeholders, store_path, jobcenter_id, as_of,
                  out_dir, formats, overwrite, steering_url) -> None:
    """Das Arbeitsmarkt- und Integrationsprogramm eines Jahres."""
    from amip.engine.calendar import month_index
    from amip.engine.overview import jobcenter, latest_complete_month, programme_year
    from amip.reports.figures import programme_figures
    from amip.reports.programme import build, load_texts
    from amip.reports.programme import placeholders as values

    start = time.perf_counter()
    renderer = None if placeholders else _renderer(formats, hyphenation=True)
    with open_store(store_path) as store:
        view = store.view(as_of)
        if year is None:
            latest = latest_complete_month(view)
            if latest is None:
                raise click.UsageError("Der Datenbestand enthält keine Daten: zuerst einen "
                                       "Auszug importieren (amip import).")
            year = programme_year(month_index(latest))
        try:
            stem = f"programm-{year}-{jobcenter(view, jobcenter_id)['jobcenter_id']}"
            if not placeholders:
                _refuse_earlier(out_dir, stem, formats, overwrite)
            with progress_bar(steps=False) as bar:
                bar.add_task(f"Programm {year}: Kennzahlen berechnen", total=None)
                figures = programme_figures(view, year, jobcenter_id,
                                            steering_inputs(store_path, year, as_of,
                                                            steering_url))
        except ValueError as e:
            raise click.UsageError(str(e)) from None
    if placeholders:
        _print_placeholders(values(figures))
        return
    try:
        report = build(figures, load_texts(Path(texts_dir)) if texts_dir else None,
                       public=not internal)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    _write(report, out_dir, stem, formats, overwrite, start, renderer)


@report_cmd.command("monthly")
@click.option("--month", "month", callback=_month,
              help="Berichtsmonat JJJJ-MM (Standard: der letzte Monat mit vollständigen Daten, "
                   "mit dem auch das Dashboard öffnet).")
@click.option("--public", is_flag=True,
              help="Kleine Werte geheim halten (zur Veröffentlichung).")
@_common
def monthly_cmd(month, public, store_path, jobcenter_id, as_of, out_dir, formats,
                overwrite, steering_url) -> None:
    """Der Monatsbericht eines Monats."""
    from amip import background
    from amip.engine.calendar import format_month
    from amip.engine.overview import jobcenter
    from amip.reports.monthly import monthly, report_month

    start = time.perf_counter()
    existing_store(store_path)
    Store.preload()  # once here, not again in each child
    # the forecasts (statsmodels, five years of facts) run in a second process meanwhile; the
    # two share the cores between their DuckDB threads (on two cores: 0.2 s faster than both
    # using both)
    threads = max(1, background.cores() // 2) if background.fork_is_safe() else None
    if public:  # the published version has no forecasts; its targets no expectation
        forecasts = None
        targets = background.start(targets_from_store, store_path, month, jobcenter_id,
                                   threads, as_of, steering_url, public).result
    else:  # the Zielnachhaltung (all units, with the year-end expectation) in the same process
        both = background.start(forecasts_and_targets_from_store, store_path, month,
                                jobcenter_id, threads, as_of, steering_url)
        forecasts, targets = _part(both, 0), _part(both, 1)
    renderer = _renderer(formats)
    with open_store(store_path, threads) as store:
        view = store.view(as_of)
        try:
            jc = jobcenter(view, jobcenter_id)["jobcenter_id"]
            month = report_month(view, month)  # the forecast child works it out alike
            stem = f"monatsbericht-{format_month(month)}-{jc}"
            _refuse_earlier(out_dir, stem, formats, overwrite)
            with progress_bar(steps=False) as bar:
                bar.add_task(f"Monatsbericht {format_month(month)}: Kennzahlen berechnen",
                             total=None)
                report = monthly(view, month, jc, public=public, forecasts=forecasts,
                                 targets=targets)
        except ValueError as e:
            raise click.UsageError(str(e)) from None
    _write(report, out_dir, stem, formats, overwrite, start, renderer)


def forecasts_from_store(store_path: str, month: int | None, jobcenter_id: str | None = None,
                         threads: int | None = None, as_of=None) -> dict:
    """The Monatsbericht's forecasts (:func:`amip.reports.monthly.kennzahl_forecasts`) on a
    store file opened read-only (with at most ``threads`` DuckDB threads), as known on
    ``as_of``: work for a background process (:mod:`amip.background`) while the report's
    engine pass runs. The shell opens the store; the report only gets a view."""
    from amip.reports.monthly import kennzahl_forecasts

    with Store.open(store_path, read_only=True, threads=threads) as store:
        return kennzahl_forecasts(store.view(as_of), month, jobcenter_id)


def forecasts_and_targets_from_store(store_path: str, month: int | None,
                                     jobcenter_id: str | None = None, threads: int | None = None,
                                     as_of=None, steering_url: str | None = None) -> tuple:
    """:func:`forecasts_from_store` and :func:`targets_from_store` in one background process:
    one store opened, one data horizon, statsmodels imported once, and on two cores one process
    fewer beside the engine pass and the renderer. Returns ((ok, forecasts), (ok, target
    figures)); an exception of either part reaches the caller through the future (the report
    stops at the first part that fails, as it would with both parts computed in place)."""
    from amip.engine.overview import jobcenter
    from amip.reports.monthly import kennzahl_forecasts, report_month
    from amip.reports.targets import CHART_MEASURES, target_figures

    with Store.open(store_path, read_only=True, threads=threads) as store:
        view = store.view(as_of)
        m = report_month(view, month)
        jc = jobcenter(view, jobcenter_id)["jobcenter_id"]
        forecasts = kennzahl_forecasts(view, m, jc)
        targets = target_figures(view, steering_inputs(store_path, m // 12, as_of, steering_url),
                                 jc, m, curves=CHART_MEASURES)
        return forecasts, targets


def _part(pending, i: int):
    """The i-th part of :func:`forecasts_and_targets_from_store`'s result, as a callable (it
    raises the background process's exception, if any)."""
    def get():
        return pending.result()[i]
    return get


def targets_from_store(store_path: str, month: int | None, jobcenter_id: str | None = None,
                       threads: int | None = None, as_of=None, steering_url: str | None = None,
                       public: bool = False):
    """The Monatsbericht's :class:`~amip.reports.targets.TargetFigures` (None without a
    steering store): the targets of the report month's year and their status for all units, on
    a store file opened read-only — work for a background process, like
    :func:`forecasts_from_store`."""
    from amip.engine.overview import jobcenter
    from amip.reports.monthly import report_month
    from amip.reports.targets import CHART_MEASURES, target_figures

    with Store.open(store_path, read_only=True, threads=threads) as store:
        view = store.view(as_of)
        m = report_month(view, month)
        inputs = steering_inputs(store_path, m // 12, as_of, steering_url)
        return target_figures(view, inputs, jobcenter(view, jobcenter_id)["jobcenter_id"], m,
                              with_expectation=not public, curves=CHART_MEASURES)


def steering_inputs(store_path: str, year: int, as_of=None, url: str | None = None):
    """The targets, plans and entered values of ``year`` from the steering store (``url``,
    ``$AMIP_STEERING`` or the SQLite file beside the extract store), as known on ``as_of``
    (:func:`amip.steering.inputs.status_inputs`); None when there is no steering store (a
    report does not create one)."""
    from amip.steering import Steering
    from amip.steering.db import ENV_URL, default_path
    from amip.steering.inputs import status_inputs

    if not (url or os.environ.get(ENV_URL)) and not default_path(store_path).exists():
        return None
    with Steering.open(store_path, url) as steering:
        return status_inputs(steering, year, as_of)


def _refuse_earlier(out_dir: str, stem: str, formats, overwrite: bool) -> None:
    """Exit 2 at once, before any figure is computed, if files of an earlier run are there."""
    from amip.reports.export import earlier_files

    found = [] if overwrite else earlier_files(out_dir, stem, formats)
    if found:
        console.print(f"[red]{len(found)} Datei(en) vorhanden, nicht überschrieben (mit "
                      f"--overwrite ersetzen): {', '.join(str(p) for p in found)}[/]",
                      highlight=False)
        sys.exit(2)


def _renderer(formats, hyphenation: bool = False):
    """A background process that loads WeasyPrint and the chart runtime while the figures are
    computed, then renders HTML and PDF (None if neither is asked for). Start it before
    opening the store (see amip.background)."""
    from amip import background
    from amip.reports.export import render_documents, warm_renderers

    if not {"html", "pdf"} & set(formats):
        return None
    # niced: the warm-up must not slow the figures; when the report comes, nothing else runs
    return background.start(render_documents, background.LATER, tuple(formats),
                            warm=lambda: warm_renderers(hyphenation), nice=10)


def _write(report, out_dir, stem, formats, overwrite, start, renderer=None) -> None:
    from amip.reports.disclosure import protect
    from amip.reports.export import write_all

    hidden = protect(report)
    if renderer is not None:
        renderer.send(report)  # HTML and PDF are laid out there while XLSX and CSV are written
    try:
        with progress_bar(steps=False) as bar:
            bar.add_task(f"Schreiben ({', '.join(formats)})", total=None)
            written = write_all(report, out_dir, stem, formats, overwrite=overwrite,
                                csv_dir=f"{stem}-csv",
                                documents=renderer.result if renderer is not None else None)
    except FileExistsError as e:
        console.print(f"[red]{e}[/]")
        sys.exit(2)
    console.print(f"{report.title} – {report.subtitle}")
    for kind, path in written.items():
        console.print(f"  {kind:<5} {path}")
    if report.public:
        console.print(f"  Datenschutz: {hidden} kleine oder rückrechenbare Werte ausgeblendet.")
    console.print(f"  in {i18n.num(time.perf_counter() - start, 1)} s")


def _print_placeholders(values: dict, prefix: str = "") -> None:
    for key, value in values.items():
        if isinstance(value, dict):
            _print_placeholders(value, f"{prefix}{key}.")
        else:
            console.print(f"{{{{ {prefix}{key} }}}}  →  {value}", highlight=False)
