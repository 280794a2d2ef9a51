"""Replicas: shared rate limits and taken publish notices; indexes for a paged, filtered audit.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("audit_at", "audit", ["at"])
    op.create_index("audit_event", "audit", ["event", "seq"])
    op.create_index("audit_actor", "audit", ["actor", "seq"])
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("tat", sa.Double, nullable=False),
    )
    op.create_table(
        "notices",
        sa.Column("signature", sa.Text, primary_key=True),
        sa.Column("at", sa.Double, nullable=False),
    )
