"""`skillport serve` and the admin commands that work on its state: `tokens`, `audit`, `db`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from skillport_build.cli.common import EXIT_FAILED, EXIT_OK, Group
from skillport_build.errors import NotFound, UsageError
from skillport_build.proxy.config import ENV_PREFIX, ServeConfig, load_config
from skillport_build.proxy.db.migrate import Revision, database_revision, upgrade_database
from skillport_build.proxy.state import TOKEN_PREFIX, State

config_file = click.Path(exists=True, dir_okay=False, path_type=Path)
DB_HELP = "SQLite file or postgresql+psycopg://user@host/name"


@click.command()
@click.option("--config", "config_path", type=config_file, help="YAML settings file (see docs/proxy.md).")
@click.option("--store", help="Store URL to serve [SKILLPORT_STORE].")
@click.option(
    "--key",
    "keys",
    type=click.Path(exists=True, dir_okay=False),
    multiple=True,
    help="Trusted public key (repeatable) [SKILLPORT_KEYS].",
)
@click.option("--db", help=f"State database: {DB_HELP} [SKILLPORT_DB] (default: next to the config).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Worker processes on this host [SKILLPORT_WORKERS] (default 1).",
)
@click.option("--host", help="Address to bind [SKILLPORT_HOST] (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to bind [SKILLPORT_PORT] (default 8000).")
@click.option("--public-url", help="The URL people reach the proxy at [SKILLPORT_PUBLIC_URL].")
@click.option("--dev", is_flag=True, default=None, help="Sign in by name, for trying it out; loopback only.")
@click.option(
    "--tls-cert",
    type=click.Path(dir_okay=False),
    help="Serve https: PEM certificate chain [SKILLPORT_TLS_CERT].",
)
@click.option(
    "--tls-key", type=click.Path(dir_okay=False), help="Its PEM private key, unencrypted [SKILLPORT_TLS_KEY]."
)
@click.option(
    "--cli-wheel",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The skillport wheel to serve at /cli/ [SKILLPORT_CLI_WHEEL] (default: the running code).",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Check the settings, store, catalog signature, sign-in and public URL, one line each; do not serve.",
)
@click.option(
    "--audit-days",
    type=click.IntRange(min=1),
    help="Keep audit events this many days, pruning older ones hourly [SKILLPORT_AUDIT_DAYS] (default: all).",
)
def serve(
    config_path: Path | None,
    store: str | None,
    keys: tuple[str, ...],
    db: str | None,
    workers: int | None,
    host: str | None,
    port: int | None,
    public_url: str | None,
    dev: bool | None,
    tls_cert: str | None,
    tls_key: str | None,
    cli_wheel: Path | None,
    check_only: bool,
    audit_days: int | None,
) -> int:
    """Serve the store's signed catalog: website, API, downloads and the Claude Code marketplace.

    With --check, check the deployment instead and exit 1 if any check fails.
    """

    overrides = {
        "store": store,
        "keys": keys,
        "db": db,
        "workers": workers,
        "host": host,
        "port": port,
        "public_url": public_url,
        "dev": dev,
        "tls_cert": tls_cert,
        "tls_key": tls_key,
        "cli_wheel": cli_wheel,
        "audit_days": audit_days,
    }
    config = load_config(config_path, overrides=overrides)
    if check_only:
        return check(config, config_path)
    from skillport_build.proxy.server import serve as run  # uvicorn only when serving

    click.echo(f"skillport serve: {config.base_url} (store {config.store})", err=True)
    run(config)
    return EXIT_OK


def check(config: ServeConfig, config_path: Path | None) -> int:
    """`serve --check`: one line per check; 1 when any fails."""
    import httpx

    from skillport_build.proxy.check import run_checks

    with httpx.Client() as http:
        checks = run_checks(config, config_path, datetime.now(UTC), http)
    for item in checks:
        click.echo(f"{'✓' if item.ok else '✗'} {item.name}: {item.detail}")
    return EXIT_OK if all(item.ok for item in checks) else EXIT_FAILED


def _database(
    db: str | None, config_path: Path | None, create: bool = False
) -> tuple[str, ServeConfig | None]:
    """The state database: --db, else the config file's `db` (or the file next to it), else
    $SKILLPORT_DB; and the config, when one was given."""
    config = None
    if config_path is not None:
        config = load_config(
            config_path, overrides={"store": "-", "keys": ("-",), "dev": True, "host": "127.0.0.1"}
        )
        db = db or config.db
    if db is None:
        db = os.environ.get(f"{ENV_PREFIX}DB", "skillport.db")
    if not create and "://" not in db and not Path(db).exists():
        raise NotFound(f"{db}: no such state database; give --db (the database `skillport serve` uses)")
    return db, config


def _open_state(db: str | None, config_path: Path | None, create: bool = False) -> State:
    """The state database (see `_database`), upgraded unless the config says not to, with the
    config's token lives, so a token made here obeys the proxy's maximum."""
    url, config = _database(db, config_path, create)
    state = State(url, upgrade_schema=config is None or config.db_upgrade)
    if config is not None:
        state.limit_tokens(config.token_days, config.token_max_days)
    return state


state_options = [
    click.option("--db", help=f"The state database: {DB_HELP} [SKILLPORT_DB]."),
    click.option("--config", "config_path", type=config_file, help="Or: the proxy's settings file."),
]


def with_state_options(command: Callable[..., int]) -> Callable[..., int]:
    """Add --db and --config."""
    for option in reversed(state_options):
        command = option(command)
    return command


@click.group(cls=Group)
def tokens() -> None:
    """Personal API tokens of the proxy (admin)."""


@tokens.command("create")
@with_state_options
@click.option("--user", required=True, help="The person's email.")
@click.option("--groups", default="", help="Comma-separated policy groups.")
@click.option("--name", default="", help="What the token is for.")
@click.option("--days", type=click.IntRange(1), help="Days it lives (default: the proxy's token_days).")
def tokens_create(
    db: str | None, config_path: Path | None, user: str, groups: str, name: str, days: int | None
) -> int:
    """Create a token; prints the secret alone on stdout, once."""
    if "@" not in user:
        raise UsageError(f"--user must be an email address, not {user!r}")
    state = _open_state(db, config_path, create=True)
    group_list = tuple(g.strip() for g in groups.split(",") if g.strip())
    try:
        secret, info = state.create_token(
            user, group_list, name or "created with skillport tokens create", days
        )
    finally:
        state.close()
    click.echo(secret)
    click.echo(f"token {info.id} for {info.user} created, expires {info.expires}; it is shown once", err=True)
    return EXIT_OK


@tokens.command("revoke")
@with_state_options
@click.argument("token_id")
def tokens_revoke(db: str | None, config_path: Path | None, token_id: str) -> int:
    """Revoke a token by its id (the part after `sp_`, before the next `_`)."""
    state = _open_state(db, config_path)
    if token_id.startswith(TOKEN_PREFIX):
        token_id = token_id[len(TOKEN_PREFIX) :].split("_", 1)[0]
    revoked = state.revoke_token(token_id, "admin-cli")
    state.close()
    if not revoked:
        raise NotFound(f"no active token with id {token_id}; `skillport tokens list` shows them")
    click.echo(f"token {token_id} revoked")
    return EXIT_OK


@tokens.command("list")
@with_state_options
@click.option("--user", help="Only this person's tokens.")
def tokens_list(db: str | None, config_path: Path | None, user: str | None) -> int:
    """List tokens (never their secrets)."""
    state = _open_state(db, config_path)
    for info in state.tokens(user):
        status = f"revoked {info.revoked}" if info.revoked else f"expires {info.expires}"
        click.echo(
            f"{info.id}  {info.user}  [{','.join(info.groups)}]  {info.name}  {info.created}  {status}"
        )
    state.close()
    return EXIT_OK


@click.group(cls=Group)
def audit() -> None:
    """The proxy's audit log (admin)."""


@audit.command("tail")
@with_state_options
@click.option("-n", "--lines", "count", type=click.IntRange(1, 10_000), default=20, show_default=True)
def audit_tail(db: str | None, config_path: Path | None, count: int) -> int:
    """Print the newest audit events, one JSON object a line."""
    state = _open_state(db, config_path)
    for event in state.audit_tail(count):
        click.echo(json.dumps(event, sort_keys=True))
    state.close()
    return EXIT_OK


@click.group(cls=Group)
def db() -> None:
    """The proxy's database schema (admin): `serve` upgrades it on start unless db_upgrade is false."""


def _revision_line(found: Revision) -> str:
    status = "up to date" if found.up_to_date else f"this release upgrades it to {found.head}"
    return f"schema revision {found.current or 'none'} ({status})"


@db.command("upgrade")
@with_state_options
def db_upgrade(db: str | None, config_path: Path | None) -> int:
    """Upgrade the database schema to this release's (a no-op when it is there)."""
    url, _ = _database(db, config_path, create=True)
    before, after = upgrade_database(url)
    if before.up_to_date:
        click.echo(f"already at schema revision {after.current}")
    else:
        click.echo(f"upgraded from schema revision {before.current or 'none'} to {after.current}")
    return EXIT_OK


@db.command("current")
@with_state_options
def db_current(db: str | None, config_path: Path | None) -> int:
    """Print the database's schema revision and whether this release would upgrade it."""
    url, _ = _database(db, config_path)
    click.echo(_revision_line(database_revision(url)))
    return EXIT_OK
