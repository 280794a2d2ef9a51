"""The few statements SQLite and PostgreSQL spell differently, spelled once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def upsert(connection: sa.Connection, table: sa.Table) -> Any:
    """An INSERT with ON CONFLICT for the connection's database (both take the same arguments)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def least(a: Any, b: Any) -> sa.ColumnElement[Any]:
    """The smaller of two values (SQLite's two-argument MIN, PostgreSQL's LEAST)."""
    return sa.case((a < b, a), else_=b)


def greatest(a: Any, b: Any) -> sa.ColumnElement[Any]:
    """The larger of two values."""
    return sa.case((a > b, a), else_=b)
