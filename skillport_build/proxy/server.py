"""Run the proxy: open the store, the keys and the state, then serve with uvicorn; with
`workers` > 1, uvicorn starts that many processes, each building the app through `worker_app`
from the settings this process wrote for them."""

from __future__ import annotations

import logging
import os
import ssl
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

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


WORKER_SETTINGS = "SKILLPORT_WORKER_SETTINGS"  # the file a worker reads its settings from


def build_app(config: ServeConfig) -> Starlette:
    """The app with its real collaborators; the schema is upgraded (or checked) on opening."""
    keys = load_public_keys(config.keys)
    store = open_store(config.store)
    state = State(config.db, upgrade_schema=config.db_upgrade)
    return create_app(config, store, keys, state)


def _worker_config() -> ServeConfig:
    path = os.environ.get(WORKER_SETTINGS)
    if not path:
        raise RuntimeError(f"{WORKER_SETTINGS} is not set: start workers with `skillport serve --workers N`")
    return ServeConfig.model_validate_json(Path(path).read_text("utf-8"))


def worker_app() -> Starlette:
    """The app factory uvicorn's worker processes call (`--workers N`)."""
    configure_logging()
    return build_app(_worker_config())


def __getattr__(name: str) -> Any:
    """`worker_protocol`: the HTTP protocol with this worker's header limits (uvicorn imports it by
    name in each worker; the class made from the settings cannot be sent to a new process)."""
    if name == "worker_protocol":
        config = _worker_config()
        return header_deadline(config.header_timeout, config.max_header_bytes)
    raise AttributeError(name)


def serve(config: ServeConfig) -> None:
    """Serve until interrupted. The access log is off: URLs can carry signed links."""
    tls = tls_options(config)
    configure_logging()
    if config.workers == 1:
        app = build_app(config)
        try:
            _run(
                app, config, {**tls, "http": header_deadline(config.header_timeout, config.max_header_bytes)}
            )
        finally:
            app.state.proxy.state.close()
        return
    load_public_keys(config.keys)  # a bad key or store is a message here, not N tracebacks in workers
    open_store(config.store)
    State(config.db, upgrade_schema=config.db_upgrade).close()  # upgraded once, before any worker
    with tempfile.TemporaryDirectory(prefix="skillport-serve-") as folder:
        settings = Path(folder) / "settings.json"
        settings.touch(mode=0o600)  # it holds the secrets: readable by this user alone
        settings.write_text(config.model_dump_json(), "utf-8")
        os.environ[WORKER_SETTINGS] = str(settings)
        _run(
            "skillport_build.proxy.server:worker_app",
            config,
            {**tls, "factory": True, "workers": config.workers},
        )


def _run(app: Starlette | str, config: ServeConfig, options: dict[str, Any]) -> None:
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        access_log=False,
        server_header=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=config.max_header_bytes,
        limit_concurrency=config.max_connections,
        **options,
    )
