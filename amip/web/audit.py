"""The append-only audit trail (issue 6): every change and every read of person-level data.

Rows live in the users database (SQLite) in table ``audit``; triggers make the table
append-only (UPDATE and DELETE raise). A row says who, when (UTC, ISO 8601), what (``action``),
which scope (a unit id, a count of person ids, a user name), the outcome (``ok``/``denied``) and
the client address. Person-level rows themselves never go into the log.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

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
"""

COLUMNS = ("audit_id", "at", "actor", "action", "scope", "outcome", "address")


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class AuditTrail:
    """Append and read audit rows (shares the users database connection and its lock)."""

    def __init__(self, con: sqlite3.Connection, lock: threading.RLock) -> None:
        self._con, self._lock = con, lock
        with self._lock:
            self._con.executescript(SCHEMA)

    def record(self, actor: str, action: str, scope: str = "", outcome: str = "ok",
               address: str | None = None) -> None:
        with self._lock, self._con:
            self._con.execute(
                "INSERT INTO audit (at, actor, action, scope, outcome, address) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (now_utc(), actor, action, scope, outcome, address or ""))

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
        with self._lock:
            rows = self._con.execute(sql, (*args, limit, offset)).fetchall()
        return [dict(zip(COLUMNS, r)) for r in rows]

    def count(self) -> int:
        with self._lock:
            return self._con.execute("SELECT count(*) FROM audit").fetchone()[0]
