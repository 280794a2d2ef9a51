"""The admin dashboard: daily roll-ups of the audit log, who was active each day, which events
name which skill, the kinds of event, and how far the fold got.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_daily",
        sa.Column("day", sa.Text, primary_key=True),
        sa.Column("event", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_index("audit_daily_name", "audit_daily", ["event", "name", "day"])
    op.create_index("audit_daily_day", "audit_daily", ["event", "day", "name", "count"])
    op.create_table(
        "audit_active",
        sa.Column("day", sa.Text, primary_key=True),
        sa.Column("actor", sa.Text, primary_key=True),
    )
    op.create_table(
        "audit_folded",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "audit_skill",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
    )
    op.create_table("audit_kinds", sa.Column("event", sa.Text, primary_key=True))


def downgrade() -> None:
    for table in ("audit_kinds", "audit_skill", "audit_folded", "audit_active", "audit_daily"):
        op.drop_table(table)
