"""``amip synth``: generate the synthetic Jobcenter and write it as an extract."""

from __future__ import annotations

import datetime as dt
import time

import click
from rich.console import Console
from rich.table import Table

from amip.cli.progress import bar as progress_bar

from amip.extract.writer import (FORMATS, OutputNotEmpty, write_description, write_extract,
                                 write_extract_stream)
from amip.synth.recording import description


def de_number(x: float, decimals: int = 0) -> str:
    """German number format: 5.485 / 23,4."""
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def _value(x: float | None, label: str) -> str:
    if x is None:
        return "–"
    if "(%)" in label:
        return de_number(x, 1) + " %"
    if abs(x) >= 1000 or float(x).is_integer():
        return de_number(x, 0)
    return de_number(x, 1)


def _tolerance(text: str) -> str:
    out = text.replace(" %", "\u00a0%")
    num = out.split()[1].replace("\u00a0%", "")
    try:
        return out.replace(num, de_number(float(num), 1 if not float(num).is_integer() else 0), 1)
    except ValueError:
        return out


def _last_day(text: str) -> dt.date:
    """The last day of ``JJJJ`` or ``JJJJ-MM`` (``--to``)."""
    import calendar
    import re

    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text.strip())
    if not m or not 1 <= int(m.group(2) or 12) <= 12:
        raise click.BadParameter(f"{text!r}: erwartet JJJJ oder JJJJ-MM", param_hint="--to")
    year, month = int(m.group(1)), int(m.group(2) or 12)
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def check_table(rows) -> Table:
    t = Table(title="Kalibrierung gegen veröffentlichte Werte", show_lines=False)
    for col, just in (("Kennzahl", "left"), ("Stichtag", "left"), ("Zielwert (veröffentlicht)", "right"),
                      ("erzeugt", "right"), ("Abweichung %", "right"), ("Toleranz", "right"),
                      ("", "center")):
        t.add_column(col, justify=just)
    for r in rows:
        dev = "–" if r.deviation_pct is None else de_number(round(r.deviation_pct, 1) + 0.0, 1) + " %"
        tol = _tolerance(r.tolerance) + (" Pp." if "(%)" in r.label and "%" not in r.tolerance else "")
        t.add_row(r.label, r.reference, _value(r.target_value, r.label), _value(r.generated, r.label),
                  dev, tol, "[green]✓[/]" if r.ok else "[red]✗[/]")
    return t


@click.command("synth")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Zielordner (neu oder leer); nötig außer mit --check (dann wird nur geprüft, "
                   "wenn --out fehlt).")
@click.option("--profile", default="elbe-elster", show_default=True, help="Simulationsprofil.")
@click.option("--seed", default=20200101, show_default=True, type=int, help="Zufallsstartwert.")
@click.option("--scale", default=1.0, show_default=True, type=float,
              help="Vervielfacht die Bevölkerung (10 = zehnmal so viele Personen).")
@click.option("--jobcenters", default=None, type=int,
              help="Anzahl Jobcenter: die ersten N des Profils [Standard: elbe-elster 1, "
                   "national alle 404].")
@click.option("--from", "year_from", default=2009, show_default=True, type=int, help="Erstes Jahr.")
@click.option("--to", "to", default="2020", show_default=True,
              help="Letztes Jahr (JJJJ) oder letzter Monat (JJJJ-MM), höchstens bis heute: "
                   "später wird nichts erfasst.")
@click.option("--format", "fmt", default="csv", show_default=True, type=click.Choice(FORMATS))
@click.option("--partition/--no-partition", default=None,
              help="Parquet je Jobcenter: jede Tabelle (außer jobcenters) als Ordner mit einer "
                   "Datei je Jobcenter [Standard: an für --profile national mit --format "
                   "parquet].")
@click.option("--check", "do_check", is_flag=True,
              help="Erzeugte Daten mit den veröffentlichten Werten des Profils vergleichen.")
@click.option("--chunk-scale", default=None, type=float,
              help="Größe eines Teils in Elbe-Elster-Bevölkerungen [Standard: 5]: größere "
                   "Läufe werden in Teilen erzeugt und angehängt (ohne --check).")
def synth(out_dir, profile, seed, scale, jobcenters, year_from, to, fmt, partition, do_check,
          chunk_scale):
    """Synthetisches Jobcenter erzeugen und als Extrakt schreiben."""
    from amip.synth import generate
    from amip.synth.chunks import CHUNK_SCALE, chunk_count

    console = Console()
    from pathlib import Path
    if out_dir is None and not do_check:
        raise click.UsageError("--out fehlt: der Zielordner des Extrakts (oder --check, um nur "
                               "mit den veröffentlichten Werten zu vergleichen).")
    p = Path(out_dir) if out_dir is not None else None
    if p is not None and p.exists() and (not p.is_dir() or any(p.iterdir())):
        raise click.ClickException(f"{out_dir} ist nicht leer: kein Befehl überschreibt Daten.")
    if partition is None:
        partition = fmt == "parquet" and profile == "national"
    if partition and fmt != "parquet":
        raise click.BadParameter("je Jobcenter nur mit --format parquet", param_hint="--partition")
    chunk_scale = CHUNK_SCALE if chunk_scale is None else chunk_scale
    if chunk_scale <= 0:
        raise click.BadParameter("muss positiv sein", param_hint="--chunk-scale")
    start, end = dt.date(year_from, 1, 1), _last_day(to)
    today = dt.date.today()
    if start > min(end, today):
        raise click.BadParameter(f"{to} liegt vor dem ersten Jahr {year_from} oder "
                                 f"{year_from} nach heute", param_hint="--to")
    if end > today:
        console.print(f"Daten bis heute ({today:%d.%m.%Y}): nach heute wird nichts erfasst.")
    args = dict(profile=profile, seed=seed, scale=scale, jobcenters=jobcenters,
                start=start, end=end)
    # --check needs every table in memory: then one piece, as before
    try:  # the profile and the number of Jobcenter, checked before anything is generated
        n_chunks = chunk_count(profile, scale, jobcenters, chunk_scale)
    except FileNotFoundError as e:
        raise click.BadParameter(str(e), param_hint="--profile") from None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--jobcenters") from None
    n_chunks = 1 if do_check else n_chunks
    if n_chunks > 1:
        _synth_chunked(console, out_dir, fmt, args, chunk_scale, n_chunks, partition)
        return
    t0 = time.perf_counter()
    with progress_bar(steps=False) as progress:
        task = progress.add_task("Simulation", total=None)
        tables = generate(**args, progress=lambda s: progress.update(task, description=s))
        if out_dir is not None:
            progress.update(task, description=f"Schreiben ({fmt})")
            try:
                write_extract(tables, out_dir, fmt, description(args["start"], args["end"]),
                              partition=partition)
            except OutputNotEmpty as e:
                raise click.ClickException(str(e)) from e
    n_rows = sum(t.num_rows for t in tables.values())
    what = f"Extrakt geschrieben: {out_dir}" if out_dir is not None else \
        "Erzeugt (nicht geschrieben, ohne --out)"
    console.print(f"{what} ({len(tables)} Tabellen, "
                  f"{de_number(n_rows)} Zeilen, {de_number(tables['persons'].num_rows)} Personen) "
                  f"in {de_number(time.perf_counter() - t0, 1)} s", markup=False,
                  highlight=False)
    if do_check:
        from amip.synth.calibration import check

        with progress_bar(steps=False) as progress:
            progress.add_task("Kalibrierung prüfen", total=None)
            rows = check(tables, profile=profile)
        console.print(check_table(rows))
        bad = [r for r in rows if not r.ok]
        if bad:
            console.print(f"[red]{len(bad)} von {len(rows)} Zielwerten außerhalb der Toleranz.[/]")
            raise SystemExit(1)
        console.print(f"[green]Alle {len(rows)} Zielwerte innerhalb der Toleranz.[/]")


def _scale(x: float) -> str:
    """A scale as written, to four significant digits (0,01 stays 0,01, not 0,0)."""
    return format(x, ".4g").replace(".", ",")


def _synth_chunked(console, out_dir, fmt, args, chunk_scale, n_chunks, partition) -> None:
    """Generate in ``n_chunks`` parts and append each to the files (memory of one part)."""
    from amip.synth.chunks import generate_chunks

    t0 = time.perf_counter()
    console.print(f"Erzeugung in {n_chunks} Teilen zu je {_scale(args['scale'] / n_chunks)} "
                  f"(--scale {_scale(args['scale'])}, --chunk-scale {_scale(chunk_scale)})")
    with progress_bar(counted=True) as progress:
        task = progress.add_task("Simulation", total=n_chunks)

        def say(k, n, step):
            progress.update(task, completed=k, description=f"Teil {k + 1}/{n}: {step}")

        try:
            chunks = generate_chunks(**args, chunk_scale=chunk_scale, progress=say)
            rows = write_extract_stream(chunks, out_dir, fmt, partition=partition)
            write_description(out_dir, description(args["start"], args["end"]))
        except OutputNotEmpty as e:
            raise click.ClickException(str(e)) from e
        progress.update(task, completed=n_chunks)
    console.print(f"Extrakt geschrieben: {out_dir} ({len(rows)} Tabellen, "
                  f"{de_number(sum(rows.values()))} Zeilen, {de_number(rows['persons'])} Personen, "
                  f"{n_chunks} Teile) in {de_number(time.perf_counter() - t0, 1)} s")
