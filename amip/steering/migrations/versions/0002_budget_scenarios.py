"""Budget scenarios: named lists of plan-line changes per Jobcenter and year, versioned.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: the versioned-table shape of revision 0001 (id, columns, entity_key, version, who/when/why)
_versioned = import_module("amip.steering.migrations.versions.0001_versioned_entries")._versioned
NAME = "budget_scenario_versions"


def upgrade() -> None:
    _versioned(NAME,
               sa.Column("jobcenter_id", sa.String(20), nullable=False),
               sa.Column("year", sa.Integer(), nullable=False),
               sa.Column("name", sa.String(100), nullable=False),
               sa.Column("description", sa.Text(), nullable=True),
               sa.Column("changes", sa.Text(), nullable=False))


def downgrade() -> None:
    op.drop_table(NAME)
