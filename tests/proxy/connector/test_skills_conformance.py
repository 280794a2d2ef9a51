"""Each MUST of the stable ext-skills specification (`io.modelcontextprotocol/skills`,
specification/stable/skills.mdx) that binds a server, as a test, with the section it comes from.

The template marketplace is served on 127.0.0.1, with three skills added for the cases it lacks:
`csv-profiler` a second time in another plugin (so both are addressed as plugin/name), one skill
over the 512-file limit and one over the 16 MiB limit. The `mcp` SDK's client speaks to it over
streamable HTTP in the 2026-07-28 era, the revision the specification is written against.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import httpx2
import pytest
import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import Request
from proxy.live_server import LiveProxy, live_proxy
from pydantic import TypeAdapter
from releasing import bump

from skillport_build.proxy.connector.skills_ext import IDENTIFIER, MAX_BYTES, MAX_FILES
from skillport_build.proxy.connector.skills_ext import NOT_SERVED_META as NOT_SERVED

ANSWER = TypeAdapter(dict[str, Any])
ASK = Request[dict[str, Any], str]  # (a bare Request drops params it does not know)
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # Agent Skills specification, the name field
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
INVALID_PARAMS = -32602


def add_skill(repo: Any, plugin: str, name: str, files: dict[str, bytes]) -> None:
    folder = repo / "plugins" / plugin / "skills" / name
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(
        f"---\nname: {name}\ndescription: A test skill named {name}, for the conformance tests.\n"
        f"license: MIT\n---\n\n# {name}\n\nSee the files next to this one.\n"
    )
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("conformance")) as served:
        add_skill(served.repo, "writing", "csv-profiler", {"references/columns.md": b"# Columns\n"})
        many = {f"data/part-{i:03}.txt": f"line {i}\n".encode() for i in range(MAX_FILES)}
        add_skill(served.repo, "data-tools", "many-files", many)
        block = b"0123456789abcdef" * 65536  # 1 MiB
        large = {f"data/block-{i:02}.txt": block + bytes([i]) for i in range(MAX_BYTES // len(block))}
        add_skill(served.repo, "data-tools", "large-files", large)
        bump(served.repo, plugins=("writing", "data-tools"))
        served.republish()
        yield served


def ask(
    live: LiveProxy, *calls: tuple[str, dict[str, Any]], who: str = "admin"
) -> list[dict[str, Any] | MCPError]:
    """Each call's result (or the error it was answered with) from one SDK client session."""

    async def session() -> list[dict[str, Any] | MCPError]:
        headers = {"Authorization": f"Bearer {live.tokens[who]}"}
        answers: list[dict[str, Any] | MCPError] = []
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{live.url}/mcp", http_client=http), mode="auto") as client,
        ):
            assert client.protocol_version >= "2026-07-28"
            for method, params in calls:
                try:
                    answers.append(
                        await client.session.send_request(ASK(method=method, params=params), ANSWER)
                    )
                except MCPError as exc:
                    answers.append(exc)
        return answers

    return asyncio.run(session())


def one(live: LiveProxy, method: str, params: dict[str, Any]) -> dict[str, Any]:
    answer = ask(live, (method, params))[0]
    assert isinstance(answer, dict), answer
    return answer


def refused(live: LiveProxy, method: str, params: dict[str, Any], who: str = "admin") -> MCPError:
    answer = ask(live, (method, params), who=who)[0]
    assert isinstance(answer, MCPError), answer
    return answer


def listing(live: LiveProxy) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page of skills/list, following nextCursor: (the pages, every entry)."""
    pages, cursor = [], None
    while True:
        page = one(live, "skills/list", {} if cursor is None else {"cursor": cursor})
        pages.append(page)
        cursor = page.get("nextCursor")
        if cursor is None:
            return pages, [entry for p in pages for entry in p["skills"]]


def read(live: LiveProxy, uri: str) -> bytes:
    content = one(live, "resources/read", {"uri": uri})["contents"][0]
    return content["text"].encode() if "text" in content else base64.b64decode(content["blob"])


@pytest.fixture(scope="module")
def entries(live: LiveProxy) -> list[dict[str, Any]]:
    return listing(live)[1]


def capabilities(live: LiveProxy) -> Any:
    async def session() -> Any:
        headers = {"Authorization": f"Bearer {live.tokens['admin']}"}
        async with (
            httpx2.AsyncClient(headers=headers) as http,
            Client(streamable_http_client(f"{live.url}/mcp", http_client=http), mode="auto") as client,
        ):
            return client.server_capabilities

    return asyncio.run(session())


# Capability Negotiation ----------------------------------------------------------------------------


def test_capability_negotiation_the_extension_and_the_resources_capability_are_declared(
    live: LiveProxy,
) -> None:
    """A server declaring this extension MUST also declare the `resources` capability; one that
    declares `directoryRead: true` MUST implement resources/directory/read."""
    declared = capabilities(live)
    assert declared.resources is not None
    assert declared.extensions[IDENTIFIER] == {"directoryRead": True}
    assert one(live, "resources/directory/read", {"uri": "skill://pr-review"})["resources"]


def test_capability_negotiation_skills_list_and_skills_get_are_implemented(
    live: LiveProxy, entries: list[dict[str, Any]]
) -> None:
    """A server that declares this extension MUST implement skills/list and skills/get."""
    assert entries and one(live, "skills/get", {"uri": entries[0]["uri"]})["skill"] == entries[0]


# Skill Format ----------------------------------------------------------------------------------------


def test_skill_format_every_skill_has_a_skill_md_with_name_and_description(
    live: LiveProxy, entries: list[dict[str, Any]]
) -> None:
    """Every skill MUST contain a SKILL.md at its root, beginning with YAML front matter holding at
    minimum `name` and `description`."""
    for entry in entries:
        assert entry["uri"].endswith("/SKILL.md") and entry["uri"] in {r["uri"] for r in entry["resources"]}
        text = read(live, entry["uri"]).decode()
        assert text.startswith("---\n")
        matter = yaml.safe_load(text.split("---\n", 2)[1])
        assert matter["name"] and matter["description"]


# Resource Mapping ------------------------------------------------------------------------------------


def test_resource_mapping_the_last_path_segment_is_the_skills_name(entries: list[dict[str, Any]]) -> None:
    """The final segment of <skill-path> MUST equal the skill's `name` and MUST satisfy the Agent
    Skills naming rules; two skills of one name are told apart by a prefix, not a changed name."""
    for entry in entries:
        path = entry["uri"].removeprefix("skill://").removesuffix("/SKILL.md")
        last = path.rsplit("/", 1)[-1]
        assert last == entry["frontmatter"]["name"] and NAME.match(last) and len(last) <= 64
    twins = sorted(e["uri"] for e in entries if e["frontmatter"]["name"] == "csv-profiler")
    assert twins == ["skill://data-tools/csv-profiler/SKILL.md", "skill://writing/csv-profiler/SKILL.md"]


# Skill Entries: Frontmatter --------------------------------------------------------------------------


def test_frontmatter_is_identical_to_the_served_skill_md(
    live: LiveProxy, entries: list[dict[str, Any]]
) -> None:
    """The `frontmatter` object MUST be identical in content to the front matter of the SKILL.md it
    describes."""
    for entry in entries:
        text = read(live, entry["uri"]).decode()
        assert yaml.safe_load(text.split("---\n", 2)[1]) == entry["frontmatter"]
    license_ = next(e for e in entries if e["uri"] == "skill://writing/csv-profiler/SKILL.md")["frontmatter"]
    assert license_["license"] == "MIT"  # every field the author wrote passes through


# Skill Entries: Resources ----------------------------------------------------------------------------


def test_resources_is_complete_each_file_once_with_size_and_digest_of_the_served_bytes(
    live: LiveProxy, entries: list[dict[str, Any]]
) -> None:
    """`resources` MUST be complete (every file, each once, SKILL.md included); each `uri` MUST be
    the SKILL.md or a file within the skill's directory; each entry MUST carry `size`, and the digest
    is `sha256:` and 64 lowercase hex of the raw bytes."""
    for entry in entries:
        root = entry["uri"].removesuffix("SKILL.md")
        uris = [r["uri"] for r in entry["resources"]]
        assert len(uris) == len(set(uris)) and all(u.startswith(root) for u in uris)
        name = entry["frontmatter"]["name"]
        ref = root.removeprefix("skill://").rstrip("/")
        link = one(
            live, "tools/call", {"name": "install_skill", "arguments": {"name": ref, "surface": "desktop"}}
        )
        url = json.loads(link["content"][0]["text"])["url"]
        with zipfile.ZipFile(io.BytesIO(httpx.get(url).content)) as bundle:
            files = {n.removeprefix(f"{name}/") for n in bundle.namelist() if not n.endswith("/")}
        assert {u.removeprefix(root) for u in uris} == files
        for resource in entry["resources"]:
            data = read(live, resource["uri"])
            assert DIGEST.match(resource["digest"]) and resource["size"] == len(data)
            assert resource["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()


# Skill Entries: Limits -------------------------------------------------------------------------------


def test_limits_a_skill_over_512_files_or_16_mib_is_not_served(
    live: LiveProxy, entries: list[dict[str, Any]]
) -> None:
    """Servers SHOULD NOT serve a skill that exceeds either limit (512 resources, 16,777,216 bytes):
    such skills are left out of the listing, and skills/get says why (-32602, as for a skill not
    served); everything served is within both."""
    names = {e["frontmatter"]["name"] for e in entries}
    assert "many-files" not in names and "large-files" not in names
    said = {n["uri"]: n["reason"] for p in listing(live)[0] for n in p.get("_meta", {}).get(NOT_SERVED, [])}
    assert set(said) == {"skill://many-files/SKILL.md", "skill://large-files/SKILL.md"}
    assert "513 files" in said["skill://many-files/SKILL.md"]
    for entry in entries:
        assert (
            len(entry["resources"]) <= MAX_FILES and sum(r["size"] for r in entry["resources"]) <= MAX_BYTES
        )
    many = refused(live, "skills/get", {"uri": "skill://many-files/SKILL.md"})
    assert (
        many.error.code == INVALID_PARAMS
        and "513 files" in many.error.message
        and "install_skill" in many.error.message
    )
    large = refused(live, "skills/get", {"uri": "skill://large-files/SKILL.md"})
    assert large.error.code == INVALID_PARAMS and "16 MiB" in large.error.message
    found = one(live, "tools/call", {"name": "search_skills", "arguments": {"query": "many-files"}})
    assert "many-files" in found["content"][0]["text"]  # still found and installed the other ways


# Listing Skills --------------------------------------------------------------------------------------


def test_listing_result_type_cache_fields_and_atomic_pages(live: LiveProxy) -> None:
    """`resultType` MUST be "complete"; `ttlMs` and `cacheScope` are REQUIRED; pagination follows
    nextCursor and an entry is never split across pages."""
    pages, every = listing(live)
    for page in pages:
        assert page["resultType"] == "complete"
        assert (
            isinstance(page["ttlMs"], int)
            and page["ttlMs"] >= 0
            and page["cacheScope"] in ("public", "private")
        )
        assert all(isinstance(e["resources"], list) and e["resources"] for e in page["skills"])
    uris = [e["uri"] for e in every]
    assert len(uris) == len(set(uris))


def test_listing_an_unknown_cursor_is_invalid_params(live: LiveProxy) -> None:
    """Pagination mirrors the base protocol's list methods, where an invalid cursor is -32602."""
    assert refused(live, "skills/list", {"cursor": "not-a-cursor"}).error.code == INVALID_PARAMS


# Getting a Skill -------------------------------------------------------------------------------------


def test_getting_answers_every_served_skill_with_the_listed_entry(
    live: LiveProxy, entries: list[dict[str, Any]]
) -> None:
    """`resultType` MUST be "complete"; `ttlMs` and `cacheScope` are REQUIRED; the server MUST answer
    for every skill it serves; the `skill` is identical to the listing's entry; no cursor."""
    answers = ask(live, *(("skills/get", {"uri": e["uri"]}) for e in entries))
    for entry, answer in zip(entries, answers, strict=True):
        assert isinstance(answer, dict) and answer["resultType"] == "complete"
        assert answer["skill"] == entry and "nextCursor" not in answer
        assert isinstance(answer["ttlMs"], int) and answer["cacheScope"] in ("public", "private")


@pytest.mark.parametrize(
    "uri",
    [
        "skill://no-such-skill/SKILL.md",
        "skill://pr-review/README.md",  # a URI, but not of a SKILL.md
        "skill://pr-review",
        "skill://csv-profiler/SKILL.md",  # the name repeats: only plugin/name identifies a skill
        "skill://data-tools/SKILL.md",
        "skill://pr-review/../release-notes/SKILL.md",
        "https://example.org/pr-review/SKILL.md",
    ],
)
def test_getting_a_uri_that_is_not_a_served_skill_is_invalid_params(live: LiveProxy, uri: str) -> None:
    """If the URI does not identify a skill the server serves, the server MUST return -32602."""
    error = refused(live, "skills/get", {"uri": uri}).error
    assert error.code == INVALID_PARAMS and uri in error.message


def test_getting_a_hidden_skill_is_answered_as_a_missing_one(live: LiveProxy) -> None:
    """(Skillport's rule on top of the MUST above: a skill the caller may not read is not served.)"""
    hidden = refused(live, "skills/get", {"uri": "skill://decision-record/SKILL.md"}, "anyone").error
    missing = refused(live, "skills/get", {"uri": "skill://no-such-skill/SKILL.md"}, "anyone").error
    assert hidden.code == missing.code == INVALID_PARAMS
    assert hidden.message.replace("decision-record", "no-such-skill") == missing.message


# Reading Directories ---------------------------------------------------------------------------------


def directories(entry: dict[str, Any]) -> dict[str, set[tuple[str, bool]]]:
    """Each directory of a skill (relative, "" for the root) -> its direct children (name, is a dir)."""
    root = entry["uri"].removesuffix("SKILL.md")
    found: dict[str, set[tuple[str, bool]]] = {}
    for resource in entry["resources"]:
        parts = resource["uri"].removeprefix(root).split("/")
        for depth in range(len(parts)):
            folder = "/".join(parts[:depth])
            found.setdefault(folder, set()).add((parts[depth], depth < len(parts) - 1))
    return found


def test_directory_read_lists_every_direct_child_of_every_directory(
    live: LiveProxy, entries: list[dict[str, Any]]
) -> None:
    """`resultType` MUST be "complete"; the result contains every direct child, subdirectories as
    `inode/directory`, not recursive; a server declaring directoryRead MUST support the method for
    every directory within the skill namespaces it serves."""
    for entry in entries:
        root = entry["uri"].removesuffix("/SKILL.md")
        for folder, children in directories(entry).items():
            uri = f"{root}/{folder}" if folder else root
            answer = one(live, "resources/directory/read", {"uri": uri})
            assert answer["resultType"] == "complete"
            got = {(r["name"], r["mimeType"] == "inode/directory") for r in answer["resources"]}
            assert got == children
            assert all(r["uri"] == f"{uri}/{r['name']}" for r in answer["resources"])
    scripts = one(live, "resources/directory/read", {"uri": "skill://data-tools/csv-profiler"})["resources"]
    assert {"name": "SKILL.md", "mimeType": "text/markdown"}.items() <= next(
        r for r in scripts if r["name"] == "SKILL.md"
    ).items()


@pytest.mark.parametrize(
    "uri",
    [
        "skill://pr-review/SKILL.md",
        "skill://pr-review/nothing-here",
        "skill://no-such-skill",
        "skill://pr-review/",
    ],
)
def test_directory_read_of_a_file_or_nothing_is_invalid_params(live: LiveProxy, uri: str) -> None:
    """If the URI does not exist, or exists but is not a directory resource, the server MUST return
    -32602."""
    assert refused(live, "resources/directory/read", {"uri": uri}).error.code == INVALID_PARAMS


# Error Handling ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "skill://pr-review/no-such-file.md",
        "skill://no-such-skill/SKILL.md",
        "skill://decision-record/SKILL.md",
    ],
)
def test_error_handling_reading_a_file_not_served_is_invalid_params(live: LiveProxy, uri: str) -> None:
    """resources/read of a skill file the server does not serve: -32602 (per the base Resources
    specification). `decision-record` exists but `anyone` may not read it."""
    assert refused(live, "resources/read", {"uri": uri}, "anyone").error.code == INVALID_PARAMS
