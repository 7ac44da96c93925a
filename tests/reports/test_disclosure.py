"""Small-cell suppression: counts 1–2 hidden, and a second cell where a total would reveal it."""

from amip.reports.disclosure import Rule, protect, protect_table
from amip.reports.model import Column, Report, ReportTable, Row, Section


def table(values, sums=((0, [1, 2, 3]),), share=False):
    cols = [Column("Anzahl", "count")] + ([Column("Anteil", "pct", derived_from=0)] if share else [])
    rows = [Row(label, [v] + ([v / values[0][1] * 100] if share else []))
            for label, v in values]
    return ReportTable("t", "T", cols, rows, sums=list(sums))


def hidden(t):
    return [sorted(r.suppressed) for r in t.rows]


def test_counts_of_one_and_two_are_hidden_zero_is_not():
    t = table([("Insgesamt", 12), ("a", 0), ("b", 2), ("c", 10)], sums=())
    assert protect_table(t) == 1
    assert hidden(t) == [[], [], [0], []]


def test_a_second_cell_is_hidden_so_the_total_does_not_reveal_the_first():
    # total 20 = 2 + 7 + 11: with only "2" hidden, 20 − 7 − 11 = 2 gives it away.
    # The smallest other visible part (7) is hidden too.
    t = table([("Insgesamt", 20), ("a", 2), ("b", 7), ("c", 11)])
    protect_table(t)
    assert hidden(t) == [[], [0], [0], []]


def test_two_small_parts_protect_each_other():
    t = table([("Insgesamt", 13), ("a", 1), ("b", 2), ("c", 10)])
    protect_table(t)
    assert hidden(t) == [[], [0], [0], []]


def test_a_hidden_total_hides_a_part():
    t = table([("Insgesamt", 2), ("a", 0), ("b", 2), ("c", 0)])
    protect_table(t)
    # total and b are 2 (primary); the group then has two unknowns: nothing more needed
    assert hidden(t) == [[0], [], [0], []]


def test_shares_of_hidden_counts_are_hidden():
    t = table([("Insgesamt", 20), ("a", 2), ("b", 7), ("c", 11)], share=True)
    protect_table(t)
    assert hidden(t) == [[], [0, 1], [0, 1], []]


def test_the_rule_is_configurable():
    t = table([("Insgesamt", 23), ("a", 4), ("b", 8), ("c", 11)], sums=())
    protect_table(t, Rule(low=1, high=5))
    assert hidden(t) == [[], [0], [], []]


def test_internal_reports_are_not_suppressed():
    t = table([("Insgesamt", 20), ("a", 2), ("b", 7), ("c", 11)])
    sections = [Section("1", "Bestand", [t])]
    internal = Report("monthly", "M", "", "03504", "JC", "2020-06", None, sections, public=False)
    assert protect(internal) == 0 and hidden(t) == [[], [], [], []]
    published = Report("programme", "P", "", "03504", "JC", "2020", None, sections, public=True)
    assert protect(published) == 2


def test_indicator_tables_of_published_reports_hide_small_counts():
    """K2E4 of a Standort with 2 Integrationen of Alleinerziehende (12-month sum) over a mean
    stock of 40: published, Zähler, value and the change are hidden ("*"), the Nenner (40) is
    not small; and the Jobcenter beside its two Standorte needs a second hidden cell, the
    other Standort's 9 (else 11 − 9 = 2). Internal: nothing hidden."""
    from amip.engine.indicators import Record
    from amip.reports.disclosure import hidden_fields
    from amip.reports.tables import by_key, indicator_table

    units = [dict(unit_id="s1", parent_unit_id="u0", level="standort"),
             dict(unit_id="s2", parent_unit_id="u0", level="standort"),
             dict(unit_id="u0", parent_unit_id=None, level="jobcenter")]

    def rec(unit, month, z, n):
        return Record("K2E4", month, "x", "all", z, n, z / n * 100, unit, "vo2019", "month")

    records = [rec(None, "2020-06", 11, 90.0), rec("s1", "2020-06", 2, 40.0),
               rec("s2", "2020-06", 9, 50.0), rec(None, "2019-06", 12, 88.0),
               rec("s1", "2019-06", 5, 41.0), rec("s2", "2019-06", 7, 47.0)]
    hidden = hidden_fields(records, units)
    assert hidden[("K2E4", "2020-06", "s1", "all", "month")] == {"numerator", "value"}
    assert hidden[("K2E4", "2020-06", "s2", "all", "month")] == {"numerator", "value"}
    assert ("K2E4", "2020-06", None, "all", "month") not in hidden
    table = indicator_table("t", "T", by_key(records, "2020-06", "s1"),
                            by_key(records, "2019-06", "s1"), "Q", codes=["K2E4"], hidden=hidden)
    assert table.rows[0].suppressed == {0, 2, 4}  # Zähler, value, change; Nenner and Vorjahr shown
    internal = indicator_table("t", "T", by_key(records, "2020-06", "s1"),
                               by_key(records, "2019-06", "s1"), "Q", codes=["K2E4"])
    assert internal.rows[0].suppressed == set()
