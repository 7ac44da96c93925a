"""Amounts, dates, months and years within their declared limits (amip/extract/schema.py).

Validation is run "on" 30.06.2020 (``today``), so that events after that day are in the future.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from amip.extract.errors import ExtractInvalid
from amip.extract.reader import read_extract
from amip.extract.validate import validate
from amip.store import Store
from tests.conftest import edit

TODAY = dt.date(2020, 6, 30)
BM = "p1,2019-01,424.00,310.50,2019-02-01"
ELB = "p1,b1,03504,elb,head,2019-01-01,,2019-01-03"
P2 = "p2,w,1990-05-05,eu,none"
CHECK = "c1,p1,kdu,2019-03-01,1,20"
TOO_LARGE = "Betrag zu groß (höchstens 16 Stellen vor dem Dezimalpunkt)"
EVENT = "außerhalb des zulässigen Bereichs (01.01.1950 bis heute, 30.06.2020)"
BIRTH = "außerhalb des zulässigen Bereichs (01.01.1900 bis heute, 30.06.2020)"
SPAN = "außerhalb des zulässigen Bereichs (01.01.1950 bis 31.12.2100)"
MONTHS = "außerhalb des zulässigen Bereichs (Januar 1950 bis Dezember 2100)"
YEARS = "außerhalb des zulässigen Bereichs (2000 bis 2100)"
PLAN = "jobcenter_id,year,title,instrument,amount_eur\n03504,{},egl,,1000.00\n"
BOOKING = ("booking_id,jobcenter_id,booked_on,title,instrument,kind,amount_eur,budget_year\n"
           "k1,03504,{},egl,vb,payment,10.00,{}\n")


def errors_of(path) -> list[str]:
    return [str(e) for e in validate(read_extract(path), today=TODAY)]


CASES = [
    # amounts: DECIMAL(18,2) holds less than 10^16 euros
    (edit("benefit_months", BM, "p1,2019-01,9999999999999999.99,310.50,2019-02-01"), None),
    (edit("benefit_months", BM, "p1,2019-01,00000000000000000001.50,310.50,2019-02-01"), None),
    (edit("benefit_months", BM, "p1,2019-01,10000000000000000.00,310.50,2019-02-01"),
     f"benefit_months.csv, Zeile 2, Spalte llu_eur, Wert '10000000000000000.00': {TOO_LARGE}"),
    (edit("benefit_months", BM, "p1,2019-01,424.00,10000000000000000,2019-02-01"),
     f"benefit_months.csv, Zeile 2, Spalte luh_eur, Wert '10000000000000000': {TOO_LARGE}"),
    # events: not after the day of validation
    (edit("elb_spells", ELB, "p1,b1,03504,elb,head,2019-01-01,,2020-06-30"), None),
    (edit("elb_spells", ELB, "p1,b1,03504,elb,head,2019-01-01,,2020-07-01"),
     f"elb_spells.csv, Zeile 2, Spalte recorded_on, Wert '2020-07-01': {EVENT}"),
    (edit("elb_spells", ELB, "p1,b1,03504,elb,head,2019-01-01,,2999-01-03"),
     f"elb_spells.csv, Zeile 2, Spalte recorded_on, Wert '2999-01-03': {EVENT}"),
    (edit("casefile_checks", CHECK, "c1,p1,kdu,2020-07-01,1,20"),
     f"casefile_checks.csv, Zeile 2, Spalte checked_on, Wert '2020-07-01': {EVENT}"),
    (edit("casefile_checks", CHECK, "c1,p1,kdu,1949-12-31,1,20"),
     f"casefile_checks.csv, Zeile 2, Spalte checked_on, Wert '1949-12-31': {EVENT}"),
    ({"budget_bookings": BOOKING.format("2020-07-01", 2020)},
     f"budget_bookings.csv, Zeile 2, Spalte booked_on, Wert '2020-07-01': {EVENT}"),
    ({"contacts": "person_id,caseworker_id,contact_on,kind\np1,cw1,2020-07-01,beratung\n"},
     f"contacts.csv, Zeile 2, Spalte contact_on, Wert '2020-07-01': {EVENT}"),
    ({"prognoses": "person_id,assessed_on,prognosis\np1,2020-07-01,marktnah\n"},
     f"prognoses.csv, Zeile 2, Spalte assessed_on, Wert '2020-07-01': {EVENT}"),
    # birth dates: from 1900 to the day of validation (year 0 is a valid ISO text, 1 BC)
    (edit("persons", P2, "p2,w,1900-01-01,eu,none"), None),
    (edit("persons", P2, "p2,w,1899-12-31,eu,none"),
     f"persons.csv, Zeile 3, Spalte birth_date, Wert '1899-12-31': {BIRTH}"),
    (edit("persons", P2, "p2,w,0000-05-05,eu,none"),
     f"persons.csv, Zeile 3, Spalte birth_date, Wert '0000-05-05': {BIRTH}"),
    (edit("persons", P2, "p2,w,2090-05-05,eu,none"),
     f"persons.csv, Zeile 3, Spalte birth_date, Wert '2090-05-05': {BIRTH}"),
    # other dates: 1950 to 2100, also in the future (a planned end)
    (edit("elb_spells", ELB, "p1,b1,03504,elb,head,2019-01-01,2100-12-31,2019-01-03"), None),
    (edit("elb_spells", ELB, "p1,b1,03504,elb,head,2019-01-01,2101-01-01,2019-01-03"),
     f"elb_spells.csv, Zeile 2, Spalte valid_to, Wert '2101-01-01': {SPAN}"),
    (edit("elb_spells", ELB, "p1,b1,03504,elb,head,1949-12-31,,2019-01-03"),
     f"elb_spells.csv, Zeile 2, Spalte valid_from, Wert '1949-12-31': {SPAN}"),
    # months and years
    (edit("benefit_months", BM, "p1,2100-12,424.00,310.50,2019-02-01"), None),
    (edit("benefit_months", BM, "p1,1949-12,424.00,310.50,2019-02-01"),
     f"benefit_months.csv, Zeile 2, Spalte month, Wert '1949-12': {MONTHS}"),
    (edit("benefit_months", BM, "p1,2101-01,424.00,310.50,2019-02-01"),
     f"benefit_months.csv, Zeile 2, Spalte month, Wert '2101-01': {MONTHS}"),
    ({"budget_plan": PLAN.format(2000)}, None),
    ({"budget_plan": PLAN.format(1999)},
     f"budget_plan.csv, Zeile 2, Spalte year, Wert '1999': {YEARS}"),
    ({"budget_bookings": BOOKING.format("2020-06-30", 2101)},
     f"budget_bookings.csv, Zeile 2, Spalte budget_year, Wert '2101': {YEARS}"),
]


@pytest.mark.parametrize("changes,expected", CASES)
def test_limits(extract, changes, expected):
    assert errors_of(extract(changes)) == ([expected] if expected else [])


def test_the_largest_amount_imports_exactly(extract):
    store = Store.memory()
    store.import_extract(extract(edit("benefit_months", BM,
                                      "p1,2019-01,9999999999999999.99,310.50,2019-02-01")))
    assert store.con.sql("SELECT max(llu_eur) FROM benefit_months").fetchall() == \
        [(Decimal("9999999999999999.99"),)]


def test_an_import_checks_against_the_current_day(extract):
    """Without ``today`` (an import), a row recorded in 2999 is refused and nothing imported."""
    store = Store.memory()
    with pytest.raises(ExtractInvalid) as caught:
        store.import_extract(extract(edit("elb_spells", ELB,
                                          "p1,b1,03504,elb,head,2019-01-01,,2999-01-03")))
    assert [(e.file, e.line, e.column) for e in caught.value.errors] == \
        [("elb_spells.csv", 2, "recorded_on")]
    assert store.imports() == []
