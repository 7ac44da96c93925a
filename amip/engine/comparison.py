"""Whether two values of a measure compare like for like across rule versions.

A rule version that redefines a measure (``changes`` in ``rules.toml``: K2E3 with VO 2019) breaks
its series: no change column compares across the break (the difference is None with a German
reason), and charts mark the first month under the new rules.
"""

from __future__ import annotations

from amip.catalogue import load
from amip.engine.calendar import stichtag

RULE_MARK = "Regeländerung"


def incomparable(code: str, rules_now: str | None, rules_before: str | None) -> str | None:
    """The German reason why a value under ``rules_now`` must not be compared with one under
    ``rules_before`` (rule-version keys of the records), or None when they compare."""
    if not rules_now or not rules_before or rules_now == rules_before:
        return None
    cat = load()
    version = cat.rule_break(code, rules_before, rules_now)
    if version is None:
        return None
    return (f"Keine Veränderung ausweisbar: {code} ist seit der {version.label} "
            f"({version.valid_from:%d.%m.%Y}) anders definiert; Vor- und Vergleichswert beruhen "
            f"auf verschiedenen Definitionen.")


def rule_marks(code: str, months: list[int]) -> list[tuple[int, str]]:
    """The months of ``months`` (ascending indices) that are the first under a rule version
    redefining ``code``, with the version's label (for a chart's rule mark)."""
    cat = load()
    marks = []
    for m in months:
        now, before = cat.rules_for(stichtag(m)), cat.rules_for(stichtag(m - 1))
        if now.key != before.key and cat.rule_break(code, before.key, now.key) is not None:
            marks.append((m, now.label))
    return marks
