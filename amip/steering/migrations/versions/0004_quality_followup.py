"""The follow-up states of data-quality findings (issue 14): one version per change of a
flagged row's state (offen, in Klärung, erledigt), append-only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: the versioned-table shape of revision 0001 (id, columns, entity_key, version, who/when/why)
_versioned = import_module("amip.steering.migrations.versions.0001_versioned_entries")._versioned
NAME = "quality_followup_versions"


def upgrade() -> None:
    _versioned(NAME,
               sa.Column("jobcenter_id", sa.String(20), nullable=True),
               sa.Column("rule_id", sa.String(60), nullable=False),
               sa.Column("row_key", sa.String(300), nullable=False),
               sa.Column("unit_id", sa.String(40), nullable=True),
               sa.Column("state", sa.String(20), nullable=False),
               sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_table(NAME)
