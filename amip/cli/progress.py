"""Progress of long commands (synth, import, validate, publish, reports): rich bars on stderr,
only when stderr is a terminal, so that files, pipes and tests get the results alone."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn)


def shown() -> bool:
    """Whether progress is drawn: stderr is a terminal."""
    return sys.stderr.isatty()


def bar(counted: bool = False, steps: bool = True) -> Progress:
    """A transient progress display on stderr (disabled unless :func:`shown`): a spinner, the
    step, a bar (``steps``) and, when ``counted``, "k/n"; then the elapsed time."""
    columns = [SpinnerColumn(), TextColumn("{task.description:<28}")]
    if steps:
        columns.append(BarColumn())
    if counted:
        columns.append(MofNCompleteColumn())
    columns.append(TimeElapsedColumn())
    return Progress(*columns, console=Console(stderr=True), transient=True, disable=not shown())


#: German names of the steps the store reports (``import``, ``publish``): the first word
STEPS = {"read": "Lesen", "validate": "Prüfen", "prepare": "Vorbereiten", "import": "Importieren",
         "commit": "Festschreiben", "copy": "Kopieren", "swap": "Austauschen",
         "connect": "Verbinden", "up": "Abgleichen", "index": "Indizieren",
         "analyze": "Statistik", "quality": "Datenqualität prüfen",
         "targets": "Zielnachhaltung vorzählen", "current": "Aktuelle Zeilen",
         "prepared": "Vorberechnen"}


def step_label(step: str) -> str:
    """``import elb_spells`` → ``Importieren elb_spells`` (table names stay as they are)."""
    word, _, rest = step.partition(" ")
    if word == "up":  # "up to date"
        return "Schon aktuell"
    return " ".join(filter(None, (STEPS.get(word, word), rest)))
