"""Caseworkers' decisions on early-warning scores (issue 15): one version per change, append-only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DEC = sa.Numeric(asdecimal=True).with_variant(sa.String(40), "sqlite")
#: the versioned-table shape of revision 0001 (id, columns, entity_key, version, who/when/why)
_versioned = import_module("amip.steering.migrations.versions.0001_versioned_entries")._versioned
NAME = "risk_decision_versions"


def upgrade() -> None:
    _versioned(NAME,
               sa.Column("person_id", sa.String(40), nullable=False),
               sa.Column("month", sa.String(7), nullable=False),
               sa.Column("target", sa.String(20), nullable=False),
               sa.Column("score", DEC, nullable=True),
               sa.Column("decision", sa.String(10), nullable=False),
               sa.Column("caseworker", sa.String(100), nullable=False))


def downgrade() -> None:
    op.drop_table(NAME)
