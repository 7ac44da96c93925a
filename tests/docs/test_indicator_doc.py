"""docs/indicators.md is exactly what the catalogue renders: documentation cannot drift."""

from pathlib import Path

from amip.catalogue.document import render_markdown

DOC = Path(__file__).parents[2] / "docs" / "indicators.md"


def test_indicator_doc_is_generated_from_the_catalogue():
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/indicators.md is out of date: run "
        "`amip indicators --list --format md > docs/indicators.md`")
