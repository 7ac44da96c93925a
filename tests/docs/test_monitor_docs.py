"""docs/quality.md and docs/groups.md show exactly the rules and groups the catalogue declares."""

from pathlib import Path

from amip.catalogue.monitors import groups_markdown, rules_markdown

DOCS = Path(__file__).parents[2] / "docs"


def _between(text: str, name: str) -> str:
    return text.split(f"<!-- {name}:begin -->\n", 1)[1].split(f"<!-- {name}:end -->", 1)[0]


def test_rules_table_is_the_catalogue():
    assert _between((DOCS / "quality.md").read_text(encoding="utf-8"), "rules") == \
        rules_markdown(), "docs/quality.md: paste amip.catalogue.monitors.rules_markdown()"


def test_groups_table_is_the_catalogue():
    assert _between((DOCS / "groups.md").read_text(encoding="utf-8"), "groups") == \
        groups_markdown(), "docs/groups.md: paste amip.catalogue.monitors.groups_markdown()"
