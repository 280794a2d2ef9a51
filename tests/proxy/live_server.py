"""The proxy on a real socket: uvicorn in a thread on 127.0.0.1, for clients that speak real HTTP."""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from integration.oidc import running_oidc_provider
from integration.registry import free_port
from proxy.served import PEOPLE, config, publish_template, state_db
from starlette.applications import Starlette
from starlette.types import ASGIApp

from skillport_build.proxy.app import create_app
from skillport_build.proxy.config import ServeConfig
from skillport_build.proxy.state import State
from skillport_build.trust.keys import load_public_keys
from skillport_build.trust.minisign import SecretKey


@contextmanager
def running(app: ASGIApp, port: int, start_within: float = 10) -> Iterator[str]:
    """Serve `app` on 127.0.0.1:`port` (the port its config names) until the block ends; yields the URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_within
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class LiveProxy:
    """The template marketplace published to a local store and served on 127.0.0.1, with a token
    for each of `served.PEOPLE`."""

    url: str
    app: Starlette
    state: State
    tmp: Path
    key: SecretKey
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def repo(self) -> Path:
        """The marketplace repository it was published from (edit it, then `republish`)."""
        return self.tmp / "repo"

    def republish(self) -> None:
        """Build, sign and publish the repository again, and have the proxy serve the new catalog."""
        publish_template(self.tmp, self.key, self.repo)
        self.app.state.proxy.refresh()


@contextmanager
def live_proxy(tmp_path: Path, **extra: Any) -> Iterator[LiveProxy]:
    """Publish the template under `tmp_path` and serve it (dev sign-in on) until the block ends."""
    store, public, key = publish_template(tmp_path)
    port = free_port()
    settings = config(tmp_path, store, public, port=port, **extra)
    state = State(settings.db)
    app = create_app(settings, store, load_public_keys(settings.keys), state, refresh=False)
    try:
        with running(app, port) as url:
            live = LiveProxy(url, app, state, tmp_path, key)
            for who, (email, groups) in PEOPLE.items():
                live.tokens[who] = state.create_token(email, groups, "test")[0]
            yield live
    finally:
        state.close()


@contextmanager
def oidc_proxy(tmp: Path, users: dict[str, dict[str, Any]]) -> Iterator[tuple[str, State]]:
    """The template served on 127.0.0.1 with sign-in ("Acme SSO") through a real OpenID provider
    holding `users`; its `idp-sre` group is the policy's `sre`. Yields the URL and the state."""
    store, public, _ = publish_template(tmp)
    port = free_port()
    client = {
        "client_id": "skillport",
        "client_secret": "test-secret-for-oidc",
        "redirect_uris": [f"http://127.0.0.1:{port}/auth/oidc"],
    }
    with running_oidc_provider(tmp / "idp", [client], users) as issuer:
        settings = ServeConfig(
            store=str(store.root),
            keys=(public,),
            db=state_db(tmp),
            port=port,
            cache_dir=tmp / "sites",
            oidc={
                "issuer": issuer,
                "client_id": "skillport",
                "client_secret": "test-secret-for-oidc",
                "scopes": "openid email profile groups",
                "label": "Acme SSO",
            },  # type: ignore[arg-type]
            allowed_domains=("acme.example",),
            group_map={"idp-sre": "sre"},
        )
        state = State(settings.db)
        app = create_app(settings, store, load_public_keys(settings.keys), state, refresh=False)
        with running(app, port) as url:
            yield url, state
        state.close()


class Tamper(httpx.BaseTransport):
    """Real HTTP, but every bundle's bytes are changed on the way: what a hostile network would do."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not request.url.path.startswith("/bundles/"):
            return response
        data = bytearray(response.read())
        data[len(data) // 2] ^= 0xFF
        response.close()
        return httpx.Response(response.status_code, headers=response.headers, content=bytes(data))

    def close(self) -> None:
        self.inner.close()


def browser_sign_in(url: str, email: str, groups: str = "") -> httpx.Response:
    """What a person does with the CLI's sign-in URL: open it, sign in with the dev form, follow the
    page's link to the CLI's loopback server. Returns the loopback server's answer."""
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        login = browser.get(url)
        form = {name: html.unescape(value) for name, value in HIDDEN.findall(login.text)}
        page = browser.post(
            str(login.url.join("/login/dev")), data={**form, "email": email, "groups": groups}
        )
        page.raise_for_status()
        link = LINK.search(page.text)
        assert link is not None, page.text
        return browser.get(html.unescape(link.group(1)))


HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
LINK = re.compile(r'<a class="button" href="(http://127\.0\.0\.1:\d+/callback\?[^"]+)"')
