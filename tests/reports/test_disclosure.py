"""Small-cell suppression: counts 1–2 hidden, and a second cell where a total would reveal it,
also where the total holds more than the parts shown (sex d, persons without a team)."""

import numpy as np

from amip.disclosure import Rule, protect_records
from amip.reports.disclosure import protect, protect_table
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
    from amip.disclosure import hidden_fields
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


# -- totals with a rest that is not shown ---------------------------------------------------------

def recomputable(equations, unknown) -> set:
    """The ``unknown`` cells whose values follow from the known ones by any combination of the
    ``equations`` (total, parts: total = Σ parts): a cell follows when its unit vector lies in
    the row space of the equations restricted to the unknowns (adding it keeps the rank)."""
    unknown = sorted(unknown, key=str)
    col = {k: i for i, k in enumerate(unknown)}
    a = np.zeros((len(equations), len(unknown)))
    for e, (total, parts) in enumerate(equations):
        for cell, sign in ((total, 1), *((p, -1) for p in parts)):
            if cell in col:
                a[e, col[cell]] += sign
    rank = np.linalg.matrix_rank(a)
    return {k for k in unknown
            if np.linalg.matrix_rank(np.vstack([a, np.eye(len(unknown))[col[k]]])) == rank}


def records(cells: dict[tuple, int]) -> list[dict]:
    """Records of one count measure: (unit or None for the Jobcenter, sex) -> numerator; the
    denominator is 100 everywhere (never small)."""
    return [dict(code="K2", month="2020-06", jobcenter_id="x", unit_id=unit, sex=sex,
                 numerator=z, denominator=100, value=z) for (unit, sex), z in cells.items()]


UNITS = [dict(unit_id="jc", parent_unit_id=None, level="jobcenter"),
         dict(unit_id="s1", parent_unit_id="jc", level="standort"),
         dict(unit_id="s2", parent_unit_id="jc", level="standort")]


def hidden_cells(rows) -> set:
    return {(r["unit_id"], r["sex"]) for r in rows if r["numerator"] is None}


def counted(code):
    return True


def test_sex_d_is_protected():
    # all = 10, m = 5, w = 3 → d = 10 − 5 − 3 = 2 is small: one of m/w/all is hidden too, the
    # smallest non-zero part (w = 3); then 10 − 5 = w + d = 5 is all anyone can work out
    rows = protect_records(records({(None, "all"): 10, (None, "m"): 5, (None, "w"): 3}),
                           counted=counted)
    assert hidden_cells(rows) == {(None, "w")}
    w = next(r for r in rows if r["sex"] == "w")
    assert w["suppressed"] and w["value"] is None and w["denominator"] == 100
    assert recomputable([("all", ["m", "w", "d"])], {"w", "d"}) == set()
    # d = 10 − 5 − 5 = 0 reveals nobody: nothing hidden
    rows = protect_records(records({(None, "all"): 10, (None, "m"): 5, (None, "w"): 5}),
                           counted=counted)
    assert hidden_cells(rows) == set()


def test_persons_without_a_team_are_a_cell_of_their_own():
    # Jobcenter 20 = s1 9 + s2 9 + 2 without a team: the 2 would be 20 − 9 − 9, so a Standort
    # is hidden (s1: equal values go by name); then s1 + rest = 11 is all that is known
    rows = protect_records(records({(None, "all"): 20, ("s1", "all"): 9, ("s2", "all"): 9}),
                           UNITS, counted=counted)
    assert hidden_cells(rows) == {("s1", "all")}
    assert recomputable([("jc", ["s1", "s2", "rest"])], {"s1", "rest"}) == set()


def test_a_larger_rest_protects_nothing():
    # Jobcenter 30 = s1 2 + s2 9 + 19 without a team: the rest (19) is not shown but no secret
    # (and will be shown as "ohne Zuordnung"): s1 = 30 − 9 − 19 must not follow, so s2 is hidden
    rows = protect_records(records({(None, "all"): 30, ("s1", "all"): 2, ("s2", "all"): 9}),
                           UNITS, counted=counted)
    assert hidden_cells(rows) == {("s1", "all"), ("s2", "all")}


def test_a_rest_that_only_a_combination_reveals_is_protected():
    """Persons of sex d without a team: 1, worked out from no single total but from nine cells.

                 all   m   w   d (not shown)
        s1        20  10   7   3
        s2        30  14  12   4
        rest      11   5   5   1   (no team; not shown)
        Jobcenter 61  29  24   8

    (61 − 29 − 24) − (20 − 10 − 7) − (30 − 14 − 12) = 8 − 3 − 4 = 1. Every equation with a
    shown cell has no small cell, so only the exact pass finds it; it hides the smallest cell
    the combination uses (s1 w = 7), and protecting that one hides s1 m (s1's row), s2 w (the
    w column) and s2 m (the m column)."""
    table = {"s1": (20, 10, 7), "s2": (30, 14, 12), None: (61, 29, 24)}
    cells = {(u, s): v for u, vs in table.items() for s, v in zip(("all", "m", "w"), vs)}
    rows = protect_records(records(cells), UNITS, counted=counted)
    assert hidden_cells(rows) == {("s1", "m"), ("s1", "w"), ("s2", "m"), ("s2", "w")}
    nodes = [None, "s1", "s2", "rest"]
    equations = [((n, "all"), [(n, "m"), (n, "w"), (n, "d")]) for n in nodes] + \
        [((None, s), [("s1", s), ("s2", s), ("rest", s)]) for s in ("all", "m", "w", "d")]
    residuals = {(n, "d") for n in nodes} | {("rest", s) for s in ("all", "m", "w")}
    assert ("rest", "d") in recomputable(equations, residuals)  # without the pass: revealed
    assert ("rest", "d") not in recomputable(equations, residuals | hidden_cells(rows))


def test_report_tables_protect_the_rest_of_a_total():
    """The programme's table of Arbeitslose: 30 = 15 men + 13 women + 2 of sex d. Women (the
    smaller part) are hidden, with the changes to the previous year (31 = 16 + 15, d = 0: not
    hidden) that would give 13 back from 15 and −2."""
    import datetime as dt

    from amip.reports.figures import Programme
    from amip.reports.programme import unemployed_table

    def profile(total, men, women):
        return dict(total=total, men=men, women=women, u25=5, lza=10, foreign=4,
                    severely_disabled=3, single_parents=6)

    p = Programme(year=2021, jobcenter_id="x", jobcenter_name="JC",
                  data_date=dt.date(2021, 1, 31), jdw={},
                  unemployed={"now": profile(30, 15, 13), "before": profile(31, 16, 15)},
                  refugees_jdw=0.0, employment={}, prognosis_by_age={}, indicators={},
                  indicators_before={}, budget=[], egl=[], groups={},
                  quality=None, underemployment={})
    t = unemployed_table(p)
    protect_table(t)
    assert hidden(t)[:3] == [[], [], [0, 2, 3]]
    assert all(r.suppressed == set() for r in t.rows[3:])
