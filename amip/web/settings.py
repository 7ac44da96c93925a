"""Settings of the web app, from arguments or environment variables.

The limits of password checks and of audit rows are declared here as small objects
(:class:`LoginLimit`, :class:`AuditLimit`) that :mod:`amip.web.users` and :mod:`amip.web.audit`
read; the secret key that signs the cookies is generated once and kept beside the users database
(:func:`secret_key_of`), so sessions survive a restart.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from amip.files import private, private_dir

KEY_COLUMNS = ("name", "client")  # what a login limit may count per (see users.login_attempts)
AUDIT_FIELDS = ("actor", "action", "outcome", "address")


@dataclass(frozen=True)
class LoginLimit:
    """At most ``attempts`` password checks that failed (or are under way) per value of the
    columns ``per`` within ``window`` seconds (``counts="checks"``: all checks). Beyond that a
    check waits until the oldest has left the window, or, with a ``delay``, ``delay`` seconds
    after the latest one, doubled with every further failure (at most ``window``).
    ``known_devices=False``: a known device (cookie of an earlier login) is exempt, and its checks
    are not counted here."""
    per: tuple[str, ...]
    attempts: int
    window: int
    counts: str = "failures"
    delay: int = 0
    known_devices: bool = True

    def __post_init__(self) -> None:
        if not set(self.per) <= set(KEY_COLUMNS) or self.counts not in ("failures", "checks"):
            raise ValueError(f"invalid login limit {self}")

    def wait(self, count: int, oldest: float | None, latest: float | None, now: float) -> float:
        """Seconds until the next check is allowed, given ``count`` counted checks in the
        window (the oldest and the latest at these times); 0 or less: allowed now."""
        if count < self.attempts:
            return 0.0
        if self.delay:
            return latest + min(self.window, self.delay * 2 ** min(count - self.attempts, 20)) - now
        return oldest + self.window - now


@dataclass(frozen=True)
class AuditLimit:
    """At most ``rows`` audit rows of failed or denied events per value of the fields ``per``
    within ``window`` seconds; further ones are counted and written as one summary row."""
    per: tuple[str, ...]
    rows: int
    window: int = 60

    def __post_init__(self) -> None:
        if not set(self.per) <= set(AUDIT_FIELDS):
            raise ValueError(f"invalid audit limit {self}")


@dataclass
class Settings:
    store: str = field(default_factory=lambda: os.environ.get("AMIP_STORE", "amip.duckdb"))
    #: PostgreSQL URL; when set, the measures are read from the published schema instead
    postgres_url: str | None = field(default_factory=lambda: os.environ.get("AMIP_PG_URL"))
    postgres_schema: str = "amip"
    #: the steering store (targets, plans): SQLAlchemy URL; default the SQLite file beside the
    #: store (``amip.steering.sqlite``)
    steering_url: str | None = field(default_factory=lambda: os.environ.get("AMIP_STEERING"))
    #: users, sessions and the audit trail (SQLite, beside the store by default)
    users_db: str = ""
    #: signs the cookies; by default generated once and kept in ``<users db>.key`` (mode 0600)
    secret_key: str = field(default_factory=lambda: os.environ.get("AMIP_SECRET_KEY", ""))
    #: cookies only over HTTPS (set False only for local development/tests on http://127.0.0.1)
    secure_cookies: bool = True
    #: addresses or networks (CIDR) of TLS proxies whose X-Forwarded-For/-Proto are believed
    trusted_proxies: list[str] = field(default_factory=lambda: os.environ.get(
        "AMIP_TRUSTED_PROXIES", "").replace(",", " ").split())
    #: helper processes for uncached computations (:mod:`amip.store.remote`; DuckDB store
    #: only); 0: in the server process. ``amip serve`` starts one per core but one.
    query_processes: int = 0
    login_attempts: int = 5  # wrong passwords per user and address (or known device) ...
    lockout_seconds: int = 300  # ... within this time, then a lockout until it has passed
    account_attempts: int = 10  # wrong passwords per user from all unknown devices per hour, ...
    account_delay: int = 30  # ... then each further check waits this long, doubling per failure
    login_checks_per_minute: int = 300  # password checks from unknown devices, all users
    login_checks_at_once: int = 4  # argon2 checks running at the same time (64 MiB each)
    audit_limits: tuple[AuditLimit, ...] = (
        AuditLimit(AUDIT_FIELDS, rows=10),  # per user, action, outcome and address
        AuditLimit(("action", "outcome"), rows=200),  # e.g. failed logins under changing names
    )

    def __post_init__(self) -> None:
        if not self.users_db:
            self.users_db = str(Path(self.store).with_suffix(".users.sqlite"))
        self.trusted_proxies = [network(p) for p in self.trusted_proxies]
        if not self.secret_key:
            self.secret_key = secret_key_of(Path(self.users_db).with_suffix(".key"))

    @property
    def login_limits(self) -> tuple[LoginLimit, ...]:
        return (
            LoginLimit(("name", "client"), self.login_attempts, self.lockout_seconds),
            LoginLimit(("name",), self.account_attempts, 3600, delay=self.account_delay,
                       known_devices=False),
            LoginLimit((), self.login_checks_per_minute, 60, counts="checks",
                       known_devices=False),
        )


def network(text: str) -> str:
    """``10.0.0.1`` or ``10.0.0.0/8`` as a normalised network; ValueError (German) else."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise ValueError(f"Vertrauenswürdiger Proxy {text!r} ist keine IP-Adresse und kein "
                         "Netz (z. B. 10.0.0.5 oder 10.0.0.0/24).") from None


def secret_key_of(path: Path) -> str:
    """The key in ``path``; generated and written (0600) on first use. Concurrent first starts
    agree on one key: it is written to a temporary file and linked into place."""
    if not path.exists():
        private_dir(path.parent)
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "x", encoding="ascii", opener=private) as f:
                f.write(secrets.token_urlsafe(32))
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"Schlüsseldatei {path} ist leer oder zu kurz (mindestens 32 Zeichen); "
                         "löschen, damit amip einen neuen Schlüssel erzeugt.")
    return key
