"""The store keeps history: later extracts add rows, never overwrite; re-import is a no-op."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from amip.engine import stocks
from amip.store import Store
from tests.conftest import BASE_EXTRACT

LATER_ELB = textwrap.dedent(BASE_EXTRACT["elb_spells"]).strip() + textwrap.dedent("""
    p1,b1,03504,elb,head,2019-01-01,2019-06-30,2019-07-05
    p3,b2,03504,elb,child,2019-02-01,,2019-08-01
""")
# line 5 closes p1's open spell (same key, later recorded_on); line 6 repeats p3's spell with a
# later recorded_on and no change.


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "amip.duckdb") as s:
        yield s


def test_reimport_of_the_same_extract_changes_nothing(store, extract):
    path = extract()
    first = store.import_extract(path)
    counts, log = store.row_counts(), store.imports()
    again = store.import_extract(path)
    assert first.import_id == 1 and again.import_id is None and again.already_imported_as == 1
    assert store.row_counts() == counts and store.imports() == log


def test_import_log_records_time_hashes_and_rows(store, extract):
    path = extract()
    store.import_extract(path)
    (entry,) = store.imports()
    assert entry["import_id"] == 1 and entry["source"] == str(path)
    assert abs((dt.datetime.now() - entry["imported_at"]).total_seconds()) < 120
    files = {f["table"]: f for f in entry["files"]}
    assert files["elb_spells"]["rows"] == 3 and files["elb_spells"]["rows_added"] == 3
    import hashlib
    expected = hashlib.sha256((path / "elb_spells.csv").read_bytes()).hexdigest()
    assert files["elb_spells"]["sha256"] == expected


def test_later_extract_adds_rows_and_keeps_what_was_known_when(store, extract):
    store.import_extract(extract())
    second = store.import_extract(extract({"elb_spells": LATER_ELB}))
    # a full re-delivery: only the two new rows are added, the three known ones are kept once
    assert second.rows_added["elb_spells"] == 2 and second.rows_added["persons"] == 0
    assert store.row_counts()["elb_spells"] == 5

    july = stocks.stichtag(2019, 7)
    now = store.view()  # p1's spell is closed on 30 June: only p2 and p3 in stock in July
    assert sorted(stocks.elb_stock(now, july).person_id.execute()) == ["p2", "p3"]
    before = store.view(as_of=dt.date(2019, 7, 4))  # the closing row was recorded on 5 July
    assert sorted(stocks.elb_stock(before, july).person_id.execute()) == ["p1", "p2", "p3"]
    on_the_day = store.view(as_of=dt.date(2019, 7, 5))  # as-of is inclusive
    assert sorted(stocks.elb_stock(on_the_day, july).person_id.execute()) == ["p2", "p3"]


def test_correction_picks_latest_recorded_on_not_latest_import(store, extract):
    """An extract delivered later may carry an older version of a row: recorded_on decides."""
    store.import_extract(extract({"elb_spells": LATER_ELB}))
    store.import_extract(extract())  # the older state again, as a separate import
    spells = store.view().table("elb_spells").filter(lambda t: t.person_id == "p1").execute()
    assert len(spells) == 1 and spells.valid_to.iloc[0].date() == dt.date(2019, 6, 30)


def test_later_extract_may_refer_to_persons_imported_before(store, extract):
    store.import_extract(extract())
    delta = extract({"persons": None, "units": None, "bg_spells": None, "benefit_months": None,
                     "casefile_checks": None,
                     "elb_spells": "person_id,bg_id,jobcenter_id,status,bg_role,valid_from,"
                                   "valid_to,recorded_on\np2,b2,03504,elb,head,2020-03-01,,2020-03-02\n"})
    # persons.csv is required in every extract: an empty one (header only) is valid
    (delta / "persons.csv").write_text("person_id,sex,birth_date,citizenship,education\n")
    result = store.import_extract(delta)
    assert result.rows_added == {"jobcenters": 0, "persons": 0, "elb_spells": 1}


def test_store_opened_read_only_cannot_be_changed(tmp_path, extract):
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    with Store.open(path, read_only=True) as s, pytest.raises(Exception):
        s.import_extract(extract())


def _ranked(store, name):
    """The current rows by the correction rule itself (ranking the stored rows)."""
    from amip.store.views import current_rows

    return current_rows(store.view().backend.table(name), name)


def test_the_import_keeps_the_current_rows_of_every_table(store, extract):
    store.import_extract(extract())
    store.import_extract(extract({"elb_spells": LATER_ELB}))  # corrects p1's spell
    view = store.view()
    from amip.extract.schema import TABLES

    assert view.kept_current() == set(TABLES)
    for name in TABLES:
        kept = view.table(name).to_pyarrow()
        ranked = _ranked(store, name).to_pyarrow()
        assert kept.schema.names == ranked.schema.names, name
        assert sorted(map(str, kept.to_pylist())) == sorted(map(str, ranked.to_pylist())), name
    p1 = view.table("elb_spells").filter(lambda t: t.person_id == "p1").to_pyarrow().to_pylist()
    assert [r["valid_to"] for r in p1] == [dt.date(2019, 6, 30)]  # the correction, kept
    # an as-of view ranks: the kept rows are those of everything known
    assert store.view(as_of=dt.date(2019, 7, 4)).kept_current() == set()


def test_rows_kept_at_an_earlier_import_are_not_read(store, extract):
    """Rows added by something that did not keep the current rows (an older amip): the log
    names an earlier import, so the view ranks the stored rows and sees the correction."""
    store.import_extract(extract())
    store.con.execute("INSERT INTO elb_spells SELECT person_id, bg_id, jobcenter_id, status, "
                      "bg_role, valid_from, DATE '2019-06-30', DATE '2019-07-05', 2 FROM elb_spells "
                      "WHERE person_id = 'p1'")
    store.con.execute("INSERT INTO amip_imports VALUES (2, now(), 'old amip', 'x', '0', 1)")
    view = store.view()
    assert view.kept_current() == set()
    p1 = view.table("elb_spells").filter(lambda t: t.person_id == "p1").to_pyarrow().to_pylist()
    assert [r["valid_to"] for r in p1] == [dt.date(2019, 6, 30)]
