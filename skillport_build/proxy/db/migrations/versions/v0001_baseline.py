"""The schema of the last release before migrations: created where missing, so a database that
release wrote is taken over as it stands (its tokens from before expiry gain the `expires` column).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=nullable)


def _seconds(name: str) -> sa.Column[float]:
    return sa.Column(name, sa.Double, nullable=False)


TABLES: dict[str, list[Any]] = {
    "tokens": [
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("hash", sa.Text, nullable=False, unique=True),
        *(_text(c) for c in ("user", "groups", "name", "created")),
        _text("revoked", nullable=True),
        _text("expires", nullable=True),
    ],
    "audit": [
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        *(_text(c) for c in ("at", "event")),
        _text("actor", nullable=True),
        _text("detail"),
    ],
    "secrets": [sa.Column("name", sa.Text, primary_key=True), _text("value")],
    "codes": [
        sa.Column("hash", sa.Text, primary_key=True),
        *(_text(c) for c in ("user", "groups", "challenge")),
        _seconds("expires"),
    ],
    "sessions": [sa.Column("hash", sa.Text, primary_key=True), _text("user"), _seconds("expires")],
    "people": [sa.Column("user", sa.Text, primary_key=True), _text("groups"), _text("signed_in")],
    "downloads": [
        sa.Column("skill", sa.Text, primary_key=True),
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    ],
    "oauth_clients": [sa.Column("client_id", sa.Text, primary_key=True), _text("info"), _seconds("created")],
    "oauth_requests": [
        sa.Column("hash", sa.Text, primary_key=True),
        *(_text(c) for c in ("client_id", "params")),
        _seconds("expires"),
    ],
    "oauth_codes": [
        sa.Column("hash", sa.Text, primary_key=True),
        *(_text(c) for c in ("client_id", "user", "groups", "params")),
        _seconds("expires"),
    ],
    "oauth_tokens": [
        sa.Column("hash", sa.Text, primary_key=True),
        *(_text(c) for c in ("kind", "grant_id", "client_id", "user", "groups", "scopes", "resource")),
        _seconds("expires"),
        sa.Column("used", sa.Integer, nullable=False, server_default="0"),
    ],
    "oauth_grants": [
        sa.Column("grant_id", sa.Text, primary_key=True),
        *(_text(c) for c in ("client_id", "user", "groups")),
        *(_seconds(c) for c in ("created", "signed_in", "ends")),
    ],
}
INDEXES = {"oauth_tokens_grant": ("oauth_tokens", "grant_id"), "oauth_grants_user": ("oauth_grants", "user")}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for name, columns in TABLES.items():
        if name not in existing:
            options = {"sqlite_autoincrement": True} if name == "audit" else {}
            op.create_table(name, *columns, **options)
    if "tokens" in existing and "expires" not in {c["name"] for c in inspector.get_columns("tokens")}:
        op.add_column("tokens", sa.Column("expires", sa.Text, nullable=True))
    for index, (table, column) in INDEXES.items():
        if table not in existing or index not in {i["name"] for i in inspector.get_indexes(table)}:
            op.create_index(index, table, [column])
