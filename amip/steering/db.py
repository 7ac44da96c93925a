"""Open the steering store: a SQLAlchemy engine on SQLite (default: a file beside the extract
store) or PostgreSQL, migrated to the newest schema (Alembic, programmatically) on opening.

SQLite runs in WAL mode with foreign keys on; a write transaction starts with ``BEGIN IMMEDIATE``
so that two writers queue instead of failing on a lock upgrade (the second then sees the first's
version and is refused as stale, never silently overwriting it).
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from amip.errors import ConfigurationError

MIGRATIONS = Path(__file__).with_name("migrations")
ENV_URL = "AMIP_STEERING"


def default_path(store: str | Path) -> Path:
    """The steering store of an extract store: ``amip.duckdb`` → ``amip.steering.sqlite``."""
    return Path(store).with_suffix(".steering.sqlite")


def resolve_url(store: str | Path | None = None, url: str | None = None) -> str:
    """``url`` (or ``$AMIP_STEERING``) if given, else the SQLite file beside ``store``.
    ``postgresql://`` URLs use the psycopg 3 driver."""
    url = url or os.environ.get(ENV_URL) or None
    if url is None:
        if store is None:
            raise ConfigurationError("Steuerungsdaten: weder --steering/AMIP_STEERING noch ein "
                                     "Datenbestand (--store) angegeben.")
        return f"sqlite:///{default_path(store)}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def connect(dbapi_con, record):
        dbapi_con.isolation_level = None  # transactions are begun below, not by pysqlite
        cur = dbapi_con.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def begin(con):
        con.exec_driver_sql("BEGIN IMMEDIATE" if con.get_execution_options().get("write")
                            else "BEGIN")


def create(url: str) -> Engine:
    """An engine for ``url``, the schema migrated to head."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(f"Steuerungsdaten: {url!r} ist keine Datenbank-URL "
                                 "(z. B. sqlite:///pfad.sqlite oder "
                                 "postgresql://benutzer@host/db).") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        _sqlite_setup(engine)
    else:
        engine = create_engine(parsed, pool_pre_ping=True)
    migrate(engine)
    return engine


_MIGRATING = threading.Lock()  # Alembic's command API keeps module globals: one at a time
_LOCK_ID = 48_011_937  # PostgreSQL advisory lock: one migrating process per database


@functools.cache
def _head() -> str:
    """The newest shipped revision. Read from the migration files' ``revision`` and
    ``down_revision`` (the revision no other file revises) without importing Alembic, whose
    import costs ≈ 0.3 s in every process that opens the store; Alembic's own answer whenever
    the files are not one plain chain (a merge, two heads, an assignment not a literal)."""
    import ast

    revisions, revised = set(), set()
    try:
        for f in sorted((MIGRATIONS / "versions").glob("*.py")):
            found = {}
            for node in ast.parse(f.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                        getattr(node.targets[0], "id", None) in ("revision", "down_revision"):
                    found[node.targets[0].id] = ast.literal_eval(node.value)
            if "revision" not in found:
                continue
            down = found.get("down_revision")
            if not isinstance(found["revision"], str) or not (down is None
                                                               or isinstance(down, str)):
                raise ValueError(f"{f.name}: not a plain chain")
            revisions.add(found["revision"])
            revised.add(down)
    except (ValueError, SyntaxError):
        revisions = set()
    heads = revisions - revised
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _current(con) -> str | None:
    """The store's revision (Alembic's ``alembic_version`` table), None if it has none or
    several — read without importing Alembic."""
    from sqlalchemy import inspect, text

    if not inspect(con).has_table("alembic_version"):
        return None
    rows = con.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Run the shipped Alembic migrations up to ``revision`` (idempotent; concurrent openers
    wait for each other: SQLite by ``BEGIN IMMEDIATE``, PostgreSQL by an advisory lock). A store
    already at the head is left alone without importing Alembic."""
    with engine.connect() as con:
        if revision == "head" and _current(con) == _head():
            return
    from alembic import command
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with _MIGRATING, engine.connect().execution_options(write=True) as con:
        if con.dialect.name == "postgresql":
            con.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
        cfg.attributes["connection"] = con
        command.upgrade(cfg, revision)
        con.commit()
