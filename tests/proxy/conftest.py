from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from integration.postgres import Postgres, running_postgres
from proxy.served import PEOPLE, Backend, Served, config, publish_template
from starlette.testclient import TestClient

from skillport_build.proxy.app import create_app
from skillport_build.proxy.state import State
from skillport_build.trust.keys import load_public_keys


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL cluster for the session; each test gets a database of its own."""
    with running_postgres() as server:
        yield server


# The modules whose tests write or read shared state (tokens, sessions, sign-ins, OAuth, rate limits,
# audit, downloads, notices) run on PostgreSQL too; the rest only read the catalog, the same on both.
ON_POSTGRES = {
    "test_state",
    "test_guard",
    "test_batch",
    "test_admin",
    "test_admin_cli",
    "test_login",
    "test_oidc_signin",
    "test_github_signin",
    "test_security",
    "test_downloads",
    "test_notice",
    "test_links",
    "test_held",
    "test_updates",
    "test_grants",
    "test_oauth_flow",
    "test_oauth_security",
    "test_mcp_access",
    "test_provider",
    "test_listing",
    "test_migrate",
    "test_schema",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "state_backend" not in metafunc.fixturenames:
        return
    name = metafunc.module.__name__.rpartition(".")[2]
    backends: list[Any] = ["sqlite"]
    if name in ON_POSTGRES:
        backends.append(pytest.param("postgresql", marks=pytest.mark.integration))
    metafunc.parametrize("state_backend", backends, indirect=True, scope="module")


@pytest.fixture(scope="module", autouse=True)
def state_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each proxy and connector test module runs on SQLite, and those in ON_POSTGRES on PostgreSQL
    too (see `served.state_db`; a module's shared proxies take this fixture so they are made anew for
    each); whatever states were left open are closed after (no connection outlives its module)."""
    Backend.use(request.getfixturevalue("postgres") if request.param == "postgresql" else None)
    opened: list[State] = []
    original = State.__init__

    def recorded(self: State, *args: Any, **kwargs: Any) -> None:
        opened.append(self)
        original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(State, "__init__", recorded)
        yield request.param
    for state in opened:
        if hasattr(state, "engine"):
            state.close()
    Backend.use(None)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, Path]:
    tmp = tmp_path_factory.mktemp("published")
    store, public, _ = publish_template(tmp)
    return tmp, store, public


@pytest.fixture
def served(published: tuple[Path, object, Path], tmp_path: Path) -> Iterator[Served]:
    _, store, public = published
    settings = config(tmp_path, store, public)  # type: ignore[arg-type]
    state = State(settings.db)
    app = create_app(settings, store, load_public_keys(settings.keys), state, refresh=False)  # type: ignore[arg-type]
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        result = Served(client, state, store)  # type: ignore[arg-type]
        for who, (email, groups) in PEOPLE.items():
            result.tokens[who] = state.create_token(email, groups, "test")[0]
        yield result
    state.close()
