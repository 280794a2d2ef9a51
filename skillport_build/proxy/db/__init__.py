"""The proxy's database, one SQLAlchemy Core schema for SQLite and PostgreSQL.

schema      every table, in one place (names are stable: other parts and admins query them)
engine      a database URL or file path to an engine: SQLite's pragmas, PostgreSQL through psycopg 3
migrate     Alembic upgrades: on `serve` start or `skillport db upgrade`; a newer database is refused
notify      PostgreSQL LISTEN/NOTIFY, so every replica hears of a new catalog at once
migrations/ the Alembic scripts, shipped in the wheel
"""
