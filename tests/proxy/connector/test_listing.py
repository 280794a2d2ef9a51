"""The order of a person's skills/list: installed first (newest update first), then recently
updated, then by downloads; pages cut at 100 entries or the byte budget. Unit tests over catalog
records, then the same through the live proxy: a download of the person's own moves that skill to
the front, other people's downloads order the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from proxy.live_server import LiveProxy, live_proxy

from skillport_build.models.catalog import Bundle, Release, SkillRecord
from skillport_build.proxy.connector.listing import (
    PAGE,
    PAGE_BYTES,
    Usage,
    downloads_per_skill,
    ordered,
    page,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def skill(name: str, days_ago: int, plugin: str = "p") -> SkillRecord:
    bundle = Bundle(path=f"bundles/{name}/1.0.0/{name}-1.0.0.zip", sha256="0" * 64, size=1)
    published = (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    release = Release(version="1.0.0", digest="d", bundle=bundle, catalog_version=1, published_at=published)
    return SkillRecord.model_construct(name=name, plugin=plugin, version="1.0.0", history=(release,), id=None)


def names(skills: list[SkillRecord]) -> list[str]:
    return [s.name for s in skills]


def test_installed_first_newest_update_first_then_recent_then_by_downloads() -> None:
    skills = [skill("old-popular", 200), skill("old-quiet", 300), skill("fresh", 2), skill("fresher", 1),
              skill("mine-old", 400), skill("mine-new", 10), skill("via-plugin", 100, plugin="tools")]  # fmt: skip
    usage = Usage(
        mine={
            ("skill", "mine-old"): "2026-01-01T00:00:00Z",
            ("skill", "mine-new"): "2026-11-01T00:00:00Z",
            ("plugin", "tools"): "2026-11-02T00:00:00Z",
        },
        downloads={"old-popular": 50, "old-quiet": 1, "fresh": 0, "mine-old": 7},
        now=NOW,
    )
    assert names(ordered(skills, usage)) == [
        "mine-new", "via-plugin", "mine-old", "fresher", "fresh", "old-popular", "old-quiet"
    ]  # fmt: skip


def test_ties_are_broken_by_name_so_the_order_is_stable() -> None:
    skills = [skill(n, 100) for n in ("c", "a", "b")]
    assert names(ordered(skills, Usage({}, {}, NOW))) == ["a", "b", "c"]


def test_downloads_are_summed_over_versions() -> None:
    assert downloads_per_skill({("a", "1.0.0"): 2, ("a", "1.1.0"): 3, ("b", "1.0.0"): 1}) == {"a": 5, "b": 1}


def test_a_page_holds_100_entries_and_the_next_cursor_points_past_them() -> None:
    skills = [skill(f"s{i:04}", 100) for i in range(250)]
    first, following = page(skills, 0, lambda s: {"uri": s.name})
    assert len(first) == PAGE and following == PAGE
    last, end = page(skills, 200, lambda s: {"uri": s.name})
    assert len(last) == 50 and end is None


def test_a_page_stops_at_the_byte_budget_and_skips_skills_not_served() -> None:
    skills = [skill(f"s{i:04}", 100) for i in range(50)]
    big = "x" * (PAGE_BYTES // 10)
    entries, following = page(skills, 0, lambda s: None if s.name == "s0001" else {"uri": s.name, "pad": big})
    assert [e["uri"] for e in entries] == ["s0000", *(f"s{i:04}" for i in range(2, 10))] and following == 10
    assert sum(len(json.dumps(e)) for e in entries) <= PAGE_BYTES
    huge, _ = page(skills, 0, lambda s: {"uri": s.name, "pad": "x" * PAGE_BYTES})
    assert len(huge) == 1  # one entry per page, however large


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("listing")) as served:
        yield served


def call(live: LiveProxy, who: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25",
               "Authorization": f"Bearer {live.tokens[who]}"}  # fmt: skip
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    result: dict[str, Any] = httpx.post(f"{live.url}/mcp", json=body, headers=headers).json()["result"]
    return result


def listed(live: LiveProxy, who: str) -> list[str]:
    return [e["frontmatter"]["name"] for e in call(live, who, "skills/list", {})["skills"]]


def download(live: LiveProxy, who: str, name: str) -> None:
    answer = call(
        live, who, "tools/call", {"name": "install_skill", "arguments": {"name": name, "surface": "desktop"}}
    )
    assert httpx.get(json.loads(answer["content"][0]["text"])["url"]).status_code == 200


def test_a_persons_own_download_puts_that_skill_first_for_them_alone(live: LiveProxy) -> None:
    before = listed(live, "admin")  # (each person's order is kept for one TTL: the others list later)
    assert before == sorted(before)  # all published together, nobody downloaded anything yet
    for _ in range(3):
        download(live, "sre", "release-notes")  # popular with others
    download(live, "engineer", "pr-review")
    engineer, anyone = listed(live, "engineer"), listed(live, "anyone")
    assert engineer[:2] == ["pr-review", "release-notes"] and len(engineer) == len(set(engineer)) == 5
    assert anyone[0] == "release-notes" and "pr-review" in anyone[1:]
    assert listed(live, "admin") == before  # the same order for one TTL, so its pages agree
