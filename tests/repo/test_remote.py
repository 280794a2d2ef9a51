"""Remote sources from file:// repositories (no sockets): commits, the cache, folders, errors."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from remotes import MONOREPO_STATES, REVIEW_STATES, plugin_repository

from skillport_build.errors import RemoteSourceError
from skillport_build.repo.gitfetch import _ASKPASS, credential, token_variable
from skillport_build.repo.remote import RemoteSources, user_cache


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("served")
    return {
        "review": (root / "review.git", plugin_repository(root / "review.git", REVIEW_STATES)),
        "mono": (root / "mono.git", plugin_repository(root / "mono.git", MONOREPO_STATES)),
    }


def _sources(tmp_path: Path, **kw: Any) -> RemoteSources:
    return RemoteSources(tmp_path / "cache", environ={"PATH": "/usr/bin:/bin"}, allow_file=True, **kw)


def _url(name: str, source: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "source": {"source": "url", **source}}


def test_a_pinned_commit_is_fetched_not_the_head_and_then_served_from_the_cache(
    repos: dict[str, Any], tmp_path: Path
) -> None:
    bare, commits = repos["review"]
    entries = [_url("code-review", {"url": f"file://{bare}", "sha": commits[0]})]
    first = _sources(tmp_path).resolve(entries)
    folder = first.checkouts[0].folder
    assert "HEAD ONLY" not in (folder / "skills/review-checklist/SKILL.md").read_text()
    assert first.report.fetched == (f"code-review (file://{bare})",)
    again = _sources(tmp_path).resolve(entries)  # a new build, the same cache
    assert again.report.fetched == () and again.report.reused == first.report.fetched
    assert again.checkouts[0].folder == folder


def test_a_ref_resolves_to_its_branch_head_and_is_reported_unpinned(
    repos: dict[str, Any], tmp_path: Path
) -> None:
    bare, commits = repos["review"]
    entries = [_url("code-review", {"url": f"file://{bare}", "ref": "main"})]
    found = _sources(tmp_path).resolve(entries)
    assert found.checkouts[0].origin.commit == commits[-1]
    assert found.report.unpinned == (f"code-review (file://{bare})",)
    with pytest.raises(RemoteSourceError, match="must be pinned under --strict"):
        _sources(tmp_path, strict=True).resolve(entries)


def test_a_git_subdir_source_holds_only_its_folder(repos: dict[str, Any], tmp_path: Path) -> None:
    bare, commits = repos["mono"]
    source = {"source": "git-subdir", "url": f"file://{bare}", "path": "plugins/oncall", "sha": commits[0]}
    found = _sources(tmp_path).resolve([{"name": "oncall", "source": source}])
    folder = found.checkouts[0].folder
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == [".claude-plugin/plugin.json", "skills/incident-triage/SKILL.md"]


def test_every_failure_is_named_with_what_to_check(repos: dict[str, Any], tmp_path: Path) -> None:
    bare, commits = repos["mono"]
    entries = [
        _url("gone", {"url": f"file://{bare}", "sha": "0" * 40}),
        {"name": "moved", "source": {"source": "git-subdir", "url": f"file://{bare}", "path": "nope", "sha": commits[0]}},
    ]  # fmt: skip
    with pytest.raises(RemoteSourceError) as caught:
        _sources(tmp_path).resolve(entries)
    message = str(caught.value)
    assert message.startswith("2 remote entries could not be fetched (nothing was built; `--remote skip`")
    assert (
        f"gone (file://{bare}): commit {'0' * 40} is not in file://{bare}; check the entry's `sha`" in message
    )
    assert f"moved (file://{bare}//nope): no folder `nope` at commit {commits[0][:12]}" in message
    assert not any(p.name.startswith(".fetch-") for p in (tmp_path / "cache").iterdir())  # nothing half-made


def test_skip_fetches_nothing_and_lists_every_remote_entry(tmp_path: Path) -> None:
    entries = [
        _url("a", {"url": "https://git.example.com/a.git"}),
        {"name": "b", "source": {"source": "npm", "package": "@acme/b"}},
        {"name": "c", "source": {"source": "archive", "url": "https://files.example.com/c.zip"}},
    ]
    found = _sources(tmp_path, skip=True).resolve(entries)
    assert found.checkouts == {}
    assert found.report.skipped == (
        "a (https://git.example.com/a.git): --remote skip",
        "b (npm:@acme/b): --remote skip",
        "c (archive): `archive` sources are not fetched",
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc", "`file:///etc` is not an https://, http://, git:// or ssh:// repository URL"),
        (
            "https://bot:hunter2@git.example.com/a.git",
            "the URL carries a password; remove it from marketplace.json and give the token as "
            "SKILLPORT_GIT_TOKEN_GIT_EXAMPLE_COM in the build's environment",
        ),
    ],
)
def test_urls_that_would_read_the_ci_disk_or_carry_a_password_are_refused(
    url: str, why: str, tmp_path: Path
) -> None:
    sources = RemoteSources(tmp_path / "cache", environ={})
    with pytest.raises(RemoteSourceError) as caught:
        sources.resolve([_url("x", {"url": url, "sha": "a" * 40})])
    assert why in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_tokens_come_per_host_from_the_environment() -> None:
    assert token_variable("git.example.com") == "SKILLPORT_GIT_TOKEN_GIT_EXAMPLE_COM"
    env = {
        "GITHUB_TOKEN": "gh",
        "SKILLPORT_GIT_TOKEN_GIT_EXAMPLE_COM": "ex",
        "SKILLPORT_GIT_USER_GIT_EXAMPLE_COM": "me",
    }
    github = credential("https://github.com/acme/x.git", env)
    assert (github.token, github.found_in, github.user) == ("gh", "GITHUB_TOKEN", "x-access-token")
    other = credential("https://git.example.com:8443/x.git", env)
    assert (other.token, other.found_in, other.user) == ("ex", "SKILLPORT_GIT_TOKEN_GIT_EXAMPLE_COM", "me")
    assert credential("https://gitlab.example.org/x.git", env).token is None  # GitHub's token stays at GitHub
    enterprise = credential(
        "https://ghe.example.com/x.git", {**env, "SKILLPORT_GITHUB_URL": "https://ghe.example.com"}
    )
    assert enterprise.found_in == "GITHUB_TOKEN"


def test_commands_without_a_build_folder_cache_under_the_user_cache() -> None:
    assert user_cache({"SKILLPORT_CACHE_DIR": "/c"}) == Path("/c/remote")
    assert user_cache({"XDG_CACHE_HOME": "/x"}) == Path("/x/skillport/remote")
    assert user_cache({"HOME": "/h"}) == Path("/h/.cache/skillport/remote")


@pytest.mark.parametrize(
    ("prompt", "answer"),
    [
        ("Username for 'https://git.example.com': ", "x-access-token"),
        ("Password for 'https://x-access-token@git.example.com': ", "s3cret"),
        ("Password for 'https://x-access-token@git.example.com:8443': ", "s3cret"),
        ("Password for 'https://x-access-token@git.example.com.evil.test': ", ""),
        ("Password for 'https://x-access-token@elsewhere.test': ", ""),  # a redirect gets nothing
    ],
)
def test_the_askpass_helper_gives_the_token_only_to_its_host(
    prompt: str, answer: str, tmp_path: Path
) -> None:
    helper = tmp_path / "askpass.sh"
    helper.write_text(_ASKPASS)
    env = {
        "SKILLPORT_ASKPASS_HOST": "git.example.com",
        "SKILLPORT_ASKPASS_USER": "x-access-token",
        "SKILLPORT_ASKPASS_TOKEN": "s3cret",
    }
    done = subprocess.run(["sh", str(helper), prompt], env=env, capture_output=True, text=True, check=True)
    assert done.stdout == answer + "\n"


def test_a_ref_that_is_a_full_commit_id_is_a_pin(repos: dict[str, Any], tmp_path: Path) -> None:
    bare, commits = repos["review"]
    found = _sources(tmp_path, strict=True).resolve(
        [_url("code-review", {"url": f"file://{bare}", "ref": commits[0]})]
    )
    assert found.checkouts[0].origin.commit == commits[0] and found.report.unpinned == ()
