"""The data horizon (domain reference §10.2, items 28–30): per-table Datenstand, figures that
do not exist are null with a German reason, a month without any figure is an error."""

from __future__ import annotations

import datetime as dt

import pytest

from amip.engine.calendar import parse_month
from amip.engine.horizon import NoFigures, horizon
from amip.extract.errors import ExtractInvalid
from tests.engine.builder import Ex

pytestmark = pytest.mark.duckdb_only

JUNE = parse_month("2020-06")


def by_code(records, month: str = "2020-06", sex: str = "all") -> dict:
    return {r.code: r for r in records if r.month == month and r.sex == sex}


def benefits(ex: Ex, months: list[str], llu: str = "400.00") -> Ex:
    for m in months:
        ex.benefit("p", m, llu)
    return ex


def test_declared_date_wins_over_recorded_on_and_as_of_caps_it():
    """elb_spells recorded up to 10.07.2020; extract.toml declares 30.06.2020 for all and
    31.05.2020 for benefit_months: declared wins; with --as-of 15.06.2020 that date; without a
    declaration the latest recorded_on of each table."""
    ex = Ex().elb("p", "2015-01-01").elb("q", "2020-07-01", recorded_on="2020-07-10") \
        .benefit("p", "2020-05", "400.00", recorded_on="2020-06-03") \
        .declare("data_as_of = 2020-06-30\n[data_as_of_by_table]\nbenefit_months = 2020-05-31\n")
    h = horizon(ex.view())
    assert (h.tables["elb_spells"].last, h.tables["elb_spells"].source) == \
        (dt.date(2020, 6, 30), "declared")
    assert h.tables["benefit_months"].last == dt.date(2020, 5, 31)
    h = horizon(ex.view(as_of="2020-06-15"))
    assert (h.tables["elb_spells"].last, h.tables["elb_spells"].source) == \
        (dt.date(2020, 6, 15), "as_of")
    assert h.tables["benefit_months"].last == dt.date(2020, 5, 31)  # min(declared, as-of)
    h = horizon(ex.declare(None).view())
    assert (h.tables["elb_spells"].last, h.tables["elb_spells"].source) == \
        (dt.date(2020, 7, 10), "recorded_on")
    assert h.tables["benefit_months"].last == dt.date(2020, 6, 3)
    # a spell table without rows reaches as far as the others; first = earliest recorded_on
    assert h.tables["employment_spells"].last == dt.date(2020, 7, 10)
    assert h.tables["elb_spells"].first == dt.date(2000, 1, 1)


def test_k1_of_a_month_whose_benefits_are_not_recorded_is_null_with_reason():
    """Benefits 400 € in June 2019 and 410 € in May/June 2020, declared to 31.05.2020: June's
    K1 would be (0 / 400 − 1) × 100 = −100 % if the missing month counted as 0; it is null
    with the reason. May 2020 vs May 2019 (400 €): (410 / 400 − 1) × 100 = +2.5 %."""
    ex = benefits(Ex().elb("p", "2015-01-01"), ["2019-05", "2019-06"])
    ex.benefit("p", "2020-05", "410.00").benefit("p", "2020-06", "410.00") \
        .declare("data_as_of = 2020-12-31\n[data_as_of_by_table]\nbenefit_months = 2020-05-31\n")
    june = by_code(ex.compute("2020-06"))
    reason = "Leistungsdaten für Juni 2020 noch nicht erfasst (Datenstand 31.05.2020)"
    for code in ("K1", "K1E1"):
        assert (june[code].value, june[code].numerator, june[code].reason) == (None, None, reason)
    assert june["K1E2"].value == 0.0 and june["K1E2"].reason is None  # ELB data reach June
    may = by_code(ex.compute("2020-05"), "2020-05")
    assert may["K1"].value == pytest.approx(2.5) and may["K1"].reason is None


def test_a_month_absent_from_benefit_months_is_missing_never_zero():
    """No benefit rows for March 2020 (within the Datenstand): K1 of March 2020 is null
    ("fehlen"), and so is K1 of March 2021, whose Vorjahresmonat is March 2020."""
    months = [f"{y}-{m:02d}" for y in (2019, 2020, 2021) for m in range(1, 13)
              if (y, m) != (2020, 3) and (y, m) <= (2021, 6)]
    ex = benefits(Ex().elb("p", "2015-01-01"), months)
    march = by_code(ex.compute("2020-03"), "2020-03")["K1"]
    assert march.value is None
    assert march.reason == "Leistungsdaten für März 2020 fehlen im Datenbestand (Datenstand 31.12.2030)"
    assert by_code(ex.compute("2021-03"), "2021-03")["K1"].reason == march.reason
    assert by_code(ex.compute("2020-04"), "2020-04")["K1"].value == 0.0  # 400 € vs 400 €


@pytest.mark.parametrize("declared,exists", [("2020-12-14", False), ("2020-12-15", True)])
def test_k2e3_needs_the_stichtag_six_months_later(declared, exists):
    """VO 2019: an sv integration in June 2020 is sustained if employed at ST(t+1)..ST(t+6);
    ST(t+6) = 15.12.2020. Declared 14.12.: null with the reason; 15.12.: the value 100 %."""
    ex = Ex().elb("p", "2018-01-01", "2020-06-30").job("p", "2020-06-01") \
        .declare(f"data_as_of = {declared}\n")
    k2e3 = by_code(ex.compute("2020-06"))["K2E3"]
    if exists:
        assert (k2e3.value, k2e3.reason) == (100.0, None)
    else:
        assert k2e3.value is None
        assert k2e3.reason == ("Beschäftigungsdaten reichen noch nicht bis zum Stichtag "
                               "15.12.2020 (Datenstand 14.12.2020)")


def test_k2e3_under_vo2010_needs_twelve_months():
    """VO 2010 (June 2018): continuation at ST(t+12) = 15.06.2019."""
    ex = Ex().elb("p", "2016-01-01", "2018-06-30").job("p", "2018-06-01") \
        .declare("data_as_of = 2019-06-14\n")
    k2e3 = by_code(ex.compute("2018-06"), "2018-06")["K2E3"]
    assert k2e3.rules == "vo2010" and "15.06.2019" in k2e3.reason


def test_series_starts_where_its_first_complete_window_does():
    """Data from 01.01.2019 (declared): K2 needs the ELB stocks of the 12 Vormonate, so its
    series starts in January 2020 (stocks Jan..Dec 2019; Dec 2019 window = Dec 2018..Nov 2019
    misses ST(12/2018)); K3E2 (stock in the month itself) starts in January 2019."""
    ex = Ex().elb("p", "2015-01-01").declare("data_as_of = 2020-12-31\ndata_from = 2019-01-01\n")
    records = ex.compute("2019-01", "2020-01")
    k2 = {r.month: r for r in records if r.code == "K2" and r.sex == "all"}
    assert k2["2019-12"].value is None
    assert k2["2019-12"].reason == ("ELB-Daten für den Stichtag 15.12.2018 liegen nicht vor "
                                    "(Daten ab 01.01.2019)")
    assert k2["2020-01"].reason is None and k2["2020-01"].value == 0.0
    k3e2 = {r.month: r for r in records if r.code == "K3E2" and r.sex == "all"}
    assert k3e2["2019-01"].reason is None
    h = horizon(ex.view())
    assert h.figure_range() == (parse_month("2019-01"), parse_month("2020-12"))


def test_a_month_without_any_figure_names_the_range():
    ex = Ex().elb("p", "2015-01-01").declare("data_as_of = 2020-12-31\ndata_from = 2019-01-01\n")
    h = horizon(ex.view())
    with pytest.raises(NoFigures) as e:
        h.check_months([parse_month("2030-01")])
    assert str(e.value) == ("Für Januar 2030 gibt es keine Kennzahlen: Kennzahlen gibt es für "
                            "Januar 2019 bis Dezember 2020 (Datenstand 31.12.2020).")
    assert h.check_months([parse_month("2018-12"), parse_month("2019-01")]) == \
        [parse_month("2019-01")]


def test_as_of_never_states_later_months_as_facts():
    """As of 31.03.2020 the ELB data reach ST(3/2020), not ST(6/2020): June's figures are all
    null, none a number; and June is a month without any figure."""
    ex = Ex().elb("p", "2015-01-01").job("p", "2020-02-01")
    june = by_code(ex.compute("2020-06", as_of="2020-03-31"))
    assert all(r.value is None and r.numerator is None for r in june.values())
    assert june["K2"].reason == ("ELB-Daten reichen noch nicht bis zum Stichtag 15.06.2020 "
                                 "(Datenstand 31.03.2020)")
    with pytest.raises(NoFigures):
        horizon(ex.view(as_of="2020-03-31")).check_months([JUNE])
    assert by_code(ex.compute("2020-03", as_of="2020-03-31"), "2020-03")["K2"].value is not None


def test_a_bad_extract_toml_is_named_in_german():
    ex = Ex().elb("p", "2015-01-01").declare(
        "data_as_of = \"31.12.2020\"\n[data_as_of_by_table]\npersons = 2020-01-01\n")
    with pytest.raises(ExtractInvalid) as e:
        ex.store()
    text = str(e.value)
    assert "extract.toml, Spalte data_as_of, Wert '31.12.2020': erwartet ein Datum JJJJ-MM-TT" in text
    assert "data_as_of_by_table.persons: keine Tabelle des Auszugsformats mit recorded_on" in text
