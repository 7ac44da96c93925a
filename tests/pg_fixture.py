"""A private PostgreSQL cluster for the tests: ``pg_url`` (session fixture).

The cluster lives in a fresh directory under the system temp dir, listens on 127.0.0.1 only, on
a free port, with trust authentication, and is stopped when the session ends (also after
failures). When run as root (as ``make test`` does) the server runs as the OS user ``postgres``,
since PostgreSQL refuses to run as root.

A run that was killed cannot stop its cluster. Every run therefore uses a new directory and port,
and at start it stops and removes the clusters of earlier runs whose pytest process is gone
(recognised by the ``owner.pid`` file in their directory).

Use in tests/conftest.py: ``from tests.pg_fixture import pg_url  # noqa: F401``.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PREFIX = "amip-pg-test-"
PG_OS_USER = "postgres"


def pg_bin() -> Path:
    """The bin directory of the newest PostgreSQL server installed from Debian packages."""
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")
             if (Path(p) / "initdb").exists() and (Path(p) / "pg_ctl").exists()]
    if not found:
        pytest.fail("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb). "
                    "`make test` installs them (Debian package postgresql); or run "
                    "`apt-get install -y postgresql`.", pytrace=False)

    def version(p: Path) -> tuple:
        return tuple(int(x) if x.isdigit() else 0 for x in p.parent.name.split("."))

    return max(found, key=version)


def _run(args: list[str], as_postgres: bool, **kw) -> subprocess.CompletedProcess:
    if as_postgres:
        args = ["su", PG_OS_USER, "-c", shlex.join(args)]
    return subprocess.run(args, capture_output=True, text=True, **kw)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_leftovers(bin_dir: Path, as_postgres: bool) -> None:
    """Stop and remove clusters left behind by test runs that were killed."""
    for d in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            owner = int((d / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue  # another test run, still going
        if (d / "data" / "postmaster.pid").exists():
            _run([str(bin_dir / "pg_ctl"), "-D", str(d / "data"), "-m", "immediate", "-w",
                  "stop"], as_postgres, timeout=60)
        shutil.rmtree(d, ignore_errors=True)


class Cluster:
    def __init__(self) -> None:
        self.bin = pg_bin()
        self.as_postgres = os.geteuid() == 0
        _clean_leftovers(self.bin, self.as_postgres)
        self.dir = Path(tempfile.mkdtemp(prefix=PREFIX))
        (self.dir / "owner.pid").write_text(str(os.getpid()))
        self.data, self.sock, self.log = self.dir / "data", self.dir / "sock", self.dir / "log.txt"
        self.sock.mkdir()
        if self.as_postgres:
            shutil.chown(self.dir, PG_OS_USER)
            shutil.chown(self.sock, PG_OS_USER)
        self.dir.chmod(0o700)
        self.port: int | None = None

    def start(self) -> str:
        r = _run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                 self.as_postgres, timeout=120)
        if r.returncode:
            pytest.fail(f"initdb failed:\n{r.stdout}\n{r.stderr}", pytrace=False)
        for _ in range(5):  # a port found free may be taken before the server binds it
            self.port = _free_port()
            opts = (f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            r = _run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                      "-w", "-t", "60", "-o", opts, "start"], self.as_postgres, timeout=90)
            if r.returncode == 0:
                return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
            time.sleep(0.2)
        log = self.log.read_text(errors="replace") if self.log.exists() else ""
        pytest.fail(f"PostgreSQL did not start:\n{r.stdout}\n{r.stderr}\n{log[-2000:]}",
                    pytrace=False)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
                 self.as_postgres, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url():
    """URL of a private, empty PostgreSQL cluster (user postgres, database postgres)."""
    cluster = Cluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()
