"""Users, roles and sessions of the web app, in SQLite (``settings.users_db``, mode 0600).

Passwords are hashed with argon2id. Every password check is first reserved in
``login_attempts`` in the same write transaction that counts the earlier ones against the
limits (:attr:`Settings.login_limits`): per user and address (or known device), per user from
all unknown devices (a delay that grows), and all checks from unknown devices per minute. So
concurrent wrong passwords are checked at most as often as the limits allow; a refused check
raises :class:`LockedOut` with the seconds to wait. A right password forgives the failures of its
user and address; an administrator forgives all of a user's (:meth:`UserStore.unlock`).
Roles are data (``roles.toml``): the code reads what a role may do, never its name.
"""

from __future__ import annotations

import math
import os
import secrets
import sqlite3
import threading
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from amip.errors import AmipError
from amip.files import private, private_dir
from amip.web.audit import AuditTrail, immediate, now_utc
from amip.web.settings import LoginLimit, Settings

ROLES_FILE = Path(__file__).with_name("roles.toml")
#: per person scope of a role: the level of the unit its users need (None: no unit) and
#: whether they need a caseworker id
SCOPE_NEEDS = {"all": (None, False), "team": ("team", False), "caseload": ("team", True),
               "none": (None, False)}
PERSON_SCOPES = tuple(SCOPE_NEEDS)
TARGET_RIGHTS = ("edit", "read")
PLAN_RIGHTS = ("all", "team", "none")
COMPARE_SCOPES = ("all", "land", "own")
SESSION_MAX_AGE = 8 * 3600  # seconds of inactivity after which a session ends
MAX_NAME = 100  # characters of a user name

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
DROP TABLE IF EXISTS login_failures;
CREATE TABLE IF NOT EXISTS login_attempts (
    name TEXT NOT NULL,
    client TEXT NOT NULL,
    known INTEGER NOT NULL,
    at REAL NOT NULL,
    failed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS login_attempts_key ON login_attempts (name, client, at);
CREATE INDEX IF NOT EXISTS login_attempts_at ON login_attempts (at);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    seen REAL NOT NULL
);
"""


class UserError(AmipError, ValueError):
    pass


class LockedOut(AmipError):
    http_status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Zu viele Anmeldeversuche; erneut in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    persons: str  # all | team | caseload | none
    audit: bool
    manage_users: bool
    disclosure: bool
    targets: str = "read"  # edit | read
    plans: str = "none"  # all | team | none
    agree_plans: bool = False
    budget: str = "read"  # edit: may enter and change budget scenarios | read
    care: str = "none"  # all | team | caseload | none (Intensivbetreuung, person by person)
    care_edit: bool = False
    landing: str | None = None  # the page a login without a target opens
    compare: str = "own"  # all | land | own: whose Jobcenter the Vergleich names (roles.toml)
    pages: tuple[str, ...] | None = None  # the only paths the role may open (None: any)
    risk_audit: bool = False  # the early warning's evaluation and audit (page Frühwarnung)

    def may_open(self, path: str) -> bool:
        """Whether the role may open ``path`` (its ``pages`` list: a listed path or below it)."""
        return self.pages is None or any(path == p or path.startswith(p.rstrip("/") + "/")
                                         for p in self.pages)


@cache
def load_roles(path: Path = ROLES_FILE) -> dict[str, Role]:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    roles = {}
    for key, d in data.items():
        if d.get("persons") not in PERSON_SCOPES:
            raise UserError(f"{path.name} [{key}]: persons muss einer von {PERSON_SCOPES} sein")
        if d.get("targets", "read") not in TARGET_RIGHTS:
            raise UserError(f"{path.name} [{key}]: targets muss einer von {TARGET_RIGHTS} sein")
        if d.get("budget", "read") not in TARGET_RIGHTS:
            raise UserError(f"{path.name} [{key}]: budget muss einer von {TARGET_RIGHTS} sein")
        if d.get("plans", "none") not in PLAN_RIGHTS:
            raise UserError(f"{path.name} [{key}]: plans muss einer von {PLAN_RIGHTS} sein")
        if d.get("care", "none") not in PERSON_SCOPES:
            raise UserError(f"{path.name} [{key}]: care muss einer von {PERSON_SCOPES} sein")
        if d.get("compare", "own") not in COMPARE_SCOPES:
            raise UserError(f"{path.name} [{key}]: compare muss einer von {COMPARE_SCOPES} sein")
        if d.get("compare") == "land" and d["persons"] != "none":
            raise UserError(f"{path.name} [{key}]: compare = \"land\" nur mit persons = \"none\" "
                            "(die Einheit des Benutzers nennt das Land)")
        pages = d.get("pages")
        if pages is not None and (not isinstance(pages, list) or not all(
                isinstance(p, str) and p.startswith("/") for p in pages)):
            raise UserError(f"{path.name} [{key}]: pages muss eine Liste von Pfaden sein")
        roles[key] = Role(key, d.get("label", key), d["persons"], bool(d.get("audit")),
                          bool(d.get("manage_users")), bool(d.get("disclosure")),
                          d.get("targets", "read"), d.get("plans", "none"),
                          bool(d.get("agree_plans")), d.get("budget", "read"),
                          d.get("care", "none"), bool(d.get("care_edit")), d.get("landing"),
                          d.get("compare", "own"), None if pages is None else tuple(pages),
                          bool(d.get("risk_audit")))
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


def store_units(path: str) -> dict[str, str]:
    """``{unit_id: level}`` of the store file at ``path`` (opened read-only)."""
    from amip.store import Store

    try:
        with Store.open(path, read_only=True) as store:
            rows = store.view().table("units").select("unit_id", "level").to_pyarrow()
    except FileNotFoundError:
        raise UserError(f"Datenbestand {path} nicht gefunden: die Einheiten werden daraus "
                        "gelesen; zuerst ein Extrakt importieren (--store angeben).") from None
    return dict(zip(rows["unit_id"].to_pylist(), rows["level"].to_pylist()))


def store_lands(path: str) -> set[str]:
    """The Länder (``jobcenters.land``) of the store file at ``path`` (opened read-only)."""
    from amip.store import Store

    try:
        with Store.open(path, read_only=True) as store:
            rows = store.view().table("jobcenters").select("land").to_pyarrow()
    except FileNotFoundError:
        raise UserError(f"Datenbestand {path} nicht gefunden: die Länder werden daraus "
                        "gelesen; zuerst ein Extrakt importieren (--store angeben).") from None
    return {x for x in rows["land"].to_pylist() if x}


def caseworker_units(view) -> dict[str, frozenset[str]]:
    """``{caseworker_id: the units they ever looked after persons in}`` from ``caseload``
    (module level: the web runs it in a query process)."""
    rows = view.table("caseload").select("caseworker_id", "unit_id").distinct().to_pyarrow()
    found: dict[str, set[str]] = {}
    for cw, unit in zip(rows["caseworker_id"].to_pylist(), rows["unit_id"].to_pylist()):
        found.setdefault(cw, set()).add(unit)
    return {cw: frozenset(units) for cw, units in found.items()}


def store_caseworkers(path: str) -> dict[str, frozenset[str]]:
    """:func:`caseworker_units` of the store file at ``path`` (opened read-only)."""
    from amip.store import Store

    try:
        with Store.open(path, read_only=True) as store:
            return caseworker_units(store.view())
    except FileNotFoundError:
        raise UserError(f"Datenbestand {path} nicht gefunden: die Fallmanager-Kennungen werden "
                        "daraus gelesen; zuerst ein Extrakt importieren (--store angeben).") from None


def _key(name: str) -> str:
    """The name as counted and logged: overlong names (no user has one) cut, marked by …"""
    return name if len(name) <= MAX_NAME else name[:MAX_NAME] + "…"


class UserStore:
    """Users, login attempts, sessions and (via :attr:`audit`) the audit trail in one SQLite
    file, created readable by its owner only (SQLite gives its -wal and -shm files the same
    mode)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        path = Path(settings.users_db)
        private_dir(path.parent)
        os.close(private(path, os.O_RDWR | os.O_CREAT))
        for side in ("-wal", "-shm"):
            if path.with_name(path.name + side).exists():
                os.close(private(path.with_name(path.name + side), os.O_RDONLY))
        self._con = sqlite3.connect(path, check_same_thread=False)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA busy_timeout=5000")
        with self._lock:
            self._con.executescript(SCHEMA)
        self.audit = AuditTrail(self._con, self._lock, settings.audit_limits)
        self._hasher = PasswordHasher()
        self._dummy_hash = self._hasher.hash(secrets.token_hex(8))
        self._checking = threading.BoundedSemaphore(settings.login_checks_at_once)
        self.password_checks = 0  # argon2 verifications done by this store (for tests)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    # -- users ----------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, unit_id: str | None = None,
                 caseworker_id: str | None = None, password: str | None = None,
                 actor: str = "system", address: str | None = None,
                 units: Mapping[str, str] | None = None,
                 caseworkers: Mapping[str, frozenset[str]] | None = None) -> str:
        """Create a user; returns the password (generated when none is given). ``units``
        (``{unit_id: level}``) are the existing units, ``caseworkers`` (:func:`caseworker_units`)
        the existing caseworkers; each read from ``settings.store`` when not given and the role
        needs it."""
        roles = load_roles()
        if not name or not name.strip() or len(name) > MAX_NAME:
            raise UserError(f"Ein Benutzername ist nötig (höchstens {MAX_NAME} Zeichen).")
        if name != name.strip() or not name.isprintable():
            raise UserError(f"Benutzername {name!r}: keine Leerzeichen am Anfang oder Ende und "
                            "keine Steuerzeichen.")
        if role not in roles:
            raise UserError(f"Unbekannte Rolle {role!r} (eine von: {', '.join(roles)}).")
        r = roles[role]
        level, needs_caseworker = SCOPE_NEEDS[r.persons]
        if r.compare == "land":  # the unit field names the user's Land (roles.toml)
            lands = sorted(store_lands(self.settings.store))
            if unit_id not in lands:
                raise UserError(f"Die Rolle {r.label} braucht ein Land des Datenbestands "
                                f"(--unit, eines von: {', '.join(lands) or 'keines'}).")
        elif level is None and unit_id:
            raise UserError(f"Die Rolle {r.label} hat keine Einheit (--unit weglassen).")
        if level is not None:
            if not unit_id:
                raise UserError(f"Die Rolle {r.label} braucht eine Einheit der Ebene {level} "
                                "(--unit).")
            units = store_units(self.settings.store) if units is None else units
            if unit_id not in units:
                raise UserError(f"Einheit {unit_id!r} gibt es im Datenbestand nicht (--unit).")
            if units[unit_id] != level:
                raise UserError(f"Einheit {unit_id!r} hat die Ebene {units[unit_id]}; die Rolle "
                                f"{r.label} braucht eine Einheit der Ebene {level} (--unit).")
        if needs_caseworker and not caseworker_id:
            raise UserError(f"Die Rolle {r.label} braucht eine Fallmanager-Kennung "
                            "(--caseworker).")
        if not needs_caseworker and caseworker_id:
            raise UserError(f"Die Rolle {r.label} hat keine Fallmanager-Kennung "
                            "(--caseworker weglassen).")
        if needs_caseworker:
            caseworkers = store_caseworkers(self.settings.store) if caseworkers is None \
                else caseworkers
            if caseworker_id not in caseworkers:
                raise UserError(f"Fallmanager-Kennung {caseworker_id!r} gibt es im Datenbestand "
                                "nicht (--caseworker).")
            if unit_id not in caseworkers[caseworker_id]:
                raise UserError(f"Fallmanager-Kennung {caseworker_id!r} betreut niemanden im "
                                f"Team {unit_id!r} (--unit, --caseworker).")
        if password is not None and len(password) < 12:
            raise UserError("Das Passwort muss mindestens 12 Zeichen haben.")
        password = password or generate_password()
        try:
            with self._lock, self._con:
                self._con.execute(
                    "INSERT INTO users (name, role, unit_id, caseworker_id, active, password_hash,"
                    " created_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
                    (name, role, unit_id, caseworker_id, self._hasher.hash(password), now_utc()))
        except sqlite3.IntegrityError:
            raise UserError(f"Benutzer {name!r} gibt es schon.") from None
        scope = f"user={name} role={role}" + (f" unit={unit_id}" if unit_id else "") \
            + (f" caseworker={caseworker_id}" if caseworker_id else "")
        self.audit.record(actor, "user.add", scope, "ok", address)
        return password

    def disable_user(self, name: str, actor: str = "system", address: str | None = None) -> None:
        with self._lock, self._con:
            cur = self._con.execute("UPDATE users SET active = 0 WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise UserError(f"Unbekannter Benutzer {name!r}.")
            self._con.execute("DELETE FROM sessions WHERE name = ?", (name,))
        self.audit.record(actor, "user.disable", f"user={name}", "ok", address)

    def enable_user(self, name: str, actor: str = "system", address: str | None = None) -> None:
        """Re-activate a disabled user (the password stays as it was)."""
        with self._lock, self._con:
            cur = self._con.execute("UPDATE users SET active = 1 WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise UserError(f"Unbekannter Benutzer {name!r}.")
        self.audit.record(actor, "user.enable", f"user={name}", "ok", address)

    def reset_password(self, name: str, actor: str = "system", address: str | None = None,
                       password: str | None = None) -> str:
        """Give ``name`` a new password (generated when none is given) and end the user's
        sessions; returns the password."""
        if password is not None and len(password) < 12:
            raise UserError("Das Passwort muss mindestens 12 Zeichen haben.")
        password = password or generate_password()
        with self._lock, self._con:
            cur = self._con.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                                    (self._hasher.hash(password), name))
            if cur.rowcount == 0:
                raise UserError(f"Unbekannter Benutzer {name!r}.")
            self._con.execute("DELETE FROM sessions WHERE name = ?", (name,))
        self.audit.record(actor, "user.password_reset", f"user={name}", "ok", address)
        return password

    def unlock(self, name: str, actor: str = "system", address: str | None = None) -> int:
        """Forgive all counted wrong passwords of ``name`` (lifts its login limits); returns
        how many."""
        if self.get(name) is None:
            raise UserError(f"Unbekannter Benutzer {name!r}.")
        with immediate(self._con, self._lock) as con:
            n = con.execute("UPDATE login_attempts SET failed = 0 WHERE name = ? AND failed = 1",
                            (name,)).rowcount
        self.audit.record(actor, "user.unlock", f"user={name} failures={n}", "ok", address)
        return n

    def login_failures(self) -> dict[str, int]:
        """Counted wrong passwords per user name (those that still count against a limit)."""
        since = time.time() - max(limit.window for limit in self.settings.login_limits)
        with self._lock:
            rows = self._con.execute("SELECT name, count(*) FROM login_attempts WHERE failed = 1 "
                                     "AND at > ? GROUP BY name", (since,)).fetchall()
        return dict(rows)

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

    def verify(self, name: str, password: str, address: str = "",
               device: str | None = None) -> User | None:
        """The active user with this password, else None. ``device``: the id of a known device
        of this user (its checks are counted per device and exempt from the account-wide and
        global limits). Raises :class:`LockedOut` while a limit is reached (even for the right
        password). Failures and refusals are audited here; the caller audits the login."""
        name = _key(name)
        client, known = (f"device:{device}", True) if device else (address, False)
        attempt = self._reserve(name, client, known, address)
        with self._lock:
            row = self._con.execute("SELECT password_hash, active FROM users WHERE name = ?",
                                    (name,)).fetchone()
            self.password_checks += 1
        try:
            with self._checking:  # bounds the memory and CPU that argon2 takes
                ok = self._hasher.verify(row[0] if row else self._dummy_hash, password) and \
                    row is not None and bool(row[1])
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:  # the reserved attempt stays a failure
            self.audit.record(name, "login", "wrong password or inactive user", "failed",
                              address)
            return None
        with immediate(self._con, self._lock) as con:
            con.execute("UPDATE login_attempts SET failed = 0 WHERE rowid = ? "
                        "OR (name = ? AND client = ?)", (attempt, name, client))
            if self._hasher.check_needs_rehash(row[0]):
                con.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                            (self._hasher.hash(password), name))
        return self.get(name)

    def _reserve(self, name: str, client: str, known: bool, address: str) -> int:
        """Count the earlier attempts against the limits and, if they allow one more, record
        this one as a failure (until it proves right), in one write transaction; its rowid.
        Else audit the refusal and raise :class:`LockedOut`."""
        now = time.time()
        limits = self.settings.login_limits
        with immediate(self._con, self._lock) as con:
            con.execute("DELETE FROM login_attempts WHERE at < ?",
                        (now - max(limit.window for limit in limits),))
            wait = max(self._wait(limit, name, client, now) for limit in limits
                       if limit.known_devices or not known)
            if wait <= 0:
                return con.execute("INSERT INTO login_attempts VALUES (?, ?, ?, ?, 1)",
                                   (name, client, int(known), now)).lastrowid
        seconds = math.ceil(wait)
        self.audit.record(name, "login", f"retry_after={seconds}", "denied", address)
        raise LockedOut(seconds)

    def _wait(self, limit: LoginLimit, name: str, client: str, now: float) -> float:
        values = {"name": name, "client": client}
        where = [f"{c} = ?" for c in limit.per] + ["at > ?"] \
            + (["failed = 1"] if limit.counts == "failures" else []) \
            + ([] if limit.known_devices else ["known = 0"])
        count, oldest, latest = self._con.execute(
            f"SELECT count(*), min(at), max(at) FROM login_attempts WHERE {' AND '.join(where)}",
            (*[values[c] for c in limit.per], now - limit.window)).fetchone()
        return limit.wait(count, oldest, latest, now)

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
