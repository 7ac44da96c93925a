"""Export a report's tables and chart data to XLSX and CSV, and write all formats at once.

**XLSX** (xlsxwriter): a first sheet ``Definitionen`` (report, Jobcenter, period, Datenstand,
list of sheets, definitions), then one sheet per table named by ``table.id`` and one per chart
(``abb_<chart.id>``) with the data behind it. Cells hold real numbers with number formats
(``#,##0``; percentages stored as fractions, 23,4 % = 0.234, with ``0.0%``; euros
``#,##0 "€"``) that German Excel displays as ``5.485``, ``23,4%``, ``7.053.067 €``. Suppressed
cells hold the text ``*``. Each sheet has a title row, a header row and note/source rows.

**CSV**: one file per table (``<table.id>.csv``) and per chart (``abb_<chart.id>.csv``), in the
convention German Excel opens with a double click: UTF-8 with BOM, ``;`` as separator, decimal
comma, no thousands separator, CRLF line ends. Percent columns stay in percent units (23,4),
marked ``(%)`` in the header; percentages carry one decimal as in the printed report.
Suppressed cells are ``*``, missing values empty. "darunter" rows (level 1) are indented by two
spaces per level. Title and source are not part of the CSV (they are in the XLSX).

Every file written here is readable by its owner only (0600), every folder created 0700
(:mod:`amip.files`): reports hold the Jobcenter's unpublished figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable

from amip import i18n
from amip.files import private, private_dir
from amip.reports.model import Chart, Report, ReportTable
from amip.reports.render_html import SUPPRESSED_NOTE, jobcenter_label

FORMATS = ("html", "pdf", "xlsx", "csv")

_XLSX_NUM = {
    "count": "#,##0",
    "number": "#,##0.0",
    "pct": "0.0%",
    "change_pct": "+0.0%;-0.0%;0.0%",
    "eur": '#,##0 "€"',
}


def _number(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def sheet_names(report: Report) -> dict[int, str]:
    """``id(block) → sheet name`` for every table and chart: the ``id`` (charts with
    ``abb_``), Excel's forbidden characters replaced, at most 31 characters, unique."""
    used = {"definitionen"}
    names: dict[int, str] = {}
    blocks: list[ReportTable | Chart] = [*report.tables(), *report.charts()]
    for b in blocks:
        base = b.id if isinstance(b, ReportTable) else f"abb_{b.id}"
        base = re.sub(r"[\[\]:*?/\\]", "_", base).strip("'") or "tabelle"
        name, n = base[:31], 2
        while name.lower() in used:
            suffix = f"~{n}"
            name, n = base[:31 - len(suffix)] + suffix, n + 1
        used.add(name.lower())
        names[id(b)] = name
    return names


# --- XLSX ------------------------------------------------------------------------------------

class _Formats:
    def __init__(self, wb):
        self.wb = wb
        self.cache: dict = {}
        self.title = wb.add_format({"bold": True, "font_size": 12})
        self.bold = wb.add_format({"bold": True})
        self.small = wb.add_format({"font_size": 9, "font_color": "#555555"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.head = wb.add_format({"bold": True, "bottom": 1, "top": 1, "text_wrap": True,
                                   "valign": "bottom", "bg_color": "#F2F2F2"})
        self.head_num = wb.add_format({"bold": True, "bottom": 1, "top": 1, "text_wrap": True,
                                       "valign": "bottom", "align": "right",
                                       "bg_color": "#F2F2F2"})
        self.date = wb.add_format({"num_format": "dd.mm.yyyy"})
        self.link = wb.add_format({"font_color": "#1F3A5A", "underline": 1})

    def get(self, kind: str, *, bold=False, indent=0, suppressed=False, integral=False):
        key = (kind, bold, indent, suppressed, integral)
        if key not in self.cache:
            props: dict = {}
            if bold:
                props.update(bold=True, top=1)
            if indent:
                props["indent"] = indent
            if suppressed:
                props["align"] = "right"
            elif kind == "number" and integral:
                props["num_format"] = "#,##0"
            elif kind in _XLSX_NUM:
                props["num_format"] = _XLSX_NUM[kind]
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def _xlsx_value(value, kind: str):
    value = _number(value)
    if kind in ("pct", "change_pct") and _is_number(value):
        return round(value / 100, 12)
    return value


def _write_table(ws, t: ReportTable, f: _Formats) -> None:
    ws.write_string(0, 0, t.title, f.title)
    ws.write_string(2, 0, t.stub or "", f.head)
    for j, col in enumerate(t.columns, start=1):
        ws.write_string(2, j, col.label, f.head if col.kind == "text" else f.head_num)
    ws.set_row(2, 30)
    r = 3
    suppressed = False
    for row in t.rows:
        ws.write_string(r, 0, row.label, f.get("text", bold=row.total, indent=row.level))
        for j, col in enumerate(t.columns, start=1):
            i = j - 1
            value = row.values[i] if i < len(row.values) else None
            if i in row.suppressed:
                suppressed = True
                ws.write_string(r, j, "*", f.get(col.kind, bold=row.total, suppressed=True))
                continue
            value = _xlsx_value(value, col.kind)
            integral = _is_number(value) and float(value) == int(value)
            fmt = f.get(col.kind, bold=row.total, integral=integral)
            if value is None:
                ws.write_blank(r, j, None, fmt)
            elif _is_number(value):
                ws.write_number(r, j, value, fmt)
            else:
                ws.write_string(r, j, str(value), fmt)
        r += 1
    r += 1
    for text in (SUPPRESSED_NOTE if suppressed else "", t.note, _source(t.source)):
        if text:
            ws.write_string(r, 0, text, f.small)
            r += 1
    ws.set_column(0, 0, min(max([len(t.stub or "")] + [len(x.label) + 2 * x.level
                                                       for x in t.rows]) + 2, 60))
    ws.set_column(1, max(len(t.columns), 1), 15)
    ws.freeze_panes(3, 1)


def _chart_columns(rows: list[dict]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        for k in row:
            if k not in cols and not k.startswith("_"):
                cols.append(k)
    return cols


def _write_chart_data(ws, c: Chart, f: _Formats) -> None:
    ws.write_string(0, 0, f"{c.title} (Daten zur Abbildung)", f.title)
    cols = _chart_columns(c.data)
    for j, k in enumerate(cols):
        ws.write_string(2, j, k, f.head)
    for i, row in enumerate(c.data, start=3):
        for j, k in enumerate(cols):
            v = _number(row.get(k))
            if v is None:
                continue
            if isinstance(v, (dt.date, dt.datetime)):
                ws.write_datetime(i, j, v if isinstance(v, dt.datetime)
                                  else dt.datetime.combine(v, dt.time()), f.date)
            elif _is_number(v):
                ws.write_number(i, j, v)
            else:
                ws.write_string(i, j, str(v))
    r = 3 + len(c.data) + 1
    for text in (c.note, _source(c.source)):
        if text:
            ws.write_string(r, 0, text, f.small)
            r += 1
    ws.set_column(0, max(len(cols) - 1, 0), 16)
    ws.freeze_panes(3, 0)


def _source(text: str) -> str:
    text = (text or "").strip()
    return text if not text or text.lower().startswith("quelle") else f"Quelle: {text}"


def write_xlsx(report: Report, path: Path | str) -> Path:
    """All tables and chart data of ``report`` in one workbook at ``path`` (mode 0600)."""
    path = Path(path)
    with open(path, "wb", opener=private) as fh:
        _fill_xlsx(report, fh)
    return path


def _fill_xlsx(report: Report, fh) -> None:
    import xlsxwriter

    names = sheet_names(report)
    wb = xlsxwriter.Workbook(fh, {"strings_to_numbers": False, "strings_to_urls": False,
                                  "strings_to_formulas": False})
    wb.set_properties({"title": report.title, "subject": report.subtitle,
                       "company": jobcenter_label(report.jobcenter_name), "comments": "amip"})
    f = _Formats(wb)
    ws = wb.add_worksheet("Definitionen")
    ws.write_string(0, 0, report.title, f.title)
    info = [("Untertitel", report.subtitle),
            ("Jobcenter", f"{report.jobcenter_name} ({report.jobcenter_id})"),
            ("Zeitraum", report.period),
            ("Datenstand", i18n.day(report.data_date) if report.data_date else "nicht angegeben"),
            ("Erstellt am", i18n.day(report.created)),
            ("Veröffentlichung", "öffentlich (mit Geheimhaltung kleiner Werte)" if report.public
             else "intern – nicht zur Veröffentlichung")]
    r = 2
    for k, v in info:
        ws.write_string(r, 0, k, f.bold)
        ws.write_string(r, 1, v)
        r += 1
    r += 1
    ws.write_string(r, 0, "Tabellenblätter", f.bold)
    r += 1
    for b in [*report.tables(), *report.charts()]:
        name = names[id(b)]
        ws.write_url(r, 0, f"internal:'{name}'!A1", f.link, string=name)
        ws.write_string(r, 1, b.title if isinstance(b, ReportTable)
                        else f"{b.title} (Daten zur Abbildung)")
        r += 1
    r += 1
    ws.write_string(r, 0, "* in Tabellen", f.bold)
    ws.write_string(r, 1, SUPPRESSED_NOTE.lstrip("* "), f.wrap)
    r += 2
    if report.definitions:
        ws.write_string(r, 0, "Begriffe und Definitionen", f.bold)
        r += 1
        for term, text in report.definitions:
            ws.write_string(r, 0, term, f.wrap)
            ws.write_string(r, 1, text, f.wrap)
            r += 1
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 90)
    for t in report.tables():
        _write_table(wb.add_worksheet(names[id(t)]), t, f)
    for c in report.charts():
        _write_chart_data(wb.add_worksheet(names[id(c)]), c, f)
    wb.close()


# --- CSV -------------------------------------------------------------------------------------

def _csv_number(value, kind: str = "number") -> str:
    value = _number(value)
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if not _is_number(value):
        return str(value)
    if isinstance(value, int) or (kind in ("count", "eur") and float(value) == int(value)):
        return str(int(value))
    if kind in ("pct", "change_pct"):
        text = f"{value:.1f}"
    else:
        text = f"{value:.10g}"
    return text.replace(".", ",")


csv_cell = _csv_number  # a value as a German CSV cell (decimal comma, empty for None)


def _csv_header(label: str, kind: str) -> str:
    if kind in ("pct", "change_pct") and "%" not in label:
        return f"{label} (%)"
    if kind == "eur" and "€" not in label and "EUR" not in label:
        return f"{label} (€)"
    return label


def write_csv_rows(fh, rows: Iterable[list[str]]) -> None:
    """German CSV rows (``;``, CRLF) to a text file opened with ``encoding="utf-8-sig"``
    (the BOM) and ``newline=""``; cells from :func:`csv_cell`."""
    csv.writer(fh, delimiter=";", lineterminator="\r\n").writerows(rows)


def _csv_write(path: Path, rows: Iterable[list[str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="", opener=private) as fh:
        write_csv_rows(fh, rows)


def csv_files(report: Report, out_dir: Path | str) -> dict[Path, ReportTable | Chart]:
    """The CSV paths :func:`write_csv` writes, without writing them."""
    out_dir = Path(out_dir)
    names = sheet_names(report)
    return {out_dir / f"{names[id(b)]}.csv": b for b in [*report.tables(), *report.charts()]}


def write_csv(report: Report, out_dir: Path | str) -> list[Path]:
    """One CSV per table and per chart in ``out_dir`` (created); returns the paths."""
    out_dir = private_dir(out_dir)
    written = []
    for path, b in csv_files(report, out_dir).items():
        if isinstance(b, ReportTable):
            rows = [[b.stub or "Merkmal"] + [_csv_header(c.label, c.kind) for c in b.columns]]
            for row in b.rows:
                cells = ["  " * row.level + row.label]
                for i, col in enumerate(b.columns):
                    value = row.values[i] if i < len(row.values) else None
                    cells.append("*" if i in row.suppressed else _csv_number(value, col.kind))
                rows.append(cells)
        else:
            cols = _chart_columns(b.data)
            rows = [cols] + [[_csv_number(r.get(k)) for k in cols] for r in b.data]
        _csv_write(path, rows)
        written.append(path)
    return written


# --- all formats -----------------------------------------------------------------------------

def earlier_files(out_dir: Path | str, stem: str, formats: Iterable[str]) -> list[Path]:
    """The HTML, PDF and XLSX files of an earlier run that writing ``stem`` would meet: known
    before the report is built, so a command can refuse at once (the CSV files depend on the
    report's tables; :func:`write_all` checks them)."""
    return [p for p in _document_targets(out_dir, stem, formats).values() if p.exists()]


def _document_targets(out_dir: Path | str, stem: str, formats: Iterable[str]) -> dict[str, Path]:
    """``{format: path}`` of the one-file formats (HTML, PDF, XLSX) among ``formats``."""
    return {k: Path(out_dir) / f"{stem}.{k}" for k in ("html", "pdf", "xlsx") if k in formats}


def write_all(report: Report, out_dir: Path | str, stem: str,
              formats: Iterable[str] = FORMATS, *, overwrite: bool = False,
              csv_dir: str = "csv",
              documents: Callable[[], dict[str, bytes]] | None = None) -> dict[str, Path]:
    """Write ``<stem>.html``, ``<stem>.pdf``, ``<stem>.xlsx`` and ``<csv_dir>/<table>.csv``
    into ``out_dir`` (created). Returns ``{format: path}`` (for csv: the directory). Refuses,
    before writing anything, if a target file exists, unless ``overwrite``. ``documents``
    gives the HTML and PDF rendered elsewhere (:func:`render_documents` in a background
    process); it is asked for last, so the tables are written meanwhile."""
    formats = set(formats)
    unknown = formats - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown report format(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    targets = _document_targets(out_dir, stem, formats)
    files = list(targets.values())
    if "csv" in formats:
        targets["csv"] = out_dir / csv_dir
        files += list(csv_files(report, targets["csv"]))
    existing = [p for p in files if p.exists()]
    if existing and not overwrite:
        shown = ", ".join(str(p) for p in existing[:5]) + (" …" if len(existing) > 5 else "")
        raise FileExistsError(f"{len(existing)} Datei(en) vorhanden, nicht überschrieben "
                              f"(mit --overwrite ersetzen): {shown}")
    private_dir(out_dir)
    if "xlsx" in formats:
        tmp = targets["xlsx"].with_name(targets["xlsx"].name + ".tmp")
        write_xlsx(report, tmp)
        os.replace(tmp, targets["xlsx"])
    if "csv" in formats:
        write_csv(report, targets["csv"])
    if formats & {"html", "pdf"}:
        rendered = documents() if documents else render_documents(report, formats)
        for kind in ("html", "pdf"):
            if kind in formats:
                _atomic(targets[kind], rendered[kind])
    return targets


def render_documents(report: Report, formats: Iterable[str] = ("html", "pdf")) -> dict[str, bytes]:
    """The report as ``{"html": …, "pdf": …}`` bytes (those of ``formats``); the PDF is printed
    from the same HTML, so the charts are rendered once."""
    from amip.reports.render_html import render_html

    html = render_html(report)
    out = {"html": html.encode("utf-8")}
    if "pdf" in formats:
        from amip.reports.render_pdf import render_pdf
        out["pdf"] = render_pdf(report, html=html)
    return out


def warm_renderers(hyphenation: bool = False) -> None:
    """Load what rendering needs before the report is ready (for a background renderer): the
    chart runtime (vl-convert starts a JavaScript engine, 0.3 s), WeasyPrint with fonts and the
    stylesheet, and, for reports that hyphenate, the German hyphenation dictionary (0.5 s)."""
    from amip.charts import to_svg
    from amip.reports.render_pdf import render_pdf
    from amip.reports.model import Report, Section, Text

    tiny = Report("programme" if hyphenation else "monthly", "Vorlauf", "", "0", "Jobcenter",
                  "2020", None, [Section("1", "Vorlauf", [Text("Silbentrennung")])], public=False)
    render_pdf(tiny)
    to_svg({"mark": "point", "data": {"values": [{"a": 1}]},
            "encoding": {"x": {"field": "a", "type": "quantitative"}}})
    if hyphenation:
        import pyphen

        # as WeasyPrint picks it for <html lang="de-DE"> (plain "de" would give de_AT)
        pyphen.Pyphen(lang=pyphen.language_fallback("de-DE"))


def _atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb", opener=private) as fh:
        fh.write(data)
    os.replace(tmp, path)
