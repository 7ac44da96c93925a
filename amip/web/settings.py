"""Settings of the web app, from arguments or environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Settings:
    store: str = field(default_factory=lambda: os.environ.get("AMIP_STORE", "amip.duckdb"))
    #: PostgreSQL URL; when set, the measures are read from the published schema instead
    postgres_url: str | None = field(default_factory=lambda: os.environ.get("AMIP_PG_URL"))
    postgres_schema: str = "amip"
    #: users, sessions and the audit trail (SQLite, beside the store by default)
    users_db: str = ""
    #: signs session cookies; generated per start when not given (sessions end on restart)
    secret_key: str = field(default_factory=lambda: os.environ.get("AMIP_SECRET_KEY")
                            or secrets.token_urlsafe(32))
    #: cookies only over HTTPS (set False only for local development/tests on http://127.0.0.1)
    secure_cookies: bool = True
    login_attempts: int = 5  # wrong passwords per user and address before a lockout
    lockout_seconds: int = 300

    def __post_init__(self) -> None:
        if not self.users_db:
            self.users_db = str(Path(self.store).with_suffix(".users.sqlite"))
