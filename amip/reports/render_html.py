"""Render a :class:`~amip.reports.model.Report` to one self-contained HTML document.

The document has a title page, an Inhaltsverzeichnis, the numbered sections (Markdown text,
tables, charts as inline SVG, ``Quelle:`` lines, placeholders for sections without data) and an
annex with the definitions. CSS is inlined and fonts are local (DejaVu Sans), so the page loads
nothing from anywhere; the same HTML is printed to PDF by :mod:`amip.reports.render_pdf`.

Renderers never compute: values are displayed by their column ``kind`` (:func:`amip.i18n.by_kind`)
and suppressed cells (disclosure control) show ``*`` with a footnote.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markdown_it import MarkdownIt

from amip import i18n
from amip import charts
from amip.reports.model import Chart, Report, ReportTable, Section, Text

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
SUPPRESSED_NOTE = ("* Wert aus Gründen des Datenschutzes nicht ausgewiesen "
                   "(Werte 1–2 und rückrechenbare Werte)")
PLACEHOLDER_LEAD = "Für diesen Abschnitt liegen noch keine Daten vor:"
SMALL_TABLE = 25  # tables up to this many rows are kept on one page
WIDE_TABLE = 7  # tables with this many value columns are set smaller

_md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


@dataclass
class _Heading:
    id: str
    number: str
    title: str
    depth: int  # 1 = chapter


@dataclass
class _Counter:
    tables: int = 0
    charts: int = 0
    ids: set[str] = field(default_factory=set)

    def unique(self, base: str) -> str:
        ident, n = base, 2
        while ident in self.ids:
            ident, n = f"{base}-{n}", n + 1
        self.ids.add(ident)
        return ident


def markdown(text: str) -> str:
    """Markdown (CommonMark + tables, raw HTML escaped) → HTML. A paragraph sign stays on the
    line of its number (``§ 16i`` with a no-break space)."""
    return _md.render(re.sub(r"(§§?) (?=\w)", "\\1\u00a0", text))


def _slug(text: str) -> str:
    text = text.lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


def _source(text: str) -> str:
    text = text.strip()
    if not text or text.lower().startswith("quelle"):
        return text
    return f"Quelle: {text}"


def _table_view(t: ReportTable, number: int, ident: str) -> dict:
    rows = []
    any_suppressed = False
    for r in t.rows:
        cells = []
        for i, col in enumerate(t.columns):
            value = r.values[i] if i < len(r.values) else None
            if i in r.suppressed:
                any_suppressed = True
                cells.append({"text": "*", "cls": "num supp" if col.kind != "text" else "supp"})
            else:
                cells.append({"text": i18n.by_kind(value, col.kind),
                              "cls": "txt" if col.kind == "text" else "num"})
        cls = " ".join(c for c in (f"lvl{min(r.level, 3)}" if r.level else "",
                                   "total" if r.total else "") if c)
        rows.append({"label": r.label, "cls": cls, "cells": cells})
    return {"type": "table", "id": ident, "number": number, "title": t.title, "stub": t.stub,
            "columns": [{"label": c.label, "cls": "txt" if c.kind == "text" else "num"}
                        for c in t.columns],
            "rows": rows, "suppressed": any_suppressed, "note": t.note,
            "source": _source(t.source), "keep": len(t.rows) <= SMALL_TABLE,
            "wide": len(t.columns) >= WIDE_TABLE}


def _chart_view(c: Chart, number: int, ident: str) -> dict:
    return {"type": "chart", "id": ident, "number": number, "title": c.title,
            "svg": charts.to_svg(c.spec, id_prefix=ident), "note": c.note,
            "source": _source(c.source)}


def _section_view(s: Section, depth: int, counter: _Counter, toc: list[_Heading]) -> dict:
    base = "abschnitt-" + (s.number.replace(".", "-") if s.number else _slug(s.title))
    ident = counter.unique(base)
    toc.append(_Heading(ident, s.number, s.title, depth))
    blocks = []
    for b in s.blocks:
        if isinstance(b, Text):
            blocks.append({"type": "text", "html": markdown(b.markdown)})
        elif isinstance(b, ReportTable):
            counter.tables += 1
            blocks.append(_table_view(b, counter.tables, counter.unique(f"tab-{_slug(b.id)}")))
        elif isinstance(b, Chart):
            counter.charts += 1
            blocks.append(_chart_view(b, counter.charts, counter.unique(f"abb-{_slug(b.id)}")))
        else:
            raise TypeError(f"unknown block in section {s.number} {s.title!r}: {type(b).__name__}")
    subs = [_section_view(x, depth + 1, counter, toc) for x in s.sections]
    return {"id": ident, "number": s.number, "title": s.title, "depth": depth,
            "blocks": blocks, "sections": subs, "placeholder": s.placeholder}


def _period(report: Report) -> str:
    p = report.period
    if re.fullmatch(r"\d{4}-\d{2}", p):
        return "Berichtsmonat " + i18n.month(dt.date(int(p[:4]), int(p[5:]), 1))
    if re.fullmatch(r"\d{4}", p):
        return f"für das Jahr {p}" if report.kind == "programme" else f"Berichtsjahr {p}"
    return p


def jobcenter_label(name: str) -> str:
    """``Elbe-Elster`` → ``Jobcenter Elbe-Elster``; a name that already says so stays."""
    return name if name.lower().startswith("jobcenter") else f"Jobcenter {name}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    return env


def context(report: Report) -> dict:
    """Everything the template needs, already formatted."""
    counter, toc = _Counter(), []
    sections = [_section_view(s, 1, counter, toc) for s in report.sections]
    annex = None
    if report.definitions:
        annex = _Heading(counter.unique("anhang-definitionen"), "",
                         "Anhang: Begriffe und Definitionen", 1)
        toc.append(annex)
    return {
        "r": report,
        "jobcenter": jobcenter_label(report.jobcenter_name),
        "period": _period(report),
        "stand": i18n.day(report.data_date) if report.data_date else "nicht angegeben",
        "created": i18n.day(report.created),
        "sections": sections,
        "toc": toc,
        "annex": annex,
        "css": (STATIC / "report.css").read_text(encoding="utf-8"),
        "suppressed_note": SUPPRESSED_NOTE,
        "placeholder_lead": PLACEHOLDER_LEAD,
    }


def render_html(report: Report) -> str:
    """The report as one self-contained HTML5 document (a string)."""
    return _environment().get_template("report.html.j2").render(**context(report))
