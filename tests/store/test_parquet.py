"""The store published as Parquet: files per import, a later publish only adds files, another
store's directory is refused, an interrupted publish leaves nothing; Spark reads it back as the
same views as the DuckDB store."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from amip.cli.postgres_cmd import publish_cmd
from amip.extract.schema import TABLES
from amip.store import Store
from amip.store.parquet import (PublishRefused, file_name, is_parquet_store, publish_to_parquet,
                                published_log)
from amip.store.views import CURRENT, CURRENT_LOG, PREPARED, PREPARED_LOG
from tests.store.test_history import LATER_ELB
from tests.spark_fixture import spark  # noqa: F401
from tests.store.test_postgres import FULL, assert_same_views


def state(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` with the hash of its bytes."""
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def rows_of(directory: Path, table: str) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in (directory / table).glob("*.parquet"))


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "amip.duckdb") as s:
        yield s


def test_publish_writes_every_table_once_per_import(store, extract, tmp_path):
    store.import_extract(extract(base=FULL))
    out = tmp_path / "pq"
    copied = publish_to_parquet(store, out)
    counts = store.row_counts()
    assert {n: copied[n] for n in TABLES} == counts and all(counts.values())
    assert copied["amip_imports"] == 1 and copied["amip_import_files"] == len(FULL)
    assert is_parquet_store(out)
    for name in TABLES:
        assert [f.name for f in (out / name).iterdir()] == [file_name(1)]
        assert rows_of(out, name) == counts[name]
        assert "_import_id" in pq.read_schema(out / name / file_name(1)).names
    log = store.con.sql("SELECT import_id, imported_at, fingerprint, rows_added "
                        "FROM amip_imports").fetchall()
    assert published_log(out) == log
    # nothing staged is left beside it
    assert not list(tmp_path.glob(".pq.publish-*"))


def test_second_publish_adds_only_the_new_import(store, extract, tmp_path):
    out = tmp_path / "pq"
    store.import_extract(extract())
    publish_to_parquet(store, out)
    before = state(out)
    store.import_extract(extract({"elb_spells": LATER_ELB}))
    second = publish_to_parquet(store, out)
    assert second["elb_spells"] == 2 and second["amip_imports"] == 1
    assert sum(n for t, n in second.items() if t in TABLES) == 2
    after = state(out)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing rewritten
    assert sorted(set(after) - set(before)) == sorted(
        [f"{t}/{file_name(2)}" for t in TABLES]
        + [f"{CURRENT}{t}/{file_name(2)}" for t in TABLES] + [f"{CURRENT_LOG}/{file_name(2)}"]
        + [f"{t}/{file_name(2)}" for t in ("amip_imports", "amip_import_files",
                                           "amip_import_descriptions")])
    again = publish_to_parquet(store, out)  # nothing new
    assert not any(again.values()) and state(out) == after


def test_another_stores_directory_is_refused(tmp_path, extract):
    out = tmp_path / "pq"
    with Store.open(tmp_path / "a.duckdb") as a:
        a.import_extract(extract())
        publish_to_parquet(a, out)
    before = state(out)
    with Store.open(tmp_path / "b.duckdb") as b:  # another store, another first extract
        b.import_extract(extract({"elb_spells": LATER_ELB}))
        with pytest.raises(PublishRefused, match="eines anderen Datenbestands"):
            publish_to_parquet(b, out)
    with Store.open(tmp_path / "c.duckdb") as c:  # even the same extract, imported elsewhere
        c.import_extract(extract())
        c.con.execute("UPDATE amip_imports SET imported_at = imported_at - INTERVAL 1 DAY")
        with pytest.raises(PublishRefused, match="eines anderen Datenbestands"):
            publish_to_parquet(c, out)
    with Store.open(tmp_path / "d.duckdb") as d:  # an empty store is not a continuation either
        with pytest.raises(PublishRefused, match="nicht hat"):
            publish_to_parquet(d, out)
    assert state(out) == before


def test_directory_with_other_files_is_refused(store, extract, tmp_path):
    out = tmp_path / "pq"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    store.import_extract(extract())
    with pytest.raises(PublishRefused, match="kein Importprotokoll von amip"):
        publish_to_parquet(store, out)
    assert state(out) == {"notes.txt": hashlib.sha256(b"mine").hexdigest()}


def test_publish_that_fails_midway_leaves_nothing(store, extract, tmp_path):
    out = tmp_path / "pq"
    store.import_extract(extract())

    def fail_at_benefit_months(step, done, total):
        if step == "copy benefit_months":
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C
    with pytest.raises(KeyboardInterrupt):
        publish_to_parquet(store, out, fail_at_benefit_months)
    assert not out.exists()
    assert not list(tmp_path.glob(".pq.publish-*"))
    # a later publish into an existing directory that fails: the directory is as it was
    publish_to_parquet(store, out)
    before = state(out)
    store.import_extract(extract({"elb_spells": LATER_ELB}))
    with pytest.raises(KeyboardInterrupt):
        publish_to_parquet(store, out, fail_at_benefit_months)
    assert state(out) == before
    assert publish_to_parquet(store, out)["elb_spells"] == 2


def test_leftovers_of_a_publish_killed_while_renaming_are_not_read(store, extract, tmp_path):
    """Data files are renamed into place before the import log: files of an import the log
    does not hold (a publish killed between the renames) are invisible to readers, and the next
    publish replaces them."""
    out = tmp_path / "pq"
    store.import_extract(extract())
    publish_to_parquet(store, out)
    store.import_extract(extract({"elb_spells": LATER_ELB}))
    # as if killed after renaming elb_spells' new file, before the import log
    junk = pq.read_table(out / "elb_spells" / file_name(1))
    pq.write_table(junk, out / "elb_spells" / file_name(2))
    assert [r[0] for r in published_log(out)] == [1]
    written = publish_to_parquet(store, out)
    assert written["elb_spells"] == 2 and written["amip_imports"] == 1
    assert rows_of(out, "elb_spells") == 3 + 2


def test_cli_publish_parquet(tmp_path, extract):
    path = tmp_path / "amip.duckdb"
    with Store.open(path) as s:
        s.import_extract(extract())
    out = tmp_path / "pq"
    runner = CliRunner()
    args = ["--store", str(path), "--parquet", str(out)]
    r = runner.invoke(publish_cmd, args, env={"AMIP_PG_URL": None})
    assert r.exit_code == 0, r.output
    assert "1 Import(e) aus" in r.output and f"Verzeichnis {out}" in r.output
    r = runner.invoke(publish_cmd, args)
    assert r.exit_code == 0 and "ist aktuell" in r.output
    other = tmp_path / "other.duckdb"
    with Store.open(other) as s:
        s.import_extract(extract({"elb_spells": LATER_ELB}))
    r = runner.invoke(publish_cmd, ["--store", str(other), "--parquet", str(out)])
    assert r.exit_code == 2 and "abgelehnt" in r.output
    r = runner.invoke(publish_cmd, ["--store", str(path)], env={"AMIP_PG_URL": None})
    assert r.exit_code == 2 and "--parquet DIR" in r.output
    r = runner.invoke(publish_cmd, args + ["--pg", "postgresql://x@127.0.0.1/x"])
    assert r.exit_code == 2 and "nicht beides" in r.output


def test_spark_reads_the_same_views(store, extract, tmp_path, spark):  # noqa: F811
    """Every table, as of several days, on Spark as on DuckDB (two imports: a correction)."""
    from amip.store.parquet import spark_view

    store.import_extract(extract(base=FULL))
    store.import_extract(extract({"elb_spells": LATER_ELB}, base=FULL))
    out = tmp_path / "pq"
    publish_to_parquet(store, out)
    with spark_view(out, session=spark) as view:
        for as_of in (None, dt.date(2019, 7, 4), dt.date(2019, 7, 5)):
            assert_same_views(store.view(as_of), view.at(as_of))
        assert [r["import_id"] for r in view.imports()] == [1, 2]
        assert view.data_state() == store.view().data_state()
        assert view.description() == store.view().description()


def test_publish_writes_the_current_rows_of_the_latest_import(store, extract, tmp_path, spark):  # noqa: F811
    """The current rows published for import 2 are the corrected rows (LATER_ELB corrects a
    spell of import 1), Spark reads them for a view without as-of date and ranks for an as-of
    view; a directory from before current rows were published is ranked too, and the next
    publish adds them."""
    from amip.store.parquet import spark_view

    store.import_extract(extract(base=FULL))
    store.import_extract(extract({"elb_spells": LATER_ELB}, base=FULL))
    out = tmp_path / "pq"
    publish_to_parquet(store, out)
    for name in TABLES:
        published = pq.read_table(out / f"{CURRENT}{name}" / file_name(2))
        expected = store.view().table(name).to_pyarrow()
        assert published.num_rows == expected.num_rows
        assert sorted(map(str, published.to_pylist())) == sorted(map(str, expected.to_pylist()))
    assert rows_of(out, f"{CURRENT}elb_spells") < rows_of(out, "elb_spells")  # one corrected
    with spark_view(out, session=spark) as view:
        assert view.kept_current() == set(TABLES)
        assert view.at(dt.date(2019, 7, 4)).kept_current() == set()
        assert_same_views(store.view(), view)
    for p in list(out.glob(f"{CURRENT}*")):  # as published before there were current rows
        for f in p.iterdir():
            f.unlink()
        p.rmdir()
    with spark_view(out, session=spark) as view:
        assert view.kept_current() == set()
        assert_same_views(store.view(), view)
    written = publish_to_parquet(store, out)
    assert not any(written.values()) and (out / CURRENT_LOG / file_name(2)).exists()
    with spark_view(out, session=spark) as view:
        assert view.kept_current() == set(TABLES)


def test_publish_writes_the_prepared_tables_of_the_store_state(store, extract, tmp_path):
    """The tables the import prepared (amip.engine.prepared) are published with the current
    rows, once; a directory published before they were prepared gets them on the next publish
    (nothing else is rewritten); those of an older data state are not published."""
    from amip.engine.prepare import keep
    from amip.engine.prepared import PREPARED as NAMES

    store.import_extract(extract(base=FULL))
    out = tmp_path / "pq"
    publish_to_parquet(store, out)
    assert not (out / PREPARED_LOG).exists()  # nothing prepared yet
    before = state(out)
    counts = keep(store)
    publish_to_parquet(store, out)
    after = state(out)
    assert {k: v for k, v in after.items() if k in before} == before
    assert sorted(set(after) - set(before)) == sorted(
        [f"{PREPARED}{n}/{file_name(1)}" for n in NAMES] + [f"{PREPARED_LOG}/{file_name(1)}"])
    assert {n: rows_of(out, f"{PREPARED}{n}") for n in NAMES} == counts
    publish_to_parquet(store, out)
    assert state(out) == after  # up to date
    store.import_extract(extract({"elb_spells": LATER_ELB}, base=FULL))  # another state
    publish_to_parquet(store, out)
    assert not (out / PREPARED_LOG / file_name(2)).exists()
