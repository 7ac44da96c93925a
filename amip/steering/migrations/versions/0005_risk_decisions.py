"""Caseworkers' decisions on early-warning scores (issue 15): one version per change, append-only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DEC = sa.Numeric(asdecimal=True).with_variant(sa.String(40), "sqlite")
UTC = sa.DateTime(timezone=True)
NAME = "risk_decision_versions"


def upgrade() -> None:
    op.create_table(
        NAME,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(40), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("target", sa.String(20), nullable=False),
        sa.Column("score", DEC, nullable=True),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("caseworker", sa.String(100), nullable=False),
        sa.Column("entity_key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("operation", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{NAME}"),
        sa.UniqueConstraint("entity_key", "version", name=f"uq_{NAME}_entity_key"),
    )
    op.create_index(f"ix_{NAME}_entity_key", NAME, ["entity_key"])


def downgrade() -> None:
    op.drop_table(NAME)
