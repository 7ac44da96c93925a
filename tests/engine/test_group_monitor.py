"""The customer-group monitor beyond tests/engine/test_quality_rules.py's hand-worked month:
several groups of one kind in one query (the parameters as a joined table), the monthly series
the targets follow (per unit, none before the data start) and the data-state cache.

Every case runs on DuckDB and PostgreSQL (tests/engine/conftest.py).
"""

from __future__ import annotations

import pytest

from amip.catalogue.monitors import GroupDef, customer_groups
from amip.engine import group_monitor as gm
from amip.engine.calendar import parse_month
from tests.engine.test_quality_rules import JC, JUNE, QEx, group_case


def test_groups_of_one_kind_share_a_query():
    """Two age groups and two flag groups at once: each member counted in its own group.
    a born 2000 (20 at ST June 2020), d born 1999 (21 at ST May; left in June), b and c born 1980.
    c has refugee_context; nobody has severely_disabled."""
    groups = {
        "u21": GroupDef("u21", "unter 21", "age_below", "test", params={"years": 21}),
        "u25": GroupDef("u25", "unter 25", "age_below", "test", params={"years": 25}),
        "ref": GroupDef("ref", "Geflüchtete", "flags", "test",
                        params={"flags": ["refugee_context"]}),
        "sb": GroupDef("sb", "SB", "flags", "test", params={"flags": ["severely_disabled"]}),
    }
    view = group_case().view()
    counts = gm._counts(view, JC, JUNE, JUNE, groups)

    def n(measure, g, m=JUNE):
        return sum(v for (me, gg, _, mm), v in counts.items()
                   if me == measure and gg == g and mm == m)
    # ST 15.06.2020: a is 20 → in u21 and u25; d (21 on 15.05.) in u25 only in May
    assert (n("stock", "u21"), n("stock", "u25")) == (1, 1)
    assert (n("stock", "u21", JUNE - 1), n("stock", "u25", JUNE - 1)) == (1, 2)
    assert (n("stock", "ref"), n("inflows", "ref"), n("stock", "sb")) == (1, 1, 0)
    # d's Integration in June counts for u25 (in it at ST May), not for u21
    assert (n("integrations", "u25"), n("integrations", "u21")) == (1, 0)


def test_the_series_per_unit_and_the_data_start():
    """group_series: the Jobcenter (None), the Standort S1 and the teams; months before the data
    start (the first elb spell, 2018-01-01) have no figure that reads them."""
    view = group_case().view()
    s = gm.group_series(view, JC, parse_month("2018-01"), JUNE,
                        [("no_vocational_training", "stock"),
                         ("no_vocational_training", "integrations"),
                         ("u25", "integration_rate")])
    stock = s[("no_vocational_training", "stock")]
    # June 2020: a, b, c (everyone has education none); T1 holds a and c, T2 b
    assert (stock[(None, "2020-06")], stock[("S1", "2020-06")], stock[("T1", "2020-06")],
            stock[("T2", "2020-06")]) == (3, 3, 2, 1)
    assert stock[(None, "2018-01")] == 1  # b from 2018-01-01, ST 15.01.2018 after the start
    integ = s[("no_vocational_training", "integrations")]
    assert integ[(None, "2020-06")] == 1 and integ[("T2", "2020-06")] == 1
    # an Integration of 2018-02 would read ST(2017-12): before the data start → None, not 0
    assert integ[(None, "2018-02")] is None and integ[(None, "2018-03")] == 0
    rate = s[("u25", "integration_rate")]
    assert rate[(None, "2020-06")] == pytest.approx(50.0)  # as in test_group_figures_by_hand
    assert rate[(None, "2018-12")] is None  # reads ST(2017-11)
    with pytest.raises(ValueError):
        gm.group_series(view, JC, JUNE, JUNE, [("u25", "nope")])


def test_counts_are_kept_per_data_state():
    ex = group_case()
    store = ex.store()
    view = store.view()
    first = gm.group_monitor(view, JUNE)
    again = gm.group_monitor(view, JUNE)
    assert again == first
    key = gm.view_key(view, "group_counts", JC, JUNE - 11, JUNE, tuple(customer_groups()))
    if key is not None:  # a store view has a data state: the counts are kept under it
        assert gm._CACHE.get(key) is not None
