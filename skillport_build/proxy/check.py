"""`skillport serve --check`: what an admin runs before (or instead of) starting the proxy.

One line per check, in the order a deployment fails: the settings read, the store answers, its
catalog verifies with the trusted keys (and has not expired), the identity provider's discovery
document answers for the configured issuer, and the public URL is one people and the IdP can use.
Nothing is written anywhere; the state database is not opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from skillport_build.errors import SkillportError
from skillport_build.proxy.config import ServeConfig, is_loopback
from skillport_build.stores import open_store
from skillport_build.stores.base import Store
from skillport_build.trust.keys import load_public_keys
from skillport_build.trust.verify import verify_catalog


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str


def run_checks(
    config: ServeConfig,
    config_path: Path | None,
    now: datetime,
    http: httpx.Client,
    store_opener: Callable[[str], Store] = open_store,
) -> list[Check]:
    """Every check, each one independent of the others' outcome where it can be."""
    where = str(config_path) if config_path else "flags and environment"
    checks = [Check("config", True, f"read from {where}; serving {config.base_url}")]
    store_check, pointer = _store(config, store_opener)
    checks.append(store_check)
    checks.append(_catalog(config, pointer, now))
    checks.append(_sign_in(config, http))
    checks.append(_public_url(config))
    return checks


def _store(config: ServeConfig, opener: Callable[[str], Store]) -> tuple[Check, tuple[bytes, str] | None]:
    try:
        pointer = opener(config.store).pointer()
    except SkillportError as exc:
        return Check("store", False, f"{config.store}: {exc}"), None
    except OSError as exc:
        return Check("store", False, f"{config.store}: cannot read it ({exc})"), None
    if pointer is None:
        return Check("store", False, f"{config.store} answers but holds no catalog; publish one"), None
    return Check("store", True, f"{config.store} answers"), (pointer.catalog, pointer.signature.decode())


def _catalog(config: ServeConfig, pointer: tuple[bytes, str] | None, now: datetime) -> Check:
    if pointer is None:
        return Check("catalog", False, "not checked: the store gave no catalog")
    try:
        keys = load_public_keys(config.keys)
        catalog, key_id = verify_catalog(*pointer, keys, now, None)
    except SkillportError as exc:
        return Check("catalog", False, str(exc))
    return Check(
        "catalog",
        True,
        f"catalog {catalog.catalog_version} verifies with key {key_id}, expires {catalog.expires}",
    )


def _sign_in(config: ServeConfig, http: httpx.Client) -> Check:
    if config.oidc is not None:
        return _discovery(config.oidc.issuer, http)
    if config.github is not None:
        return Check("sign-in", True, f"GitHub OAuth for members of {config.github.org} (not contacted)")
    return Check("sign-in", True, "development sign-in by name, on loopback only")


def _discovery(issuer: str, http: httpx.Client) -> Check:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = http.get(url, timeout=10)
        document = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        return Check("sign-in", False, f"{url} does not answer ({exc}); check oidc.issuer")
    if not isinstance(document, dict):
        return Check("sign-in", False, f"{url} answered {response.status_code}, not a discovery document")
    if document.get("issuer") != issuer:
        return Check(
            "sign-in",
            False,
            f"{url} names the issuer {document.get('issuer')!r}, not {issuer!r}: set oidc.issuer to "
            "exactly that",
        )
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if k not in document]
    if missing:
        return Check("sign-in", False, f"{url} lacks {', '.join(missing)}")
    return Check("sign-in", True, f"OpenID discovery answers for {issuer}")


def _public_url(config: ServeConfig) -> Check:
    url = httpx.URL(config.base_url)
    if url.query or url.fragment:
        return Check("public URL", False, f"{config.base_url} holds a ?query or #fragment; give the address")
    if url.scheme == "http" and not is_loopback(url.host):
        return Check(
            "public URL",
            False,
            f"{config.base_url} is plain http on a host people reach over the network: sign-in cookies "
            "and tokens would travel in clear; put https in front (or --tls-cert/--tls-key)",
        )
    if config.tls_cert is not None and url.scheme != "https":
        return Check("public URL", False, f"the proxy serves https but public_url is {config.base_url}")
    callback = "/auth/oidc" if config.oidc else "/auth/github" if config.github else None
    where = f" (the redirect URI to register: {config.base_url}{callback})" if callback else ""
    return Check("public URL", True, f"{config.base_url}{where}")
