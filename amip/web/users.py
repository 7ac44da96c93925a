"""Users, roles and sessions of the web app, in SQLite (``settings.users_db``).

Passwords are hashed with argon2id; wrong passwords are counted per user and client address,
and ``settings.login_attempts`` failures within ``settings.lockout_seconds`` lock that pair out
(:class:`LockedOut`) until the window has passed. Roles are data (``roles.toml``): the code reads
what a role may do, never its name.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from amip.web.audit import AuditTrail, now_utc
from amip.web.settings import Settings

ROLES_FILE = Path(__file__).with_name("roles.toml")
PERSON_SCOPES = ("all", "team", "caseload", "none")
SESSION_MAX_AGE = 8 * 3600  # seconds of inactivity after which a session ends

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    unit_id TEXT,
    caseworker_id TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (name, address, at);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    seen REAL NOT NULL
);
"""


class UserError(ValueError):
    pass


class LockedOut(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many wrong passwords; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    persons: str  # all | team | caseload | none
    audit: bool
    manage_users: bool
    disclosure: bool


@cache
def load_roles(path: Path = ROLES_FILE) -> dict[str, Role]:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    roles = {}
    for key, d in data.items():
        if d.get("persons") not in PERSON_SCOPES:
            raise UserError(f"{path.name} [{key}]: persons must be one of {PERSON_SCOPES}")
        roles[key] = Role(key, d.get("label", key), d["persons"], bool(d.get("audit")),
                          bool(d.get("manage_users")), bool(d.get("disclosure")))
    return roles


@dataclass(frozen=True)
class User:
    name: str
    role: str
    unit_id: str | None = None
    caseworker_id: str | None = None
    active: bool = True

    @property
    def rights(self) -> Role:
        return load_roles()[self.role]


def generate_password() -> str:
    """A strong password (about 120 bits), easy to copy: no look-alike characters."""
    return secrets.token_urlsafe(15)


class UserStore:
    """Users, login failures, sessions and (via :attr:`audit`) the audit trail in one SQLite file."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._con = sqlite3.connect(settings.users_db, check_same_thread=False)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA busy_timeout=5000")
        with self._lock:
            self._con.executescript(SCHEMA)
        self.audit = AuditTrail(self._con, self._lock)
        self._hasher = PasswordHasher()
        self._dummy_hash = self._hasher.hash(secrets.token_hex(8))

    def close(self) -> None:
        with self._lock:
            self._con.close()

    # -- users ----------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, unit_id: str | None = None,
                 caseworker_id: str | None = None, password: str | None = None,
                 actor: str = "system", address: str | None = None) -> str:
        """Create a user; returns the password (generated when none is given)."""
        roles = load_roles()
        if not name or not name.strip() or len(name) > 100:
            raise UserError("a user name is required (at most 100 characters)")
        if role not in roles:
            raise UserError(f"unknown role {role!r} (one of {', '.join(roles)})")
        r = roles[role]
        if r.persons == "team" and not unit_id:
            raise UserError(f"role {role} needs --unit (the team)")
        if r.persons == "caseload" and not caseworker_id:
            raise UserError(f"role {role} needs --caseworker (the caseworker id)")
        if password is not None and len(password) < 12:
            raise UserError("the password must have at least 12 characters")
        password = password or generate_password()
        try:
            with self._lock, self._con:
                self._con.execute(
                    "INSERT INTO users (name, role, unit_id, caseworker_id, active, password_hash,"
                    " created_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
                    (name, role, unit_id, caseworker_id, self._hasher.hash(password), now_utc()))
        except sqlite3.IntegrityError:
            raise UserError(f"user {name!r} exists already") from None
        scope = f"user={name} role={role}" + (f" unit={unit_id}" if unit_id else "") \
            + (f" caseworker={caseworker_id}" if caseworker_id else "")
        self.audit.record(actor, "user.add", scope, "ok", address)
        return password

    def disable_user(self, name: str, actor: str = "system", address: str | None = None) -> None:
        with self._lock, self._con:
            cur = self._con.execute("UPDATE users SET active = 0 WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise UserError(f"unknown user {name!r}")
            self._con.execute("DELETE FROM sessions WHERE name = ?", (name,))
        self.audit.record(actor, "user.disable", f"user={name}", "ok", address)

    def get(self, name: str) -> User | None:
        with self._lock:
            row = self._con.execute(
                "SELECT name, role, unit_id, caseworker_id, active FROM users WHERE name = ?",
                (name,)).fetchone()
        return None if row is None else User(row[0], row[1], row[2], row[3], bool(row[4]))

    def list_users(self) -> list[User]:
        with self._lock:
            rows = self._con.execute(
                "SELECT name, role, unit_id, caseworker_id, active FROM users ORDER BY name"
            ).fetchall()
        return [User(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]

    # -- login ----------------------------------------------------------------------------------

    def verify(self, name: str, password: str, address: str = "") -> User | None:
        """The active user with this password, else None; raises :class:`LockedOut` while the
        (name, address) pair has too many recent failures (even for the right password).
        Failures and lockouts are audited here; the caller audits the successful login."""
        now = time.time()
        window = self.settings.lockout_seconds
        with self._lock, self._con:
            self._con.execute("DELETE FROM login_failures WHERE at < ?", (now - window,))
            fails = self._con.execute(
                "SELECT count(*), min(at) FROM login_failures WHERE name = ? AND address = ?",
                (name, address)).fetchone()
        if fails[0] >= self.settings.login_attempts:
            self.audit.record(name, "login", "locked out", "denied", address)
            raise LockedOut(max(1, int(fails[1] + window - now) + 1))
        with self._lock:
            row = self._con.execute("SELECT password_hash, active FROM users WHERE name = ?",
                                    (name,)).fetchone()
        ok = False
        try:
            ok = self._hasher.verify(row[0] if row else self._dummy_hash, password) and \
                row is not None and bool(row[1])
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            with self._lock, self._con:
                self._con.execute("INSERT INTO login_failures VALUES (?, ?, ?)",
                                  (name, address, now))
            self.audit.record(name, "login", "wrong password or inactive user", "failed",
                              address)
            return None
        with self._lock, self._con:
            self._con.execute("DELETE FROM login_failures WHERE name = ? AND address = ?",
                              (name, address))
            if self._hasher.check_needs_rehash(row[0]):
                self._con.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                                  (self._hasher.hash(password), name))
        return self.get(name)

    # -- sessions -------------------------------------------------------------------------------

    def open_session(self, name: str) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock, self._con:
            self._con.execute("DELETE FROM sessions WHERE seen < ?", (now - SESSION_MAX_AGE,))
            self._con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (sid, name, now, now))
        return sid

    def session_user(self, sid: str) -> User | None:
        """The active user of a live session (and mark it as seen), else None."""
        now = time.time()
        with self._lock:
            row = self._con.execute("SELECT name, seen FROM sessions WHERE session_id = ?",
                                    (sid,)).fetchone()
            if row is None or row[1] < now - SESSION_MAX_AGE:
                return None
            if now - row[1] > 60:  # write at most once a minute per session
                with self._con:
                    self._con.execute("UPDATE sessions SET seen = ? WHERE session_id = ?",
                                      (now, sid))
        user = self.get(row[0])
        return user if user is not None and user.active else None

    def close_session(self, sid: str) -> None:
        with self._lock, self._con:
            self._con.execute("DELETE FROM sessions WHERE session_id = ?", (sid,))
