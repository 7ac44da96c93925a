"""Versioned entries: user-defined measures and their monthly values, targets, plan rounds and
team plans (append-only; one row per version).

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DEC = sa.Numeric(asdecimal=True).with_variant(sa.String(40), "sqlite")
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
    _versioned("measure_versions",
               sa.Column("measure_id", sa.String(60), nullable=False),
               sa.Column("name", sa.Text(), nullable=False),
               sa.Column("kind", sa.String(10), nullable=False),
               sa.Column("unit", sa.String(10), nullable=False),
               sa.Column("direction", sa.String(10), nullable=False),
               sa.Column("source", sa.String(60), nullable=False),
               sa.Column("scope", sa.String(20), nullable=False))
    _versioned("measure_value_versions",
               sa.Column("measure", sa.String(60), nullable=False),
               sa.Column("jobcenter_id", sa.String(20), nullable=False),
               sa.Column("unit_id", sa.String(40), nullable=True),
               sa.Column("month", sa.String(7), nullable=False),
               sa.Column("value", DEC, nullable=True))
    _versioned("target_versions",
               sa.Column("jobcenter_id", sa.String(20), nullable=False),
               sa.Column("unit_id", sa.String(40), nullable=True),
               sa.Column("year", sa.Integer(), nullable=False),
               sa.Column("measure", sa.String(60), nullable=False),
               sa.Column("sex", sa.String(3), nullable=False),
               sa.Column("value", DEC, nullable=True),
               sa.Column("status", sa.String(20), nullable=False),
               sa.Column("source", sa.Text(), nullable=True),
               sa.Column("note", sa.Text(), nullable=True))
    _versioned("plan_round_versions",
               sa.Column("jobcenter_id", sa.String(20), nullable=False),
               sa.Column("year", sa.Integer(), nullable=False),
               sa.Column("measure", sa.String(60), nullable=False),
               sa.Column("key", sa.String(10), nullable=False),
               sa.Column("state", sa.String(12), nullable=False))
    _versioned("plan_versions",
               sa.Column("jobcenter_id", sa.String(20), nullable=False),
               sa.Column("unit_id", sa.String(40), nullable=False),
               sa.Column("year", sa.Integer(), nullable=False),
               sa.Column("measure", sa.String(60), nullable=False),
               sa.Column("value", DEC, nullable=False),
               sa.Column("accepted", DEC, nullable=True))


def downgrade() -> None:
    for name in ("plan_versions", "plan_round_versions", "target_versions",
                 "measure_value_versions", "measure_versions"):
        op.drop_table(name)
