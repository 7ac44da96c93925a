"""The store published to PostgreSQL gives the same views and stocks as the DuckDB store;
publishing is incremental, refuses foreign data and is all or nothing."""

from __future__ import annotations

import datetime as dt
import textwrap
import uuid

import psycopg
import pyarrow as pa
import pytest
from click.testing import CliRunner

from amip.cli.postgres_cmd import publish_cmd
from amip.engine import stocks
from amip.extract.schema import TABLES
from amip.store import Store
from amip.store.postgres import PublishRefused, postgres_view, publish_to_postgres
from tests.conftest import BASE_EXTRACT
from tests.store.test_history import LATER_ELB

#: BASE_EXTRACT with every table filled, text that needs CSV quoting, empty optional values.
FULL: dict[str, str] = {
    **BASE_EXTRACT,
    "units": '''
        unit_id,jobcenter_id,parent_unit_id,name,level
        u0,03504,,Jobcenter Elbe-Elster,jobcenter
        u1,03504,u0,"Geschäftsstelle Finsterwalde, ""Nord""",standort
        u11,03504,u1,Team Markt;Süd,team
    ''',
    "person_flags": """
        person_id,flag,valid_from,valid_to,recorded_on
        p1,severely_disabled,2019-01-01,,2019-01-03
        p2,refugee_context,2019-02-01,2019-08-31,2019-02-03
    """,
    "employment_spells": """
        person_id,kind,funding,valid_from,valid_to,recorded_on,gross_monthly_eur
        p1,marginal,none,2019-03-01,2019-05-31,2019-03-05,520.00
        p2,sv,egz,2019-10-01,,2019-10-02,
    """,
    "measure_spells": '''
        person_id,instrument,valid_from,valid_to,cost_eur,provider,recorded_on
        p1,mabe,2019-02-01,2019-04-30,1234.56,"Träger ""Lernen"", Cottbus",2019-02-03
        p3,agh,2019-05-01,,,,2019-05-02
    ''',
    "unemployment_spells": """
        person_id,valid_from,valid_to,recorded_on
        p1,2019-01-01,,2019-01-03
        p2,2019-02-01,2019-09-30,2019-02-03
    """,
    "caseload": """
        person_id,unit_id,caseworker_id,role,valid_from,valid_to
        p1,u11,cw1,ifk,2019-01-01,
        p2,u11,cw2,fm,2019-02-01,2019-12-31
    """,
    "prognoses": """
        person_id,assessed_on,prognosis
        p1,2019-01-10,marktnah
        p2,2019-02-10,nicht_marktnah
    """,
    "contacts": """
        person_id,caseworker_id,contact_on,kind
        p1,cw1,2019-01-15,beratung
        p1,cw1,2019-02-15,eingliederungsvereinbarung
    """,
    "budget_plan": """
        jobcenter_id,year,title,instrument,amount_eur
        03504,2019,egl,,1000000.00
        03504,2019,egl,fbw,250000.50
        03504,2019,vk,,2000000
    """,
    "budget_bookings": """
        booking_id,jobcenter_id,booked_on,title,instrument,kind,amount_eur,budget_year
        k1,03504,2019-02-01,egl,mabe,commitment,1234.56,2019
        k2,03504,2019-03-01,egl,mabe,payment,1234.56,2019
        k3,03504,2019-03-02,vk,,payment,99.99,2019
    """,
}


def new_schema() -> str:
    return "t_" + uuid.uuid4().hex[:12]


def rows(expr) -> list[dict]:
    """The rows of an Ibis expression, sorted, with backend-neutral Python values."""
    table: pa.Table = expr.to_pyarrow()
    table = table.cast(expr.schema().to_pyarrow())
    if table.num_rows:
        table = table.sort_by([(c, "ascending") for c in table.column_names])
    return table.to_pylist()


def assert_same_views(duck, pg) -> None:
    for name in TABLES:
        d, p = duck.table(name), pg.table(name)
        assert d.schema() == p.schema(), name
        assert rows(d) == rows(p), name


def pg_state(url: str, schema: str) -> dict:
    """Every table of a schema with its row count and a content hash, and its indexes."""
    with psycopg.connect(url) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "ORDER BY 1", [schema]).fetchall()]
        state = {t: con.execute(f'SELECT count(*), md5(string_agg(x::text, \'|\' ORDER BY '
                                f'x::text)) FROM "{schema}"."{t}" x').fetchone() for t in tables}
        state["indexes"] = con.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s "
                                       "ORDER BY 1", [schema]).fetchall()
    return state


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "amip.duckdb") as s:
        yield s


@pytest.fixture
def full_extract(extract):
    def make(changes=None):
        return extract(changes, base=FULL)
    return make


def test_every_table_is_the_same_on_postgres(store, full_extract, pg_url):  # noqa: F811
    store.import_extract(full_extract())
    schema = new_schema()
    copied = publish_to_postgres(store, pg_url, schema)
    counts = store.row_counts()
    assert {n: copied[n] for n in TABLES} == counts and all(counts.values())
    assert copied["amip_imports"] == 1 and copied["amip_import_files"] == len(FULL)
    with postgres_view(pg_url, schema) as pg:
        assert_same_views(store.view(), pg)
        # text that needs quoting in CSV and NULLs came through exactly
        names = {r["unit_id"]: r["name"] for r in rows(pg.table("units"))}
        assert names["u1"] == 'Geschäftsstelle Finsterwalde, "Nord"'
        assert rows(pg.table("units").filter(lambda t: t.unit_id == "u0"))[0]["parent_unit_id"] is None
        # the import log is there as well
        log = pg.backend.table("amip_imports").execute()
        assert log.fingerprint.tolist() == [e["fingerprint"] for e in store.imports()]
    state = pg_state(pg_url, schema)
    assert ("elb_spells_person_id_idx",) in state["indexes"]
    assert ("elb_spells_valid_from_valid_to_idx",) in state["indexes"]


def test_as_of_views_and_stocks_agree(store, full_extract, pg_url):  # noqa: F811
    store.import_extract(full_extract())
    store.import_extract(full_extract({"elb_spells": LATER_ELB}))  # closes p1's spell on 30 June
    schema = new_schema()
    publish_to_postgres(store, pg_url, schema)
    july = stocks.stichtag(2019, 7)
    for as_of in (None, dt.date(2019, 7, 4), dt.date(2019, 7, 5), dt.date(2019, 1, 31)):
        duck = store.view(as_of)
        with postgres_view(pg_url, schema, as_of) as pg:
            assert_same_views(duck, pg)
            for year, month in ((2019, 1), (2019, 3), (2019, 7), (2020, 1)):
                day = stocks.stichtag(year, month)
                for f in (stocks.elb_stock, stocks.bg_stock, stocks.unemployed):
                    assert rows(f(duck, day)) == rows(f(pg, day)), (f.__name__, as_of, day)
                    assert rows(f(duck, day, "03504")) == rows(f(pg, day, "03504"))
    with postgres_view(pg_url, schema, dt.date(2019, 7, 4)) as pg:
        assert sorted(stocks.elb_stock(pg, july).person_id.execute()) == ["p1", "p2", "p3"]
        assert sorted(stocks.elb_stock(pg.at(None), july).person_id.execute()) == ["p2", "p3"]


def test_second_publish_appends_only_the_new_import(store, extract, pg_url):  # noqa: F811
    schema = new_schema()
    store.import_extract(extract())
    first = publish_to_postgres(store, pg_url, schema)
    assert first["elb_spells"] == 3 and first["amip_imports"] == 1
    before = pg_state(pg_url, schema)

    store.import_extract(extract({"elb_spells": LATER_ELB}))
    second = publish_to_postgres(store, pg_url, schema)
    assert second["elb_spells"] == 2 and second["amip_imports"] == 1
    assert second["amip_import_files"] == len(BASE_EXTRACT) and second["amip_meta"] == 0
    assert sum(n for t, n in second.items() if t in TABLES) == 2
    with psycopg.connect(pg_url) as con:
        by_import = dict(con.execute(f"SELECT _import_id, count(*) FROM {schema}.elb_spells "
                                     "GROUP BY 1").fetchall())
    assert by_import == {1: 3, 2: 2}
    after = pg_state(pg_url, schema)
    assert after["persons"] == before["persons"]  # untouched
    with postgres_view(pg_url, schema) as pg:
        assert_same_views(store.view(), pg)

    again = publish_to_postgres(store, pg_url, schema)  # nothing new
    assert not any(again.values()) and pg_state(pg_url, schema) == after


def test_publish_into_another_stores_schema_is_refused(tmp_path, extract, pg_url):  # noqa: F811
    schema = new_schema()
    with Store.open(tmp_path / "a.duckdb") as a:
        a.import_extract(extract())
        publish_to_postgres(a, pg_url, schema)
    before = pg_state(pg_url, schema)
    with Store.open(tmp_path / "b.duckdb") as b:  # another store, another first extract
        b.import_extract(extract({"elb_spells": LATER_ELB}))
        with pytest.raises(PublishRefused, match="eines anderen Datenbestands"):
            publish_to_postgres(b, pg_url, schema)
    with Store.open(tmp_path / "c.duckdb") as c:  # even the same extract, imported elsewhere
        c.import_extract(extract())
        c.con.execute("UPDATE amip_imports SET imported_at = imported_at - INTERVAL 1 DAY")
        with pytest.raises(PublishRefused, match="eines anderen Datenbestands"):
            publish_to_postgres(c, pg_url, schema)
    with Store.open(tmp_path / "d.duckdb") as d:  # an empty store is not a continuation either
        with pytest.raises(PublishRefused, match="nicht hat"):
            publish_to_postgres(d, pg_url, schema)
    assert pg_state(pg_url, schema) == before


def test_schema_with_foreign_tables_is_refused(store, extract, pg_url):  # noqa: F811
    schema = new_schema()
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.persons (x int)")
    store.import_extract(extract())
    with pytest.raises(PublishRefused, match="kein Importprotokoll von amip"):
        publish_to_postgres(store, pg_url, schema)
    assert list(pg_state(pg_url, schema)) == ["persons", "indexes"]


def test_publish_that_fails_midway_changes_nothing(store, extract, pg_url):  # noqa: F811
    """An error in the middle of the first publish: the schema is not even created."""
    schema = new_schema()
    store.import_extract(extract())

    def fail_at_benefit_months(step, done, total):
        if step == "copy benefit_months":
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C
    with pytest.raises(KeyboardInterrupt):
        publish_to_postgres(store, pg_url, schema, fail_at_benefit_months)
    assert pg_state(pg_url, schema) == {"indexes": []}
    with psycopg.connect(pg_url) as con:
        assert not con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                               [schema]).fetchall()


def test_publish_whose_connection_is_killed_changes_nothing(store, extract, pg_url):  # noqa: F811
    """The server ends the publishing session midway (pg_terminate_backend): all rolled back."""
    schema = new_schema()
    store.import_extract(extract())
    publish_to_postgres(store, pg_url, schema)
    before = pg_state(pg_url, schema)
    store.import_extract(extract({"elb_spells": LATER_ELB,
                                  "benefit_months": textwrap.dedent(BASE_EXTRACT["benefit_months"])
                                  + "p3,2019-03,100.00,0.00,2019-04-01\n"}))
    killed = []

    def kill_at_benefit_months(step, done, total):
        if step == "copy benefit_months":  # elb_spells rows are already sent at this point
            with psycopg.connect(pg_url, autocommit=True) as admin:
                killed.append(admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> "
                    "pg_backend_pid() AND state = 'idle in transaction' AND query LIKE %s",
                    ["COPY%"]).fetchall())
    with pytest.raises(psycopg.OperationalError):
        publish_to_postgres(store, pg_url, schema, kill_at_benefit_months)
    assert killed == [[(True,)]]
    assert pg_state(pg_url, schema) == before
    # the store and the schema still work: the same publish now runs to the end
    again = publish_to_postgres(store, pg_url, schema)
    assert again["elb_spells"] == 2 and again["benefit_months"] == 1
    with postgres_view(pg_url, schema) as pg:
        assert_same_views(store.view(), pg)


def test_cli_publish(tmp_path, extract, pg_url):  # noqa: F811
    path = tmp_path / "amip.duckdb"
    with Store.open(path) as s:
        s.import_extract(extract())
    schema = new_schema()
    runner = CliRunner()
    args = ["--store", str(path), "--pg", pg_url, "--schema", schema]
    r = runner.invoke(publish_cmd, args)
    assert r.exit_code == 0, r.output
    assert "1 Import(e) aus" in r.output and schema in r.output
    r = runner.invoke(publish_cmd, args)
    assert r.exit_code == 0 and "ist aktuell" in r.output
    other = tmp_path / "other.duckdb"
    with Store.open(other) as s:
        s.import_extract(extract({"elb_spells": LATER_ELB}))
    r = runner.invoke(publish_cmd, ["--store", str(other), "--pg", pg_url, "--schema", schema])
    assert r.exit_code == 2 and "abgelehnt" in r.output
    r = runner.invoke(publish_cmd, args[:2] + ["--pg", "postgresql://nobody@127.0.0.1:1/x"])
    assert r.exit_code == 3 and "nichts wurde geändert" in r.output


def test_web_services_on_postgres_see_a_new_publish(store, extract, pg_url, tmp_path,  # noqa: F811
                                                    monkeypatch):
    """The web's cache keys on the data state; on PostgreSQL a publish changes it, so the
    dashboard shows the new figures without a restart (p1's spell closed on 30.06.2019:
    ELB in July 2019 falls from 3 to 2)."""
    from amip.engine.calendar import parse_month
    from amip.web.services import Services
    from amip.web.settings import Settings

    monkeypatch.setattr(Services, "STATE_TTL", 0.0)  # look the state up on every call
    schema = new_schema()
    # p3's spell repeated as recorded on 01.08.2020 (no change): the ELB data reach ST(July 2020)
    # in both states, so July 2020's figures exist before and after (§10.2 item 29)
    again = "\np3,b2,03504,elb,child,2019-02-01,,2020-08-01"
    first = textwrap.dedent(BASE_EXTRACT["elb_spells"]).strip() + again
    store.import_extract(extract({"elb_spells": first}))
    publish_to_postgres(store, pg_url, schema)
    services = Services(Settings(store=str(tmp_path / "unused.duckdb"), postgres_url=pg_url,
                                 postgres_schema=schema, users_db=str(tmp_path / "u.sqlite")))
    try:
        july = parse_month("2020-07")

        def k1e2() -> int:
            return next(r for r in services.indicators((july,)) if r.code == "K1E2"
                        and r.sex == "all").numerator

        state, before = services.data_state(), k1e2()
        assert before == 2  # p1 and p3 (p2's spell ended 31.12.2019)
        store.import_extract(extract({"elb_spells": LATER_ELB + again}))
        publish_to_postgres(store, pg_url, schema)
        assert services.data_state() != state
        assert k1e2() == 1  # p3 only: p1's spell now ends 30.06.2019
    finally:
        services.close()
