"""Intensivbetreuung: enrolments and recorded counselling contacts (append-only; one row per
version).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: the versioned-table shape of revision 0001 (id, columns, entity_key, version, who/when/why)
_versioned = import_module("amip.steering.migrations.versions.0001_versioned_entries")._versioned


def upgrade() -> None:
    _versioned("care_enrolment_versions",
               sa.Column("jobcenter_id", sa.String(20), nullable=False),
               sa.Column("person_id", sa.String(60), nullable=False),
               sa.Column("caseworker_id", sa.String(60), nullable=False),
               sa.Column("unit_id", sa.String(40), nullable=True),
               sa.Column("start_month", sa.String(7), nullable=False),
               sa.Column("start_on", sa.Date(), nullable=False),
               sa.Column("planned_end", sa.Date(), nullable=False),
               sa.Column("state", sa.String(10), nullable=False),
               sa.Column("end_reason", sa.Text(), nullable=True),
               sa.Column("ended_on", sa.Date(), nullable=True))
    _versioned("care_contact_versions",
               sa.Column("jobcenter_id", sa.String(20), nullable=True),
               sa.Column("person_id", sa.String(60), nullable=False),
               sa.Column("caseworker_id", sa.String(60), nullable=False),
               sa.Column("contact_on", sa.Date(), nullable=False),
               sa.Column("kind", sa.String(30), nullable=False),
               sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_table("care_contact_versions")
    op.drop_table("care_enrolment_versions")
