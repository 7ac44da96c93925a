"""Bad budget input (issue 13 item 6): a clear German error naming the row and nothing imported;
a payment beyond what was ever committed is a warning naming the booking (domain §12 item 39)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amip.extract.errors import ExtractInvalid
from amip.store import Store

pytestmark = pytest.mark.duckdb_only

HEAD = "booking_id,jobcenter_id,booked_on,title,instrument,kind,amount_eur,budget_year\n"
PLAN = ("jobcenter_id,year,title,instrument,amount_eur\n"
        "03504,2019,egl,fbw,600.00\n03504,2019,egl,egz,400.00\n03504,2019,vk,,2000.00\n")


def bookings(*lines: str) -> dict[str, str]:
    return {"budget_plan": PLAN, "budget_bookings": HEAD + "\n".join(lines) + "\n"}


def refused(extract, changes, description: str | None = None) -> list[str]:
    path = extract(changes)
    if description is not None:
        (path / "extract.toml").write_text(description, encoding="utf-8")
    store = Store.memory()
    with pytest.raises(ExtractInvalid) as caught:
        store.import_extract(path)
    assert "nichts wurde importiert" in str(caught.value)
    assert store.imports() == []  # all or nothing
    return [str(e) for e in caught.value.errors]


def test_unknown_instrument_and_title(extract):
    got = refused(extract, bookings("k1,03504,2019-03-01,egl,fbw,commitment,100.00,2019",
                                    "k2,03504,2019-03-02,egl,fbx,payment,10.00,2019",
                                    "k3,03504,2019-03-03,egk,fbw,payment,10.00,2019"))
    assert got[0].startswith("budget_bookings.csv, Zeile 3, Spalte instrument, Wert 'fbx': "
                             "unbekannter Code (erlaubt: vb, mabe")
    assert got[1].startswith("budget_bookings.csv, Zeile 4, Spalte title, Wert 'egk': "
                             "unbekannter Code (erlaubt: egl, vk, kommunal)")
    assert len(got) == 2


def test_umschichtung_must_sum_to_zero(extract):
    got = refused(extract, bookings("k1,03504,2019-09-01,egl,fbw,reallocation,-100.00,2019",
                                    "k2,03504,2019-09-01,vk,,reallocation,90.00,2019",
                                    "k3,03504,2019-10-01,egl,fbw,reallocation,-5.00,2019",
                                    "k4,03504,2019-10-01,egl,egz,reallocation,5.00,2019"))
    # lines 2 and 3 sum to −10,00 €; lines 4 and 5 (1.10.) are fine
    assert got == ["budget_bookings.csv, Zeile 2, Spalte amount_eur: Umschichtung vom 01.09.2019 "
                   "(Jobcenter 03504, Haushaltsjahr 2019, Zeilen 2, 3) ergibt in der Summe "
                   "-10,00\xa0€ statt 0 €"]


def test_only_an_umschichtung_is_signed(extract):
    got = refused(extract, bookings("k1,03504,2019-03-01,egl,fbw,payment,-10.00,2019"))
    assert got == ["budget_bookings.csv, Zeile 2, Spalte amount_eur, Wert '-10.00': negativer "
                   "Betrag bei einer Buchung der Art payment (nur Umschichtungen, Art "
                   "reallocation, haben ein Vorzeichen)"]


def test_plan_lines_must_add_up_to_a_declared_title_total(extract):
    toml = ("data_as_of = 2020-12-31\n[[budget_title_totals]]\njobcenter_id = \"03504\"\n"
            "year = 2019\ntitle = \"egl\"\namount_eur = 1000.01\n")
    got = refused(extract, {"budget_plan": PLAN}, toml)
    # 600,00 + 400,00 = 1.000,00 € ≠ 1.000,01 €
    assert got == ["budget_plan.csv, Spalte amount_eur: die Instrumentzeilen des Titels egl 2019 "
                   "(Jobcenter 03504, Zeilen 2, 3) ergeben 1.000,00\xa0€, erklärt sind "
                   "1.000,01\xa0€ (extract.toml, budget_title_totals)"]
    # exactly the declared total: imported
    path = extract({"budget_plan": PLAN})
    (path / "extract.toml").write_text(toml.replace("1000.01", "1000.00"), encoding="utf-8")
    Store.memory().import_extract(path)


def test_payment_beyond_commitments_is_a_warning(extract):
    store = Store.memory()
    result = store.import_extract(extract(bookings(
        "k1,03504,2019-03-01,egl,fbw,commitment,100.00,2019",
        "k2,03504,2019-04-01,egl,fbw,payment,60.00,2019",
        "k3,03504,2019-05-01,egl,fbw,payment,50.00,2019",   # 110 > 100: warned
        "k4,03504,2019-05-02,egl,fbw,payment,5.00,2019",    # the first one only
        "k5,03504,2019-05-02,vk,,payment,500.00,2019",      # no instrument: not checked
        "k6,03504,2019-09-01,egl,egz,reallocation,-50.00,2019",
        "k7,03504,2019-09-01,vk,,reallocation,50.00,2019")))
    assert result.warnings == [
        "budget_bookings.csv, Zeile 4: Zahlung k3 vom 01.05.2019 (Jobcenter 03504, "
        "Haushaltsjahr 2019, egl/fbw) übersteigt die je gebundenen Mittel: gezahlt bis dahin "
        "110,00\xa0€, gebunden insgesamt 100,00\xa0€"]
    assert store.con.sql("SELECT amount_eur FROM budget_bookings WHERE booking_id = 'k6'") \
        .fetchall() == [(Decimal("-50.00"),)]


def test_a_bad_title_total_declaration(extract):
    toml = ("[[budget_title_totals]]\njobcenter_id = \"03504\"\nyear = 2019\ntitle = \"xyz\"\n"
            "amount_eur = 1000\n[[budget_title_totals]]\nyear = 2019\n")
    got = refused(extract, {"budget_plan": PLAN}, toml)
    assert sorted(got) == ["extract.toml, Spalte budget_title_totals[1].title, Wert 'xyz': "
                           "unbekannter Titel (erlaubt: egl, vk, kommunal)",
                           "extract.toml, Spalte budget_title_totals[2]: erwartet jobcenter_id, "
                           "year, title und amount_eur (Betrag in Euro)"]
