"""Where the CLI keeps its sign-ins: one file, readable by its owner only, written atomically.

    the config folder (see `places`: $SKILLPORT_CONFIG_DIR, else the platform's, ~/.config/skillport)
        credentials.json    {"servers": {URL: {"token", "user"}}, "default": URL}    mode 0600

SKILLPORT_URL and SKILLPORT_TOKEN override the file (for CI, where nobody signs in with a browser).
Tokens are never part of a message or a repr.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skillport_build.client.places import places
from skillport_build.errors import ClientError, UsageError

FILE_NAME = "credentials.json"
URL_ENV, TOKEN_ENV = "SKILLPORT_URL", "SKILLPORT_TOKEN"


class Server(BaseModel):
    """One proxy signed in to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: str = Field(repr=False, description="the personal token (sp_…)")
    user: str | None = Field(default=None, description="the email it belongs to, when known")


class CredentialsFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    servers: dict[str, Server] = Field(default_factory=dict, description="by the proxy's base URL")
    default: str | None = Field(default=None, description="the proxy commands use without --url")


@dataclass(frozen=True)
class Credential:
    """What a command talks to a proxy with."""

    url: str
    token: str = field(repr=False)
    user: str | None


def config_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The folder of the credentials file."""
    return places(environ).config


def normalize_url(url: str) -> str:
    """A proxy's base URL as credentials are keyed: http(s), a host, no trailing slash."""
    text = url.strip().rstrip("/")
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise UsageError(f"{url!r} is not a URL ({exc})") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(f"{url!r} is not a proxy URL; give one like https://skills.acme.example")
    if parsed.query or parsed.fragment:
        raise UsageError(f"{url!r}: give the proxy's address without ?query or #fragment")
    return text


def load(environ: Mapping[str, str] = os.environ) -> CredentialsFile:
    """The credentials file, empty when there is none."""
    path = config_dir(environ) / FILE_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return CredentialsFile()
    except OSError as exc:
        raise ClientError(f"{path}: cannot read the credentials file ({exc.strerror})") from exc
    try:
        return CredentialsFile.model_validate_json(raw)
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise ClientError(
            f"{path}: not a skillport credentials file ({problem['msg']}); delete it and run "
            "`skillport login URL` again"
        ) from exc


def save(credentials: CredentialsFile, environ: Mapping[str, str] = os.environ) -> Path:
    """Write the file atomically, mode 0600, its folder 0700."""
    folder = config_dir(environ)
    path = folder / FILE_NAME
    text = json.dumps(credentials.model_dump(exclude_none=True), indent=2, sort_keys=True) + "\n"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{FILE_NAME}.", dir=folder)  # mkstemp makes it 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ClientError(f"{path}: cannot write the credentials file ({exc.strerror})") from exc
    return path


def remember(url: str, token: str, user: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """Store a sign-in and make its proxy the default."""
    current = load(environ)
    servers = {**current.servers, url: Server(token=token, user=user)}
    return save(CredentialsFile(servers=servers, default=url), environ)


def forget(url: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """Remove a sign-in (the default one without `url`); returns the URL it was for."""
    current = load(environ)
    target = url or current.default
    if target is None or target not in current.servers:
        signed_in = ", ".join(sorted(current.servers)) or "none"
        raise ClientError(f"not signed in to {target or 'any proxy'} (signed in to: {signed_in})")
    servers = {k: v for k, v in current.servers.items() if k != target}
    default = current.default if current.default != target else next(iter(sorted(servers)), None)
    save(CredentialsFile(servers=servers, default=default), environ)
    return target


def resolve(url: str | None, environ: Mapping[str, str] = os.environ) -> Credential:
    """The proxy and token to use: `url` (--url), else $SKILLPORT_URL, else the default sign-in."""
    stored = load(environ)
    chosen = url or environ.get(URL_ENV) or stored.default
    if not chosen:
        raise ClientError(
            "not signed in to any skillport proxy; run `skillport login URL` "
            f"(or set {URL_ENV} and {TOKEN_ENV})"
        )
    chosen = normalize_url(chosen)
    server = stored.servers.get(chosen)
    token = environ.get(TOKEN_ENV) or (server.token if server else None)
    if not token:
        raise ClientError(f"not signed in to {chosen}; run `skillport login {chosen}`")
    return Credential(chosen, token, server.user if server else None)
