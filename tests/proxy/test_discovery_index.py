"""The proxy's Agent Skills discovery index, on the real proxy on 127.0.0.1: every entry is one the
`skills` CLI 1.7.4 accepts (its rules, restated), its url resolves against the index's address to an
archive with SKILL.md at the root whose sha256 is the digest, and nobody reaches a skill they may not
read."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from proxy.live_server import LiveProxy, live_proxy
from proxy.served import SEES

SCHEMA = "https://schemas.agentskills.io/discovery/0.2.0/schema.json"
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def live(state_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("live")) as proxy:
        yield proxy


def get(live: LiveProxy, who: str | None, url: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {live.tokens[who]}"} if who else {}
    return httpx.get(urljoin(live.url + "/", url), headers=headers)


@pytest.mark.parametrize("path", ["/.well-known/skills/index.json", "/.well-known/agent-skills/index.json"])
def test_every_entry_is_one_the_skills_cli_installs(live: LiveProxy, path: str) -> None:
    index_url = live.url + path
    index = get(live, "sre", index_url).json()
    assert index["$schema"] == SCHEMA
    assert {e["name"] for e in index["skills"]} == SEES["sre"]
    for entry in index["skills"]:
        assert set(entry) == {"name", "description", "type", "url", "digest"}
        assert NAME.match(entry["name"]) and 0 < len(entry["description"]) <= 1024
        assert entry["type"] == "archive" and re.fullmatch(r"sha256:[a-f0-9]{64}", entry["digest"])
        response = get(live, "sre", urljoin(index_url, entry["url"]))
        assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
        assert entry["digest"] == f"sha256:{hashlib.sha256(response.content).hexdigest()}"
        files = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        assert "SKILL.md" in files and not any(f.startswith(f"{entry['name']}/") for f in files)


def test_archives_follow_the_policy(live: LiveProxy) -> None:
    index = get(live, "sre", "/.well-known/skills/index.json").json()
    url = next(e["url"] for e in index["skills"] if e["name"] == "incident-postmortem")
    assert get(live, "sre", url).status_code == 200
    assert get(live, "anyone", url).status_code == 404
    assert get(live, None, url).status_code == 401
    wrong_version = url.rsplit("-", 1)[0] + "-9.9.9.zip"
    assert get(live, "sre", wrong_version).status_code == 404


def test_the_same_bytes_each_time(live: LiveProxy, tmp_path: Path) -> None:
    index = get(live, "anyone", "/.well-known/skills/index.json").json()
    url = index["skills"][0]["url"]
    assert get(live, "anyone", url).content == get(live, "anyone", url).content
