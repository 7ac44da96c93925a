"""The org tree is a tree: layered jobcenter → standort → team within one Jobcenter, no cycles;
also for a later extract's units together with the stored ones. And a cycle that slipped into a
store (written by an older amip) does not hang the walks of the tree.

The base units (tests/conftest.py), lines 2–4 of units.csv:
u0 (jobcenter) ← u1 Geschäftsstelle Finsterwalde (standort) ← u11 Team Markt (team).
"""

from __future__ import annotations

import threading

import pytest

from amip.engine.indicators import unit_scope
from amip.extract.errors import ExtractInvalid
from amip.extract.reader import read_extract
from amip.extract.validate import validate
from amip.store import Store
from amip.web.pages import _unit_chain
from tests.conftest import BASE_EXTRACT

HEADER = "unit_id,jobcenter_id,parent_unit_id,name,level\n"
U0 = "u0,03504,,Jobcenter Elbe-Elster,jobcenter"
U1 = "u1,03504,u0,Geschäftsstelle Finsterwalde,standort"
U11 = "u11,03504,u1,Team Markt,team"
TWO_JOBCENTERS = {"jobcenters": "jobcenter_id,name,kind,land,vergleichstyp\n"
                                "03504,Jobcenter Elbe-Elster,ge,BB,\n"
                                "03505,Jobcenter Nord,zkt,BB,\n"}


def errors_of(path) -> list[str]:
    return [str(e) for e in validate(read_extract(path))]


def units(*lines: str) -> dict[str, str]:
    return {"units": HEADER + "\n".join(lines) + "\n"}


def at(line: int, column: str, value: str, message: str) -> str:
    return f"units.csv, Zeile {line}, Spalte {column}, Wert {value!r}: {message}"


CASES = [
    pytest.param(units(U0, "u1,03504,u1,Geschäftsstelle Finsterwalde,standort", U11), [
        at(3, "parent_unit_id", "u1", "Kreis im Organisationsbaum (Einheit → übergeordnete "
                                      "Einheit): u1 → u1"),
        at(3, "parent_unit_id", "u1", "die übergeordnete Einheit hat die Ebene standort; "
                                      "über der Ebene standort steht die Ebene jobcenter"),
    ], id="own-parent"),
    pytest.param(units("u0,03504,u11,Jobcenter Elbe-Elster,jobcenter", U1, U11), [
        at(2, "parent_unit_id", "u11", "Kreis im Organisationsbaum (Einheit → übergeordnete "
                                       "Einheit): u0 → u11 → u1 → u0"),
        at(2, "parent_unit_id", "u11", "eine Einheit der Ebene jobcenter darf keine "
                                       "übergeordnete Einheit haben"),
    ], id="own-ancestor"),
    pytest.param(units(U0, U1, "u11,03504,u1,Team Markt,jobcenter"), [
        at(4, "parent_unit_id", "u1", "eine Einheit der Ebene jobcenter darf keine "
                                      "übergeordnete Einheit haben"),
        at(4, "level", "jobcenter", "zweite Einheit der Ebene jobcenter im Jobcenter '03504' "
                                    "(die erste ist 'u0')"),
    ], id="team-with-level-jobcenter"),
    pytest.param(units(U0, U1, U11, "u9,03504,,Noch ein Jobcenter,jobcenter"), [
        at(5, "level", "jobcenter", "zweite Einheit der Ebene jobcenter im Jobcenter '03504' "
                                    "(die erste ist 'u0')"),
    ], id="two-jobcenter-units"),
    pytest.param(units(U0, "u1,03504,,Geschäftsstelle Finsterwalde,standort", U11), [
        "units.csv, Zeile 3, Spalte parent_unit_id: eine Einheit der Ebene standort braucht "
        "eine übergeordnete Einheit der Ebene jobcenter",
    ], id="standort-without-parent"),
    pytest.param(units(U0, U1, U11, "u2,03504,u1,Geschäftsstelle Doberlug,standort"), [
        at(5, "parent_unit_id", "u1", "die übergeordnete Einheit hat die Ebene standort; "
                                      "über der Ebene standort steht die Ebene jobcenter"),
    ], id="standort-under-standort"),
    pytest.param(units(U0, U1, "u11,03504,u0,Team Markt,team"), [
        at(4, "parent_unit_id", "u0", "die übergeordnete Einheit hat die Ebene jobcenter; über "
                                      "der Ebene team steht die Ebene standort"),
    ], id="team-under-jobcenter"),
    pytest.param(TWO_JOBCENTERS | units(U0, U1, U11, "v0,03505,,Jobcenter Nord,jobcenter",
                                        "v1,03505,u0,Geschäftsstelle Nord,standort"), [
        at(6, "parent_unit_id", "u0", "die übergeordnete Einheit gehört zum Jobcenter '03504', "
                                      "diese Einheit zum Jobcenter '03505'"),
    ], id="parent-in-another-jobcenter"),
    pytest.param(TWO_JOBCENTERS | units(U0, U1, U11, "v0,03505,,Jobcenter Nord,jobcenter",
                                        "v1,03505,v0,Geschäftsstelle Nord,standort",
                                        "v11,03505,v1,Team Nord,team"), [],
                 id="two-jobcenters-each-with-its-tree"),
]


@pytest.mark.parametrize("changes,expected", CASES)
def test_the_org_tree(extract, changes, expected):
    assert errors_of(extract(changes)) == expected


def test_a_long_cycle_is_shown_cut(extract):
    """Eight Standorte each under the next, the last under the first: one cycle error, on the
    first line of the cycle, showing six units, "…" with the count, and the first again."""
    ring = [f"s{i},03504,s{i % 8 + 1},Standort {i},standort" for i in range(1, 9)]
    found = errors_of(extract(units(U0, *ring)))
    assert found[0] == at(3, "parent_unit_id", "s2",
                          "Kreis im Organisationsbaum (Einheit → übergeordnete Einheit): "
                          "s1 → s2 → s3 → s4 → s5 → s6 → … (8 Einheiten) → s1")
    assert len([e for e in found if "Kreis" in e]) == 1
    assert len(found) == 1 + 8  # and each Standort's parent is a Standort


def test_the_tree_is_not_checked_while_its_columns_have_bad_values(extract):
    """A repeated unit id is the root cause; the tree rules would only add noise."""
    found = errors_of(extract(units(U0, U1, U11, "u1,03504,u11,Doppelt,standort")))
    assert found == [at(5, "unit_id", "u1", "doppelte Kennung (unit_id='u1'), schon in Zeile 3")]


# -- across imports --------------------------------------------------------------------------

@pytest.fixture
def store(extract, tmp_path):
    """A store file holding the base extract."""
    store = Store.open(tmp_path / "s.duckdb")
    store.import_extract(extract())
    yield store
    store.close()


def later(extract, *lines: str):
    """A later extract: the base tables with only these units."""
    return extract(units(*lines))


def refused(store, path) -> list[str]:
    counts = store.row_counts()
    with pytest.raises(ExtractInvalid) as caught:
        store.import_extract(path)
    assert store.row_counts() == counts
    return [str(e) for e in caught.value.errors]


def test_a_later_extract_may_add_a_team_under_a_stored_standort(store, extract):
    store.import_extract(later(extract, "u12,03504,u1,Team Neu,team"))
    assert store.row_counts()["units"] == 4


def test_a_later_team_under_the_stored_jobcenter_unit_is_refused(store, extract):
    assert refused(store, later(extract, "u12,03504,u0,Team Neu,team")) == [
        at(2, "parent_unit_id", "u0", "die übergeordnete Einheit hat die Ebene jobcenter; über "
                                      "der Ebene team steht die Ebene standort")]


def test_a_later_unit_closing_a_cycle_with_stored_units_is_refused(store, extract):
    """u0 delivered again under the stored u11 (which is under the stored u1, under u0)."""
    assert refused(store, later(extract, "u0,03504,u11,Jobcenter Elbe-Elster,jobcenter")) == [
        at(2, "parent_unit_id", "u11", "Kreis im Organisationsbaum (Einheit → übergeordnete "
                                       "Einheit): u0 → u11 → u1 → u0"),
        at(2, "parent_unit_id", "u11", "eine Einheit der Ebene jobcenter darf keine "
                                       "übergeordnete Einheit haben"),
    ]


def test_a_later_second_jobcenter_unit_is_refused(store, extract):
    assert refused(store, later(extract, "u9,03504,,Noch ein Jobcenter,jobcenter")) == [
        at(2, "level", "jobcenter", "zweite Einheit der Ebene jobcenter im Jobcenter '03504' "
                                    "(die erste ist 'u0')")]


def test_a_later_extract_may_move_a_team_to_another_standort(store, extract):
    """The extract's version of u11 replaces the stored one in the check (as in the views)."""
    store.import_extract(later(extract, "u2,03504,u0,Geschäftsstelle Doberlug,standort",
                               "u11,03504,u2,Team Markt,team"))
    assert store.row_counts()["units"] == 5


# -- a cycle already in a store -------------------------------------------------------------

def returns_soon(call, *args):
    """The result of ``call(*args)``; fails (instead of hanging) when it runs for a minute."""
    result = []
    worker = threading.Thread(target=lambda: result.append(call(*args)), daemon=True)
    worker.start()
    worker.join(60)
    assert result, f"{call.__name__} did not return"
    return result[0]


def test_walks_of_a_stored_tree_with_a_cycle_end(extract, tmp_path):
    """Written directly, as an older amip would have imported it: u0 under u11."""
    store = Store.open(tmp_path / "s.duckdb")
    store.import_extract(extract())
    store.con.execute("UPDATE units SET parent_unit_id = 'u11' WHERE unit_id = 'u0'")
    store.keep_current()  # the current rows an import keeps, of the table as changed
    assert returns_soon(unit_scope, store.view(), "u1") == ("03504", {"u0", "u1", "u11"})
    tree = {u["unit_id"]: u for u in store.view().table("units").to_pyarrow().to_pylist()}
    chain = returns_soon(_unit_chain, tree, "u11")
    assert [u["unit_id"] for u in chain] == ["u0", "u1", "u11"]
    store.close()


def test_base_units_match_this_file():
    assert all(u in BASE_EXTRACT["units"] for u in (U0, U1, U11))
