"""Print the report HTML (:mod:`amip.reports.render_html`) to PDF with WeasyPrint.

A4 with the page rules of ``static/report.css``: running header with the report title and the
Jobcenter, footer ``Seite X von Y``, an Inhaltsverzeichnis with page numbers
(``target-counter``), chapters on new pages, small tables and charts kept on one page and table
headers repeated. Fonts (DejaVu Sans) are embedded as subsets. Nothing is fetched: the HTML is
self-contained and WeasyPrint's URL fetcher allows ``data:`` URLs only.
"""

from __future__ import annotations

from pathlib import Path

from amip.reports.model import Report
from amip.reports.render_html import STATIC, render_html


def render_pdf(report: Report, path: Path | str | None = None, *, html: str | None = None) -> bytes:
    """The report as PDF bytes; also written to ``path`` when given. Pass ``html`` (from
    :func:`~amip.reports.render_html.render_html`) to avoid rendering the charts twice."""
    from weasyprint import HTML  # imported late: loading pango takes a moment
    from weasyprint.urls import URLFetcher

    if html is None:
        html = render_html(report)
    doc = HTML(string=html, base_url=str(STATIC), url_fetcher=URLFetcher(allowed_protocols={"data"}))
    data = doc.write_pdf(custom_metadata=True)
    if path is not None:
        Path(path).write_bytes(data)
    return data
