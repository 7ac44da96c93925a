"""``amip import`` into a copy swapped in atomically: readers keep the old file, failed or killed
imports leave the store file byte-identical (or absent), one importer at a time, files 0600."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from amip.store import Store
from amip.store.generations import StoreFile
from tests.conftest import edit
from tests.store.test_history import LATER_ELB

AMIP = [sys.executable, "-m", "amip.cli"]
ROOT = Path(__file__).parents[2]


def amip(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*AMIP, *args], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          **kwargs)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def imports_in(path: Path) -> int:
    with Store.open(path, read_only=True) as s:
        return len(s.imports())


def test_a_failed_first_import_leaves_no_store(tmp_path, extract):
    bad = extract(edit("persons", "p1,m,1980-01-01", "p1,q,1980-01-01"))
    store = tmp_path / "amip.duckdb"
    done = amip("import", str(bad), "--store", str(store))
    assert done.returncode == 2, done.stderr
    assert not store.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [".amip.duckdb.lock"]


def test_store_files_are_readable_by_their_owner_only(tmp_path, extract):
    store = tmp_path / "amip.duckdb"
    done = amip("import", str(extract()), "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert mode(store) == 0o600 and mode(tmp_path / ".amip.duckdb.lock") == 0o600
    done = amip("import", str(extract({"elb_spells": LATER_ELB})), "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert mode(store) == 0o600 and imports_in(store) == 2
    with Store.open(tmp_path / "direct.duckdb"):  # a store opened read-write (tests, tools)
        pass
    assert mode(tmp_path / "direct.duckdb") == 0o600


def test_import_while_a_reader_holds_the_store(tmp_path, extract):
    """The server holds the store open read-only; the import no longer fails with "in use":
    the open reader keeps the old state, a reader opened afterwards sees the new one."""
    store = tmp_path / "amip.duckdb"
    assert amip("import", str(extract()), "--store", str(store)).returncode == 0
    with Store.open(store, read_only=True) as reader:
        done = amip("import", str(extract({"elb_spells": LATER_ELB})), "--store", str(store))
        assert done.returncode == 0, done.stderr
        assert "Import Nr. 2" in done.stdout
        assert len(reader.imports()) == 1 and reader.row_counts()["elb_spells"] == 3
    assert imports_in(store) == 2
    assert not list(tmp_path.glob(".amip.duckdb.import-*"))


def test_an_invalid_or_repeated_extract_leaves_the_file_byte_identical(tmp_path, extract):
    store = tmp_path / "amip.duckdb"
    first = extract()
    assert amip("import", str(first), "--store", str(store)).returncode == 0
    before = sha256(store), store.stat().st_ino
    bad = extract(edit("persons", "p1,m,1980-01-01", "p1,q,1980-01-01"))
    assert amip("import", str(bad), "--store", str(store)).returncode == 2
    again = amip("import", str(first), "--store", str(store))
    assert again.returncode == 0 and "schon importiert" in again.stdout
    assert (sha256(store), store.stat().st_ino) == before  # not even replaced by a copy


def test_a_second_import_at_the_same_time_is_refused(tmp_path, extract):
    """The first import is stopped (SIGSTOP) while it validates: a second one ends with exit
    2 and a German message; the first then runs to its end and swaps alone."""
    store = tmp_path / "amip.duckdb"
    assert amip("import", str(extract()), "--store", str(store)).returncode == 0
    first = subprocess.Popen([*AMIP, "import", str(extract({"elb_spells": LATER_ELB})),
                              "--store", str(store)], stderr=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, cwd=ROOT,
                             env={**os.environ, "AMIP_TRACE_IMPORT": "1"})
    try:
        for line in first.stderr:
            if line.strip() == "step validate":
                first.send_signal(signal.SIGSTOP)
                break
        second = amip("import", str(extract()), "--store", str(store))
        assert second.returncode == 2
        assert "importiert gerade ein anderer Vorgang" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGCONT)
    out, _ = first.communicate(timeout=120)
    assert first.returncode == 0 and "Import Nr. 2" in out
    assert imports_in(store) == 2


@pytest.mark.slow
def test_kill_9_just_before_the_swap(tmp_path, extract):
    """Killed after the copy was imported and checkpointed, right before the rename: the store
    file is byte-identical; the next import removes the leftover copy and imports."""
    store = tmp_path / "amip.duckdb"
    assert amip("import", str(extract()), "--store", str(store)).returncode == 0
    before = sha256(store)
    later = extract({"elb_spells": LATER_ELB})
    proc = subprocess.Popen([*AMIP, "import", str(later), "--store", str(store)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            cwd=ROOT, env={**os.environ, "AMIP_TRACE_IMPORT": "1"})
    for line in proc.stderr:
        if line.strip() == "step swap":
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert sha256(store) == before
    assert len(list(tmp_path.glob(".amip.duckdb.import-*"))) == 1  # the killed import's copy
    done = amip("import", str(later), "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert imports_in(store) == 2 and not list(tmp_path.glob(".amip.duckdb.import-*"))


def test_a_write_ahead_log_of_a_killed_writer_is_kept(tmp_path, extract):
    """A process that wrote the store directly and was killed left committed rows in a .wal
    beside it. The import moves them into the file first: a stale log must never be replayed
    onto the swapped-in file."""
    store = tmp_path / "amip.duckdb"
    assert amip("import", str(extract()), "--store", str(store)).returncode == 0
    writer = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, os
        con = duckdb.connect({str(store)!r})
        con.execute("SET checkpoint_threshold = '1TB'")
        con.execute("INSERT INTO amip_meta VALUES ('written by', 'a killed writer')")
        os.kill(os.getpid(), 9)
    """)])
    assert writer.returncode == -signal.SIGKILL and Path(f"{store}.wal").exists()
    done = amip("import", str(extract({"elb_spells": LATER_ELB})), "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert not Path(f"{store}.wal").exists()
    con = duckdb.connect(str(store), read_only=True)
    try:
        assert con.sql("SELECT value FROM amip_meta WHERE key = 'written by'").fetchall() == [
            ("a killed writer",)]
        assert con.sql("SELECT count(*) FROM amip_imports").fetchall() == [(2,)]
    finally:
        con.close()


def test_readers_follow_the_swap_and_a_replaced_generation_closes_after_its_last_reader(
        tmp_path, extract):
    store = tmp_path / "amip.duckdb"
    assert amip("import", str(extract()), "--store", str(store)).returncode == 0
    warmed = []
    files = StoreFile(str(store), ttl=0.0, warm=warmed.append)
    old = files.acquire()
    assert amip("import", str(extract({"elb_spells": LATER_ELB})), "--store",
                str(store)).returncode == 0
    for _ in range(600):  # the new file is opened and warmed in a background thread
        new = files.acquire()
        if new is not old:
            break
        files.release(new)
        time.sleep(0.05)
    assert new is not old and warmed == [new]
    assert (len(old.imports()), len(new.imports())) == (1, 2)  # both open, each its own file
    files.release(old)
    with pytest.raises(duckdb.ConnectionException):  # closed with its last reader
        old.imports()
    files.close()
    assert len(new.imports()) == 2  # still read by someone: closed at the release
    files.release(new)
    with pytest.raises(duckdb.ConnectionException):
        new.imports()
