"""The versioning under every steering table: append a version, read the latest (as of a
moment), refuse a stale change (optimistic versioning, §11 item 37)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amip import i18n
from amip.errors import ConfigurationError, DataError
from amip.steering import db
from amip.steering.models import (MeasureValueVersion, MeasureVersion, PlanRoundVersion,
                                  PlanVersion, TargetVersion, Versioned)
from amip.steering.rows import StaleChange

LABELS = {TargetVersion: "Der Zielwert", PlanVersion: "Der Plan",
          PlanRoundVersion: "Die Planungsrunde", MeasureVersion: "Die Messgröße",
          MeasureValueVersion: "Der Monatswert"}
YEARS = range(2000, 2100)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def moment(as_of: dt.datetime | dt.date | None) -> dt.datetime | None:
    """An as-of as a UTC moment: a date means the end of that day in German local time; a naive
    datetime counts as UTC."""
    if as_of is None:
        return None
    if isinstance(as_of, dt.datetime):
        return as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.timezone.utc)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), ZoneInfo(i18n.TIMEZONE))
    return (end - dt.timedelta(microseconds=1)).astimezone(dt.timezone.utc)


def _blank(text: str | None) -> str | None:
    return text.strip() or None if text is not None else None


def _raise(errors: Iterable[str | None]) -> None:
    errors = [e for e in errors if e]
    if errors:
        head = "Nichts geändert. " if len(errors) == 1 else \
            f"Nichts geändert, {len(errors)} Fehler:\n"
        raise DataError(head + "\n".join(errors) + ("." if len(errors) == 1 else ""))


class VersionedStore:
    """An open steering store and the version operations its parts share."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(write=True)

    @classmethod
    def open(cls, store: str | Path | None = None, url: str | None = None) -> Self:
        """Open (create, migrate) the steering store: ``url`` or ``$AMIP_STEERING``, else the
        SQLite file beside the extract store ``store``."""
        return cls(db.create(db.resolve_url(store, url)))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- versions ------------------------------------------------------------------------------

    def _read(self) -> Session:
        return Session(self.engine)

    def _write(self, work: Callable[[Session], object], what: str = "Eintrag"):
        """Run ``work`` in one write transaction; a concurrent version wins, this one is stale."""
        try:
            with Session(self._writer) as s, s.begin():
                return work(s)
        except IntegrityError:
            raise StaleChange(f"{what} wurde gleichzeitig von jemand anderem geändert; "
                              "bitte neu laden und erneut versuchen.") from None

    @staticmethod
    def _current(model, s: Session, where=(), as_of=None):
        """The latest version of each entity (as of a moment), withdrawn ones included."""
        sub = select(model.entity_key, func.max(model.version).label("v")).where(*where)
        if as_of is not None:
            sub = sub.where(model.recorded_at <= as_of)
        sub = sub.group_by(model.entity_key).subquery()
        return s.scalars(select(model).join(sub, and_(model.entity_key == sub.c.entity_key,
                                                      model.version == sub.c.v))).all()

    @staticmethod
    def _latest(model, s: Session, key: str, as_of=None):
        q = select(model).where(model.entity_key == key)
        if as_of is not None:
            q = q.where(model.recorded_at <= as_of)
        return s.scalars(q.order_by(model.version.desc()).limit(1)).first()

    @staticmethod
    def _check_version(model, current: Versioned | None, expected: int | None) -> None:
        have = current.version if current is not None else 0
        if (expected or 0) == have:
            return
        label = LABELS[model]
        if current is None:
            raise StaleChange(f"{label} existiert nicht (mehr); bitte neu laden.")
        verb = "angelegt" if current.operation == "create" else (
            "zurückgezogen" if current.operation == "withdraw" else "geändert")
        raise StaleChange(f"{label} wurde inzwischen von {current.recorded_by} am "
                          f"{i18n.local_time(current.recorded_at)} {verb}; bitte neu laden.")

    @staticmethod
    def _append(model, s: Session, ekey: str, current, actor: str, reason: str | None,
                operation: str | None = None, **fields):
        if not actor or not actor.strip():
            raise ConfigurationError("Wer ändert? Ein Benutzername fehlt (--user).")
        if operation is None:
            operation = "create" if current is None or current.operation == "withdraw" \
                else "change"
        row = model(entity_key=ekey, version=(current.version if current else 0) + 1,
                    recorded_at=_now(), recorded_by=actor.strip(), reason=_blank(reason),
                    operation=operation, **fields)
        s.add(row)
        s.flush()
        return row
