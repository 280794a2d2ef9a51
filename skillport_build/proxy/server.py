"""Run the proxy: open the store, the keys and the state, then serve with uvicorn."""

from __future__ import annotations

import logging
import sys

import uvicorn

from skillport_build.proxy.app import create_app
from skillport_build.proxy.config import ServeConfig
from skillport_build.proxy.connections import header_deadline
from skillport_build.proxy.state import State
from skillport_build.stores import open_store
from skillport_build.trust.keys import load_public_keys


def configure_logging() -> None:
    """Service messages and audit lines (one JSON object each) on stderr; other libraries' warnings."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("skillport.audit", "skillport.serve"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False


def serve(config: ServeConfig) -> None:
    """Serve until interrupted. The access log is off: URLs can carry signed links."""
    keys = load_public_keys(config.keys)
    store = open_store(config.store)
    state = State(config.db)
    configure_logging()
    app = create_app(config, store, keys, state)
    try:
        uvicorn.run(
            app,
            host=config.host,
            port=config.port,
            access_log=False,
            server_header=False,
            log_level="warning",
            timeout_graceful_shutdown=5,
            http=header_deadline(config.header_timeout, config.max_header_bytes),
            h11_max_incomplete_event_size=config.max_header_bytes,
            limit_concurrency=config.max_connections,
        )
    finally:
        state.close()
