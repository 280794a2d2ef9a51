"""Run the proxy: open the store, the keys and the state, then serve with uvicorn."""

from __future__ import annotations

import logging
import ssl
import sys
from typing import Any

import uvicorn

from skillport_build.errors import UsageError
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


def tls_options(config: ServeConfig) -> dict[str, Any]:
    """uvicorn's https settings, after loading the pair once here: a missing file, a key that is not
    the certificate's, or a passphrase-protected key is a message before anything listens, not a
    traceback from inside uvicorn."""
    if config.tls_cert is None or config.tls_key is None:
        return {}
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key, password=_no_passphrase)
    except OSError as exc:
        raise UsageError(
            f"cannot read the https certificate {config.tls_cert} or its key {config.tls_key}: "
            f"{exc.strerror or exc}; give PEM files (--tls-cert, --tls-key) the proxy may read, the key "
            "unencrypted and belonging to the certificate"
        ) from exc
    return {"ssl_certfile": str(config.tls_cert), "ssl_keyfile": str(config.tls_key)}


def _no_passphrase() -> str:
    """Refuse a passphrase prompt: the proxy runs unattended."""
    raise OSError("the private key is encrypted; the proxy needs it unencrypted (readable by it alone)")


def serve(config: ServeConfig) -> None:
    """Serve until interrupted. The access log is off: URLs can carry signed links."""
    tls = tls_options(config)
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
            **tls,
        )
    finally:
        state.close()
