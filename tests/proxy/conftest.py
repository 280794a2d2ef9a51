from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from proxy.served import PEOPLE, Served, config, publish_template
from starlette.testclient import TestClient

from skillport_build.proxy.app import create_app
from skillport_build.proxy.state import State
from skillport_build.trust.keys import load_public_keys


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
