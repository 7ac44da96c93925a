"""Steering-store fixtures: a fresh store on SQLite (a file in tmp_path) or on the session's
private PostgreSQL (a new database per test), and the org tree of a small extract."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import psycopg
import pytest

from amip.steering import Steering, UnitInfo

_dbs = itertools.count(1)

UNITS = {u.unit_id: u for u in (
    UnitInfo("u0", "03504", "jobcenter"),
    UnitInfo("u1", "03504", "standort", "u0"),
    UnitInfo("t1", "03504", "team", "u1"),
    UnitInfo("t2", "03504", "team", "u1"),
    UnitInfo("x0", "09999", "jobcenter"),
    UnitInfo("xt", "09999", "team", "x0"),
)}
JOBCENTERS = {"03504", "09999"}


def fresh_pg_url(pg_url: str) -> str:
    name = f"steering{next(_dbs)}"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name}")
        con.execute(f"CREATE DATABASE {name}")
    return pg_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path) -> str:
    """A URL of an empty steering store, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'steering.sqlite'}"
    return fresh_pg_url(request.getfixturevalue("pg_url"))


@pytest.fixture
def st(tmp_path):
    """A steering store on SQLite beside an (absent) extract store."""
    with Steering.open(tmp_path / "amip.duckdb") as s:
        yield s


def write(tmp_path: Path, text: str, name: str = "targets.csv") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return p


def store_file(ex, tmp_path: Path) -> str:
    """A hand-made extract (tests.engine.builder.Ex) imported into a store file."""
    from amip.store import Store

    path = tmp_path / "amip.duckdb"
    s = Store.open(path)
    s.import_tables(ex.tables(), source="test", description=ex.description)
    s.close()
    return str(path)
