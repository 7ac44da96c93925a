"""Importing targets.csv (data contract "Targets"; domain reference §11 item 31, §12.1 item 44):
the happy path in both CSV dialects, a no-op re-import, and every refusal — German, naming the
line and the value, and changing nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from amip.errors import DataError
from amip.steering import Steering
from tests.steering.conftest import JOBCENTERS, UNITS, write

EXAMPLE = Path(__file__).parents[2] / "examples" / "targets.csv"

GERMAN = """\
    jobcenter_id;unit_id;year;measure;sex;value;status;source;note
    03504;;2020;K2;all;23,4;vereinbart;Programm 2020;
    03504;;2020;integrations;all;1.141;vereinbart;Programm 2020;
    03504;;2020;K3;all;−10,8;vereinbart;;
    03504;t1;2020;integrations;all;80;in_abstimmung;;Teamziel
    03504;;2020;stellenbesetzungen_kmu;all;;in_abstimmung;;Zielwert derzeit in Abstimmung
    """


def imp(st: Steering, path, reason=None):
    return st.import_targets(path, "tester", reason, UNITS, JOBCENTERS)


def test_german_csv(st, tmp_path):
    s = imp(st, write(tmp_path, GERMAN))
    assert (s.new, s.changed, s.unchanged) == (5, 0, 0)
    got = {(r.unit_id, r.measure): r for r in st.targets(2020)}
    assert got[(None, "K2")].value == Decimal("23.4")
    assert got[(None, "integrations")].value == Decimal("1141")   # "1.141": thousands point
    assert got[(None, "K3")].value == Decimal("-10.8")             # typographic minus
    assert got[("t1", "integrations")].status == "in_abstimmung"
    assert got[(None, "stellenbesetzungen_kmu")].value is None
    assert all(r.version == 1 and r.recorded_by == "tester" for r in got.values())


def test_plain_csv_is_the_same(st, tmp_path):
    plain = write(tmp_path, """\
        jobcenter_id,unit_id,year,measure,sex,value,status,source,note
        03504,,2020,K2,all,23.4,vereinbart,,
        03504,,2020,integrations,all,1141,vereinbart,,
        """)
    imp(st, plain)
    assert [(r.measure, r.value) for r in st.targets(2020)] == \
        [("K2", Decimal("23.4")), ("integrations", Decimal("1141"))]


def test_reimport_is_a_noop(st, tmp_path):
    path = write(tmp_path, GERMAN)
    imp(st, path)
    s = imp(st, path)
    assert (s.new, s.changed, s.unchanged) == (0, 0, 5)
    assert len(st.target_history()) == 5


def test_the_shipped_example_imports(tmp_path):
    """examples/targets.csv, on the synthetic Jobcenter's org (its id is 03504)."""
    with Steering.open(tmp_path / "amip.duckdb") as st:
        s = imp(st, EXAMPLE)
        assert s.new == 12
        got = {(r.measure, r.sex): r for r in st.targets(2020)}
        assert got[("K2", "all")].value == Decimal("23.4")
        assert got[("integrations", "all")].value == Decimal("1141")
        assert got[("K3", "all")].value == Decimal("-10.8")
        assert got[("kdu_ausgaben", "all")].value == Decimal("16600000")
        assert got[("fehlerquote_kdu", "all")].status == "vereinbart"
        assert got[("leistungen_16a", "all")].value is None


def _refused(st, tmp_path, body: str, *expected: str, reason=None):
    before = st.target_history()
    path = write(tmp_path, "jobcenter_id;unit_id;year;measure;sex;value;status;source;note\n"
                 + body, "bad.csv")
    with pytest.raises(DataError) as e:
        imp(st, path, reason)
    for text in expected:
        assert text in str(e.value)
    assert str(e.value).startswith("Nichts geändert")
    assert st.target_history() == before   # all or nothing
    return str(e.value)


@pytest.mark.parametrize("body, expected", [
    ("03504;;2020;K9;all;1;vereinbart;;\n", ("Zeile 2", "Messgröße 'K9' unbekannt")),
    ("03504;nope;2020;K2;all;1;vereinbart;;\n", ("Zeile 2", "Einheit 'nope' unbekannt")),
    ("07777;;2020;K2;all;1;vereinbart;;\n", ("Zeile 2", "Jobcenter '07777' unbekannt")),
    ("03504;xt;2020;K2;all;1;vereinbart;;\n",
     ("Zeile 2", "Einheit 'xt' gehört zu Jobcenter 09999, nicht zu 03504")),
    ("03504;;2020;K2;all;viel;vereinbart;;\n", ("Zeile 2", "'viel' ist keine Zahl")),
    ("03504;;2020;K2;all;23.4;vereinbart;;\n", ("Zeile 2", "'23.4' ist keine Zahl")),
    ("03504;;2020;K2;all;;vereinbart;;\n", ("Zeile 2", "Zielwert leer bei Status vereinbart")),
    ("03504;;2020;K2;x;1;vereinbart;;\n", ("Zeile 2", "Geschlecht 'x' ungültig")),
    ("03504;;2020;K2;all;1;beschlossen;;\n", ("Zeile 2", "Status 'beschlossen' ungültig")),
    ("03504;;20x0;K2;all;1;vereinbart;;\n", ("Zeile 2", "Jahr '20x0' ungültig")),
    ("03504;;2020;K2;all;1;vereinbart;;\n03504;;2020;K2;all;2;vereinbart;;\n",
     ("Zeile 3", "doppeltes Ziel", "Zeile 2")),
])
def test_refusals(st, tmp_path, body, expected):
    _refused(st, tmp_path, body, *expected)


def test_one_bad_line_changes_nothing_of_the_good_ones(st, tmp_path):
    _refused(st, tmp_path,
             "03504;;2020;K2;all;23,4;vereinbart;;\n03504;;2020;K9;all;1;vereinbart;;\n",
             "Zeile 3")
    assert st.targets() == []


def test_every_error_is_listed(st, tmp_path):
    msg = _refused(st, tmp_path,
                   "03504;;2020;K9;all;1;vereinbart;;\n03504;;2020;K2;q;1;vereinbart;;\n")
    assert "2 Fehler" in msg and "Zeile 2" in msg and "Zeile 3" in msg


def test_wrong_header(st, tmp_path):
    path = write(tmp_path, "jobcenter;year;measure;value;status\n03504;2020;K2;1;vereinbart\n")
    with pytest.raises(DataError, match=r"Zeile 1 .*fehlen: jobcenter_id.*unbekannte Spalte"
                                        r"\(n\): jobcenter"):
        imp(st, path)


def test_changing_an_agreed_target_needs_a_reason(st, tmp_path):
    imp(st, write(tmp_path, GERMAN))
    changed = GERMAN.replace("23,4", "24,0")
    msg = _refused(st, tmp_path, changed.split("\n", 1)[1].replace("    ", ""),
                   "ist vereinbart (23,4)", "Begründung")
    assert "Zeile 2" in msg
    s = imp(st, write(tmp_path, changed), reason="Nachverhandlung mit der Regionaldirektion")
    assert (s.new, s.changed, s.unchanged) == (0, 1, 4)
    k2 = [r for r in st.target_history(measure="K2")]
    assert [(r.version, r.value, r.operation) for r in k2] == \
        [(1, Decimal("23.4"), "create"), (2, Decimal("24.0"), "change")]
    assert k2[1].reason == "Nachverhandlung mit der Regionaldirektion"


def test_a_target_in_abstimmung_changes_without_reason(st, tmp_path):
    imp(st, write(tmp_path, GERMAN))
    s = imp(st, write(tmp_path, GERMAN.replace(";;2020;stellenbesetzungen_kmu;all;;",
                                               ";;2020;stellenbesetzungen_kmu;all;120;")))
    assert s.changed == 1
