"""The proxy's settings: a YAML file, overridden by SKILLPORT_* environment variables, overridden by
command-line flags. Every setting has one name in all three places (`link_ttl` in the file,
SKILLPORT_LINK_TTL in the environment)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from skillport_build.errors import ConfigError, UsageError

ENV_PREFIX = "SKILLPORT_"
LIST_SETTINGS = frozenset({"keys", "allowed_domains", "mcp_origins"})


class OidcSettings(BaseModel):
    """An OpenID Connect issuer with discovery (Google Workspace, Entra, Okta, Keycloak, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(description="the issuer URL; discovery is read from it")
    client_id: str
    client_secret: str = Field(repr=False)
    scopes: str = "openid email profile"
    groups_claim: str = Field(default="groups", description="the ID token / userinfo claim holding groups")
    label: str = Field(default="your organisation's sign-in", description="shown on the sign-in button")


class GitHubSettings(BaseModel):
    """GitHub OAuth; membership of `org` is required and its teams become groups."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str
    client_secret: str = Field(repr=False)
    org: str = Field(description="members of this organisation may sign in")
    api_url: str = "https://api.github.com"
    web_url: str = "https://github.com"


class ProposeSettings(BaseModel):
    """Where the MCP connector's `propose_change` opens pull requests."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: str = Field(repr=False, description="a GitHub token with contents and pull-requests write access")
    repository: str | None = Field(
        default=None, description="owner/name of the marketplace repo (default: the catalog's source)"
    )
    api_url: str = "https://api.github.com"


class ServeConfig(BaseModel):
    """Everything `skillport serve` needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store: str = Field(description="the store URL the catalog and bundles are read from")
    keys: tuple[Path, ...] = Field(description="trusted minisign public keys")
    db: str = Field(
        default="skillport.db",
        description="the state database: a SQLite file, or postgresql+psycopg://user@host/name (replicas)",
    )
    db_upgrade: bool = Field(
        default=True, description="upgrade the database schema on start (else `skillport db upgrade`)"
    )
    workers: int = Field(default=1, ge=1, le=64, description="worker processes on this host")
    notify_secret: str | None = Field(
        default=None,
        repr=False,
        description='HMAC key of POST /api/notify, the release workflow\'s "a catalog was published"',
    )
    notify_window: int = Field(
        default=300, ge=10, le=3600, description="seconds a signed publish notice stays acceptable"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    public_url: str | None = Field(default=None, description="the URL people reach the proxy at")
    tls_cert: Path | None = Field(
        default=None, description="PEM certificate chain: serve https directly, without a reverse proxy"
    )
    tls_key: Path | None = Field(default=None, repr=False, description="the PEM private key of tls_cert")
    dev: bool = Field(default=False, description="a sign-in form for any name; loopback only")
    secret: str | None = Field(default=None, repr=False, description="signs sessions and links")
    oidc: OidcSettings | None = None
    github: GitHubSettings | None = None
    allowed_domains: tuple[str, ...] = Field(default=(), description="email domains that may sign in")
    group_map: dict[str, str] = Field(default_factory=dict, description="IdP group -> policy group")
    link_ttl: int = Field(default=300, ge=10, description="seconds a signed download link lives")
    session_ttl: int = Field(default=8 * 3600, ge=60, description="seconds a sign-in lasts")
    token_days: int = Field(default=90, ge=1, description="days a new personal token lives unless asked")
    token_max_days: int = Field(default=365, ge=1, description="days any personal token lives at most")
    refresh_interval: float = Field(default=30.0, gt=0, description="seconds between catalog checks")
    rate_limit: float = Field(default=20.0, gt=0, description="requests per second per caller")
    rate_burst: int = Field(default=200, ge=1, description="requests a caller may send at once")
    max_body: int = Field(default=1_048_576, ge=1024, description="largest request body, bytes")
    header_timeout: float = Field(
        default=10.0, gt=0, description="seconds a client has to send a request's headers"
    )
    max_header_bytes: int = Field(
        default=65536, ge=1024, description="largest request line and headers, bytes"
    )
    max_connections: int = Field(
        default=1000, ge=1, description="connections and requests at once per worker; beyond, 503"
    )
    bundle_cache_mb: int = Field(default=256, ge=0, description="verified bundles kept in memory")
    downloads: Literal["stream", "redirect", "x-accel"] = Field(
        default="stream",
        description="after the access check: stream the bytes (sha256 checked here), redirect to the "
        "store's presigned URL (s3://), or hand them to a fronting nginx (X-Accel-Redirect)",
    )
    redirect_ttl: int = Field(
        default=60, ge=5, le=3600, description="seconds a presigned store URL lives (downloads: redirect)"
    )
    x_accel_prefix: str = Field(
        default="/_skillport/store/",
        description="nginx's internal location serving the store folder (downloads: x-accel)",
    )
    cache_dir: Path | None = Field(default=None, description="where per-audience sites are rendered")
    cli_wheel: Path | None = Field(
        default=None, description="the skillport wheel served at /cli/ (default: the running code, packed)"
    )
    audit_days: int | None = Field(
        default=None,
        ge=1,
        description="days the audit log keeps events (older ones are pruned hourly); unset: kept forever",
    )
    audit_flush_ms: int = Field(
        default=50,
        ge=0,
        le=5000,
        description="milliseconds audit rows and download counts wait to be written together; "
        "0: each in its own transaction",
    )
    mcp_access_ttl: int = Field(default=3600, ge=60, description="seconds an MCP access token lives")
    mcp_refresh_ttl: int = Field(
        default=7 * 86400, ge=300, description="seconds an MCP client stays connected without a new sign-in"
    )
    mcp_grant_ttl: int = Field(
        default=30 * 86400,
        ge=300,
        description="seconds an MCP client stays connected at most, then asks again",
    )
    mcp_origins: tuple[str, ...] = Field(
        default=(), description="browser origins /mcp accepts besides its own"
    )
    mcp_streams: int = Field(
        default=4, ge=1, description="GET /mcp event streams one person holds open at once"
    )
    mcp_stream_idle: float = Field(
        default=300.0, gt=0, description="seconds an event stream with nothing to send stays open"
    )
    propose: ProposeSettings | None = None

    @field_validator("allowed_domains")
    @classmethod
    def _lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d.lower().lstrip("@") for d in value)

    @property
    def base_url(self) -> str:
        """The URL links and the marketplace point at."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def secure_cookies(self) -> bool:
        """Cookies get the Secure flag whenever people reach the proxy over https."""
        return self.base_url.startswith("https://")

    def check(self) -> None:
        """Refuse settings that would be unsafe to run with."""
        if self.dev and not is_loopback(self.host):
            raise UsageError(
                f"--dev signs anyone in by name, so it only binds to loopback; {self.host} is not a "
                "loopback address (use --host 127.0.0.1, or configure OIDC or GitHub sign-in)"
            )
        if not is_loopback(self.host) and not self.public_url:
            raise UsageError(
                f"the proxy listens on {self.host}, so links and sign-in redirects need the address people "
                "use: set public_url (--public-url https://skills.example.com or SKILLPORT_PUBLIC_URL)"
            )
        if (self.tls_cert is None) != (self.tls_key is None):
            raise UsageError(
                "https needs both a certificate and its private key: give --tls-cert and --tls-key "
                "(tls_cert and tls_key in the config file), or neither"
            )
        if self.token_days > self.token_max_days:
            raise UsageError(
                f"token_days ({self.token_days}) is more than token_max_days ({self.token_max_days}); "
                "a new token cannot live longer than any token may"
            )
        if not (self.dev or self.oidc or self.github):
            raise UsageError(
                "no sign-in is configured: set `oidc:` or `github:` in the config file "
                "(or use --dev on 127.0.0.1 to try it out)"
            )


def is_loopback(host: str) -> bool:
    """Tell whether a bind address is loopback only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_config(
    path: Path | None, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> ServeConfig:
    """Merge the file, the environment and the flags (in that order of strength, weakest first)."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text("utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the config file must hold a mapping of settings")
        data.update(loaded or {})
        if "db" not in data:
            data["db"] = str(path.parent / "skillport.db")
    for key, value in _from_env(environ if environ is not None else os.environ).items():
        data[key] = {**data[key], **value} if isinstance(data.get(key), dict) else value
    data.update({k: v for k, v in (overrides or {}).items() if v not in (None, ())})
    try:
        config = ServeConfig.model_validate(data)
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{where}bad settings: {problems}") from exc
    config.check()
    return config


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ServeConfig.model_fields:
        value = environ.get(ENV_PREFIX + name.upper())
        if value is None or name in {"oidc", "github", "propose", "group_map"}:
            continue
        out[name] = [v.strip() for v in value.split(",") if v.strip()] if name in LIST_SETTINGS else value
    sections: tuple[tuple[str, type[BaseModel]], ...] = (
        ("oidc", OidcSettings),
        ("github", GitHubSettings),
        ("propose", ProposeSettings),
    )
    for section, model in sections:
        prefix = f"{ENV_PREFIX}{section.upper()}_"
        values = {
            key: environ[prefix + key.upper()]
            for key in model.model_fields
            if prefix + key.upper() in environ
        }
        if values:
            out[section] = values
    return out
