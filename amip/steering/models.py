"""The steering store's tables: one append-only table of versions per kind of entry.

Every row is one version of one entity (``entity_key`` + ``version``, unique): nothing is updated
or deleted. The current state of an entity is its latest version; the state on a day is its
latest version recorded by then (domain reference §11 item 37). The unique key is what makes
optimistic versioning safe: two writers that both build version n+1 cannot both commit it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import DateTime, Integer, MetaData, Numeric, String, Text, TypeDecorator, \
    UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "pk": "pk_%(table_name)s"}


class Dec(TypeDecorator):
    """An exact decimal: NUMERIC on PostgreSQL, its text on SQLite (which has no decimal type
    and would round through a float)."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(str(value))


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime (SQLite keeps no zone: stored naive in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None \
            else value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Versioned:
    """Who, when, why and what of one version of one entity."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity_key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    operation: Mapped[str] = mapped_column(String(10))  # create | change | withdraw

    @declared_attr.directive
    def __table_args__(cls):
        return (UniqueConstraint("entity_key", "version"),)


class MeasureVersion(Versioned, Base):
    """A user-defined measure (checked with amip.catalogue.targets.measure_from_row)."""
    __tablename__ = "measure_versions"
    measure_id: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))
    unit: Mapped[str] = mapped_column(String(10))
    direction: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(20))


class MeasureValueVersion(Versioned, Base):
    """An entered monthly value of a measure (``month`` = ``YYYY-MM``)."""
    __tablename__ = "measure_value_versions"
    measure: Mapped[str] = mapped_column(String(60))
    jobcenter_id: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    month: Mapped[str] = mapped_column(String(7))
    value: Mapped[Decimal | None] = mapped_column(Dec(), nullable=True)


class TargetVersion(Versioned, Base):
    """A target (domain reference §11 item 31)."""
    __tablename__ = "target_versions"
    jobcenter_id: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    year: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(60))
    sex: Mapped[str] = mapped_column(String(3))
    value: Mapped[Decimal | None] = mapped_column(Dec(), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class PlanRoundVersion(Versioned, Base):
    """A planning round of a Jobcenter, year and measure (§11 item 36): key and state."""
    __tablename__ = "plan_round_versions"
    jobcenter_id: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(10))     # elb | marktnah | equal | manual
    state: Mapped[str] = mapped_column(String(12))   # offen | vereinbart


class PlanVersion(Versioned, Base):
    """A team's plan value and, once a round is agreed, its accepted share of the gap."""
    __tablename__ = "plan_versions"
    jobcenter_id: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(60))
    value: Mapped[Decimal] = mapped_column(Dec())
    accepted: Mapped[Decimal | None] = mapped_column(Dec(), nullable=True)


class BudgetScenarioVersion(Versioned, Base):
    """A named budget scenario of a Jobcenter and year (issue 13 item 4): its plan-line changes
    as JSON text (:mod:`amip.engine.scenario_changes`)."""
    __tablename__ = "budget_scenario_versions"
    jobcenter_id: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    changes: Mapped[str] = mapped_column(Text)
