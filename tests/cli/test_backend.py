"""``amip indicators --backend duckdb|postgres|spark``: the same JSON from every backend, and
clear errors where a source and a backend do not go together (issue 16)."""

from __future__ import annotations

import json

import psycopg
import pytest
from click.testing import CliRunner

from amip.cli.main import cli
from amip.store import Store
from amip.store.parquet import publish_to_parquet
from amip.store.postgres import publish_to_postgres
from tests.spark_fixture import spark  # noqa: F401
from tests.store.test_postgres import new_schema

MONTH = ["--month", "2020-06", "--format", "json"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """Two Jobcenter of the national profile at 1 %: the extract folder, a store file of it,
    and that store as Parquet."""
    import datetime as dt

    from amip.extract.writer import write_extract
    from amip.synth import generate

    tmp = tmp_path_factory.mktemp("backend")
    tables = generate(profile="national", jobcenters=2, scale=0.01, seed=7,
                      start=dt.date(2018, 1, 1), end=dt.date(2020, 12, 31),
                      today=dt.date(2026, 1, 1))
    folder = tmp / "extract"
    write_extract(tables, folder, "parquet")
    path = tmp / "amip.duckdb"
    with Store.open(path) as s:
        s.import_extract(folder)
        publish_to_parquet(s, tmp / "pq")
    return folder, path, tmp / "pq"


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, ["indicators", *args], env={"AMIP_PG_URL": None, **(env or {})})


def duckdb_json(path) -> str:
    r = run("--store", str(path), *MONTH)
    assert r.exit_code == 0, r.output
    records = json.loads(r.stdout)
    assert records and any(x["value"] is not None for x in records)
    return r.stdout


def test_spark_gives_the_same_json_as_duckdb(stored, spark):  # noqa: F811
    folder, path, pq = stored
    expected = duckdb_json(path)
    r = run("--data", str(pq), "--backend", "spark", *MONTH)
    assert r.exit_code == 0, r.output
    assert r.stdout == expected and not r.stderr
    # an extract folder: imported in memory, published to temporary Parquet, said on stderr
    r = run("--data", str(folder), "--backend", "spark", *MONTH)
    assert r.exit_code == 0, r.output
    assert r.stdout == expected
    assert "kein Parquet-Datenbestand" in r.stderr and "vorübergehend" in r.stderr
    # the JFW as well
    jfw = run("--store", str(path), *MONTH, "--jfw")
    assert run("--data", str(pq), "--backend", "spark", *MONTH, "--jfw").stdout == jfw.stdout


def test_postgres_gives_the_same_json_as_duckdb(stored, pg_url):
    folder, path, _ = stored
    expected = duckdb_json(path)
    schema = new_schema()
    with Store.open(path, read_only=True) as s:
        publish_to_postgres(s, pg_url, schema)
    r = run("--backend", "postgres", "--pg", pg_url, "--schema", schema, *MONTH)
    assert r.exit_code == 0, r.output
    assert r.stdout == expected
    # the URL from the environment, as for amip publish
    r = run("--backend", "postgres", "--schema", schema, *MONTH, env={"AMIP_PG_URL": pg_url})
    assert r.stdout == expected
    # a store file or an extract: published into a temporary schema that is dropped afterwards
    for source in (["--store", str(path)], ["--data", str(folder)]):
        r = run("--backend", "postgres", "--pg", pg_url, *source, *MONTH)
        assert r.exit_code == 0, r.output
        assert r.stdout == expected and "temporäre Schema" in r.stderr
    with psycopg.connect(pg_url) as con:
        left = con.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE "
                           "'amip_tmp_%'").fetchall()
    assert left == []


def test_sources_that_do_not_fit_are_named(stored, tmp_path, pg_url):
    folder, path, pq = stored
    r = run("--backend", "postgres", *MONTH)
    assert r.exit_code == 2 and "--pg URL oder $AMIP_PG_URL" in r.output
    r = run("--backend", "postgres", "--pg", pg_url, "--schema", new_schema(), *MONTH)
    assert r.exit_code == 2 and "enthält keinen amip-Datenbestand" in r.output
    r = run("--backend", "oracle", *MONTH)
    assert r.exit_code == 2 and "oracle" in r.output
    r = run("--data", str(folder), "--store", str(path), "--backend", "spark", *MONTH)
    assert r.exit_code == 2 and "nicht beides" in r.output
    r = run("--store", str(tmp_path / "nowhere.duckdb"), "--backend", "spark", *MONTH)
    assert r.exit_code == 2 and "nicht gefunden" in r.output
    # a Parquet store is not an extract: DuckDB says so instead of guessing
    r = run("--data", str(pq), *MONTH)
    assert r.exit_code == 2 and "mit --backend spark lesen" in r.output


def test_compare_chooses_the_backend_the_same_way(stored, spark):  # noqa: F811
    """``amip compare`` takes the same source options: its JSON (figures, ranks within the
    Vergleichstyp, pooled aggregates) from Spark equals DuckDB's."""
    _, path, pq = stored
    args = ["compare", "--month", "2020-06", "--measure", "K2", "--measure", "K3",
            "--format", "json"]
    duck = CliRunner().invoke(cli, [*args, "--store", str(path)])
    assert duck.exit_code == 0, duck.output
    records = json.loads(duck.stdout)
    assert {r["level"] for r in records} >= {"jobcenter", "national"}
    spark_run = CliRunner().invoke(cli, [*args, "--data", str(pq), "--backend", "spark"])
    assert spark_run.exit_code == 0, spark_run.output
    assert spark_run.stdout == duck.stdout
