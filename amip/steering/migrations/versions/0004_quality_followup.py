"""The follow-up states of data-quality findings (issue 14): one version per change of a
flagged row's state (offen, in Klärung, erledigt), append-only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NAME = "quality_followup_versions"


def upgrade() -> None:
    op.create_table(
        NAME,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("jobcenter_id", sa.String(20), nullable=True),
        sa.Column("rule_id", sa.String(60), nullable=False),
        sa.Column("row_key", sa.String(300), nullable=False),
        sa.Column("unit_id", sa.String(40), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("entity_key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("operation", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{NAME}"),
        sa.UniqueConstraint("entity_key", "version", name=f"uq_{NAME}_entity_key"),
    )
    op.create_index(f"ix_{NAME}_entity_key", NAME, ["entity_key"])


def downgrade() -> None:
    op.drop_table(NAME)
