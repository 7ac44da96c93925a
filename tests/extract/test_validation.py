"""Every kind of bad input gives a clear German error naming file, line, column and value.

Each case changes one line of the small valid extract in tests/conftest.py and states the exact
error text expected. Line numbers count the header as line 1. The value limits, the org tree and
the cutting of long values have their own files (test_values_*.py, test_org_tree.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amip.extract.errors import ExtractError, ExtractInvalid
from amip.extract.reader import read_extract
from amip.extract.schema import TABLES
from amip.extract.validate import MAX_LISTED, validate
from amip.store import Store
from tests.conftest import BASE_EXTRACT, edit


def errors_of(path) -> list[str]:
    return [str(e) for e in validate(read_extract(path))]


def test_base_extract_is_valid(extract):
    assert errors_of(extract()) == []


CASES = [
    pytest.param(
        edit("persons", "p2,w,1990-05-05,eu,none", "p2,x,1990-05-05,eu,none"),
        "persons.csv, Zeile 3, Spalte sex, Wert 'x': unbekannter Code (erlaubt: m, w, d)",
        id="unknown-code"),
    pytest.param(
        edit("persons", "p2,w,1990-05-05,eu,none", "p2,W,1990-05-05,eu,none"),
        "persons.csv, Zeile 3, Spalte sex, Wert 'W': unbekannter Code (erlaubt: m, w, d)",
        id="codes-are-lower-case"),
    pytest.param(
        edit("elb_spells", "p1,b1,03504,elb,head,2019-01-01,,2019-01-03",
             "p1,b1,03504,elb,head,2019-02-30,,2019-01-03"),
        "elb_spells.csv, Zeile 2, Spalte valid_from, Wert '2019-02-30': "
        "kein gültiges Datum (erwartet JJJJ-MM-TT)",
        id="impossible-date"),
    pytest.param(
        edit("persons", "p1,m,1980-01-01,de,vocational", "p1,m,01.01.1980,de,vocational"),
        "persons.csv, Zeile 2, Spalte birth_date, Wert '01.01.1980': "
        "kein gültiges Datum (erwartet JJJJ-MM-TT)",
        id="german-date-format"),
    pytest.param(
        edit("elb_spells", "p2,b2,03504,elb,head,2019-02-01,2019-12-31,2019-02-03",
             "p2,b2,03504,elb,head,2019-02-01,2019-01-31,2019-02-03"),
        "elb_spells.csv, Zeile 3, Spalte valid_to, Wert '2019-01-31': "
        "valid_to 2019-01-31 liegt vor valid_from 2019-02-01",
        id="valid-to-before-valid-from"),
    pytest.param(
        {"elb_spells": BASE_EXTRACT["elb_spells"].rstrip() +
         "\n        p1,b1,03504,elb,head,2019-01-01,2019-05-31,2019-01-03\n"},
        "elb_spells.csv, Zeile 5, Spalte person_id, Wert 'p1': doppelter Schlüssel "
        "(person_id='p1', bg_id='b1', jobcenter_id='03504', status='elb', bg_role='head', "
        "valid_from='2019-01-01', recorded_on='2019-01-03'), schon in Zeile 2",
        id="duplicate-key"),
    pytest.param(
        edit("persons", "p2,w,1990-05-05,eu,none", "p1,w,1990-05-05,eu,none"),
        "persons.csv, Zeile 3, Spalte person_id, Wert 'p1': doppelte Kennung (person_id='p1'), "
        "schon in Zeile 2",
        id="repeated-person-id"),
    pytest.param(
        edit("elb_spells", "p3,b2,03504,elb,child,2019-02-01,,2019-02-03",
             "p9,b2,03504,elb,child,2019-02-01,,2019-02-03"),
        "elb_spells.csv, Zeile 4, Spalte person_id, Wert 'p9': "
        "unbekannte person_id (nicht in persons)",
        id="spell-for-unknown-person"),
    pytest.param(
        edit("bg_spells", "b1,03504,single,2019-01-01,,2019-01-03",
             "b1,09999,single,2019-01-01,,2019-01-03"),
        "bg_spells.csv, Zeile 2, Spalte jobcenter_id, Wert '09999': "
        "unbekannte jobcenter_id (nicht in jobcenters)",
        id="unknown-jobcenter"),
    pytest.param(
        edit("elb_spells", "p1,b1,03504,elb,head,2019-01-01,,2019-01-03",
             "p1,b7,03504,elb,head,2019-01-01,,2019-01-03"),
        "elb_spells.csv, Zeile 2, Spalte bg_id, Wert 'b7': unbekannte bg_id (nicht in bg_spells)",
        id="unknown-bg"),
    pytest.param(
        edit("benefit_months", "p1,2019-01,424.00,310.50,2019-02-01",
             "p1,2019-01,-424.00,310.50,2019-02-01"),
        "benefit_months.csv, Zeile 2, Spalte llu_eur, Wert '-424.00': negativer Betrag",
        id="negative-amount"),
    pytest.param(
        edit("benefit_months", "p1,2019-01,424.00,310.50,2019-02-01",
             "p1,2019-01,424.005,310.50,2019-02-01"),
        "benefit_months.csv, Zeile 2, Spalte llu_eur, Wert '424.005': kein Betrag in Euro mit "
        "Dezimalpunkt und höchstens zwei Nachkommastellen (z. B. 1234.50)",
        id="amount-three-decimals"),
    pytest.param(
        edit("benefit_months", "p1,2019-01,424.00,310.50,2019-02-01",
             "p1,2019-01,424.00,\"310,50\",2019-02-01"),
        "benefit_months.csv, Zeile 2, Spalte luh_eur, Wert '310,50': kein Betrag in Euro mit "
        "Dezimalpunkt und höchstens zwei Nachkommastellen (z. B. 1234.50)",
        id="amount-with-decimal-comma"),
    pytest.param(
        edit("benefit_months", "p1,2019-01,424.00,310.50,2019-02-01",
             "p1,2019-13,424.00,310.50,2019-02-01"),
        "benefit_months.csv, Zeile 2, Spalte month, Wert '2019-13': "
        "kein gültiger Monat (erwartet JJJJ-MM)",
        id="bad-month"),
    pytest.param(
        edit("elb_spells", "p1,b1,03504,elb,head,2019-01-01,,2019-01-03",
             "p1,b1,03504,elb,head,2019-01-01,,"),
        "elb_spells.csv, Zeile 2, Spalte recorded_on: Wert fehlt",
        id="missing-value"),
    pytest.param(
        edit("casefile_checks", "c1,p1,kdu,2019-03-01,1,20", "c1,p1,kdu,2019-03-01,21,20"),
        "casefile_checks.csv, Zeile 2, Spalte errors, Wert '21': "
        "mehr Fehler (21) als geprüfte Fälle (20)",
        id="more-errors-than-items"),
    pytest.param(
        edit("casefile_checks", "c1,p1,kdu,2019-03-01,1,20", "c1,p1,kdu,2019-03-01,1,zwanzig"),
        "casefile_checks.csv, Zeile 2, Spalte items, Wert 'zwanzig': "
        "keine ganze Zahl (höchstens 9 Stellen)",
        id="not-a-number"),
    pytest.param(
        edit("casefile_checks", "c1,p1,kdu,2019-03-01,1,20", "c1,p1,kdu,2019-03-01,-1,20"),
        "casefile_checks.csv, Zeile 2, Spalte errors, Wert '-1': negative Zahl",
        id="negative-number"),
    pytest.param(
        {"persons": "person_id,sex,citizenship,education\np1,m,de,vocational\n"},
        "persons.csv, Zeile 1, Spalte birth_date: Spalte fehlt",
        id="missing-column"),
    pytest.param(
        edit("units", "u11,03504,u1,Team Markt,team", "u11,03504,u9,Team Markt,team"),
        "units.csv, Zeile 4, Spalte parent_unit_id, Wert 'u9': unbekannte unit_id (nicht in units)",
        id="unknown-parent-unit"),
]


@pytest.mark.parametrize("changes,expected", CASES)
def test_bad_input_is_named_exactly(extract, changes, expected):
    assert expected in errors_of(extract(changes))


@pytest.mark.parametrize("changes,where", [
    pytest.param(edit("persons", "p2,w,1990-05-05,eu,none", "p2,w,1990-05-05,eu"),
                 "persons.csv, Zeile 3: ", id="wrong-field-count"),
    pytest.param({"persons": None}, "persons.csv: ", id="missing-required-table"),
])
def test_problems_of_the_file_name_file_and_line(extract, changes, where):
    """The reader's own messages (amip/extract/reader.py) are checked there; here only that
    validation passes them on, placed, before anything else of that file."""
    found = errors_of(extract(changes))
    assert [e for e in found if e.startswith(where)], found


def test_all_errors_of_all_files_at_once(extract):
    """Three problems in persons.csv and one in elb_spells.csv come back together, persons first
    (it is referred to by elb_spells)."""
    changes = {
        "persons": """
            person_id,sex,birth_date,citizenship,education
            p1,x,1980-01-01,de,vocational
            p2,w,1990-02-30,eu,none
            p3,d,2001-07-31,mars,unknown
        """,
        **edit("elb_spells", "p3,b2,03504,elb,child,2019-02-01,,2019-02-03",
               "p3,b2,03504,elb,child,2019-02-01,2019-01-01,2019-02-03"),
    }
    found = errors_of(extract(changes))
    assert found == [
        "persons.csv, Zeile 2, Spalte sex, Wert 'x': unbekannter Code (erlaubt: m, w, d)",
        "persons.csv, Zeile 3, Spalte birth_date, Wert '1990-02-30': "
        "kein gültiges Datum (erwartet JJJJ-MM-TT)",
        "persons.csv, Zeile 4, Spalte citizenship, Wert 'mars': "
        "unbekannter Code (erlaubt: de, eu, non_eu)",
        "elb_spells.csv, Zeile 4, Spalte valid_to, Wert '2019-01-01': "
        "valid_to 2019-01-01 liegt vor valid_from 2019-02-01",
    ]


def test_many_bad_rows_are_listed_up_to_a_limit_and_counted(extract):
    rows = "\n".join(f"p{i},q,1980-01-01,de,none" for i in range(1, MAX_LISTED + 11))
    found = errors_of(extract({"persons": "person_id,sex,birth_date,citizenship,education\n" + rows,
                               "elb_spells": None, "benefit_months": None, "casefile_checks": None}))
    sex_errors = [e for e in found if "Spalte sex" in e]
    assert len(sex_errors) == MAX_LISTED + 1
    assert sex_errors[-1] == ("persons.csv, Spalte sex: 10 weitere Zeilen mit demselben Problem "
                              "(unbekannter Code (erlaubt: m, w, d))")


def test_root_cause_first_and_its_follow_ons_summarised(extract):
    """A Jobcenter id with a space behind it: its error comes first, then the references to
    '03504' in the tables in dependency order, each saying that the referenced value is itself
    faulty; of bg_spells' eight follow-ons five are listed and three counted."""
    bgs = "\n".join(f"b{i},03504,single,2019-01-01,,2019-01-03" for i in range(1, 9))
    found = errors_of(extract({
        **edit("jobcenters", "03504,Jobcenter", "03504 ,Jobcenter"),
        "bg_spells": "bg_id,jobcenter_id,bg_type,valid_from,valid_to,recorded_on\n" + bgs}))
    follow_on = ("unbekannte jobcenter_id (nicht in jobcenters); jobcenters.csv hat selbst "
                 "fehlerhafte Werte in jobcenter_id, siehe oben")
    assert found[0] == ("jobcenters.csv, Zeile 2, Spalte jobcenter_id, Wert '03504 ': "
                        "Leerraum am Anfang oder Ende")
    assert found[1:4] == [f"units.csv, Zeile {n}, Spalte jobcenter_id, Wert '03504': {follow_on}"
                          for n in (2, 3, 4)]
    assert found[4:10] == [
        *(f"bg_spells.csv, Zeile {n}, Spalte jobcenter_id, Wert '03504': {follow_on}"
          for n in range(2, 7)),
        f"bg_spells.csv, Spalte jobcenter_id: 3 weitere Zeilen mit demselben Problem ({follow_on})"]
    assert {e.split(",")[0] for e in found[10:]} == {"elb_spells.csv"}


def test_tables_refer_only_to_themselves_or_to_earlier_tables():
    """Validation checks the tables in this order and sorts errors by it (root causes first)."""
    order = list(TABLES)
    for table in TABLES.values():
        for col in table.columns:
            if col.references:
                assert order.index(col.references[0]) <= order.index(table.name), col


def test_a_row_rule_without_its_column_is_skipped_and_the_column_reported(extract):
    """casefile_checks without items: the rule errors ≤ items cannot run; items is missing."""
    found = errors_of(extract({"casefile_checks": "check_id,person_id,area,checked_on,errors\n"
                                                  "c1,p1,kdu,2019-03-01,1\n"}))
    assert found == ["casefile_checks.csv, Zeile 1, Spalte items: Spalte fehlt"]


def test_a_damaged_parquet_file_is_one_error_of_the_file(extract):
    """Bytes in the middle of the data pages overwritten, the footer intact: one German error
    for the file, cut short, and no follow-on errors of the tables referring to it."""
    path = extract()
    (path / "persons.csv").unlink()
    n = 3000
    pq.write_table(pa.table({
        "person_id": [f"p{i}" for i in range(1, n + 1)], "sex": ["m"] * n,
        "birth_date": ["1980-01-01"] * n, "citizenship": ["de"] * n, "education": ["none"] * n,
    }), path / "persons.parquet", compression="none", use_dictionary=False)
    data = bytearray((path / "persons.parquet").read_bytes())
    middle = len(data) // 3
    data[middle:middle + 64] = b"\xff" * 64
    (path / "persons.parquet").write_bytes(bytes(data))
    found = errors_of(path)
    assert len(found) == 1, found
    assert found[0].startswith("persons.parquet: Datei beschädigt oder nicht lesbar: ")
    assert len(found[0]) < 250


def test_parquet_errors_name_the_row(extract):
    path = extract({"casefile_checks": None})
    (path / "persons.csv").unlink()
    pq.write_table(pa.table({
        "person_id": ["p1", "p2", "p3"], "sex": ["m", "w", "d"],
        "birth_date": pa.array([None, None, None], pa.date32()),
        "citizenship": ["de", "eu", "xx"], "education": ["none"] * 3,
    }), path / "persons.parquet")
    found = errors_of(path)
    assert "persons.parquet, Zeile 1, Spalte birth_date: Wert fehlt" in found
    assert ("persons.parquet, Zeile 3, Spalte citizenship, Wert 'xx': "
            "unbekannter Code (erlaubt: de, eu, non_eu)") in found


def test_typed_parquet_extract_is_valid(extract, tmp_path):
    """Parquet with real date and decimal types reads the same as CSV text."""
    path = extract()
    (path / "benefit_months.csv").unlink()
    pq.write_table(pa.table({
        "person_id": ["p1"], "month": ["2019-01"],
        "llu_eur": pa.array([Decimal("424.00")], pa.decimal128(18, 2)),
        "luh_eur": pa.array([Decimal("310.50")], pa.decimal128(18, 2)),
        "recorded_on": pa.array([dt.date(2019, 2, 1)], pa.date32()),
    }), path / "benefit_months.parquet")
    assert errors_of(path) == []


def test_failing_extract_imports_nothing(extract, tmp_path):
    store = Store.open(tmp_path / "s.duckdb")
    store.import_extract(extract())
    counts, log = store.row_counts(), store.imports()
    bad = extract(edit("persons", "p2,w,1990-05-05,eu,none", "p2,w,1990-05-05,eu,nix"))
    (bad / "contacts.csv").write_text("person_id,caseworker_id,contact_on,kind\n"
                                      "p1,cw1,2019-04-01,beratung\n")
    with pytest.raises(ExtractInvalid) as caught:
        store.import_extract(bad)
    assert str(caught.value).startswith(
        f"Auszug {bad} ist ungültig: 1 Fehler in persons.csv; nichts wurde importiert.\n"
        "  persons.csv, Zeile 3, Spalte education, Wert 'nix': unbekannter Code")
    assert store.row_counts() == counts and store.imports() == log


def test_the_text_of_an_invalid_extract_shows_fifty_errors_and_counts_the_rest():
    errors = [ExtractError("persons.csv", n, "sex", "x", "unbekannter Code")
              for n in range(2, 1_262)]  # 1,260 errors: 50 shown, 1,210 counted
    text = str(ExtractInvalid(errors, "auszug"))
    lines = text.splitlines()
    assert lines[0] == ("Auszug auszug ist ungültig: 1.260 Fehler in persons.csv; "
                        "nichts wurde importiert.")
    assert lines[1] == "  persons.csv, Zeile 2, Spalte sex, Wert 'x': unbekannter Code"
    assert len(lines) == 52 and lines[-1] == "  … und 1.210 weitere"


def test_values_that_look_like_sql_stay_values(extract, tmp_path):
    """Quotes, semicolons and parameter marks in values are checked and quoted like any other
    value; the store validated against is unchanged. Errors of a line follow the columns."""
    evil = "x'); DROP TABLE persons; --"
    store = Store.open(tmp_path / "s.duckdb")
    store.import_extract(extract())
    counts, log = store.row_counts(), store.imports()
    bad = extract({
        **edit("persons", "p2,w,1990-05-05,eu,none", f'p2,"{evil}","{evil}",$codes,none'),
        **edit("benefit_months", "p1,2019-01,424.00,310.50,2019-02-01",
               f'p1,2019-01,"{evil}",?,2019-02-01'),
    })
    with pytest.raises(ExtractInvalid) as caught:
        store.import_extract(bad)
    shown = repr(evil)
    assert [str(e) for e in caught.value.errors] == [
        f"persons.csv, Zeile 3, Spalte sex, Wert {shown}: unbekannter Code (erlaubt: m, w, d)",
        f"persons.csv, Zeile 3, Spalte birth_date, Wert {shown}: "
        "kein gültiges Datum (erwartet JJJJ-MM-TT)",
        "persons.csv, Zeile 3, Spalte citizenship, Wert '$codes': "
        "unbekannter Code (erlaubt: de, eu, non_eu)",
        f"benefit_months.csv, Zeile 2, Spalte llu_eur, Wert {shown}: kein Betrag in Euro mit "
        "Dezimalpunkt und höchstens zwei Nachkommastellen (z. B. 1234.50)",
        "benefit_months.csv, Zeile 2, Spalte luh_eur, Wert '?': kein Betrag in Euro mit "
        "Dezimalpunkt und höchstens zwei Nachkommastellen (z. B. 1234.50)",
    ]
    assert store.row_counts() == counts and store.imports() == log


def test_conflict_with_stored_row_is_an_error(extract, tmp_path):
    """Same key and recorded_on as a stored row but another value: cannot be told apart."""
    store = Store.open(tmp_path / "s.duckdb")
    store.import_extract(extract())
    changed = extract(edit("elb_spells", "p1,b1,03504,elb,head,2019-01-01,,2019-01-03",
                           "p1,b1,03504,elb,head,2019-01-01,2019-03-31,2019-01-03"))
    with pytest.raises(ExtractInvalid) as caught:
        store.import_extract(changed)
    assert caught.value.errors == [ExtractError(
        "elb_spells.csv", 2, "person_id", None,
        "eine Zeile mit demselben Schlüssel und recorded_on, aber anderen Werten ist schon im "
        "Datenbestand (Import Nr. 1); eine Korrektur braucht ein späteres recorded_on")]


def test_unknown_files_and_columns_are_warnings(extract, tmp_path):
    path = extract(edit("persons", "person_id,sex,birth_date,citizenship,education",
                        "person_id,sex,birth_date,citizenship,education,shoe_size")
                   | {"persons": "person_id,sex,birth_date,citizenship,education,shoe_size\n"
                                 "p1,m,1980-01-01,de,vocational,44\np2,w,1990-05-05,eu,none,38\n"
                                 "p3,d,2001-07-31,non_eu,unknown,40\n"})
    (path / "notes.txt").write_text("hello")
    result = Store.memory().import_extract(path)
    assert result.warnings == [
        "Datei 'notes.txt' gehört nicht zum Auszugsformat und wurde übergangen",
        "persons.csv: Spalte 'shoe_size' gehört nicht zum Format und wurde übergangen",
    ]
