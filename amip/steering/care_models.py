"""The steering store's tables of the Intensivbetreuung (issue 14): enrolments and the
counselling contacts recorded for them, one append-only row per version (like every steering
table, :class:`amip.steering.models.Versioned`). Migration ``0003_care``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from amip.steering.models import Base, Versioned


class CareEnrolmentVersion(Versioned, Base):
    """An enrolment of a person into Intensivbetreuung (key: jobcenter, person, start month)."""
    __tablename__ = "care_enrolment_versions"
    jobcenter_id: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[str] = mapped_column(String(60))
    caseworker_id: Mapped[str] = mapped_column(String(60))
    unit_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    start_month: Mapped[str] = mapped_column(String(7))
    start_on: Mapped[dt.date] = mapped_column(Date)
    planned_end: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10))  # enrolled | ended
    end_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    ended_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class CareContactVersion(Versioned, Base):
    """A counselling contact recorded in amip (the extract's ``contacts`` come on top)."""
    __tablename__ = "care_contact_versions"
    jobcenter_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    person_id: Mapped[str] = mapped_column(String(60))
    caseworker_id: Mapped[str] = mapped_column(String(60))
    contact_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
