"""A proxy over the template marketplace for the tests: published to a local store at the real
current time (so the catalog is fresh), people with different groups, and personal tokens."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from factory import TEMPLATE
from integration.postgres import Postgres
from releasing import build_at
from starlette.testclient import TestClient

from skillport_build.proxy.config import ServeConfig
from skillport_build.proxy.state import State
from skillport_build.release.publish import publish
from skillport_build.stores import LocalStore, current_catalog
from skillport_build.trust.minisign import SecretKey, generate
from skillport_build.trust.sign import sign_dir

# Who sees what in the template's policy (.skillport/access.yaml).
PEOPLE = {
    "anyone": ("ann@acme.example", ()),
    "sre": ("sam@acme.example", ("sre",)),
    "engineer": ("eve@acme.example", ("engineering",)),
    "admin": ("ada@acme.example", ("platform",)),
}
OPEN_SKILLS = {"release-notes", "csv-profiler", "pr-review", "skillport"}
SEES = {
    "anyone": OPEN_SKILLS,
    "sre": OPEN_SKILLS | {"incident-postmortem"},
    "engineer": OPEN_SKILLS | {"decision-record"},
    "admin": OPEN_SKILLS | {"incident-postmortem", "decision-record"},
}
ALL_SKILLS = OPEN_SKILLS | {"incident-postmortem", "decision-record"}


def publish_template(
    tmp_path: Path, key: SecretKey | None = None, repo: Path | None = None
) -> tuple[LocalStore, Path, SecretKey]:
    """Build, sign and publish the template (or `repo`) to a local store; returns the public key file."""
    key = key or generate()
    if repo is None:
        repo = tmp_path / "repo"
        shutil.copytree(TEMPLATE, repo)
    store = LocalStore(tmp_path / "store")
    out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}"
    build_at(repo, out, previous=current_catalog(store), now=datetime.now(UTC).replace(microsecond=0))
    sign_dir(out, key)
    publish(out, store)
    public = tmp_path / "trusted.pub"
    public.write_text(key.public().to_text())
    return store, public, key


@dataclass
class Served:
    """A running app (in process) with tokens for each person."""

    client: TestClient
    state: State
    store: LocalStore
    tokens: dict[str, str] = field(default_factory=dict)

    def get(self, who: str | None, url: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.get(url, headers=headers | kw.pop("headers", {}), **kw)

    def post(self, who: str | None, url: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.post(url, headers=headers | kw.pop("headers", {}), **kw)


class Backend:
    """The database the proxy tests run against (tests/proxy/conftest.py runs each on both)."""

    postgres: ClassVar[Postgres | None] = None  # None: SQLite files
    made: ClassVar[dict[str, str]] = {}

    @classmethod
    def use(cls, postgres: Postgres | None) -> None:
        cls.postgres, cls.made = postgres, {}


def state_db(tmp_path: Path) -> str:
    """The state database of a test's folder: `state.db` in it, or one fresh PostgreSQL database
    (the same one each time it is asked for the same folder)."""
    if Backend.postgres is None:
        return str(tmp_path / "state.db")
    key = str(tmp_path)
    if key not in Backend.made:
        Backend.made[key] = Backend.postgres.database()
    return Backend.made[key]


def config(tmp_path: Path, store: LocalStore, public: Path, **extra: Any) -> ServeConfig:
    """Settings for an in-process proxy with the dev sign-in."""
    return ServeConfig(
        store=str(store.root),
        keys=(public,),
        db=state_db(tmp_path),
        dev=True,
        cache_dir=tmp_path / "sites",
        **extra,
    )
