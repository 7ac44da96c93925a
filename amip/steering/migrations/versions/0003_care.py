"""Intensivbetreuung: enrolments and recorded counselling contacts (append-only; one row per
version).

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def _versioned(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        *columns,
        sa.Column("entity_key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("operation", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.UniqueConstraint("entity_key", "version", name=f"uq_{name}_entity_key"),
    )
    op.create_index(f"ix_{name}_entity_key", name, ["entity_key"])


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
