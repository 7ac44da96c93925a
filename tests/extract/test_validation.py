"""Every kind of bad input gives a clear error naming file, line, column and value.

Each case changes one line of the small valid extract in tests/conftest.py and states the exact
error text expected. Line numbers count the header as line 1.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amip.extract.errors import ExtractError, ExtractInvalid
from amip.extract.reader import read_extract
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
        "persons.csv, line 3, column sex, value 'x': unknown code (allowed: m, w, d)",
        id="unknown-code"),
    pytest.param(
        edit("persons", "p2,w,1990-05-05,eu,none", "p2,W,1990-05-05,eu,none"),
        "persons.csv, line 3, column sex, value 'W': unknown code (allowed: m, w, d)",
        id="codes-are-lower-case"),
    pytest.param(
        edit("elb_spells", "p1,b1,03504,elb,head,2019-01-01,,2019-01-03",
             "p1,b1,03504,elb,head,2019-02-30,,2019-01-03"),
        "elb_spells.csv, line 2, column valid_from, value '2019-02-30': "
        "not a valid date (expected YYYY-MM-DD)",
        id="impossible-date"),
    pytest.param(
        edit("persons", "p1,m,1980-01-01,de,vocational", "p1,m,01.01.1980,de,vocational"),
        "persons.csv, line 2, column birth_date, value '01.01.1980': "
        "not a valid date (expected YYYY-MM-DD)",
        id="german-date-format"),
    pytest.param(
        edit("elb_spells", "p2,b2,03504,elb,head,2019-02-01,2019-12-31,2019-02-03",
             "p2,b2,03504,elb,head,2019-02-01,2019-01-31,2019-02-03"),
        "elb_spells.csv, line 3, column valid_to, value '2019-01-31': "
        "valid_to 2019-01-31 is before valid_from 2019-02-01",
        id="valid-to-before-valid-from"),
    pytest.param(
        {"elb_spells": BASE_EXTRACT["elb_spells"].rstrip() +
         "\n        p1,b1,03504,elb,head,2019-01-01,2019-05-31,2019-01-03\n"},
        "elb_spells.csv, line 5, column person_id, value 'p1': duplicate key (person_id='p1', "
        "bg_id='b1', jobcenter_id='03504', status='elb', bg_role='head', valid_from='2019-01-01', "
        "recorded_on='2019-01-03') also on line 2",
        id="duplicate-key"),
    pytest.param(
        edit("persons", "p2,w,1990-05-05,eu,none", "p1,w,1990-05-05,eu,none"),
        "persons.csv, line 3, column person_id, value 'p1': repeated id (person_id='p1') "
        "also on line 2",
        id="repeated-person-id"),
    pytest.param(
        edit("elb_spells", "p3,b2,03504,elb,child,2019-02-01,,2019-02-03",
             "p9,b2,03504,elb,child,2019-02-01,,2019-02-03"),
        "elb_spells.csv, line 4, column person_id, value 'p9': unknown person_id (not in persons)",
        id="spell-for-unknown-person"),
    pytest.param(
        edit("bg_spells", "b1,03504,single,2019-01-01,,2019-01-03",
             "b1,09999,single,2019-01-01,,2019-01-03"),
        "bg_spells.csv, line 2, column jobcenter_id, value '09999': "
        "unknown jobcenter_id (not in jobcenters)",
        id="unknown-jobcenter"),
    pytest.param(
        edit("elb_spells", "p1,b1,03504,elb,head,2019-01-01,,2019-01-03",
             "p1,b7,03504,elb,head,2019-01-01,,2019-01-03"),
        "elb_spells.csv, line 2, column bg_id, value 'b7': unknown bg_id (not in bg_spells)",
        id="unknown-bg"),
    pytest.param(
        edit("benefit_months", "p1,2019-01,424.00,310.50,2019-02-01",
             "p1,2019-01,-424.00,310.50,2019-02-01"),
        "benefit_months.csv, line 2, column llu_eur, value '-424.00': negative amount",
        id="negative-amount"),
    pytest.param(
        edit("benefit_months", "p1,2019-01,424.00,310.50,2019-02-01",
             "p1,2019-01,424.005,310.50,2019-02-01"),
        "benefit_months.csv, line 2, column llu_eur, value '424.005': "
        "not an amount in euros with at most two decimals (e.g. 1234.50)",
        id="amount-three-decimals"),
    pytest.param(
        edit("benefit_months", "p1,2019-01,424.00,310.50,2019-02-01",
             "p1,2019-01,424.00,\"310,50\",2019-02-01"),
        "benefit_months.csv, line 2, column luh_eur, value '310,50': "
        "not an amount in euros with at most two decimals (e.g. 1234.50)",
        id="amount-with-decimal-comma"),
    pytest.param(
        edit("benefit_months", "p1,2019-01,424.00,310.50,2019-02-01",
             "p1,2019-13,424.00,310.50,2019-02-01"),
        "benefit_months.csv, line 2, column month, value '2019-13': "
        "not a valid month (expected YYYY-MM)",
        id="bad-month"),
    pytest.param(
        edit("elb_spells", "p1,b1,03504,elb,head,2019-01-01,,2019-01-03",
             "p1,b1,03504,elb,head,2019-01-01,,"),
        "elb_spells.csv, line 2, column recorded_on: missing value",
        id="missing-value"),
    pytest.param(
        edit("casefile_checks", "c1,p1,kdu,2019-03-01,1,20", "c1,p1,kdu,2019-03-01,21,20"),
        "casefile_checks.csv, line 2, column errors, value '21': "
        "more errors (21) than items checked (20)",
        id="more-errors-than-items"),
    pytest.param(
        edit("casefile_checks", "c1,p1,kdu,2019-03-01,1,20", "c1,p1,kdu,2019-03-01,1,zwanzig"),
        "casefile_checks.csv, line 2, column items, value 'zwanzig': not a whole number",
        id="not-a-number"),
    pytest.param(
        edit("casefile_checks", "c1,p1,kdu,2019-03-01,1,20", "c1,p1,kdu,2019-03-01,-1,20"),
        "casefile_checks.csv, line 2, column errors, value '-1': negative number",
        id="negative-number"),
    pytest.param(
        {"persons": "person_id,sex,citizenship,education\np1,m,de,vocational\n"},
        "persons.csv, line 1, column birth_date: missing column",
        id="missing-column"),
    pytest.param(
        {"persons": None},
        "persons.csv: required table persons is missing (give persons.csv or persons.parquet)",
        id="missing-required-table"),
    pytest.param(
        edit("persons", "p2,w,1990-05-05,eu,none", "p2,w,1990-05-05,eu"),
        "persons.csv, line 3: has 4 fields, the header has 5",
        id="wrong-field-count"),
    pytest.param(
        edit("units", "u11,03504,u1,Team Markt,team", "u11,03504,u9,Team Markt,team"),
        "units.csv, line 4, column parent_unit_id, value 'u9': unknown unit_id (not in units)",
        id="unknown-parent-unit"),
]


@pytest.mark.parametrize("changes,expected", CASES)
def test_bad_input_is_named_exactly(extract, changes, expected):
    assert expected in errors_of(extract(changes))


def test_not_utf8_names_the_line(extract):
    path = extract()
    data = (path / "persons.csv").read_bytes().replace("p2,w".encode(), b"p2\xff,w")
    (path / "persons.csv").write_bytes(data)
    assert errors_of(path) == ["persons.csv, line 3: not valid UTF-8 (byte 0xff at position 3)"]


def test_all_errors_of_all_files_at_once(extract):
    """Three problems in persons.csv and one in elb_spells.csv come back together."""
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
        "elb_spells.csv, line 4, column valid_to, value '2019-01-01': "
        "valid_to 2019-01-01 is before valid_from 2019-02-01",
        "persons.csv, line 2, column sex, value 'x': unknown code (allowed: m, w, d)",
        "persons.csv, line 3, column birth_date, value '1990-02-30': "
        "not a valid date (expected YYYY-MM-DD)",
        "persons.csv, line 4, column citizenship, value 'mars': "
        "unknown code (allowed: de, eu, non_eu)",
    ]


def test_many_bad_rows_are_listed_up_to_a_limit_and_counted(extract):
    rows = "\n".join(f"p{i},q,1980-01-01,de,none" for i in range(1, MAX_LISTED + 11))
    found = errors_of(extract({"persons": "person_id,sex,birth_date,citizenship,education\n" + rows,
                               "elb_spells": None, "benefit_months": None, "casefile_checks": None}))
    sex_errors = [e for e in found if "column sex" in e]
    assert len(sex_errors) == MAX_LISTED + 1
    assert sex_errors[-1] == ("persons.csv, column sex: 10 more rows with the same problem "
                              "(unknown code (allowed: m, w, d))")


def test_table_given_as_csv_and_parquet_is_rejected(extract):
    path = extract()
    pq.write_table(pa.table({"person_id": ["p1"]}), path / "persons.parquet")
    assert ("persons.csv and persons.parquet: table persons is given twice; keep one file per table"
            in errors_of(path))


def test_parquet_errors_name_the_row(extract):
    path = extract({"casefile_checks": None})
    (path / "persons.csv").unlink()
    pq.write_table(pa.table({
        "person_id": ["p1", "p2", "p3"], "sex": ["m", "w", "d"],
        "birth_date": pa.array([None, None, None], pa.date32()),
        "citizenship": ["de", "eu", "xx"], "education": ["none"] * 3,
    }), path / "persons.parquet")
    found = errors_of(path)
    assert "persons.parquet, line 1, column birth_date: missing value" in found
    assert ("persons.parquet, line 3, column citizenship, value 'xx': "
            "unknown code (allowed: de, eu, non_eu)") in found


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
    assert "persons.csv, line 3, column education, value 'nix'" in str(caught.value)
    assert "nothing was imported" in str(caught.value)
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
        "a row with the same key and recorded_on but other values is already in the store "
        "(import #1); a correction needs a later recorded_on")]


def test_unknown_files_and_columns_are_warnings(extract, tmp_path):
    path = extract(edit("persons", "person_id,sex,birth_date,citizenship,education",
                        "person_id,sex,birth_date,citizenship,education,shoe_size")
                   | {"persons": "person_id,sex,birth_date,citizenship,education,shoe_size\n"
                                 "p1,m,1980-01-01,de,vocational,44\np2,w,1990-05-05,eu,none,38\n"
                                 "p3,d,2001-07-31,non_eu,unknown,40\n"})
    (path / "notes.txt").write_text("hello")
    result = Store.memory().import_extract(path)
    assert result.warnings == [
        "file notes.txt is not part of the extract format and was ignored",
        "persons.csv: column shoe_size is not part of the format and was ignored",
    ]
