"""The append-only audit trail (issue 6): every change and every read of person-level data.

Rows live in the users database (SQLite) in table ``audit``; triggers make the table
append-only (UPDATE and DELETE raise). A row says who, when (UTC, ISO 8601), what (``action``),
which scope (a unit id, a count of person ids, a user name), the outcome (``ok``/``denied``/
``failed``) and the client address. Person-level rows themselves never go into the log.

Flood control: rows of failed or denied events are limited per window as declared by
:class:`amip.web.settings.AuditLimit` (e.g. 10 a minute per user, action, outcome and address);
further ones are counted in ``audit_windows`` and, when the window has ended, summed up in one
row "weitere N gleichartige Ereignisse …". Successful reads and changes are always recorded.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
import tomllib
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from amip import i18n
from amip.web.settings import AUDIT_FIELDS, AuditLimit

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    audit_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    address TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE IF NOT EXISTS audit_windows (
    per TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    address TEXT NOT NULL,
    started REAL NOT NULL,
    written INTEGER NOT NULL DEFAULT 0,
    suppressed INTEGER NOT NULL DEFAULT 0,
    first_at TEXT,
    last_at TEXT,
    PRIMARY KEY (per, actor, action, outcome, address)
);
CREATE INDEX IF NOT EXISTS audit_windows_started ON audit_windows (per, started);
"""

COLUMNS = ("audit_id", "at", "actor", "action", "scope", "outcome", "address")
ANY = "*"  # a field a limit does not count by (in audit_windows and summary rows)
FIELD_LABELS = {"actor": "Benutzer", "action": "Aktionen", "outcome": "Ergebnisse",
                "address": "Adressen"}
_KEY = " AND ".join(f"{f} = ?" for f in ("per", *AUDIT_FIELDS))


@cache
def labels() -> dict[str, dict[str, str]]:
    """German names of the actions and outcomes (``audit_actions.toml``):
    ``{"actions": {"user.add": "Benutzer angelegt", …}, "outcomes": {"ok": "erfolgreich", …}}``."""
    with open(Path(__file__).with_name("audit_actions.toml"), "rb") as f:
        return tomllib.load(f)


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@contextmanager
def immediate(con: sqlite3.Connection, lock: threading.RLock):
    """One write transaction taken at its start (``BEGIN IMMEDIATE``): what it reads stays true
    until it commits, also against other processes using the same file."""
    with lock:
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.rollback()
            raise
        con.commit()


class AuditTrail:
    """Append and read audit rows (shares the users database connection and its lock)."""

    def __init__(self, con: sqlite3.Connection, lock: threading.RLock,
                 limits: tuple[AuditLimit, ...] = ()) -> None:
        self._con, self._lock, self._limits = con, lock, limits
        with self._lock:
            self._con.executescript(SCHEMA)

    def record(self, actor: str, action: str, scope: str = "", outcome: str = "ok",
               address: str | None = None) -> None:
        """Append a row; one of a failed or denied event only within the limits."""
        at, fields = now_utc(), dict(actor=actor, action=action, outcome=outcome,
                                     address=address or "")
        with immediate(self._con, self._lock):
            self._close_windows(time.time())
            if outcome == "ok" or self._admit(fields, at):
                self._insert(at, scope, **fields)

    def _insert(self, at: str, scope: str, actor: str, action: str, outcome: str,
                address: str) -> None:
        self._con.execute(
            "INSERT INTO audit (at, actor, action, scope, outcome, address) "
            "VALUES (?, ?, ?, ?, ?, ?)", (at, actor, action, scope, outcome, address))

    def _admit(self, fields: dict, at: str) -> bool:
        """Count the event in each limit's window: True if every limit admits a row, else
        it is counted as suppressed in the first limit that is full."""
        keys = [(limit, (",".join(limit.per), *[fields[f] if f in limit.per else ANY
                                                 for f in AUDIT_FIELDS]))
                for limit in self._limits]
        for limit, key in keys:
            row = self._con.execute(f"SELECT written FROM audit_windows WHERE {_KEY}",
                                    key).fetchone()
            if row is not None and row[0] >= limit.rows:
                self._con.execute(
                    "UPDATE audit_windows SET suppressed = suppressed + 1, "
                    f"first_at = coalesce(first_at, ?), last_at = ? WHERE {_KEY}",
                    (at, at, *key))
                return False
        for _, key in keys:
            self._con.execute(
                "INSERT INTO audit_windows (per, actor, action, outcome, address, started, "
                "written) VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET "
                "written = written + 1", (*key, time.time()))
        return True

    def _close_windows(self, now: float) -> None:
        """End the windows that have passed; one summary row for each that suppressed rows."""
        for limit in self._limits:
            per = ",".join(limit.per)
            ended = self._con.execute(
                "SELECT actor, action, outcome, address, suppressed, first_at, last_at "
                "FROM audit_windows WHERE per = ? AND started <= ? ORDER BY started",
                (per, now - limit.window)).fetchall()
            for actor, action, outcome, address, n, first, last in ended:
                if n:
                    others = [FIELD_LABELS[f] for f in AUDIT_FIELDS if f not in limit.per]
                    self._insert(now_utc(), (
                        f"weitere {i18n.num(n)} gleichartige Ereignisse"
                        + (f" (verschiedene {' und '.join(others)})" if others else "")
                        + f" von {first} bis {last} nicht einzeln protokolliert"),
                        actor, action, outcome, address)
            self._con.execute("DELETE FROM audit_windows WHERE per = ? AND started <= ?",
                              (per, now - limit.window))

    def flush(self) -> None:
        """Write the summary rows of the windows that have ended (also done by every
        :meth:`record` and :meth:`entries`)."""
        with immediate(self._con, self._lock):
            self._close_windows(time.time())

    def entries(self, limit: int = 100, offset: int = 0, actor: str | None = None,
                action: str | None = None, outcome: str | None = None) -> list[dict]:
        """Newest first."""
        where, args = [], []
        for col, val in (("actor", actor), ("action", action), ("outcome", outcome)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = (f"SELECT {', '.join(COLUMNS)} FROM audit"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY audit_id DESC LIMIT ? OFFSET ?")
        self.flush()
        with self._lock:
            rows = self._con.execute(sql, (*args, limit, offset)).fetchall()
        return [dict(zip(COLUMNS, r)) for r in rows]

    def count(self) -> int:
        with self._lock:
            return self._con.execute("SELECT count(*) FROM audit").fetchone()[0]
