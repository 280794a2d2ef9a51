"""PostgreSQL LISTEN/NOTIFY between replicas: the one that takes a publish notice announces it on
CATALOG_CHANNEL, and every replica's listener (one connection each) wakes its catalog refresh.
SQLite has no such channel: there the other workers find the catalog at their next poll."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

CATALOG_CHANNEL = "skillport_catalog"
LOG = logging.getLogger("skillport.serve")


def announce(engine: Engine, channel: str = CATALOG_CHANNEL) -> None:
    """Tell every listening replica (a no-op on SQLite)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": channel})


class Listener:
    """A thread holding one LISTEN connection; `heard` is called on every notification, and once
    after each reconnection (a notice may have been missed while the connection was down)."""

    def __init__(self, engine: Engine, heard: Callable[[], None], channel: str = CATALOG_CHANNEL) -> None:
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.heard, self.channel = heard, channel
        self.listening = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="skillport-listen", daemon=True)

    def start(self) -> None:
        """Start listening in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop within a second."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg  # only a PostgreSQL replica listens; SQLite installs never pay for it

        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                self.listening.clear()
                LOG.warning("catalog notifications lost the database (%s); polling until it is back", exc)
                self._stop.wait(5.0)

    def _listen(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.listening.set()
            self.heard()
            while not self._stop.is_set():
                for _ in connection.notifies(timeout=1.0):
                    self.heard()
