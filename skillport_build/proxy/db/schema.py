"""Every table of the proxy's database. A change here needs a migration in migrations/versions/
(`skillport db upgrade` applies it); names are kept stable once released, since admin queries and
other parts of the proxy read these tables.

Times are what the code compares them with: UTC stamps like `2027-01-15T08:00:00Z` (TEXT) where a
person reads them, Unix seconds (DOUBLE) where only code does. Lists of groups are JSON arrays.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# A big integer on PostgreSQL; SQLite's rowid alias must be spelled INTEGER.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("hash", sa.Text, nullable=False, unique=True),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("groups", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("revoked", sa.Text),
    sa.Column("expires", sa.Text),  # NULL on tokens from before expiry: they live the maximum
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("actor", sa.Text),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("audit_at", "at"),
    sa.Index("audit_event", "event", "seq"),
    sa.Index("audit_actor", "actor", "seq"),
    sqlite_autoincrement=True,
)

secrets = sa.Table(
    "secrets",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

codes = sa.Table(
    "codes",
    metadata,
    sa.Column("hash", sa.Text, primary_key=True),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("groups", sa.Text, nullable=False),
    sa.Column("challenge", sa.Text, nullable=False),
    sa.Column("expires", sa.Double, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("hash", sa.Text, primary_key=True),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("expires", sa.Double, nullable=False),
)

people = sa.Table(
    "people",
    metadata,
    sa.Column("user", sa.Text, primary_key=True),
    sa.Column("groups", sa.Text, nullable=False),
    sa.Column("signed_in", sa.Text, nullable=False),
)

downloads = sa.Table(
    "downloads",
    metadata,
    sa.Column("skill", sa.Text, primary_key=True),
    sa.Column("version", sa.Text, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

oauth_clients = sa.Table(
    "oauth_clients",
    metadata,
    sa.Column("client_id", sa.Text, primary_key=True),
    sa.Column("info", sa.Text, nullable=False),
    sa.Column("created", sa.Double, nullable=False),
)

oauth_requests = sa.Table(
    "oauth_requests",
    metadata,
    sa.Column("hash", sa.Text, primary_key=True),
    sa.Column("client_id", sa.Text, nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("expires", sa.Double, nullable=False),
)

oauth_codes = sa.Table(
    "oauth_codes",
    metadata,
    sa.Column("hash", sa.Text, primary_key=True),
    sa.Column("client_id", sa.Text, nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("groups", sa.Text, nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("expires", sa.Double, nullable=False),
)

oauth_tokens = sa.Table(
    "oauth_tokens",
    metadata,
    sa.Column("hash", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("grant_id", sa.Text, nullable=False),
    sa.Column("client_id", sa.Text, nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("groups", sa.Text, nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("resource", sa.Text, nullable=False),
    sa.Column("expires", sa.Double, nullable=False),
    sa.Column("used", sa.Integer, nullable=False, server_default="0"),
    sa.Index("oauth_tokens_grant", "grant_id"),
)

oauth_grants = sa.Table(
    "oauth_grants",
    metadata,
    sa.Column("grant_id", sa.Text, primary_key=True),
    sa.Column("client_id", sa.Text, nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("groups", sa.Text, nullable=False),
    sa.Column("created", sa.Double, nullable=False),
    sa.Column("signed_in", sa.Double, nullable=False),
    sa.Column("ends", sa.Double, nullable=False),
    sa.Index("oauth_grants_user", "user"),
)

# One row per rate-limited caller, shared by every replica: the caller's "theoretical arrival time"
# (GCRA), which a request moves on by 1/rate unless it is more than burst/rate ahead of now.
rate_limits = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("tat", sa.Double, nullable=False),
)

# Publish notifications already taken (by their signature), so a replayed one is refused by every replica.
notices = sa.Table(
    "notices",
    metadata,
    sa.Column("signature", sa.Text, primary_key=True),
    sa.Column("at", sa.Double, nullable=False),
)

# The admin dashboard's roll-ups of the audit log (proxy/audit_queries.py folds events into them).
audit_daily = sa.Table(
    "audit_daily",
    metadata,
    sa.Column("day", sa.Text, primary_key=True),
    sa.Column("event", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("version", sa.Text, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Index("audit_daily_name", "event", "name", "day"),
    sa.Index("audit_daily_day", "event", "day", "name", "count"),
)

audit_active = sa.Table(
    "audit_active",
    metadata,
    sa.Column("day", sa.Text, primary_key=True),
    sa.Column("actor", sa.Text, primary_key=True),
)

audit_folded = sa.Table(
    "audit_folded",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
)

audit_skill = sa.Table(
    "audit_skill",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
)

audit_kinds = sa.Table(
    "audit_kinds",
    metadata,
    sa.Column("event", sa.Text, primary_key=True),
)
