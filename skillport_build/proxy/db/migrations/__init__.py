"""Alembic's scripts for the proxy's database (run through `proxy.db.migrate`)."""
