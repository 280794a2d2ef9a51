"""Alembic's entry point: run the migrations on the connection `proxy.db.migrate` opened (inside its
transaction, holding its lock)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `skillport db upgrade`, which opens the database")
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
